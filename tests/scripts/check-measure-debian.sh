#!/bin/sh
# Measurements of Debian 12's real artifacts, each checked against a source
# independent of libtdxhost's C code:
#   - ovmf's OVMF.fd: MRTD in both page orders = mrtd-reference.awk;
#   - linux-image-6.1.0-*-amd64: Authenticode SHA-256 = the digest inside the
#     kernel's own signature (and pesign -h when installed), SHA-384 =
#     authenticode-reference.sh;
#   - RTMR1 and RTMR2 for stated inputs = QEMU's header patch, Authenticode
#     and the RTMR fold done here in shell;
#   - RTMR0 = dstack's replayed ccel.bin and oasis' pre-202411 vector, with
#     ovmf's empty 4 MiB variable store as the CFV;
#   - PCR 11 of a UKI built from systemd-boot-efi's stub = systemd-measure,
#     every phase, both banks; PCR 4 and 9 recomputed here;
#   - that UKI booted from a systemd-repart GPT disk: RTMR1 (the GPT event
#     laid out here with dd/od) and RTMR2 recomputed here.
# The packages are fetched with apt-get download into CACHE_DIR once; without
# the archive the test is skipped (77).
# Usage: check-measure-debian.sh TDXCTL SOURCE_ROOT MAKE_TEST_IMAGE CACHE_DIR
set -u
tdxctl=$1
src=$2
mkimage=$3
cache=$4
here=$src/tests/scripts
data=$src/tests/data/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

skip() { echo "SKIP: $*"; exit 77; }
check() { # DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ] && [ -n "$2" ]; then
        echo "ok $1"
    else
        echo "FAIL: $1"; echo "  expected: $2"; echo "  got:      $3"; fail=1
    fi
}

# --- Fetch ----------------------------------------------------------------
fetch() {
    for tool in apt-get apt-cache dpkg-deb; do
        command -v $tool >/dev/null 2>&1 || skip "$tool is not installed (needs Debian's archive)"
    done
    kpkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
        cut -d' ' -f1 | sort -V | tail -n 1)
    [ -n "$kpkg" ] || skip "no linux-image-6.1.0-*-amd64 in the apt lists (run apt-get update)"
    rm -rf "$cache" && mkdir -p "$cache/debs" "$cache/root" || exit 1
    (cd "$cache/debs" && apt-get download ovmf "$kpkg" systemd-boot-efi >"$cache/download.log" 2>&1) ||
        { rm -rf "$cache"; skip "apt-get download ovmf $kpkg systemd-boot-efi failed (archive unreachable?)"; }
    for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$cache/root" || exit 1; done
    ls "$cache"/debs >"$cache/packages"
}
[ -f "$cache/packages" ] || fetch
ovmf=$cache/root/usr/share/ovmf/OVMF.fd
vars=$cache/root/usr/share/OVMF/OVMF_VARS_4M.fd
stub=$cache/root/usr/lib/systemd/boot/efi/linuxx64.efi.stub
kernel=$(find "$cache/root/boot" -name "vmlinuz-*" | head -n 1)
for f in "$ovmf" "$vars" "$stub" "$kernel"; do [ -f "$f" ] || skip "$f missing from the downloaded packages"; done
echo "packages: $(tr '\n' ' ' <"$cache/packages")"

sha384() { sha384sum | cut -c1-96; }
sha256() { sha256sum | cut -c1-64; }
fold() { # BANK DIGEST...: the extend operation from a zero register
    bank=$1
    shift
    r=$(head -c $(( ${bank#sha} / 8 )) /dev/zero | od -An -v -tx1 | tr -d ' \n')
    for d in "$@"; do r=$(printf '%s%s' "$r" "$d" | tr a-f A-F | basenc --base16 -d | "$bank"); done
    echo "$r"
}
reg() { sed -n "s/^ *\"$1\": \"\\([0-9a-f]*\\)\",\\{0,1\\}$/\\1/p" "$2" | head -n 1; }
le() { # WIDTH VALUE: the little-endian bytes on standard output
    i=0 v=$2 s=""
    while [ $i -lt "$1" ]; do s="$s$(printf '\\%03o' $((v & 255)))"; v=$((v >> 8)); i=$((i + 1)); done
    # shellcheck disable=SC2059 # the format is the escaped bytes
    printf "$s"
}
put() { # FILE OFFSET WIDTH VALUE: little-endian write
    le "$3" "$4" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
u8() { od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '; }
u16() { od -An -tu2 --endian=little -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { od -An -tu4 --endian=little -j "$2" -N 4 "$1" | tr -d ' '; }

# --- MRTD ----------------------------------------------------------------
for order in per-page two-pass; do
    want=$(od -An -v -tx1 "$ovmf" | awk -v order=$order -f "$here/mrtd-reference.awk" | tr -d '\n' |
        basenc --base16 -d | sha384)
    "$tdxctl" measure --firmware "$ovmf" --kernel "$kernel" --mrtd-order $order >"$tmp/m.json" 2>/dev/null
    check "MRTD $order of Debian's OVMF.fd" "$want" "$(reg mrtd "$tmp/m.json")"
done

# --- Authenticode of the kernel -------------------------------------------
pe=$(u32 "$kernel" 60)
certentry=$((pe + 24 + 112 + 32))
coff=$(u32 "$kernel" $certentry)
csize=$(u32 "$kernel" $((certentry + 4)))
if command -v openssl >/dev/null 2>&1; then
    tail -c +$((coff + 8 + 1)) "$kernel" | head -c $((csize - 8)) >"$tmp/pkcs7.der"
    signed=$(openssl asn1parse -inform DER -in "$tmp/pkcs7.der" 2>/dev/null |
        sed -n '/1.3.6.1.4.1.311.2.1.4/,$p' | sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p' | head -n 1 | tr A-F a-f)
    check "kernel Authenticode SHA-256 = the digest its signature signs" "$signed" "$("$tdxctl" pe-hash "$kernel")"
else
    echo "note: the openssl command is not installed: the signature's digest is not read"
fi
if command -v pesign >/dev/null 2>&1; then
    for f in "$kernel" "$stub"; do
        check "Authenticode SHA-256 of $(basename "$f") = pesign -h" \
            "$(pesign -h -d sha256 -i "$f" | sed -n 's/^hash: //p')" "$("$tdxctl" pe-hash "$f")"
    done
else
    echo "note: pesign is not installed; the signature digest is the SHA-256 reference"
fi
for f in "$kernel" "$stub"; do
    check "Authenticode SHA-384 of $(basename "$f") = authenticode-reference.sh" \
        "$(sh "$here/authenticode-reference.sh" "$f" sha384)" "$("$tdxctl" pe-hash --alg sha384 "$f")"
done

# --- RTMR1 and RTMR2 -------------------------------------------------------
# QEMU <= 10.1 (x86_load_linux): type_of_loader, CAN_USE_HEAP, heap_end_ptr,
# cmd_line_ptr, and for an initrd its address below min(RAM, 2 GiB if RAM >=
# 2816 MiB) - 160 KiB of ACPI data, 4 KiB aligned, and its size.
patched_kernel() { # MEMORY_MIB INITRD_SIZE OUT
    cp "$kernel" "$3"
    put "$3" $((0x210)) 1 $((0xb0))
    put "$3" $((0x211)) 1 $(($(u8 "$kernel" $((0x211))) | 0x80))
    put "$3" $((0x224)) 4 $((0xfe00))
    put "$3" $((0x228)) 4 $((0x20000))
    mem=$(($1 * 1024 * 1024))
    if [ "$mem" -ge $((0xb0000000)) ]; then below=$((0x80000000)); else below=$mem; fi
    if [ "$(u16 "$kernel" $((0x206)))" -ge $((0x20c)) ] && [ $(($(u16 "$kernel" $((0x236))) & 0x40)) -ne 0 ]; then
        max=$((0xffffffff))
    else
        max=$(u32 "$kernel" $((0x22c)))
    fi
    [ "$max" -ge $((below - 0x28000)) ] && max=$((below - 0x28000 - 1))
    put "$3" $((0x218)) 4 $(((max - $2) & ~4095))
    put "$3" $((0x21c)) 4 "$2"
}
action() { printf '%s' "$1" | sha384; }
calling=$(action "Calling EFI Application from Boot Option")
ebs1=$(action "Exit Boot Services Invocation")
ebs2=$(action "Exit Boot Services Returned with Success")
separator=$(printf '\000\000\000\000' | sha384)
head -c 1234567 /dev/urandom >"$tmp/initrd"
cmdline="console=ttyS0 root=/dev/vda1 ro"
initrd_digest=$(sha384 <"$tmp/initrd")
opts16=$( { printf '%s initrd=initrd' "$cmdline" | iconv -f UTF-8 -t UTF-16LE; printf '\000\000'; } | sha384)

for mib in 2048 2560 3072; do
    patched_kernel $mib 1234567 "$tmp/patched"
    k=$(sh "$here/authenticode-reference.sh" "$tmp/patched" sha384)
    "$tdxctl" measure --firmware "$ovmf" --kernel "$kernel" --initrd "$tmp/initrd" --cmdline "$cmdline" \
        --memory ${mib}M --kernel-measures-rtmr2 yes >"$tmp/m.json" 2>/dev/null
    check "RTMR1, QEMU 9.2, ${mib} MiB, 1234567-byte initrd" "$(fold sha384 "$k" "$calling" "$ebs1" "$ebs2")" \
        "$(reg rtmr1 "$tmp/m.json")"
    check "RTMR2, ${mib} MiB" "$(fold sha384 "$opts16" "$initrd_digest")" "$(reg rtmr2 "$tmp/m.json")"
done
k=$(sh "$here/authenticode-reference.sh" "$kernel" sha384)
"$tdxctl" measure --firmware "$ovmf" --kernel "$kernel" --initrd "$tmp/initrd" --qemu-version 10.2 \
    --event-layout 202411 >"$tmp/m.json" 2>/dev/null
check "RTMR1, QEMU 10.2 (unpatched), edk2 202411 layout" \
    "$(fold sha384 "$k" "$calling" "$separator" "$ebs1" "$ebs2")" "$(reg rtmr1 "$tmp/m.json")"
check "RTMR2 of a 6.1 kernel is zero" "$(fold sha384)" "$(reg rtmr2 "$tmp/m.json")"

# --- RTMR0 -----------------------------------------------------------------
# QEMU's etc/acpi/tables for another memory size: the captured 2048 MiB blob
# with its DSDT PCI32 window moved, as oasis' generator does; the digests are
# checked against oasis' vectors before use.
acpi=$data/acpi/qemu-q35-1cpu-2048M
acpi_for() { # MIB OUT
    cp "$acpi/etc-acpi-tables" "$2"
    # Byte offset of the window (min 0x80000000, max 0xdfffffff, length 0x60000000).
    at=$(od -An -v -tx1 -w1 "$2" | tr -d ' ' |
        awk 'BEGIN { p = "00000080ffffffdf0000000000000060" }
             { w = w $0; if (length(w) > 32) w = substr(w, 3); if (w == p) { print NR - 16; exit } }')
    mem=$(($1 * 1024 * 1024))
    put "$2" "$at" 4 $mem
    put "$2" $((at + 12)) 4 $((0xe0000000 - mem))
}
acpi_for 1024 "$tmp/tables-1024"
check "etc/acpi/tables for 1 GiB = oasis' vector" \
    444cf35d277a7b6049faf4ff23165e256e716eaad4650aeef6afae8e2dca3359b40c1b2eb997c5568f956616310c9147 \
    "$(sha384 <"$tmp/tables-1024")"
acpi_for 2815 "$tmp/tables-2815"
check "etc/acpi/tables for 2815 MiB = oasis' vector" \
    a7ced2dba0b7c273b8f6ea58dfaebf0663cd4dff2fe821e4a5019fa1bc96f02d5616b4fd5c473cbce1651f88b640146f \
    "$(sha384 <"$tmp/tables-2815")"
check "OVMF_VARS_4M.fd is the CFV in the reference logs" \
    344bc51c980ba621aaa00da3ed7436f7d6e549197dfe699515dfa2c6583d95e6412af21c097d473155875ffd561d6790 \
    "$(sha384 <"$vars")"

"$mkimage" tdvf "$tmp/dstack.fd" dstack "$vars"
"$tdxctl" measure --firmware "$tmp/dstack.fd" --kernel "$kernel" --memory 1G --event-layout 202411 \
    --acpi-tables "$tmp/tables-1024" --acpi-rsdp "$acpi/etc-acpi-rsdp" --acpi-loader "$acpi/etc-table-loader" \
    >"$tmp/dstack.json" 2>/dev/null
"$tdxctl" eventlog replay "$data/eventlogs/dstack_ccel.bin" >"$tmp/replay"
check "RTMR0 = dstack's ccel.bin replayed (1 vCPU, 1 GiB, edk2 202411 layout)" \
    "$(sed -n 's/^rtmr0 //p' "$tmp/replay")" "$(reg rtmr0 "$tmp/dstack.json")"
"$tdxctl" eventlog diff "$data/eventlogs/dstack_ccel.bin" "$tmp/dstack.json" >"$tmp/diff"
check "diff against dstack's log: RTMR0 matches" "rtmr0: matches" "$(grep -o '^rtmr0: matches' "$tmp/diff")"
check "diff against dstack's log: RTMR1 parts at its kernel" "first divergent event is #1 of rtmr1" \
    "$(grep -o 'first divergent event is #1 of rtmr1' "$tmp/diff")"
check "diff against dstack's log: MRTD is left to the quote" "mrtd: not compared" \
    "$(grep -o '^mrtd: not compared' "$tmp/diff")"

"$mkimage" tdvf "$tmp/oasis.fd" debian "$vars"
"$tdxctl" measure --firmware "$tmp/oasis.fd" --kernel "$kernel" --memory 2815M \
    --acpi-tables "$tmp/tables-2815" --acpi-rsdp "$acpi/etc-acpi-rsdp" --acpi-loader "$acpi/etc-table-loader" \
    >"$tmp/oasis.json" 2>/dev/null
check "RTMR0 = oasis' pre-202411 vector (2815 MiB, 1 vCPU)" \
    84efb9756c002ee0aff43b0fa71223bdad6b43b3aa112c93c5bf89f3466e69f35b2d4acef407c8a0a692a20eff9a5177 \
    "$(reg rtmr0 "$tmp/oasis.json")"

# --- UKI: PCR 11 against systemd-measure, PCR 4 and 9 ----------------------
measure_tool=/usr/lib/systemd/systemd-measure
if [ -x "$measure_tool" ] && command -v objcopy >/dev/null 2>&1; then
    printf 'console=ttyS0 root=/dev/vda1\n' >"$tmp/cmdline"
    printf 'ID=debian\nVERSION_ID=12\n' >"$tmp/osrel"
    head -c 7777 /dev/urandom >"$tmp/splash"
    head -c 321 /dev/urandom >"$tmp/pcrpkey"
    head -c 555555 /dev/urandom >"$tmp/uinitrd"
    objcopy --add-section .osrel="$tmp/osrel" --change-section-vma .osrel=0x20000 \
        --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
        --add-section .splash="$tmp/splash" --change-section-vma .splash=0x40000 \
        --add-section .pcrpkey="$tmp/pcrpkey" --change-section-vma .pcrpkey=0x50000 \
        --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
        --add-section .initrd="$tmp/uinitrd" --change-section-vma .initrd=0x3000000 "$stub" "$tmp/uki.efi"
    "$tdxctl" measure --uki "$tmp/uki.efi" --tpm --bank sha256 --bank sha384 >"$tmp/uki.json"
    "$measure_tool" calculate --linux="$kernel" --osrel="$tmp/osrel" --cmdline="$tmp/cmdline" \
        --splash="$tmp/splash" --pcrpkey="$tmp/pcrpkey" --initrd="$tmp/uinitrd" --bank=sha256 --bank=sha384 \
        --json=short >"$tmp/sd.json"
    for bank in sha256 sha384; do
        for phase in enter-initrd enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit \
                     enter-initrd:leave-initrd:sysinit:ready; do
            want=$(tr -d ' \t\n' <"$tmp/sd.json" | grep -o "\"$bank\":\\[[^]]*\\]" |
                grep -o "\"phase\":\"$phase\",\"pcr\":11,\"hash\":\"[0-9a-f]*\"" | sed 's/.*"hash":"//; s/"$//')
            got=$(tr -d ' \n' <"$tmp/uki.json" | grep -o "\"phase\":\"$phase\",\"digests\":{[^}]*}" |
                grep -o "\"$bank\":\"[0-9a-f]*\"" | sed 's/.*:"//; s/"$//')
            check "PCR 11 $bank after $phase = systemd-measure" "$want" "$got"
        done
    done
    check "the stub version comes from .sdmagic" "252" \
        "$(sed -n 's/^ *"stub_version": "\([0-9]*\) (from .sdmagic.*/\1/p' "$tmp/uki.json")"
    # PCR 4: boot attempt, separator, the UKI, the kernel systemd-stub 252 starts with LoadImage().
    a=$(printf '%s' "Calling EFI Application from Boot Option" | sha256)
    s=$(printf '\000\000\000\000' | sha256)
    check "PCR 4 (SHA-256)" "$(fold sha256 "$a" "$s" "$(sh "$here/authenticode-reference.sh" "$tmp/uki.efi" sha256)" \
        "$(sh "$here/authenticode-reference.sh" "$kernel" sha256)")" "$(reg pcr4 "$tmp/uki.json")"
    # PCR 9: the command line as LoadOptions (trailing newline dropped, UTF-16, NUL), the initrd.
    o=$( { printf 'console=ttyS0 root=/dev/vda1' | iconv -f UTF-8 -t UTF-16LE; printf '\000\000'; } | sha256)
    check "PCR 9 (SHA-256)" "$(fold sha256 "$o" "$(sha256 <"$tmp/uinitrd")")" "$(reg pcr9 "$tmp/uki.json")"

    # Disk boot: the same UKI on the ESP of a GPT that systemd-repart writes (as
    # mkosi does). RTMR1 = boot attempt, the GPT event laid out here from the
    # disk's bytes (92-byte header, LE64 count, used entries), the UKI, the
    # kernel stub 252 starts with LoadImage(), the two EBS actions.
    if command -v systemd-repart >/dev/null 2>&1; then
        mkdir -p "$tmp/repart"
        printf '[Partition]\nType=esp\nSizeMinBytes=32M\nSizeMaxBytes=32M\n' >"$tmp/repart/10-esp.conf"
        printf '[Partition]\nType=root\n' >"$tmp/repart/20-root.conf"
        systemd-repart --empty=create --size=64M --definitions="$tmp/repart" --dry-run=no \
            --seed=12345678-1234-5678-1234-567812345678 "$tmp/disk.raw" >/dev/null 2>&1
        lba=$(od -An -tu8 --endian=little -j $((512 + 72)) -N 8 "$tmp/disk.raw" | tr -d ' ')
        count=$(u32 "$tmp/disk.raw" $((512 + 80)))
        esize=$(u32 "$tmp/disk.raw" $((512 + 84)))
        : >"$tmp/entries"
        used=0 i=0
        while [ $i -lt "$count" ]; do
            off=$((lba * 512 + i * esize))
            if [ "$(od -An -v -tx1 -j $off -N 16 "$tmp/disk.raw" | tr -d ' \n0')" != "" ]; then
                tail -c +$((off + 1)) "$tmp/disk.raw" | head -c "$esize" >>"$tmp/entries"
                used=$((used + 1))
            fi
            i=$((i + 1))
        done
        { head -c $((512 + 92)) "$tmp/disk.raw" | tail -c 92; le 8 $used; cat "$tmp/entries"; } >"$tmp/gpt-event"
        check "systemd-repart's GPT has 2 partitions in use" 2 "$used"
        "$tdxctl" measure --firmware "$tmp/oasis.fd" --disk "$tmp/disk.raw" --uki "$tmp/uki.efi" >"$tmp/disk.json" 2>/dev/null
        check "disk boot RTMR1 (stub 252, systemd-repart GPT)" \
            "$(fold sha384 "$calling" "$(sha384 <"$tmp/gpt-event")" "$(sh "$here/authenticode-reference.sh" "$tmp/uki.efi" sha384)" \
                "$(sh "$here/authenticode-reference.sh" "$kernel" sha384)" "$ebs1" "$ebs2")" "$(reg rtmr1 "$tmp/disk.json")"
        check "disk boot MRTD = the direct boot's" "$(reg mrtd "$tmp/oasis.json")" "$(reg mrtd "$tmp/disk.json")"
        # Without .pcrpkey RTMR2 is known: stub 252 measures nothing into the CC
        # protocol; a 6.1 kernel neither, unless told it carries the backport.
        objcopy --remove-section .pcrpkey "$tmp/uki.efi" "$tmp/uki2.efi"
        "$tdxctl" measure --firmware "$tmp/oasis.fd" --disk "$tmp/disk.raw" --uki "$tmp/uki2.efi" >"$tmp/disk.json" 2>/dev/null
        check "disk boot RTMR2 of stub 252 and Linux 6.1 is zero" "$(fold sha384)" "$(reg rtmr2 "$tmp/disk.json")"
        "$tdxctl" measure --firmware "$tmp/oasis.fd" --disk "$tmp/disk.raw" --uki "$tmp/uki2.efi" \
            --kernel-measures-rtmr2 yes >"$tmp/disk.json" 2>/dev/null
        o=$( { printf 'console=ttyS0 root=/dev/vda1' | iconv -f UTF-8 -t UTF-16LE; printf '\000\000'; } | sha384)
        check "disk boot RTMR2: the kernel's LoadOptions and initrd" "$(fold sha384 "$o" "$(sha384 <"$tmp/uinitrd")")" \
            "$(reg rtmr2 "$tmp/disk.json")"
    else
        echo "note: systemd-repart is not installed: disk boot checks skipped"
    fi

    # measured-boot's fixture under systemd-stub 252 rules: its sections fed to systemd-measure.
    fx=$data/pe/measured-boot_uki.efi
    for s in linux osrel cmdline initrd splash dtb; do objcopy -O binary --only-section=.$s "$fx" "$tmp/fx.$s"; done
    "$tdxctl" measure --uki "$fx" --tpm --stub-version 252 >"$tmp/fx.json"
    want=$("$measure_tool" calculate --linux="$tmp/fx.linux" --osrel="$tmp/fx.osrel" --cmdline="$tmp/fx.cmdline" \
        --initrd="$tmp/fx.initrd" --splash="$tmp/fx.splash" --dtb="$tmp/fx.dtb" --bank=sha256 |
        sed -n 's/^11:sha256=//p' | tail -n 1)
    check "PCR 11 of measured-boot's fixture (stub 252 rules) = systemd-measure" "$want" "$(reg pcr11 "$tmp/fx.json")"
else
    echo "note: systemd-measure or objcopy missing: UKI checks skipped"
fi
exit $fail
