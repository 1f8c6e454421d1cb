/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an environment file as the agent reads its own back at
 * start (systemd's EnvironmentFile= rules). Whatever parses is written
 * again the agent's way and must read back to the same assignments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pairs {
    strbuf text;
    char **keys, **values;
    size_t *lens, n;
    size_t checked;
};

static int keep(const char *key, const char *value, size_t len, void *userdata)
{
    struct pairs *p = userdata;
    char **k = realloc(p->keys, (p->n + 1) * sizeof(*k)), **v;
    size_t *l;
    if (!k)
        return -12;
    p->keys = k;
    v = realloc(p->values, (p->n + 1) * sizeof(*v));
    if (!v)
        return -12;
    p->values = v;
    l = realloc(p->lens, (p->n + 1) * sizeof(*l));
    if (!l)
        return -12;
    p->lens = l;
    p->keys[p->n] = strdup(key);
    p->values[p->n] = malloc(len + 1);
    if (!p->keys[p->n] || !p->values[p->n])
        abort();
    memcpy(p->values[p->n], value, len + 1);
    p->lens[p->n++] = len;
    return 0;
}

static int again(const char *key, const char *value, size_t len, void *userdata)
{
    struct pairs *p = userdata;
    size_t i = p->checked++;
    if (i >= p->n || strcmp(key, p->keys[i]) || len != p->lens[i] ||
        memcmp(value, p->values[i], len))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pairs p = { STRBUF_INIT, NULL, NULL, NULL, 0, 0 };
    bool written = true;

    if (env_file_parse((const char *)data, size, keep, &p) == 0) {
        /* Keys the agent writes are names; others cannot be written back. */
        for (size_t i = 0; i < p.n && written; i++)
            written = p.keys[i][0] && !strpbrk(p.keys[i], "=\n\r \t#;'\"\\") &&
                      env_file_append(&p.text, p.keys[i], p.values[i], p.lens[i]) == 0;
        if (written && env_file_parse(strbuf_str(&p.text), p.text.len, again, &p) == 0 &&
            p.checked != p.n)
            abort();
    }
    for (size_t i = 0; i < p.n; i++) {
        free(p.keys[i]);
        free(p.values[i]);
    }
    free(p.keys);
    free(p.values);
    free(p.lens);
    strbuf_free(&p.text);
    return 0;
}
