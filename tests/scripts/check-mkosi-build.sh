#!/bin/sh
# The real mkosi build: examples/minimal.json, profile dev, built twice with
# `tdxctl build --backend mkosi` (mkosi 25 from `tdxctl mkosi install`, a
# Debian trixie tools tree), and checked:
#   - the output layout (docs/build.md): the UKI, OVMF.fd, vm.json pointing at
#     it, measurements.json/.cbor, measurements-vtpm.json, build.json whose
#     artifacts match the files, mkosi.log;
#   - the measurements: MRTD, RTMR1, RTMR2 known and equal to what
#     `tdxctl measure DIR` computes from the directory alone; vTPM PCRs 4, 9, 11;
#   - inside the UKI's initrd (the whole root file system): modules-load.d asks
#     for configfs, tsm, tdx_guest and the vsock transport; modprobe@.service,
#     multi-user/shutdown/poweroff/reboot/emergency targets not masked (and
#     masking still happened); /etc/machine-id an empty file; no debloat list
#     left; the agent, its units and the recipe's service present;
#   - the second build (warm caches): the same artifacts, or the bytes that
#     differ are printed.
# Prints the cold and warm times and sizes as one JSON line ("figures").
# Needs network (deb.debian.org), root or user namespaces, python3 >= 3.9,
# about 4 GB of disk below the cache; skips (77) without network or root.
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
build() { # OUTDIR LOG
    "$tdxctl" build "$src/examples/minimal.json" -p dev --backend mkosi --agent "$agent" -o "$1" \
        >"$2" 2>&1
}

t0=$(now)
if ! build "$tmp/a" "$tmp/a.log"; then
    cat "$tmp/a.log" >&2
    log=$(ls "$tmp"/a.mkosi.log 2>/dev/null) && tail -n 40 "$log" >&2
    bad "first build"
    exit 1
fi
t1=$(now)
if ! build "$tmp/b" "$tmp/b.log"; then
    cat "$tmp/b.log" >&2
    bad "second build"
    exit 1
fi
t2=$(now)

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
if grep -q "Failed to preset unit: Unit /buildroot/etc/systemd/system/" "$d/mkosi.log"; then
    bad "mkosi.log: presets fail on units the debloat masked"
fi

# The same build twice.
same=true
for f in "$efi" vmlinuz initrd.cpio.zst OVMF.fd cmdline measurements.json measurements.cbor \
    measurements-vtpm.json vm.json; do
    if ! cmp -s "$d/$f" "$tmp/b/$f"; then
        same=false
        echo "DIFF: $f: $(cmp -l "$d/$f" "$tmp/b/$f" 2>/dev/null | wc -l) bytes differ" >&2
    fi
done

efi_size=$(stat -c %s "$d/$efi")
echo "figures: {\"cold_s\": $((t1 - t0)), \"warm_s\": $((t2 - t1)), \"uki_bytes\": $efi_size," \
    "\"identical\": $same}"
if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "ok mkosi build: layout, measurements, image contents"
