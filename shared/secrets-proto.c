/* SPDX-License-Identifier: MIT */
#include "secrets-proto.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

int secrets_report_data(const uint8_t nonce[SECRETS_NONCE_SIZE], const uint8_t public_key[HPKE_NPK],
                        uint8_t out[SECRETS_REPORT_DATA_SIZE])
{
    uint8_t buf[sizeof(SECRETS_LABEL) + SECRETS_NONCE_SIZE + HPKE_NPK];
    unsigned int n = 0;

    memcpy(buf, SECRETS_LABEL, sizeof(SECRETS_LABEL));   /* with its NUL: the 0x00 separator */
    memcpy(buf + sizeof(SECRETS_LABEL), nonce, SECRETS_NONCE_SIZE);
    memcpy(buf + sizeof(SECRETS_LABEL) + SECRETS_NONCE_SIZE, public_key, HPKE_NPK);
    if (EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha512(), NULL) != 1 ||
        n != SECRETS_REPORT_DATA_SIZE)
        return -EIO;
    return 0;
}

void secrets_hpke_info(const uint8_t nonce[SECRETS_NONCE_SIZE], uint8_t out[SECRETS_INFO_SIZE])
{
    memcpy(out, SECRETS_LABEL, sizeof(SECRETS_LABEL));
    memcpy(out + sizeof(SECRETS_LABEL), nonce, SECRETS_NONCE_SIZE);
}
