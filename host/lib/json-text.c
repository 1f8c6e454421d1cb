/* SPDX-License-Identifier: MIT */
#include "json-text.h"

#include <stdlib.h>
#include <string.h>

char *json_canonical_text(const json_t *root)
{
    char *text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2)), *t;
    size_t n;

    if (!text)
        return NULL;
    /* json_dumps gives no trailing newline; callers print, hash or save the text. */
    n = strlen(text);
    t = realloc(text, n + 2);
    if (!t) {
        free(text);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}
