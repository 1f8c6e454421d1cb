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

# interrupt SIG DIR MARK CMD...: runs CMD (which writes DIR/out) until it
# stops at the test hook (docs/development.md), with its staging tree
# complete (DIR/.out.tmp-*/MARK exists) and the rename not done; sends SIG
# and checks that it died of it and left neither a staging directory nor a
# half tree. A shell starts background jobs with SIGINT ignored; perl
# restores the default before exec.
interrupt() {
    sig=$1 dir=$2 mark=$3
    shift 3
    rm -rf "$dir" && mkdir "$dir"
    TDX_TEST_STAGING_PAUSE=1 perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
        "$@" 2>"$tmp/int.err" &
    child=$!
    tries=0
    until ls "$dir"/.out.tmp-*/"$mark" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 600 ] || ! kill -0 $child 2>/dev/null; then
            echo "FAIL: SIG$sig: $1 $2 never reached its staging pause"; cat "$tmp/int.err"
            fail=1
            break
        fi
        sleep 0.1
    done
    kill -"$sig" $child
    wait $child
    status=$?
    check "SIG$sig: $2 dies of the signal (status $status)" test $status -gt 128
    check "SIG$sig: $2 leaves no staging directory" test "$(staging "$dir")" = 0
    check "SIG$sig: $2 leaves no half tree" test ! -e "$dir/out"
}

for sig in INT TERM; do
    interrupt $sig "$tmp/int" mkosi.conf \
        "$tdxctl" emit "$src/examples/node.json" -o "$tmp/int/out" --no-agent-binary
done
if command -v dpkg-deb >/dev/null 2>&1; then
    mkdir -p "$tmp/pkg/DEBIAN" "$tmp/pkg/usr/share/tdx-int"
    printf 'Package: tdx-int\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n' \
        >"$tmp/pkg/DEBIAN/control"
    echo data >"$tmp/pkg/usr/share/tdx-int/file"
    dpkg-deb --root-owner-group --build "$tmp/pkg" "$tmp/int.deb" >/dev/null
    interrupt INT "$tmp/deb" usr/share/tdx-int/file "$tdxctl" deb extract "$tmp/int.deb" -o "$tmp/deb/out"
else
    echo "dpkg-deb not installed: deb extract interruption not checked"
fi

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

# An interrupted --force leaves the old tree and the build's files as they were.
TDX_TEST_STAGING_PAUSE=1 perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
    "$tdxctl" emit "$src/examples/minimal.json" -o "$out" --force --no-agent-binary 2>"$tmp/int.err" &
child=$!
tries=0
until ls "$tmp"/stale/.out.tmp-"$child"-*/mkosi.conf >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ $tries -gt 600 ] && { echo "FAIL: --force never reached its staging pause"; fail=1; break; }
    sleep 0.1
done
kill -INT $child
wait $child
check "interrupted --force: old tree kept" grep -q 'for image "node"' "$out/mkosi.conf"
check "interrupted --force: build output kept" test "$(cat "$out/mkosi.output/image.raw")" = image
check "interrupted --force: no staging directory left" \
    test -z "$(find "$tmp/stale" -maxdepth 1 -name ".out.tmp-$child-*")"

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
