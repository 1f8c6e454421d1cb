#!/bin/sh
# tdxctl cloud vhd: Azure's fixed VHD. The bytes are the disk, zeros to a
# whole MiB and a 512-byte footer that an independent reader (Python here,
# qemu-img when installed) accepts: cookie, fixed type, size, CHS geometry,
# one's-complement checksum. The same disk and epoch give the same file.
# Usage: check-cloud-vhd.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(3000000))' >"$tmp/d.raw"
"$tdxctl" cloud vhd "$tmp/d.raw" -o "$tmp/a.vhd" --source-date-epoch 1700000000 >/dev/null
"$tdxctl" cloud vhd "$tmp/d.raw" -o "$tmp/b.vhd" --source-date-epoch 1700000000 >/dev/null
SOURCE_DATE_EPOCH=0 "$tdxctl" cloud vhd "$tmp/d.raw" -o "$tmp/c.vhd" >/dev/null
cmp -s "$tmp/a.vhd" "$tmp/b.vhd" || { echo "FAIL: two runs differ" >&2; fail=1; }

python3 - "$tmp/d.raw" "$tmp/a.vhd" "$tmp/c.vhd" <<'PY' || fail=1
import struct, sys
raw = open(sys.argv[1], "rb").read()
vhd = open(sys.argv[2], "rb").read()
zero = open(sys.argv[3], "rb").read()
MIB = 1 << 20
ok = True
def bad(m):
    global ok
    print("FAIL: " + m, file=sys.stderr)
    ok = False
size = (len(raw) + MIB - 1) // MIB * MIB
if len(vhd) != size + 512:
    bad("length %d, expected %d" % (len(vhd), size + 512))
if vhd[:len(raw)] != raw or vhd[len(raw):size] != b"\0" * (size - len(raw)):
    bad("the disk bytes or the padding are wrong")
f = vhd[size:]
(cookie, features, version, offset, ts, app, appver, host, orig, cur, cyl, heads, spt, dtype,
 csum) = struct.unpack(">8sIIQI4sI4sQQHBBII", f[:68])
if cookie != b"conectix" or features != 2 or version != 0x10000 or offset != 2**64 - 1:
    bad("header fields %r %x %x %x" % (cookie, features, version, offset))
if dtype != 2 or orig != size or cur != size:
    bad("type %d sizes %d %d" % (dtype, orig, cur))
if ts != 1700000000 - 946684800:
    bad("time stamp %d" % ts)
if sum(f[:64]) + sum(f[68:]) != (~csum) & 0xffffffff:
    bad("checksum")
if cyl * heads * spt * 512 > size or (cyl + 1) * heads * spt * 512 <= size and cyl < 65535:
    bad("CHS %d/%d/%d does not describe %d bytes" % (cyl, heads, spt, size))
if f[68:84] == b"\0" * 16:
    bad("no unique id")
zf = zero[size:]
if struct.unpack(">I", zf[24:28])[0] != 0:
    bad("epoch 0 (before 2000) is not clamped to 0")
if zf[68:84] != f[68:84]:
    bad("the unique id depends on more than the disk")
sys.exit(0 if ok else 1)
PY

if command -v qemu-img >/dev/null 2>&1; then
    qemu-img info -f vpc --output=json "$tmp/a.vhd" >"$tmp/info.json"
    python3 - "$tmp/info.json" <<'PY' || fail=1
import json, sys
i = json.load(open(sys.argv[1]))
if i.get("format") != "vpc" or i.get("virtual-size") != 3 << 20:
    print("FAIL: qemu-img info: %s" % i, file=sys.stderr)
    sys.exit(1)
PY
else
    echo "note: qemu-img is not installed; its check was skipped"
fi

: >"$tmp/empty.raw"
if "$tdxctl" cloud vhd "$tmp/empty.raw" -o "$tmp/e.vhd" 2>"$tmp/err"; then
    echo "FAIL: an empty disk was accepted" >&2
    fail=1
fi
grep -q "1 MiB to 1023 GiB" "$tmp/err" || { echo "FAIL: empty disk message: $(cat "$tmp/err")" >&2; fail=1; }
[ ! -e "$tmp/e.vhd" ] && [ -z "$(ls "$tmp" | grep tmp-)" ] || { echo "FAIL: files left" >&2; fail=1; }
exit $fail
