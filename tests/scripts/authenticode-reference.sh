#!/bin/sh
# An independent Authenticode digest for the tests, from the PE/COFF
# specification with shell tools (od, tail, head, sort): headers without
# CheckSum and the Certificate Table entry, sections with raw data in
# file-offset order, then the bytes up to the certificate table.
# Usage: authenticode-reference.sh FILE sha256|sha384
set -eu
f=$1
alg=$2
u16() { od -An -tu2 --endian=little -j "$1" -N 2 "$f" | tr -d ' '; }
u32() { od -An -tu4 --endian=little -j "$1" -N 4 "$f" | tr -d ' '; }
part() { tail -c +"$(($1 + 1))" "$f" | head -c "$2"; }

pe=$(u32 60)
nsec=$(u16 $((pe + 6)))
optsz=$(u16 $((pe + 20)))
opt=$((pe + 24))
if [ "$(u16 $opt)" = 523 ]; then dirs=$((opt + 112)); else dirs=$((opt + 96)); fi
ndd=$(u32 $((dirs - 4)))
soh=$(u32 $((opt + 60)))
checksum=$((opt + 64))
certentry=$((dirs + 32))
size=$(stat -c %s "$f")
sections=$(i=0; while [ $i -lt "$nsec" ]; do
        h=$((opt + optsz + 40 * i))
        rs=$(u32 $((h + 16)))
        [ "$rs" -gt 0 ] && echo "$(u32 $((h + 20))) $rs"
        i=$((i + 1))
    done | sort -s -n -k1,1)
sum=$soh
for rs in $(echo "$sections" | cut -d' ' -f2); do sum=$((sum + rs)); done
{
    part 0 $checksum
    if [ "$ndd" -gt 4 ]; then
        part $((checksum + 4)) $((certentry - checksum - 4))
        part $((certentry + 8)) $((soh - certentry - 8))
        certsize=$(u32 $((certentry + 4)))
    else
        part $((checksum + 4)) $((soh - checksum - 4))
        certsize=0
    fi
    echo "$sections" | while read -r rp rs; do part "$rp" "$rs"; done
    if [ "$size" -gt $((sum + certsize)) ]; then part "$sum" $((size - sum - certsize)); fi
} | "${alg}sum" | cut -d' ' -f1
