#!/bin/sh
# Builds and runs every test three ways: a -Werror build, an ASan+UBSan
# build, and the unit and fuzz-corpus suites under valgrind. Build
# directories: build-ci, build-ci-asan (recreated each time). The real mkosi
# build and its boot (suite mkosi: ~12 min cold, a few GB of cache) run once,
# in the ASan build, so tdxctl's mkosi code runs under the sanitizers.
set -eu
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "build with -Werror"
rm -rf build-ci build-ci-asan
meson setup build-ci -Dwerror=true -Dtests=enabled
ninja -C build-ci
meson test -C build-ci --print-errorlogs --no-suite mkosi

step "ASan + UBSan"
meson setup build-ci-asan -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined
ninja -C build-ci-asan
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-ci-asan --print-errorlogs

step "valgrind"
if command -v valgrind >/dev/null 2>&1; then
    meson test -C build-ci --setup valgrind --suite unit --suite fuzz --print-errorlogs
else
    echo "valgrind is not installed: skipped"
fi

step "all tests passed"
