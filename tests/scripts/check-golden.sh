#!/bin/sh
# Emits every profile of every example and compares the trees with the
# checked-in golden dumps in tests/golden/. UPDATE_GOLDEN=1 rewrites them.
# Usage: check-golden.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
src=$2
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
for recipe in "$src"/examples/*.json; do
    # Native recipes (init tdx-agent) are for tdxctl build, not mkosi trees.
    grep -q '"init": *"tdx-agent"' "$recipe" && continue
    example=$(basename "$recipe" .json)
    for profile in $("$tdxctl" recipe profiles "$recipe"); do
        out="$tmp/$example-$profile"
        "$tdxctl" emit "$recipe" -o "$out" --profile "$profile" --no-agent-binary 2>"$tmp/log" ||
            { cat "$tmp/log"; exit 1; }
        sh "$here/dump-tree.sh" "$out" >"$out.tree"
        golden="$src/tests/golden/$example-$profile.tree"
        if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
            cp "$out.tree" "$golden"
            echo "updated $golden"
        elif diff -u "$golden" "$out.tree" >"$tmp/diff"; then
            echo "ok $example/$profile ($(grep -c '^== ' "$out.tree") entries)"
        else
            echo "FAIL: $example/$profile differs from $golden:"
            head -n 200 "$tmp/diff"
            fail=1
        fi
    done
done
exit $fail
