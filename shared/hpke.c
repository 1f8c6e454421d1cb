/* SPDX-License-Identifier: MIT */
/* RFC 9180 section numbers are given where a step is defined. */
#include "hpke.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#include "macro.h"

#define KEM_ID 0x0020
#define KDF_ID 0x0001
#define AEAD_ID 0x0001
#define MODE_BASE 0x00
#define MODE_AUTH 0x02
#define AEAD_MAX ((size_t)1 << 30)   /* EVP's int lengths, with room to spare */

/* "KEM" || I2OSP(kem_id, 2) (§4.1) and "HPKE" || ids (§5.1). */
static const uint8_t suite_kem[] = { 'K', 'E', 'M', KEM_ID >> 8, KEM_ID & 0xff };
static const uint8_t suite_hpke[] = { 'H', 'P', 'K', 'E', KEM_ID >> 8, KEM_ID & 0xff,
                                      KDF_ID >> 8, KDF_ID & 0xff, AEAD_ID >> 8, AEAD_ID & 0xff };

struct suite {
    const uint8_t *id;
    size_t len;
};
static const struct suite KEM = { suite_kem, sizeof(suite_kem) };
static const struct suite HPKE = { suite_hpke, sizeof(suite_hpke) };

/* Room for a labeled input: 2 + "HPKE-v1" + suite id + label + payload. */
#define LABELED_MAX (2 + 7 + sizeof(suite_hpke) + 32 + HPKE_INFO_MAX + 2 * HPKE_NH)

static int hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                       uint8_t out[HPKE_NH])
{
    static const uint8_t zeros[HPKE_NH];
    unsigned int n = 0;
    /* An empty salt is HashLen zeros (RFC 5869 §2.2); HMAC pads keys with
     * zeros anyway, and OpenSSL wants a non-NULL key. */
    if (key_len == 0)
        key = zeros, key_len = sizeof(zeros);
    if (key_len > INT_MAX || !HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) ||
        n != HPKE_NH)
        return -EIO;
    return 0;
}

/* LabeledExtract(salt, label, ikm) (§4). */
static int labeled_extract(const struct suite *s, const uint8_t *salt, size_t salt_len,
                           const char *label, const uint8_t *ikm, size_t ikm_len,
                           uint8_t prk[HPKE_NH])
{
    uint8_t buf[LABELED_MAX];
    size_t n = 0, label_len = strlen(label);
    int r;

    if (ikm_len > HPKE_INFO_MAX + 2 * HPKE_NH)
        return -EINVAL;
    memcpy(buf, "HPKE-v1", 7), n += 7;
    memcpy(buf + n, s->id, s->len), n += s->len;
    memcpy(buf + n, label, label_len), n += label_len;
    if (ikm_len)
        memcpy(buf + n, ikm, ikm_len), n += ikm_len;
    r = hmac_sha256(salt, salt_len, buf, n, prk);
    OPENSSL_cleanse(buf, n);
    return r;
}

/* LabeledExpand(prk, label, info, L) (§4), HKDF-Expand (RFC 5869 §2.3). */
static int labeled_expand(const struct suite *s, const uint8_t prk[HPKE_NH], const char *label,
                          const uint8_t *info, size_t info_len, uint8_t *out, size_t L)
{
    uint8_t labeled[LABELED_MAX], block[HPKE_NH + LABELED_MAX + 1], t[HPKE_NH];
    size_t n = 0, label_len = strlen(label), done = 0;
    int r = 0;

    if (L == 0 || L > 255 * HPKE_NH || info_len > HPKE_INFO_MAX + 2 * HPKE_NH)
        return -EINVAL;
    labeled[n++] = (uint8_t)(L >> 8);
    labeled[n++] = (uint8_t)L;
    memcpy(labeled + n, "HPKE-v1", 7), n += 7;
    memcpy(labeled + n, s->id, s->len), n += s->len;
    memcpy(labeled + n, label, label_len), n += label_len;
    if (info_len)
        memcpy(labeled + n, info, info_len), n += info_len;

    for (unsigned i = 1; done < L && r == 0; i++) {
        size_t m = 0, take;
        if (i > 1)
            memcpy(block, t, HPKE_NH), m = HPKE_NH;
        memcpy(block + m, labeled, n), m += n;
        block[m++] = (uint8_t)i;
        r = hmac_sha256(prk, HPKE_NH, block, m, t);
        take = L - done < HPKE_NH ? L - done : HPKE_NH;
        if (r == 0)
            memcpy(out + done, t, take);
        done += take;
    }
    OPENSSL_cleanse(labeled, sizeof(labeled));
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(t, sizeof(t));
    if (r < 0)
        OPENSSL_cleanse(out, L);
    return r;
}

static int public_from_private(const uint8_t sk[HPKE_NSK], uint8_t pk[HPKE_NPK])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, HPKE_NSK);
    size_t len = HPKE_NPK;
    int ok = key && EVP_PKEY_get_raw_public_key(key, pk, &len) == 1 && len == HPKE_NPK;
    EVP_PKEY_free(key);
    return ok ? 0 : -EIO;
}

int hpke_keypair_generate(uint8_t sk[HPKE_NSK], uint8_t pk[HPKE_NPK])
{
    /* X25519 clamps any 32 bytes into a private key (RFC 7748 §5). */
    if (RAND_priv_bytes(sk, HPKE_NSK) != 1 || public_from_private(sk, pk) < 0) {
        OPENSSL_cleanse(sk, HPKE_NSK);
        return -EIO;
    }
    return 0;
}

int hpke_keypair_derive(const uint8_t *ikm, size_t ikm_len, uint8_t sk[HPKE_NSK],
                        uint8_t pk[HPKE_NPK])
{
    uint8_t prk[HPKE_NH];
    int r;

    if (ikm_len < HPKE_NSK || ikm_len > HPKE_IKM_MAX)
        return -EINVAL;
    r = labeled_extract(&KEM, NULL, 0, "dkp_prk", ikm, ikm_len, prk);   /* §7.1.3 */
    if (r == 0)
        r = labeled_expand(&KEM, prk, "sk", NULL, 0, sk, HPKE_NSK);
    if (r == 0)
        r = public_from_private(sk, pk);
    OPENSSL_cleanse(prk, sizeof(prk));
    if (r < 0)
        OPENSSL_cleanse(sk, HPKE_NSK);
    return r;
}

static int x25519(const uint8_t sk[HPKE_NSK], const uint8_t pk[HPKE_NPK], uint8_t dh[32])
{
    static const uint8_t zeros[32];
    EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, HPKE_NSK);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, HPKE_NPK);
    EVP_PKEY_CTX *ctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    size_t len = 32;
    int r = -EIO;

    if (ctx && peer && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1)
        /* The one way derivation fails on good keys is an all-zero result
         * (a low-order point), which §7.1.4 says to refuse. */
        r = EVP_PKEY_derive(ctx, dh, &len) == 1 && len == 32 &&
                    CRYPTO_memcmp(dh, zeros, 32) != 0
                ? 0 : -EKEYREJECTED;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(peer);
    if (r < 0)
        OPENSSL_cleanse(dh, 32);
    return r;
}

/* ExtractAndExpand(dh, kem_context) (§4.1): kem_context is enc || pkRm,
 * and || pkSm in auth mode; dh is one DH output, or two in auth mode. */
static int kem_shared_secret(const uint8_t *dh, size_t dh_len, const uint8_t enc[HPKE_NENC],
                             const uint8_t pk_r[HPKE_NPK], const uint8_t *pk_s,
                             uint8_t shared[HPKE_NH])
{
    uint8_t prk[HPKE_NH], kem_context[HPKE_NENC + 2 * HPKE_NPK];
    size_t n = HPKE_NENC + HPKE_NPK;
    int r;

    memcpy(kem_context, enc, HPKE_NENC);
    memcpy(kem_context + HPKE_NENC, pk_r, HPKE_NPK);
    if (pk_s) {
        memcpy(kem_context + n, pk_s, HPKE_NPK);
        n += HPKE_NPK;
    }
    r = labeled_extract(&KEM, NULL, 0, "eae_prk", dh, dh_len, prk);
    if (r == 0)
        r = labeled_expand(&KEM, prk, "shared_secret", kem_context, n, shared, HPKE_NH);
    OPENSSL_cleanse(prk, sizeof(prk));
    return r;
}

/* KeySchedule (§5.1) for mode_base or mode_auth: no PSK either way. */
static int key_schedule(uint8_t mode, const uint8_t shared[HPKE_NH], const uint8_t *info,
                        size_t info_len, struct hpke_ctx *ctx)
{
    uint8_t context[1 + 2 * HPKE_NH], secret[HPKE_NH];
    int r;

    context[0] = mode;
    r = labeled_extract(&HPKE, NULL, 0, "psk_id_hash", NULL, 0, context + 1);
    if (r == 0)
        r = labeled_extract(&HPKE, NULL, 0, "info_hash", info, info_len, context + 1 + HPKE_NH);
    if (r == 0)
        r = labeled_extract(&HPKE, shared, HPKE_NH, "secret", NULL, 0, secret);
    if (r == 0)
        r = labeled_expand(&HPKE, secret, "key", context, sizeof(context), ctx->key, HPKE_NK);
    if (r == 0)
        r = labeled_expand(&HPKE, secret, "base_nonce", context, sizeof(context), ctx->base_nonce,
                           HPKE_NN);
    if (r == 0)
        r = labeled_expand(&HPKE, secret, "exp", context, sizeof(context), ctx->exporter_secret,
                           HPKE_NH);
    ctx->seq = 0;
    OPENSSL_cleanse(secret, sizeof(secret));
    if (r < 0)
        hpke_ctx_wipe(ctx);
    return r;
}

/* Encap and Decap meet here: DH(own, peer), in auth mode followed by the
 * static pair's DH(own2, peer2) (AuthEncap/AuthDecap, §4.1), then
 * ExtractAndExpand and the key schedule. pk_s is NULL in base mode. */
static int setup_from_dh(const uint8_t own_sk[HPKE_NSK], const uint8_t peer_pk[HPKE_NPK],
                         const uint8_t *own2_sk, const uint8_t *peer2_pk,
                         const uint8_t enc[HPKE_NENC], const uint8_t pk_r[HPKE_NPK],
                         const uint8_t *pk_s, const uint8_t *info, size_t info_len,
                         struct hpke_ctx *ctx)
{
    uint8_t dh[64], shared[HPKE_NH];
    size_t dh_len = pk_s ? 64 : 32;
    int r = x25519(own_sk, peer_pk, dh);

    if (r == 0 && pk_s)
        r = x25519(own2_sk, peer2_pk, dh + 32);
    if (r == 0)
        r = kem_shared_secret(dh, dh_len, enc, pk_r, pk_s, shared);
    if (r == 0)
        r = key_schedule(pk_s ? MODE_AUTH : MODE_BASE, shared, info, info_len, ctx);
    OPENSSL_cleanse(dh, sizeof(dh));
    OPENSSL_cleanse(shared, sizeof(shared));
    return r;
}

/* The sender's side of both modes: sk_s NULL for base mode. */
static int setup_s(const uint8_t pk_r[HPKE_NPK], const uint8_t *sk_s, const uint8_t *info,
                   size_t info_len, const uint8_t *ephemeral_sk, uint8_t enc[HPKE_NENC],
                   struct hpke_ctx *ctx)
{
    uint8_t sk_e[HPKE_NSK], pk_s[HPKE_NPK];
    int r = 0;

    if (info_len > HPKE_INFO_MAX)
        return -EINVAL;
    if (sk_s)
        r = public_from_private(sk_s, pk_s);
    if (r == 0 && ephemeral_sk) {
        memcpy(sk_e, ephemeral_sk, HPKE_NSK);
        r = public_from_private(sk_e, enc);
    } else if (r == 0) {
        r = hpke_keypair_generate(sk_e, enc);
    }
    if (r == 0)
        r = setup_from_dh(sk_e, pk_r, sk_s, pk_r, enc, pk_r, sk_s ? pk_s : NULL, info, info_len,
                          ctx);
    OPENSSL_cleanse(sk_e, sizeof(sk_e));
    return r;
}

/* The recipient's side of both modes: pk_s NULL for base mode. */
static int setup_r(const uint8_t sk_r[HPKE_NSK], const uint8_t enc[HPKE_NENC],
                   const uint8_t *pk_s, const uint8_t *info, size_t info_len,
                   struct hpke_ctx *ctx)
{
    uint8_t pk_r[HPKE_NPK];
    int r;

    if (info_len > HPKE_INFO_MAX)
        return -EINVAL;
    r = public_from_private(sk_r, pk_r);
    if (r == 0)
        r = setup_from_dh(sk_r, enc, sk_r, pk_s, enc, pk_r, pk_s, info, info_len, ctx);
    return r;
}

int hpke_setup_base_s(const uint8_t pk_r[HPKE_NPK], const uint8_t *info, size_t info_len,
                      const uint8_t *ephemeral_sk, uint8_t enc[HPKE_NENC], struct hpke_ctx *ctx)
{
    return setup_s(pk_r, NULL, info, info_len, ephemeral_sk, enc, ctx);
}

int hpke_setup_base_r(const uint8_t sk_r[HPKE_NSK], const uint8_t enc[HPKE_NENC],
                      const uint8_t *info, size_t info_len, struct hpke_ctx *ctx)
{
    return setup_r(sk_r, enc, NULL, info, info_len, ctx);
}

int hpke_setup_auth_s(const uint8_t pk_r[HPKE_NPK], const uint8_t sk_s[HPKE_NSK],
                      const uint8_t *info, size_t info_len, const uint8_t *ephemeral_sk,
                      uint8_t enc[HPKE_NENC], struct hpke_ctx *ctx)
{
    return setup_s(pk_r, sk_s, info, info_len, ephemeral_sk, enc, ctx);
}

int hpke_setup_auth_r(const uint8_t sk_r[HPKE_NSK], const uint8_t enc[HPKE_NENC],
                      const uint8_t pk_s[HPKE_NPK], const uint8_t *info, size_t info_len,
                      struct hpke_ctx *ctx)
{
    return setup_r(sk_r, enc, pk_s, info, info_len, ctx);
}

int hpke_public_key(const uint8_t sk[HPKE_NSK], uint8_t pk[HPKE_NPK])
{
    return public_from_private(sk, pk);
}

/* ComputeNonce(seq) (§5.2): base_nonce XOR I2OSP(seq, Nn). */
static void compute_nonce(const struct hpke_ctx *ctx, uint8_t nonce[HPKE_NN])
{
    memcpy(nonce, ctx->base_nonce, HPKE_NN);
    for (int i = 0; i < 8; i++)
        nonce[HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

static int aead(bool seal, const struct hpke_ctx *ctx, const uint8_t *aad, size_t aad_len,
                const uint8_t *in, size_t in_len, uint8_t *out, uint8_t tag[HPKE_NT])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t nonce[HPKE_NN];
    int n, ok;

    if (!c)
        return -EIO;
    compute_nonce(ctx, nonce);
    ok = EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, seal) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, HPKE_NN, NULL) == 1 &&
         EVP_CipherInit_ex(c, NULL, NULL, ctx->key, nonce, seal) == 1 &&
         (aad_len == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
         (in_len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1) &&
         (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, HPKE_NT, tag) == 1);
    if (ok && seal)
        ok = EVP_CipherFinal_ex(c, out + in_len, &n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, HPKE_NT, tag) == 1;
    else if (ok)
        ok = EVP_CipherFinal_ex(c, out + in_len, &n) == 1 ? 1 : -1;
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(nonce, sizeof(nonce));
    if (ok == 1)
        return 0;
    if (in_len)
        OPENSSL_cleanse(out, in_len);
    return ok < 0 ? -EBADMSG : -EIO;
}

int hpke_seal(struct hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
              size_t pt_len, uint8_t *ct)
{
    int r;
    if (pt_len > AEAD_MAX || aad_len > AEAD_MAX)
        return -EINVAL;
    if (ctx->seq == UINT64_MAX)
        return -EOVERFLOW;
    r = aead(true, ctx, aad, aad_len, pt, pt_len, ct, ct + pt_len);
    if (r == 0)
        ctx->seq++;
    return r;
}

int hpke_open(struct hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *ct,
              size_t ct_len, uint8_t *pt)
{
    uint8_t tag[HPKE_NT];
    int r;

    if (ct_len < HPKE_NT || ct_len - HPKE_NT > AEAD_MAX || aad_len > AEAD_MAX)
        return -EINVAL;
    if (ctx->seq == UINT64_MAX)
        return -EOVERFLOW;
    memcpy(tag, ct + ct_len - HPKE_NT, HPKE_NT);
    r = aead(false, ctx, aad, aad_len, ct, ct_len - HPKE_NT, pt, tag);
    if (r == 0)
        ctx->seq++;
    return r;
}

int hpke_export(const struct hpke_ctx *ctx, const uint8_t *exporter_context, size_t context_len,
                uint8_t *out, size_t out_len)
{
    if (context_len > HPKE_INFO_MAX)
        return -EINVAL;
    return labeled_expand(&HPKE, ctx->exporter_secret, "sec", exporter_context, context_len, out,
                          out_len);
}

void hpke_ctx_wipe(struct hpke_ctx *ctx)
{
    OPENSSL_cleanse(ctx, sizeof(*ctx));
}
