#!/bin/sh
# The real mkosi builds and their boots: examples/minimal.json, profiles dev
# (a UKI) and dev-disk (a GPT disk whose ESP holds the UKI), built with
# `tdxctl build --backend mkosi` (mkosi 25 from `tdxctl mkosi install`, a
# Debian trixie tools tree), checked, then booted under systemd with
# `tdxctl run --emulated` and fed their secret. The UKI:
#   - the output layout (docs/build.md): the UKI, OVMF.fd, vm.json pointing at
#     it, measurements.json/.cbor, measurements-vtpm.json, build.json whose
#     artifacts match the files, mkosi.log;
#   - OVMF.fd from the ovmf .deb examples/tdx.lock pins (its entry reused
#     unchanged, a "deb" input), not the host's;
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
#     presses the ACPI power button, tdx-power-button.service has systemd
#     power off, and no QEMU is left.
# The disk (dev-disk):
#   - disk.raw's GPT has the ESP and an x86-64 root partition; the ESP's
#     \EFI\BOOT\BOOTX64.EFI is the UKI beside it (so what is measured is what
#     boots); disk.vhd is the same bytes with a fixed VHD footer (qemu-img:
#     vpc); disk.tar.gz holds disk.raw alone, GNU format, owner 0, mtime the
#     recipe's epoch;
#   - vm.json boots the disk; measurements.json equals `tdxctl measure DIR`;
#   - booted from the ESP by OVMF (no -kernel): the push with the build's
#     measurements reaches the payload's line; stop leaves no QEMU;
#   - booted with a vTPM (swtpm), its TPM log's PCR 4/9/11 events and the
#     disk model's RTMR1/RTMR2 events equal the firmware's (check-vtpm-boot.sh);
#   - `tdxctl acpi capture` of it gives RTMR0 (check-capture-disk.sh).
# The same build twice (reproducibility, warm time) is bench/mkosi-bench.c.
# Prints the build time and sizes as one JSON line ("figures").
# Needs network (the Debian archive), root or user namespaces, python3 >= 3.9,
# qemu-system-x86_64, qemu-img, mtools, about 7 GB of disk below the cache; skips (77) without
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
for t in objcopy zstd cpio mcopy qemu-img; do
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
# build PROFILE DIR: the example's profile built with mkosi into DIR.
build() {
    if ! "$tdxctl" build "$src/examples/minimal.json" -p "$1" --backend mkosi --agent "$agent" \
            --lock "$tmp/tdx.lock" -o "$2" >"$2.log" 2>&1; then
        cat "$2.log" >&2
        [ -f "$2.mkosi.log" ] && tail -n 40 "$2.mkosi.log" >&2
        bad "build -p $1"
        exit 1
    fi
}
build dev "$tmp/a"
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
# OVMF.fd is the example lock's ovmf (bookworm), not the host's: its entry
# reused as it is, a "deb" input in build.json, its event layout in vm.json.
python3 - "$src/examples/tdx.lock" "$tmp/tdx.lock" "$tmp/a" <<'PY' || bad "OVMF.fd is not the ovmf the example's lock pins"
import hashlib, json, sys
pin = lambda p: [e for e in json.load(open(p))["debian"] if e.get("requested") == "ovmf"]
before, after = pin(sys.argv[1]), pin(sys.argv[2])
assert len(before) == 1 and after == before, (before, after)
b = json.load(open(sys.argv[3] + "/build.json"))
i = [x for x in b["inputs"] if x["name"] in ("ovmf", "firmware")]
assert i == [{"kind": "deb", "name": "ovmf", "version": before[0]["version"], "url": before[0]["url"],
              "sha256": before[0]["sha256"]}], i
assert json.load(open(sys.argv[3] + "/vm.json"))["firmware_event_layout"] == "pre-202411"
print("ok OVMF.fd from the locked ovmf %s" % before[0]["version"])
PY

# layout DIR FILE...: the files are there, build.json lists every file with
# its digest, the measurements name their registers.
layout() {
    d=$1
    shift
    for f in "$@" OVMF.fd vm.json measurements.json measurements.cbor measurements-vtpm.json \
        build.json mkosi.log; do
        [ -f "$d/$f" ] || bad "output: no $f"
    done
    python3 - "$d" <<'EOF' || fail=1
import hashlib, json, os, sys
d = sys.argv[1]
ok = True
def bad(msg):
    global ok
    print("FAIL: " + msg, file=sys.stderr)
    ok = False
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
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    h = h.hexdigest()
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
}

# same_measurements DIR: the directory alone gives the same measurements.
same_measurements() {
if "$tdxctl" measure "$1" --json >"$tmp/m.json" 2>"$tmp/m.err"; then
    python3 - "$tmp/m.json" "$1/measurements.json" <<'EOF' || bad "tdxctl measure $1 differs from measurements.json"
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
    bad "tdxctl measure $1: $(cat "$tmp/m.err")"
fi
}

d=$tmp/a
efi=minimal-dev.efi
layout "$d" "$efi" vmlinuz initrd.cpio.zst cmdline
python3 -c '
import json, sys
vm = json.load(open(sys.argv[1]))
sys.exit(vm.get("kernel") != "vmlinuz" or vm.get("initrd") != "initrd.cpio.zst")' "$d/vm.json" ||
    bad "vm.json: not the UKI's kernel and initrd: $(cat "$d/vm.json")"
same_measurements "$d"

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
# boot_deliver DIR KIND: boots DIR, checks the agent, pushes the secret (for
# KIND uki also a push with wrong measurements first) and waits for the
# payload's line; sets boot_s.
qemu_pid=
trap 'if [ -n "$qemu_pid" ]; then kill -9 "$qemu_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
plain() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$d/run/serial.log"; }
console_has() { plain | grep -aqF "$1"; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) [ZX] ' "/proc/$1/stat" 2>/dev/null; }
boot_deliver() {
    d=$1
    boot_s=
    b0=$(now)
    if ! "$tdxctl" run "$d" --emulated --detach --json --timeout 600 >"$tmp/run.json" 2>"$tmp/run.err"; then
        bad "tdxctl run --emulated $d: $(cat "$tmp/run.err")"
        return
    fi
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
    if [ "$2" = uki ]; then
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
    fi
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
    "$tdxctl" stop "$d" --timeout 30 >/dev/null 2>"$tmp/stop.err" || bad "stop: $(cat "$tmp/stop.err")"
    gone "$qemu_pid" || bad "QEMU is left after stop"
    # tdx-power-button.service answered QMP's ACPI power button: systemd
    # powered off (the kernel's last line), QEMU was not killed.
    console_has "power button pressed: powering off" ||
        bad "console: tdx-power-button.service did not see the power button"
    console_has "reboot: Power down" || bad "console: the image did not power off on the power button"
    qemu_pid=
    if [ "$fail" -ne 0 ] && [ -f "$d/run/serial.log" ]; then
        echo "--- console of $d (last 60 lines) ---" >&2
        plain | tail -n 60 >&2
    fi
}

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
    { bad "qemu-system-x86_64 is not installed: nothing was booted"; exit 1; }
boot_deliver "$d" uki
uki_boot_s=$boot_s
efi_size=$(stat -c %s "$d/$efi")
initrd_size=$(stat -c %s "$d/initrd.cpio.zst")

# The disk: a second build of the same image, the ESP booted by OVMF.
t2=$(now)
build dev-disk "$tmp/disk"
t3=$(now)
d=$tmp/disk
efi=minimal-dev-disk.efi
layout "$d" "$efi" disk.raw disk.vhd disk.tar.gz
same_measurements "$d"
python3 - "$d" "$efi" "$tmp/esp-offset" <<'PY' || fail=1
import json, os, struct, sys, tarfile, uuid, zlib
d, efi, esp_offset = sys.argv[1], sys.argv[2], sys.argv[3]
ok = True
def bad(msg):
    global ok
    print("FAIL: " + msg, file=sys.stderr)
    ok = False
vm = json.load(open(os.path.join(d, "vm.json")))
if vm.get("boot") != "disk" or vm.get("disk") != "disk.raw" or vm.get("uki") != efi or "kernel" in vm:
    bad("vm.json does not boot disk.raw: %r" % vm)
raw = os.path.join(d, "disk.raw")
size = os.path.getsize(raw)
with open(raw, "rb") as f:
    f.seek(512)
    h = f.read(92)
    sig, _, hsize, crc, _, _, _, _, _, _, elba, n, esz, ecrc = struct.unpack("<8sIIIIQQQQ16sQIII", h)
    f.seek(elba * 512)
    entries = f.read(n * esz)
if sig != b"EFI PART" or zlib.crc32(h[:16] + b"\0" * 4 + h[20:hsize]) != crc or zlib.crc32(entries) != ecrc:
    bad("disk.raw: no valid GPT")
types = []
for i in range(n):
    e = entries[i * esz:(i + 1) * esz]
    if e[:16] != b"\0" * 16:
        types.append((str(uuid.UUID(bytes_le=e[:16])), struct.unpack_from("<Q", e, 32)[0]))
want = ["c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"]
if [t for t, _ in types] != want:
    bad("disk.raw: partitions %r, expected the ESP and an x86-64 root" % types)
else:
    print("ESP at LBA %d" % types[0][1])
    with open(esp_offset, "w") as o:
        o.write(str(types[0][1] * 512))
vhd = os.path.join(d, "disk.vhd")
vsize = os.path.getsize(vhd)
with open(vhd, "rb") as f:
    f.seek(vsize - 512)
    footer = f.read(512)
if footer[:8] != b"conectix" or (vsize - 512) % (1 << 20) or vsize - 512 < size:
    bad("disk.vhd: %d bytes, footer %r: not a fixed VHD of disk.raw rounded to 1 MiB" % (vsize, footer[:8]))
with tarfile.open(os.path.join(d, "disk.tar.gz"), "r:gz") as t:
    members = t.getmembers()
    if ([m.name for m in members] != ["disk.raw"] or members[0].uid or members[0].gid or
            members[0].mtime != 0 or members[0].size != size):
        bad("disk.tar.gz: %r" % [(m.name, m.uid, m.mtime, m.size) for m in members])
with open(os.path.join(d, "disk.tar.gz"), "rb") as f:
    g = f.read(10)
if g[4:8] != b"\0\0\0\0" or g[3] & 0x08:
    bad("disk.tar.gz: the gzip header has a time stamp or a file name")
sys.exit(0 if ok else 1)
PY
# A fixed VHD has its footer only at the end, so qemu-img is told the format.
qemu-img info -f vpc --output=json "$d/disk.vhd" >"$tmp/vhd.json" 2>&1
python3 -c '
import json, os, sys
i = json.load(open(sys.argv[1]))
sys.exit(i.get("format") != "vpc" or i.get("virtual-size") != os.path.getsize(sys.argv[2]) - 512)' \
    "$tmp/vhd.json" "$d/disk.vhd" 2>/dev/null ||
    bad "qemu-img info -f vpc disk.vhd: $(cat "$tmp/vhd.json")"
cmp -s -n "$(stat -c %s "$d/disk.raw")" "$d/disk.raw" "$d/disk.vhd" || bad "disk.vhd does not start with disk.raw"
if [ -f "$tmp/esp-offset" ]; then
    mcopy -n -i "$d/disk.raw@@$(cat "$tmp/esp-offset")" ::/EFI/BOOT/BOOTX64.EFI "$tmp/bootx64.efi" 2>"$tmp/mcopy.err" ||
        bad "the ESP has no \\EFI\\BOOT\\BOOTX64.EFI: $(cat "$tmp/mcopy.err")"
    cmp -s "$tmp/bootx64.efi" "$d/$efi" || bad "the ESP's BOOTX64.EFI is not $efi"
fi
boot_deliver "$d" disk
disk_boot_s=$boot_s
# Our models against a real firmware: the disk booted with a vTPM (swtpm),
# its TPM log's digests compared event by event with what we compute.
sh "$src/tests/scripts/check-vtpm-boot.sh" "$d" "$tdxctl"
case $? in
0) ;;
77) echo "note: the vTPM check was skipped (no swtpm)" ;;
*) bad "the vTPM boot's TPM log differs from our models" ;;
esac
# RTMR0 of the disk boot: the capture of its ACPI blobs and boot variables.
sh "$src/tests/scripts/check-capture-disk.sh" "$d" "$tdxctl" || bad "the ACPI capture of the disk build"

echo "figures: {\"build_s\": $((t1 - t0)), \"boot_to_agent_s\": ${uki_boot_s:-null}," \
    "\"uki_bytes\": $efi_size, \"initrd_bytes\": $initrd_size," \
    "\"disk_build_s\": $((t3 - t2)), \"disk_boot_to_agent_s\": ${disk_boot_s:-null}," \
    "\"disk_bytes\": $(stat -c %s "$d/disk.raw"), \"vhd_bytes\": $(stat -c %s "$d/disk.vhd")," \
    "\"gcp_tar_gz_bytes\": $(stat -c %s "$d/disk.tar.gz")}"
if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "ok mkosi builds (UKI, disk): layout, measurements, image contents, cloud images, boots, pushes, payload"
