/* SPDX-License-Identifier: MIT */
/*
 * Hashing for measurements: OpenSSL EVP behind a small interface, so that
 * every caller gets errors as tdx_error and can feed several banks at once
 * (a UKI is read once for its SHA-256 and SHA-384 PCRs).
 */
#ifndef TDXHOST_MEASURE_DIGEST_H
#define TDXHOST_MEASURE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxhost/measure.h"

#define BANKS_MAX 4

struct hasher {
    void *ctx;              /* EVP_MD_CTX */
    tdx_hash_alg alg;
    size_t size;
};

/* Parallel contexts, one per bank, fed the same bytes. */
struct hashset {
    struct hasher h[BANKS_MAX];
    size_t n;
};

#define HASHSET_INIT { { { NULL, 0, 0 } }, 0 }

bool hash_alg_known(int alg);

/* Starts one context per algorithm of algs[0..n). */
int hashset_init(struct hashset *hs, const tdx_hash_alg *algs, size_t n, tdx_error *err);
int hashset_update(struct hashset *hs, const void *data, size_t size, tdx_error *err);
/* Writes n digests of TDX_DIGEST_MAX bytes each to out[i]; resets nothing. */
int hashset_final(struct hashset *hs, uint8_t out[][TDX_DIGEST_MAX], tdx_error *err);
void hashset_free(struct hashset *hs);

/* One-shot digest of a buffer. */
int digest_buf(tdx_hash_alg alg, const void *data, size_t size, uint8_t *out, tdx_error *err);

/* reg := H(reg || digest), the extend operation of TPM PCRs and TDX RTMRs. */
int digest_extend(tdx_hash_alg alg, uint8_t *reg, const uint8_t *digest, tdx_error *err);

#endif
