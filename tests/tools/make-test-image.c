/* SPDX-License-Identifier: MIT */
/*
 * Writes the synthetic images the script tests need (tests/unit/image-builder.h):
 *   make-test-image tdvf OUT debian|dstack [CFV_FILE]
 *       an OVMF-style image with TDVF metadata in Debian 12's or dstack's
 *       layout; the CFV is CFV_FILE's bytes (e.g. OVMF_VARS_4M.fd) or an
 *       empty 8 KiB variable store
 *   make-test-image bzimage OUT VERSION
 *       a PE32+ with a Linux setup header and that kernel version string
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/image-builder.h"

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
        perror(path);
        exit(1);
    }
    p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *size = (size_t)n;
    return p;
}

int main(int argc, char **argv)
{
    uint8_t *out = NULL, *cfv = NULL;
    size_t size = 0;
    FILE *f;

    if (argc >= 4 && !strcmp(argv[1], "tdvf")) {
        static uint8_t bfv[0x4000], blank[0x2000];
        size_t cfv_size = sizeof(blank);
        bool dstack = !strcmp(argv[3], "dstack");

        for (size_t i = 0; i < sizeof(bfv); i++)
            bfv[i] = (uint8_t)(i * 31 + 7);
        if (argc >= 5) {
            cfv = slurp(argv[4], &cfv_size);
        } else {
            ib_empty_varstore(blank, sizeof(blank));
        }
        struct synth_section s[] = {
            { 0, 1, 0xffe20000, sizeof(bfv), bfv, sizeof(bfv) },
            { 1, 0, 0xffc00000, (cfv_size + 0xfff) & ~(size_t)0xfff, cfv ? cfv : blank, cfv_size },
            { 3, 0, dstack ? 0x811000 : 0x810000, dstack ? 0xf000 : 0x10000, NULL, 0 },
            { 3, 0, 0x80b000, 0x2000, NULL, 0 },
            { 2, 0, 0x809000, 0x2000, NULL, 0 },
            { 3, 0, 0x800000, 0x6000, NULL, 0 },
        };
        out = ib_tdvf(s, 6, &size);
    } else if (argc == 4 && !strcmp(argv[1], "bzimage")) {
        out = ib_bzimage(argv[3], 0x3000, 0, &size);
    } else {
        fprintf(stderr, "usage: make-test-image tdvf OUT debian|dstack [CFV] | bzimage OUT VERSION\n");
        return 2;
    }
    f = fopen(argv[2], "wb");
    if (!out || !f || fwrite(out, 1, size, f) != size || fclose(f) != 0) {
        perror(argv[2]);
        return 1;
    }
    free(out);
    free(cfv);
    return 0;
}
