#!/bin/sh
# tdxctl run / stop without booting anything: --dry-run prints the command
# the library built (shell-quoted, and the same argv in --json), and every
# refusal is one line naming its cause with exit 1 and no process left:
# missing QEMU, firmware without TDVF metadata, a build directory of another
# format, a taken port, a shape other than the measured one, emulated runs of
# an image without the test provider, a pid file of another process.
# Usage: check-run-cli.sh TDXCTL SOURCE_ROOT MAKE_TEST_IMAGE
set -u
tdxctl=$1
mkimage=$3
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch

command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }

b=$tmp/build
mkdir -p "$b"
"$mkimage" tdvf "$b/OVMF.fd" debian || exit 1
"$mkimage" bzimage "$b/vmlinuz" 6.12.0 || exit 1
printf 'initrd' >"$b/initrd.cpio.gz"
printf "console=ttyS0 it's" >"$b/cmdline"
vm_json() { # TEST_PROVIDER
    cat <<JSON
{"format": 1, "memory_mib": 2048, "cpus": 1, "firmware": "OVMF.fd", "kernel": "vmlinuz",
 "initrd": "initrd.cpio.gz", "cmdline_file": "cmdline",
 "machine": {"type": "q35", "kernel_irqchip": "split", "smm": false, "pic": false, "hpet": false},
 "agent": {"port": 1050}, "test_provider": $1, "network": "dhcp"}
JSON
}
vm_json true >"$b/vm.json"

# --dry-run: the exact command; the shell reads it back as --json's argv.
expect 0 "" "$tdxctl" run "$b" --emulated --user-net --port 45678 --dry-run
cp "$tmp/out" "$tmp/cmd"
grep -q "^$(command -v qemu-system-x86_64) -name tdxhost-build .* -append 'console=ttyS0 it'\\\\''s no_timer_check' " "$tmp/cmd" ||
    { echo "FAIL: dry-run command:"; cat "$tmp/cmd"; fail=1; }
grep -q "hostfwd=tcp:127.0.0.1:45678-:1050" "$tmp/cmd" || { echo "FAIL: no hostfwd on 127.0.0.1"; fail=1; }
grep -q "name=opt/org.tdxhost/pki/pck.key,file=$b/run/test-pki/pck.key" "$tmp/cmd" ||
    { echo "FAIL: no test PKI through fw_cfg"; fail=1; }
grep -q "root.key" "$tmp/cmd" && { echo "FAIL: the root key goes to the guest"; fail=1; }
expect 0 "" "$tdxctl" run "$b" --emulated --user-net --port 45678 --dry-run --json
check "run --dry-run --json keeps the JSON contract (docs/tdxctl.1)" \
    python3 "$(dirname "$0")/json-contract.py" 0 "$tmp/out" "$tmp/err"
check "--json argv is the command's words" python3 -c '
import json, shlex, sys
j = json.load(open(sys.argv[1]))
sys.exit(not (j["ok"] and j["argv"] == shlex.split(open(sys.argv[2]).read()) and j["agent"] == "tcp:127.0.0.1:45678"))' \
    "$tmp/out" "$tmp/cmd"
check "dry-run wrote nothing" test ! -e "$b/run"
expect 0 "" "$tdxctl" run "$b" --tdx --qemu-version 8.2.2 --qemu-flavor canonical-8.2 --user-net --port 45678 --dry-run
grep -q 'kernel_irqchip=split,confidential-guest-support=tdx0,memory-backend=mem0' "$tmp/out" ||
    { echo "FAIL: canonical 8.2 machine:"; cat "$tmp/out"; fail=1; }

# Refusals: one line, exit 1.
one_line() { [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: not one line:"; cat "$tmp/err"; fail=1; }; }
expect 1 "no such executable QEMU" "$tdxctl" run "$b" --emulated --qemu /nonexistent/qemu; one_line
expect 1 "QEMU 7.2" "$tdxctl" run "$b" --tdx --user-net; one_line
expect 1 "measured for 2048 MiB and 1 vCPU(s); a run with 4096 MiB" "$tdxctl" run "$b" --emulated --memory 4G --dry-run
grep -q "pass --remeasure" "$tmp/err" || { echo "FAIL: no --remeasure hint"; fail=1; }
expect 0 "" "$tdxctl" run "$b" --emulated --memory 4G --remeasure --dry-run
grep -q -- "-m 4096M" "$tmp/out" || { echo "FAIL: --memory 4G is not -m 4096M"; fail=1; }
expect 2 "--memory: expected a size (decimal digits, optional K, M, G or T), got 'lots'" "$tdxctl" run "$b" --memory lots
expect 2 "--cpus: expected a number from 1 to 512, got '0'" "$tdxctl" run "$b" --cpus 0
expect 2 "--qemu-flavor: unknown QEMU flavour 'fedora'" "$tdxctl" run "$b" --qemu-flavor fedora
expect 2 "--pidfile goes with --detach" "$tdxctl" run "$b" --pidfile x
# --vtpm: swtpm's socket as a CRB TPM; refused for TDs and other commands.
expect 0 "" "$tdxctl" run "$b" --emulated --vtpm --user-net --port 45678 --dry-run
grep -qF -- "-chardev socket,id=chrtpm,path=$b/run/vtpm/swtpm.sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0" "$tmp/out" ||
    { echo "FAIL: --vtpm command:"; cat "$tmp/out"; fail=1; }
check "--vtpm --dry-run started no swtpm" test ! -e "$b/run"
expect 2 "--vtpm goes with --emulated: a TD's vTPM is the cloud's" "$tdxctl" run "$b" --tdx --vtpm
expect 2 "--vtpm does not go with this command" "$tdxctl" acpi capture "$b" --vtpm

python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/port" &
pid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.1; done
port=$(cat "$tmp/port")
expect 1 "127.0.0.1:$port is already in use" "$tdxctl" run "$b" --emulated --user-net --port "$port"; one_line
kill "$pid"; wait "$pid" 2>/dev/null; pid=

vm_json false >"$b/vm.json"
expect 1 "was built without the test quote provider" "$tdxctl" run "$b" --emulated --dry-run; one_line
sed 's/"format": 1/"format": 2/' "$b/vm.json" >"$b/vm2" && mv "$b/vm2" "$b/vm.json"
expect 1 "vm.json: \$.format: expected 1" "$tdxctl" run "$b" --emulated; one_line
vm_json true >"$b/vm.json"
printf 'not a firmware image' >"$b/OVMF.fd"
expect 1 "firmware without TDVF metadata" "$tdxctl" run "$b" --emulated; one_line
expect 1 "not a native build directory" "$tdxctl" run "$tmp" --emulated; one_line
check "no run directory after refusals" test ! -e "$b/run"

# stop: nothing to stop, someone else's pid.
expect 1 "no such pid file" "$tdxctl" stop "$b"
echo $$ >"$tmp/other.pid"
expect 1 "is not a QEMU started by tdxctl run" "$tdxctl" stop "$tmp/other.pid"
check "the shell survived" kill -0 $$
echo 2147483600 >"$tmp/stale.pid"
expect 0 "not running (removed the stale pid file)" "$tdxctl" stop "$tmp/stale.pid"
check "stale pid file removed" test ! -e "$tmp/stale.pid"
exit $fail
