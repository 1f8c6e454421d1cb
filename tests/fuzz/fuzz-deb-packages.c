/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a Packages index — stanzas, lookups by name with version
 * ordering, the metapackage rule and Filename checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packages p;
    tdx_error err = TDX_ERROR_INIT;
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (packages_index(text, size, "fuzz", &p, &err) < 0)
        return 0;
    for (size_t i = 0; i < p.n && i < 64; i++) {
        char name[128], *dep = NULL, *version = NULL, *filename;
        const struct pkg_entry *e = &p.entries[i];
        bool oom = false;

        snprintf(name, sizeof(name), "%.*s", (int)(e->name_len < 100 ? e->name_len : 100), e->name);
        e = packages_best(&p, name, "amd64");
        if (e && packages_single_exact_depends(e, &dep, &version)) {
            packages_best(&p, dep, "amd64");
            free(dep);
            free(version);
        }
        filename = e ? deb822_dup(e->stanza, e->len, "Filename", &oom) : NULL;
        if (filename)
            deb_filename_safe(filename);
        free(filename);
    }
    if (p.n >= 2) {
        bool oom = false;
        char *a = deb822_dup(p.entries[0].stanza, p.entries[0].len, "Version", &oom);
        char *b = deb822_dup(p.entries[1].stanza, p.entries[1].len, "Version", &oom);
        /* The order must be antisymmetric. */
        if (a && b) {
            int x = deb_version_compare(a, b), y = deb_version_compare(b, a);
            if ((x < 0) != (y > 0) || (x == 0) != (y == 0))
                abort();
        }
        free(a);
        free(b);
    }
    packages_free(&p);
    return 0;
}
