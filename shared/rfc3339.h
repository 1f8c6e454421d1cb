/* SPDX-License-Identifier: MIT */
/* RFC 3339 timestamps, as Intel's collateral and `tdxctl --now` write them. */
#ifndef TDX_SHARED_RFC3339_H
#define TDX_SHARED_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS" + optional fraction (dropped) + "Z" or "+HH:MM" /
 * "-HH:MM"; 'T'/'Z' may be lowercase. Years 1970-9999. Returns 0 and the
 * Unix time in *out, or -EINVAL. */
int rfc3339_parse(const char *s, int64_t *out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL) for t in UTC.
 * Times outside years 0-9999 are written as "(invalid time)". */
#define RFC3339_SIZE 21
void rfc3339_format(int64_t t, char out[RFC3339_SIZE]);

#endif
