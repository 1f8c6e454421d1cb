#!/bin/sh
# docs/recipe.md documents every key the JSON loader accepts: each key of an
# ALLOWED(...) list and of the section table in json-load.c appears in the
# page as `key` or `parent.key`.
# Usage: check-docs.sh SOURCE_ROOT
set -eu
src=$1
loader="$src/host/lib/recipe/json-load.c"
doc="$src/docs/recipe.md"

keys=$( {
    grep -o 'ALLOWED([^)]*)' "$loader" | grep -o '"[A-Za-z_]*"'
    sed -n '/^} sections\[\] = {/,/^};/p' "$loader" | grep -o '{ "[a-z_]*"' | grep -o '"[a-z_]*"'
    sed -n '/phases\[\] = {/,/};/p' "$loader" | grep -o '"[a-z]*"'
} | tr -d '"' | sort -u)

fail=0
n=0
for key in $keys; do
    n=$((n + 1))
    if ! grep -Eq "\`([A-Za-z_]+\.)?$key\`" "$doc"; then
        echo "FAIL: docs/recipe.md does not document \"$key\""
        fail=1
    fi
done
echo "$n recipe keys checked against docs/recipe.md"
exit $fail
