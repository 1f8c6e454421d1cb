#!/bin/sh
# Every tdxctl command with --json, once succeeding and once failing or
# misused, against the one contract (docs/tdxctl.1, JSON OUTPUT; checked by
# json-contract.py). The agent commands run against the real tdx-agent with
# the sim provider; lock and deb against a signed archive served locally.
# build, run, acpi, deploy and stop succeed only with a built image and a
# VM: their successes are in the build and vm suites, their failures here.
# Usage: check-json-contract.sh TDXCTL AGENT SOURCE_ROOT
set -u
tdxctl=$1
agent=$2
src=$3
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need python3 gpg gpgv dpkg-deb xz
pid=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# contract STATUS TDXCTL_ARGS...: exits STATUS and keeps the contract.
contract() {
    want=$1
    shift
    "$tdxctl" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: tdxctl $* exited $got, expected $want"; cat "$tmp/out" "$tmp/err"; fail=1; return
    fi
    if python3 "$src/tests/scripts/json-contract.py" "$got" "$tmp/out" "$tmp/err"; then
        echo "ok ($got) tdxctl $*"
    else
        echo "FAIL: tdxctl $*"; fail=1
    fi
}

# member KEY: the last run's stdout has this top-level member.
member() {
    python3 -c 'import json,sys; sys.exit(sys.argv[1] not in json.load(open(sys.argv[2])))' "$1" "$tmp/out" ||
        { echo "FAIL: no \"$1\" in $(cat "$tmp/out")"; fail=1; }
}

ex="$src/examples"
td="$src/tests/data/testdata"

# tdxctl itself.
contract 2 --json
contract 0 --json --version
member version
contract 2 --json frobnicate
contract 2 frobnicate --json

# emit and recipe.
contract 0 --json emit "$ex/minimal.json" -o "$tmp/tree" --no-agent-binary
member tree
contract 2 emit --json
contract 2 emit --frob "$ex/minimal.json" --json
contract 2 emit "$ex/minimal.json" --json -o
contract 1 emit "$tmp/missing.json" -o "$tmp/x" --json
contract 0 recipe check "$ex/node.json" --json
contract 0 recipe profiles "$ex/node.json" --json
member profiles
contract 0 recipe show "$ex/node.json" --profile dev --json
member recipe
contract 1 recipe show "$ex/node.json" --profile nosuch --json
contract 2 recipe frob "$ex/node.json" --json

# build: its success (a Debian kernel download) is check-build.sh's; here
# the envelope of its usage errors and failures.
contract 2 --json build
contract 2 --json build "$ex/minimal.json" --backend nope
contract 1 --json build "$tmp/missing.json" -o "$tmp/b" --agent "$agent"
# (an mkosi that is not there: the real mkosi build is the mkosi suite's)
contract 1 --json build "$ex/minimal.json" --backend mkosi --mkosi "$tmp/no-mkosi" -o "$tmp/m"

# run, acpi, deploy, stop: their successes boot VMs (check-run-cli.sh,
# check-acpi-capture.sh, check-deploy.sh); here their refusals.
contract 2 --json run
contract 2 --json run "$tmp/nothing" --memory 0
contract 1 --json run "$tmp/nothing"
contract 2 --json acpi
contract 1 --json acpi capture "$tmp/nothing"
contract 2 --json deploy
contract 1 --json deploy "scp://x/y" "$tmp/nothing"
contract 2 --json stop
contract 1 --json stop "$tmp/nothing"

# fetch and hash-tree (local files and the test server).
printf 'payload\n' >"$tmp/file"
sha=$(sha256sum "$tmp/file" | cut -d' ' -f1)
mkdir -p "$tmp/served"
cp "$tmp/file" "$tmp/served/file"
sh "$src/tests/scripts/make-test-archive.sh" "$tmp/t" >/dev/null 2>&1 || { echo "FAIL: cannot build the test archive"; exit 1; }
cp "$tmp/file" "$tmp/t/file"
start_server "$tmp/t"
contract 0 --json fetch --hash "$tmp/file"
member sha256
contract 0 --json fetch "http://127.0.0.1:$port/file" --sha256 "$sha" --cache-dir "$tmp/cache"
contract 1 --json fetch "http://127.0.0.1:$port/file" --sha256 "$(printf '0%.0s' $(seq 64))" --cache-dir "$tmp/cache2"
contract 1 --json fetch --hash "$tmp/nothing"
contract 2 --json fetch
contract 2 --json fetch "http://127.0.0.1:$port/file" --sha256 "$sha" --stall-timeout 0
contract 0 --json hash-tree "$tmp/served"
contract 1 --json hash-tree "$tmp/nothing"
contract 2 --json hash-tree

# deb and lock against the signed test archive.
deb_opts="--release tdxtest --keyring $tmp/t/keyring.gpg --cache-dir $tmp/cache"
# shellcheck disable=SC2086
contract 0 --json deb show tdx-hello --mirror "http://127.0.0.1:$port/archive" $deb_opts
member version
# shellcheck disable=SC2086
contract 1 --json deb show no-such-package --mirror "http://127.0.0.1:$port/archive" $deb_opts
contract 1 --json deb extract "$tmp/nothing.deb" -o "$tmp/x"
contract 2 --json deb extract "$tmp/nothing.deb"
mkdir "$tmp/proj"
cat >"$tmp/proj/recipe.json" <<JSON
{ "name": "locked", "base": "debian/tdxtest", "mirror": "http://127.0.0.1:$port/archive",
  "kernel": { "package": "tdx-meta" } }
JSON
contract 1 --json lock "$tmp/proj/recipe.json" --check
contract 0 --json lock "$tmp/proj/recipe.json" --keyring "$tmp/t/keyring.gpg" --cache-dir "$tmp/cache"
member changes
contract 0 --json lock "$tmp/proj/recipe.json" --check
contract 2 --json lock "$tmp/proj/recipe.json" --check --update

# quote, measure, pe-hash, eventlog on the project's test data.
contract 0 --json quote show "$td/quotes/trustee_v5.dat"
contract 1 --json quote show "$tmp/file"
contract 1 --json quote verify "$tmp/file"
member step
contract 1 --json quote verify "$td/quotes/trustee_v5.dat" --report-data 00ff
member checks
contract 2 --json quote verify "$td/quotes/trustee_v5.dat" --now yesterday
contract 2 --json quote show
uki="$td/pe/measured-boot_uki.efi"
contract 0 --json measure --uki "$uki" --tpm --stub-version 258
member measurements
contract 0 --json measure --uki "$uki" --tpm --stub-version 258 -o "$tmp/m.json"
contract 1 --json measure --uki "$tmp/nothing.efi" --tpm --stub-version 258
contract 2 --json measure --firmware x --kernel y --cpus 4294967297
contract 2 --json measure --uki "$uki" --tpm --stub-version 258 --format cbor
contract 0 --json pe-hash "$uki"
contract 1 --json pe-hash "$tmp/file"
contract 2 --json pe-hash --alg md5 "$uki"
log="$td/eventlogs/dstack_ccel.bin"
contract 0 --json eventlog show "$log"
contract 0 --json eventlog replay "$log"
"$tdxctl" eventlog replay --format json "$log" >"$tmp/replayed.json"
contract 0 --json eventlog diff "$log" "$tmp/replayed.json"
sed 's/"rtmr1": "bdcf/"rtmr1": "0dcf/' "$tmp/replayed.json" >"$tmp/edited.json"
contract 1 --json eventlog diff "$log" "$tmp/edited.json"
member report
contract 1 --json eventlog show "$tmp/file"
contract 2 --json eventlog frob "$log"

# dev, agent and secrets against the real agent.
contract 0 --json dev sim-pki "$tmp/pki"
contract 1 --json dev sim-pki "$tmp/pki"
contract 2 --json dev sim-pki "$tmp/pki2" --mrtd abc
contract 0 --json secrets list "$ex/minimal.json"
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["manifest"], open(sys.argv[2], "w"))' \
    "$tmp/out" "$tmp/manifest.json"
contract 1 --json secrets list "$ex/minimal.json" --profile nosuch
contract 0 --json secrets keygen -o "$tmp/sender.key"
member public_key
contract 1 --json secrets keygen -o "$tmp/sender.key"
contract 2 --json secrets keygen
mkdir -p "$tmp/root/etc"
printf 'root:x:0:0::/root:/bin/sh\nhello:x:%s:%s::/var/lib/hello:/bin/false\n' "$(id -u)" "$(id -g)" >"$tmp/root/etc/passwd"
printf 'root:x:0:\nhello:x:%s:\n' "$(id -g)" >"$tmp/root/etc/group"
addr="unix:$tmp/agent.sock"
"$agent" --listen "$addr" --quote-provider "sim:$tmp/pki" --manifest "$tmp/manifest.json" \
    --root-dir "$tmp/root" 2>"$tmp/agent.log" &
pid=$!
contract 0 --json agent info --connect "$addr" --connect-timeout 10000
member info
contract 0 --json agent quote --connect "$addr" -o "$tmp/quote"
contract 0 --json quote verify "$tmp/quote" --root "$tmp/pki/root.pem"
member verified
contract 1 --json agent eventlog --connect "$addr" -o "$tmp/ev"
contract 1 --json agent info --connect "unix:$tmp/none.sock" --connect-timeout 0
contract 2 --json agent info --connect bogus
contract 2 --json agent quote --connect "$addr"
contract 0 --json secrets status --connect "$addr"
member ready
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf 'greeting_key=%s\n' "$key" >"$tmp/s.env"
chmod 600 "$tmp/s.env"
contract 1 --json secrets push --connect "$addr" --secrets "$tmp/s.env" --any-measurements
contract 0 --json secrets push --connect "$addr" --secrets "$tmp/s.env" --expected "$tmp/pki/expected.json" \
    --root "$tmp/pki/root.pem"
member delivered
contract 2 --json secrets push --connect "$addr" --secrets "$tmp/s.env"
contract 2 --json secrets status
exit $fail
