#!/bin/sh
# tdxctl deploy against an sshd this test starts on 127.0.0.1 with
# throw-away host and user keys (the client reads only the -F file the test
# writes, with its own known_hosts): the far side's QEMU is asked for its
# version, the files arrive with their SHA-256 checked there, run.sh holds
# the exact command, bad targets and an unreachable host are one-line
# refusals, and --start runs the emulated build there (when the hand build's
# kernel is available: the agent answers through the far side's forward, and
# tdxctl stop ends it).
# Skipped (77) without root (sshd needs it), sshd, ssh or qemu-system-x86_64.
# Usage: check-deploy.sh TDXCTL AGENT SOURCE_ROOT MAKE_TEST_IMAGE CACHE_DIR
set -u
tdxctl=$1
agent=$2
mkimage=$4
cache=$5
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
# shellcheck source-path=SCRIPTDIR source=lib-handbuild.sh
. "$(dirname "$0")/lib-handbuild.sh"
tmp=$(mktemp -d)
sshd_pid=
qpid=
cleanup() {
    # A QEMU run.sh started there is in its own session: end it by its pid.
    if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; fi
    if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null; wait "$sshd_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "sshd needs root"
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd is missing (openssh-server)"
command -v ssh >/dev/null 2>&1 && command -v scp >/dev/null 2>&1 || skip "ssh/scp missing (openssh-client)"
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 is not installed"

# The server: throw-away keys, loopback only, keys only.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" -C deploy-test-host
ssh-keygen -q -t ed25519 -N '' -f "$tmp/userkey" -C deploy-test-user
cp "$tmp/userkey.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/sshd_config" <<EOF2
ListenAddress 127.0.0.1
HostKey $tmp/hostkey
AuthorizedKeysFile $tmp/authorized_keys
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
Subsystem sftp /usr/lib/openssh/sftp-server
EOF2
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" -p "$port" 2>"$tmp/sshd.log" &
sshd_pid=$!
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/hostkey.pub")" >"$tmp/known_hosts"
cat >"$tmp/ssh_config" <<EOF2
Host *
    IdentityFile $tmp/userkey
    IdentitiesOnly yes
    UserKnownHostsFile $tmp/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 10
EOF2
n=0
until ssh -F "$tmp/ssh_config" -p "$port" root@127.0.0.1 true 2>/dev/null || [ $n -ge 50 ]; do
    sleep 0.2; n=$((n + 1))
done
[ $n -lt 50 ] || { echo "FAIL: sshd did not come up:"; cat "$tmp/sshd.log"; exit 1; }

# A small build (its kernel only has to exist for deploy).
b=$tmp/build
mkdir -p "$b"
"$mkimage" tdvf "$b/OVMF.fd" debian && "$mkimage" bzimage "$b/vmlinuz" 6.12.0 || exit 1
printf 'initrd' >"$b/initrd.cpio.gz"
printf 'console=ttyS0' >"$b/cmdline"
cat >"$b/vm.json" <<'EOF2'
{"format": 1, "memory_mib": 2048, "cpus": 1, "firmware": "OVMF.fd", "kernel": "vmlinuz",
 "initrd": "initrd.cpio.gz", "cmdline_file": "cmdline", "agent": {"port": 1050},
 "test_provider": true, "network": "dhcp"}
EOF2
printf '{"registers": {"mrtd": null}}\n' >"$b/measurements.json"
far=$tmp/far/srv/td-1
target="ssh://root@127.0.0.1:$port$far"
dep() { expect "$@"; }

# The far side's QEMU (7.2 here) cannot run TDs: asked, and refused by name.
dep 1 "QEMU 7.2" "$tdxctl" deploy "$target" "$b" --tdx --user-net --ssh-config "$tmp/ssh_config"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: not one line:"; cat "$tmp/err"; fail=1; }

# Named flavour: files copied and checked, run.sh holds the command.
dep 0 "" "$tdxctl" deploy "$target" "$b" --tdx --qemu-flavor upstream --vsock --cid 4242 \
    --ssh-config "$tmp/ssh_config" --json
cp "$tmp/out" "$tmp/deploy.json"
for f in OVMF.fd vmlinuz initrd.cpio.gz cmdline vm.json measurements.json; do
    check "$f arrived intact" cmp -s "$b/$f" "$far/$f"
done
check "SHA256SUMS verifies there" sh -c "cd '$far' && sha256sum --quiet -c SHA256SUMS"
check "deploy JSON: files, agent, version asked there" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
names = sorted(f["path"] for f in j["files"])
sys.exit(not (j["ok"] and j["agent"] == "vsock:4242:1050" and j["qemu_version"].startswith("7.2")
              and names == sorted(["OVMF.fd", "vmlinuz", "initrd.cpio.gz", "cmdline", "vm.json",
                                   "measurements.json", "run.sh"])))' "$tmp/deploy.json"
check "run.sh runs the exact command" python3 -c '
import json, sys
cmd = json.load(open(sys.argv[1]))["command"]
lines = open(sys.argv[2]).read().splitlines()
sys.exit(not (lines[0] == "#!/bin/sh" and lines[-1] == "exec " + cmd and " " + sys.argv[3] + "/vmlinuz " in cmd
              and "confidential-guest-support=tdx0" in cmd))' "$tmp/deploy.json" "$far/run.sh" "$far"
check "run.sh is executable and parses" sh -n "$far/run.sh"
check "the test PKI stays home for a TD" test ! -e "$far/run/test-pki"
printf 'x' >>"$far/vmlinuz"
check "a changed file fails the far side's check" sh -c "! (cd '$far' && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1)"

# Refusals.
dep 1 "expected ssh://[USER@]HOST[:PORT]/DIR" "$tdxctl" deploy "scp://x/y" "$b" --qemu-version 10.1
dep 1 "no directory" "$tdxctl" deploy "ssh://host" "$b" --qemu-version 10.1
dep 1 "the directory may hold only" "$tdxctl" deploy "ssh://host/a;b" "$b" --qemu-version 10.1
dep 1 "the directory may hold only" "$tdxctl" deploy "ssh://host/a/../b" "$b" --qemu-version 10.1
dep 1 "bad user or host" "$tdxctl" deploy "ssh://-oProxyCommand=x/d" "$b" --qemu-version 10.1
dep 1 "bad port" "$tdxctl" deploy "ssh://host:99x/d" "$b" --qemu-version 10.1
dep 1 "bad port" "$tdxctl" deploy "ssh://host:+22/d" "$b" --qemu-version 10.1
dep 1 "port outside 1 to 65535" "$tdxctl" deploy "ssh://host:65536/d" "$b" --qemu-version 10.1
dep 1 "ssh root@127.0.0.1" "$tdxctl" deploy "ssh://root@127.0.0.1:1/tmp/x" "$b" \
    --ssh-config "$tmp/ssh_config"
dep 2 "--dry-run needs --qemu-version" "$tdxctl" deploy "$target" "$b" --dry-run
dep 0 "" "$tdxctl" deploy "$target" "$b" --dry-run --qemu-version 9.2.1 --qemu-flavor canonical-9.2 --cid 5
grep -q "kernel_irqchip=split,confidential-guest-support=tdx0,memory-backend=mem0" "$tmp/out" ||
    { echo "FAIL: dry-run command:"; cat "$tmp/out"; fail=1; }

# --start: the emulated hand build, run there, answering here.
if handbuild_kernel "$tdxctl" "$cache" && handbuild_make "$tdxctl" "$agent" "$cache" "$tmp/hb"; then
    far2=$tmp/far/srv/td-2
    fport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    dep 0 "" timeout 300 "$tdxctl" deploy "ssh://root@127.0.0.1:$port$far2" "$tmp/hb" --emulated \
        --user-net --port "$fport" --start --ssh-config "$tmp/ssh_config" --json
    check "the test PKI went along" test -s "$far2/run/test-pki/pck.key"
    n=0
    until [ -s "$far2/run/qemu.pid" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
    qpid=$(cat "$far2/run/qemu.pid" 2>/dev/null)
    # QEMU's user networking accepts the forwarded connection before the
    # guest listens and then drops it: ask until the booting guest answers.
    n=0
    until "$tdxctl" agent info --connect "tcp:127.0.0.1:$fport" --connect-timeout 1000 --json \
        >/dev/null 2>&1 || [ $n -ge 300 ]; do sleep 1; n=$((n + 1)); done
    dep 0 "" "$tdxctl" agent info --connect "tcp:127.0.0.1:$fport" --json
    check "started there: the agent answers, simulated" python3 -c '
import json, sys; sys.exit(not json.load(open(sys.argv[1]))["info"]["simulated"])' "$tmp/out"
    dep 0 "stopped" "$tdxctl" stop "$far2" --timeout 2
    check "its QEMU is gone" sh -c "[ ! -e /proc/$qpid ] || grep -q '^[0-9]* (.*) [ZX] ' /proc/$qpid/stat"
else
    echo "note: no kernel package: --start not exercised"
fi
exit $fail
