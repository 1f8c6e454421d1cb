#!/bin/sh
# What emit leaves behind and what it may touch: an interrupted emit leaves
# no staging directory (tdxctl's SIGINT/SIGTERM handlers call
# tdx_staging_cleanup()), one left by a dead process goes on the next run,
# --force keeps what a build left in the tree, and a recipe copies host
# files only from its own directory unless --allow-outside-src.
# Usage: check-emit-safety.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"

staging() { find "$1" -mindepth 1 -maxdepth 1 -name '.*.tmp-*' | wc -l; }

# Interrupt emit at the test hook (docs/development.md): the staging tree
# is complete, the rename not done. A shell starts background jobs with
# SIGINT ignored; perl restores the default before exec.
for sig in INT TERM; do
    rm -rf "$tmp/int" && mkdir "$tmp/int"
    TDX_TEST_STAGING_PAUSE=1 perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
        "$tdxctl" emit "$src/examples/node.json" -o "$tmp/int/out" --no-agent-binary \
        2>"$tmp/int.err" &
    child=$!
    tries=0
    until ls "$tmp"/int/.out.tmp-*/mkosi.conf >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 600 ] || ! kill -0 $child 2>/dev/null; then
            echo "FAIL: SIG$sig: emit never reached its staging pause"; cat "$tmp/int.err"; fail=1; break
        fi
        sleep 0.1
    done
    kill -"$sig" $child
    wait $child
    status=$?
    check "SIG$sig: emit dies of the signal (status $status)" test $status -gt 128
    check "SIG$sig: no staging directory left" test "$(staging "$tmp/int")" = 0
    check "SIG$sig: no half tree at the target" test ! -e "$tmp/int/out"
done

# A staging directory of a dead process is removed by the next emit next to
# it; one of a live process (this shell) is not.
sh -c 'exit 0' &
dead=$!
wait $dead
mkdir -p "$tmp/stale/.out.tmp-$dead-AbCdEf/mkosi.extra" "$tmp/stale/.out.tmp-$$-GhIjKl"
echo old >"$tmp/stale/.out.tmp-$dead-AbCdEf/mkosi.extra/big"
expect 0 "" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/stale/out" --no-agent-binary
check "stale staging directory of PID $dead removed" test ! -e "$tmp/stale/.out.tmp-$dead-AbCdEf"
check "staging directory of a live process kept" test -d "$tmp/stale/.out.tmp-$$-GhIjKl"

# --force keeps a build's outputs and the user's files.
out=$tmp/stale/out
mkdir -p "$out/mkosi.output" "$out/mkosi.cache"
echo image >"$out/mkosi.output/image.raw"
echo cache >"$out/mkosi.cache/pkg"
printf '[Build]\n' >"$out/mkosi.local.conf"
expect 0 "" "$tdxctl" emit "$src/examples/node.json" -o "$out" --force --no-agent-binary
check "--force keeps mkosi.output/" test "$(cat "$out/mkosi.output/image.raw")" = image
check "--force keeps mkosi.cache/" test "$(cat "$out/mkosi.cache/pkg")" = cache
check "--force keeps mkosi.local.conf" test -f "$out/mkosi.local.conf"
check "--force replaced the tree" grep -q 'for image "node"' "$out/mkosi.conf"
check "--force removed what only the old tree wrote" test ! -e "$out/mkosi.extra/usr/local/bin/hello-secret"

# The recipe's directory is the boundary of what it may copy.
mkdir -p "$tmp/r"
echo secret >"$tmp/outside"
ln -s "$tmp/outside" "$tmp/r/link"
printf '{"files": [{"dest": "/etc/x", "src": "../outside"}]}' >"$tmp/r/up.json"
printf '{"files": [{"dest": "/etc/x", "src": "link"}]}' >"$tmp/r/link.json"
for r in up link; do
    expect 1 "is outside the recipe's directory" "$tdxctl" emit "$tmp/r/$r.json" -o "$tmp/r/out-$r" --no-agent-binary
    check "$r: nothing written" test ! -e "$tmp/r/out-$r"
    expect 0 "" "$tdxctl" emit "$tmp/r/$r.json" -o "$tmp/r/out-$r" --no-agent-binary --allow-outside-src
    check "$r: copied when allowed" test "$(cat "$tmp/r/out-$r/mkosi.extra/etc/x")" = secret
done
exit $fail
