#!/bin/sh
# The agent on AF_VSOCK: it must open a vsock listener where the kernel has
# a vsock transport, and answer through it where this machine can also
# connect to itself (the vsock_loopback transport, CID 1). Each missing
# piece is a skip (77) that says which.
# Usage: check-agent-vsock.sh TDXCTL AGENT
set -u
tdxctl=$1
agent=$2
# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch

"$tdxctl" dev sim-pki "$tmp/pki" 2>/dev/null || { echo "FAIL: sim-pki"; exit 1; }
port=$((40000 + $$ % 20000))
"$agent" --listen "vsock:$port" --listen "unix:$tmp/a.sock" --quote-provider "sim:$tmp/pki" 2>"$tmp/log" &
pid=$!
if ! "$tdxctl" agent info --connect "unix:$tmp/a.sock" --connect-timeout 5000 >"$tmp/info" 2>&1; then
    if grep -q "no vsock transport\|Address family not supported" "$tmp/log"; then
        echo "SKIP: this kernel has no vsock transport: $(cat "$tmp/log")"
        exit 77
    fi
    echo "FAIL: the agent did not start:"; cat "$tmp/log" "$tmp/info"; exit 1
fi
grep -q "vsock:4294967295:$port" "$tmp/info" || { echo "FAIL: no vsock listener in info:"; cat "$tmp/info"; exit 1; }
echo "ok the agent listens on vsock port $port"
if ! "$tdxctl" agent info --connect "vsock:1:$port" --connect-timeout 2000 >"$tmp/info" 2>"$tmp/err"; then
    echo "SKIP: the agent listens on vsock, but nothing here can connect to it through CID 1"
    echo "      (no vsock_loopback transport on this machine): $(cat "$tmp/err")"
    exit 77
fi
grep -q '^provider    sim' "$tmp/info" || { echo "FAIL: info over vsock:"; cat "$tmp/info"; exit 1; }
echo "ok info over vsock:1:$port"
