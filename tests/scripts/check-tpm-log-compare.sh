#!/bin/sh
# compare-tpm-log.py (the table check-vtpm-boot.sh prints) on recorded real
# boots: the TPM logs of the mkosi disk build booted by Debian's OVMF with
# swtpm, and the models `tdxctl measure` computed for that build's UKI and
# disk (tests/data/testdata/SOURCES.md). The first, fetched by the agent,
# matches throughout. The second is of a run whose NIC still had its option
# ROM: its PCR 2 driver event must show as the one event we do not model,
# everything else matching. Then a changed digest, a
# dropped event and an extra one must each fail.
# Usage: check-tpm-log-compare.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
fail=0
# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch
cmp_py="$src/tests/scripts/compare-tpm-log.py"
data="$src/tests/data/testdata/eventlogs"

# compare NAME: log + models of fixture NAME -> $tmp/table, status in $tmp/status
compare() {
    "$tdxctl" --json eventlog show "$data/$1.bin" --kind tpm >"$tmp/log.json" ||
        { echo "FAIL: eventlog show $1"; fail=1; }
    python3 "$cmp_py" "$tmp/log.json" "$tmp/tpm-model.json" "$tmp/disk-model.json" >"$tmp/table"
    echo $? >"$tmp/status"
}
models() {
    cp "$data/$1.tpm-model.json" "$tmp/tpm-model.json"
    cp "$data/$1.disk-model.json" "$tmp/disk-model.json"
}
count() { grep -c -- "$1" "$tmp/table"; }

# The agent-fetched log of a run with romfile=: every modelled event matches.
models ovmf_swtpm_disk_uki
compare ovmf_swtpm_disk_uki
check "the boot without option ROM passes" test "$(cat "$tmp/status")" = 0
check "36 digests compared, all match" test "$(count ' match$')" = 36
check "and nothing else" sh -c "! grep -q 'NOT COMPUTED\|MISMATCH\|MISSING' '$tmp/table'"
# `tdxctl eventlog replay` of the real log gives the model's PCR 4 and 9.
"$tdxctl" eventlog replay "$data/ovmf_swtpm_disk_uki.bin" --kind tpm >"$tmp/replay" ||
    { echo "FAIL: eventlog replay"; fail=1; }
for pcr in pcr4 pcr9; do
    want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["measurements"]["banks"]["sha256"][sys.argv[2]])' \
        "$tmp/tpm-model.json" "$pcr")
    check "replayed $pcr is the model's ($want)" grep -qx "$pcr $want" "$tmp/replay"
done

models ovmf_swtpm_disk_uki_optionrom
compare ovmf_swtpm_disk_uki_optionrom
check "option-ROM boot fails the check" test "$(cat "$tmp/status")" = 1
check "its only unmatched event is the PCR 2 driver" \
    sh -c "grep 'NOT COMPUTED\|MISMATCH\|MISSING' '$tmp/table' | grep -v '^    ' | grep -q 'pcr2   EV_EFI_BOOT_SERVICES_DRIVER' &&
           [ \$(grep -c 'NOT COMPUTED\|MISMATCH\|MISSING' '$tmp/table') = 1 ]"
check "vTPM PCR 4/9/11: 14 events x 2 banks match" test "$(count '(vTPM model) .* match$')" = 28
check "RTMR1 6 and RTMR2 2 events match" test "$(count '(disk-boot model) .* match$')" = 8
check "unmodelled PCR 0/1/7 events are listed" grep -q 'record  18 pcr1   EV_EFI_VARIABLE_BOOT' "$tmp/table"

# A computed digest that differs: the event is named with both digests.
python3 - "$tmp/tpm-model.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = [e for e in d["measurements"]["events"] if e["register"] == "pcr9"][1]
e["digests"]["sha256"] = "00" * 32
json.dump(d, open(sys.argv[1], "w"))
PY
compare ovmf_swtpm_disk_uki_optionrom
check "a changed PCR 9 digest is a MISMATCH" \
    grep -q 'pcr9 (vTPM model) .*1 pcr9   EV_EVENT_TAG .*sha256 .*0000000000000000... MISMATCH' "$tmp/table"
check "with both digests printed" grep -q "computed: $(printf '00%.0s' $(seq 32))" "$tmp/table"

# An event the model has and the log lacks, and one the log has only.
models ovmf_swtpm_disk_uki_optionrom
python3 - "$tmp/disk-model.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["measurements"]["events"]
i = next(i for i, e in enumerate(ev) if e["type"] == "EV_EFI_GPT_EVENT")
ev.insert(i, dict(ev[i], digest="11" * 48, description="invented"))
del ev[next(i for i, e in enumerate(ev) if e["register"] == "rtmr2")]
json.dump(d, open(sys.argv[1], "w"))
PY
compare ovmf_swtpm_disk_uki_optionrom
check "an invented RTMR1 event is MISSING from the log" \
    grep -q 'rtmr1 .* EV_EFI_GPT_EVENT .*-  *1111111111111111... MISSING from the log' "$tmp/table"
check "the real GPT event still matches" grep -q 'rtmr1 .* EV_EFI_GPT_EVENT .*5ce004615fd6035f... 5ce004615fd6035f... match' "$tmp/table"
check "a dropped RTMR2 event is NOT COMPUTED" grep -q 'rtmr2 .* EV_EVENT_TAG .*NOT COMPUTED' "$tmp/table"
exit $fail
