/* SPDX-License-Identifier: MIT */
/* libFuzzer target: recipe JSON -> image -> every profile resolved, rendered
 * as JSON and compiled into an in-memory mkosi tree. Relative paths point
 * into a directory that does not exist, so the input alone decides. */
#include <stdint.h>

#include "emit/emit-internal.h"
#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;

    if (tdx_image_load_buffer(&image, "fuzz.json", (const char *)data, size,
                              "/nonexistent-tdx-fuzz", &err) < 0)
        return 0;
    for (size_t p = 0; p < tdx_image_profile_count(image); p++) {
        struct recipe *r = NULL;
        struct flat flat = FLAT_INIT;
        char *text = NULL;

        if (tdx_image_effective_json(image, tdx_image_profile_name(image, p), &text, &err) == 0)
            tdx_free(text);
        if (recipe_resolve(image, p, &r, &err) < 0)
            continue;
        /* Builders copy host directories; an absolute src in an input would
         * make a run walk the file system, so leave those to the unit tests. */
        if (r->builds.n == 0)
            emit_flat(r, NULL, &flat, &err);
        flat_free(&flat);
        recipe_free(r);
    }
    tdx_image_free(image);
    return 0;
}
