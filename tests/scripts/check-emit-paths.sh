#!/bin/sh
# Paths with spaces, quotes, backslashes and % in a recipe survive the
# emitted tmpfiles.d and sysusers.d files: the real systemd-sysusers and
# systemd-tmpfiles apply them to a scratch root, and the directories and
# the passwd entry come out with exactly the recipe's names (no specifier
# expanded, no field split). Unit files: % doubled where systemd expands it.
# Usage: check-emit-paths.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
fail=0

for t in systemd-sysusers systemd-tmpfiles; do
    command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t is not installed"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"
make_scratch

# In JSON: a space, a %m (the machine id, were it expanded), a quote and a backslash.
cat >"$tmp/recipe.json" <<'JSON'
{
  "name": "paths",
  "base": "debian/bookworm",
  "users": [{ "name": "app", "home": "/var/lib/my app/100%m \"q\" b\\s", "shell": "/usr/bin/my sh%n" }],
  "secrets": [
    { "name": "k", "dest": "/etc/my app/%m/k", "owner": "app", "dir_mode": "0750" },
    { "name": "j", "dest": "/run/x%%y/j" }
  ],
  "services": [{ "name": "svc", "exec": "/bin/true", "description": "100% sure" }],
  "secret_delivery": { "listen": ["unix:/run/tdx agent/a%i.sock"] }
}
JSON
expect 0 "" "$tdxctl" emit "$tmp/recipe.json" -o "$tmp/tree" --no-agent-binary
extra="$tmp/tree/mkosi.extra"
root="$tmp/root"
mkdir -p "$root/etc"

expect 0 "" systemd-sysusers --root="$root" "$extra/usr/lib/sysusers.d/tdx-recipe.conf"
# The uid systemd-sysusers picks may differ: compare the fields that matter.
check "passwd home and shell" sh -c "grep '^app:' '$root/etc/passwd' | cut -d: -f6,7 |
    grep -qxF '/var/lib/my app/100%m \"q\" b\\s:/usr/bin/my sh%n'"

for f in tdx-recipe.conf tdx-secrets.conf; do
    expect 0 "" systemd-tmpfiles --root="$root" --create "$extra/etc/tmpfiles.d/$f"
done
check "the home directory, named as written" test -d "$root/var/lib/my app/100%m \"q\" b\\s"
check "the secret directory, %m not expanded" test -d "$root/etc/my app/%m"
check "the secret directory's mode" sh -c "[ \"\$(stat -c %a '$root/etc/my app/%m')\" = 750 ]"
check "a literal %% stays two" test -d "$root/run/x%%y"
check "nothing else was made in /etc" sh -c "[ \"\$(ls '$root/etc' | sort | tr '\n' ' ')\" = 'group gshadow my app passwd shadow ' ]"

units="$extra/usr/lib/systemd/system"
check "ListenStream= has % doubled" grep -qxF 'ListenStream=/run/tdx agent/a%%i.sock' "$units/tdx-agent.socket"
check "Description= has % doubled" grep -qxF 'Description=100%% sure' "$extra/etc/systemd/system/svc.service"

exit $fail
