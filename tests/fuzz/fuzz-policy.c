/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a policy file, loaded and applied to options. File
 * names it mentions resolve under /nonexistent, so nothing outside is read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_policy *p = NULL;

    if (tdx_policy_load_buffer(&p, "fuzz.json", "/nonexistent", (const char *)data, size, &err) == 0) {
        if (tdx_policy_verify_options(p, &o, &err) < 0 || tdx_policy_verifier_options(p, &vo, &err) < 0)
            abort();
        tdx_policy_free(p);
    }
    return 0;
}
