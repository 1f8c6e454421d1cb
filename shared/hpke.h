/* SPDX-License-Identifier: MIT */
/*
 * HPKE (RFC 9180), base and auth modes, with the one suite secret delivery uses:
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (ids 0x0020,
 * 0x0001, 0x0001). Built on OpenSSL's X25519, HMAC-SHA256 and AES-GCM;
 * OpenSSL 3.0 has no HPKE of its own.
 *
 * Every function wipes the intermediate secrets it made before returning.
 * A context holds key material: end it with hpke_ctx_wipe().
 */
#ifndef TDX_SHARED_HPKE_H
#define TDX_SHARED_HPKE_H

#include <stddef.h>
#include <stdint.h>

#define HPKE_NPK 32      /* public key (X25519) */
#define HPKE_NSK 32      /* private key */
#define HPKE_NENC 32     /* encapsulated key: the sender's ephemeral public key */
#define HPKE_NK 16       /* AEAD key */
#define HPKE_NN 12       /* AEAD nonce */
#define HPKE_NT 16       /* AEAD tag */
#define HPKE_NH 32       /* KDF output */
#define HPKE_INFO_MAX 1024
#define HPKE_IKM_MAX 1024

struct hpke_ctx {
    uint8_t key[HPKE_NK];
    uint8_t base_nonce[HPKE_NN];
    uint8_t exporter_secret[HPKE_NH];
    uint64_t seq;
};

/* A fresh key pair from the OpenSSL CSPRNG. 0 or -EIO. */
int hpke_keypair_generate(uint8_t sk[HPKE_NSK], uint8_t pk[HPKE_NPK]);

/* DeriveKeyPair(ikm) of RFC 9180 §7.1.3 (ikm at least 32 bytes, at most
 * HPKE_IKM_MAX). 0, -EINVAL, -EIO. */
int hpke_keypair_derive(const uint8_t *ikm, size_t ikm_len, uint8_t sk[HPKE_NSK],
                        uint8_t pk[HPKE_NPK]);

/*
 * SetupBaseS: encapsulates to pk_r and derives the sender's context.
 * ephemeral_sk is NULL in real use (a fresh key is made); tests pass the
 * RFC's skEm to reproduce its vectors.
 * Returns 0, -EINVAL (info too long), -EKEYREJECTED (pk_r is a low-order
 * point: the shared secret would be zero), -EIO (OpenSSL failed).
 */
int hpke_setup_base_s(const uint8_t pk_r[HPKE_NPK], const uint8_t *info, size_t info_len,
                      const uint8_t *ephemeral_sk, uint8_t enc[HPKE_NENC], struct hpke_ctx *ctx);

/* SetupBaseR: decapsulates enc with sk_r. Errors as hpke_setup_base_s(). */
int hpke_setup_base_r(const uint8_t sk_r[HPKE_NSK], const uint8_t enc[HPKE_NENC],
                      const uint8_t *info, size_t info_len, struct hpke_ctx *ctx);

/*
 * SetupAuthS (§5.1.3): as SetupBaseS, and the sender's static key sk_s
 * enters the KEM (a second DH with pk_r), so only the holder of sk_s can
 * make a message that opens with SetupAuthR(pk_s). Errors as above.
 */
int hpke_setup_auth_s(const uint8_t pk_r[HPKE_NPK], const uint8_t sk_s[HPKE_NSK],
                      const uint8_t *info, size_t info_len, const uint8_t *ephemeral_sk,
                      uint8_t enc[HPKE_NENC], struct hpke_ctx *ctx);

/* SetupAuthR: decapsulates enc with sk_r for a message from pk_s. A
 * message from any other sender then fails to open (-EBADMSG). */
int hpke_setup_auth_r(const uint8_t sk_r[HPKE_NSK], const uint8_t enc[HPKE_NENC],
                      const uint8_t pk_s[HPKE_NPK], const uint8_t *info, size_t info_len,
                      struct hpke_ctx *ctx);

/* The public key of a private key. 0 or -EIO. */
int hpke_public_key(const uint8_t sk[HPKE_NSK], uint8_t pk[HPKE_NPK]);

/* Seals pt into ct (pt_len + HPKE_NT bytes) with the next sequence number.
 * 0, -EOVERFLOW (sequence numbers used up), -EIO. */
int hpke_seal(struct hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
              size_t pt_len, uint8_t *ct);

/* Opens ct (at least HPKE_NT bytes) into pt (ct_len - HPKE_NT bytes). On
 * -EBADMSG (not authentic) pt is zeroed and the sequence number is not
 * advanced. 0, -EBADMSG, -EINVAL, -EOVERFLOW, -EIO. */
int hpke_open(struct hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *ct,
              size_t ct_len, uint8_t *pt);

/* Export(exporter_context, L), L at most 255 * HPKE_NH. 0, -EINVAL, -EIO. */
int hpke_export(const struct hpke_ctx *ctx, const uint8_t *exporter_context, size_t context_len,
                uint8_t *out, size_t out_len);

void hpke_ctx_wipe(struct hpke_ctx *ctx);

#endif
