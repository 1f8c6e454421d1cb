#!/bin/sh
# tdxctl cloud gcp: GCP's import file. GNU tar (read back by GNU tar and
# Python's tarfile) holding only disk.raw with the disk's bytes, owner 0/0,
# mode 0644, mtime the epoch; gzip header without time stamp or name; the
# same disk and epoch give the same bytes.
# Usage: check-cloud-gcp.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(2000000))' >"$tmp/d.raw"
"$tdxctl" cloud gcp "$tmp/d.raw" -o "$tmp/a.tar.gz" --source-date-epoch 1700000000 >/dev/null
sleep 1
"$tdxctl" cloud gcp "$tmp/d.raw" -o "$tmp/b.tar.gz" --source-date-epoch 1700000000 >/dev/null
cmp -s "$tmp/a.tar.gz" "$tmp/b.tar.gz" || { echo "FAIL: two runs differ" >&2; fail=1; }

python3 - "$tmp/d.raw" "$tmp/a.tar.gz" <<'PY' || fail=1
import gzip, sys, tarfile
raw = open(sys.argv[1], "rb").read()
data = open(sys.argv[2], "rb").read()
ok = True
def bad(m):
    global ok
    print("FAIL: " + m, file=sys.stderr)
    ok = False
if data[:4] != b"\x1f\x8b\x08\x00" or data[4:8] != b"\0\0\0\0":
    bad("gzip header has a name or time stamp: %r" % data[:10])
tar = gzip.decompress(data)
if tar[257:265] != b"ustar  \0":
    bad("not GNU tar magic: %r" % tar[257:265])
t = tarfile.open(sys.argv[2], "r:gz")
m = t.getmembers()
if [x.name for x in m] != ["disk.raw"]:
    bad("members %r" % [x.name for x in m])
else:
    x = m[0]
    if (x.uid, x.gid, x.mode, x.mtime, x.uname, x.gname) != (0, 0, 0o644, 1700000000, "", ""):
        bad("member fields %r" % ((x.uid, x.gid, oct(x.mode), x.mtime, x.uname, x.gname),))
    if t.extractfile(x).read() != raw:
        bad("disk.raw bytes differ")
sys.exit(0 if ok else 1)
PY
mkdir "$tmp/x"
tar -xzf "$tmp/a.tar.gz" -C "$tmp/x"
cmp -s "$tmp/x/disk.raw" "$tmp/d.raw" || { echo "FAIL: GNU tar extracts other bytes" >&2; fail=1; }

: >"$tmp/empty.raw"
if "$tdxctl" cloud gcp "$tmp/empty.raw" -o "$tmp/e.tar.gz" 2>/dev/null; then
    echo "FAIL: an empty disk was accepted" >&2
    fail=1
fi
[ ! -e "$tmp/e.tar.gz" ] || { echo "FAIL: output left after a failure" >&2; fail=1; }
exit $fail
