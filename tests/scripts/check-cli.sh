#!/bin/sh
# tdxctl's conventions: --help/--version exit 0, usage errors exit 2,
# failures exit 1 with "tdxctl: " on stderr, --json prints one object.
# Usage: check-cli.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"

expect 0 "" "$tdxctl" --help
grep -q '^Usage: tdxctl' "$tmp/out" || { echo "FAIL: --help prints no usage"; fail=1; }
expect 0 "" "$tdxctl" --version
grep -q '^tdxctl [0-9]' "$tmp/out" || { echo "FAIL: --version prints no version"; fail=1; }
expect 0 "" "$tdxctl" emit --help
expect 0 "" "$tdxctl" recipe --help
expect 2 "tdxctl: no command given" "$tdxctl"
expect 2 "tdxctl: unknown command 'frobnicate'" "$tdxctl" frobnicate
expect 2 "tdxctl: unknown option '--frob'" "$tdxctl" --frob
expect 2 "tdxctl: emit: -o DIR is required" "$tdxctl" emit "$src/examples/minimal.json"
expect 2 "tdxctl: emit: expected exactly one RECIPE.json" "$tdxctl" emit -o "$tmp/x"
expect 2 "emit: -o needs a value" "$tdxctl" emit "$src/examples/minimal.json" -o
expect 2 "emit: --profile needs a value" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/x" --profile
expect 2 "emit: unknown option '--frob'" "$tdxctl" emit "$src/examples/minimal.json" --frob=1
expect 2 "emit: --force takes no value" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/x" --force=yes
# Option values: one range-checked parser, and wrong values are usage errors.
expect 2 "emit: --output: expected a file or directory name, got ''" "$tdxctl" emit "$src/examples/minimal.json" -o ""
expect 2 "agent: --connect: expected \"vsock:CID:PORT\", \"tcp:HOST:PORT\" or \"unix:PATH\", got 'bogus'" \
    "$tdxctl" agent info --connect bogus
expect 2 "secrets: --connect: expected" "$tdxctl" secrets status --connect bogus
expect 2 "measure: --cpus: expected a number from 1 to 4096, got '4294967297'" \
    "$tdxctl" measure --firmware x --kernel y --cpus 4294967297
expect 2 "measure: --cpus: expected a number (decimal digits), got '0x10'" "$tdxctl" measure --firmware x --kernel y --cpus 0x10
expect 2 "measure: --memory: expected 1 to 16777216 MiB, got '0'" "$tdxctl" measure --firmware x --kernel y --memory 0
expect 2 "measure: --memory: expected a size from 1048576 to 17592186044416, got '0G'" \
    "$tdxctl" measure --firmware x --kernel y --memory 0G
expect 2 "measure: --stub-version: expected a number" "$tdxctl" measure --uki x --tpm --stub-version -1
expect 2 "fetch: --stall-timeout: expected a number from 1 to 86400, got '86401'" \
    "$tdxctl" fetch http://127.0.0.1:1/x --sha256 00 --stall-timeout 86401
expect 2 "fetch: --max-size: expected a size" "$tdxctl" fetch http://127.0.0.1:1/x --sha256 00 --max-size 1.5G
expect 2 "quote: --min-tcb-evaluation: expected a number from 0 to 2147483647, got '2147483648'" \
    "$tdxctl" quote verify q --min-tcb-evaluation 2147483648
expect 2 "agent: --connect-timeout: expected a number from 0 to 3600000, got '3600001'" \
    "$tdxctl" agent info --connect unix:x --connect-timeout 3600001
expect 2 "recipe: -p needs a value" "$tdxctl" recipe show "$src/examples/node.json" -p
expect 2 "pe-hash: unknown option '-x'" "$tdxctl" pe-hash -x f
expect 1 "tdxctl: $tmp/missing.json: cannot read: No such file or directory" "$tdxctl" emit "$tmp/missing.json" -o "$tmp/x"
printf '{"services": [{"name": "web"}]}' >"$tmp/bad.json"
expect 1 "tdxctl: $tmp/bad.json: services[0].exec: required" "$tdxctl" recipe check "$tmp/bad.json"
# One message for a profile that is not there, whichever command meets it.
expect 1 "tdxctl: unknown profile \"nope\"; profiles: default" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/x" --profile nope --no-agent-binary
expect 1 "tdxctl: unknown profile \"nosuch\"; profiles: default, dev, azure, gcp" "$tdxctl" recipe show "$src/examples/node.json" -p nosuch
expect 1 "tdxctl: unknown profile \"nosuch\"; profiles: default, dev, azure, gcp" "$tdxctl" secrets list "$src/examples/node.json" -p nosuch
expect 0 "" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/tree" --no-agent-binary
expect 1 "exists and is not empty" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/tree" --no-agent-binary
expect 0 "" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/tree" --force --no-agent-binary
expect 0 "" "$tdxctl" recipe check "$src/examples/node.json"
expect 0 "" "$tdxctl" recipe profiles "$src/examples/node.json"
[ "$(tr '\n' ' ' <"$tmp/out")" = "default dev azure gcp " ] || { echo "FAIL: profiles: $(cat "$tmp/out")"; fail=1; }

# --json: one object on stdout, also on failure.
expect 0 "" "$tdxctl" --json recipe profiles "$src/examples/node.json"
grep -qx '{"image":"node","ok":true,"profiles":\["default","dev","azure","gcp"\]}' "$tmp/out" ||
    { echo "FAIL: json profiles: $(cat "$tmp/out")"; fail=1; }
expect 1 "tdxctl:" "$tdxctl" recipe check --json "$tmp/bad.json"
grep -q '^{"error":{"code":"EINVAL","message":".*services\[0\].exec: required"},"ok":false}$' "$tmp/out" ||
    { echo "FAIL: json error: $(cat "$tmp/out")"; fail=1; }
expect 0 "" "$tdxctl" emit --json "$src/examples/minimal.json" -o "$tmp/tree2" --no-agent-binary
grep -q '"ok":true' "$tmp/out" || { echo "FAIL: json emit: $(cat "$tmp/out")"; fail=1; }
expect 0 "" "$tdxctl" recipe show "$src/examples/node.json" --profile dev
grep -q '"image_id": "node-dev"' "$tmp/out" || { echo "FAIL: show does not print the dev recipe"; fail=1; }

# The agent binary option: a file that is not executable is refused.
printf 'x' >"$tmp/agent"
expect 1 "is not an executable file" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/t3" --agent-binary "$tmp/agent"
chmod +x "$tmp/agent"
expect 0 "" "$tdxctl" emit "$src/examples/minimal.json" -o "$tmp/t3" --agent-binary "$tmp/agent"
[ -x "$tmp/t3/mkosi.extra/usr/sbin/tdx-agent" ] || { echo "FAIL: agent binary not in the tree"; fail=1; }

# Pinned inputs: help, usage errors.
for c in fetch hash-tree deb lock; do expect 0 "" "$tdxctl" $c --help; done
expect 2 "tdxctl: fetch: --sha256 HEX is required" "$tdxctl" fetch https://example.org/x
expect 2 "tdxctl: deb: expected a verb" "$tdxctl" deb fetch
expect 2 "tdxctl: lock: expected a RECIPE.json" "$tdxctl" lock
expect 1 "is not a SHA-256" "$tdxctl" fetch https://example.org/x --sha256 123
exit $fail
