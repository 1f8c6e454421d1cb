/* SPDX-License-Identifier: MIT */
/*
 * Authenticode image hash, as edk2's DxeTpm2MeasureBootLib measures images
 * and as the PE specification defines it for signatures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "pe.h"
#include "tdxhost/pe.h"

/* Sections with raw data, ordered by file offset; equal offsets keep table
 * order (edk2 uses an insertion sort, which is stable). */
static int sorted_sections(const struct pe_image *pe, const struct pe_section ***out, size_t *n,
                           tdx_error *err)
{
    const struct pe_section **v = calloc(pe->n_sections + 1, sizeof(*v));
    size_t k = 0;

    if (!v)
        return tdx_err_oom(err);
    for (uint16_t i = 0; i < pe->n_sections; i++) {
        const struct pe_section *sec = &pe->sections[i];
        size_t j = k;
        if (sec->raw_size == 0)
            continue;
        while (j > 0 && v[j - 1]->raw_offset > sec->raw_offset) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = sec;
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

int pe_authenticode(const struct source *s, const struct pe_image *pe, struct hashset *hs,
                    tdx_error *err)
{
    _cleanup_free_ const struct pe_section **order = NULL;
    uint64_t sum = pe->size_of_headers, cert = pe->cert_size;
    size_t n = 0;
    int r;

    /* Headers, minus CheckSum and the Certificate Table entry. */
    r = source_hash(s, 0, pe->checksum_off, hs, "headers before CheckSum", err);
    if (r >= 0 && pe->has_cert_entry) {
        r = source_hash(s, pe->checksum_off + 4, pe->cert_entry_off - (pe->checksum_off + 4), hs,
                        "headers between CheckSum and the Certificate Table entry", err);
        if (r >= 0)
            r = source_hash(s, pe->cert_entry_off + 8, pe->size_of_headers - (pe->cert_entry_off + 8), hs,
                            "headers after the Certificate Table entry", err);
    } else if (r >= 0) {
        r = source_hash(s, pe->checksum_off + 4, pe->size_of_headers - (pe->checksum_off + 4), hs,
                        "headers after CheckSum", err);
    }
    if (r < 0)
        return r;

    r = sorted_sections(pe, &order, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof(what), "section \"%s\"", order[i]->name);
        r = source_hash(s, order[i]->raw_offset, order[i]->raw_size, hs, what, err);
        if (r < 0)
            return r;
        sum += order[i]->raw_size;
    }

    /* Whatever follows, up to the certificate table; edk2 takes the table
     * to be the last cert_size bytes and refuses a file too short for it. */
    if (s->size > sum) {
        if (s->size < sum + cert)
            return tdx_err(err, -EINVAL,
                           "%s: certificate table size 0x%" PRIx64 " exceeds the 0x%" PRIx64
                           " bytes after the sections", s->name, cert, s->size - sum);
        if (s->size > sum + cert)
            return source_hash(s, sum, s->size - sum - cert, hs, "data after the sections", err);
    }
    return 0;
}

static int authenticode_source(const struct source *s, int alg, uint8_t *digest, size_t digest_size,
                               tdx_error *err)
{
    struct pe_image pe;
    struct hashset hs = HASHSET_INIT;
    tdx_hash_alg a = (tdx_hash_alg)alg;
    uint8_t out[1][TDX_DIGEST_MAX];
    size_t n = tdx_hash_alg_size(alg);
    int r;

    if (n == 0)
        return tdx_err(err, -EINVAL, "unknown hash algorithm 0x%04x", (unsigned)alg);
    if (digest_size < n)
        return tdx_err(err, -EINVAL, "digest buffer of %zu bytes is too small for %s (%zu bytes)", digest_size,
                       tdx_hash_alg_name(alg), n);
    r = pe_parse(s, &pe, err);
    if (r < 0)
        return r;
    r = hashset_init(&hs, &a, 1, err);
    if (r >= 0)
        r = pe_authenticode(s, &pe, &hs, err);
    if (r >= 0)
        r = hashset_final(&hs, out, err);
    hashset_free(&hs);
    pe_image_free(&pe);
    if (r < 0)
        return r;
    memcpy(digest, out[0], n);
    return (int)n;
}

int tdx_pe_authenticode(const char *path, int alg, uint8_t *digest, size_t digest_size, tdx_error *err)
{
    struct source s;
    int r;

    tdx_check_arg(path && digest, err);
    r = source_open(&s, path, err);
    if (r < 0)
        return r;
    r = authenticode_source(&s, alg, digest, digest_size, err);
    source_close(&s);
    return r;
}

int tdx_pe_authenticode_buffer(const void *data, size_t size, const char *name, int alg,
                               uint8_t *digest, size_t digest_size, tdx_error *err)
{
    struct source s;

    tdx_check_arg((data || size == 0) && digest, err);
    source_buffer(&s, name ? name : "image", data, size);
    return authenticode_source(&s, alg, digest, digest_size, err);
}
