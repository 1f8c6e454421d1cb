/* SPDX-License-Identifier: MIT */
/*
 * The text forms of a secret sender's X25519 public key (docs/secrets.md):
 * a recipe may give 64 hex digits or base64 of the 32 bytes; the manifest
 * the agent reads always holds the hex form, and `tdxctl secrets keygen`
 * prints base64 (as WireGuard keys look). libc only.
 */
#ifndef TDX_SHARED_SENDER_KEY_H
#define TDX_SHARED_SENDER_KEY_H

#include <stdint.h>

#define SENDER_KEY_SIZE 32
#define SENDER_KEY_HEX_LEN 64
#define SENDER_KEY_BASE64_LEN 44

/* Parses hex or base64 text into out. NULL, or why the text is not a key
 * (a phrase for "public_key: <why>"). */
const char *sender_key_parse(const char *text, uint8_t out[SENDER_KEY_SIZE]);

#endif
