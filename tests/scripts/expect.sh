# shellcheck shell=sh disable=SC2154,SC2034 # $tmp and $fail belong to the caller
# Sourced by the command-line checks. The caller sets $tmp (a scratch
# directory) and fail=0; these set fail=1 on a mismatch.

expect() { # STATUS STDERR_FRAGMENT COMMAND...: stdout lands in $tmp/out, stderr in $tmp/err
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

check() { # DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then echo "ok $what"; else echo "FAIL: $what"; fail=1; fi
}
