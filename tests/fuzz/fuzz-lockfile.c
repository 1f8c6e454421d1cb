/* SPDX-License-Identifier: MIT */
/* libFuzzer target: tdx.lock. Whatever loads must render to text that loads
 * again and renders the same (the canonical form is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL, *again = NULL;
    char *text = NULL, *text2 = NULL;

    if (tdx_lock_load_buffer(&lock, "fuzz.lock", (const char *)data, size, &err) < 0)
        return 0;
    if (tdx_lock_to_json(lock, &text, &err) == 0) {
        if (tdx_lock_load_buffer(&again, "fuzz.lock", text, strlen(text), &err) < 0)
            abort();
        if (tdx_lock_to_json(again, &text2, &err) < 0 || strcmp(text, text2) != 0)
            abort();
    }
    tdx_free(text);
    tdx_free(text2);
    tdx_lock_free(again);
    tdx_lock_free(lock);
    return 0;
}
