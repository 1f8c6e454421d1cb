#!/bin/sh
# tdxctl lock end to end: a recipe whose kernel and firmware come from a
# signed local archive (make-test-archive.sh) and whose build downloads a
# toolchain and copies a source directory, all served on 127.0.0.1. Lock,
# round trip, moved checkout, --check naming every stale part, --dry-run,
# --update, and --frozen fetching only what is locked, even offline.
# Usage: check-lock.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
# shellcheck source=tests/scripts/lib-pinned.sh
. "$src/tests/scripts/lib-pinned.sh"
need gpg gpgv dpkg-deb python3 xz

sh "$src/tests/scripts/make-test-archive.sh" "$tmp/t" || { echo "FAIL: cannot build the test archive"; exit 1; }
printf 'a toolchain\n' >"$tmp/t/go.tar.gz"
go_sha=$(sha256sum "$tmp/t/go.tar.gz" | cut -d' ' -f1)

start_server "$tmp/t"

proj="$tmp/project"
mkdir -p "$proj/src/app"
printf 'package main\nfunc main() {}\n' >"$proj/src/app/main.go"
cat >"$proj/recipe.json" <<JSON
{
  "name": "locked",
  "base": "debian/tdxtest",
  "mirror": "http://127.0.0.1:$port/archive",
  "kernel": { "package": "tdx-meta" },
  "builds": [{ "name": "app", "kind": "go", "src": "src/app", "output": "/usr/bin/app",
               "toolchain": { "url": "http://127.0.0.1:$port/go.tar.gz", "sha256": "$go_sha" } }],
  "profiles": { "dev": { "install": ["strace"] } }
}
JSON
opts="--keyring $tmp/t/keyring.gpg --cache-dir $tmp/cache"

# shellcheck disable=SC2086
run 0 "+ debian tdx-meta (tdxtest/amd64): tdx-hello 1.0-1" -- lock "$proj/recipe.json" $opts
check "firmware locked" grep -qF "+ debian ovmf (tdxtest/amd64): ovmf 1.0" "$tmp/out"
check "toolchain locked" grep -qF "+ fetch http://127.0.0.1:$port/go.tar.gz (sha256:$go_sha" "$tmp/out"
check "module locked" grep -qF "+ module src/app (sha256:$("$tdxctl" hash-tree "$proj/src/app" | cut -d: -f2)" "$tmp/out"
lock="$proj/tdx.lock"
check "tdx.lock written" test -s "$lock"
deb="$tmp/t/archive/pool/main/t/tdx-hello_1.0-1_all.deb"
check "lock records the .deb hash, path and size" sh -c "grep -qF '\"sha256\": \"$(sha256sum "$deb" | cut -d' ' -f1)\"' '$lock' &&
    grep -qF '\"path\": \"pool/main/t/tdx-hello_1.0-1_all.deb\"' '$lock' && grep -qF '\"size\": $(stat -c %s "$deb"),' '$lock'"
check "lock records the InRelease" grep -qF "\"inrelease_sha256\": \"$(sha256sum "$tmp/t/archive/dists/tdxtest/InRelease" | cut -d' ' -f1)\"" "$lock"
check "lock records the metapackage asked for" grep -qF '"requested": "tdx-meta"' "$lock"
cp "$lock" "$tmp/lock.1"

# shellcheck disable=SC2086
run 0 "0 changes" -- lock "$proj/recipe.json" $opts
check "an up-to-date lock is not rewritten" cmp -s "$lock" "$tmp/lock.1"
# shellcheck disable=SC2086
run 0 "is up to date" -- lock "$proj/recipe.json" --check $opts
run 0 '"fresh":true' -- --json lock "$proj/recipe.json" --check

# The digest does not depend on where the checkout is.
cp -a "$proj" "$tmp/moved"
run 0 "is up to date" -- lock "$tmp/moved/recipe.json" --check

# Stale: a source file, a recipe section, a package that is not locked.
printf '// more\n' >>"$tmp/moved/src/app/main.go"
sed -i 's/"strace"/"strace", "gdb"/; s/"tdx-meta"/"tdx-zst"/' "$tmp/moved/recipe.json"
run 1 "the lock is stale: recipe profile default changed: builds, kernel (and" -- lock "$tmp/moved/recipe.json" --check
check "names the install change" grep -qF "recipe profile dev changed: builds, install, kernel" "$tmp/err"
check "names the module change" grep -qF "module src/app changed: the lock has sha256:" "$tmp/err"
check "names the new package" grep -qF "Debian package tdx-zst (tdxtest/amd64, default: kernel.package) is not in the lock" "$tmp/err"
check "names the unused entry" grep -qF "the lock has Debian package tdx-meta (tdxtest/amd64), which the recipe no longer uses" "$tmp/err"
# shellcheck disable=SC2086
run 1 "the lock is stale" -- lock "$tmp/moved/recipe.json" --frozen --cache-dir "$tmp/fresh-cache"
check "a stale frozen run fetches nothing" test ! -e "$tmp/fresh-cache"

# --dry-run lists the changes and writes nothing.
cp "$tmp/moved/tdx.lock" "$tmp/lock.2"
# shellcheck disable=SC2086
run 0 "~ module src/app: sha256:" -- lock "$tmp/moved/recipe.json" --dry-run $opts
check "dry run: + tdx-zst" grep -qF "+ debian tdx-zst (tdxtest/amd64): tdx-zst 1.0" "$tmp/out"
check "dry run: - tdx-meta" grep -qF -- "- debian tdx-meta (tdxtest/amd64)" "$tmp/out"
check "dry run writes nothing" cmp -s "$tmp/moved/tdx.lock" "$tmp/lock.2"
# shellcheck disable=SC2086
run 0 "changes, written" -- lock "$tmp/moved/recipe.json" $opts
run 0 "is up to date" -- lock "$tmp/moved/recipe.json" --check

# A newer package in the archive: kept until --update names it.
sh "$src/tests/scripts/make-test-archive.sh" "$tmp/t" add tdx-hello 1.1-1 all
sh "$src/tests/scripts/make-test-archive.sh" "$tmp/t" add tdx-meta 1.1 amd64 'tdx-hello (= 1.1-1)'
# shellcheck disable=SC2086
run 0 "0 changes" -- lock "$proj/recipe.json" $opts
# shellcheck disable=SC2086
run 0 "~ debian tdx-meta (tdxtest/amd64): tdx-hello 1.0-1 -> tdx-hello 1.1-1" -- lock "$proj/recipe.json" --update tdx-meta $opts
check "--update NAME leaves the others" sh -c "! grep -q ovmf '$tmp/out'"

# --frozen fetches exactly the locked inputs, then works without the server.
# shellcheck disable=SC2086
run 0 "3 locked inputs are in the cache" -- lock "$proj/recipe.json" --frozen --cache-dir "$tmp/frozen-cache"
check "the locked .deb is cached" test -e "$tmp/frozen-cache/$(sha256sum "$tmp/t/archive/pool/main/t/tdx-hello_1.1-1_all.deb" | cut -d' ' -f1)"
check "no index was fetched" sh -c "! ls '$tmp/frozen-cache' | grep -qx '$(sha256sum "$tmp/t/archive/dists/tdxtest/InRelease" | cut -d' ' -f1)'"
stop_server
# shellcheck disable=SC2086
run 0 "3 locked inputs are in the cache" -- lock "$proj/recipe.json" --frozen --cache-dir "$tmp/frozen-cache"
run 1 "no lock file" -- lock "$tmp/t/../project/recipe.json" --check --lockfile "$tmp/none.lock"
run 2 "--check and --frozen take no --update" -- lock "$proj/recipe.json" --check --update
exit $fail
