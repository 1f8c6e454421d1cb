#!/bin/sh
# The mkosi backend's mkosi and the build's lock, against the signed test
# archive (make-test-archive.sh, release "trixie") served on 127.0.0.1,
# whose "mkosi" package holds a fake mkosi: `--version` says 25.3, `build`
# writes a UKI, kernel and initrd from the test data into its
# --output-directory (or fails with exit status 3 when FAKE_MKOSI_FAIL is
# set). Checks: a build that fetches mkosi pins the .deb in tdx.lock
# ("tool: mkosi"), later builds take it from there unchanged, `tdxctl lock`
# keeps the pin (--update mkosi drops it) and --check does not count it as
# unused; --frozen refuses a lock without it (naming the lock and mkosi) and
# a missing lock; --offline uses the cache; build.json says which mkosi ran (given, PATH, locked, with
# the .deb's SHA-256); the output is replaced whole, or kept on failure.
# The firmware the same way: the archive's "ovmf" 2025.02-1 holds a synthetic
# TDVF as usr/share/ovmf/OVMF.fd; a build pins it in the entry `tdxctl lock`
# makes (ovmf/trixie/amd64, "default: firmware"), before mkosi runs (kept
# when mkosi fails), takes OVMF.fd from it (build.json: a "deb" input;
# vm.json: its event layout), never the host's; --frozen without it fails
# naming the lock; --offline unpacks it from the cache; an unpacked tree that
# changed is unpacked again; a recipe's firmware file is an input by hash.
# The real mkosi is never run.
# Usage: check-mkosi-lock.sh TDXCTL SOURCE_ROOT AGENT MAKE_TEST_IMAGE
set -u
tdxctl=$1
src=$2
agent=$3
mkimage=$4
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need gpg gpgv dpkg-deb python3 xz

# The fake mkosi, as Python modules like Debian's package has them.
fake="$tmp/fake/usr/lib/python3/dist-packages/mkosi"
mkdir -p "$fake"
: >"$fake/__init__.py"
cat >"$fake/__main__.py" <<'PY'
import os, shutil, sys
args = sys.argv[1:]
if args == ["--version"]:
    print("mkosi 25.3")
    sys.exit(0)
if os.environ.get("FAKE_MKOSI_FAIL") or "build" not in args:
    print("fake mkosi: asked to fail")
    sys.exit(3)
opt = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
image_id = None
for line in open(os.path.join(opt["directory"], "mkosi.conf")):
    if line.startswith("ImageId="):
        image_id = line.split("=", 1)[1].strip()
out = opt["output-directory"]
shutil.copy(os.environ["FAKE_MKOSI_UKI"], os.path.join(out, image_id + ".efi"))
shutil.copy(os.environ["FAKE_MKOSI_KERNEL"], os.path.join(out, image_id + ".vmlinuz"))
with open(os.path.join(out, image_id + ".initrd"), "wb") as f:
    f.write(b"fake initrd\n")
print("fake mkosi: built", image_id)
PY
# The UKI fixture with a systemd-stub .sdmagic (its own says "fake-loader"),
# so the vTPM PCRs can be computed for it.
FAKE_MKOSI_UKI="$tmp/uki.efi"
python3 - "$src/tests/data/testdata/pe/measured-boot_uki.efi" "$FAKE_MKOSI_UKI" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
old = b"#### LoaderInfo: fake-loader .01-0.fc38 ####"
new = b"#### LoaderInfo: systemd-stub 254.5-1 ####"
assert data.count(old) == 1
open(sys.argv[2], "wb").write(data.replace(old, new.ljust(len(old), b"\0")))
PY
FAKE_MKOSI_KERNEL="$src/tests/fuzz/corpus/pe/02-bzimage.efi"
export FAKE_MKOSI_UKI FAKE_MKOSI_KERNEL

a="$tmp/t"
TDX_TEST_CODENAME=trixie sh "$src/tests/scripts/make-test-archive.sh" "$a" ||
    { echo "FAIL: cannot build the test archive"; exit 1; }
TDX_TEST_CODENAME=trixie sh "$src/tests/scripts/make-test-archive.sh" "$a" add mkosi 25.3-1 all "" "" \
    "$tmp/fake" || { echo "FAIL: cannot add the mkosi package"; exit 1; }
deb_sha=$(sha256sum "$a/archive/pool/main/t/mkosi_25.3-1_all.deb" | cut -d' ' -f1)
# Debian's ovmf as the archive's newest: a synthetic TDVF where Debian has
# OVMF.fd, an edk2 2025.02 version (event layout "202411").
mkdir -p "$tmp/ovmf/usr/share/ovmf"
"$mkimage" tdvf "$tmp/ovmf/usr/share/ovmf/OVMF.fd" debian || { echo "FAIL: make-test-image tdvf"; exit 1; }
TDX_TEST_CODENAME=trixie sh "$src/tests/scripts/make-test-archive.sh" "$a" add ovmf 2025.02-1 all "" "" \
    "$tmp/ovmf" || { echo "FAIL: cannot add the ovmf package"; exit 1; }
ovmf_sha=$(sha256sum "$a/archive/pool/main/t/ovmf_2025.02-1_all.deb" | cut -d' ' -f1)
fw="$tmp/ovmf/usr/share/ovmf/OVMF.fd"
start_server "$a"

# No usable mkosi in PATH: an old one, so the build fetches its own.
mkdir -p "$tmp/old" "$tmp/new"
printf '#!/bin/sh\necho "mkosi 14"\n' >"$tmp/old/mkosi"
# A new one in PATH (and for --mkosi): the same fake, run from its directory.
printf '#!/bin/sh\nPYTHONPATH=%s exec python3 -m mkosi "$@"\n' "$tmp/fake/usr/lib/python3/dist-packages" \
    >"$tmp/new/mkosi"
chmod +x "$tmp/old/mkosi" "$tmp/new/mkosi"
PATH="$tmp/old:$PATH"
export PATH

proj="$tmp/p"
mkdir -p "$proj"
cat >"$proj/recipe.json" <<JSON
{ "name": "mk", "base": "debian/trixie", "mirror": "http://127.0.0.1:$port/archive",
  "kernel": { "package": "tdx-meta" } }
JSON
lock="$proj/tdx.lock"
# mkbuild STATUS FRAGMENT ARGS...: run's `tdxctl build` of the recipe with
# the mkosi backend against the test archive, each path one argument.
mkbuild() {
    mk_status=$1 mk_frag=$2
    shift 2
    run "$mk_status" "$mk_frag" -- build "$proj/recipe.json" --backend mkosi --agent "$agent" \
        --cache-dir "$tmp/cache" --keyring "$a/keyring.gpg" -m "http://127.0.0.1:$port/archive" "$@"
}
out="$proj/out"
py() { python3 - "$@"; }
# shellcheck disable=SC2317 # called through check
lacks() { ! grep -qF -- "$1" "$2"; }

# 1. No lock yet, mkosi fails: the pin is written all the same (the lock
# step comes first, as for native builds), the output is not.
FAKE_MKOSI_FAIL=1 mkbuild 1 "mkosi failed (exit status 3" -o "$out"
check "failed build: no output" [ ! -e "$out" ]
check "failed build: its log beside the output" grep -q "asked to fail" "$out.mkosi.log"
check "no staging directory left" [ -z "$(find "$proj" -maxdepth 1 -name '.out.tmp-*')" ]
check "tdx.lock pins the mkosi .deb as a tool" py "$lock" "$deb_sha" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
d = [e for e in lock["debian"] if e["requested"] == "mkosi"]
assert len(d) == 1, lock["debian"]
d = d[0]
assert d["release"] == "trixie" and d["arch"] == "all" and d["version"] == "25.3-1", d
assert d["sha256"] == sys.argv[2], d
assert d["used_by"] == ["tool: mkosi"], d
assert lock["recipe"]["name"] == "mk" and len(lock["recipe"]["digest"]) == 64, lock["recipe"]
PY
check "tdx.lock pins ovmf as the native backend's lock does" py "$lock" "$ovmf_sha" <<'PY'
import json, sys
d = [e for e in json.load(open(sys.argv[1]))["debian"] if e["requested"] == "ovmf"]
assert len(d) == 1, d
d = d[0]
assert (d["release"], d["arch"], d["name"], d["version"]) == ("trixie", "amd64", "ovmf", "2025.02-1"), d
assert d["sha256"] == sys.argv[2] and d["used_by"] == ["default: firmware"], d
PY

# 2. A build from the lock: build.json names the locked mkosi; the lock is
# not rewritten.
cp "$lock" "$tmp/pinned.lock"
mkbuild 0 "" -o "$out"
check "the lock is unchanged" cmp -s "$lock" "$tmp/pinned.lock"
check "build.json: the locked mkosi" py "$out/build.json" "$deb_sha" "$lock" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
m = b["mkosi"]
assert m["from"] == "locked" and m["version"] == "25.3", m
assert m["deb_sha256"] == sys.argv[2] and m["lock"] == sys.argv[3], m
assert m["path"].endswith("/mkosi/%s/bin/mkosi" % sys.argv[2]), m
i = [x for x in b["inputs"] if x["name"] == "mkosi"]
assert i == [{"kind": "deb", "name": "mkosi", "version": "25.3-1", "sha256": sys.argv[2],
              "url": i[0]["url"]}], i
assert i[0]["url"].endswith("/pool/main/t/mkosi_25.3-1_all.deb"), i
assert b["mkosi_version"] == "25.3", b
PY
check "the UKI is collected" cmp -s "$out/mk.efi" "$FAKE_MKOSI_UKI"
check "OVMF.fd is the pinned ovmf's" cmp -s "$out/OVMF.fd" "$fw"
check "build.json: ovmf a deb input, no firmware file" py "$out/build.json" "$ovmf_sha" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
i = [x for x in b["inputs"] if x["name"] in ("ovmf", "firmware")]
assert i == [{"kind": "deb", "name": "ovmf", "version": "2025.02-1", "sha256": sys.argv[2],
              "url": i[0]["url"]}], i
assert i[0]["url"].endswith("/pool/main/t/ovmf_2025.02-1_all.deb"), i
assert "firmware" in b["timings_ms"], b["timings_ms"]
PY
check "vm.json: the pinned ovmf's event layout" py "$out/vm.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["firmware_event_layout"] == "202411", v
PY
# The unpacked ovmf changed in the cache: refused, unpacked again.
printf 'X' | dd of="$tmp/cache/extract/$ovmf_sha/usr/share/ovmf/OVMF.fd" bs=1 seek=100 conv=notrunc \
    2>/dev/null
mkbuild 0 "" -o "$out"
check "a changed unpacked OVMF.fd is unpacked again" cmp -s "$out/OVMF.fd" "$fw"
check "and so is the cache" cmp -s "$tmp/cache/extract/$ovmf_sha/usr/share/ovmf/OVMF.fd" "$fw"

# 3. A failed rebuild leaves the previous output as it was; a good one
# replaces it whole.
cp "$out/build.json" "$tmp/build.json"
echo old >"$out/stale-file"
FAKE_MKOSI_FAIL=1 mkbuild 1 "mkosi failed" -o "$out"
check "failed rebuild: previous output kept" cmp -s "$out/build.json" "$tmp/build.json"
check "failed rebuild: nothing of it removed" [ -e "$out/stale-file" ]
check "failed rebuild: its log beside the output" grep -q "asked to fail" "$out.mkosi.log"
mkbuild 0 "" -o "$out"
check "rebuild: the old output replaced whole" [ ! -e "$out/stale-file" ]
check "rebuild: the failed build's log is gone" [ ! -e "$out.mkosi.log" ]
check "rebuild: its own log in the output" grep -q "fake mkosi: built" "$out/mkosi.log"
check "rebuild: no staging directory left" [ -z "$(find "$proj" -maxdepth 1 -name '.out.tmp-*')" ]

# 4. tdxctl lock keeps the pin (it is no input of the recipe), and --check
# does not call it unused.
cp "$lock" "$tmp/built.lock"
run 0 "+ debian tdx-meta" -- lock "$proj/recipe.json" --keyring "$a/keyring.gpg" --cache-dir "$tmp/cache"
check "tdxctl lock keeps the mkosi pin" py "$lock" "$deb_sha" <<'PY'
import json, sys
d = [e for e in json.load(open(sys.argv[1]))["debian"] if e["requested"] == "mkosi"]
assert len(d) == 1 and d[0]["sha256"] == sys.argv[2] and d[0]["used_by"] == ["tool: mkosi"], d
PY
check "tdxctl lock takes the build's ovmf entry as its own" lacks "debian ovmf" "$tmp/out"
check "the ovmf entry is unchanged" py "$lock" "$tmp/built.lock" <<'PY'
import json, sys
a, b = ([e for e in json.load(open(p))["debian"] if e["requested"] == "ovmf"] for p in sys.argv[1:3])
assert a == b and len(a) == 1, (a, b)
PY
run 0 "" -- lock "$proj/recipe.json" --check
# --update mkosi drops the pin; the next build that fetches mkosi pins it again.
cp "$lock" "$tmp/full.lock"
run 0 "- debian mkosi (trixie/all)" -- lock "$proj/recipe.json" --update mkosi --keyring "$a/keyring.gpg" \
    --cache-dir "$tmp/cache"
check "--update mkosi: the pin is gone" lacks '"tool: mkosi"' "$lock"
mkbuild 0 "" -o "$out"
check "the next build pins it again" py "$lock" "$tmp/full.lock" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for lock in a, b:
    for e in lock["debian"]:
        e.pop("resolved_at")
assert a == b, (a, b)
PY

# 5. --frozen: the pinned one; a lock without it, or no lock, is refused.
mkbuild 0 "" -o "$out" --frozen
# without NAME: a copy of tdx.lock without the Debian entry NAME, in
# $tmp/noNAME.lock (and .before, to see it is not written).
without() {
    py "$lock" "$tmp/no$1.lock" "$1" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
lock["debian"] = [e for e in lock["debian"] if e["requested"] != sys.argv[3]]
json.dump(lock, open(sys.argv[2], "w"), indent=2, sort_keys=True)
PY
    cp "$tmp/no$1.lock" "$tmp/no$1.before"
}
without mkosi
mkbuild 1 "$tmp/nomkosi.lock: --frozen: the lock pins no mkosi (Debian trixie)" \
    -o "$tmp/o2" --frozen --lock "$tmp/nomkosi.lock"
check "frozen: one line naming the lock and mkosi" [ "$(grep -c '^tdxctl: ' "$tmp/err")" -eq 1 ]
check "frozen: the lock is not written" cmp -s "$tmp/nomkosi.lock" "$tmp/nomkosi.before"
mkbuild 1 "--frozen: no lock file $tmp/absent.lock (so no pinned mkosi" \
    -o "$tmp/o2" --frozen --lock "$tmp/absent.lock"
check "frozen: no lock file made" [ ! -e "$tmp/absent.lock" ]
without ovmf
mkbuild 1 "tdxctl: $tmp/noovmf.lock: --frozen: the lock pins no ovmf (Debian trixie); build once without --frozen to pin it" \
    -o "$tmp/o2" --frozen --lock "$tmp/noovmf.lock"
check "frozen, no ovmf: one line" [ "$(grep -c '^tdxctl: ' "$tmp/err")" -eq 1 ]
check "frozen, no ovmf: the lock is not written" cmp -s "$tmp/noovmf.lock" "$tmp/noovmf.before"
check "frozen, no ovmf: no output" [ ! -e "$tmp/o2" ]
# A profile the entry is not used by yet gets its label, as `tdxctl lock` would.
py "$lock" "$tmp/otherprofile.lock" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
for e in lock["debian"]:
    if e["requested"] == "ovmf":
        e["used_by"] = ["other: firmware"]
json.dump(lock, open(sys.argv[2], "w"), indent=2, sort_keys=True)
PY
mkbuild 0 "" -o "$tmp/o2" --lock "$tmp/otherprofile.lock"
check "the entry gets the profile's label, its pin unchanged" py "$tmp/otherprofile.lock" "$lock" <<'PY'
import json, sys
a, b = ([e for e in json.load(open(p))["debian"] if e["requested"] == "ovmf"][0] for p in sys.argv[1:3])
assert a.pop("used_by") == ["default: firmware", "other: firmware"], a
b.pop("used_by")
assert a == b, (a, b)
PY
# Not frozen, the same lock gets the pin added, the rest kept.
mkbuild 0 "" -o "$tmp/o2" --lock "$tmp/nomkosi.lock"
check "an existing lock gets the pin, nothing else changes" py "$tmp/nomkosi.lock" "$lock" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for lock in a, b:
    for e in lock["debian"]:
        if e["requested"] == "mkosi":
            e.pop("resolved_at")   # when it was pinned
assert a == b, (a, b)
PY

# 6. --offline: the pinned .deb from the fetch cache (its unpacked copy
# removed first), no server.
stop_server
rm -rf "$tmp/cache/mkosi/$deb_sha" "$tmp/cache/extract/$ovmf_sha" "$tmp/cache/extract/$ovmf_sha.sums"
mkbuild 0 "" -o "$out" --offline --frozen
check "offline: unpacked again from the cached .deb" [ -x "$tmp/cache/mkosi/$deb_sha/bin/mkosi" ]
check "offline: ovmf unpacked again from the cached .deb" cmp -s "$out/OVMF.fd" "$fw"

# 7. An mkosi the build did not fetch: no mkosi in the lock, build.json says
# which. (The firmware still comes through it.)
cp "$tmp/nomkosi.lock" "$tmp/nomkosi.before"
mkbuild 0 "" -o "$out" --mkosi "$tmp/new/mkosi" --frozen --lock "$tmp/nomkosi.lock"
check "build.json: the given mkosi" py "$out/build.json" "$tmp/new/mkosi" <<'PY'
import hashlib, json, sys
b = json.load(open(sys.argv[1]))
assert b["mkosi"] == {"from": "given", "path": sys.argv[2], "version": "25.3"}, b["mkosi"]
sha = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert [x for x in b["inputs"] if x["name"] == "mkosi"] == [
    {"kind": "file", "name": "mkosi", "version": "25.3", "url": None, "sha256": sha}], b["inputs"]
PY
PATH="$tmp/new:$PATH" mkbuild 0 "" -o "$out" --frozen --lock "$tmp/nomkosi.lock"
check "build.json: mkosi from PATH, no input" py "$out/build.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["mkosi"] == {"from": "PATH", "path": "mkosi", "version": "25.3"}, b["mkosi"]
assert not [x for x in b["inputs"] if x["name"] == "mkosi"], b["inputs"]
PY
PATH="$tmp/new:$PATH" mkbuild 0 "" -o "$out" --mkosi mkosi
check "build.json: a bare --mkosi name, looked up in PATH, no input" py "$out/build.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
assert b["mkosi"] == {"from": "given", "path": "mkosi", "version": "25.3"}, b["mkosi"]
assert not [x for x in b["inputs"] if x["name"] == "mkosi"], b["inputs"]
PY
check "no mkosi pinned for a given or PATH mkosi" cmp -s "$tmp/nomkosi.lock" "$tmp/nomkosi.before"

# 8. A recipe's firmware file: an input by its hash, the "pre-202411" layout,
# no lock needed for it.
"$mkimage" tdvf "$proj/custom.fd" dstack || { echo "FAIL: make-test-image tdvf"; exit 1; }
check "firmware file: another TDVF than the package's" sh -c "! cmp -s '$proj/custom.fd' '$fw'"
py "$proj/recipe.json" "$proj/file-fw.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["firmware"] = "custom.fd"
json.dump(r, open(sys.argv[2], "w"))
PY
PATH="$tmp/new:$PATH" run 0 "" -- build "$proj/file-fw.json" --backend mkosi --agent "$agent" \
    --cache-dir "$tmp/cache" -o "$tmp/o3" --frozen --lock "$tmp/absent.lock"
check "firmware file: OVMF.fd is the recipe's" cmp -s "$tmp/o3/OVMF.fd" "$proj/custom.fd"
check "firmware file: a file input by hash, pre-202411" py "$tmp/o3" "$proj/custom.fd" <<'PY'
import hashlib, json, sys
b = json.load(open(sys.argv[1] + "/build.json"))
sha = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
i = [x for x in b["inputs"] if x["name"] in ("ovmf", "firmware")]
assert i == [{"kind": "file", "name": "firmware", "version": None, "url": None, "sha256": sha}], i
assert json.load(open(sys.argv[1] + "/vm.json"))["firmware_event_layout"] == "pre-202411"
PY
check "firmware file: no lock file made" [ ! -e "$tmp/absent.lock" ]
# Not a Debian base: Debian's ovmf is not taken for it (nor the host's).
cat >"$proj/ubuntu.json" <<JSON
{ "name": "mk", "base": "ubuntu/noble", "kernel": { "package": "tdx-meta" } }
JSON
PATH="$tmp/new:$PATH" run 1 'tdxctl: profile default: firmware "ovmf" is Debian'"'"'s package, locked for debian/ bases only (base is ubuntu/noble): name a firmware file' \
    -- build "$proj/ubuntu.json" --backend mkosi --agent "$agent" --cache-dir "$tmp/cache" \
    -o "$tmp/o4" --lock "$tmp/absent.lock"
check "ubuntu base: no lock file made" [ ! -e "$tmp/absent.lock" ]
exit $fail
