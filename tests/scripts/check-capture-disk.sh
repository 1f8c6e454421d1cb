#!/bin/sh
# The ACPI capture of a disk build (mkosi Format=disk, vm.json "boot":
# "disk"), on a build directory made elsewhere (check-mkosi-build.sh's
# dev-disk build):
#   - `tdxctl acpi capture BUILD_DIR` boots the disk as it is and writes
#     acpi/ with the three fw_cfg blobs and boot-variables/ (BootOrder first
#     and the Boot#### it lists), capture.json naming each with its sha256;
#   - `tdxctl measure BUILD_DIR` then knows RTMR0, and its EV_EFI_VARIABLE_BOOT
#     events are SHA-384 of those files, in BootOrder's order (recomputed
#     here with python3's hashlib);
#   - a second capture gives the same bytes (the firmware numbers its options
#     the same way for the same VM) and so the same RTMR0.
# On a kernel build (native, direct boot) the same checks compare the
# captured variables with what the model computes for a direct boot
# (BootOrder 0000, Boot0000 UiApp): its events are the model's, so the
# digests match only if the firmware made exactly those.
# Prints the boot variables (name, size, what the measurement says of them).
# Leaves BUILD_DIR/acpi/ (the capture) in place; measurements.json is not
# changed. Needs qemu-system-x86_64 and python3; a few minutes under TCG.
# Usage: check-capture-disk.sh BUILD_DIR [TDXCTL]
set -u
dir=$1
tdxctl=${2:-${TDXCTL:-tdxctl}}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/check-capture-disk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*" >&2
    fail=1
}

command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
[ -f "$dir/vm.json" ] || { bad "$dir/vm.json: not a build directory"; exit 1; }

capture() { # N: capture into BUILD_DIR/acpi, keep a copy as $tmp/capN
    if ! "$tdxctl" --json acpi capture "$dir" --timeout 600 >"$tmp/capture$1.json" 2>"$tmp/capture$1.err"; then
        bad "capture $1: $(tail -3 "$tmp/capture$1.err")"
        return 1
    fi
    cp -r "$dir/acpi" "$tmp/cap$1"
}

capture 1 || exit 1
"$tdxctl" measure "$dir" -o "$tmp/m1.json" 2>"$tmp/m1.err" || bad "measure: $(cat "$tmp/m1.err")"

# The capture's files, capture.json's record of them, and the measurement.
python3 - "$tmp/cap1" "$tmp/m1.json" "$tmp/capture1.json" <<'EOF' || fail=1
import hashlib, json, os, sys
cap, mfile, out = sys.argv[1:4]
bad = []
doc = json.load(open(os.path.join(cap, "capture.json")))
bv = os.path.join(cap, "boot-variables")
if not os.path.isdir(bv):
    print("FAIL: the capture has no boot variables: %s" % doc.get("boot_variables_missing"), file=sys.stderr)
    sys.exit(1)
order = open(os.path.join(bv, "BootOrder"), "rb").read()
numbers = ["Boot%04X" % int.from_bytes(order[i:i + 2], "little") for i in range(0, len(order), 2)]
names = ["BootOrder"] + [n for n in dict.fromkeys(numbers) if os.path.exists(os.path.join(bv, n))]
files = sorted(os.listdir(bv))
if sorted(names) != files:
    bad.append("boot-variables/ holds %r, BootOrder lists %r" % (files, numbers))
rec = doc.get("boot_variables") or []
if [r["name"] for r in rec] != names:
    bad.append("capture.json boot_variables %r, expected %r" % ([r["name"] for r in rec], names))
data = {n: open(os.path.join(bv, n), "rb").read() for n in names}
for r in rec:
    d = data.get(r["name"], b"")
    if r["size"] != len(d) or r["sha256"] != hashlib.sha256(d).hexdigest():
        bad.append("capture.json: %s: size/sha256 do not match the file" % r["name"])
m = json.load(open(mfile))
if not m["registers"].get("rtmr0"):
    bad.append("RTMR0 unknown after the capture: %s" % m.get("unknown", {}).get("rtmr0"))
# The firmware measures BootOrder, then every listed option that exists, in
# BootOrder's order (a number listed twice is measured twice).
want = [("BootOrder", order)] + [(n, data[n]) for n in numbers if n in data]
evs = [e for e in m["events"] if e["register"] == "rtmr0" and e["type_value"] == 0x80000002]
if len(evs) != len(want):
    bad.append("%d EV_EFI_VARIABLE_BOOT events in RTMR0, expected %d" % (len(evs), len(want)))
for (n, d), e in zip(want, evs):
    if e["digest"] != hashlib.sha384(d).hexdigest():
        bad.append("%s: event digest %s is not SHA-384 of the file" % (n, e["digest"][:16]))
    print("boot variable %-9s %4d bytes  %s" % (n, len(d), e.get("description", "")))
print("RTMR0 %s" % m["registers"].get("rtmr0"))
json_rtmr0 = json.load(open(out)).get("rtmr0")
if json_rtmr0 != m["registers"].get("rtmr0"):
    bad.append("acpi capture printed RTMR0 %s, measure says %s" % (json_rtmr0, m["registers"].get("rtmr0")))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# Determinism: the same VM gives the same blobs and boot variables.
if capture 2; then
    for f in etc-acpi-tables etc-acpi-rsdp etc-table-loader; do
        cmp -s "$tmp/cap1/$f" "$tmp/cap2/$f" || bad "second capture: $f differs"
    done
    diff -r "$tmp/cap1/boot-variables" "$tmp/cap2/boot-variables" >"$tmp/diff" 2>&1 ||
        bad "second capture: the boot variables differ: $(cat "$tmp/diff")"
    "$tdxctl" measure "$dir" -o "$tmp/m2.json" 2>"$tmp/m2.err" || bad "measure: $(cat "$tmp/m2.err")"
    python3 -c 'import json, sys; a, b = (json.load(open(f))["registers"]["rtmr0"] for f in sys.argv[1:]); sys.exit(a != b)' \
        "$tmp/m1.json" "$tmp/m2.json" || bad "second capture: RTMR0 differs"
fi
[ "$fail" = 0 ] && echo "ok: $dir captured twice, RTMR0 known and the same"
exit $fail
