/* SPDX-License-Identifier: MIT */
/*
 * Growable, always NUL-terminated byte buffer.
 *
 * Appends after an allocation failure are ignored and the buffer remembers
 * the failure, so code that renders a long text can append freely and check
 * strbuf_error() once at the end.
 */
#ifndef TDX_SHARED_STRBUF_H
#define TDX_SHARED_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct strbuf {
    char *data;  /* NUL-terminated once anything was appended; may be NULL while empty */
    size_t len;  /* bytes used, excluding the terminating NUL */
    size_t cap;  /* bytes allocated */
    int failed;  /* negative errno of the first failure, else 0 */
    int wipe;    /* growing copies into a new block and wipes the old one */
} strbuf;

#define STRBUF_INIT { NULL, 0, 0, 0, 0 }
/* For text that holds secrets: realloc() would leave the old block, with
 * the secret in it, in freed memory; this buffer never does. Free it with
 * strbuf_wipe_free(). */
#define STRBUF_SECRET_INIT { NULL, 0, 0, 0, 1 }

int strbuf_grow(strbuf *sb, size_t extra);
int strbuf_append(strbuf *sb, const void *data, size_t n);
int strbuf_puts(strbuf *sb, const char *s);
int strbuf_putc(strbuf *sb, char c);
int strbuf_printf(strbuf *sb, const char *fmt, ...) _printf_(2, 3);
int strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap) _printf_(2, 0);

/* Returns 0, or the negative errno of the first failed append. */
static inline int strbuf_error(const strbuf *sb)
{
    return sb->failed;
}

/* Contents as a string; "" while empty. Borrowed, valid until the next append. */
static inline const char *strbuf_str(const strbuf *sb)
{
    return sb->data ? sb->data : "";
}

void strbuf_truncate(strbuf *sb, size_t len);

/* Hands the buffer to the caller (free() it); the strbuf is reset. Never NULL
 * unless allocation failed; *len (optional) receives the length. */
char *strbuf_steal(strbuf *sb, size_t *len);

void strbuf_free(strbuf *sb);

/* Like strbuf_free(), but first overwrites the contents: for buffers that held secrets. */
void strbuf_wipe_free(strbuf *sb);

#endif
