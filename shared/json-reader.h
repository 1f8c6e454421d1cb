/* SPDX-License-Identifier: MIT */
/*
 * The one JSON member reader: every JSON document the project reads (recipe,
 * tdx.lock, collateral, measurements, secrets manifest, agent configuration)
 * goes through it, so every document follows the same rules:
 *
 *  - messages have one shape, "FILE: JSON.PATH: what is wrong" ("FILE: what"
 *    at the top level, "FILE:LINE:COLUMN: what" for syntax), on one line, in
 *    plain words (no jansson internals);
 *  - a member that is missing or null is absent; JR_REQUIRED makes absence
 *    an error ("required");
 *  - an unknown key is an error that suggests the nearest allowed key.
 *
 * Every getter takes (reader, object, path, key, flags, [bounds,] out): it
 * reads member `key` of `obj`, whose own JSON path is `path` ("" at the top),
 * or, when key is NULL, `obj` itself as the value at `path`. It returns 1 when
 * the value was read into *out, 0 when absent (*out untouched), or a negative
 * errno (R->code, or -ENOMEM) after reporting. Strings are borrowed from the
 * jansson tree unless the function says it copies.
 *
 * Shared by the host library and the static agent: libc and jansson only.
 */
#ifndef TDX_SHARED_JSON_READER_H
#define TDX_SHARED_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct json_t;

/* Longest JSON path kept for messages; deeper paths are cut. */
#define JR_PATH_MAX 320
/* The longest string JR_ONE_LINE accepts. */
#define JR_LINE_MAX 4096

enum {
    JR_REQUIRED = 1 << 0, /* absent (missing or null) is an error */
    JR_NONEMPTY = 1 << 1, /* strings: not ""; string vectors: no "" element */
    JR_ONE_LINE = 1 << 2, /* strings: no CR/LF, at most JR_LINE_MAX bytes */
};

struct json_reader {
    const char *file;   /* names the document in messages */
    int code;           /* returned for content errors: -EINVAL unless set */
    char *msg;          /* the caller's buffer for the message (may be NULL) */
    size_t msg_size;
    /* When set, called with each message instead of writing msg: the host
     * library fills its tdx_error this way. jansson_code is the
     * json_error_code of a syntax error, or -1. */
    void (*report)(void *ctx, int code, int jansson_code, const char *message);
    void *report_ctx;
};

/* A reader that writes its messages into msg (msg_size bytes). */
void jr_init(struct json_reader *R, const char *file, char *msg, size_t msg_size);

/* Reports "FILE: PATH: <fmt>" ("FILE: <fmt>" when path is empty) and
 * returns R->code. */
int jr_fail(struct json_reader *R, const char *path, const char *fmt, ...) _printf_(3, 4);
/* As jr_fail(), with another code (-ENOENT for a file a document names). */
int jr_fail_code(struct json_reader *R, int code, const char *path, const char *fmt, ...)
    _printf_(4, 5);
/* Reports "out of memory" and returns -ENOMEM. */
int jr_oom(struct json_reader *R);

/*
 * Parses text (len bytes) into a new JSON object in *out (json_decref() it).
 * Duplicate member names are refused. A max_depth or max_values that is not
 * 0 bounds nesting and the number of values before jansson sees the text.
 * Errors: R->code (syntax, bounds, a top level that is not an object),
 * -ENOMEM.
 */
int jr_parse(struct json_reader *R, const char *text, size_t len, unsigned max_depth,
             size_t max_values, struct json_t **out);

struct json_error_t;
/* What jansson's parse error e says, in plain words ("NUL byte in string",
 * "duplicate member name near '"a"'"), into buf; returns buf. For texts
 * that are not files (protocol messages), which give their own position. */
const char *jr_syntax_text(const struct json_error_t *e, char *buf, size_t size);

/* path + "." + key (key alone when path is ""), and path + "[i]", into buf;
 * both return buf. */
const char *jr_path_key(char buf[JR_PATH_MAX], const char *path, const char *key);
const char *jr_path_index(char buf[JR_PATH_MAX], const char *path, size_t i);

/* Every member of obj is in allowed (NULL-terminated), else reports
 * "PATH.KEY: unknown key; did you mean "X"?" (an allowed key within two
 * edits) or "...; expected one of ...". */
int jr_keys(struct json_reader *R, struct json_t *obj, const char *path,
            const char *const *allowed);

/* Edit distance of two keys (capped: keys over 64 bytes are 99 apart). */
size_t jr_key_distance(const char *a, const char *b);

/* `one of "a", "b", "c"` into buf (size bytes, cut when it does not fit). */
void jr_choices(const char *const *list, char *buf, size_t size);

/* The JSON type of v as a phrase: "a string", "an integer", "null"... */
const char *jr_type_name(const struct json_t *v);

/* A string; check (optional) returns NULL or a phrase saying what it
 * expected, reported with the value ("..., got \"x\""). */
int jr_string(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
              unsigned flags, const char *(*check)(const char *), const char **out);
/* The same, copied: *out is the caller's (free()). */
int jr_strdup(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
              unsigned flags, const char *(*check)(const char *), char **out);
/* true or false as 1 or 0 (an int, so tri-state option fields take it). */
int jr_bool(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
            unsigned flags, int *out);
int jr_int(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
           unsigned flags, long long min, long long max, long long *out);
int jr_uint(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
            unsigned flags, uint64_t min, uint64_t max, uint64_t *out);
/* A file mode as a string of 3 or 4 octal digits ("0644"). */
int jr_mode(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
            unsigned flags, int *out);
/* One of the strings in choices (NULL-terminated): its index. */
int jr_enum(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
            unsigned flags, const char *const *choices, int *out);
/* An array of min to max strings, each passing check (optional), as a new
 * NULL-terminated array of borrowed pointers: free() the array only. */
int jr_strv(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
            unsigned flags, size_t min, size_t max, const char *(*check)(const char *),
            const char ***out);
/* An object of at most max members (borrowed). */
int jr_object(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
              unsigned flags, size_t max, struct json_t **out);
/* An array of min to max elements (borrowed). */
int jr_array(struct json_reader *R, struct json_t *obj, const char *path, const char *key,
             unsigned flags, size_t min, size_t max, struct json_t **out);

#endif
