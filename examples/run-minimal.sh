#!/bin/sh
# The README's main job: compile examples/minimal.json into an mkosi tree,
# then print the measurements a TD would show when QEMU boots Debian's OVMF
# with the kernel the example installs (linux-image-amd64 from
# bookworm-backports), directly, with the example's command line. Both are
# fetched through the signed Debian index. Until the native builder exists
# this is the kernel and firmware, not the image's own UKI.
set -eu
cd "$(dirname "$0")/.."
tdxctl=./build/host/tdxctl/tdxctl

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

# RTMR0 covers QEMU's ACPI tables, which depend on the VM's configuration.
# The project material beside the repository has tables captured from a q35
# VM with 1 vCPU and 2 GiB; without them RTMR0 is reported as unknown.
acpi=../shared/testdata/acpi/qemu-q35-1cpu-2048M
set --
if [ -d "$acpi" ]; then
    set -- --acpi-tables "$acpi/etc-acpi-tables" --acpi-rsdp "$acpi/etc-acpi-rsdp" \
        --acpi-loader "$acpi/etc-table-loader"
fi

echo
echo "== tdxctl measure (QEMU direct boot, 2 GiB, 1 vCPU${1:+, ACPI tables from $acpi})"
"$tdxctl" measure --firmware out-inputs/ovmf/usr/share/ovmf/OVMF.fd --kernel "$kernel" \
    --cmdline console=ttyS0 --memory 2G --cpus 1 "$@"
