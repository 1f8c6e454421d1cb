#!/bin/sh
# A real boot of tdx-agent's init mode: Debian's backports 6.12 kernel under
# QEMU (TCG) with an initramfs whose /init is the static agent, a per-run
# test PKI handed over in fw_cfg, DHCP from QEMU's user networking. From the
# host: `tdxctl agent info` must show configfs-tsm (configfs mounted, tsm
# loaded) and the simulated provider; `tdxctl secrets push --root` of that
# PKI must make the service start and the VM power off when it has ended.
# The initramfs is assembled by hand in assemble() until `tdxctl build`
# writes native images (docs/build.md).
# Usage: check-init-boot.sh TDXCTL TDX_AGENT SOURCE_ROOT
set -u
tdxctl=$1
agent=$2
tmp=$(mktemp -d)
qemu_pid=
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$tmp/console.log" ] && sed 's/^/  console: /' "$tmp/console.log"; exit 1; }
ok() { echo "ok $*"; }

command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 is not installed"
ovmf=/usr/share/ovmf/OVMF.fd
[ -f "$ovmf" ] || fail "$ovmf is missing (package ovmf)"
for tool in cpio gzip xz busybox; do
    command -v $tool >/dev/null 2>&1 || fail "$tool is not installed"
done
case $(file -b "$agent" 2>/dev/null) in
*statically*|*static-pie*) ;;
*) skip "$agent is not statically linked (-Dagent-static=false): it cannot be /init" ;;
esac

# --- The kernel ------------------------------------------------------------
"$tdxctl" deb fetch linux-image-amd64 --release bookworm-backports --extract "$tmp/kpkg" \
    >"$tmp/fetch.log" 2>&1 || { cat "$tmp/fetch.log"; skip "the Debian mirror is not reachable"; }
kernel=$(find "$tmp/kpkg/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] || fail "no vmlinuz in linux-image-amd64 (bookworm-backports)"
kver=${kernel##*/vmlinuz-}
mods=$tmp/kpkg/lib/modules/$kver/kernel
ok "kernel $kver"

# --- The per-run test PKI ------------------------------------------------------
"$tdxctl" dev sim-pki "$tmp/pki" >/dev/null 2>&1 || fail "tdxctl dev sim-pki"
fwcfg=
for f in "$tmp"/pki/*; do
    fwcfg="$fwcfg -fw_cfg name=opt/org.tdxhost/pki/${f##*/},file=$f"
done

# --- The initramfs (what `tdxctl build` will write) -------------------------
# Modules in dependency order (their .modinfo "depends=": configfs <- tsm
# <- tdx-guest; failover <- net_failover <- virtio_net; vsock <- common <-
# transport). tdx-guest finds no TDX module under TCG: init logs and goes on.
modules="fs/configfs/configfs drivers/virt/coco/tsm drivers/virt/coco/tdx-guest/tdx-guest
drivers/firmware/qemu_fw_cfg net/core/failover drivers/net/net_failover drivers/net/virtio_net
net/vmw_vsock/vsock net/vmw_vsock/vmw_vsock_virtio_transport_common
net/vmw_vsock/vmw_vsock_virtio_transport"

# The image's /lib/modules paths, as agent.json lists them.
list=
for m in $modules; do
    list="$list${list:+, }\"/lib/modules/$kver/kernel/$m.ko\""
done

assemble() { # ROOT OUT.cpio.gz AGENT.json
    root=$1
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/usr/bin" "$root/etc/tdx-agent" "$root/dev" "$root/proc" \
        "$root/sys" "$root/run" "$root/tmp" || return 1
    # Stripped, as native images carry it.
    if command -v strip >/dev/null 2>&1; then strip -o "$root/init" "$agent"; else cp "$agent" "$root/init"; fi &&
        chmod 0755 "$root/init" || return 1
    ln -s /init "$root/usr/bin/tdx-agent"
    cp "$(command -v busybox)" "$root/bin/busybox" && ln -s busybox "$root/bin/sh"
    printf 'root:x:0:0:root:/root:/bin/sh\nhello:x:1000:1000::/:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nhello:x:1000:\n' >"$root/etc/group"
    for m in $modules; do
        dest=$root/lib/modules/$kver/kernel/$m.ko
        mkdir -p "${dest%/*}" && xz -dc "$mods/$m.ko.xz" >"$dest" || return 1
    done
    cat >"$root/etc/tdx-agent/secrets.json" <<'JSON'
{"version": 1, "secrets": [
 {"name": "greeting_key", "dest": "/run/hello/key.hex", "owner": "root", "group": "hello",
  "mode": "0440", "required": true,
  "schema": {"kind": "hex", "min_length": 64, "max_length": 64}}]}
JSON
    cp "$3" "$root/etc/tdx-agent/agent.json" || return 1
    (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -n >"$2")
}
# examples/hello's shape: DHCP, the test provider, one service after the secret.
cat >"$tmp/agent-hello.json" <<JSON
{"listen": ["tcp:0.0.0.0:1050"], "manifest": "/etc/tdx-agent/secrets.json",
 "init": {"modules": [$list],
          "network": {"mode": "dhcp"},
          "services": [{"name": "hello", "user": "hello", "group": "hello",
                        "exec": ["/bin/busybox", "sh", "-c",
                                 "echo \"hello: key present (sha256 prefix \$(busybox sha256sum /run/hello/key.hex | busybox cut -c1-16))\""]}],
          "on_exit": "poweroff", "test_provider": true}}
JSON
assemble "$tmp/root" "$tmp/initrd.cpio.gz" "$tmp/agent-hello.json" ||
    fail "cannot assemble the initramfs"
ok "initramfs $(wc -c <"$tmp/initrd.cpio.gz") bytes"

# --- Boot --------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
boot() { # CMDLINE
    # shellcheck disable=SC2086 # $fwcfg is a list of options
    qemu-system-x86_64 -machine q35 -m 2G -nographic -no-reboot -bios "$ovmf" \
        -kernel "$kernel" -initrd "$tmp/initrd.cpio.gz" -append "$1" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:1050" -device virtio-net-pci,netdev=n0 \
        $fwcfg </dev/null >"$tmp/console.log" 2>&1 &
    qemu_pid=$!
}
# Figures, not assertions: seconds since a time taken with now().
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
t0=$(now)
boot 'console=ttyS0'

wait_for() { # PATTERN SECONDS
    i=0
    while [ $i -lt $(($2 * 5)) ]; do
        grep -q -- "$1" "$tmp/console.log" 2>/dev/null && return 0
        kill -0 "$qemu_pid" 2>/dev/null || return 1
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}
wait_for "secrets: waiting for 1 required secret(s)" 240 || fail "init never reached the secret wait"
ok "init waits for the secret ($(since "$t0") s after QEMU started)"
grep -q "TEST quote provider (simulated quotes; this VM proves nothing)" "$tmp/console.log" ||
    fail "no TEST provider line on the console"
grep -q "init: dhcp: lease" "$tmp/console.log" || fail "no DHCP lease"
grep -q "init: network: eth0 10.0.2.15/24 via 10.0.2.2" "$tmp/console.log" ||
    fail "the lease from QEMU's DHCP server was not configured"
ok "DHCP lease from QEMU user networking configured"
grep -q "init: starting service" "$tmp/console.log" && fail "a service started before the secrets"

"$tdxctl" agent info --connect "tcp:127.0.0.1:$port" --json >"$tmp/info.json" 2>"$tmp/info.err" ||
    { cat "$tmp/info.err"; fail "tdxctl agent info"; }
tr -d ' \n' <"$tmp/info.json" | grep -q '"configfs_tsm":true' ||
    fail "agent info: configfs_tsm is not true: $(cat "$tmp/info.json")"
tr -d ' \n' <"$tmp/info.json" | grep -q '"simulated":true' ||
    fail "agent info: not the simulated provider: $(cat "$tmp/info.json")"
tr -d ' \n' <"$tmp/info.json" | grep -q '"quote_provider":"sim' ||
    fail "agent info: quote_provider is not sim: $(cat "$tmp/info.json")"
ok "agent info: configfs_tsm true, sim provider"

key=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
printf 'greeting_key=%s\n' "$key" >"$tmp/secrets.env"
prefix=$(printf '%s' "$key" | sha256sum | cut -c1-16)
"$tdxctl" secrets push --connect "tcp:127.0.0.1:$port" --secrets "$tmp/secrets.env" \
    --root "$tmp/pki/root.pem" --expected "$tmp/pki/expected.json" >"$tmp/push.log" 2>&1 ||
    { cat "$tmp/push.log"; fail "tdxctl secrets push"; }
t1=$(now)
ok "secrets push"
wait_for "\[hello\] hello: key present (sha256 prefix $prefix)" 60 ||
    fail "the service did not print the key's digest"
ok "the service started after the push and saw the secret ($(since "$t1") s after the push)"
i=0
while kill -0 "$qemu_pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
kill -0 "$qemu_pid" 2>/dev/null && fail "the VM did not power off after the service ended"
wait "$qemu_pid"
qemu_pid=
grep -q "init: powering off (exit status 0)" "$tmp/console.log" || fail "no clean power-off"
ok "powered off when the service ended"

# --- Capture mode: serves, starts nothing, waits for no secret --------------
boot 'console=ttyS0 tdx.capture=acpi'
wait_for "init: capture mode" 240 || fail "no capture mode with tdx.capture=acpi"
# The mode is announced before the modules, the network and the listener:
# QEMU's forwarded port accepts (and drops) connections until the agent serves.
wait_for "serving on tcp:" 240 || fail "the agent never served in capture mode"
"$tdxctl" agent info --connect "tcp:127.0.0.1:$port" --json >"$tmp/info.json" 2>"$tmp/info.err" ||
    { cat "$tmp/info.err"; fail "tdxctl agent info in capture mode"; }
grep -q "secrets: waiting" "$tmp/console.log" && fail "capture mode waits for secrets"
grep -q "init: starting service" "$tmp/console.log" && fail "capture mode started a service"
kill -0 "$qemu_pid" 2>/dev/null || fail "capture mode did not stay up"
ok "capture mode: the agent answers, no service, no secret wait"
kill "$qemu_pid"
wait "$qemu_pid" 2>/dev/null
qemu_pid=

# --- A static address, the test provider not allowed, on_exit stay ----------
cat >"$tmp/agent-static.json" <<JSON
{"listen": ["tcp:0.0.0.0:1050", "vsock:1050"],
 "init": {"modules": [$list],
          "network": {"mode": "static", "address": "10.0.2.15/24", "gateway": "10.0.2.2",
                      "dns": ["10.0.2.3"]},
          "services": [{"name": "net", "after_secrets": false,
                        "exec": ["/bin/busybox", "cat", "/etc/resolv.conf"]}],
          "on_exit": "stay", "test_provider": false}}
JSON
assemble "$tmp/root" "$tmp/initrd.cpio.gz" "$tmp/agent-static.json" ||
    fail "cannot assemble the static initramfs"
boot 'console=ttyS0'
wait_for "staying up and serving" 240 || fail "the static image did not stay up"
grep -q "init: network: eth0 10.0.2.15/24 via 10.0.2.2" "$tmp/console.log" ||
    fail "the static address was not configured"
grep -q "\[net\] nameserver 10.0.2.3" "$tmp/console.log" || fail "no nameserver in /etc/resolv.conf"
grep -q "ignoring the test PKI in fw_cfg" "$tmp/console.log" ||
    fail "fw_cfg test PKI not reported as ignored with test_provider false"
"$tdxctl" agent info --connect "tcp:127.0.0.1:$port" --json >"$tmp/info.json" 2>"$tmp/info.err" ||
    { cat "$tmp/info.err"; fail "tdxctl agent info (static)"; }
tr -d ' \n' <"$tmp/info.json" | grep -q '"quote_provider":"configfs"' ||
    fail "agent info: not configfs with test_provider false: $(cat "$tmp/info.json")"
tr -d ' \n' <"$tmp/info.json" | grep -q '"configfs_tsm":true' ||
    fail "agent info: configfs_tsm is not true: $(cat "$tmp/info.json")"
grep -q '"vsock:[0-9]*:1050"' "$tmp/info.json" ||
    fail "agent info: not listening on vsock:1050 as well: $(cat "$tmp/info.json")"
ok "static network, resolv.conf, fw_cfg PKI ignored, configfs provider, vsock listener, on_exit stay"
kill "$qemu_pid"
wait "$qemu_pid" 2>/dev/null
qemu_pid=

# --- A broken configuration powers off instead of panicking -----------------
printf '{"init": {"on_exit": "later"}}\n' >"$tmp/agent-bad.json"
assemble "$tmp/root" "$tmp/initrd.cpio.gz" "$tmp/agent-bad.json" ||
    fail "cannot assemble the broken initramfs"
boot 'console=ttyS0 stray-word'
i=0
while kill -0 "$qemu_pid" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
kill -0 "$qemu_pid" 2>/dev/null && fail "a broken configuration did not power off"
wait "$qemu_pid"
qemu_pid=
grep -q 'agent.json: init.on_exit: expected one of "poweroff", "stay"; got "later"' \
    "$tmp/console.log" || fail "the broken key is not named on the console"
grep -q "ignoring 1 argument(s) from the kernel command line" "$tmp/console.log" ||
    fail "the stray kernel argument was not ignored"
grep -q "Kernel panic" "$tmp/console.log" && fail "the kernel panicked"
ok "a broken agent.json is named on the console and powers off"
