# shellcheck shell=sh
# Sourced by the QEMU tests: a native build directory (docs/build.md) put
# together by hand from Debian's bookworm-backports 6.12 kernel, the host's
# OVMF.fd, busybox-static and the tdx-agent binary, so `tdxctl run`, `stop`
# and `acpi capture` are exercised under TCG whether or not `tdxctl build`
# is in the tree. The init is a busybox script doing what init mode does in
# native images (modules, network, the fw_cfg test PKI, capture mode) and
# then execs `tdx-agent init`. Its payload prints the line the e2e test
# looks for.
#
# handbuild_kernel TDXCTL CACHE: fetches the kernel package once (through
#   the signed index) and unpacks vmlinuz and the modules into CACHE/k.
# handbuild_make TDXCTL AGENT CACHE OUT [test_provider]: writes OUT.
# handbuild_or_skip TDXCTL AGENT CACHE OUT: both, exiting 77 with the reason
#   when QEMU, OVMF, busybox or the kernel package are not available.

# The tests that share CACHE run in parallel: the first one unpacks while
# the others wait on the lock (else one deletes the other's half-made tree).
handbuild_kernel() {
    mkdir -p "$2" || return 1
    (flock 9 && handbuild_kernel_locked "$@") 9>"$2/.lock"
}

handbuild_kernel_locked() {
    _hb_tdxctl=$1 _hb_cache=$2
    [ -f "$_hb_cache/k/ok" ] && return 0
    _hb_deb=$("$_hb_tdxctl" deb fetch linux-image-amd64 --release bookworm-backports \
        --cache-dir "$_hb_cache/fetch" --json 2>"$_hb_cache/fetch.log" |
        sed -n 's/.*"path": *"\([^"]*\)".*/\1/p')
    [ -n "$_hb_deb" ] && [ -f "$_hb_deb" ] || return 1
    rm -rf "$_hb_cache/k" && mkdir -p "$_hb_cache/k/x" || return 1
    dpkg-deb --fsys-tarfile "$_hb_deb" | tar -x -C "$_hb_cache/k/x" --wildcards \
        './boot/vmlinuz-*' '*/fs/configfs/configfs.ko*' '*/virt/coco/tsm.ko*' \
        '*/drivers/net/virtio_net.ko*' '*/drivers/net/net_failover.ko*' \
        '*/net/core/failover.ko*' '*/firmware/qemu_fw_cfg.ko*' || return 1
    mkdir -p "$_hb_cache/k/modules"
    find "$_hb_cache/k/x" -name '*.ko*' >"$_hb_cache/k/list" || return 1
    while read -r _hb_m; do
        case $_hb_m in
        *.xz) xz -dc "$_hb_m" >"$_hb_cache/k/modules/$(basename "$_hb_m" .xz)" || return 1 ;;
        *) cp "$_hb_m" "$_hb_cache/k/modules/" || return 1 ;;
        esac
    done <"$_hb_cache/k/list"
    cp "$_hb_cache"/k/x/boot/vmlinuz-* "$_hb_cache/k/vmlinuz" && touch "$_hb_cache/k/ok"
}

handbuild_make() {
    _hb_tdxctl=$1 _hb_agent=$2 _hb_cache=$3 _hb_out=$4 _hb_test=${5:-true}
    _hb_root=$_hb_out.root
    rm -rf "$_hb_out" "$_hb_root"
    mkdir -p "$_hb_out" "$_hb_root/bin" "$_hb_root/usr/bin" "$_hb_root/usr/local/bin" \
        "$_hb_root/lib/modules" "$_hb_root/etc/tdx-agent" "$_hb_root/proc" "$_hb_root/sys" \
        "$_hb_root/dev" "$_hb_root/run" "$_hb_root/tmp" || return 1
    cp /bin/busybox "$_hb_root/bin/busybox" || return 1
    for _hb_l in sh mount insmod ip cat mkdir sleep sha256sum cut grep basename; do
        ln -s busybox "$_hb_root/bin/$_hb_l"
    done
    cp "$_hb_agent" "$_hb_root/usr/bin/tdx-agent" && strip "$_hb_root/usr/bin/tdx-agent" &&
    cp "$_hb_cache"/k/modules/*.ko "$_hb_root/lib/modules/" || return 1
    printf 'root:x:0:0:root:/:/bin/sh\n' >"$_hb_root/etc/passwd"
    printf 'root:x:0:\n' >"$_hb_root/etc/group"
    cat >"$_hb_root/etc/tdx-agent/secrets.json" <<'JSON'
{"secrets":[{"dest":"/run/hello/key","group":"root","mode":"0400","name":"hello_key","owner":"root","required":true,"schema":{"kind":"string","max_length":4096,"min_length":1}}],"version":1}
JSON
    cat >"$_hb_root/usr/local/bin/hello" <<'SH'
#!/bin/sh
echo "hello: key present (sha256 prefix $(sha256sum /run/hello/key | cut -c1-16))"
SH
    cat >"$_hb_root/init" <<'SH'
#!/bin/sh
export PATH=/bin:/usr/bin:/usr/local/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
for m in configfs tsm failover net_failover virtio_net qemu_fw_cfg; do
    insmod /lib/modules/$m.ko
done
mount -t configfs configfs /sys/kernel/config
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
set --
pki=/sys/firmware/qemu_fw_cfg/by_name/opt/org.tdxhost/pki
if [ -d $pki ]; then
    mkdir -p /run/tdx-agent/test-pki
    for f in $pki/*; do cat $f/raw >/run/tdx-agent/test-pki/$(basename $f); done
    set -- --quote-provider sim:/run/tdx-agent/test-pki
fi
if grep -q tdx.capture=acpi /proc/cmdline; then
    exec /usr/bin/tdx-agent init --listen tcp:0.0.0.0:1050 "$@" -- /bin/sleep 2147483647
fi
exec /usr/bin/tdx-agent init --listen tcp:0.0.0.0:1050 "$@" \
    --manifest /etc/tdx-agent/secrets.json -- /usr/local/bin/hello
SH
    chmod 755 "$_hb_root/init" "$_hb_root/usr/local/bin/hello"
    (cd "$_hb_root" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 -n \
        >"$_hb_out/initrd.cpio.gz" || return 1
    rm -rf "$_hb_root"
    cp "$_hb_cache/k/vmlinuz" "$_hb_out/vmlinuz" && cp /usr/share/ovmf/OVMF.fd "$_hb_out/OVMF.fd" ||
        return 1
    printf 'console=ttyS0 panic=-1' >"$_hb_out/cmdline"
    cat >"$_hb_out/vm.json" <<JSON
{"format": 1, "memory_mib": 2048, "cpus": 1, "firmware": "OVMF.fd", "kernel": "vmlinuz",
 "initrd": "initrd.cpio.gz", "cmdline_file": "cmdline",
 "qemu": {"page_order": "per-page", "min_version": "9.0", "kernel_header": "patched"},
 "machine": {"type": "q35", "kernel_irqchip": "split", "smm": false, "pic": false, "hpet": false},
 "agent": {"port": 1050, "listen": ["tcp:0.0.0.0:1050"]},
 "test_provider": $_hb_test, "network": "static", "firmware_event_layout": "pre-202411"}
JSON
    "$_hb_tdxctl" measure --firmware "$_hb_out/OVMF.fd" --kernel "$_hb_out/vmlinuz" \
        --initrd "$_hb_out/initrd.cpio.gz" --cmdline "$(cat "$_hb_out/cmdline")" --memory 2048M \
        --cpus 1 -o "$_hb_out/measurements.json" 2>/dev/null
}

handbuild_or_skip() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 ||
        { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
    [ -f /usr/share/ovmf/OVMF.fd ] || { echo "SKIP: /usr/share/ovmf/OVMF.fd is missing (ovmf)"; exit 77; }
    [ -x /bin/busybox ] || { echo "SKIP: /bin/busybox is missing (busybox-static)"; exit 77; }
    handbuild_kernel "$1" "$3" ||
        { echo "SKIP: cannot fetch linux-image-amd64 from bookworm-backports"; exit 77; }
    handbuild_make "$@" || { echo "FAIL: hand build"; exit 1; }
}
