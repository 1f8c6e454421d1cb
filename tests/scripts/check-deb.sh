#!/bin/sh
# Debian resolution against a local archive built here (make-test-archive.sh:
# InRelease signed with a key gpg makes, .debs built by dpkg-deb), served by
# tests/scripts/httpd.py on 127.0.0.1: a good resolution and fetch, then a bad
# signature, a Packages hash mismatch, a .deb hash mismatch, a replayed or
# expired index and unsafe .deb members, each failing with a clear message.
# Usage: check-deb.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need gpg gpgv dpkg-deb python3 xz

sh "$src/tests/scripts/make-test-archive.sh" "$tmp/t" || { echo "FAIL: cannot build the test archive"; exit 1; }
keyring="$tmp/t/keyring.gpg"

start_server "$tmp/t"

# archive MIRROR_DIR: a copy of the good archive to damage.
archive() { rm -rf "${tmp:?}/t/$1"; cp -a "$tmp/t/archive" "$tmp/t/$1"; }
mirror() { echo "http://127.0.0.1:$port/$1"; }
common() { echo --release tdxtest --keyring "$keyring" --cache-dir "$tmp/cache-$1"; }

# A good resolution: highest version, hashes from the index, files as dpkg-deb sees them.
# shellcheck disable=SC2046
run 0 "version      1.0-1" -- deb fetch tdx-hello --mirror "$(mirror archive)" $(common good) \
    -o "$tmp" --extract "$tmp/extracted"
deb="$tmp/t/archive/pool/main/t/tdx-hello_1.0-1_all.deb"
check "fetched .deb has the index's hash" grep -qF "sha256       $(sha256sum "$deb" | cut -d' ' -f1)" "$tmp/out"
check "-o copies the .deb" cmp -s "$deb" "$tmp/tdx-hello_1.0-1_all.deb"
check "the InRelease is recorded" grep -qF "inrelease    $(mirror archive)/dists/tdxtest/InRelease (sha256 $(sha256sum "$tmp/t/archive/dists/tdxtest/InRelease" | cut -d' ' -f1)" "$tmp/out"
dpkg-deb -x "$deb" "$tmp/reference"
check "extraction matches dpkg-deb -x" diff -r --no-dereference "$tmp/reference" "$tmp/extracted"
check "no maintainer script ran" test ! -e /tmp/tdx-test-postinst-ran
# shellcheck disable=SC2046
run 0 "version      1.0-1" -- deb fetch tdx-hello --mirror "$(mirror archive)" $(common good) -o "$tmp/new-dir"
check "-o creates a missing directory" cmp -s "$deb" "$tmp/new-dir/tdx-hello_1.0-1_all.deb"
check "no control files extracted" test ! -e "$tmp/extracted/DEBIAN"

# The second resolution is served by the cache except for InRelease.
# shellcheck disable=SC2046
run 0 "requested    tdx-meta" -- deb show tdx-meta --mirror "$(mirror archive)" $(common good)
check "metapackage followed" grep -q '^package      tdx-hello$' "$tmp/out"
# shellcheck disable=SC2046
run 0 "package      tdx-meta" -- deb show tdx-meta --no-follow --mirror "$(mirror archive)" $(common good)
# shellcheck disable=SC2046
run 1 "package \"tdx-other\" is not in" -- deb show tdx-other --mirror "$(mirror archive)" $(common good)
# shellcheck disable=SC2046
run 1 "release \"tdxtest\" has no architecture \"riscv64\"" -- deb show tdx-hello --arch riscv64 --mirror "$(mirror archive)" $(common good)
for c in zst gz; do
    # shellcheck disable=SC2046
    run 0 "package      tdx-$c" -- deb fetch "tdx-$c" --mirror "$(mirror archive)" $(common good) --extract "$tmp/x-$c"
    check "data.tar.$c extracted" test -x "$tmp/x-$c/usr/bin/tdx-$c"
done
# The suite name works as well as the codename.
run 0 "version      1.0-1" -- deb show tdx-hello --release testing-tdx --mirror "$(mirror archive)" --keyring "$keyring" --cache-dir "$tmp/cache-good"

# Signature failures: a key not in the keyring, and a tampered signed text.
# shellcheck disable=SC2046
run 1 "no valid signature by a key of the keyring" -- deb show tdx-hello --mirror "$(mirror archive)" --release tdxtest --keyring "$tmp/t/other.gpg" --cache-dir "$tmp/cache-sig"
archive tampered
sed -i 's/^Origin: tdx-test/Origin: tdx-evil/' "$tmp/t/tampered/dists/tdxtest/InRelease"
# shellcheck disable=SC2046
run 1 "BAD signature" -- deb show tdx-hello --mirror "$(mirror tampered)" $(common tampered)
check "nothing cached from a badly signed index" sh -c "! ls '$tmp/cache-tampered' | grep -q ."

# Packages does not match the hash the signed InRelease lists.
archive badpackages
printf 'Package: tdx-hello\nVersion: 9.9\nArchitecture: all\nFilename: pool/main/t/x.deb\nSize: 1\nSHA256: %064d\n' 0 |
    xz >"$tmp/t/badpackages/dists/tdxtest/main/binary-amd64/Packages.xz"
# shellcheck disable=SC2046
run 1 "Packages index main/binary-amd64/Packages.xz of $(mirror badpackages)/dists/tdxtest/InRelease: hash mismatch for $(mirror badpackages)/dists/tdxtest/main/binary-amd64/Packages.xz: expected sha256:$(awk '/Packages.xz$/ { print $1 }' "$tmp/t/archive/dists/tdxtest/Release")" \
    -- deb show tdx-hello --mirror "$(mirror badpackages)" $(common badpackages)

# The .deb does not match its Packages entry.
archive baddeb
# One byte changed, the size kept: another version's .deb can differ in size
# by a byte (dpkg-deb's timestamps compress differently), which the size
# limit would catch before the hash.
bad="$tmp/t/baddeb/pool/main/t/tdx-hello_1.0-1_all.deb"
cp "$deb" "$bad"
printf 'X' | dd of="$bad" bs=1 seek=70 conv=notrunc 2>/dev/null
cmp -s "$deb" "$bad" && { echo "FAIL: the corrupted .deb equals the original"; exit 1; }
# shellcheck disable=SC2046
run 1 "hash mismatch for $(mirror baddeb)/pool/main/t/tdx-hello_1.0-1_all.deb: expected sha256:$(sha256sum "$deb" | cut -d' ' -f1), got sha256:$(sha256sum "$bad" | cut -d' ' -f1)" \
    -- deb fetch tdx-hello --mirror "$(mirror baddeb)" $(common baddeb)
check "the bad .deb is not in the cache" test ! -e "$tmp/cache-baddeb/$(sha256sum "$bad" | cut -d' ' -f1)"
check "no temporary files left" sh -c "! ls -a '$tmp/cache-baddeb' | grep -q '^\.tmp'"

# A validly signed InRelease of another release, and an expired one.
archive replay
mkdir -p "$tmp/t/replay/dists/other"
cp -a "$tmp/t/replay/dists/tdxtest/." "$tmp/t/replay/dists/other/"
run 1 "signed for suite \"testing-tdx\", codename \"tdxtest\", not \"other\"" -- deb show tdx-hello --release other --mirror "$(mirror replay)" --keyring "$keyring" --cache-dir "$tmp/cache-replay"
archive expired
sed 's/^Valid-Until: .*/Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC/' "$tmp/t/archive/dists/tdxtest/Release" >"$tmp/t/expired/dists/tdxtest/Release"
GNUPGHOME="$tmp/t/gnupg" gpg --batch --yes --local-user archive@test.invalid --clearsign \
    --output "$tmp/t/expired/dists/tdxtest/InRelease" "$tmp/t/expired/dists/tdxtest/Release" 2>/dev/null
# shellcheck disable=SC2046
run 1 "expired (Valid-Until Sat, 01 Jan 2000 00:00:00 UTC)" -- deb show tdx-hello --mirror "$(mirror expired)" $(common expired)

# Unsafe members: "..", an absolute path, writing through a symlink, a device.
python3 - "$tmp" <<'EOF'
import io, sys, tarfile
out = sys.argv[1]
def deb(name, members):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as t:
        for m, content in members:
            t.addfile(m, io.BytesIO(content) if content is not None else None)
    parts = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", b""), (b"data.tar.gz", data.getvalue())]
    with open(f"{out}/{name}.deb", "wb") as f:
        f.write(b"!<arch>\n")
        for n, d in parts:
            f.write(n.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8) + str(len(d)).encode().ljust(10) + b"`\n")
            f.write(d + (b"\n" if len(d) % 2 else b""))
def reg(path, content=b"x"):
    i = tarfile.TarInfo(path); i.size = len(content); return (i, content)
def link(path, target):
    i = tarfile.TarInfo(path); i.type = tarfile.SYMTYPE; i.linkname = target; return (i, None)
def dev(path):
    i = tarfile.TarInfo(path); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; return (i, None)
deb("dotdot", [reg("./ok"), reg("./../escaped")])
deb("absolute", [reg("/etc/evil")])
deb("through-link", [link("./lnk", out + "/victim"), reg("./lnk/pwned")])
deb("device", [dev("./dev/null")])
deb("duplicate", [reg("./a"), reg("./a")])
EOF
mkdir "$tmp/victim"
run 1 "unsafe member path \"./../escaped\"" -- deb extract "$tmp/dotdot.deb" -o "$tmp/out-dotdot"
run 1 "unsafe member path \"/etc/evil\"" -- deb extract "$tmp/absolute.deb" -o "$tmp/out-abs"
run 1 "lnk/pwned: a parent directory is a symlink" -- deb extract "$tmp/through-link.deb" -o "$tmp/out-link"
run 1 "unsupported member type" -- deb extract "$tmp/device.deb" -o "$tmp/out-dev"
run 1 "a: cannot create: duplicate member" -- deb extract "$tmp/duplicate.deb" -o "$tmp/out-dup"
check "nothing escaped" test ! -e "$tmp/escaped" -a ! -e "$tmp/victim/pwned"
check "failed extractions leave no directory" sh -c "! ls -a '$tmp' | grep -q -e '^out-' -e '\.tmp-'"
run 1 "not a .deb" -- deb extract "$tmp/t/keyring.gpg" -o "$tmp/out-notdeb"
run 1 "exists and is not an empty directory" -- deb extract "$deb" -o "$tmp/t"

exit $fail
