#!/bin/sh
# Every public header compiles on its own, as installed (one directory), as
# strict C99 and as C++: consumers must be able to include any one of them.
# Usage: check-headers.sh SOURCE_INCLUDE_DIR BUILD_INCLUDE_DIR   (CC from the environment)
set -eu
src_inc=$1
build_inc=$2
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/include/tdxhost"
cp "$src_inc"/tdxhost/*.h "$build_inc"/tdxhost/version.h "$tmp/include/tdxhost/"
fail=0
for h in "$tmp"/include/tdxhost/*.h; do
    name=tdxhost/${h##*/}
    printf '#include <%s>\nint main(void) { return 0; }\n' "$name" >"$tmp/t.c"
    # shellcheck disable=SC2086 # CC may hold a command with arguments
    if ! $cc -std=c99 -pedantic -Werror -Wall -Wextra -I"$tmp/include" -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "FAIL (C99): $name"
        fail=1
        continue
    fi
    if command -v c++ >/dev/null 2>&1 &&
        ! c++ -x c++ -std=c++11 -pedantic -Werror -Wall -Wextra -I"$tmp/include" -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "FAIL (C++): $name"
        fail=1
        continue
    fi
    echo "ok $name"
done
exit $fail
