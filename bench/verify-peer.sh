#!/bin/sh
# Our verifier next to dcap-qvl (the pure-JS @phala/dcap-qvl and the WASM
# @phala/dcap-qvl-web), like for like: the same quote, the same collateral
# file, the same "now", verifications per CPU second, median of 5 rounds.
# Optional and never run by the tests: it needs node and npm and installs the
# two packages into a temporary directory (removed afterwards).
# Prints verify-bench's JSON, the peer's JSON, then one line of ratios.
# Usage: bench/verify-peer.sh BUILD_DIR [QUOTE COLLATERAL NOW [SECONDS]]
set -eu
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
data="$src/tests/data/testdata"
quote=${2:-$data/quotes/dcapqvl_v4.dat}
collateral=${3:-$data/collateral/dcap-qvl/tdx_quote_collateral.json}
now=${4:-2025-07-10T00:00:00Z}
seconds=${5:-2}
js_version=0.3.9
wasm_version=0.3.3

for tool in node npm python3; do
    command -v "$tool" >/dev/null || { echo "verify-peer: $tool is not installed" >&2; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --silent --no-audit --no-fund \
    "@phala/dcap-qvl@$js_version" "@phala/dcap-qvl-web@$wasm_version" >/dev/null)
"$build/bench/verify-bench" "$quote" "$collateral" "$now" "$seconds" >"$tmp/ours.json"
node "$src/bench/verify-peer.js" "$tmp/node_modules" "$quote" "$collateral" "$(date -d "$now" +%s)" \
    "$seconds" >"$tmp/peer.json"
cat "$tmp/ours.json" "$tmp/peer.json"
python3 - "$tmp/ours.json" "$tmp/peer.json" <<'PY'
import json, sys
ours, peer = (json.load(open(p)) for p in sys.argv[1:3])
new = ours["new_verifier_shared_collateral_per_second"]["median"]
files = ours["files_per_verifier_per_second"]["median"]
cached = ours["cached_per_second"]["median"]
out = {"ratios": {}}
for name in ("js", "wasm"):
    if "per_second" in peer.get(name, {}):
        p = peer[name]["per_second"]["median"]
        out["ratios"][name] = {"new_verifier_shared_collateral": round(new / p, 1),
                               "files_per_verifier": round(files / p, 1), "cached": round(cached / p, 1),
                               "verdict": peer[name]["status"]}
print(json.dumps(out))
PY
