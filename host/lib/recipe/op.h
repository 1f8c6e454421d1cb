/* SPDX-License-Identifier: MIT */
/* Building and committing recorded operations (internal to recipe/). */
#ifndef TDXHOST_RECIPE_OP_H
#define TDXHOST_RECIPE_OP_H

#include "model.h"

/* Largest file a recipe may copy into an image. */
#define RECIPE_SOURCE_FILE_MAX (1024ULL * 1024 * 1024)

/* Allocates an op in the image's current profile. Its origin is the pending
 * JSON location if the loader set one, else the formatted API call.
 * Returns NULL on allocation failure. */
struct op *op_new(tdx_image *image, op_kind kind, const char *api_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks the op's claims against every op it shares an effective recipe
 * with and appends it to its profile. Takes ownership of op in all cases. */
int op_commit(tdx_image *image, struct op *op, tdx_error *err);

/* Frees op and returns r (for `return op_fail(op, r)`). */
int op_fail(struct op *op, int r);

/* "<where>: <formatted message>", code returned. */
int op_err(const struct op *op, tdx_error *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "<where>: <expected>; got \"<value>\"", -EINVAL returned. */
int op_bad_value(const struct op *op, tdx_error *err, const char *field, const char *expected,
                 const char *value);

/* Validates (check may be NULL) and copies value into *dst; NULL value: no-op. */
int op_set_str(const struct op *op, tdx_error *err, const char *field, char **dst,
               const char *value, const char *(*check)(const char *));
int op_set_choice(const struct op *op, tdx_error *err, const char *field, char **dst,
                  const char *value, const char *const *choices);
int op_set_strv(const struct op *op, tdx_error *err, const char *field, char ***dst,
                const char *const *values, const char *(*check)(const char *));

/* Resolves a source path against the image's base directory (or the cwd) and
 * checks it is a readable regular file (or directory) within limits. */
int op_resolve_path(const tdx_image *image, struct op *op, tdx_error *err,
                    const char *field, const char *path, bool want_dir, char **ret);

/* Adds a claim "kind:name" made by field. */
int op_claim(struct op *op, tdx_error *err, const char *field, const char *kind, const char *name);
/* Claims an image path, refusing paths the generator reserves. */
int op_claim_path(struct op *op, tdx_error *err, const char *field, const char *path);

/* Quotes a value for an error message: escapes, cut after 80 bytes. */
void show_value(const char *v, char *buf, size_t size);

#endif
