/* SPDX-License-Identifier: MIT */
/*
 * A set of secret values by name: what a host reads from a secrets file,
 * seals, and what the agent opens and writes. Values are UTF-8 text without
 * NUL (every manifest kind is text), held in buffers allocated once at
 * their final size and overwritten before they are freed; nothing here
 * ever puts a value in a message.
 */
#ifndef TDX_SHARED_SECRET_SET_H
#define TDX_SHARED_SECRET_SET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_SET_MAX 4096                    /* names in one set */
#define SECRET_SET_BYTES_MAX (1024 * 1024)     /* sum of the values' lengths */
#define SECRET_FILE_MAX (4 * 1024 * 1024)      /* a secrets file on the host */
#define SECRET_NAME_MAX 64

struct secret_value {
    char name[SECRET_NAME_MAX + 1];
    char *value;     /* NUL-terminated; len bytes before the NUL */
    size_t len;
};

struct secret_set {
    struct secret_value *items;
    size_t n, cap;
    size_t total;    /* sum of len */
};

#define SECRET_SET_INIT { NULL, 0, 0, 0 }

/*
 * Adds a copy of value under name. Returns 0; -EINVAL (bad name, NUL or
 * invalid UTF-8 in the value), -EEXIST (name already there), -E2BIG (more
 * than SECRET_SET_MAX names or SECRET_SET_BYTES_MAX bytes), -ENOMEM; with
 * a one-line message naming the secret (never its value).
 */
int secret_set_add(struct secret_set *s, const char *name, const char *value, size_t len,
                   char *msg, size_t msg_size);

const struct secret_value *secret_set_find(const struct secret_set *s, const char *name);

/* Overwrites and frees every value; the set is empty and reusable after. */
void secret_set_wipe(struct secret_set *s);

/*
 * Parses a JSON object {"name": "value", ...} into s (which must be empty).
 * With raw_values, members that are not strings are accepted and their
 * value is their JSON text exactly as written (for secrets of kind json in
 * a file a person wrote); without, every value must be a string (the
 * sealed message). label starts messages: "secrets.json: line 3, column 9:
 * ...". On failure s is left empty. Errors as secret_set_add(), -EINVAL
 * for malformed text.
 */
int secret_set_parse_json(const char *label, const char *text, size_t len, bool raw_values,
                          struct secret_set *s, char *msg, size_t msg_size);

/*
 * Parses NAME=value lines (docs/secrets.md): blank lines and lines starting
 * with '#' are skipped; the value is the rest of the line, literally,
 * unless it is wholly in double quotes (escapes \\ \" \n \t) or single
 * quotes (literal). Errors name the line.
 */
int secret_set_parse_env(const char *label, const char *text, size_t len, struct secret_set *s,
                         char *msg, size_t msg_size);

/*
 * The set as one compact JSON object, in the set's order, in one buffer
 * allocated at its final size (so no partial copy is left behind by
 * growing). Returns 0 with *out (free with secret_buffer_free()) and
 * *out_len, or -ENOMEM.
 */
int secret_set_to_json(const struct secret_set *s, char **out, size_t *out_len);

/* Overwrites len bytes of buf and frees it. NULL is accepted. */
void secret_buffer_free(void *buf, size_t len);

#endif
