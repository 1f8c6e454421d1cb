/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the dependency closure over a Packages index —
 * Depends/Pre-Depends groups, alternatives, version constraints, :arch
 * qualifiers and Provides — from the first package of the index. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb-internal.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packages p;
    tdx_deb_index *x = NULL;
    char *text = malloc(size + 1), name[128], **deps = NULL;
    char *roots[2] = { name, NULL }, *exclude[2] = { "excluded", NULL };

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (packages_index(text, size, "fuzz", &p, NULL) < 0)
        return 0;
    if (p.n == 0) {
        packages_free(&p);
        return 0;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(p.entries[0].name_len < 100 ? p.entries[0].name_len : 100),
             p.entries[0].name);
    if (deb_index_from_packages(&x, &p, "amd64") < 0)
        return 0;
    if (deb_closure(x, roots, exclude, &deps, NULL) == 0) {
        /* The closure never holds the root or an excluded package. */
        if (strv_contains(deps, name) || strv_contains(deps, "excluded"))
            abort();
        strv_free(deps);
    }
    tdx_deb_index_free(x);
    return 0;
}
