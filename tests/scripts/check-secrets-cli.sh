#!/bin/sh
# tdxctl secrets push|status|list against the agent binary, as a user runs
# them: the bundled example's manifest (from `tdxctl secrets list --json`),
# the sim provider's test PKI, a temporary root; exit codes, messages, and
# that no value ever shows up in an output, a message or the agent's log.
# Usage: check-secrets-cli.sh TDXCTL AGENT SOURCE_ROOT
set -u
tdxctl=$1
agent=$2
src=$3
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch

recipe="$src/examples/minimal.json"
sock="$tmp/agent.sock"
addr="unix:$sock"
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# list: what the image expects, as a table and as the manifest itself.
expect 0 "" "$tdxctl" secrets list "$recipe"
grep -q '^greeting_key  *yes  *hex  *64-64  *0400  *hello:hello  */run/hello/key.hex$' "$tmp/out" ||
    { echo "FAIL: list table:"; cat "$tmp/out"; fail=1; }
expect 0 "" "$tdxctl" secrets list "$recipe" --json
python3 -c 'import json,sys; o = json.load(open(sys.argv[1])); assert o["ok"] is True; json.dump(o["manifest"], open(sys.argv[2], "w"))' \
    "$tmp/out" "$tmp/secrets.json" || { echo "FAIL: list --json: no manifest in the envelope"; fail=1; }
check "list --json is the manifest tdxctl emit writes" sh -c \
    "'$tdxctl' emit '$recipe' -o '$tmp/tree' --no-agent-binary 2>/dev/null &&
     cmp -s '$tmp/tree/mkosi.extra/etc/tdx-agent/secrets.json' '$tmp/secrets.json' ||
     python3 -c 'import json,sys; sys.exit(json.load(open(\"$tmp/tree/mkosi.extra/etc/tdx-agent/secrets.json\")) != json.load(open(\"$tmp/secrets.json\")))'"
expect 1 "unknown profile \"nope\"; profiles: default" "$tdxctl" secrets list "$recipe" --profile nope

# Usage errors.
expect 2 "secrets: expected a verb" "$tdxctl" secrets
expect 2 "secrets: unknown verb 'pull'" "$tdxctl" secrets pull
expect 2 "secrets: push: --connect ADDR is required" "$tdxctl" secrets push --secrets x
expect 2 "secrets: push: --secrets FILE is required" "$tdxctl" secrets push --connect "$addr"
expect 2 "give --expected FILE, or --any-measurements" "$tdxctl" secrets push --connect "$addr" --secrets x
expect 2 "--expected and --any-measurements exclude each other" "$tdxctl" secrets push \
    --connect "$addr" --secrets x --expected y --any-measurements
expect 2 "--insecure-unattested verifies nothing" "$tdxctl" secrets push --connect "$addr" \
    --secrets x --insecure-unattested --root y
expect 2 "status takes only --connect and --json" "$tdxctl" secrets status --connect "$addr" --secrets x
expect 2 "list takes only --profile and --json" "$tdxctl" secrets list "$recipe" --connect "$addr"
expect 2 "--now: \"yesterday\" is not an RFC 3339 time" "$tdxctl" secrets push --connect "$addr" \
    --secrets /dev/null --any-measurements --now yesterday
expect 0 "" "$tdxctl" secrets --help
expect 2 "secrets: keygen: -o KEY is required" "$tdxctl" secrets keygen
expect 2 "--sender-key goes with 'push'" "$tdxctl" secrets status --connect "$addr" --sender-key x

# Without senders the list says plainly who can deliver.
expect 0 "" "$tdxctl" secrets list "$recipe"
grep -q "^senders: none: anyone who reaches the agent can deliver" "$tmp/out" ||
    { echo "FAIL: list without senders:"; cat "$tmp/out"; fail=1; }

# Environment targets are listed with their scopes.
cat >"$tmp/env-recipe.json" <<'JSON'
{"name": "e", "base": "debian/bookworm", "services": [{"name": "app", "exec": "/bin/app"}],
 "secrets": [{"name": "api", "targets": [{"env": "API_TOKEN"}, {"env": "TOKEN", "scope": "service:app"}]}]}
JSON
expect 0 "" "$tdxctl" secrets list "$tmp/env-recipe.json"
grep -q '^api .* (environment only)$' "$tmp/out" && grep -q '^  *env API_TOKEN (global)$' "$tmp/out" &&
    grep -q '^  *env TOKEN (service:app)$' "$tmp/out" || { echo "FAIL: list env targets:"; cat "$tmp/out"; fail=1; }

# Sender keys: a new 0600 file, the public key printed, never overwritten.
expect 0 "" "$tdxctl" secrets keygen -o "$tmp/ops.key" --json
check "keygen --json" python3 -c "
import base64, json
o = json.load(open('$tmp/out'))
assert o['ok'] is True and len(base64.b64decode(o['public_key'], validate=True)) == 32, o
"
ops_pub=$(python3 -c "import json; print(json.load(open('$tmp/out'))['public_key'])")
check "the private key is 0600" test "$(stat -c %a "$tmp/ops.key")" = 600
expect 1 "exists; a key file is never replaced" "$tdxctl" secrets keygen -o "$tmp/ops.key"
expect 0 "" "$tdxctl" secrets keygen -o "$tmp/stranger.key"
check "keygen prints the public key alone" sh -c "[ \$(wc -c <'$tmp/out') -eq 45 ]"
cp "$tmp/ops.key" "$tmp/open.key" && chmod 644 "$tmp/open.key"

# The image's root: the example's service user.
mkdir -p "$tmp/root/etc"
printf 'root:x:0:0::/root:/bin/sh\nhello:x:%s:%s::/var/lib/hello:/bin/false\n' "$(id -u)" "$(id -g)" >"$tmp/root/etc/passwd"
printf 'root:x:0:\nhello:x:%s:\n' "$(id -g)" >"$tmp/root/etc/group"
"$tdxctl" dev sim-pki "$tmp/pki" 2>/dev/null
"$tdxctl" dev sim-pki "$tmp/other" 2>/dev/null
"$agent" --listen "$addr" --quote-provider "sim:$tmp/pki" --manifest "$tmp/secrets.json" \
    --root-dir "$tmp/root" --ready-file "$tmp/ready" 2>"$tmp/agent.log" &
pid=$!

expect 0 "" "$tdxctl" secrets status --connect "$addr"
grep -q '^ready: no$' "$tmp/out" && grep -q 'greeting_key  *required  *missing' "$tmp/out" ||
    { echo "FAIL: status before:"; cat "$tmp/out"; fail=1; }

# Secrets files: a readable one is warned about; errors name the line.
printf 'greeting_key=%s\n' "$key" >"$tmp/s.env"
chmod 644 "$tmp/s.env"
printf '# comment\ngreeting_key %s\n' "$key" >"$tmp/bad.env"
chmod 600 "$tmp/bad.env"
expect 1 "bad.env: line 2: expected NAME=value" "$tdxctl" secrets push --connect "$addr" \
    --secrets "$tmp/bad.env" --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem"

# Failed checks: exit 1, the step named, nothing sent.
sed 's/"mrtd": "0/"mrtd": "1/' "$tmp/pki/expected.json" >"$tmp/wrong.json"
expect 1 "quote: measurements: " "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/wrong.json" --root "$tmp/pki/root.pem"
grep -q "nothing was sent" "$tmp/err" || { echo "FAIL: no 'nothing was sent'"; cat "$tmp/err"; fail=1; }
grep -q "is readable by other users (mode 0644)" "$tmp/err" || { echo "FAIL: no readable-file warning"; fail=1; }
expect 1 "quote: pck_chain: " "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/pki/expected.json" --root "$tmp/other/root.pem"
expect 1 "quote: pck_chain: " "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --any-measurements
# A policy file: its paths relative to itself, its TD pins checked; one
# without expected measurements is refused before connecting.
printf '{"expected": "pki/expected.json", "root": "pki/root.pem"}\n' >"$tmp/policy.json"
printf '{"expected": "pki/expected.json", "root": "pki/root.pem", "mrowner": "%096d"}\n' 1 >"$tmp/owner.json"
printf '{"root": "pki/root.pem"}\n' >"$tmp/noexp.json"
expect 1 "quote: mrowner: MROWNER is 0000" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --policy "$tmp/owner.json"
expect 2 "the policy $tmp/noexp.json has no \"expected\" measurements" "$tdxctl" secrets push \
    --connect "$addr" --secrets "$tmp/s.env" --policy "$tmp/noexp.json"
check "nothing written after refused pushes" test ! -e "$tmp/root/run/hello/key.hex"
expect 1 "does not allow deliveries without a quote" "$tdxctl" secrets push --connect "$addr" \
    --secrets "$tmp/s.env" --insecure-unattested
grep -q "INSECURE" "$tmp/err" || { echo "FAIL: --insecure-unattested is not loud"; fail=1; }

# Values against the schema: refused by the agent, named, never echoed.
printf 'greeting_key=%s\n' "$(printf '%s' "$key" | cut -c1-20)" >"$tmp/short.env"
printf 'greeting_key=%s\nother=1\n' "$key" >"$tmp/unknown.env"
chmod 600 "$tmp/s.env" "$tmp/short.env" "$tmp/unknown.env"
expect 1 "secret \"greeting_key\": expected 64 to 64 bytes, got 20" "$tdxctl" secrets push \
    --connect "$addr" --secrets "$tmp/short.env" --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem"
grep -q "(the agent changed nothing)" "$tmp/err" || { echo "FAIL: refusal not said"; cat "$tmp/err"; fail=1; }
expect 1 "unknown secret \"other\"" "$tdxctl" secrets push --connect "$addr" \
    --secrets "$tmp/unknown.env" --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem"
check "nothing written after refused deliveries" test ! -e "$tmp/root/run/hello/key.hex"

# The push.
expect 0 "no collateral" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem"
grep -q '^quote:     verified (SIMULATED' "$tmp/out" && grep -q '^delivered: 1 secret to ' "$tmp/out" &&
    grep -q '^ready:     yes' "$tmp/out" || { echo "FAIL: push output:"; cat "$tmp/out"; fail=1; }
check "the secret is on disk" test "$(cat "$tmp/root/run/hello/key.hex")" = "$key"
check "with the manifest's mode" test "$(stat -c %a "$tmp/root/run/hello/key.hex")" = 400
check "the ready file exists" test -e "$tmp/ready"
digest=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
grep -q "greeting_key  *sha256 $digest" "$tmp/out" || { echo "FAIL: digest not shown"; fail=1; }

# JSON output, from a JSON secrets file.
printf '{"greeting_key": "%s"}\n' "$key" >"$tmp/s.json"
chmod 600 "$tmp/s.json"
expect 0 "" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.json" --policy "$tmp/policy.json" --json
check "push --json" python3 -c "
import json, sys
o = json.load(open('$tmp/out'))
assert o['ok'] and o['delivered'] and o['attested'] and o['ready'], o
assert o['verification']['verified'] and o['verification']['step'] is None, o
assert o['written'] == [{'name': 'greeting_key', 'sha256': '$digest'}], o
"
expect 0 "" "$tdxctl" secrets status --connect "$addr" --json
check "status --json" python3 -c "
import json
o = json.load(open('$tmp/out'))
assert o['ready'] and o['missing'] == [] and o['secrets'][0]['present'], o
"

# A sender key for an image without senders is refused: it takes base mode only.
expect 1 "lists no senders" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.json" \
    --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem" --sender-key "$tmp/ops.key"
expect 1 "readable by others (mode 0644)" "$tdxctl" secrets push --connect "$addr" \
    --secrets "$tmp/s.json" --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem" \
    --sender-key "$tmp/open.key"
expect 0 "" "$tdxctl" secrets status --connect "$addr"
grep -q "^senders: none: anyone" "$tmp/out" || { echo "FAIL: status without senders"; cat "$tmp/out"; fail=1; }

# An image whose recipe lists ops: only ops's key delivers.
python3 -c "
import json
r = json.load(open('$recipe'))
r.setdefault('secret_delivery', {})['senders'] = [{'name': 'ops', 'public_key': '$ops_pub'}]
json.dump(r, open('$tmp/senders.json', 'w'))
"
cp -r "$src/examples/minimal" "$tmp/minimal"   # the recipe's files, beside it
expect 0 "" "$tdxctl" secrets list "$tmp/senders.json"
grep -q "^senders: ops (only deliveries sealed with their keys are taken)" "$tmp/out" ||
    { echo "FAIL: list with senders:"; cat "$tmp/out"; fail=1; }
expect 0 "" "$tdxctl" secrets list "$tmp/senders.json" --json
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["manifest"], open(sys.argv[2], "w"))' \
    "$tmp/out" "$tmp/senders-manifest.json"
mkdir -p "$tmp/root2/etc"
cp "$tmp/root/etc/passwd" "$tmp/root/etc/group" "$tmp/root2/etc/"
addr2="unix:$tmp/agent2.sock"
"$agent" --listen "$addr2" --quote-provider "sim:$tmp/pki" --manifest "$tmp/senders-manifest.json" \
    --root-dir "$tmp/root2" --ready-file "$tmp/ready2" 2>"$tmp/agent2.log" &
pid2=$!
expect 1 "(HPKE base mode) is refused" "$tdxctl" secrets push --connect "$addr2" --secrets "$tmp/s.json" \
    --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem"
expect 1 "is not one of this image's senders" "$tdxctl" secrets push --connect "$addr2" \
    --secrets "$tmp/s.json" --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem" \
    --sender-key "$tmp/stranger.key"
check "nothing written for a refused sender" test ! -e "$tmp/root2/run/hello/key.hex"
expect 0 "" "$tdxctl" secrets push --connect "$addr2" --secrets "$tmp/s.json" \
    --expected "$tmp/pki/expected.json" --root "$tmp/pki/root.pem" --sender-key "$tmp/ops.key"
grep -q '^sender:    ops (the agent checked the sender key)' "$tmp/out" ||
    { echo "FAIL: push as ops:"; cat "$tmp/out"; fail=1; }
check "ops's secret is on disk" test "$(cat "$tmp/root2/run/hello/key.hex")" = "$key"
expect 0 "" "$tdxctl" secrets status --connect "$addr2" --json
check "status names the sender" python3 -c "
import json
o = json.load(open('$tmp/out'))
assert o['senders'] == ['ops'] and o['secrets'][0]['sender'] == 'ops', o
"
kill "$pid2"
wait "$pid2"
check "the second agent stopped cleanly" test $? -eq 0
cat "$tmp/agent2.log" >>"$tmp/agent.log"

# No value anywhere it should not be.
for f in "$tmp"/out "$tmp"/err "$tmp/agent.log"; do
    check "no value in $(basename "$f")" sh -c "! grep -q '$key' '$f'"
done

kill "$pid"
wait "$pid"
check "the agent stopped cleanly" test $? -eq 0
pid=
exit $fail
