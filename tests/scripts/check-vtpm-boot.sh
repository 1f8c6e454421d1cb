#!/bin/sh
# Checks our UKI measurement model against a real boot: boots a disk build
# (vm.json "boot": "disk") emulated with a vTPM (swtpm), fetches the
# firmware's TPM event log through the agent, and compares it event by event
# with `tdxctl measure --uki UKI --tpm` (vTPM PCRs 4, 9, 11) and, when
# vm.json names a disk, `tdxctl measure --firmware --disk --uki` (RTMR1/RTMR2:
# OVMF logs the same events, with the same SHA-384 digests, whether it
# extends a TPM PCR or a TD's RTMR). Prints a table of the events; fails on
# any difference in an event we model; lists the log's other events.
#
# Usage: check-vtpm-boot.sh BUILD_DIR [TDXCTL]
#   TDXCTL defaults to $TDXCTL, else tdxctl on PATH. The boot takes ~1-2 min
#   under TCG. Exit 77 (skipped) when swtpm, swtpm_setup or python3 is absent.
#   KEEP=1 keeps the scratch directory (log, models, table).
set -u
build=${1:?usage: check-vtpm-boot.sh BUILD_DIR [TDXCTL]}
tdxctl=${2:-${TDXCTL:-tdxctl}}
here=$(cd "$(dirname "$0")" && pwd)

for tool in swtpm swtpm_setup python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (Debian: apt-get install swtpm swtpm-tools python3)"
        exit 77
    fi
done
[ -f "$build/vm.json" ] || { echo "FAIL: $build/vm.json: not a build directory"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-vtpm.XXXXXX")
run="$tmp/run"
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    "$tdxctl" stop "$run" --timeout 20 >/dev/null 2>&1
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# What vm.json says about the build: the UKI, the disk, the firmware.
python3 - "$build/vm.json" >"$tmp/vm.env" <<'EOF' || exit 1
import json, shlex, sys
v = json.load(open(sys.argv[1]))
if not v.get("uki"):
    sys.exit("FAIL: %s names no \"uki\": nothing to compare with a UKI boot" % sys.argv[1])
for key in ("uki", "disk", "firmware", "boot"):
    print("vm_%s=%s" % (key, shlex.quote(v.get(key) or "")))
EOF
# shellcheck disable=SC1091  # written just above
. "$tmp/vm.env"
# shellcheck disable=SC2154  # set by vm.env
uki="$build/$vm_uki"

echo "== boot $build with a vTPM"
if ! "$tdxctl" --json run "$build" --emulated --vtpm --detach --run-dir "$run" --timeout 600 \
        >"$tmp/run.json" 2>"$tmp/run.err"; then
    echo "FAIL: tdxctl run --vtpm:"; cat "$tmp/run.err" "$tmp/run.json"
    exit 1
fi
agent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent"])' "$tmp/run.json")
echo "agent at $agent"
if ! "$tdxctl" agent eventlog --tpm --connect "$agent" -o "$tmp/log" 2>"$tmp/eventlog.err"; then
    echo "FAIL: agent eventlog --tpm:"; cat "$tmp/eventlog.err"
    exit 1
fi
cat "$tmp/eventlog.err"
# Running, not a zombie: an ended swtpm of a detached run waits for PID 1 to
# reap it, which some containers' PID 1 does late.
running() {
    case $(ps -o stat= -p "$1" 2>/dev/null) in
        '' | Z*) return 1 ;;
        *) return 0 ;;
    esac
}
swtpm_pid=$(cat "$run/vtpm/swtpm.pid" 2>/dev/null)
if [ -z "$swtpm_pid" ] || ! running "$swtpm_pid"; then
    echo "FAIL: no swtpm runs beside the VM ($run/vtpm/swtpm.pid)"
    exit 1
fi
"$tdxctl" stop "$run" --timeout 10 >/dev/null 2>&1 || echo "warning: tdxctl stop failed"
if running "$swtpm_pid"; then
    echo "FAIL: swtpm (pid $swtpm_pid) outlived tdxctl stop"
    exit 1
fi
echo "ok: swtpm ended with the VM"

log="$tmp/log/binary_bios_measurements"
"$tdxctl" --json eventlog show "$log" --kind tpm >"$tmp/log.json" 2>"$tmp/show.err" ||
    { echo "FAIL: eventlog show:"; cat "$tmp/show.err"; exit 1; }
"$tdxctl" --json measure --uki "$uki" --tpm --bank sha256 --bank sha384 \
    >"$tmp/tpm-model.json" 2>"$tmp/measure.err" ||
    { echo "FAIL: measure --uki --tpm:"; cat "$tmp/measure.err"; exit 1; }
set -- "$tmp/log.json" "$tmp/tpm-model.json"
# shellcheck disable=SC2154
if [ "$vm_boot" = disk ] && [ -n "$vm_disk" ]; then
    "$tdxctl" --json measure --firmware "$build/$vm_firmware" --disk "$build/$vm_disk" \
        --uki "$uki" >"$tmp/disk-model.json" 2>"$tmp/measure-disk.err" ||
        { echo "FAIL: measure --disk:"; cat "$tmp/measure-disk.err"; exit 1; }
    set -- "$@" "$tmp/disk-model.json"
fi

echo "== the log against the model"
python3 "$here/compare-tpm-log.py" "$@" | tee "$tmp/table.txt"
status=$?
# tee hides python's status in POSIX sh: read it from the table.
grep -q '^ok: every modelled event matches' "$tmp/table.txt" || status=1
exit "$status"
