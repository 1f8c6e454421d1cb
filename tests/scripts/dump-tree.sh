#!/bin/sh
# Prints a directory tree as one reviewable text: every entry with its mode
# and mtime; generated text in full; copied sources (sources/) and binaries
# by SHA-256.
# Usage: dump-tree.sh DIR
set -eu
cd "$1"
LC_ALL=C find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
    p=${p#./}
    mtime=$(stat -c %Y "$p")
    if [ -L "$p" ]; then
        printf '== %s -> %s (symlink, mtime %s)\n' "$p" "$(readlink "$p")" "$mtime"
    elif [ -d "$p" ]; then
        printf '== %s/ (%s, mtime %s)\n' "$p" "$(stat -c %a "$p")" "$mtime"
    else
        mode=$(stat -c %a "$p")
        if [ ! -s "$p" ]; then
            printf '== %s (%s, mtime %s, empty)\n' "$p" "$mode" "$mtime"
        else
            case "$p" in
            sources/*) binary=yes ;;
            *) if grep -Iq . "$p"; then binary=no; else binary=yes; fi ;;
            esac
            if [ "$binary" = yes ]; then
                printf '== %s (%s, mtime %s, sha256 %s)\n' "$p" "$mode" "$mtime" "$(sha256sum <"$p" | cut -d' ' -f1)"
            else
                printf '== %s (%s, mtime %s)\n' "$p" "$mode" "$mtime"
                cat "$p"
                if [ "$(tail -c 1 "$p" | od -An -c | tr -d ' ')" != '\n' ]; then
                    printf '\n\\ no newline at end of file\n'
                fi
            fi
        fi
    fi
done
