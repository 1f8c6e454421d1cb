/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the .modinfo reader of kernel modules (ELF64 section
 * headers, NUL-separated key=value strings, depends= lists). */
#include <stdint.h>
#include <stdlib.h>

#include "build/build-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = NULL, **deps = NULL;
    if (modinfo_parse(data, size, "fuzz.ko", &name, &deps, NULL) == 0) {
        free(name);
        strv_free(deps);
    }
    return 0;
}
