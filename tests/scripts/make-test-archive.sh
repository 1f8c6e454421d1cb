#!/bin/sh
# Builds a small signed Debian archive for the resolver tests:
#   DIR/archive/dists/tdxtest/{InRelease,Release,main/binary-amd64/Packages{,.xz}}
#   DIR/archive/pool/main/t/...  .deb files built by dpkg-deb
#   DIR/keyring.gpg              the test signing key (binary, for gpgv)
#   DIR/other.gpg                a key that did not sign anything
#   DIR/gnupg                    GNUPGHOME holding both secret keys
# Packages: tdx-hello 0.9-1, 1.0~rc1-1 and 1.0-1 (all), tdx-meta 1.0 (amd64,
# depends on tdx-hello (= 1.0-1)), tdx-zst and tdx-gz (other compressions),
# tdx-other 1.0 (arm64 only), ovmf 1.0 (all).
# TDX_TEST_CODENAME names the release instead of tdxtest (its suite stays
# testing-tdx).
# Usage: make-test-archive.sh DIR
#        make-test-archive.sh DIR add NAME VERSION ARCH [DEPENDS [PROVIDES [FILES]]]
#            (publish one more, re-sign; FILES: a directory whose tree the package also holds)
set -eu
dir=$1
export GNUPGHOME="$dir/gnupg"
quiet() { "$@" >/dev/null 2>&1; }

# deb NAME VERSION ARCH COMPRESSION [DEPENDS [PROVIDES [FILES]]]
deb() {
    root="$dir/build/$1-$2"
    mkdir -p "$root/DEBIAN" "$root/usr/share/$1" "$root/usr/bin"
    [ -n "${7:-}" ] && cp -R "$7/." "$root/"
    {
        echo "Package: $1"
        echo "Version: $2"
        echo "Architecture: $3"
        echo "Maintainer: Test <test@test.invalid>"
        [ -n "${5:-}" ] && echo "Depends: $5"
        [ -n "${6:-}" ] && echo "Provides: $6"
        echo "Description: test package $1"
    } >"$root/DEBIAN/control"
    printf '#!/bin/sh\necho installed >/tmp/tdx-test-postinst-ran\n' >"$root/DEBIAN/postinst"
    chmod 755 "$root/DEBIAN/postinst"
    printf '%s %s\n' "$1" "$2" >"$root/usr/share/$1/version.txt"
    printf '#!/bin/sh\necho %s\n' "$1" >"$root/usr/bin/$1"
    chmod 755 "$root/usr/bin/$1"
    ln -s "../share/$1/version.txt" "$root/usr/bin/$1-version"
    out="$dir/archive/pool/main/t/${1}_$(echo "$2" | tr -d ':')_$3.deb"
    quiet dpkg-deb --root-owner-group -Z"$4" --build "$root" "$out"
    {
        sed '/^Description/d' "$root/DEBIAN/control"
        echo "Filename: pool/main/t/$(basename "$out")"
        echo "Size: $(stat -c %s "$out")"
        echo "SHA256: $(sha256sum "$out" | cut -d' ' -f1)"
        echo "Description: test package $1"
        echo
    } >>"$dists/main/binary-amd64/Packages"
}

codename=${TDX_TEST_CODENAME:-tdxtest}
dists="$dir/archive/dists/$codename"
sign_index() {
    rm -f "$dists/main/binary-amd64/Packages.xz"
    xz -k "$dists/main/binary-amd64/Packages"
    {
        echo "Origin: tdx-test"
        echo "Suite: testing-tdx"
        echo "Codename: $codename"
        echo "Date: Sat, 01 Jan 2022 00:00:00 UTC"
        echo "Valid-Until: Fri, 01 Jan 2100 00:00:00 UTC"
        echo "Acquire-By-Hash: no"
        echo "Architectures: amd64 arm64"
        echo "Components: main"
        echo "SHA256:"
        for f in main/binary-amd64/Packages main/binary-amd64/Packages.xz; do
            echo " $(sha256sum "$dists/$f" | cut -d' ' -f1) $(stat -c %s "$dists/$f") $f"
        done
    } >"$dists/Release"
    gpg --batch --yes --local-user 'archive@test.invalid' --clearsign --output "$dists/InRelease" "$dists/Release"
}

if [ "${2:-}" = add ]; then
    deb "$3" "$4" "$5" xz "${6:-}" "${7:-}" "${8:-}"
    sign_index
    exit 0
fi

mkdir -p "$GNUPGHOME" "$dir/archive/pool/main/t" "$dists/main/binary-amd64" "$dir/build"
chmod 700 "$GNUPGHOME"
quiet gpg --batch --passphrase '' --quick-gen-key 'tdx test archive <archive@test.invalid>' ed25519 sign never
quiet gpg --batch --passphrase '' --quick-gen-key 'tdx other key <other@test.invalid>' ed25519 sign never
gpg --batch --export 'archive@test.invalid' >"$dir/keyring.gpg"
gpg --batch --export 'other@test.invalid' >"$dir/other.gpg"

deb tdx-hello 0.9-1 all xz
deb tdx-hello 1.0-1 all xz
deb tdx-hello 1.0~rc1-1 all xz
deb tdx-meta 1.0 amd64 xz 'tdx-hello (= 1.0-1)'
deb tdx-zst 1.0 amd64 zstd
deb tdx-gz 1.0 amd64 gzip
deb tdx-other 1.0 arm64 xz
deb ovmf 1.0 all xz
sign_index
# Like Debian's dists/stable -> bookworm.
ln -s "$codename" "$dir/archive/dists/testing-tdx"
