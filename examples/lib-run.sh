# Sourced by examples/run-*.sh: finds tdxctl and tdx-agent and gives the
# scripts their helpers. Before sourcing, set `script` to the script's name.
# BUILD_DIR (the first argument) is the Meson build directory (default:
# "build" in the source tree); TDXCTL=/path/to/tdxctl and
# TDX_AGENT=/path/to/tdx-agent override it (`meson devenv -C BUILD_DIR` sets
# both to that build's).
# shellcheck shell=sh disable=SC2034,SC2154  # script is the caller's; src, tdxctl, agent_bin are for it
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
src=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
    build=$(absolute "$1")
    tdxctl=$build/host/tdxctl/tdxctl agent_bin=$build/guest/tdx-agent
else
    tdxctl=$(absolute "${TDXCTL:-$src/build/host/tdxctl/tdxctl}")
    agent_bin=$(absolute "${TDX_AGENT:-$src/build/guest/tdx-agent}")
fi
for b in "$tdxctl" "$agent_bin"; do
    if [ ! -x "$b" ]; then
        echo "$script: $b is not there: build first (meson setup build && ninja -C build)," >&2
        echo "or name the build directory: sh examples/$script BUILD_DIR" >&2
        exit 2
    fi
done
# One field of the one-line JSON object tdxctl --json prints.
field() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$2"; }

# start_out NAME: out/NAME in the source tree, emptied; at exit a VM this
# script started (boot) is stopped.
start_out() {
    out=$src/out/$1
    rm -rf "$out"
    mkdir -p "$out"
    pid=
    trap 'if [ -n "$pid" ]; then "$tdxctl" stop "$out/image" --timeout 5 >/dev/null 2>&1 || true; fi' EXIT
    trap 'exit 1' INT TERM
}

# boot TIMEOUT: tdxctl run --emulated on $out/image; sets pid, addr (the
# agent), root (the run's test root) and serial (the console log).
boot() {
    "$tdxctl" run "$out/image" --emulated --detach --timeout "$1" --json >"$out/run.json"
    pid=$(field pid "$out/run.json")
    addr=$(field agent "$out/run.json")
    root=$(field test_root "$out/run.json")
    serial=$(field serial "$out/run.json")
    echo "QEMU pid $pid, agent $addr, console $serial"
    "$tdxctl" agent info --connect "$addr"
}

# make_secret: $out/secrets.env with a fresh 32-byte greeting_key (0600),
# and want, the line the example's service prints for it.
make_secret() {
    (umask 077 && printf 'greeting_key=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
        >"$out/secrets.env")
    key=$(sed -n 's/^greeting_key=//p' "$out/secrets.env")
    want="hello: key present (sha256 prefix $(printf '%s' "$key" | sha256sum | cut -c1-16))"
}

# wait_service: waits up to 60 s for $want on the console; fails otherwise.
wait_service() {
    n=0
    until grep -aqF "$want" "$serial" || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done
    grep -aF "hello: key present" "$serial" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' || true
    if ! grep -aqF "$want" "$serial"; then
        echo "$script: the service did not print \"$want\"; console: $serial" >&2
        exit 1
    fi
}

# stop_vm: tdxctl stop presses the ACPI power button; the image's agent (init)
# or tdx-power-button.service (systemd) powers it off.
stop_vm() {
    "$tdxctl" stop "$out/image" --timeout 30
    pid=
}
