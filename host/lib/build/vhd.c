/* SPDX-License-Identifier: MIT */
/*
 * Azure's disk format: a fixed VHD is the raw disk, its size rounded up to
 * a whole MiB, followed by one 512-byte footer (Virtual Hard Disk Image
 * Format Specification, "Hard Disk Footer Format"). Written here rather than
 * by qemu-img, whose vpc driver rounds the size to a CHS geometry unless told
 * otherwise, and so that the bytes depend on the disk alone: the time stamp
 * is a parameter (SOURCE_DATE_EPOCH) and the unique id is derived from the
 * disk's SHA-256.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "tdxhost/build.h"

#define MIB (1024 * 1024)
#define VHD_EPOCH 946684800LL /* 2000-01-01T00:00:00Z */
#define VHD_MAX_SIZE (1023ULL << 30) /* Azure: at most 1023 GiB */

static void be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* The CHS geometry of the specification's appendix. */
static void geometry(uint64_t size, uint16_t *cyl, uint8_t *heads, uint8_t *spt)
{
    uint64_t total = size / 512, cth;
    unsigned h, s;

    if (total > 65535ULL * 16 * 255)
        total = 65535ULL * 16 * 255;
    if (total >= 65535ULL * 16 * 63) {
        s = 255;
        h = 16;
        cth = total / s;
    } else {
        s = 17;
        cth = total / s;
        h = (unsigned)((cth + 1023) / 1024);
        if (h < 4)
            h = 4;
        if (cth >= h * 1024ULL || h > 16) {
            s = 31;
            h = 16;
            cth = total / s;
        }
        if (cth >= h * 1024ULL) {
            s = 63;
            h = 16;
            cth = total / s;
        }
    }
    *cyl = (uint16_t)(cth / h);
    *heads = (uint8_t)h;
    *spt = (uint8_t)s;
}

void vhd_footer(uint8_t f[512], uint64_t size, long long epoch, const uint8_t id[16])
{
    long long ts = epoch - VHD_EPOCH;
    uint16_t cyl;
    uint8_t heads, spt;
    uint32_t sum = 0;

    memset(f, 0, 512);
    memcpy(f, "conectix", 8);
    be32(f + 8, 2);            /* features: reserved bit, always set */
    be32(f + 12, 0x00010000);  /* format version 1.0 */
    be64(f + 16, UINT64_MAX);  /* data offset: none (fixed disk) */
    be32(f + 24, (uint32_t)(ts < 0 ? 0 : ts > UINT32_MAX ? UINT32_MAX : ts));
    /* Creator "win " (Hyper-V, which Azure runs): readers take the size
     * from the footer, not from the CHS geometry (qemu's vpc driver too). */
    memcpy(f + 28, "win ", 4);
    be32(f + 32, 0x000a0000);
    memcpy(f + 36, "Wi2k", 4);
    be64(f + 40, size);        /* original size */
    be64(f + 48, size);        /* current size */
    geometry(size, &cyl, &heads, &spt);
    be16(f + 56, cyl);
    f[58] = heads;
    f[59] = spt;
    be32(f + 60, 2);           /* disk type: fixed */
    memcpy(f + 68, id, 16);
    for (int i = 0; i < 512; i++)
        sum += f[i];
    be32(f + 64, ~sum);
}

int tdx_vhd_write(const char *raw, const char *vhd, long long epoch, tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    unsigned char md[32];
    uint8_t footer[512], id[16], buf[1 << 16];
    uint64_t size = 0, padded;
    EVP_MD_CTX *ctx = NULL;
    int in = -1, out = -1, r = 0;
    ssize_t n;

    tdx_check_arg(raw, err);
    tdx_check_arg(vhd, err);
    if (asprintf(&tmp, "%s.tmp-XXXXXX", vhd) < 0)
        return tdx_err_oom(err);
    in = open(raw, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return tdx_err(err, -errno, "%s: %s", raw, strerror(errno));
    out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0) {
        r = tdx_err(err, -errno, "cannot create a file next to %s: %s", vhd, strerror(errno));
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        r = tdx_err_oom(err);
        goto done;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1 || write_all(out, buf, (size_t)n) < 0) {
            r = tdx_err(err, -EIO, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
        size += (uint64_t)n;
    }
    if (n < 0) {
        r = tdx_err(err, -errno, "%s: %s", raw, strerror(errno));
        goto done;
    }
    padded = (size + MIB - 1) / MIB * MIB;
    if (padded == 0 || padded > VHD_MAX_SIZE) {
        r = tdx_err(err, -EFBIG, "%s: %llu bytes; Azure takes fixed VHDs of 1 MiB to 1023 GiB",
                    raw, (unsigned long long)size);
        goto done;
    }
    memset(buf, 0, sizeof(buf));
    for (uint64_t left = padded - size; left > 0;) {
        size_t chunk = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (EVP_DigestUpdate(ctx, buf, chunk) != 1 || write_all(out, buf, chunk) < 0) {
            r = tdx_err(err, -EIO, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
        left -= chunk;
    }
    if (EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
        r = tdx_err_oom(err);
        goto done;
    }
    /* A version 4 (random) UUID whose bits come from the disk's hash. */
    memcpy(id, md, 16);
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    vhd_footer(footer, padded, epoch, id);
    if (write_all(out, footer, sizeof(footer)) < 0 || fsync(out) < 0 ||
        fchmod(out, 0644) < 0) {
        r = tdx_err(err, -EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(out) < 0) {
        out = -1;
        r = tdx_err(err, -EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    out = -1;
    if (rename(tmp, vhd) < 0)
        r = tdx_err(err, -errno, "%s: %s", vhd, strerror(errno));
done:
    EVP_MD_CTX_free(ctx);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (r < 0)
        unlink(tmp);
    return r;
}
