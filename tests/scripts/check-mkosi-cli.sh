#!/bin/sh
# tdxctl mkosi check: the version gate the mkosi backend runs first, against
# fake mkosi programs (old, new, garbage, missing). No network.
# Usage: check-mkosi-cli.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

fake() { # NAME OUTPUT
    printf '#!/bin/sh\nprintf "%%s\\n" "%s"\n' "$2" >"$tmp/$1"
    chmod +x "$tmp/$1"
}
fake old 'mkosi 14'
fake new 'mkosi 25.3'
fake newer 'mkosi 26'
fake junk 'something else 25'

out=$("$tdxctl" mkosi check --mkosi "$tmp/new") || { echo "FAIL: mkosi 25.3 refused" >&2; fail=1; }
[ "$out" = "mkosi 25.3" ] || { echo "FAIL: check printed '$out'" >&2; fail=1; }
"$tdxctl" mkosi check --mkosi "$tmp/newer" >/dev/null || { echo "FAIL: mkosi 26 refused" >&2; fail=1; }

if "$tdxctl" mkosi check --mkosi "$tmp/old" 2>"$tmp/err"; then
    echo "FAIL: mkosi 14 accepted" >&2
    fail=1
fi
grep -q "is mkosi 14; the emitted trees need mkosi 25 or newer" "$tmp/err" &&
    grep -q 'tdxctl mkosi install' "$tmp/err" ||
    { echo "FAIL: old mkosi message: $(cat "$tmp/err")" >&2; fail=1; }

if "$tdxctl" mkosi check --mkosi "$tmp/junk" 2>"$tmp/err"; then
    echo "FAIL: junk version accepted" >&2
    fail=1
fi
grep -q 'expected "mkosi VERSION"' "$tmp/err" || { echo "FAIL: junk message: $(cat "$tmp/err")" >&2; fail=1; }

set +e
"$tdxctl" mkosi check --mkosi "$tmp/absent" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'No such file' "$tmp/err" ||
    { echo "FAIL: missing mkosi: rc $rc, $(cat "$tmp/err")" >&2; fail=1; }

# The old mkosi message on stderr above; --json puts it into the envelope.
json=$("$tdxctl" mkosi check --mkosi "$tmp/old" --json || true)
case "$json" in
*'"code":"EPROTONOSUPPORT"'*'"ok":false'*) ;;
*) echo "FAIL: --json envelope: $json" >&2; fail=1 ;;
esac
exit $fail
