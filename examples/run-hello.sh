#!/bin/sh
# The README's main job, the whole loop on the bundled example:
#
#   1. a sender key for "ops" (tdxctl secrets keygen), named in a copy of
#      examples/hello.json as its one sender, so only ops can deliver;
#   2. tdxctl build: the dev profile, natively (kernel and OVMF from Debian's
#      signed index, the static agent as /init, a deterministic initramfs)
#      and the measurements a TD booting it would show;
#   3. tdxctl run --emulated: QEMU under TCG (this machine has no TDX), the
#      agent's TEST quote provider with a PKI made for this run and handed to
#      the guest through fw_cfg, so the image itself holds no test key;
#   4. tdxctl secrets push: quote checked against the build's
#      measurements.json (and the run's test root), the secret sealed with
#      HPKE auth mode under the ops key, written by the agent;
#   5. the service prints "hello: key present (sha256 prefix ...)" on the
#      console once its secret is there; then tdxctl stop.
#
# On a TDX host the same commands work without --emulated and without
# --root (the quote is then Intel's, verified against Intel's root).
#
# Usage: sh examples/run-hello.sh [BUILD_DIR]
# BUILD_DIR is the Meson build directory (default: "build" in the source
# tree); TDXCTL=/path/to/tdxctl and TDX_AGENT=/path/to/tdx-agent override it.
# Everything it writes goes to out/hello/ in the source tree.
set -eu
script=run-hello.sh
# shellcheck source=examples/lib-run.sh
. "$(dirname "$0")/lib-run.sh"

start_out hello

echo "== tdxctl secrets keygen: the sender key of \"ops\""
(umask 077 && "$tdxctl" secrets keygen -o "$out/ops.key" >"$out/ops.pub")
pub=$(cat "$out/ops.pub")
echo "public key $pub (private key in out/hello/ops.key, mode 0600)"
# The example as it is, plus "ops" as the one sender (a copy, so the
# bundled recipe stays as users copy it; the key is this run's own).
mkdir -p "$out/recipe/hello"
cp "$src/examples/hello.json" "$src/examples/tdx.lock" "$out/recipe/"
cp "$src/examples/hello/hello.sh" "$out/recipe/hello/"
sed -i "s|\"secret_delivery\": {|\"secret_delivery\": { \"senders\": [{ \"name\": \"ops\", \"public_key\": \"$pub\" }],|" \
    "$out/recipe/hello.json"
"$tdxctl" secrets list "$out/recipe/hello.json" -p dev

echo
echo "== tdxctl build out/hello/recipe/hello.json -p dev (native backend)"
"$tdxctl" build "$out/recipe/hello.json" -p dev -o "$out/image" --agent "$agent_bin"
echo
cat "$out/image/measurements.json"
echo

echo
echo "== tdxctl run --emulated --detach (QEMU, TCG; TEST quote provider)"
boot 300

echo
echo "== tdxctl secrets push (sealed for the attested agent, sent as ops)"
make_secret
"$tdxctl" secrets push --connect "$addr" --secrets "$out/secrets.env" \
    --expected "$out/image/measurements.json" --root "$root" --sender-key "$out/ops.key"
"$tdxctl" secrets status --connect "$addr"

echo
echo "== the service, on the console"
wait_service

echo
echo "== tdxctl stop"
stop_vm
