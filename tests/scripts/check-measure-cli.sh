#!/bin/sh
# tdxctl measure / pe-hash / eventlog: the command-line contract (options,
# exit codes 0/1/2, "tdxctl: " messages, --json, output formats, -o).
# Usage: check-measure-cli.sh TDXCTL SOURCE_ROOT MAKE_TEST_IMAGE
set -u
tdxctl=$1
src=$2
mkimage=$3
data=$src/tests/data/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if [ ! -d "$data/eventlogs" ]; then
    echo "SKIP: $data (the project's shared test data) is not there"
    exit 77
fi

# shellcheck source=expect.sh
. "$src/tests/scripts/expect.sh"

check() { # DESCRIPTION COMMAND... (succeeds or the test fails)
    what=$1
    shift
    if "$@"; then echo "ok $what"; else echo "FAIL: $what"; fail=1; fi
}

uki=$data/pe/measured-boot_uki.efi
dlog=$data/eventlogs/dstack_ccel.bin
acpi=$data/acpi/qemu-q35-1cpu-2048M
"$mkimage" tdvf "$tmp/OVMF.fd" debian || exit 1
"$mkimage" bzimage "$tmp/vmlinuz" 6.10.0-test || exit 1
printf 'initrd contents\n' >"$tmp/initrd"

# --- help and usage errors
expect 0 "" "$tdxctl" measure --help
expect 0 "" "$tdxctl" pe-hash --help
expect 0 "" "$tdxctl" eventlog --help
expect 2 "tdxctl: measure: give --firmware and --kernel, or --uki with --tpm" "$tdxctl" measure
expect 2 "measure: --uki goes with --tpm" "$tdxctl" measure --uki "$uki"
expect 2 "measure: --memory: expected a size (decimal digits, optional K, M, G or T), got 'lots'" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" --memory lots
expect 2 "measure: --mrtd-order: unknown value 'sideways'" "$tdxctl" measure --firmware x --kernel y --mrtd-order sideways
expect 2 "measure: --format: unknown value 'xml'" "$tdxctl" measure --firmware x --kernel y --format xml
expect 2 "measure: --runtime-event: expected NAME=HEXPAYLOAD" "$tdxctl" measure --firmware x --kernel y --runtime-event novalue
expect 2 "measure: --bank, --stub-version and --boot-loader go with --uki" "$tdxctl" measure --firmware x --kernel y --bank sha384
expect 2 "pe-hash: expected exactly one FILE" "$tdxctl" pe-hash
expect 2 "pe-hash: --alg: expected sha256 or sha384" "$tdxctl" pe-hash --alg md5 "$uki"
expect 2 "eventlog: unknown verb 'frob'" "$tdxctl" eventlog frob "$dlog"
expect 2 "eventlog: diff takes LOG and EXPECTED.json" "$tdxctl" eventlog diff "$dlog"

# --- pe-hash
expect 0 "" "$tdxctl" pe-hash "$uki"
check "pe-hash prints measured-boot's vector" grep -qx d343be6265eb3e23f78b0ae096bff334e37a760ae830736283f9b0268ecedcf2 "$tmp/out"
expect 0 "" "$tdxctl" pe-hash --alg sha384 "$uki"
check "pe-hash --alg sha384 prints 96 hex digits" grep -qxE '[0-9a-f]{96}' "$tmp/out"
expect 0 "" "$tdxctl" --json pe-hash "$uki"
check "pe-hash --json" grep -q '"digest":"d343be62' "$tmp/out"
expect 1 "tdxctl: $tmp/none: cannot open" "$tdxctl" pe-hash "$tmp/none"
expect 1 "tdxctl: $tmp/initrd: not a PE image" "$tdxctl" pe-hash "$tmp/initrd"

# --- measure, direct boot
"$mkimage" bzimage "$tmp/old-vmlinuz" 6.1.0-54-amd64 || exit 1
expect 0 "tdxctl: warning: kernel 6.1.0-54-amd64 predates Linux 6.9" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/old-vmlinuz"
expect 0 "tdxctl: warning: rtmr0 is unknown" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz"
check "rtmr0 is null without ACPI blobs" grep -q '"rtmr0": null' "$tmp/out"
check "registers hold hex" grep -qE '"rtmr1": "[0-9a-f]{96}"' "$tmp/out"
expect 0 "" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd" \
    --cmdline "console=hvc0" --memory 3G --cpus 1 --qemu-version 8.2.2 --acpi-tables "$acpi/etc-acpi-tables" \
    --acpi-rsdp "$acpi/etc-acpi-rsdp" --acpi-loader "$acpi/etc-table-loader" --runtime-event app-id=deadbeef
cp "$tmp/out" "$tmp/expected.json"
check "rtmr0 is known with ACPI blobs" grep -qE '"rtmr0": "[0-9a-f]{96}"' "$tmp/out"
check "assumptions name the QEMU version" grep -q '"qemu_version": "8.2.2"' "$tmp/out"
check "QEMU 8 means two-pass" grep -q '"mrtd_order": "two-pass"' "$tmp/out"
check "3G is 3072 MiB" grep -q '"memory_mib": 3072' "$tmp/out"
check "RTMR3 is no longer zero" sh -c "! grep -q '\"rtmr3\": \"000000000000' '$tmp/out'"
expect 1 "the MADT lists 1 enabled vCPUs, but 4 were given" "$tdxctl" measure --firmware "$tmp/OVMF.fd" \
    --kernel "$tmp/vmlinuz" --cpus 4 --acpi-tables "$acpi/etc-acpi-tables" --acpi-rsdp "$acpi/etc-acpi-rsdp" \
    --acpi-loader "$acpi/etc-table-loader"
expect 1 "tdxctl: $tmp/vmlinuz: no OVMF GUID table" "$tdxctl" measure --firmware "$tmp/vmlinuz" --kernel "$tmp/vmlinuz"
expect 1 "" "$tdxctl" --json measure --firmware "$tmp/vmlinuz" --kernel "$tmp/vmlinuz"
check "--json failure object" grep -q '"ok":false' "$tmp/out"

# other formats and -o
expect 0 "" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" --format dstack
check "dstack format" grep -q '"mrtd": "' "$tmp/out"
expect 0 "left out of the list" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" \
    --format cvm-reverse-proxy --measurement-id img-1
check "cvm-reverse-proxy format" grep -q '"attestation_type": "dcap-tdx"' "$tmp/out"
check "cvm-reverse-proxy id" grep -q '"measurement_id": "img-1"' "$tmp/out"
expect 0 "" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" --format cbor -o "$tmp/m.cbor"
check "CBOR starts with a map" sh -c "od -An -tx1 -N1 '$tmp/m.cbor' | grep -qE 'a[0-9a-f]|b[0-9a-f]'"
expect 0 "" "$tdxctl" --json measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" -o "$tmp/m.json"
check "-o with --json reports the file" grep -q "\"output\":\"$tmp/m.json\"" "$tmp/out"
check "-o wrote the document" grep -q '"registers"' "$tmp/m.json"
expect 1 "cannot write" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --kernel "$tmp/vmlinuz" -o "$tmp/no/such/dir"

# --- measure, UKI
expect 1 "not a systemd-stub version" "$tdxctl" measure --uki "$uki" --tpm
expect 0 "" "$tdxctl" measure --uki "$uki" --tpm --stub-version 258 --bank sha256 --bank sha384
cp "$tmp/out" "$tmp/uki.json"
check "UKI registers are PCRs" grep -qE '"pcr11": "[0-9a-f]{64}"' "$tmp/out"
check "UKI phases" grep -q '"phase": "enter-initrd:leave-initrd:sysinit:ready"' "$tmp/out"
expect 1 "not vTPM PCRs" "$tdxctl" measure --uki "$uki" --tpm --stub-version 258 --format dstack

# --- eventlog
expect 0 "" "$tdxctl" eventlog replay "$dlog"
check "dstack RTMR0" grep -qx 'rtmr0 274c2344116db7c663470693b5ba62b8621eac28cb41d2f816ddf188f9f423f900a1c44d32386fd3c993dc814e62af9d' "$tmp/out"
check "dstack RTMR1" grep -qx 'rtmr1 bdcf4ee0f7fdfe7c73fbb19ded73193aee23a6726b86d3b282ea097cf4c9ed7a0db21b5c1ccd513e410d90e310836b26' "$tmp/out"
expect 0 "" "$tdxctl" eventlog show "$dlog"
check "show lists 18 records" test "$(wc -l <"$tmp/out")" -eq 18
expect 0 "" "$tdxctl" eventlog show --json "$dlog"
check "show --json" grep -q '"kind":"cc"' "$tmp/out"
expect 0 "" "$tdxctl" eventlog replay --format json "$dlog"
cp "$tmp/out" "$tmp/dstack.json"
check "replay --format json has the registers" grep -q '"rtmr0": "274c2344' "$tmp/dstack.json"
expect 0 "" "$tdxctl" eventlog replay --json "$dlog"
check "replay --json: the measurements in the envelope" python3 -c \
    'import json,sys; o = json.load(open(sys.argv[1])); sys.exit(not (o["ok"] is True and o["measurements"]["registers"]["rtmr0"].startswith("274c2344")))' \
    "$tmp/out"
expect 0 "" "$tdxctl" eventlog diff "$dlog" "$tmp/dstack.json"
check "diff of a log with itself matches" grep -q '^rtmr1: matches' "$tmp/out"
sed 's/77a0dab2312b4e1e/00a0dab2312b4e1e/; s/"rtmr1": "bdcf/"rtmr1": "0dcf/' "$tmp/dstack.json" >"$tmp/edited.json"
expect 1 "tdxctl: the event log differs from $tmp/edited.json" "$tdxctl" eventlog diff "$dlog" "$tmp/edited.json"
check "diff names the first divergent event" grep -q 'first divergent event is #2 of rtmr1: actual EV_EFI_ACTION "Calling EFI Application from Boot Option"' "$tmp/out"
expect 1 "" "$tdxctl" eventlog diff --json "$dlog" "$tmp/edited.json"
check "diff --json" grep -q '"match":false' "$tmp/out"
expect 1 "cannot compare TDX registers with vTPM registers" "$tdxctl" eventlog diff "$dlog" "$tmp/uki.json"
expect 1 "tdxctl:" "$tdxctl" eventlog diff "$dlog" "$tmp/nothing.json"
expect 0 "" "$tdxctl" eventlog replay --format cbor -o "$tmp/replay.cbor" "$dlog"
check "replay -o" test -s "$tmp/replay.cbor"

# The COS 113 log through its CCEL table gives the quote's RTMRs (v4 quote:
# 48-byte header, RTMR0..3 at body offset 328, i.e. quote offset 376).
expect 0 "" "$tdxctl" eventlog replay "$data/eventlogs/gotdx_cos113_ccel_data.bin" --table "$data/eventlogs/gotdx_cos113_ccel_table.bin"
for i in 0 1 2 3; do
    want=$(od -An -v -tx1 -j $((376 + 48 * i)) -N 48 "$data/quotes/gotdx_v4_cos113_zeropad.dat" | tr -d ' \n')
    check "COS 113 rtmr$i equals the quote" grep -qx "rtmr$i $want" "$tmp/out"
done
expect 1 "CCEL table checksum" sh -c "head -c 20 '$data/eventlogs/gotdx_cos113_ccel_table.bin' >'$tmp/t'; printf x >>'$tmp/t'; tail -c 35 '$data/eventlogs/gotdx_cos113_ccel_table.bin' >>'$tmp/t'; exec '$tdxctl' eventlog replay '$data/eventlogs/gotdx_cos113_ccel_data.bin' --table '$tmp/t'"

# --- a UKI booted from a GPT disk (the GPT corpus of fuzz-gpt; the fixture UKI
# has .pcrpkey, so RTMR2 is unknown; stub 258 starts the kernel without LoadImage)
gpt=$src/tests/fuzz/corpus/gpt
expect 2 "measure: --disk goes with --uki and --firmware" "$tdxctl" measure --disk "$gpt/01-esp-and-root.raw" --uki "$uki"
expect 2 "measure: --disk goes with --uki and --firmware" "$tdxctl" measure --disk d --uki u --firmware f --kernel k
expect 2 "do not apply to --disk" "$tdxctl" measure --disk d --uki u --firmware f --initrd i
expect 2 "do not apply to --disk" "$tdxctl" measure --disk d --uki u --firmware f --bank sha384
expect 0 "" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --disk "$gpt/01-esp-and-root.raw" --uki "$uki" --stub-version 258
check "disk boot: rtmr0 is null" grep -q '"rtmr0": null' "$tmp/out"
check "disk boot: rtmr1 is known" grep -qE '"rtmr1": "[0-9a-f]{96}"' "$tmp/out"
check "disk boot: the GPT event is in RTMR1" grep -q '"type": "EV_EFI_GPT_EVENT"' "$tmp/out"
check "disk boot: 2 of 16 GPT entries" grep -q "the primary header and 2 of 16 entries" "$tmp/out"
check "disk boot: rtmr0 is explained" grep -q 'BootOrder and Boot####' "$tmp/err"
grep '"rtmr1"' "$tmp/out" | head -1 >"$tmp/rtmr1-pre"
expect 0 "" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --disk "$gpt/01-esp-and-root.raw" --uki "$uki" --stub-version 258 --event-layout 202411
grep '"rtmr1"' "$tmp/out" | head -1 >"$tmp/rtmr1-202411"
check "disk boot: the event layout moves the separator into RTMR1" sh -c "! cmp -s '$tmp/rtmr1-pre' '$tmp/rtmr1-202411'"
expect 1 "tdxctl: $gpt/04-header-crc.raw: GPT header CRC32 mismatch" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --disk "$gpt/04-header-crc.raw" --uki "$uki" --stub-version 258
expect 1 "tdxctl: $tmp/none: cannot open" "$tdxctl" measure --firmware "$tmp/OVMF.fd" --disk "$tmp/none" --uki "$uki" --stub-version 258

# Every shared log replays.
for log in "$data"/eventlogs/*.bin; do
    case $log in *_table.bin) continue ;; esac
    expect 0 "" "$tdxctl" eventlog replay "$log"
done
exit $fail
