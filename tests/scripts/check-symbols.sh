#!/bin/sh
# The library exports exactly the functions the public headers declare with
# TDX_EXTERN, and the version script lists exactly those.
# Usage: check-symbols.sh LIBRARY.so VERSION_SCRIPT SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR
set -eu
lib=$1
sym=$2
src_inc=$3
build_inc=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v nm >/dev/null 2>&1; then
    echo "SKIP: nm is not installed"
    exit 77
fi
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRBV]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(tdx_[a-z0-9_]*\);$/\1/p' "$sym" | sort -u >"$tmp/listed"
cat "$src_inc"/tdxhost/*.h "$build_inc"/tdxhost/version.h |
    tr '\n' ' ' | sed 's/;/;\n/g' | grep 'TDX_EXTERN' |
    sed -n 's/.*[ *]\(tdx_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' | sort -u >"$tmp/declared"

fail=0
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "FAIL: exported symbols differ from the TDX_EXTERN declarations (- declared, + exported)"
    fail=1
fi
if ! diff -u "$tmp/declared" "$tmp/listed"; then
    echo "FAIL: libtdxhost.sym differs from the TDX_EXTERN declarations (- declared, + listed)"
    fail=1
fi
echo "$(wc -l <"$tmp/exported") symbols exported, $(wc -l <"$tmp/declared") declared"
exit $fail
