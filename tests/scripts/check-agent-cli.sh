#!/bin/sh
# tdx-agent and the tdxctl commands that talk to it, end to end as a user
# runs them: a test PKI from `tdxctl dev sim-pki`, the agent (the installed
# binary: static in the default build) with the sim provider on a unix and
# a TCP socket, `tdxctl agent info|quote|eventlog`, exit codes and messages,
# the manifest and config checks, and `tdx-agent run-hooks`.
# Usage: check-agent-cli.sh TDXCTL AGENT SOURCE_ROOT static|dynamic
set -u
tdxctl=$1
agent=$2
src=$3
linkage=$4
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch
bytes_at() { # FILE OFFSET COUNT -> hex
    od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# The default build links the agent statically.
if [ "$linkage" = static ]; then
    if command -v file >/dev/null 2>&1; then
        check "file says tdx-agent is statically linked" sh -c "file '$agent' | grep -q 'statically linked'"
    fi
    # Without file(1): a static ELF has no program interpreter.
    check "tdx-agent has no dynamic loader" sh -c "! readelf -lW '$agent' | grep -q 'INTERP'"
fi

expect 0 "" "$agent" --help
grep -q '^Usage: tdx-agent' "$tmp/out" || { echo "FAIL: --help prints no usage"; fail=1; }
expect 0 "" "$agent" --version
grep -q '^tdx-agent [0-9]' "$tmp/out" || { echo "FAIL: --version: $(cat "$tmp/out")"; fail=1; }
expect 2 "tdx-agent: --listen tcp:localhost:1: expected \"tcp:ADDRESS:PORT\"" "$agent" --listen tcp:localhost:1
expect 2 "--quote-provider: expected \"configfs\" or \"sim:DIR\"" "$agent" --quote-provider sim:
expect 2 "unknown command 'wait-for-godot'" "$agent" wait-for-godot
expect 2 "--max-connections: expected a number from 1 to 65536" "$agent" --max-connections 0
expect 2 "--max-connections: expected a number from 1 to 65536, got \"4294967297\"" "$agent" --max-connections 4294967297
expect 2 "--workers: expected a number from 1 to 64, got \"0x10\"" "$agent" --workers 0x10
expect 2 "--timeout: expected a number from 1 to 86400, got \"+5\"" "$agent" run-hooks /x --timeout +5
expect 1 "nothing to listen on" "$agent"
expect 1 "$tmp/nopki/measurements.json: cannot read" "$agent" --listen "unix:$tmp/x.sock" --quote-provider "sim:$tmp/nopki"

# The test PKI.
mrtd=$(printf 'ab%.0s' $(seq 48))
rtmr1=$(printf '1c%.0s' $(seq 48))
expect 0 "NOT for production" "$tdxctl" dev sim-pki "$tmp/pki" --mrtd "$mrtd" --rtmr1 "$rtmr1"
check "the PKI's keys are private" test "$(stat -c %a "$tmp/pki/attestation.key")" = 600
expect 1 "$tmp/pki exists and is not empty; a test PKI goes into a new directory (remove this one first" \
    "$tdxctl" dev sim-pki "$tmp/pki"
check "dev sim-pki suggests no --force" sh -c "! grep -q -- '--force' '$tmp/err'"
expect 2 "dev: unknown option '--force'" "$tdxctl" dev sim-pki "$tmp/pki" --force
expect 2 "dev: --mrtd: expected 96 hex digits" "$tdxctl" dev sim-pki "$tmp/pki2" --mrtd abc
expect 2 "dev: expected 'sim-pki DIR'" "$tdxctl" dev sim-pki
expect 0 "" "$tdxctl" dev --help

# Configuration and manifest checks refuse to start.
printf '{"quote_provider": "sim:%s/pki"}' "$tmp" >"$tmp/agent.json"
expect 1 "the sim provider is enabled only with --quote-provider on the command line" \
    "$agent" --config "$tmp/agent.json" --listen "unix:$tmp/x.sock"
printf '{"version": 1, "secrets": [{"name": "k", "dest": "relative"}]}' >"$tmp/bad-manifest.json"
expect 1 "$tmp/bad-manifest.json: secrets[0].dest: expected an absolute path" \
    "$agent" --listen "unix:$tmp/x.sock" --quote-provider "sim:$tmp/pki" --manifest "$tmp/bad-manifest.json"

# A manifest as tdxctl emits it, and a fake ACPI table directory.
"$tdxctl" emit "$src/examples/node.json" -o "$tmp/tree" --profile dev --no-agent-binary 2>/dev/null
manifest="$tmp/tree/mkosi.profiles/dev/mkosi.extra/etc/tdx-agent/secrets.json"
mkdir -p "$tmp/acpi/data"
head -c 56 /dev/urandom >"$tmp/acpi/CCEL"
printf 'CCEL' | dd of="$tmp/acpi/CCEL" conv=notrunc 2>/dev/null
head -c 100000 /dev/urandom >"$tmp/acpi/data/CCEL"
# A fake efivarfs: each file is u32 attributes, then the variable's data.
# BootOrder lists 0001, 0000, 0002 (absent) and 0001 again.
g=8be4df61-93ca-11d2-aa0d-00e098032b8c
mkdir "$tmp/efivars"
printf '\007\000\000\000\001\000\000\000\002\000\001\000' >"$tmp/efivars/BootOrder-$g"
{ printf '\007\000\000\000'; head -c 90 /dev/urandom; } >"$tmp/efivars/Boot0001-$g"
{ printf '\007\000\000\000'; head -c 62 /dev/urandom; } >"$tmp/efivars/Boot0000-$g"
{ printf '\007\000\000\000'; head -c 30 /dev/urandom; } >"$tmp/efivars/Boot0003-$g"
# A TPM log larger than one reply (512 KiB) so it comes in two chunks.
head -c 700000 /dev/urandom >"$tmp/tpm-log"

port=$(free_port)
"$agent" --listen "unix:$tmp/agent.sock" --listen "tcp:127.0.0.1:$port" --quote-provider "sim:$tmp/pki" \
    --acpi-path "$tmp/acpi" --tpm-log-path "$tmp/tpm-log" --efivars-path "$tmp/efivars" \
    --manifest "$manifest" 2>"$tmp/agent.log" &
pid=$!

# The client retries while the agent comes up, as a host does while a VM boots.
expect 0 "" "$tdxctl" agent info --connect "unix:$tmp/agent.sock" --connect-timeout 10000
grep -q '^provider    sim (SIMULATED' "$tmp/out" || { echo "FAIL: info: $(cat "$tmp/out")"; fail=1; }
grep -q "^manifest    $manifest (4 secrets, 2 required)" "$tmp/out" || { echo "FAIL: info manifest: $(cat "$tmp/out")"; fail=1; }
expect 0 "" "$tdxctl" --json agent info --connect "tcp:127.0.0.1:$port"
grep -q '"quote_provider":"sim"' "$tmp/out" && grep -q '"ok":true' "$tmp/out" ||
    { echo "FAIL: json info: $(cat "$tmp/out")"; fail=1; }

expect 0 "this quote is SIMULATED" "$tdxctl" agent quote --connect "tcp:127.0.0.1:$port" --report-data 00ff7f -o "$tmp/quote"
check "quote holds the report data, zero-padded" \
    test "$(bytes_at "$tmp/quote" 568 64)" = "00ff7f$(printf '00%.0s' $(seq 61))"
check "quote holds the PKI's MRTD" test "$(bytes_at "$tmp/quote" 184 48)" = "$mrtd"
check "quote holds the PKI's RTMR1" test "$(bytes_at "$tmp/quote" 424 48)" = "$rtmr1"
check "quote is version 4, TDX" test "$(bytes_at "$tmp/quote" 0 8)" = "0400020081000000"
# The project's verifier takes the simulated quote against the test PKI's
# root, with its report data and MRTD, and refuses it against Intel's root.
expect 0 "" "$tdxctl" quote verify "$tmp/quote" --root "$tmp/pki/root.pem" --report-data 00ff7f
grep -q '^verified: yes' "$tmp/out" && grep -q 'quote_signature  *passed' "$tmp/out" &&
    grep -q 'qe_report_signature  *passed' "$tmp/out" && grep -q 'report_data  *passed' "$tmp/out" ||
    { echo "FAIL: verify: $(cat "$tmp/out")"; fail=1; }
expect 1 "is the test root of a simulated quote, not the trusted root (Intel SGX Root CA" "$tdxctl" quote verify "$tmp/quote"
expect 1 "" "$tdxctl" quote verify "$tmp/quote" --root "$tmp/pki/root.pem" --report-data 00ff7e
expect 0 "" "$tdxctl" --json agent quote --connect "unix:$tmp/agent.sock" -o "$tmp/quote2"
grep -q '"provider":"sim"' "$tmp/out" && grep -q '"simulated":true' "$tmp/out" || { echo "FAIL: json quote: $(cat "$tmp/out")"; fail=1; }

expect 0 "wrote $tmp/ev/CCEL (56 bytes)" "$tdxctl" agent eventlog --connect "unix:$tmp/agent.sock" -o "$tmp/ev"
check "event log table matches" cmp -s "$tmp/ev/CCEL" "$tmp/acpi/CCEL"
check "event log matches" cmp -s "$tmp/ev/data/CCEL" "$tmp/acpi/data/CCEL"
expect 0 "wrote $tmp/tpm/binary_bios_measurements (700000 bytes)" \
    "$tdxctl" agent eventlog --tpm --connect "unix:$tmp/agent.sock" -o "$tmp/tpm"
check "TPM event log matches (two chunks)" cmp -s "$tmp/tpm/binary_bios_measurements" "$tmp/tpm-log"
check "the TPM log comes without a CCEL table" test ! -e "$tmp/tpm/CCEL"
expect 0 "" "$tdxctl" --json agent eventlog --tpm --connect "unix:$tmp/agent.sock" -o "$tmp/tpm"
grep -q '"log_size":700000' "$tmp/out" || { echo "FAIL: json TPM eventlog: $(cat "$tmp/out")"; fail=1; }
expect 2 "agent: --tpm goes with 'eventlog'" "$tdxctl" agent info --tpm --connect "unix:$tmp/agent.sock"

# The boot variables, data without attributes, in BootOrder's order, each
# once; the absent Boot0002 and the unlisted Boot0003 are not there.
expect 0 "wrote 3 boot variable(s) to $tmp/bv" "$tdxctl" agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bv"
for v in BootOrder Boot0001 Boot0000; do
    check "bootvars: $v is the variable's data" sh -c "tail -c +5 '$tmp/efivars/$v-$g' | cmp -s - '$tmp/bv/$v'"
done
check "bootvars: no Boot0002, no Boot0003" test ! -e "$tmp/bv/Boot0002" -a ! -e "$tmp/bv/Boot0003"
check "bootvars: listed in BootOrder's order" test "$(cut -c1-9 "$tmp/out" | tr -d ' ' | tr '\n' ,)" = "BootOrder,Boot0001,Boot0000,"
# A directory that holds something already is refused: a leftover Boot####
# the next BootOrder lists would be measured.
expect 1 "$tmp/bv: not an empty directory" "$tdxctl" agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bv"
expect 0 "" "$tdxctl" --json agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bvj"
grep -q '"name":"Boot0001","size":90' "$tmp/out" || { echo "FAIL: json bootvars: $(cat "$tmp/out")"; fail=1; }
{ printf '\007\000\000\000'; head -c 4097 /dev/zero; } >"$tmp/efivars/Boot0000-$g"
expect 1 "bootvars: Boot0000 is larger than 4096 bytes" "$tdxctl" agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bv2"
printf '\007\000\000\000\001' >"$tmp/efivars/BootOrder-$g"
expect 1 "bootvars: BootOrder has 1 bytes, not a list of 16-bit option numbers" \
    "$tdxctl" agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bv2"
mv "$tmp/efivars" "$tmp/efivars.gone"
expect 1 "bootvars: no directory $tmp/efivars (efivarfs not mounted, or not a UEFI boot)" \
    "$tdxctl" agent bootvars --connect "unix:$tmp/agent.sock" -o "$tmp/bv2"
check "bootvars: nothing written on failure" test ! -e "$tmp/bv2"

expect 2 "agent: --report-data: expected an even number of hex digits" \
    "$tdxctl" agent quote --connect "unix:$tmp/agent.sock" --report-data xyz -o "$tmp/q"
expect 2 "agent: quote: -o QUOTE is required" "$tdxctl" agent quote --connect "unix:$tmp/agent.sock"
expect 2 "agent: --connect ADDR is required" "$tdxctl" agent info
expect 2 "agent: unknown verb 'reboot'" "$tdxctl" agent reboot --connect "unix:$tmp/agent.sock"
expect 2 "tdxctl: agent: --connect: expected \"vsock:CID:PORT\" (PORT 1 to 4294967294), got 'vsock:3'" "$tdxctl" agent info --connect vsock:3
expect 1 "unix:$tmp/none.sock: agent not reachable within 300 ms" \
    "$tdxctl" agent info --connect "unix:$tmp/none.sock" --connect-timeout 300
expect 1 "" "$tdxctl" --json agent info --connect "unix:$tmp/none.sock" --connect-timeout 0
grep -q '"code":"ENOENT"' "$tmp/out" || { echo "FAIL: json error: $(cat "$tmp/out")"; fail=1; }

rm "$tmp/acpi/CCEL" "$tmp/tpm-log"
expect 1 "$tmp/tpm-log does not exist: no TPM event log (no TPM, or securityfs not mounted) (unavailable)" \
    "$tdxctl" agent eventlog --tpm --connect "unix:$tmp/agent.sock" -o "$tmp/tpm2"
expect 1 "CCEL does not exist: the firmware published no CC event log (not a TDX guest?) (unavailable)" \
    "$tdxctl" agent eventlog --connect "unix:$tmp/agent.sock" -o "$tmp/ev2"

kill "$pid"
wait "$pid"
status=$?
pid=
check "the agent stops with status 0 on SIGTERM (got $status)" test "$status" = 0
check "the agent removes its unix socket" test ! -e "$tmp/agent.sock"
check "the agent logged the simulator warning" grep -q "QUOTE PROVIDER IS THE SIMULATOR" "$tmp/agent.log"

# Boot hooks.
mkdir "$tmp/hooks"
printf '#!/bin/sh\necho first says hi\n' >"$tmp/hooks/10-first"
printf '#!/bin/sh\necho second fails >&2\nexit 4\n' >"$tmp/hooks/20-second"
printf '#!/bin/sh\necho third\n' >"$tmp/hooks/30-third"
chmod 755 "$tmp/hooks"/*
expect 1 "20-second: FAILED with exit status 4" "$agent" run-hooks "$tmp/hooks"
grep -q "10-first: first says hi" "$tmp/err" && ! grep -q "30-third: third" "$tmp/err" ||
    { echo "FAIL: run-hooks stop policy"; cat "$tmp/err"; fail=1; }
expect 0 "30-third: third" "$agent" run-hooks "$tmp/hooks" --on-failure ignore
expect 2 "run-hooks: expected exactly one DIR" "$agent" run-hooks
expect 2 "--on-failure: expected stop, continue or ignore" "$agent" run-hooks "$tmp/hooks" --on-failure maybe
# --test-provider (what a dev profile's tdx-agent.service passes): a test PKI
# in fw_cfg (as `tdxctl run --emulated` hands it over) is copied into the
# runtime directory and quotes come from the simulator; without one the agent
# stays on configfs; without the flag a PKI in fw_cfg is ignored.
fw=$tmp/fw_cfg/by_name/opt/org.tdxhost/pki
for f in "$tmp"/pki/*; do
    mkdir -p "$fw/${f##*/}"
    cp "$f" "$fw/${f##*/}/raw"
done
mkdir "$tmp/rt"
# fw_agent [OPTION]... PROVIDER: starts the agent on the fake fw_cfg with
# OPTIONs, waits for it, and checks `agent info` names PROVIDER.
fw_agent() {
    provider=$1   # not "want": expect() uses that name
    shift
    port=$(free_port)
    RUNTIME_DIRECTORY=$tmp/rt "$agent" --listen "tcp:127.0.0.1:$port" "$@" \
        --fw-cfg-path "$tmp/fw_cfg/by_name" --tsm-path "$tmp/no-tsm" 2>"$tmp/agent.log" &
    pid=$!
    expect 0 "" "$tdxctl" agent info --connect "tcp:127.0.0.1:$port" --connect-timeout 10000
    grep -q "^provider    $provider" "$tmp/out" || { echo "FAIL: $* info: $(cat "$tmp/out")"; fail=1; }
}
fw_agent_stop() { kill "$pid"; wait "$pid"; pid=; }

fw_agent "sim (SIMULATED" --test-provider
expect 0 "this quote is SIMULATED" "$tdxctl" agent quote --connect "tcp:127.0.0.1:$port" --report-data 01 -o "$tmp/quote2"
expect 0 "" "$tdxctl" quote verify "$tmp/quote2" --root "$tmp/pki/root.pem" --report-data 01
check "--test-provider: the PKI is copied into RUNTIME_DIRECTORY" test -f "$tmp/rt/test-pki/pck.key"
check "--test-provider: the copy is private" test "$(stat -c %a "$tmp/rt/test-pki")" = 700
check "--test-provider: the agent says it is the test provider" \
    grep -q "TEST quote provider (simulated quotes; this VM proves nothing)" "$tmp/agent.log"
fw_agent_stop
# A second start finds the first one's copy (outside systemd nothing empties
# the runtime directory) and replaces it.
echo stale >"$tmp/rt/test-pki/pck.key"
mkdir "$tmp/rt/test-pki.new"
fw_agent "sim (SIMULATED" --test-provider
check "--test-provider: a second start replaces the first one's copy" \
    cmp -s "$tmp/rt/test-pki/pck.key" "$tmp/pki/pck.key"
check "--test-provider: no staging directory left" test ! -e "$tmp/rt/test-pki.new"
fw_agent_stop

rm -rf "$tmp/rt/test-pki"
fw_agent configfs
check "without --test-provider the PKI in fw_cfg is ignored (and said)" \
    grep -q "ignoring the test PKI in fw_cfg" "$tmp/agent.log"
check "without --test-provider nothing is copied" test ! -e "$tmp/rt/test-pki"
fw_agent_stop

rm -rf "$tmp/fw_cfg"
fw_agent configfs --test-provider
check "--test-provider without a PKI says so" grep -q "no test PKI was handed over in fw_cfg" "$tmp/agent.log"
fw_agent_stop
expect 2 "--test-provider: not an option of init" "$agent" init --test-provider
exit $fail
