/* SPDX-License-Identifier: MIT */
/* libFuzzer target: quote bytes -> parse -> every field, JSON, and the
 * cryptographic verification steps (certificate chain parsing included)
 * against the built-in Intel root. */
#include <stdint.h>
#include <stdlib.h>

#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tdx_verifier *verifier;
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    tdx_verification *res = NULL;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    char *json = NULL;

    if (!verifier && tdx_verifier_new(&verifier, NULL, &err) < 0)
        abort();
    if (tdx_quote_parse(&q, data, size, &err) < 0)
        return 0;
    for (int f = 0; f < TDX_QUOTE_FIELD_COUNT; f++) {
        const uint8_t *p;
        size_t n;
        volatile uint8_t sink = 0;
        if (tdx_quote_get_field(q, (tdx_quote_field)f, &p, &n) == 0)
            for (size_t i = 0; i < n; i++)
                sink ^= p[i];
        (void)sink;
    }
    if (tdx_quote_to_json(q, &json, &err) == 0)
        tdx_free(json);
    o.now = 1750000000;     /* fixed, so runs repeat */
    tdx_verifier_verify(verifier, q, &o, &res, &err);
    if (res && tdx_verification_to_json(res, &json, &err) == 0)
        tdx_free(json);
    tdx_verification_free(res);
    tdx_quote_free(q);
    return 0;
}
