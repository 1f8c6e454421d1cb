# Sourced by the pinned-input tests (check-fetch.sh, check-deb.sh,
# check-lock.sh). Expects $tdxctl and $src; sets up $tmp (removed on exit),
# $fail, and the test HTTP server's $server and $port.
# shellcheck shell=sh disable=SC2154,SC2034

# need TOOL...: skip (77) unless every tool is installed.
need() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $tool is not installed"
            exit 77
        fi
    done
}

tmp=$(mktemp -d)
server=
fail=0
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# start_server ROOT: tests/scripts/httpd.py serving ROOT on 127.0.0.1:$port.
start_server() {
    python3 "$src/tests/scripts/httpd.py" "$1" >"$tmp/port" 2>/dev/null &
    server=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/port" ] && break; sleep 0.3; done
    port=$(head -n1 "$tmp/port")
    [ -n "$port" ] || { echo "FAIL: the test HTTP server did not start"; exit 1; }
}

stop_server() {
    kill "$server"
    server=
}

# run EXPECTED_STATUS FRAGMENT -- TDXCTL_ARGS...: the fragment must appear
# on stdout or stderr (saved in $tmp/out and $tmp/err).
run() {
    want=$1 frag=$2
    shift 3
    "$tdxctl" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: tdxctl $* exited $got, expected $want"; cat "$tmp/out" "$tmp/err"; fail=1; return 1
    fi
    if [ -n "$frag" ] && ! grep -qF -- "$frag" "$tmp/out" "$tmp/err"; then
        echo "FAIL: tdxctl $*: output lacks \"$frag\":"; cat "$tmp/out" "$tmp/err"; fail=1; return 1
    fi
    echo "ok ($got) tdxctl $*"
}

# check MESSAGE COMMAND...
check() {
    msg=$1
    shift
    if "$@"; then echo "ok $msg"; else echo "FAIL: $msg"; fail=1; fi
}
