#!/bin/sh
# The README's main job: compile examples/minimal.json into an mkosi tree,
# then print the measurements a TD would show when QEMU boots Debian's OVMF
# with the kernel the example installs (linux-image-amd64 from
# bookworm-backports), directly, with the example's command line. Both are
# fetched through the signed Debian index. Until the native builder exists
# this is the kernel and firmware, not the image's own UKI.
#
# Then it delivers the example's secret to a local tdx-agent running with
# the TEST quote provider (a throw-away PKI: its quotes prove nothing about
# this machine, which has no TDX), the same way a push reaches a real TD:
# challenge, quote verification against the expected measurements, HPKE,
# all-or-nothing write, secrets-ready.
#
# Usage: sh examples/run-minimal.sh [BUILD_DIR]
# BUILD_DIR is the Meson build directory. Without it, TDXCTL=/path/to/tdxctl
# and TDX_AGENT=/path/to/tdx-agent name the binaries (installed ones, say;
# `meson devenv -C BUILD_DIR sh "$PWD/examples/run-minimal.sh"` sets both to that
# build's), else the build directory "build" in the source tree is used.
set -eu
# Paths the caller gave are relative to where they ran the script.
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
        echo "run-minimal.sh: $b is not there: build first (meson setup build && ninja -C build)," >&2
        echo "or name the build directory: sh examples/run-minimal.sh BUILD_DIR" >&2
        exit 2
    fi
done
cd "$src"

echo "== tdxctl emit examples/minimal.json -o out"
"$tdxctl" emit examples/minimal.json -o out --force
find out -type f | sort
cat out/mkosi.conf

echo
echo "== inputs: Debian's OVMF and the example's kernel, through the signed index"
rm -rf out-inputs
mkdir out-inputs
"$tdxctl" deb fetch ovmf --extract out-inputs/ovmf
"$tdxctl" deb fetch linux-image-amd64 --release bookworm-backports --extract out-inputs/kernel
set -- out-inputs/kernel/boot/vmlinuz-*
kernel=$1

# RTMR0 covers QEMU's ACPI tables, which depend on the VM's configuration:
# these were captured from a q35 VM with 1 vCPU and 2 GiB
# (tests/data/testdata/SOURCES.md). Without them RTMR0 is reported as unknown.
acpi=tests/data/testdata/acpi/qemu-q35-1cpu-2048M
set --
if [ -d "$acpi" ]; then
    set -- --acpi-tables "$acpi/etc-acpi-tables" --acpi-rsdp "$acpi/etc-acpi-rsdp" \
        --acpi-loader "$acpi/etc-table-loader"
fi

echo
echo "== tdxctl measure (QEMU direct boot, 2 GiB, 1 vCPU${1:+, ACPI tables from $acpi})"
"$tdxctl" measure --firmware out-inputs/ovmf/usr/share/ovmf/OVMF.fd --kernel "$kernel" \
    --cmdline console=ttyS0 --memory 2G --cpus 1 "$@"

echo
echo "== secret delivery to a local agent (TEST quote provider: simulated quotes, test PKI)"
demo="$PWD/out-inputs/secrets-demo"
rm -rf "$demo"
mkdir -p "$demo/root/etc"
# The image's root as far as the agent needs it: the example's service user.
printf 'root:x:0:0::/root:/bin/sh\nhello:x:%s:%s::/var/lib/hello:/usr/sbin/nologin\n' "$(id -u)" "$(id -g)" >"$demo/root/etc/passwd"
printf 'root:x:0:\nhello:x:%s:\n' "$(id -g)" >"$demo/root/etc/group"
"$tdxctl" dev sim-pki "$demo/pki"
"$tdxctl" secrets list examples/minimal.json
cp out/mkosi.extra/etc/tdx-agent/secrets.json "$demo/secrets.json"
"$agent_bin" --listen "unix:$demo/agent.sock" --quote-provider "sim:$demo/pki" \
    --manifest "$demo/secrets.json" --root-dir "$demo/root" --ready-file "$demo/ready" \
    2>"$demo/agent.log" &
agent=$!
trap 'kill "$agent" 2>/dev/null' EXIT
(umask 077 && printf 'greeting_key=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$demo/secrets.env")
"$tdxctl" secrets status --connect "unix:$demo/agent.sock"
"$tdxctl" secrets push --connect "unix:$demo/agent.sock" --secrets "$demo/secrets.env" \
    --root "$demo/pki/root.pem" --expected "$demo/pki/expected.json"
"$tdxctl" secrets status --connect "unix:$demo/agent.sock"
ls -l "$demo/root/run/hello/key.hex"
kill "$agent"
wait "$agent" || true
trap - EXIT
