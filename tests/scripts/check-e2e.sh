#!/bin/sh
# The loop this project exists for, end to end under TCG:
#   tdxctl build examples/hello.json -p dev  (the native builder)
#   tdxctl run --emulated --detach --json    (per-run test PKI through fw_cfg)
#   tdxctl agent info                        (tdx.configfs_tsm: true, as on a TD)
#   tdxctl secrets push --expected BUILD/measurements.json --root <test_root>
#   the console shows "hello: key present (sha256 prefix <16 hex>)" for the
#   pushed key text as written to the file
#   tdxctl stop                              (the power button powers it off; no QEMU left)
# and a second run whose push carries wrong measurements: refused, and the
# payload line never appears. Skipped (77) only where qemu-system-x86_64
# cannot run.
# Usage: check-e2e.sh TDXCTL AGENT SOURCE_ROOT
set -u
tdxctl=$1
agent=$2
src=$3
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
tmp=$(mktemp -d)
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ]; then kill -9 "$qemu_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
qemu-system-x86_64 --version >/dev/null 2>&1 || { echo "SKIP: qemu-system-x86_64 cannot run here"; exit 77; }

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat" 2>/dev/null; }
console_has() { grep -aqF "$1" "$b/run/serial.log"; }

b=$tmp/hello
# A copy of the lock: a build brings a stale lock up to date, and the
# source tree is not the test's to change.
cp "$src/examples/tdx.lock" "$tmp/tdx.lock"
expect 0 "" "$tdxctl" build "$src/examples/hello.json" -p dev -o "$b" --agent "$agent" \
    --lock "$tmp/tdx.lock" --json
[ -f "$b/vm.json" ] || { echo "FAIL: no build"; cat "$tmp/err"; exit 1; }

umask 077
printf '%s' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$tmp/key.hex"
printf 'greeting_key=%s\n' "$(cat "$tmp/key.hex")" >"$tmp/secrets.env"
prefix=$(sha256sum "$tmp/key.hex" | cut -c1-16)
line="hello: key present (sha256 prefix $prefix)"

start() {
    expect 0 "" "$tdxctl" run "$b" --emulated --detach --json --timeout 300
    qemu_pid=$(json_field "$tmp/out" pid)
    addr=$(json_field "$tmp/out" agent)
    root=$(json_field "$tmp/out" test_root)
}
stop_and_check() {
    expect 0 "stopped" "$tdxctl" stop "$b" --timeout 5
    check "no QEMU left" gone "$qemu_pid"
    # The ACPI power button (QMP system_powerdown) is what stopped it: init
    # powered off, QEMU was not killed.
    check "console: the power button powered the image off" console_has "power button pressed: powering off"
    check "console: init powered off" console_has "init: powering off"
    check "no process of this run left" sh -c "! pgrep -f 'tdxhost-[h]ello.*$b/' >/dev/null"
    qemu_pid=
}

# 1. The loop.
start
expect 0 "" "$tdxctl" agent info --connect "$addr" --json
check "agent info: tdx.configfs_tsm true (simulated provider)" python3 -c '
import json, sys; i = json.load(open(sys.argv[1]))["info"]
sys.exit(not (i["tdx"]["configfs_tsm"] is True and i["simulated"] is True))' "$tmp/out"
expect 0 "" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/secrets.env" \
    --expected "$b/measurements.json" --root "$root"
n=0
until console_has "$line" || [ $n -ge 300 ]; do sleep 0.1; n=$((n + 1)); done
check "console: $line" console_has "$line"
stop_and_check

# 2. Wrong measurements: refused, the payload never starts.
start
python3 - "$b/measurements.json" "$tmp/wrong.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
r = m["registers"]["rtmr1"]
m["registers"]["rtmr1"] = ("0" if r[0] != "0" else "1") + r[1:]
json.dump(m, open(sys.argv[2], "w"))
PY
expect 1 "quote: measurements: " "$tdxctl" secrets push --connect "$addr" \
    --secrets "$tmp/secrets.env" --expected "$tmp/wrong.json" --root "$root"
sleep 3
check "no payload line after the refused push" sh -c "! grep -aq 'hello: key present' '$b/run/serial.log'"
stop_and_check
exit $fail
