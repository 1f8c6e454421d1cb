#!/bin/sh
# Checks every emitted tree of every example (every profile):
#   keys       every Key= in mkosi.conf files is a real mkosi 25/26 setting in
#              its section; repart keys are real repart.d keys; sh -n passes
#   shellcheck every script passes shellcheck without warnings
#   units      every unit passes systemd-analyze verify (and, with nft
#              installed, the firewall rules pass nft -c)
# Usage: check-tree.sh MODE TDXCTL SOURCE_ROOT
set -eu
mode=$1
tdxctl=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "$mode" in
shellcheck)
    command -v shellcheck >/dev/null 2>&1 || { echo "SKIP: shellcheck is not installed"; exit 77; }
    ;;
units)
    command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
    ;;
keys) ;;
*)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

settings="$src/tests/data/mkosi-settings.tsv"
repart="$src/tests/data/repart-settings.txt"
fail=0

check_conf() { # FILE: [Section] Key pairs against mkosi's table
    section=
    while IFS= read -r line; do
        line=${line%%#*}
        case "$line" in
        '' | ' '* | '	'*) continue ;;
        '['*']') section=${line#[}; section=${section%]} ;;
        *=*)
            key=${line%%=*}
            if ! grep -q "^$section	$key	" "$settings"; then
                echo "FAIL: $1: [$section] $key= is not a mkosi 25/26 setting of that section"
                fail=1
            fi
            ;;
        *) echo "FAIL: $1: cannot parse line: $line"; fail=1 ;;
        esac
    done <"$1"
}

check_repart() {
    section=
    while IFS= read -r line; do
        line=${line%%#*}
        case "$line" in
        '') continue ;;
        '['*']') section=${line#[}; section=${section%]} ;;
        *=*)
            key=${line%%=*}
            if [ "$section" != Partition ] || ! grep -qx "$key" "$repart"; then
                echo "FAIL: $1: [$section] $key= is not a repart.d setting"
                fail=1
            fi
            ;;
        esac
    done <"$1"
}

scripts_of() { # TREE: every script mkosi or the agent runs
    for dir in "$1"/mkosi.*.d "$1"/mkosi.profiles/*/mkosi.*.d \
        "$1"/mkosi.extra/usr/lib/tdx/on-boot.d "$1"/mkosi.profiles/*/mkosi.extra/usr/lib/tdx/on-boot.d; do
        if [ -d "$dir" ]; then
            find "$dir" -mindepth 1 -maxdepth 1 -type f
        fi
    done
}

verify_units() { # TREE: assemble a root like the image's and verify our units
    root="$tmp/root"
    rm -rf "$root"
    mkdir -p "$root/usr/lib/systemd/system"
    cp -a "$1/mkosi.extra/." "$root/"
    for layer in "$1"/mkosi.profiles/*/mkosi.extra; do
        [ -d "$layer" ] && cp -a "$layer/." "$root/"
    done
    # Units the image gets from its packages: systemd's from this host, and a
    # stand-in for Debian's ssh.service so drop-ins have something to extend.
    cp -rn /lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null || true
    if [ -d "$root/etc/systemd/system/ssh.service.d" ] && [ ! -e "$root/usr/lib/systemd/system/ssh.service" ]; then
        printf '[Unit]\nDescription=OpenSSH server\n[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n' \
            >"$root/usr/lib/systemd/system/ssh.service"
    fi
    # Our units: those the tree itself puts into the image.
    units=$(cd "$1" && find mkosi.extra mkosi.profiles/*/mkosi.extra \
        \( -path '*/etc/systemd/system/*' -o -path '*/usr/lib/systemd/system/*' \) -type f \
        \( -name '*.service' -o -name '*.target' -o -name '*.socket' -o -name '*.timer' \) 2>/dev/null |
        sed 's|^mkosi.profiles/[^/]*/||; s|^mkosi.extra|'"$root"'|' | sort -u)
    [ -d "$root/etc/systemd/system/ssh.service.d" ] && units="$units $root/usr/lib/systemd/system/ssh.service"
    # Binaries that packages, builds or the agent put into the image at build
    # time: stand-ins, listed so the log shows them.
    for exe in $(cat $units "$root"/etc/systemd/system/*.d/*.conf 2>/dev/null |
        sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' | sort -u); do
        if [ ! -e "$root$exe" ]; then
            mkdir -p "$root$(dirname "$exe")"
            printf '#!/bin/sh\n' >"$root$exe"
            chmod 755 "$root$exe"
            echo "  stand-in: $exe"
        fi
    done
    # shellcheck disable=SC2086 # a list of paths without spaces
    if ! systemd-analyze verify --man=no --root="$root" $(echo $units | tr ' ' '\n' | sort -u) >"$tmp/verify" 2>&1 ||
        [ -s "$tmp/verify" ]; then
        echo "FAIL: systemd-analyze verify:"
        cat "$tmp/verify"
        fail=1
    fi
}

# Services that need secrets start only after the agent has them all: they
# are ordered after and require secrets-ready.target, which requires the
# oneshot that runs `tdx-agent wait-secrets` (docs/secrets.md).
gated=0
check_secrets_gate() { # TREE
    for unit in $(grep -l '^After=.*secrets-ready\.target' "$1"/mkosi.extra/etc/systemd/system/*.service \
        "$1"/mkosi.profiles/*/mkosi.extra/etc/systemd/system/*.service 2>/dev/null); do
        if grep -q '^Requires=.*secrets-ready\.target' "$unit"; then
            echo "  $(basename "$unit") is ordered after and requires secrets-ready.target"
            gated=$((gated + 1))
        else
            echo "FAIL: $unit: After= but not Requires=secrets-ready.target"
            fail=1
        fi
    done
    target="$1/mkosi.extra/usr/lib/systemd/system/secrets-ready.target"
    wait="$1/mkosi.extra/usr/lib/systemd/system/tdx-secrets-wait.service"
    grep -q '^Requires=tdx-secrets-wait\.service$' "$target" && grep -q '^After=tdx-secrets-wait\.service$' "$target" ||
        { echo "FAIL: $target does not require and follow tdx-secrets-wait.service"; fail=1; }
    grep -q '^Type=oneshot$' "$wait" && grep -q '^RemainAfterExit=yes$' "$wait" &&
        grep -q '^ExecStart=/usr/sbin/tdx-agent wait-secrets --manifest /etc/tdx-agent/secrets.json$' "$wait" ||
        { echo "FAIL: $wait does not wait for the agent's readiness"; fail=1; }
}

for recipe in "$src"/examples/*.json; do
    # Native recipes (init tdx-agent) are for tdxctl build, not mkosi trees.
    grep -q '"init": *"tdx-agent"' "$recipe" && continue
    example=$(basename "$recipe" .json)
    for profile in $("$tdxctl" recipe profiles "$recipe"); do
        tree="$tmp/$example-$profile"
        "$tdxctl" emit "$recipe" -o "$tree" --profile "$profile" --no-agent-binary 2>/dev/null
        echo "$example/$profile:"
        case "$mode" in
        keys)
            grep -q '^MinimumVersion=25$' "$tree/mkosi.conf" || { echo "FAIL: no MinimumVersion=25"; fail=1; }
            for conf in "$tree/mkosi.conf" "$tree"/mkosi.profiles/*/mkosi.conf; do
                [ -f "$conf" ] && check_conf "$conf"
            done
            for def in "$tree"/mkosi.repart/*.conf "$tree"/mkosi.profiles/*/mkosi.repart/*.conf; do
                [ -f "$def" ] && check_repart "$def"
            done
            for script in $(scripts_of "$tree"); do
                sh -n "$script" || { echo "FAIL: sh -n $script"; fail=1; }
            done
            echo "  keys and script syntax checked"
            ;;
        shellcheck)
            n=0
            for script in $(scripts_of "$tree"); do
                n=$((n + 1))
                shellcheck "$script" || { echo "FAIL: shellcheck $script"; fail=1; }
            done
            echo "  $n scripts passed shellcheck"
            ;;
        units)
            verify_units "$tree"
            echo "  units verified"
            check_secrets_gate "$tree"
            for rules in "$tree"/mkosi.extra/etc/nftables.conf "$tree"/mkosi.profiles/*/mkosi.extra/etc/nftables.conf; do
                [ -f "$rules" ] || continue
                if command -v nft >/dev/null 2>&1; then
                    nft -c -f "$rules" || { echo "FAIL: nft -c $rules"; fail=1; }
                    echo "  firewall rules pass nft -c"
                else
                    echo "  (nft not installed: firewall rules not syntax-checked)"
                fi
            done
            ;;
        esac
    done
done
if [ "$mode" = units ] && [ "$gated" -eq 0 ]; then
    echo "FAIL: no example has a service gated on secrets-ready.target"
    fail=1
fi
exit $fail
