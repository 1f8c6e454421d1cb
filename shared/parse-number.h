/* SPDX-License-Identifier: MIT */
/*
 * Range-checked numbers from text: the one parser every option, config key
 * and manifest field that takes a number goes through.
 *
 * Why one: `(int)strtol(...)` wraps (`--cpus 4294967297` became 1) and each
 * hand-rolled copy had its own idea of what "0x10", " 5", "5k" or "" meant.
 * These accept plain decimal only (no sign, no spaces, no base prefix), so a
 * value means the same thing wherever it is written.
 */
#ifndef TDX_SHARED_PARSE_NUMBER_H
#define TDX_SHARED_PARSE_NUMBER_H

#include <stdint.h>

/* Decimal digits only. Returns 0 and sets *out, -EINVAL when s is not a
 * decimal number (empty, sign, space, trailing junk), -ERANGE when it is
 * outside [min, max]. *out is untouched on failure. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A size in bytes: decimal digits with an optional suffix K, M, G or T
 * (powers of 1024; case-insensitive; "KiB"/"MB"-style spellings are not
 * accepted, to keep one spelling). "2G" = 2147483648. Same returns as
 * parse_u64(); a value that overflows 64 bits is -ERANGE. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
