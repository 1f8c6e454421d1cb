#!/bin/sh
# tdxctl run / stop booting a real kernel under TCG: a build directory put
# together by lib-handbuild.sh (Debian's backports 6.12 kernel, OVMF, busybox,
# tdx-agent). An emulated run comes up with the agent reachable on 127.0.0.1
# only, its test PKI lets `secrets push --expected measurements.json --root`
# through and the payload prints the pushed key's digest; wrong measurements
# are refused and the payload never starts; stop powers off a running VM; a
# guest that never answers in time is killed; no QEMU is ever left behind.
# Skipped (77) when qemu-system-x86_64, OVMF or the kernel package are not
# available.
# Usage: check-run-boot.sh TDXCTL AGENT SOURCE_ROOT CACHE_DIR
set -u
tdxctl=$1
agent=$2
# $3: the source root (unused: the hand build needs only the binaries)
cache=$4
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
# shellcheck source-path=SCRIPTDIR source=lib-handbuild.sh
. "$(dirname "$0")/lib-handbuild.sh"
tmp=$(mktemp -d)
qemu_pid=
trap 'if [ -n "$qemu_pid" ]; then kill -9 "$qemu_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT

handbuild_or_skip "$tdxctl" "$agent" "$cache" "$tmp/b"

json_field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,bool) else v)' "$@"; }
# Ended: no such process, or a zombie (a detached QEMU's new parent may not reap it).
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat" 2>/dev/null; }

# 1. Up, attested push, payload line.
expect 0 "" "$tdxctl" run "$tmp/b" --emulated --detach --json --pidfile "$tmp/user.pid" --timeout 120
cp "$tmp/out" "$tmp/run.json"
qemu_pid=$(json_field "$tmp/run.json" pid)
addr=$(json_field "$tmp/run.json" agent)
root=$(json_field "$tmp/run.json" test_root)
check "agent on 127.0.0.1" sh -c "echo '$addr' | grep -q '^tcp:127\\.0\\.0\\.1:[0-9]*$'"
check "pid files" sh -c "[ \"\$(cat '$tmp/user.pid')\" = $qemu_pid ] && [ \"\$(cat '$tmp/b/run/qemu.pid')\" = $qemu_pid ]"
check "the forward listens on loopback only" sh -c \
    "! ss -Htln 2>/dev/null | grep -q ':${addr##*:} ' || ss -Htln | grep ':${addr##*:} ' | grep -q '127.0.0.1:${addr##*:}'"
expect 0 "" "$tdxctl" agent info --connect "$addr" --json
check "info: configfs_tsm true, simulated" python3 -c '
import json,sys; j=json.load(open(sys.argv[1]))["info"]; sys.exit(not (j["tdx"]["configfs_tsm"] is True and j["simulated"] is True))' "$tmp/out"
umask 077
printf 'the hello key %s' "$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')" >"$tmp/key"
printf 'hello_key=%s\n' "$(cat "$tmp/key")" >"$tmp/s.env"
prefix=$(sha256sum "$tmp/key" | cut -c1-16)
expect 1 "quote: pck_chain: " "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/b/measurements.json" --root "$tmp/b/run/test-pki/intermediate.pem"
expect 0 "" "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/b/measurements.json" --root "$root"
n=0
until grep -aq "hello: key present (sha256 prefix $prefix)" "$tmp/b/run/serial.log" || [ $n -ge 100 ]; do
    sleep 0.1; n=$((n + 1))
done
check "payload line with the pushed key's digest" grep -aq "hello: key present (sha256 prefix $prefix)" "$tmp/b/run/serial.log"
# The payload exits, init powers off, QEMU ends by itself.
n=0
while ! gone "$qemu_pid" && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
check "QEMU ended after the payload" gone "$qemu_pid"
expect 0 "not running" "$tdxctl" stop "$tmp/b"
qemu_pid=

# 2. Wrong measurements: refused, payload never starts; stop ends the VM.
expect 0 "" "$tdxctl" run "$tmp/b" --emulated --detach --json --timeout 120
qemu_pid=$(json_field "$tmp/out" pid)
addr=$(json_field "$tmp/out" agent)
root=$(json_field "$tmp/out" test_root)
sed 's/"mrtd": "\(.\)/"mrtd": "f\1/; s/"mrtd": "ff/"mrtd": "0f/' "$tmp/b/measurements.json" >"$tmp/wrong.json"
cmp -s "$tmp/wrong.json" "$tmp/b/measurements.json" && { echo "FAIL: wrong.json is not wrong"; fail=1; }
expect 1 "quote: measurements: " "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/s.env" \
    --expected "$tmp/wrong.json" --root "$root"
sleep 2
check "no payload line after a refused push" sh -c "! grep -aq 'hello: key present' '$tmp/b/run/serial.log'"
expect 0 "stopped" "$tdxctl" stop "$tmp/b" --timeout 5
check "QEMU gone after stop" gone "$qemu_pid"
check "pid file and QMP socket removed" sh -c "[ ! -e '$tmp/b/run/qemu.pid' ] && [ ! -e '$tmp/b/run/qmp.sock' ]"
qemu_pid=

# 3. A guest that does not answer in time: killed, one line, exit 1.
expect 1 "did not answer within 1 s" "$tdxctl" run "$tmp/b" --emulated --detach --timeout 1
[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: not one line:"; cat "$tmp/err"; fail=1; }
check "no pid file left" test ! -e "$tmp/b/run/qemu.pid"
check "no QEMU of this run left" sh -c "! pgrep -f 'tdxhost-[b] .*$tmp/b/' >/dev/null"

# 4. Foreground: SIGTERM to tdxctl powers the guest off and ends QEMU.
"$tdxctl" run "$tmp/b" --emulated --timeout 120 >"$tmp/fg.out" 2>"$tmp/fg.err" &
fg=$!
n=0
until grep -q "VM up" "$tmp/fg.err" || [ $n -ge 1200 ]; do sleep 0.1; n=$((n + 1)); done
qemu_pid=$(cat "$tmp/b/run/qemu.pid" 2>/dev/null)
kill -TERM "$fg"
wait "$fg"
check "foreground run ends on SIGTERM with status 0" test $? -eq 0
check "its QEMU is gone" gone "${qemu_pid:-0}"
qemu_pid=
exit $fail
