/* SPDX-License-Identifier: MIT */
/* libFuzzer target: text that carries secret values, read as the host reads
 * a secrets file (JSON with raw values, or NAME=value lines) and as the
 * agent reads an opened delivery (JSON, strings only), plus the strict JSON
 * check secrets of kind json pass. Whatever parses must serialise and read
 * back to the same set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-strict.h"
#include "secret-set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct secret_set *s)
{
    struct secret_set back = SECRET_SET_INIT;
    char msg[512], *json;
    size_t len;

    if (secret_set_to_json(s, &json, &len) < 0)
        return;
    if (secret_set_parse_json("again", json, len, false, &back, msg, sizeof(msg)) < 0 ||
        back.n != s->n)
        abort();
    for (size_t i = 0; i < s->n; i++) {
        const struct secret_value *v = secret_set_find(&back, s->items[i].name);
        if (!v || v->len != s->items[i].len || memcmp(v->value, s->items[i].value, v->len) != 0)
            abort();
    }
    secret_set_wipe(&back);
    secret_buffer_free(json, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct secret_set s = SECRET_SET_INIT;
    const char *text = (const char *)data;
    char msg[512];
    size_t pos;

    if (size > SECRET_FILE_MAX)
        return 0;
    for (int raw = 0; raw < 2; raw++) {
        if (secret_set_parse_json("in", text, size, raw, &s, msg, sizeof(msg)) == 0)
            round_trip(&s);
        else if (s.n != 0 || !memchr(msg, '\0', sizeof(msg)))
            abort();
        secret_set_wipe(&s);
    }
    if (secret_set_parse_env("in", text, size, &s, msg, sizeof(msg)) == 0)
        round_trip(&s);
    secret_set_wipe(&s);
    (void)json_strict_check(text, size, 64, &pos);
    return 0;
}
