/* SPDX-License-Identifier: MIT */
#include "sender-key.h"

#include <string.h>

#include "base64.h"
#include "hex.h"

const char *sender_key_parse(const char *text, uint8_t out[SENDER_KEY_SIZE])
{
    size_t len = strlen(text);

    if (len == SENDER_KEY_HEX_LEN && hex_decode(text, out, SENDER_KEY_SIZE) == SENDER_KEY_SIZE)
        return NULL;
    if (len == SENDER_KEY_BASE64_LEN &&
        base64_decode(text, len, out, SENDER_KEY_SIZE) == SENDER_KEY_SIZE)
        return NULL;
    memset(out, 0, SENDER_KEY_SIZE);
    return "expected an X25519 public key: 64 hex digits or 44 characters of base64";
}
