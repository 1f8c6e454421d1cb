#!/bin/sh
# What an emitted tree must get right for the image to boot and attest,
# checked on the trees of the examples (and small recipes), partly by running
# the emitted scripts against fake build roots:
#   modules    modules-load.d asks for configfs, tsm/tsm_report, tdx_guest and
#              the vsock transport
#   debloat    the systemd debloat keeps modprobe@.service and the targets
#              systemd goes to (multi-user, shutdown, poweroff, reboot,
#              emergency, getty), and still masks what is not needed
#   machine-id the finalize debloat leaves /etc/machine-id as an empty file
#   encrypt    no build-time repart definition has Encrypt=; the encrypted
#              partitions are in the image's /usr/lib/repart.d
#   dirs       mkosi.conf names no output/build/cache directory inside the
#              tree; build scripts discard what they write there
#              (BuildSourcesEphemeral) and keep caches in $BUILDDIR
#   tools      UKI/disk trees ask for a Debian trixie tools tree (ukify and
#              systemd-repart >= 254)
#   sources    apt sources come from the tree (mkosi.sources, so none of
#              mkosi's defaults such as debian-debug), with the recipe's mirror
# Usage: check-emit-boot.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
    echo "FAIL: $*" >&2
    fail=1
}

emit() { # RECIPE DIR [PROFILE]
    if [ $# -gt 2 ]; then
        "$tdxctl" emit "$1" -o "$2" -p "$3" --no-agent-binary >/dev/null
    else
        "$tdxctl" emit "$1" -o "$2" --no-agent-binary >/dev/null
    fi
}

emit "$src/examples/minimal.json" "$tmp/minimal"
emit "$src/examples/node.json" "$tmp/node-azure" azure
emit "$src/examples/node.json" "$tmp/node"

# --- modules
ml="$tmp/minimal/mkosi.extra/etc/modules-load.d"
for m in configfs tsm tsm_report tdx_guest vsock vmw_vsock_virtio_transport; do
    if ! cat "$ml"/*.conf | grep -qx "$m"; then
        bad "modules: $m is not in modules-load.d"
    fi
done

# --- debloat (systemd): run the emitted script on a fake root whose systemd
# package ships the units that matter plus some that should go.
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/usr/lib/systemd/system" "$root/usr/bin"
units='modprobe@.service multi-user.target shutdown.target poweroff.target reboot.target
emergency.target emergency.service getty.target systemd-modules-load.service
sys-kernel-config.mount systemd-poweroff.service final.target umount.target
systemd-timesyncd.service systemd-networkd.service getty@.service'
for u in $units; do
    echo "/usr/lib/systemd/system/$u"
    : >"$root/usr/lib/systemd/system/$u"
done >"$root/var/lib/dpkg/info/systemd.list"
echo /usr/bin/systemd-analyze >>"$root/var/lib/dpkg/info/systemd.list"
: >"$root/usr/bin/systemd-analyze"
BUILDROOT=$root sh "$tmp/minimal/mkosi.postinst.d/90-debloat-systemd.sh" >"$tmp/debloat.out"
# mkosi applies presets between postinst and finalize: nothing may be masked yet.
if [ -n "$(find "$root/etc/systemd/system" -type l 2>/dev/null)" ]; then
    bad "debloat: units are masked before mkosi's presets run (\"Failed to preset unit\")"
fi
BUILDROOT=$root sh "$tmp/minimal/mkosi.finalize.d/91-debloat-mask.sh" >>"$tmp/debloat.out"
[ ! -e "$root/.tdx-debloat-mask" ] || bad "debloat: the mask list is left in the image"
for u in modprobe@.service multi-user.target shutdown.target poweroff.target reboot.target \
    emergency.target emergency.service getty.target systemd-modules-load.service \
    sys-kernel-config.mount systemd-poweroff.service final.target umount.target; do
    if [ -L "$root/etc/systemd/system/$u" ]; then
        bad "debloat: $u is masked"
    fi
done
for u in systemd-timesyncd.service systemd-networkd.service getty@.service; do
    if [ "$(readlink "$root/etc/systemd/system/$u" 2>/dev/null)" != /dev/null ]; then
        bad "debloat: $u is not masked (the debloat no longer works)"
    fi
done
grep -qx "debloat: masked 3 systemd units" "$tmp/debloat.out" ||
    bad "debloat: unexpected summary: $(cat "$tmp/debloat.out")"

# --- machine-id: the finalize debloat on a fake root with mkosi's file.
root="$tmp/root2"
mkdir -p "$root/etc" "$root/var/log"
echo uninitialized >"$root/etc/machine-id"
BUILDROOT=$root sh "$tmp/minimal/mkosi.finalize.d/90-debloat.sh"
if [ ! -f "$root/etc/machine-id" ] || [ -L "$root/etc/machine-id" ]; then
    bad "machine-id: /etc/machine-id is gone after the finalize debloat"
elif [ -s "$root/etc/machine-id" ]; then
    bad "machine-id: /etc/machine-id is not empty: $(cat "$root/etc/machine-id")"
fi
rm -f "$root/etc/machine-id"
BUILDROOT=$root sh "$tmp/minimal/mkosi.finalize.d/90-debloat.sh"
[ -f "$root/etc/machine-id" ] || bad "machine-id: not created when mkosi wrote none"

# --- encrypt (node's azure profile encrypts /var with the vTPM)
if grep -rl '^Encrypt=' "$tmp/node-azure" --include='*.conf' | grep -v '/mkosi.extra/usr/lib/repart.d/' |
    grep -q .; then
    bad "encrypt: build-time repart definitions encrypt: $(grep -rl '^Encrypt=' "$tmp/node-azure" |
        grep -v /usr/lib/repart.d/)"
fi
fb=$(find "$tmp/node-azure" -path '*/mkosi.extra/usr/lib/repart.d/*.conf' | head -n 1)
if [ -z "$fb" ] || ! grep -qx 'Encrypt=tpm2' "$fb" || ! grep -qx 'Type=var' "$fb"; then
    bad "encrypt: no first-boot repart definition for /var with Encrypt=tpm2 in the image"
fi
if grep -rq '^ExcludeFiles=/var/' "$tmp/node-azure"; then
    bad "encrypt: the root leaves out /var, which the first-boot partition copies from it"
fi
grep -q ' systemd-repart.service ' "$tmp/node-azure"/mkosi.profiles/azure/mkosi.postinst.d/90-debloat-systemd.sh ||
    bad "encrypt: debloat masks systemd-repart.service, which makes the partitions at first boot"

# --- dirs
for t in minimal node node-azure; do
    if grep -rqE '^(OutputDirectory|BuildDirectory|CacheDirectory|WorkspaceDirectory|PackageCacheDirectory)=' \
        "$tmp/$t" --include=mkosi.conf; then
        bad "dirs: $t: mkosi.conf names a directory (tdxctl build passes them, outside the tree)"
    fi
done
grep -qx 'BuildSourcesEphemeral=yes' "$tmp/node/mkosi.conf" ||
    bad "dirs: node builds sources without BuildSourcesEphemeral=yes (outputs land in the tree)"
if grep -rq '/var/tmp' "$tmp/node/mkosi.build.d"; then
    bad "dirs: build scripts fall back to /var/tmp for caches (lost every build)"
fi
grep -rq 'BUILDDIR' "$tmp/node/mkosi.build.d" || bad "dirs: build scripts keep no cache in \$BUILDDIR"

# --- tools
for t in minimal node; do
    grep -qx 'ToolsTree=default' "$tmp/$t/mkosi.conf" || bad "tools: $t: no ToolsTree=default"
    grep -qx 'ToolsTreeRelease=trixie' "$tmp/$t/mkosi.conf" || bad "tools: $t: tools tree not trixie"
done
cat >"$tmp/no-tools.json" <<'EOF'
{"name": "notools", "output": {"tools_tree": false}}
EOF
emit "$tmp/no-tools.json" "$tmp/notools"
if grep -q '^ToolsTree' "$tmp/notools/mkosi.conf"; then
    bad "tools: tools_tree false still asks for a tools tree"
fi

# --- sources
s="$tmp/minimal/mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources"
[ -f "$s" ] || bad "sources: no mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources"
if grep -rq debian-debug "$tmp/minimal/mkosi.sandbox" "$tmp/minimal/mkosi.tools-sandbox"; then
    bad "sources: debian-debug is in the sources"
fi
grep -qx 'Suites: bookworm bookworm-updates bookworm-backports' "$s" ||
    bad "sources: minimal's suites are not bookworm, -updates and the kernel's -backports"
grep -qx 'Suites: bookworm-security' "$s" || bad "sources: no security suite"
grep -qx 'Suites: trixie trixie-updates' "$tmp/minimal/mkosi.tools-sandbox/etc/apt/sources.list.d/mkosi.sources" ||
    bad "sources: the tools tree's sources are not trixie"
cat >"$tmp/mirror.json" <<'EOF'
{"name": "mirrored", "mirror": "http://mirror.example/debian"}
EOF
emit "$tmp/mirror.json" "$tmp/mirrored"
for f in "$tmp/mirrored/mkosi.sandbox/etc/apt/sources.list.d/mkosi.sources" \
    "$tmp/mirrored/mkosi.tools-sandbox/etc/apt/sources.list.d/mkosi.sources"; do
    grep -qx 'URIs: http://mirror.example/debian' "$f" || bad "sources: $f does not use the recipe's mirror"
done

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "emitted trees: modules, debloat, machine-id, encryption, directories, tools tree and sources OK"
