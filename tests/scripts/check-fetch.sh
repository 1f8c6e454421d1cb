#!/bin/sh
# tdxctl fetch and hash-tree against tests/scripts/httpd.py on 127.0.0.1:
# output formats, exit codes, a mismatch leaving nothing behind, and two
# tdxctl processes fetching the same file at once.
# Usage: check-fetch.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need python3

mkdir "$tmp/www"
head -c 3000000 /dev/urandom >"$tmp/www/blob"
sha=$(sha256sum "$tmp/www/blob" | cut -d' ' -f1)
start_server "$tmp/www"
url="http://127.0.0.1:$port"
export XDG_CACHE_HOME="$tmp/xdg"

cache="$tmp/xdg/tdxhost/fetch"

run 0 "sha256:$sha" -- fetch --hash "$tmp/www/blob"
run 2 "--sha256 HEX is required" -- fetch "$url/blob"
run 1 "hash mismatch for $url/blob: expected sha256:$(printf '%064d' 0), got sha256:$sha" -- fetch "$url/blob" --sha256 "$(printf '%064d' 0)"
check "a mismatch leaves the cache empty" sh -c "[ -z \"\$(ls -A '$cache')\" ]"
run 1 "$url/nope: HTTP 404" -- fetch "$url/nope" --sha256 "$sha"
run 1 "truncated: received 3000000 of 3000100 bytes" -- fetch "$url/truncate/blob" --sha256 "$sha"

# Two processes, one file: both succeed, one verified copy, no temporary files.
"$tdxctl" fetch "$url/slow/blob" --sha256 "$sha" >"$tmp/a" 2>&1 &
a=$!
"$tdxctl" fetch "$url/slow/blob" --sha256 "$sha" >"$tmp/b" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check "concurrent fetches both succeed" test "$ra" = 0 -a "$rb" = 0
check "concurrent fetches print the same path" cmp -s "$tmp/a" "$tmp/b"
check "the cache holds one verified file" sh -c "[ \"\$(ls -A '$cache')\" = '$sha' ] && [ \"\$(sha256sum '$cache/$sha' | cut -d' ' -f1)\" = '$sha' ]"

run 0 "$tmp/copy" -- fetch "$url/blob" --sha256 "sha256:$sha" -o "$tmp/copy"
check "-o copies the file" cmp -s "$tmp/copy" "$tmp/www/blob"
run 0 '"cached":true' -- --json fetch "$url/blob" --sha256 "$sha" --offline
run 1 "not in the cache" -- fetch "$url/other" --sha256 "$(printf '%064d' 1)" --offline
run 0 "sha256:" -- hash-tree "$src/tests/data/recipe-inputs"
tree=$(cat "$tmp/out")
cp -r "$src/tests/data/recipe-inputs" "$tmp/copy-tree"
run 0 "$tree" -- hash-tree "$tmp/copy-tree"
chmod +x "$tmp/copy-tree/motd.txt"
run 0 "sha256:" -- hash-tree "$tmp/copy-tree"
check "the executable bit changes the tree hash" sh -c "! grep -qF '$tree' '$tmp/out'"
run 2 "expected exactly one DIR" -- hash-tree
run 1 "cannot read directory" -- hash-tree "$tmp/missing"
exit $fail
