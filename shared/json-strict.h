/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON (RFC 8259) reader for text that carries secret values: it
 * checks and decodes in place and never allocates, so no copy of a value
 * is left behind in freed memory (jansson's would be). Strings must be
 * valid UTF-8 with no unescaped control characters and no lone surrogate
 * escapes; \u0000 is refused, as everywhere in the protocol.
 */
#ifndef TDX_SHARED_JSON_STRICT_H
#define TDX_SHARED_JSON_STRICT_H

#include <stddef.h>

struct json_cursor {
    const char *s;
    size_t len;
    size_t pos;   /* where reading stopped: past the value, or at the problem */
};

void json_skip_ws(struct json_cursor *c);

/* Checks one value at c->pos (nested at most depth_left levels) and moves
 * past it. Returns NULL, or a phrase saying what is wrong at c->pos. */
const char *json_strict_value(struct json_cursor *c, unsigned depth_left);

/* Decodes the string at c->pos (its opening quote) into out, which has
 * room for the string's raw length (decoding never grows it), plus a NUL;
 * *out_len receives the decoded length. out may be NULL to only check.
 * Errors as json_strict_value(). */
const char *json_strict_string(struct json_cursor *c, char *out, size_t *out_len);

/* The whole text is one JSON value, with optional whitespace around it.
 * NULL, or a phrase with *err_pos at the problem. */
const char *json_strict_check(const char *s, size_t len, unsigned max_depth, size_t *err_pos);

/* 1-based line and column of byte pos, for messages. */
void json_line_column(const char *s, size_t pos, unsigned *line, unsigned *column);

#endif
