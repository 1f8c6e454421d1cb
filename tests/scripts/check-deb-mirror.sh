#!/bin/sh
# The host's configured Debian mirror (its apt sources): resolves and fetches
# ovmf and linux-image-amd64 (followed to the real kernel package) through the
# signed index with Debian's keyring, and extracts the firmware and the kernel.
# Skips (77) when the mirror cannot be reached. Files go to the user's cache
# ($XDG_CACHE_HOME/tdxhost/fetch), where they are verified by hash anyway.
# Usage: check-deb-mirror.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! "$tdxctl" deb show ovmf >"$tmp/out" 2>"$tmp/err"; then
    if grep -Eq 'no http\(s\) apt source|HTTP 5|timed out|Could not resolve|Failed to connect|Couldn.t connect|Connection refused|Network is unreachable|Resolving timed out' "$tmp/err"; then
        echo "SKIP: the configured Debian mirror is not reachable: $(cat "$tmp/err")"
        exit 77
    fi
    echo "FAIL: tdxctl deb show ovmf:"; cat "$tmp/err"
    exit 1
fi
cat "$tmp/out"

check() { # MESSAGE COMMAND...
    msg=$1
    shift
    if "$@"; then echo "ok $msg"; else echo "FAIL: $msg"; fail=1; fi
}

"$tdxctl" deb fetch ovmf --extract "$tmp/ovmf" --path 'usr/share/OVMF/*' >"$tmp/ovmf.txt" 2>&1 ||
    { echo "FAIL: deb fetch ovmf:"; cat "$tmp/ovmf.txt"; fail=1; }
cat "$tmp/ovmf.txt"
check "ovmf: OVMF firmware extracted" sh -c "ls '$tmp/ovmf/usr/share/OVMF/' | grep -q '^OVMF_CODE'"
check "ovmf: the .deb matches the hash from the index" sh -c \
    "[ \"\$(sha256sum \"\$(sed -n 's/^path *//p' '$tmp/ovmf.txt')\" | cut -d' ' -f1)\" = \"\$(sed -n 's/^sha256 *//p' '$tmp/ovmf.txt')\" ]"

"$tdxctl" deb fetch linux-image-amd64 --extract "$tmp/kernel" --path 'boot/vmlinuz-*' >"$tmp/kernel.txt" 2>&1 ||
    { echo "FAIL: deb fetch linux-image-amd64:"; cat "$tmp/kernel.txt"; fail=1; }
cat "$tmp/kernel.txt"
check "linux-image-amd64 followed to the kernel package" grep -Eq '^package +linux-image-[0-9].*-amd64$' "$tmp/kernel.txt"
check "linux-image-amd64 is recorded as requested" grep -Eq '^requested +linux-image-amd64$' "$tmp/kernel.txt"
check "a kernel image was extracted" sh -c "ls '$tmp/kernel/boot/' | grep -q '^vmlinuz-'"
exit $fail
