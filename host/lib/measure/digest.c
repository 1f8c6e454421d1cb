/* SPDX-License-Identifier: MIT */
#include "digest.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#include "error.h"

static const struct alg_info {
    tdx_hash_alg alg;
    const char *name;
    size_t size;
} algs[] = {
    { TDX_HASH_SHA1, "sha1", 20 },
    { TDX_HASH_SHA256, "sha256", 32 },
    { TDX_HASH_SHA384, "sha384", 48 },
    { TDX_HASH_SHA512, "sha512", 64 },
};

static const struct alg_info *alg_info(int alg)
{
    for (size_t i = 0; i < ELEMENTSOF(algs); i++)
        if ((int)algs[i].alg == alg)
            return &algs[i];
    return NULL;
}

bool hash_alg_known(int alg)
{
    return alg_info(alg) != NULL;
}

const char *tdx_hash_alg_name(int alg)
{
    const struct alg_info *a = alg_info(alg);
    return a ? a->name : NULL;
}

size_t tdx_hash_alg_size(int alg)
{
    const struct alg_info *a = alg_info(alg);
    return a ? a->size : 0;
}

int tdx_hash_alg_from_name(const char *name, tdx_hash_alg *out, tdx_error *err)
{
    char norm[16];
    size_t j = 0;

    tdx_check_arg(name && out, err);
    /* "SHA-384", "sha384" and "SHA384" all name the same algorithm. */
    for (const char *p = name; *p && j + 1 < sizeof(norm); p++)
        if (*p != '-' && *p != '_')
            norm[j++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    norm[j] = '\0';
    for (size_t i = 0; i < ELEMENTSOF(algs); i++)
        if (streq(norm, algs[i].name)) {
            *out = algs[i].alg;
            return 0;
        }
    return tdx_err(err, -EINVAL, "unknown hash algorithm \"%s\" (expected sha1, sha256, sha384 or sha512)",
                   name);
}

static const EVP_MD *md_of(tdx_hash_alg alg)
{
    switch (alg) {
    case TDX_HASH_SHA1: return EVP_sha1();
    case TDX_HASH_SHA256: return EVP_sha256();
    case TDX_HASH_SHA384: return EVP_sha384();
    case TDX_HASH_SHA512: return EVP_sha512();
    }
    return NULL;
}

static int ossl_fail(tdx_error *err, const char *what)
{
    unsigned long e = ERR_get_error();
    return tdx_err_lib(err, -EIO, TDX_ERROR_LIBRARY_OPENSSL, (long)e, "OpenSSL %s failed", what);
}

int hashset_init(struct hashset *hs, const tdx_hash_alg *list, size_t n, tdx_error *err)
{
    memset(hs, 0, sizeof(*hs));
    if (n == 0 || n > BANKS_MAX)
        return tdx_err(err, -EINVAL, "%zu hash banks requested (1 to %d supported)", n, BANKS_MAX);
    for (size_t i = 0; i < n; i++) {
        const EVP_MD *md = md_of(list[i]);
        EVP_MD_CTX *ctx;

        if (!md) {
            hashset_free(hs);
            return tdx_err(err, -EINVAL, "unknown hash algorithm 0x%04x", (unsigned)list[i]);
        }
        ctx = EVP_MD_CTX_new();
        if (!ctx) {
            hashset_free(hs);
            return tdx_err_oom(err);
        }
        hs->h[i].ctx = ctx;
        hs->h[i].alg = list[i];
        hs->h[i].size = tdx_hash_alg_size(list[i]);
        hs->n = i + 1;
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
            hashset_free(hs);
            return ossl_fail(err, "digest init");
        }
    }
    return 0;
}

int hashset_update(struct hashset *hs, const void *data, size_t size, tdx_error *err)
{
    for (size_t i = 0; i < hs->n; i++)
        if (EVP_DigestUpdate(hs->h[i].ctx, data, size) != 1)
            return ossl_fail(err, "digest update");
    return 0;
}

int hashset_final(struct hashset *hs, uint8_t out[][TDX_DIGEST_MAX], tdx_error *err)
{
    for (size_t i = 0; i < hs->n; i++)
        if (EVP_DigestFinal_ex(hs->h[i].ctx, out[i], NULL) != 1)
            return ossl_fail(err, "digest final");
    return 0;
}

void hashset_free(struct hashset *hs)
{
    for (size_t i = 0; i < hs->n; i++)
        EVP_MD_CTX_free(hs->h[i].ctx);
    hs->n = 0;
}

int digest_buf(tdx_hash_alg alg, const void *data, size_t size, uint8_t *out, tdx_error *err)
{
    const EVP_MD *md = md_of(alg);
    if (!md)
        return tdx_err(err, -EINVAL, "unknown hash algorithm 0x%04x", (unsigned)alg);
    if (EVP_Digest(data, size, out, NULL, md, NULL) != 1)
        return ossl_fail(err, "digest");
    return 0;
}

int digest_extend(tdx_hash_alg alg, uint8_t *reg, const uint8_t *digest, tdx_error *err)
{
    uint8_t buf[2 * TDX_DIGEST_MAX];
    size_t n = tdx_hash_alg_size(alg);

    if (n == 0)
        return tdx_err(err, -EINVAL, "unknown hash algorithm 0x%04x", (unsigned)alg);
    memcpy(buf, reg, n);
    memcpy(buf + n, digest, n);
    return digest_buf(alg, buf, 2 * n, reg, err);
}
