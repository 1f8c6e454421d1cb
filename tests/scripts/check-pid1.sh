#!/bin/sh
# The agent as PID 1 (the /init of a native image) takes nothing from the
# kernel command line: in a TD the host writes it, and the kernel passes its
# unknown words to init as arguments and its NAME=value pairs as the
# environment. Run here as PID 1 of a new PID and mount namespace, with /etc
# bound to a scratch tree (nothing of the host's /etc or /run is touched),
# given arguments that would switch the quote provider to the simulator and
# an environment a hook or the agent's socket activation would pick up:
#   - the agent must still use configfs (test_provider is false);
#   - the boot hook must see none of the planted variables.
# Skipped (77) without root or unshare(1).
# Usage: check-pid1.sh TDXCTL AGENT
set -u
tdxctl=$1
agent=$2
fail=0

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for a PID namespace"; exit 77; }
command -v unshare >/dev/null 2>&1 || { echo "SKIP: unshare is not installed"; exit 77; }
unshare -pfm --mount-proc true 2>/dev/null || { echo "SKIP: cannot make PID and mount namespaces here"; exit 77; }

cp "$agent" "$tmp/init"
mkdir -p "$tmp/etc/tdx-agent/hooks.d"
cat >"$tmp/etc/tdx-agent/agent.json" <<JSON
{"listen": ["unix:$tmp/agent.sock"], "init": {"test_provider": false, "on_exit": "stay"}}
JSON
# The hook writes the environment it was given where the test can read it.
cat >"$tmp/etc/tdx-agent/hooks.d/10-env" <<EOF
#!/bin/sh
env >"$tmp/hook-env"
EOF
chmod 0755 "$tmp/etc/tdx-agent/hooks.d/10-env"
"$tdxctl" dev sim-pki "$tmp/pki" >/dev/null || { echo "FAIL: sim-pki"; exit 1; }

# sh binds /etc and then becomes init by exec: PID 1 of the namespace, named init.
unshare -pfm --mount-proc --propagation private --kill-child=SIGKILL sh -c '
    mount --bind "$1/etc" /etc || exit 1
    exec env BASH_ENV=/proc/cmdline LISTEN_PID=1 LISTEN_FDS=1 NOTIFY_SOCKET=/run/x \
        "$1/init" --quote-provider="sim:$1/pki" --listen "unix:$1/other.sock" -- /bin/sh' \
    sh "$tmp" >"$tmp/console" 2>&1 &
pid=$!

n=0
until [ -S "$tmp/agent.sock" ] || [ $n -ge 150 ]; do sleep 0.1; n=$((n + 1)); done
check "the agent serves the address of /etc/tdx-agent/agent.json" test -S "$tmp/agent.sock"
check "no listener from the kernel command line" test ! -e "$tmp/other.sock"
expect 0 "" "$tdxctl" agent info --connect "unix:$tmp/agent.sock" --json
check "quote provider configfs, not the simulator" sh -c "
    grep -q '\"quote_provider\":\"configfs\"' '$tmp/out' && ! grep -q '\"simulated\":true' '$tmp/out'"
check "the arguments were reported as ignored" grep -q "ignoring 5 argument(s) from the kernel command line" "$tmp/console"
n=0
until [ -s "$tmp/hook-env" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
check "the hook ran" test -s "$tmp/hook-env"
for v in BASH_ENV LISTEN_PID LISTEN_FDS NOTIFY_SOCKET; do
    check "the hook's environment has no $v" sh -c "! grep -q '^$v=' '$tmp/hook-env'"
done
check "the hook's PATH is init's own" grep -q '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' "$tmp/hook-env"

if [ $fail -ne 0 ]; then sed 's/^/  console: /' "$tmp/console"; fi
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
exit $fail
