/* SPDX-License-Identifier: MIT */
/* The real quotes and collateral in tests/data/testdata, for the quote suites. */
#ifndef TDX_TESTS_QUOTES_H
#define TDX_TESTS_QUOTES_H

#include <stddef.h>
#include <stdint.h>

#include "tdxhost/tdxhost.h"

struct real_quote {
    const char *file;           /* below quotes/ */
    unsigned version, body_type;
    size_t trailing;
    const char *fmspc;          /* from the collateral published with it, else NULL */
    int debug;                  /* TDATTRIBUTES.DEBUG set */
    int sept_ve;                /* TDATTRIBUTES.SEPT_VE_DISABLE clear: refused unless allowed */
    const char *mrservicetd;    /* non-zero MRSERVICETD (hex): refused unless expected */
};

/* Options that state what a real quote needs allowed: DEBUG, a clear
 * SEPT_VE_DISABLE, its MRSERVICETD (into servicetd, which o then borrows). */
void allow_real_quote(const struct real_quote *r, tdx_verify_options *o, uint8_t servicetd[48]);

extern const struct real_quote real_quotes[];
extern const size_t n_real_quotes;

/* "<source>/tests/data/testdata/<rel>" */
const char *testdata(const char *rel);


/* Reads a test data file; aborts the test if it cannot. */
uint8_t *read_testdata(const char *rel, size_t *size);

/* Parses bytes and verifies them; returns the failed step (NONE on
 * success, PARSE when the bytes do not parse) and the message. */
tdx_verify_step verify_bytes(tdx_verifier *v, const uint8_t *data, size_t size, const tdx_verify_options *o,
                             char *message, size_t message_size);

/* Unix time of an RFC 3339 string (aborts on a bad one). */
long long at(const char *rfc3339);

#endif
