# Sourced by examples/run-*.sh: finds tdxctl and tdx-agent and gives the
# scripts their helpers. Before sourcing, set `script` to the script's name.
# BUILD_DIR (the first argument) is the Meson build directory (default:
# "build" in the source tree); TDXCTL=/path/to/tdxctl and
# TDX_AGENT=/path/to/tdx-agent override it (`meson devenv -C BUILD_DIR` sets
# both to that build's).
# shellcheck shell=sh disable=SC2034,SC2154  # script is the caller's; src, tdxctl, agent_bin are for it
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
src=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
    build=$(absolute "$1")
    tdxctl=$build/host/tdxctl/tdxctl agent_bin=$build/guest/tdx-agent
else
    tdxctl=$(absolute "${TDXCTL:-$src/build/host/tdxctl/tdxctl}")
    agent_bin=$(absolute "${TDX_AGENT:-$src/build/guest/tdx-agent}")
fi
for b in "$tdxctl" "$agent_bin"; do
    if [ ! -x "$b" ]; then
        echo "$script: $b is not there: build first (meson setup build && ninja -C build)," >&2
        echo "or name the build directory: sh examples/$script BUILD_DIR" >&2
        exit 2
    fi
done
# One field of the one-line JSON object tdxctl --json prints.
field() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$2"; }
