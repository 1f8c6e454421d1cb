#!/bin/sh
# The package closure of a native recipe, against the signed test archive
# (make-test-archive.sh) served on 127.0.0.1: tdxctl lock records each
# install package's Depends/Pre-Depends closure as "PROFILE: install
# (dependency)" entries — the first satisfiable alternative, versioned
# constraints, a virtual package through Provides, native.exclude dropping a
# package with what only it needs — refuses a dependency nothing satisfies
# (naming it), and a frozen check accepts the recorded closure.
# Usage: check-build-closure.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need gpg gpgv dpkg-deb python3 xz

a="$tmp/t"
sh "$src/tests/scripts/make-test-archive.sh" "$a" || { echo "FAIL: cannot build the test archive"; exit 1; }
add() { sh "$src/tests/scripts/make-test-archive.sh" "$a" add "$@" || { echo "FAIL: add $1"; exit 1; }; }
add tdx-lib 1.0 all
add tdx-deep 1.0 all
add tdx-excluded 1.0 all "tdx-deep"
add tdx-provider 1.0 all "" "tdx-virt"
add tdx-pre 1.0 all
add tdx-app 1.0 amd64 "tdx-lib (>= 2.0) | tdx-hello (>= 1.0-1), tdx-virt, tdx-excluded, tdx-lib:any"
add tdx-broken 1.0 all "tdx-missing (>= 1)"
start_server "$a"

proj="$tmp/p"
mkdir -p "$proj"
cat >"$proj/recipe.json" <<JSON
{ "name": "closure", "base": "debian/tdxtest", "init": "tdx-agent",
  "mirror": "http://127.0.0.1:$port/archive", "kernel": { "package": "tdx-meta" },
  "install": ["tdx-app"], "native": { "exclude": ["tdx-excluded"] } }
JSON
opts="--keyring $a/keyring.gpg --cache-dir $tmp/cache"

# shellcheck disable=SC2086
run 0 "+ debian tdx-hello (tdxtest/amd64): tdx-hello 1.0-1, a dependency" -- lock "$proj/recipe.json" $opts
deps() {
    python3 -c 'import json,sys; print(" ".join(sorted(d["requested"] for d in json.load(open(sys.argv[1]))["debian"] if any(u.endswith("(dependency)") for u in d["used_by"]))))' "$proj/tdx.lock"
}
check "closure: tdx-hello (second alternative, >= 1.0-1), tdx-lib (:any), tdx-provider (Provides)" \
    [ "$(deps)" = "tdx-hello tdx-lib tdx-provider" ]
check "excluded package and what only it needs are left out" sh -c "! grep -q 'tdx-excluded\|tdx-deep' '$proj/tdx.lock'"
check "the root is an install input" python3 -c '
import json, sys
d = [e for e in json.load(open(sys.argv[1]))["debian"] if e["requested"] == "tdx-app"][0]
assert d["used_by"] == ["default: install"], d' "$proj/tdx.lock"
# shellcheck disable=SC2086
run 0 "" -- lock "$proj/recipe.json" --check
# Nothing changes: the lock is kept as it is, dependency entries included.
cp "$proj/tdx.lock" "$tmp/before.lock"
# shellcheck disable=SC2086
run 0 "" -- lock "$proj/recipe.json" $opts
check "an up-to-date lock keeps its closure" cmp -s "$tmp/before.lock" "$proj/tdx.lock"

# Unsatisfiable.
sed 's/"tdx-app"/"tdx-broken"/' "$proj/recipe.json" >"$proj/broken.json"
# shellcheck disable=SC2086
run 1 'nothing in the index satisfies "tdx-missing (>= 1)"' -- lock "$proj/broken.json" $opts

exit $fail
