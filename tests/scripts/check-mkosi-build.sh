#!/bin/sh
# The real mkosi build and its boot: examples/minimal.json, profile dev, built
# with `tdxctl build --backend mkosi` (mkosi 25 from `tdxctl mkosi install`, a
# Debian trixie tools tree), checked, then booted under systemd with
# `tdxctl run --emulated` and fed its secret:
#   - the output layout (docs/build.md): the UKI, OVMF.fd, vm.json pointing at
#     it, measurements.json/.cbor, measurements-vtpm.json, build.json whose
#     artifacts match the files, mkosi.log;
#   - the measurements: MRTD, RTMR1, RTMR2 known and equal to what
#     `tdxctl measure DIR` computes from the directory alone; vTPM PCRs 4, 9, 11;
#   - inside the UKI's initrd (the whole root file system): modules-load.d asks
#     for configfs, tsm, tdx_guest and the vsock transport; modprobe@.service,
#     multi-user/shutdown/poweroff/reboot/emergency targets not masked (and
#     masking still happened); /etc/machine-id an empty file; no debloat list
#     left; the agent, its units and the recipe's service present; the dev
#     profile's networkd file, qemu_fw_cfg and the agent's --test-provider;
#   - the boot: `tdxctl agent info` says configfs-tsm is there (configfs
#     mounted, tsm loaded) and the provider is the run's test PKI; the boot
#     asked for tdx_guest (it refuses to load outside a TD); a push with wrong
#     measurements is refused and starts nothing; the push with the build's
#     measurements reaches secrets-ready.target and the payload prints
#     "hello: key present (sha256 prefix ...)" after it, not before; stop
#     leaves no QEMU.
# The same build twice (reproducibility, warm time) is bench/mkosi-bench.c.
# Prints the build time and sizes as one JSON line ("figures").
# Needs network (the Debian archive), root or user namespaces, python3 >= 3.9,
# qemu-system-x86_64, about 4 GB of disk below the cache; skips (77) without
# network or root.
# Usage: check-mkosi-build.sh TDXCTL SOURCE_ROOT AGENT
set -u
tdxctl=$1
src=$2
agent=$3
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/check-mkosi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*" >&2
    fail=1
}

if [ "$(id -u)" -ne 0 ] && ! unshare --user --map-root-user true 2>/dev/null; then
    echo "SKIP: mkosi needs root or unprivileged user namespaces"
    exit 77
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
    { echo "SKIP: python3 3.9 or newer is needed"; exit 77; }
for t in objcopy zstd cpio; do
    command -v $t >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

if ! "$tdxctl" mkosi install >"$tmp/install.log" 2>&1; then
    if grep -qE "Could not resolve|Connection refused|timed out|Network is unreachable" "$tmp/install.log"; then
        echo "SKIP: deb.debian.org is unreachable"
        exit 77
    fi
    bad "tdxctl mkosi install: $(cat "$tmp/install.log")"
    exit 1
fi
echo "ok $(cat "$tmp/install.log")"

now() { date +%s; }
t0=$(now)
# A copy of the example's lock without its mkosi pin: the source tree is not
# the test's to change, and the build must pin the mkosi it fetches (the one
# the signed index offers now, so a newer trixie mkosi does not break this).
python3 - "$src/examples/tdx.lock" "$tmp/tdx.lock" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
lock["debian"] = [e for e in lock["debian"] if e.get("requested") != "mkosi"]
json.dump(lock, open(sys.argv[2], "w"), indent=2)
PY
if ! "$tdxctl" build "$src/examples/minimal.json" -p dev --backend mkosi --agent "$agent" \
        --lock "$tmp/tdx.lock" -o "$tmp/a" >"$tmp/a.log" 2>&1; then
    cat "$tmp/a.log" >&2
    log=$(ls "$tmp"/a.mkosi.log 2>/dev/null) && tail -n 40 "$log" >&2
    bad "build"
    exit 1
fi
t1=$(now)
# Unless an mkosi 25 was found in PATH, the build ran the one it pinned.
python3 - "$tmp/tdx.lock" "$tmp/a/build.json" <<'PY' || bad "the mkosi the build ran is not the one it pinned in tdx.lock"
import json, sys
pins = [e for e in json.load(open(sys.argv[1]))["debian"] if e.get("requested") == "mkosi"]
m = json.load(open(sys.argv[2])).get("mkosi", {})
if m.get("from") == "PATH":
    print("note: mkosi from PATH (%s): the lock is not used" % m.get("path"))
    sys.exit(0)
if m.get("from") != "locked" or len(pins) != 1 or pins[0]["sha256"] != m.get("deb_sha256"):
    print("FAIL: build.json mkosi %r, lock pins %r" % (m, [p["sha256"] for p in pins]), file=sys.stderr)
    sys.exit(1)
print("ok the build pinned mkosi %s (%s) in tdx.lock and ran it" % (pins[0]["version"], pins[0]["sha256"][:16]))
PY

d=$tmp/a
efi=minimal-dev.efi
for f in "$efi" vmlinuz initrd.cpio.zst OVMF.fd cmdline vm.json measurements.json measurements.cbor \
    measurements-vtpm.json build.json mkosi.log; do
    [ -f "$d/$f" ] || bad "output: no $f"
done
python3 - "$d" "$efi" <<'EOF' || fail=1
import hashlib, json, os, sys
d, efi = sys.argv[1], sys.argv[2]
ok = True
def bad(msg):
    global ok
    print("FAIL: " + msg, file=sys.stderr)
    ok = False
vm = json.load(open(os.path.join(d, "vm.json")))
if vm.get("kernel") != "vmlinuz" or vm.get("initrd") != "initrd.cpio.zst":
    bad("vm.json: kernel %r initrd %r" % (vm.get("kernel"), vm.get("initrd")))
b = json.load(open(os.path.join(d, "build.json")))
if b.get("backend") != "mkosi" or not str(b.get("mkosi_version", "")).startswith("25"):
    bad("build.json: backend %r mkosi_version %r" % (b.get("backend"), b.get("mkosi_version")))
listed = {a["path"]: a for a in b["artifacts"]}
for name in sorted(os.listdir(d)):
    if name in ("build.json", "mkosi.log"):
        continue
    p = os.path.join(d, name)
    if name not in listed:
        bad("build.json does not list " + name)
        continue
    h = hashlib.sha256(open(p, "rb").read()).hexdigest()
    if h != listed[name]["sha256"] or os.path.getsize(p) != listed[name]["size"]:
        bad("build.json: %s does not match the file" % name)
m = json.load(open(os.path.join(d, "measurements.json")))
text = json.dumps(m)
for reg in ("mrtd", "rtmr1", "rtmr2"):
    if '"%s"' % reg not in text:
        bad("measurements.json has no " + reg)
t = json.dumps(json.load(open(os.path.join(d, "measurements-vtpm.json"))))
for pcr in ("4", "9", "11"):
    if ('"pcr%s"' % pcr) not in t and ('"%s"' % pcr) not in t:
        bad("measurements-vtpm.json has no PCR " + pcr)
sys.exit(0 if ok else 1)
EOF

# The directory alone gives the same measurements.
if "$tdxctl" measure "$d" --json >"$tmp/m.json" 2>"$tmp/m.err"; then
    python3 - "$tmp/m.json" "$d/measurements.json" <<'EOF' || bad "tdxctl measure DIR differs from measurements.json"
import json, sys
got = json.load(open(sys.argv[1]))
got = got.get("measurements", got)["registers"]
want = json.load(open(sys.argv[2]))["registers"]
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("  %s: measure %s, build %s" % (k, got.get(k), want.get(k)), file=sys.stderr)
    sys.exit(1)
EOF
else
    bad "tdxctl measure $d: $(cat "$tmp/m.err")"
fi

# The UKI's .initrd is the initrd beside it and the whole root file system.
mkdir "$tmp/root"
objcopy -O binary --only-section=.initrd "$d/$efi" "$tmp/initrd" 2>/dev/null ||
    bad "no .initrd section in the UKI"
cmp -s "$tmp/initrd" "$d/initrd.cpio.zst" || bad "initrd.cpio.zst is not the UKI's .initrd"
(cd "$tmp/root" && zstd -dc "$d/initrd.cpio.zst" 2>/dev/null | cpio -idm --quiet 2>/dev/null)
grep -q "console=ttyS0" "$d/cmdline" || bad "cmdline is not the recipe's (the UKI's .cmdline)"
r=$tmp/root
ml=$(cat "$r"/etc/modules-load.d/*.conf 2>/dev/null)
for mod in configfs tsm tdx_guest vmw_vsock_virtio_transport; do
    echo "$ml" | grep -qx "$mod" || bad "image: $mod not in modules-load.d"
done
for u in modprobe@.service multi-user.target shutdown.target poweroff.target reboot.target \
    emergency.target getty.target systemd-modules-load.service sys-kernel-config.mount; do
    [ "$(readlink "$r/etc/systemd/system/$u" 2>/dev/null)" = /dev/null ] && bad "image: $u is masked"
done
n=$(find "$r/etc/systemd/system" -maxdepth 1 -lname /dev/null | wc -l)
[ "$n" -gt 50 ] || bad "image: only $n units masked (the debloat did not run)"
if [ ! -f "$r/etc/machine-id" ] || [ -s "$r/etc/machine-id" ]; then
    bad "image: /etc/machine-id is missing or not empty"
fi
[ ! -e "$r/.tdx-debloat-mask" ] || bad "image: the debloat list is left in it"
for f in usr/sbin/tdx-agent usr/lib/systemd/system/tdx-agent.socket \
    usr/lib/systemd/system/secrets-ready.target etc/systemd/system/hello.service \
    etc/tdx-agent/secrets.json usr/local/bin/hello-secret; do
    [ -e "$r/$f" ] || bad "image: no /$f"
done
grep -q "^Address=10.0.2.15/24$" "$r/etc/systemd/network/80-tdx.network" 2>/dev/null ||
    bad "image: no networkd file for network.mode static"
grep -qx "qemu_fw_cfg" "$r/etc/modules-load.d/tdx-test-provider.conf" 2>/dev/null ||
    bad "image: qemu_fw_cfg is not loaded in the dev profile"
grep -q "^ExecStart=.* --test-provider$" "$r/usr/lib/systemd/system/tdx-agent.service" ||
    bad "image: the dev profile's agent has no --test-provider"
if grep -q "Failed to preset unit: Unit /buildroot/etc/systemd/system/" "$d/mkosi.log"; then
    bad "mkosi.log: presets fail on units the debloat masked"
fi

# The boot: under systemd, through the agent and the console.
boot_s=
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    bad "qemu-system-x86_64 is not installed: the image was not booted"
else
    qemu_pid=
    trap 'if [ -n "$qemu_pid" ]; then kill -9 "$qemu_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
    plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$d/run/serial.log"; }
    console_has() { plain | grep -aqF "$1"; }
    json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
    gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat" 2>/dev/null; }
    b0=$(now)
    if "$tdxctl" run "$d" --emulated --detach --json --timeout 600 >"$tmp/run.json" 2>"$tmp/run.err"; then
        boot_s=$(($(now) - b0))
        qemu_pid=$(json_field "$tmp/run.json" pid)
        addr=$(json_field "$tmp/run.json" agent)
        root=$(json_field "$tmp/run.json" test_root)
        "$tdxctl" agent info --connect "$addr" --json >"$tmp/info.json" 2>"$tmp/info.err" ||
            bad "agent info: $(cat "$tmp/info.err")"
        python3 -c '
import json, sys; i = json.load(open(sys.argv[1]))["info"]
sys.exit(not (i["tdx"]["configfs_tsm"] is True and i["simulated"] is True))' "$tmp/info.json" ||
            bad "agent info: configfs_tsm not true or not the test provider: $(cat "$tmp/info.json")"
        if ! plain | grep -a "systemd-modules-load" | grep -aq "module 'tdx_guest'"; then
            bad "console: the boot did not ask for tdx_guest"
        fi
        console_has "Failed to insert module 'tsm'" && bad "console: tsm did not load"

        umask 077
        printf '%s' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$tmp/key.hex"
        printf 'greeting_key=%s\n' "$(cat "$tmp/key.hex")" >"$tmp/secrets.env"
        line="hello: key present (sha256 prefix $(sha256sum "$tmp/key.hex" | cut -c1-16))"
        python3 - "$d/measurements.json" "$tmp/wrong.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
r = m["registers"]["rtmr1"]
m["registers"]["rtmr1"] = ("0" if r[0] != "0" else "1") + r[1:]
json.dump(m, open(sys.argv[2], "w"))
PY
        if "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/secrets.env" \
                --expected "$tmp/wrong.json" --root "$root" >"$tmp/push.out" 2>"$tmp/push.err"; then
            bad "a push with wrong measurements was accepted"
        fi
        if ! grep -q "quote: measurements: " "$tmp/push.err" || ! grep -qi "rtmr1" "$tmp/push.err"; then
            bad "refused push, not for RTMR1: $(cat "$tmp/push.err")"
        fi
        sleep 3
        console_has "hello: key present" && bad "the payload started before its secret was delivered"
        console_has "Reached target secrets-ready.target" && bad "secrets-ready.target before the push"
        if "$tdxctl" secrets push --connect "$addr" --secrets "$tmp/secrets.env" \
                --expected "$d/measurements.json" --root "$root" >"$tmp/push.out" 2>"$tmp/push.err"; then
            n=0
            until console_has "$line" || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
            console_has "$line" || bad "console: no \"$line\""
            ready=$(plain | grep -an "Reached target secrets-ready.target" | head -n 1 | cut -d: -f1)
            hello=$(plain | grep -anF "$line" | head -n 1 | cut -d: -f1)
            if [ -z "$ready" ] || [ -z "$hello" ] || [ "$ready" -ge "$hello" ]; then
                bad "console: the payload line is not after secrets-ready.target ($ready, $hello)"
            fi
        else
            bad "push: $(cat "$tmp/push.err")"
        fi
        "$tdxctl" stop "$d" --timeout 5 >/dev/null 2>"$tmp/stop.err" || bad "stop: $(cat "$tmp/stop.err")"
        gone "$qemu_pid" || bad "QEMU is left after stop"
        qemu_pid=
    else
        bad "tdxctl run --emulated: $(cat "$tmp/run.err")"
    fi
    if [ "$fail" -ne 0 ] && [ -f "$d/run/serial.log" ]; then
        echo "--- console (last 60 lines) ---" >&2
        plain | tail -n 60 >&2
    fi
fi

efi_size=$(stat -c %s "$d/$efi")
initrd_size=$(stat -c %s "$d/initrd.cpio.zst")
echo "figures: {\"build_s\": $((t1 - t0)), \"boot_to_agent_s\": ${boot_s:-null}," \
    "\"uki_bytes\": $efi_size, \"initrd_bytes\": $initrd_size}"
if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "ok mkosi build: layout, measurements, image contents, boot, push, payload"
