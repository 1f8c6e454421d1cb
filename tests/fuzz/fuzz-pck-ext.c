/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the DER walk over a PCK certificate's SGX extension. */
#include <stdint.h>

#include "quote/pck-ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pck_ext ext;
    char why[160];
    pck_ext_parse(data, size, &ext, why, sizeof(why));
    return 0;
}
