/* SPDX-License-Identifier: MIT */
/* Internal helpers to fill a caller's tdx_error. */
#ifndef TDXHOST_LIB_ERROR_H
#define TDXHOST_LIB_ERROR_H

#include <stdarg.h>

#include "macro.h"
#include "tdxhost/common.h"

/*
 * Fills err (if not NULL) with code and a printf-formatted one-line message
 * and returns code, so callers can write `return tdx_err(err, -EINVAL, ...)`.
 * Messages longer than the buffer are cut and end in "...".
 */
int tdx_err(tdx_error *err, int code, const char *fmt, ...) _printf_(3, 4);
int tdx_errv(tdx_error *err, int code, const char *fmt, va_list ap) _printf_(3, 0);

/* As tdx_err(), also recording an underlying library's code. */
int tdx_err_lib(tdx_error *err, int code, int library, long library_code, const char *fmt, ...)
    _printf_(5, 6);

/* "out of memory"; never allocates. */
int tdx_err_oom(tdx_error *err);

/* Prepends "prefix: " to err's message (when err is set and code is negative);
 * returns code. */
int tdx_err_prefix(tdx_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Public-argument check: a programming error in the caller returns -EINVAL
 * with the failed condition and the function name. */
#define tdx_check_arg(expr, err)                                                     \
    do {                                                                             \
        if (!(expr))                                                                 \
            return tdx_err((err), -EINVAL, "%s: invalid argument: %s", __func__, #expr); \
    } while (0)

/*
 * Versioned-options check, like libgit2's GIT_ERROR_CHECK_VERSION: every
 * public function that takes an options struct starts with
 * `tdx_check_options(opts, TDX_X_OPTIONS_VERSION, err);`. NULL options are
 * accepted (the function's defaults); a version of 0 or newer than this
 * library knows returns -EINVAL naming the function, so a caller built
 * against a newer header gets a message instead of misread fields.
 */
#define tdx_check_options(opts, max_version, err)                                         \
    do {                                                                                  \
        if ((opts)) {                                                                     \
            int tdx_check_options_r_ = tdx_check_options_version((opts)->version,         \
                                                                 (max_version), __func__, (err)); \
            if (tdx_check_options_r_ < 0)                                                 \
                return tdx_check_options_r_;                                              \
        }                                                                                 \
    } while (0)

/* The check behind tdx_check_options(), for a helper that validates options
 * on behalf of the public function `func`: 0, or -EINVAL with the message
 * "<func>: unsupported options version <v> (this library knows 1 to <max>)". */
int tdx_check_options_version(unsigned version, unsigned max_version, const char *func,
                              tdx_error *err);

#endif
