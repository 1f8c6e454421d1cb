/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic glue of attested secret delivery (docs/secrets.md),
 * the same on both sides:
 *   REPORTDATA = SHA-512("tdx-secrets-v1" || 0x00 || nonce || public key)
 * binds the agent's one-use X25519 key to the host's nonce in the quote;
 * the secrets are sealed with HPKE (hpke.h) to that key, with
 *   info = "tdx-secrets-v1" || 0x00 || nonce,   aad = challenge id,
 * so a sealed message opens only for the challenge it answers.
 */
#ifndef TDX_SHARED_SECRETS_PROTO_H
#define TDX_SHARED_SECRETS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "hpke.h"

#define SECRETS_LABEL "tdx-secrets-v1"
#define SECRETS_NONCE_SIZE 32
#define SECRETS_REPORT_DATA_SIZE 64
#define SECRETS_CHALLENGE_ID_MAX 64          /* characters on the wire */
#define SECRETS_INFO_SIZE (sizeof(SECRETS_LABEL) + SECRETS_NONCE_SIZE)   /* label, NUL, nonce */

/* 0, or -EIO when OpenSSL fails. */
int secrets_report_data(const uint8_t nonce[SECRETS_NONCE_SIZE], const uint8_t public_key[HPKE_NPK],
                        uint8_t out[SECRETS_REPORT_DATA_SIZE]);

/* The HPKE info for a nonce: SECRETS_INFO_SIZE bytes. */
void secrets_hpke_info(const uint8_t nonce[SECRETS_NONCE_SIZE], uint8_t out[SECRETS_INFO_SIZE]);

#endif
