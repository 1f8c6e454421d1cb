#!/bin/sh
# What tdxctl does with an agent's replies when they are not what the
# protocol promises: a fake agent (fake-agent.py) sends terminal escapes,
# newlines, missing members and wrong types, and the real agent, at its
# connection cap, closes on the request it does not read.
# Usage: check-agent-replies.sh TDXCTL AGENT SOURCE_ROOT
set -u
# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
tdxctl=$1 agent=$2 src=$3 fail=0
make_scratch
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
fake=''
holder=''
# shellcheck disable=SC2086  # the ids are numbers or empty
trap 'kill $pid $fake $holder 2>/dev/null; rm -rf "$tmp"' EXIT

esc=$(printf '\033')
info='"agent": "tdx-agent", "version": "1.0", "protocol": 1, "quote_provider": "configfs",
      "simulated": false, "tdx": {"cpuid": true, "configfs_tsm": true, "ccel": true},
      "listeners": ["vsock:1050"], "uptime_seconds": 5, "manifest": null'
status='"secrets": [{"name": "k", "required": true, "present": false}], "ready": false, "missing": ["k"]'

# serve REPLIES_JSON: (re)starts the fake agent with these replies.
serve() {
    [ -n "$fake" ] && kill "$fake" 2>/dev/null && wait "$fake" 2>/dev/null
    printf '%s' "$1" >"$tmp/replies.json"
    rm -f "$tmp/ready"
    python3 "$src/tests/scripts/fake-agent.py" "$tmp/fake.sock" "$tmp/replies.json" >"$tmp/ready" &
    fake=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/ready" ] && break; sleep 0.2; done
}
addr="unix:$tmp/fake.sock"

# A well-formed reply prints; the protocol's shape is what the check wants.
serve "{\"info\": {$info}, \"secrets.status\": {$status}}"
expect 0 "" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
grep -q '^agent       tdx-agent 1.0 (protocol 1)$' "$tmp/out" || { echo "FAIL: info: $(cat "$tmp/out")"; fail=1; }
expect 0 "" "$tdxctl" secrets status --connect "$addr" --connect-timeout 3000
grep -q '^  k  *required  *missing$' "$tmp/out" || { echo "FAIL: status: $(cat "$tmp/out")"; fail=1; }

# bootvars: names become file names on the host, so only BootOrder first
# and the options it lists pass; BootOrder "AQADAA==" lists 0001 and 0003.
bv() { # VARIABLES_JSON EXPECTED_MESSAGE
    serve "{\"bootvars\": {\"variables\": $1}}"
    expect 1 "$2" "$tdxctl" agent bootvars --connect "$addr" --connect-timeout 3000 -o "$tmp/bv"
    check "bootvars: nothing written for $1" test ! -e "$tmp/bv"
}
order='{"name": "BootOrder", "data": "AQADAA=="}'
bv '[]' "bootvars: \"variables\": expected an array of 1 to 65 entries"
bv '[{"name": "Boot0001", "data": "AAA="}]' "bootvars: variables[0] is \"Boot0001\", not BootOrder"
bv '[{"name": "BootOrder", "data": "AQ=="}]' "bootvars: BootOrder has 1 bytes, not a list of 16-bit option numbers"
bv "[$order, {\"name\": \"../../etc/passwd\", \"data\": \"AAA=\"}]" "bootvars: variables[1].name: expected a variable name"
bv "[$order, {\"name\": \"../passwd\", \"data\": \"AAA=\"}]" "bootvars: variables[1] \"../passwd\" is not an option BootOrder lists"
bv "[$order, {\"name\": \"Boot0002\", \"data\": \"AAA=\"}]" "bootvars: variables[1] \"Boot0002\" is not an option BootOrder lists"
bv "[$order, {\"name\": \"Boot0003\", \"data\": \"AAA=\"}, {\"name\": \"Boot0003\", \"data\": \"AAA=\"}]" \
    "bootvars: Boot0003 appears twice"
bv "[$order, {\"name\": \"Boot0001\", \"data\": \"\"}]" "bootvars: Boot0001 is empty"
bv "[$order, {\"name\": \"Boot0001\", \"data\": 5}]" "bootvars"
serve "{\"bootvars\": {\"variables\": [$order, {\"name\": \"Boot0003\", \"data\": \"AAA=\"}]}}"
expect 0 "wrote 2 boot variable(s)" "$tdxctl" agent bootvars --connect "$addr" --connect-timeout 3000 -o "$tmp/bv"
check "bootvars: a well-formed reply is written" test "$(od -An -tx1 "$tmp/bv/BootOrder" | tr -d ' \n')" = 01000300
rm -rf "$tmp/bv"

# Escapes and newlines from the agent never reach the terminal raw.
# (JSON escapes, written as they are: the fake agent sends the decoded bytes.)
hostile='\u001b]0;owned\u0007\u001b[2J\nforged line\r\u009b31m'
serve "{\"info\": {$(printf '%s' "$info" | sed 's|"1.0"|"@H@"|; s|"vsock:1050"|"vsock:1050@H@"|')},
        \"secrets.status\": {$(printf '%s' "$status" | sed 's|"name": "k"|"name": "@H@"|')}}"
python3 -c 'import sys; p = sys.argv[1]; t = open(p).read(); open(p, "w").write(t.replace("@H@", sys.argv[2]))' \
    "$tmp/replies.json" "$hostile"
serve "$(cat "$tmp/replies.json")"
expect 0 "" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
check "info: no ESC reaches the terminal" sh -c "! grep -q '$esc' '$tmp/out'"
check "info: no BEL or C1 CSI" sh -c "! LC_ALL=C grep -q \"\$(printf '\\007\\|\\302\\233')\" '$tmp/out'"
check "info: the agent's newline forges no line" sh -c "! grep -q '^forged line' '$tmp/out'"
grep -q '^agent       tdx-agent  ]0;owned  \[2J forged line ??31m (protocol 1)$' "$tmp/out" ||
    { echo "FAIL: info sanitised: $(cat -A "$tmp/out")"; fail=1; }
expect 0 "" "$tdxctl" secrets status --connect "$addr" --connect-timeout 3000
check "status: no ESC reaches the terminal" sh -c "! grep -q '$esc' '$tmp/out'"
check "status: no forged line" sh -c "! grep -q '^forged line' '$tmp/out'"
# --json keeps the agent's text, JSON-escaped.
expect 0 "" "$tdxctl" --json agent info --connect "$addr" --connect-timeout 3000
grep -qF '"version":"\u001B]0;owned\u0007\u001B[2J\nforged line\r' "$tmp/out" ||
    { echo "FAIL: --json info:"; cat "$tmp/out"; fail=1; }

# Missing members and wrong types are refused, naming the member.
serve "{\"info\": {$(printf '%s' "$info" | sed 's|"quote_provider": "configfs",||')}}"
expect 1 "$addr: info: reply: quote_provider: expected a string, got nothing" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
check "no (null) printed" sh -c "! grep -q '(null)' '$tmp/out' '$tmp/err'"
serve "{\"info\": {$(printf '%s' "$info" | sed 's|"simulated": false|"simulated": "no"|')}}"
expect 1 "info: reply: simulated: expected a boolean, got a string" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
serve "{\"info\": {$(printf '%s' "$info" | sed 's|"ccel": true|"ccel": 1|')}}"
expect 1 "info: reply: tdx.ccel: expected a boolean, got an integer" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
serve "{\"info\": {$(printf '%s' "$info" | sed 's|\["vsock:1050"\]|["vsock:1050", 7]|')}}"
expect 1 "info: reply: listeners: expected an array of strings, got an array" "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
serve "{\"info\": {$(printf '%s' "$info" | sed 's|"manifest": null|"manifest": {"path": "/m", "secrets": -1, "required": 0}|')}}"
expect 1 "info: reply: manifest.secrets: expected a non-negative integer, got an integer" \
    "$tdxctl" agent info --connect "$addr" --connect-timeout 3000
serve "{\"secrets.status\": {$(printf '%s' "$status" | sed 's|"present": false|"present": false}, {"name": 5, "required": true, "present": true|')}}"
expect 1 "secrets.status: reply: secrets[1].name: expected a string, got an integer" \
    "$tdxctl" secrets status --connect "$addr" --connect-timeout 3000
serve "{\"secrets.status\": {$(printf '%s' "$status" | sed 's|, "missing": \["k"\]||')}}"
expect 1 "secrets.status: reply: missing: expected an array of strings, got nothing" \
    "$tdxctl" --json secrets status --connect "$addr" --connect-timeout 3000
grep -q '"code":"EPROTO"' "$tmp/out" || { echo "FAIL: --json code: $(cat "$tmp/out")"; fail=1; }

# The real agent at its connection cap: one connection held open, every
# further client is told "busy" (not "Broken pipe", which it often was when
# the agent closed before reading the request), on unix and TCP sockets.
"$tdxctl" dev sim-pki "$tmp/pki" 2>/dev/null
port=$(free_port)
"$agent" --listen "unix:$tmp/agent.sock" --listen "tcp:127.0.0.1:$port" --quote-provider "sim:$tmp/pki" \
    --max-connections 1 2>"$tmp/agent.log" &
pid=$!
expect 0 "" "$tdxctl" agent info --connect "unix:$tmp/agent.sock" --connect-timeout 10000
python3 -c 'import socket,sys,time; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print("held", flush=True); time.sleep(60)' \
    "$tmp/agent.sock" >"$tmp/held" &
holder=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/held" ] && break; sleep 0.2; done
busy=0 other=0
for _ in $(seq 20); do
    for a in "unix:$tmp/agent.sock" "tcp:127.0.0.1:$port"; do
        "$tdxctl" agent info --connect "$a" --connect-timeout 0 >/dev/null 2>"$tmp/err"
        if [ $? = 1 ] && grep -q "the most this agent takes; retry later (busy)" "$tmp/err"; then
            busy=$((busy + 1))
        else
            other=$((other + 1)); cat "$tmp/err"
        fi
    done
done
check "40 clients over the cap are all told busy ($busy busy, $other otherwise)" test "$busy" = 40
"$tdxctl" --json agent info --connect "unix:$tmp/agent.sock" --connect-timeout 0 >"$tmp/out" 2>/dev/null
grep -q '"code":"EBUSY"' "$tmp/out" || { echo "FAIL: busy --json: $(cat "$tmp/out")"; fail=1; }
kill "$holder"
holder=
exit $fail
