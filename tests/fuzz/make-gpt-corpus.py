#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus of fuzz-gpt: small raw disk images (a protective MBR,
# a primary GPT header at LBA 1, the entry array from LBA 2), valid and
# broken in the ways tests/unit/test-gpt.c checks. The images are cut after
# the entry array (16 entries unless a case says otherwise): the parser reads
# nothing beyond it.
# Usage: tests/fuzz/make-gpt-corpus.py tests/fuzz/corpus/gpt
import os
import struct
import sys
import zlib

SECTOR = 512


def guid(text):
    # Mixed-endian UEFI encoding of "aabbccdd-eeff-...".
    h = text.replace("-", "")
    b = bytes.fromhex(h)
    return b[3::-1] + b[5:3:-1] + b[7:5:-1] + b[8:]


ESP = guid("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
ROOT = guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")


def entry(type_guid, uniq, first, last, name, size=128):
    e = type_guid + guid(uniq) + struct.pack("<QQQ", first, last, 0)
    e += name.encode("utf-16-le").ljust(72, b"\0")
    return e.ljust(size, b"\0")


def disk(entries, count=16, entry_size=128, header_size=92, lba=2, fix_header_crc=True,
         fix_array_crc=True, signature=b"EFI PART", cut=None):
    array = b"".join(entries).ljust(count * entry_size, b"\0")[: count * entry_size]
    array_crc = zlib.crc32(array) if fix_array_crc else 0x12345678
    hdr = bytearray(signature + struct.pack("<II", 0x00010000, header_size) + b"\0" * 8)
    hdr += struct.pack("<QQQQ", 1, 0x1fffff, 34, 0x1fffde)
    hdr += guid("12345678-1234-5678-1234-567812345678")
    hdr += struct.pack("<QIII", lba, count, entry_size, array_crc)
    hdr = hdr.ljust(header_size, b"\0")
    if fix_header_crc:
        struct.pack_into("<I", hdr, 16, zlib.crc32(bytes(hdr)))
    mbr = bytearray(SECTOR)
    mbr[446:462] = bytes([0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF]) + struct.pack("<II", 1, 0x1fffff)
    mbr[510:512] = b"\x55\xaa"
    img = bytes(mbr) + bytes(hdr).ljust(SECTOR, b"\0")
    img = img.ljust(lba * SECTOR, b"\0") + array
    return img[:cut] if cut else img


def main(out):
    os.makedirs(out, exist_ok=True)
    esp = entry(ESP, "87654321-4321-8765-4321-876543218765", 2048, 534527, "esp")
    root = entry(ROOT, "0fc63daf-8483-4772-8e79-3d69d8477de4", 534528, 2097118, "root")
    cases = {
        "01-esp-and-root.raw": disk([esp, root]),
        "02-hole-between.raw": disk([esp, b"\0" * 128, root]),
        "03-four-entries-of-256.raw": disk([entry(ESP, "11111111-2222-3333-4444-555555555555", 2048, 4095,
                                                  "esp", 256)], count=4, entry_size=256),
        "04-header-crc.raw": disk([esp], fix_header_crc=False),
        "05-array-crc.raw": disk([esp], fix_array_crc=False),
        "06-truncated-array.raw": disk([esp], cut=2 * SECTOR + 1000),
        "07-no-signature.raw": disk([esp], signature=b"NOT PART"),
        "08-header-size-600.raw": disk([esp], header_size=600, cut=4 * SECTOR),
        "09-entry-size-100.raw": disk([esp], count=4, entry_size=100),
        "10-too-many-entries.raw": disk([esp], count=1025, cut=4 * SECTOR),
        "11-header-only.raw": disk([esp], cut=2 * SECTOR),
    }
    for name, data in cases.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/gpt")
