#!/bin/sh
# tdxctl build end to end on examples/hello.json with the real Debian kernel
# (bookworm-backports, compressed modules), ovmf and busybox-static through
# the signed index of the host's apt mirror, cached in $XDG_CACHE_HOME:
#   - two builds in different directories, umask 022/077, TZ and LANG give the
#     same sha256 for every artifact (build.json differs only in timings_ms);
#   - tdxctl measure BUILD_DIR equals measurements.json; MRTD equals
#     tdxctl measure --firmware on the same OVMF;
#   - the initramfs holds what docs/build.md says (init, agent.json, modules
#     decompressed in dependency order, owners, times);
#   - --frozen builds offline from the cache; a tampered cache entry is refused;
#   - a failed build leaves the previous output untouched;
#   - unsupported recipe fields are named; --backend mkosi refuses an old mkosi.
# Without the Debian mirror and without a warm cache the test is skipped (77).
# Usage: check-build.sh TDXCTL SOURCE_ROOT AGENT
set -u
tdxctl=$1
src=$2
agent=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
export TDX_AGENT="$agent"

ok() { echo "ok $*"; }
bad() { echo "FAIL: $*"; fail=1; }
check() { # DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

for tool in cpio perl python3 zcat zstd; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

# The recipe, its service and its lock in two places.
for d in a b; do
    mkdir -p "$tmp/$d/hello"
    cp "$src/examples/hello.json" "$src/examples/tdx.lock" "$tmp/$d/"
    cp "$src/examples/hello/hello.sh" "$tmp/$d/hello/"
done

# First build: may resolve and download (the kernel .deb is ~100 MB, cached).
if ! (cd "$tmp/a" && umask 022 && TZ=UTC LANG=C.UTF-8 "$tdxctl" build hello.json -p dev \
        -o "$tmp/a/out" >"$tmp/a.log" 2>&1); then
    if grep -qE "Could not resolve|Connection refused|timed out|HTTP|no apt source" "$tmp/a.log"; then
        echo "SKIP: the Debian mirror is unreachable and the cache is cold:"
        cat "$tmp/a.log"
        exit 77
    fi
    bad "first build"
    cat "$tmp/a.log"
    exit 1
fi
ok "first build"
# examples/tdx.lock is what a build of examples/hello.json writes: a build
# of the copy changes nothing in it (else run a build in examples/ and commit
# the lock it leaves).
check "examples/tdx.lock is up to date for hello.json -p dev" cmp -s "$tmp/a/tdx.lock" "$src/examples/tdx.lock"
(cd "$tmp/b" && umask 077 && TZ=Asia/Tokyo LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 \
    "$tdxctl" build hello.json -p dev -o "$tmp/b/elsewhere/out" >"$tmp/b.log" 2>&1) ||
    { bad "second build"; cat "$tmp/b.log"; }

for f in vmlinuz initrd.cpio.gz OVMF.fd cmdline vm.json measurements.json measurements.cbor policy.json; do
    ha=$(sha256sum <"$tmp/a/out/$f" | cut -d' ' -f1)
    hb=$(sha256sum <"$tmp/b/elsewhere/out/$f" | cut -d' ' -f1)
    if [ "$ha" = "$hb" ] && [ -n "$ha" ]; then ok "$f reproducible ($ha)"; else bad "$f differs: $ha $hb"; fi
done
strip_timings() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timings_ms"); print(json.dumps(d, sort_keys=True))' "$1"
}
check "build.json equal but for timings" [ "$(strip_timings "$tmp/a/out/build.json")" = "$(strip_timings "$tmp/b/elsewhere/out/build.json")" ]
check "output directory mode 0755 under umask 077" [ "$(stat -c %a "$tmp/b/elsewhere/out")" = 755 ]
check "cmdline has no newline" [ "$(wc -c <"$tmp/a/out/cmdline")" = "$(printf 'console=ttyS0' | wc -c)" ]
check "no scratch directory left" [ -z "$(find "$tmp/a" -maxdepth 1 -name '.out.tmp-*')" ]

# Every artifact of build.json, by size and hash.
python3 - "$tmp/a/out" <<'PY' || bad "build.json artifacts"
import hashlib, json, os, sys
d = sys.argv[1]
b = json.load(open(os.path.join(d, "build.json")))
assert b["format"] == 1 and b["backend"] == "native" and b["image_id"] == "hello-dev", b
names = sorted(a["path"] for a in b["artifacts"])
want = sorted(f for f in os.listdir(d) if f != "build.json")
assert names == want, (names, want)
for a in b["artifacts"]:
    data = open(os.path.join(d, a["path"]), "rb").read()
    assert len(data) == a["size"] and hashlib.sha256(data).hexdigest() == a["sha256"], a
kinds = {(i["kind"], i["name"].split("-")[0]) for i in b["inputs"]}
for k in [("deb", "linux"), ("deb", "ovmf"), ("deb", "busybox"), ("file", "tdx")]:
    assert k in kinds, (k, kinds)
vm = json.load(open(os.path.join(d, "vm.json")))
assert vm["memory_mib"] == 2048 and vm["cpus"] == 1 and vm["test_provider"] is True, vm
assert vm["network"] == "static" and vm["machine"]["type"] == "q35", vm
print("ok build.json lists every artifact with its size and sha256, and the inputs")
PY

check "policy.json points at measurements.json" grep -q '"measurements.json"' "$tmp/a/out/policy.json"

# The measurements from the directory alone, and MRTD from the firmware alone.
"$tdxctl" measure "$tmp/a/out" --format json >"$tmp/remeasured.json" 2>/dev/null
check "measure BUILD_DIR equals measurements.json" cmp -s "$tmp/remeasured.json" "$tmp/a/out/measurements.json"
mrtd() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registers"]["mrtd"])' "$1"; }
"$tdxctl" measure --firmware "$tmp/a/out/OVMF.fd" --kernel "$tmp/a/out/vmlinuz" --format json \
    >"$tmp/fw.json" 2>/dev/null
check "MRTD equals measure --firmware" [ "$(mrtd "$tmp/fw.json")" = "$(mrtd "$tmp/a/out/measurements.json")" ]
rtmr2() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registers"]["rtmr2"])' "$1"; }
check "RTMR2 known (kernel 6.12 measures cmdline and initrd)" [ "$(rtmr2 "$tmp/a/out/measurements.json")" != None ]

# The image.
mkdir "$tmp/root"
(cd "$tmp/root" && zcat "$tmp/a/out/initrd.cpio.gz" | cpio -id --quiet 2>/dev/null)
zcat "$tmp/a/out/initrd.cpio.gz" | cpio -itv --quiet >"$tmp/list" 2>/dev/null
check "/init is the agent, stripped" sh -c "[ -x '$tmp/root/init' ] && [ \$(stat -c %s '$tmp/root/init') -lt \$(stat -c %s '$agent') ]"
check "/usr/bin/tdx-agent -> /init" [ "$(readlink "$tmp/root/usr/bin/tdx-agent")" = /init ]
check "entries sorted" sh -c "zcat '$tmp/a/out/initrd.cpio.gz' | cpio -it --quiet 2>/dev/null | LC_ALL=C sort -c"
check "every mtime is SOURCE_DATE_EPOCH (0)" sh -c "! grep -v ' Jan  1  1970 ' '$tmp/list'"
check "secrets manifest" grep -q '"greeting_key"' "$tmp/root/etc/tdx-agent/secrets.json"
check "passwd has hello" grep -q '^hello:x:999:999:' "$tmp/root/etc/passwd"
check "busybox sh" [ "$(readlink "$tmp/root/bin/sh")" = busybox ]
python3 - "$tmp/root" <<'PY' || bad "agent.json init object"
import json, os, sys
root = sys.argv[1]
c = json.load(open(os.path.join(root, "etc/tdx-agent/agent.json")))
i = c["init"]
assert c["manifest"] == "/etc/tdx-agent/secrets.json" and "tcp:0.0.0.0:1050" in c["listen"], c
assert i["test_provider"] is True and i["on_exit"] == "poweroff", i
assert i["network"] == {"mode": "static", "address": "10.0.2.15/24", "gateway": "10.0.2.2", "dns": ["10.0.2.3"]}, i["network"]
s = i["services"][0]
assert s["exec"] == ["/usr/local/bin/hello", "/run/hello/key.hex"] and s["user"] == "hello" and s["after_secrets"], s
names = [os.path.basename(m) for m in i["modules"]]
for m in ["tdx-guest.ko", "tsm.ko", "configfs.ko", "vsock.ko", "vmw_vsock_virtio_transport.ko", "virtio_net.ko", "qemu_fw_cfg.ko"]:
    assert m in names, (m, names)
pos = {n: k for k, n in enumerate(names)}
assert pos["configfs.ko"] < pos["tsm.ko"] < pos["tdx-guest.ko"], names
assert pos["vsock.ko"] < pos["vmw_vsock_virtio_transport_common.ko"] < pos["vmw_vsock_virtio_transport.ko"], names
assert pos["failover.ko"] < pos["net_failover.ko"] < pos["virtio_net.ko"], names
for m in i["modules"]:
    data = open(root + m, "rb").read(4)
    assert m.endswith(".ko") and data == b"\x7fELF", m
print("ok agent.json: services, network, modules decompressed in dependency order")
PY

# The default profile refuses nothing here, but has no test provider.
(cd "$tmp/a" && "$tdxctl" build hello.json -o "$tmp/a/default" >/dev/null 2>&1) || bad "default profile builds"
check "default profile: test_provider false" grep -q '"test_provider": false' "$tmp/a/default/vm.json"
check "examples/tdx.lock is up to date for hello.json" cmp -s "$tmp/a/tdx.lock" "$src/examples/tdx.lock"

# native.compression names the initramfs file, and vm.json says which it is:
# tdxctl measure DIR reads the name from there.
for c in zstd:initrd.cpio.zst none:initrd.cpio; do
    comp=${c%%:*} name=${c#*:}
    python3 - "$tmp/a/hello.json" "$tmp/a/$comp.json" "$comp" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.setdefault("native", {})["compression"] = sys.argv[3]
json.dump(r, open(sys.argv[2], "w"))
PY
    cp "$tmp/a/tdx.lock" "$tmp/$comp.lock"
    if (cd "$tmp/a" && "$tdxctl" build "$comp.json" -p dev --lock "$tmp/$comp.lock" -o "$tmp/a/$comp" \
            >"$tmp/$comp.log" 2>&1); then
        check "$comp: $name, no initrd.cpio.gz" sh -c "[ -s '$tmp/a/$comp/$name' ] && [ ! -e '$tmp/a/$comp/initrd.cpio.gz' ]"
        check "$comp: vm.json names $name" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["initrd"] == sys.argv[2]' "$tmp/a/$comp/vm.json" "$name"
        check "$comp: build.json lists $name" grep -q "\"path\": \"$name\"" "$tmp/a/$comp/build.json"
        "$tdxctl" measure "$tmp/a/$comp" --format json >"$tmp/$comp.m.json" 2>/dev/null
        check "$comp: measure DIR equals measurements.json" cmp -s "$tmp/$comp.m.json" "$tmp/a/$comp/measurements.json"
    else
        bad "build with native.compression $comp"
        cat "$tmp/$comp.log"
    fi
done
check "zstd: the image is zstd" sh -c "zstd -dc '$tmp/a/zstd/initrd.cpio.zst' | cmp -s - '$tmp/a/none/initrd.cpio'"

# --frozen, offline, from the cache.
(cd "$tmp/a" && "$tdxctl" build hello.json -p dev --frozen --offline -o "$tmp/a/frozen" >/dev/null 2>&1) &&
    cmp -s "$tmp/a/frozen/initrd.cpio.gz" "$tmp/a/out/initrd.cpio.gz"
check "--frozen --offline builds the same image from the cache" [ $? -eq 0 ]

# The scratch directory is a staging directory: SIGINT while it is complete
# (the test hook stops there, docs/development.md) removes it and leaves no
# output; one a dead process left is removed by the next build.
mkdir -p "$tmp/int"
TDX_TEST_STAGING_PAUSE=1 perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
    sh -c 'cd "$1" && exec "$2" build hello.json -p dev --frozen --offline -o "$3"' sh \
    "$tmp/a" "$tdxctl" "$tmp/int/out" 2>"$tmp/int.err" &
child=$!
tries=0
until ls "$tmp/int"/.out.tmp-*/out/build.json >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 1200 ] || ! kill -0 $child 2>/dev/null; then
        bad "SIGINT: the build never reached its staging pause"; cat "$tmp/int.err"
        break
    fi
    sleep 0.1
done
kill -INT $child
wait $child
status=$?
check "SIGINT: the build dies of it (status $status)" [ $status -gt 128 ]
check "SIGINT: no scratch directory left" [ -z "$(find "$tmp/int" -maxdepth 1 -name '.out.tmp-*')" ]
check "SIGINT: no output" [ ! -e "$tmp/int/out" ]
sh -c 'exit 0' & dead=$!
wait $dead
mkdir -p "$tmp/int/.out.tmp-$dead-XXXXXX/out"
(cd "$tmp/a" && "$tdxctl" build hello.json -p dev --frozen --offline -o "$tmp/int/out" >/dev/null 2>&1) ||
    bad "build after an interrupted one"
check "a dead build's scratch directory is removed" [ ! -e "$tmp/int/.out.tmp-$dead-XXXXXX" ]

# A stale lock under --frozen fails and writes nothing.
sed 's/"busybox-static"/"busybox-static", "jq"/' "$tmp/a/hello.json" >"$tmp/a/stale.json"
if (cd "$tmp/a" && "$tdxctl" build stale.json --frozen -o "$tmp/a/stale" >"$tmp/stale.log" 2>&1); then
    bad "--frozen with a stale lock succeeded"
else
    check "--frozen says the lock is stale" grep -q "the lock is stale" "$tmp/stale.log"
    check "--frozen failure writes nothing" [ ! -e "$tmp/a/stale" ]
fi

# A failed build keeps the previous output: a module that exists nowhere.
before=$(sha256sum <"$tmp/a/out/initrd.cpio.gz")
python3 - "$tmp/a/hello.json" "$tmp/a/nomod.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["kernel"]["modules"] = ["no_such_module"]
json.dump(r, open(sys.argv[2], "w"))
PY
cp "$tmp/a/tdx.lock" "$tmp/nomod.lock"   # its own lock: the build rewrites it for this recipe
if (cd "$tmp/a" && "$tdxctl" build nomod.json -p dev --lock "$tmp/nomod.lock" -o "$tmp/a/out" \
        >"$tmp/nomod.log" 2>&1); then
    bad "a missing module was accepted"
else
    check "missing module named" grep -q 'kernel module "no_such_module"' "$tmp/nomod.log"
    check "previous output untouched" [ "$(sha256sum <"$tmp/a/out/initrd.cpio.gz")" = "$before" ]
fi

# A rebuild over an existing output swaps the new tree in with one
# renameat2(RENAME_EXCHANGE) (out is never missing), then removes the old one.
echo stale >"$tmp/a/out/stale-file"
if command -v strace >/dev/null; then
    trace="strace -f -qq -e trace=rename,renameat,renameat2 -o $tmp/rename.log"
else
    echo "SKIP: no strace: the rename calls are not checked"
    trace=
fi
# (LeakSanitizer cannot run under ptrace: an ASan tdxctl is traced without it.)
if (cd "$tmp/a" && ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" \
        $trace "$tdxctl" build hello.json -p dev -o "$tmp/a/out" >"$tmp/swap.log" 2>&1); then
    check "rebuild: previous output replaced" [ ! -e "$tmp/a/out/stale-file" ]
    check "rebuild: same image" [ "$(sha256sum <"$tmp/a/out/initrd.cpio.gz")" = "$before" ]
    check "rebuild: no scratch or old tree left" [ -z "$(find "$tmp/a" -maxdepth 1 \( -name 'out.tdx-build-*' -o -name '.out.tmp-*' \))" ]
    if [ -n "$trace" ]; then
        # Relative to the output's parent directory (build/output-dir.c).
        check "rebuild: swapped by RENAME_EXCHANGE" grep -q 'renameat2(.*/out", [0-9]*, "out", RENAME_EXCHANGE)' "$tmp/rename.log"
        check "rebuild: out never moved aside" sh -c "! grep -q '/previous\"' '$tmp/rename.log'"
    fi
else
    bad "rebuild over an existing output"
    cat "$tmp/swap.log"
fi

# A tampered cache entry: a cache holding the kernel's unpacked tree but a
# changed ovmf .deb is refused (the entry is dropped; offline, nothing replaces it).
sha_of() {
    python3 -c 'import json,sys; print([d["sha256"] for d in json.load(open(sys.argv[1]))["debian"] if d["requested"] == sys.argv[2]][0])' "$tmp/a/tdx.lock" "$1"
}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tdxhost
# flip_byte FILE OFFSET: changes one byte for sure (writing a fixed one
# leaves a file that already has it there unchanged: the go archive is
# made anew each run, and one in 256 of them had 'X' at the offset).
flip_byte() {
    python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
mkdir -p "$tmp/cache/fetch" "$tmp/cache/extract"
for p in linux-image-amd64 busybox-static; do
    ln -s "$cache/extract/$(sha_of "$p")" "$tmp/cache/extract/$(sha_of "$p")"
    ln -s "$cache/extract/$(sha_of "$p").sums" "$tmp/cache/extract/$(sha_of "$p").sums"
done
ovmf=$(sha_of ovmf)
cp "$cache/fetch/$ovmf" "$tmp/cache/fetch/$ovmf"
chmod u+w "$tmp/cache/fetch/$ovmf"
flip_byte "$tmp/cache/fetch/$ovmf" 1000
if (cd "$tmp/a" && "$tdxctl" build hello.json -p dev --frozen --offline --cache-dir "$tmp/cache" \
        -o "$tmp/a/tampered" >"$tmp/tamper.log" 2>&1); then
    bad "a tampered cache entry was used"
else
    check "tampered entry refused" [ ! -e "$tmp/cache/fetch/$ovmf" ]
    check "tampered build writes nothing" [ ! -e "$tmp/a/tampered" ]
fi

# A changed file in an unpacked package: the tree is refused and unpacked
# again from its (verified) .deb, so the image comes out as before.
bb=$(sha_of busybox-static)
mkdir -p "$tmp/cache2/fetch" "$tmp/cache2/extract"
for p in linux-image-amd64 ovmf; do
    ln -s "$cache/extract/$(sha_of "$p")" "$tmp/cache2/extract/$(sha_of "$p")"
    ln -s "$cache/extract/$(sha_of "$p").sums" "$tmp/cache2/extract/$(sha_of "$p").sums"
done
cp -R "$cache/extract/$bb" "$tmp/cache2/extract/$bb"
cp "$cache/extract/$bb.sums" "$cache/fetch/$bb" "$tmp/cache2/"
mv "$tmp/cache2/$bb.sums" "$tmp/cache2/extract/"
mv "$tmp/cache2/$bb" "$tmp/cache2/fetch/"
chmod -R u+w "$tmp/cache2/extract/$bb"
flip_byte "$tmp/cache2/extract/$bb/bin/busybox" 5000
if (cd "$tmp/a" && "$tdxctl" build hello.json -p dev --frozen --offline --cache-dir "$tmp/cache2" \
        -o "$tmp/a/retampered" >"$tmp/retamper.log" 2>&1); then
    check "changed unpacked file: unpacked again, same image" cmp -s "$tmp/a/retampered/initrd.cpio.gz" "$tmp/a/out/initrd.cpio.gz"
    check "changed unpacked file: repaired in the cache" cmp -s "$tmp/cache2/extract/$bb/bin/busybox" "$cache/extract/$bb/bin/busybox"
else
    bad "build after a changed unpacked file"
    cat "$tmp/retamper.log"
fi

# The recipe's trust boundary, as emit holds it: a src outside the recipe's
# directory fails the build naming the field; --allow-outside-src lifts it.
mkdir -p "$tmp/a/sub"
sed 's|"src": "hello/hello.sh"|"src": "../hello/hello.sh"|' "$tmp/a/hello.json" >"$tmp/a/sub/hello.json"
cp "$tmp/a/tdx.lock" "$tmp/a/sub/tdx.lock"
(cd "$tmp/a/sub" && "$tdxctl" build hello.json -p dev -o "$tmp/a/sub/out" >"$tmp/outside.log" 2>&1)
check "src outside: exit 1" [ $? -eq 1 ]
check "src outside: the field is named" grep -q 'hello.json: files\[0\]\.src: "[^"]*/\.\./hello/hello\.sh" is outside the recipe.s directory' "$tmp/outside.log"
check "src outside: nothing written" [ ! -e "$tmp/a/sub/out" ]
if (cd "$tmp/a/sub" && "$tdxctl" build hello.json -p dev --allow-outside-src -o "$tmp/a/sub/out" \
        >"$tmp/outside2.log" 2>&1); then
    check "--allow-outside-src: same image" cmp -s "$tmp/a/sub/out/initrd.cpio.gz" "$tmp/a/out/initrd.cpio.gz"
else
    bad "--allow-outside-src build"
    cat "$tmp/outside2.log"
fi

# What the native backend cannot do, one line per field.
cat >"$tmp/a/unsupported.json" <<'JSON'
{ "name": "u", "init": "tdx-agent", "kernel": { "package": "linux-image-amd64", "suite": "bookworm-backports" },
  "debloat": {}, "partitions": [{ "mountpoint": "/", "fs": "ext4" }],
  "scripts": { "postinst": ["apt-get update"] }, "output": { "format": "disk" } }
JSON
(cd "$tmp/a" && "$tdxctl" build unsupported.json -o "$tmp/a/u" >"$tmp/u.log" 2>&1)
check "unsupported: exit 1" [ $? -eq 1 ]
check "unsupported: debloat named" grep -q "^tdxctl: debloat: .*use --backend mkosi$" "$tmp/u.log"
check "unsupported: partitions named" grep -q "^tdxctl: partitions: .*use --backend mkosi$" "$tmp/u.log"
check "unsupported: scripts named" grep -q "scripts.postinst.*use --backend mkosi$" "$tmp/u.log"
printf '#!/bin/sh\necho "mkosi 14"\n' >"$tmp/old-mkosi"
chmod +x "$tmp/old-mkosi"
"$tdxctl" build "$tmp/a/hello.json" --backend mkosi --mkosi "$tmp/old-mkosi" -o "$tmp/a/m" >"$tmp/m.log" 2>&1
check "mkosi backend: an old mkosi is named" grep -q "is mkosi 14; the emitted trees need mkosi 25" "$tmp/m.log"
check "mkosi backend: nothing written" [ ! -e "$tmp/a/m" ]

# --json is build.json with ok and output.
(cd "$tmp/a" && "$tdxctl" build hello.json -p dev --json -o "$tmp/a/j" >"$tmp/j.out" 2>"$tmp/j.err")
check "--json prints one object, stderr quiet" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["ok"] is True and d["output"].endswith("/j") and d["artifacts"] and d["inputs"]
assert open(sys.argv[2]).read() == ""' "$tmp/j.out" "$tmp/j.err"

# A real package with dependencies: jq's closure from the signed index
# (libjq1, libonig5, libc6, ...) unpacked, and jq runs with the image's own
# loader and libraries.
sed 's/"busybox-static"/"busybox-static", "jq"/' "$tmp/a/hello.json" >"$tmp/a/jq.json"
cp "$tmp/a/tdx.lock" "$tmp/jq.lock"
if (cd "$tmp/a" && "$tdxctl" build jq.json -p dev --lock "$tmp/jq.lock" -o "$tmp/a/jq" >"$tmp/jq.log" 2>&1); then
    check "jq's dependencies are locked" grep -q '"requested": "libonig5"' "$tmp/jq.lock"
    mkdir "$tmp/jqroot"
    (cd "$tmp/jqroot" && zcat "$tmp/a/jq/initrd.cpio.gz" | cpio -id --quiet 2>/dev/null)
    r=$tmp/jqroot
    out=$(echo '{"a":[1,2]}' | "$r/lib64/ld-linux-x86-64.so.2" \
        --library-path "$r/lib/x86_64-linux-gnu:$r/usr/lib/x86_64-linux-gnu" "$r/usr/bin/jq" -c '.a' 2>&1)
    check "jq from the image runs with the image's libraries" [ "$out" = "[1,2]" ]
else
    bad "build with jq"
    cat "$tmp/jq.log"
fi

# RTMR0: a capture of QEMU's ACPI tables for this VM shape (the one in
# tests/data/testdata, 1 vCPU and 2 GiB) in the previous output is kept by a
# rebuild and makes RTMR0 known; tdxctl measure DIR still agrees.
mkdir -p "$tmp/a/out/acpi"
cp "$src/tests/data/testdata/acpi/qemu-q35-1cpu-2048M/"* "$tmp/a/out/acpi/"
printf '{"qemu_version": "7.2", "argv": [], "memory_mib": 2048, "cpus": 1}\n' >"$tmp/a/out/acpi/capture.json"
if (cd "$tmp/a" && "$tdxctl" build hello.json -p dev -o "$tmp/a/out" >"$tmp/acpi.log" 2>&1); then
    check "acpi/ kept by the rebuild" cmp -s "$tmp/a/out/acpi/etc-acpi-tables" "$src/tests/data/testdata/acpi/qemu-q35-1cpu-2048M/etc-acpi-tables"
    rtmr0() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["registers"]["rtmr0"])' "$1"; }
    check "RTMR0 known with the ACPI capture" [ "$(rtmr0 "$tmp/a/out/measurements.json")" != None ]
    "$tdxctl" measure "$tmp/a/out" --format json >"$tmp/remeasured0.json" 2>/dev/null
    check "measure BUILD_DIR with acpi/ equals measurements.json" cmp -s "$tmp/remeasured0.json" "$tmp/a/out/measurements.json"
    check "build.json lists the acpi files" grep -q '"acpi/etc-acpi-tables"' "$tmp/a/out/build.json"
else
    bad "rebuild with acpi/"
    cat "$tmp/acpi.log"
fi

# A capture for another VM shape, or one that is not a capture, is not kept:
# build.json says why (capture.json goes through the shared JSON reader).
for cap in '{"qemu_version": "7.2", "argv": [], "memory_mib": 4096, "cpus": 1}' \
           '{"qemu_version": "7.2", "argv": [], "memory_mib": "2048", "cpus": 1}'; do
    printf '%s\n' "$cap" >"$tmp/a/out/acpi/capture.json"
    (cd "$tmp/a" && "$tdxctl" build hello.json -p dev -o "$tmp/a/out" >"$tmp/acpi2.log" 2>&1) ||
        { bad "rebuild with another acpi/"; cat "$tmp/acpi2.log"; }
    check "acpi/ of another shape not kept" [ ! -e "$tmp/a/out/acpi" ]
    case $cap in
    *4096*) check "warning names the other shape" grep -q 'another VM shape (4096 MiB, 1 vCPUs)' "$tmp/a/out/build.json" ;;
    *) check "warning names the file and field" grep -q 'not kept: [^"]*acpi/capture.json: memory_mib: ' "$tmp/a/out/build.json" ;;
    esac
    mkdir -p "$tmp/a/out/acpi"
    cp "$src/tests/data/testdata/acpi/qemu-q35-1cpu-2048M/"* "$tmp/a/out/acpi/"
done
rm -rf "$tmp/a/out/acpi"

# Debian 12's own 6.1 kernel: uncompressed modules, virtio_pci modular (with
# its dependencies first), no configfs-tsm (tsm and tdx_guest are warnings).
python3 - "$tmp/a/hello.json" "$tmp/a/k61.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["kernel"]["suite"] = "bookworm"
json.dump(r, open(sys.argv[2], "w"))
PY
cp "$tmp/a/tdx.lock" "$tmp/k61.lock"
if (cd "$tmp/a" && "$tdxctl" build k61.json -p dev --lock "$tmp/k61.lock" -o "$tmp/a/k61" >"$tmp/k61.log" 2>&1); then
    mkdir "$tmp/k61root"
    (cd "$tmp/k61root" && zcat "$tmp/a/k61/initrd.cpio.gz" | cpio -id --quiet 2>/dev/null)
    python3 - "$tmp/k61root" "$tmp/a/k61/build.json" <<'PY' || bad "6.1 kernel modules"
import json, os, sys
i = json.load(open(os.path.join(sys.argv[1], "etc/tdx-agent/agent.json")))["init"]
b = json.load(open(sys.argv[2]))
names = [os.path.basename(m) for m in i["modules"]]
assert b["kernel_version"].startswith("6.1."), b["kernel_version"]
assert names.index("virtio_ring.ko") < names.index("virtio_pci.ko") and "virtio_net.ko" in names, names
assert "tdx-guest.ko" not in names and "tsm.ko" not in names, names
assert any("tsm" in w for w in b["warnings"]), b["warnings"]
print("ok 6.1 kernel: virtio_pci after its dependencies, tsm and tdx_guest reported missing")
PY
else
    bad "build with the 6.1 kernel"
    cat "$tmp/k61.log"
fi

# Builders on the host: a c build with debug info, built in two checkouts,
# gives the same image (SOURCE_DATE_EPOCH, -ffile-prefix-map, fixed locale,
# TZ and umask); DESTDIR and artifacts land in the image.
if command -v cc >/dev/null; then
    for d in c1 c2/deeper; do
        mkdir -p "$tmp/$d/hello" "$tmp/$d/app"
        cp "$src/examples/hello/hello.sh" "$tmp/$d/hello/"
        cat >"$tmp/$d/app/app.c" <<'C'
#include <stdio.h>
int main(void) { printf("built at %s\n", __FILE__); return 0; }
C
        python3 - "$src/examples/hello.json" "$tmp/$d/c.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["builds"] = [{"name": "app", "kind": "c", "src": "app",
                "build_script": "cc -g -O2 $CFLAGS -o app app.c && mkdir -p $DESTDIR/usr/share/app && date -u -d @$SOURCE_DATE_EPOCH +%Y >$DESTDIR/usr/share/app/year && umask >$DESTDIR/usr/share/app/umask",
                "artifacts": {"app": "/usr/local/bin/app"}}]
json.dump(r, open(sys.argv[2], "w"))
PY
        (cd "$tmp/$d" && umask 077 && TZ=Asia/Tokyo "$tdxctl" build c.json -p dev -o "$tmp/$d/out" \
            >"$tmp/c.log" 2>&1) || { bad "c builder build in $d"; cat "$tmp/c.log"; }
    done
    check "c builder: same image from two checkouts" cmp -s "$tmp/c1/out/initrd.cpio.gz" "$tmp/c2/deeper/out/initrd.cpio.gz"
    mkdir "$tmp/croot"
    (cd "$tmp/croot" && zcat "$tmp/c1/out/initrd.cpio.gz" | cpio -id --quiet 2>/dev/null)
    check "c builder: artifact in the image" [ -x "$tmp/croot/usr/local/bin/app" ]
    check "c builder: SOURCE_DATE_EPOCH seen" [ "$(cat "$tmp/croot/usr/share/app/year")" = 1970 ]
    check "c builder: umask 022" [ "$(cat "$tmp/croot/usr/share/app/umask")" = 0022 ]
    check "c builder: no scratch path in the binary" sh -c "! grep -q '$tmp' '$tmp/croot/usr/local/bin/app'"
    check "c builder: the source is an input" grep -q '"name": "app"' "$tmp/c1/out/build.json"
else
    echo "SKIP: no C compiler: the c builder is not tested"
fi

# A go build with a pinned toolchain (a stand-in for go.dev's archive: its
# bin/go records how it was called): fetched through the lock, unpacked once,
# run with the reproducibility flags; the output lands in the image.
mkdir -p "$tmp/tc/go/bin" "$tmp/g/hello" "$tmp/g/svc"
cat >"$tmp/tc/go/bin/go" <<'SH'
#!/bin/sh
out=
for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
mkdir -p "$(dirname "$out")"
printf '#!/bin/sh\n# go %s\n# CGO_ENABLED=%s GOTOOLCHAIN=%s SOURCE_DATE_EPOCH=%s\n' "$*" "$CGO_ENABLED" "$GOTOOLCHAIN" "$SOURCE_DATE_EPOCH" >"$out"
chmod 755 "$out"
SH
chmod 755 "$tmp/tc/go/bin/go"
(cd "$tmp/tc" && tar czf "$tmp/go.tar.gz" go)
go_sha=$(sha256sum "$tmp/go.tar.gz" | cut -d' ' -f1)
cp "$src/examples/hello/hello.sh" "$tmp/g/hello/"
printf 'package main\nfunc main() {}\n' >"$tmp/g/svc/main.go"
mkdir "$tmp/www" && mv "$tmp/go.tar.gz" "$tmp/www/"
python3 "$src/tests/scripts/httpd.py" "$tmp/www" >"$tmp/port" 2>/dev/null &
httpd=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/port" ] && break; sleep 0.3; done
python3 - "$src/examples/hello.json" "$tmp/g/go.json" "http://127.0.0.1:$(head -n1 "$tmp/port")/go.tar.gz" "$go_sha" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["builds"] = [{"name": "svc", "kind": "go", "src": "svc", "output": "/usr/bin/svc",
                "toolchain": {"url": sys.argv[3], "sha256": sys.argv[4]}}]
json.dump(r, open(sys.argv[2], "w"))
PY
cp "$src/examples/tdx.lock" "$tmp/g/tdx.lock"
if (cd "$tmp/g" && "$tdxctl" build go.json -p dev -o "$tmp/g/out" >"$tmp/g.log" 2>&1); then
    mkdir "$tmp/groot"
    (cd "$tmp/groot" && zcat "$tmp/g/out/initrd.cpio.gz" | cpio -id --quiet 2>/dev/null)
    check "go builder: output in the image" [ -x "$tmp/groot/usr/bin/svc" ]
    check "go builder: -trimpath -buildvcs=false -buildid=" grep -q -- '-trimpath -buildvcs=false -ldflags -buildid= ' "$tmp/groot/usr/bin/svc"
    check "go builder: static, local toolchain, SOURCE_DATE_EPOCH" grep -q 'CGO_ENABLED=0 GOTOOLCHAIN=local SOURCE_DATE_EPOCH=0' "$tmp/groot/usr/bin/svc"
    check "go builder: the toolchain is a build.json input" grep -q "$go_sha" "$tmp/g/out/build.json"
    check "go builder: the toolchain is locked" grep -q "$go_sha" "$tmp/g/tdx.lock"
    # A changed cached toolchain archive is hashed again and refused
    # (offline, nothing replaces it), as a changed .deb is.
    gc=$tmp/gcache
    mkdir -p "$gc/fetch" "$gc/extract"
    for e in "$cache"/fetch/* "$cache"/extract/*; do
        case $e in *"$go_sha"*) continue ;; esac
        ln -s "$e" "$gc/${e#"$cache"/}"
    done
    cp "$cache/fetch/$go_sha" "$gc/fetch/$go_sha"
    chmod u+w "$gc/fetch/$go_sha"
    flip_byte "$gc/fetch/$go_sha" 100
    if (cd "$tmp/g" && "$tdxctl" build go.json -p dev --frozen --offline --cache-dir "$gc" \
            -o "$tmp/g/tampered" >"$tmp/gt.log" 2>&1); then
        bad "a tampered cached toolchain archive was used"
        cat "$tmp/gt.log" >&2
    else
        check "tampered toolchain archive refused" [ ! -e "$gc/fetch/$go_sha" ]
        check "tampered toolchain: nothing unpacked" [ ! -e "$gc/extract/$go_sha" ]
    fi
else
    bad "go builder build"
    cat "$tmp/g.log"
fi
kill "$httpd" 2>/dev/null

# A go build's toolchain that cannot be fetched fails naming URL and hash.
python3 - "$src/examples/hello.json" "$tmp/a/go.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["builds"] = [{"name": "gosvc", "kind": "go", "src": "hello", "output": "/usr/bin/gosvc",
                "toolchain": {"url": "http://127.0.0.1:9/go.tar.gz",
                              "sha256": "00000000000000000000000000000000000000000000000000000000000000aa"}}]
json.dump(r, open(sys.argv[2], "w"))
PY
cp "$tmp/a/tdx.lock" "$tmp/go.lock"
(cd "$tmp/a" && "$tdxctl" build go.json -p dev --lock "$tmp/go.lock" -o "$tmp/a/go" >"$tmp/go.log" 2>&1)
check "go toolchain: failure names the URL" grep -q "http://127.0.0.1:9/go.tar.gz" "$tmp/go.log"
check "go toolchain: failure names the hash" grep -q "00000000000000000000000000000000000000000000000000000000000000aa" "$tmp/go.log"

exit $fail
