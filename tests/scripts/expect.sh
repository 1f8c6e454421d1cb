# Sourced by the CLI checks. expect STATUS STDERR_FRAGMENT COMMAND... runs
# COMMAND with stdout in $tmp/out and stderr in $tmp/err, and sets fail=1
# unless it exits STATUS and (when the fragment is not empty) its stderr
# contains the fragment.
# shellcheck shell=sh disable=SC2154,SC2034  # tmp and fail belong to the caller
expect() {
    want=$1 frag=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: '$*' exited $got, expected $want"; cat "$tmp/err"; fail=1; return
    fi
    if [ -n "$frag" ] && ! grep -qF -- "$frag" "$tmp/err"; then
        echo "FAIL: '$*': stderr lacks \"$frag\":"; cat "$tmp/err"; fail=1; return
    fi
    echo "ok ($got) $*"
}

# check DESCRIPTION COMMAND...: sets fail=1 unless COMMAND succeeds.
check() {
    what=$1
    shift
    if "$@"; then echo "ok $what"; else echo "FAIL: $what"; fail=1; fi
}

# make_scratch: a fresh temporary directory in $tmp, removed at exit
# together with the process whose id the script keeps in $pid (an agent it
# started), if any.
make_scratch() {
    tmp=$(mktemp -d)
    pid=
    trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (the
# kernel picks it), for a server the test starts next. Tests run in
# parallel: a port derived from $$ can be taken by another one.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
