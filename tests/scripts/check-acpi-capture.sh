#!/bin/sh
# tdxctl acpi capture under TCG with the host's stock QEMU, on the build
# directory lib-handbuild.sh makes:
#   - two captures of the same build give byte-identical blobs;
#   - 2 vCPUs instead of 1 change all three (the MADT and the DSDT's CPU
#     objects grow the tables, which moves the RSDT/XSDT the RSDP points to
#     and the loader's offsets); 3072 MiB instead of 2048 changes none on
#     QEMU 7.x (q35's DSDT describes the 64-bit PCI window from assigned BARs,
#     not RAM; memory reaches RTMR0 through the TD HOB instead);
#   - the RTMR0 the capture reports is the one `tdxctl measure --acpi-*`
#     computes from the stored blobs, and RTMR0 stays unknown for a capture
#     of another shape;
#   - capture.json records the QEMU version, argv, memory and vCPUs, and
#     the machine settings TDX forces are in that argv.
# Skipped (77) where qemu-system-x86_64, OVMF, busybox or the kernel package
# are not available.
# Usage: check-acpi-capture.sh TDXCTL AGENT SOURCE_ROOT CACHE_DIR
set -u
tdxctl=$1
agent=$2
cache=$4
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
# shellcheck source-path=SCRIPTDIR source=lib-handbuild.sh
. "$(dirname "$0")/lib-handbuild.sh"
make_scratch

handbuild_or_skip "$tdxctl" "$agent" "$cache" "$tmp/b"
qemu_major=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
blobs="etc-acpi-tables etc-acpi-rsdp etc-table-loader"

capture() { # NAME [OPTIONS]: captures into $tmp/NAME
    name=$1
    shift
    expect 0 "" "$tdxctl" acpi capture "$tmp/b" --json "$@"
    cp "$tmp/out" "$tmp/$name.json"
    dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["directory"])' "$tmp/out")
    rm -rf "${tmp:?}/$name" && cp -r "$dir" "$tmp/$name"
}
same() { cmp -s "$tmp/$1/$3" "$tmp/$2/$3"; }

capture first
capture second
for f in $blobs; do check "capture twice: $f identical" same first second "$f"; done
check "no QEMU left after a capture" sh -c "! pgrep -f 'tdxhost-[b] .*tdx.capture=acpi' >/dev/null"
check "the capture left no run files behind" sh -c "[ ! -e '$tmp/b/run/qemu.pid' ] && [ ! -e '$tmp/b/run/qmp.sock' ]"
check "capture.json: version, shape, argv with TDX's machine" python3 -c '
import json, subprocess, sys
c = json.load(open(sys.argv[1] + "/capture.json"))
v = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
ok = (c["qemu_version"] in v and c["memory_mib"] == 2048 and c["cpus"] == 1
      and "q35,kernel-irqchip=split,smm=off,pic=off,hpet=off" in c["argv"]
      and c["argv"][c["argv"].index("-append") + 1].endswith(" tdx.capture=acpi")
      and "-smp" in c["argv"] and c["argv"][c["argv"].index("-smp") + 1] == "1")
sys.exit(not ok)' "$tmp/first"

capture cpus2 --cpus 2
for f in $blobs; do check "2 vCPUs: $f differs" sh -c "! cmp -s '$tmp/first/$f' '$tmp/cpus2/$f'"; done
capture mem3072 --memory 3072
if [ "$qemu_major" = 7 ]; then
    for f in $blobs; do check "3072 MiB: $f identical (QEMU 7.x)" same first mem3072 "$f"; done
else
    echo "3072 MiB on QEMU $qemu_major: blobs compared only on 7.x (their expectations were measured there)"
fi
check "reshaped capture: beside acpi/, not in it" python3 -c '
import json, sys; j = json.load(open(sys.argv[1]))
sys.exit(not (j["directory"].endswith("/acpi-3072m-1c") and j.get("rtmr0") is None))' "$tmp/mem3072.json"
check "acpi/ still holds the build shape's capture" cmp -s "$tmp/b/acpi/etc-acpi-tables" "$tmp/first/etc-acpi-tables"
expect 0 "" "$tdxctl" measure "$tmp/b"

# The capture's RTMR0 = tdxctl measure with the stored blobs as --acpi-*.
capture final
expect 0 "" "$tdxctl" measure --firmware "$tmp/b/OVMF.fd" --kernel "$tmp/b/vmlinuz" \
    --initrd "$tmp/b/initrd.cpio.gz" --cmdline "$(cat "$tmp/b/cmdline")" --memory 2048M --cpus 1 \
    --acpi-tables "$tmp/final/etc-acpi-tables" --acpi-rsdp "$tmp/final/etc-acpi-rsdp" \
    --acpi-loader "$tmp/final/etc-table-loader"
check "RTMR0 from the capture = measure --acpi-*" python3 -c '
import json, sys
want = json.load(open(sys.argv[1]))["registers"]["rtmr0"]
got = json.load(open(sys.argv[2]))["rtmr0"]
sys.exit(not (want and want == got))' "$tmp/out" "$tmp/final.json"
exit $fail
