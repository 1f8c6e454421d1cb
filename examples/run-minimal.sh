#!/bin/sh
# The same loop as run-hello.sh on a systemd image built by mkosi:
#
#   1. tdxctl build --backend mkosi: examples/minimal.json, profile dev, with
#      mkosi 25 (Debian trixie's, fetched through the signed index and pinned
#      in examples/tdx.lock) and a trixie tools tree; the UKI, its kernel,
#      initrd and command line, and the measurements a TD booting them would
#      show. The first build downloads about 400 MB and takes 10-15 minutes
#      on 2 cores; later ones reuse the caches in $XDG_CACHE_HOME/tdxhost.
#   2. tdxctl run --emulated: QEMU under TCG (no TDX here), systemd as PID 1,
#      tdx-agent.service with --test-provider (the dev profile) quoting with
#      a PKI made for this run and handed over through fw_cfg;
#   3. tdxctl secrets push: quote checked against the build's
#      measurements.json, the secret sealed with HPKE and written by the
#      agent; secrets-ready.target starts hello.service, which prints
#      "hello: key present (sha256 prefix ...)" (the dev profile forwards the
#      journal to the console); then tdxctl stop.
#
# Needs root or user namespaces and the Debian archive (docs/build.md).
# Usage: sh examples/run-minimal.sh [BUILD_DIR]   (see examples/lib-run.sh)
# Everything it writes goes to out/minimal/ in the source tree.
set -eu
script=run-minimal.sh
# shellcheck source=examples/lib-run.sh
. "$(dirname "$0")/lib-run.sh"

start_out minimal

echo "== tdxctl build examples/minimal.json -p dev --backend mkosi"
# A copy of the lock: a build brings a stale one up to date, and the bundled
# example stays as users copy it.
cp "$src/examples/tdx.lock" "$out/tdx.lock"
"$tdxctl" build "$src/examples/minimal.json" -p dev --backend mkosi -o "$out/image" \
    --agent "$agent_bin" --lock "$out/tdx.lock"

echo
echo "== tdxctl run --emulated --detach (QEMU, TCG; systemd; TEST quote provider)"
boot 600

echo
echo "== tdxctl secrets push"
make_secret
"$tdxctl" secrets push --connect "$addr" --secrets "$out/secrets.env" \
    --expected "$out/image/measurements.json" --root "$root"

echo
echo "== the service, on the console"
wait_service

echo
echo "== tdxctl stop"
stop_vm
