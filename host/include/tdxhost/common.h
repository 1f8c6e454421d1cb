/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/common.h
 * @brief Conventions shared by every libtdxhost header: export macro, the
 *        error object, and the "unset" value of option fields.
 *
 * Error model (see docs/api-conventions.md):
 *  - every fallible function returns 0 (or a documented positive value) on
 *    success and a negative errno value on failure;
 *  - its last parameter is a caller-owned `tdx_error *err`, which may be NULL;
 *    on failure the library fills it with the same code, a one-line message
 *    naming the offending thing, and the underlying library's code if any;
 *  - on success `*err` is left untouched.
 * The library never prints and never exits.
 */
#ifndef TDXHOST_COMMON_H
#define TDXHOST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && __GNUC__ >= 4
#define TDX_EXTERN extern __attribute__((visibility("default")))
#else
#define TDX_EXTERN extern
#endif

#ifdef __cplusplus
#define TDX_BEGIN_DECLS extern "C" {
#define TDX_END_DECLS }
#else
#define TDX_BEGIN_DECLS
#define TDX_END_DECLS
#endif

TDX_BEGIN_DECLS

/** Size of tdx_error.message, including the terminating NUL. */
#define TDX_ERROR_MESSAGE_SIZE 512

/** Which library tdx_error.library_code comes from. Append-only. */
typedef enum tdx_error_library {
    TDX_ERROR_LIBRARY_NONE = 0,    /**< no underlying library code */
    TDX_ERROR_LIBRARY_ERRNO = 1,   /**< a system call's errno (positive) */
    TDX_ERROR_LIBRARY_JANSSON = 2, /**< enum json_error_code */
    TDX_ERROR_LIBRARY_CURL = 3,    /**< CURLcode */
    TDX_ERROR_LIBRARY_OPENSSL = 4, /**< ERR_get_error() value */
    TDX_ERROR_LIBRARY_ARCHIVE = 5  /**< archive_errno() value */
} tdx_error_library;

/**
 * Error details. Caller-owned (usually on the stack), needs no cleanup.
 * Initialise with TDX_ERROR_INIT or tdx_error_clear().
 */
typedef struct tdx_error {
    int code;                               /**< negative errno, as returned; 0 if none */
    int library;                            /**< a tdx_error_library value */
    long library_code;                      /**< the underlying library's code */
    char message[TDX_ERROR_MESSAGE_SIZE];   /**< one line, NUL-terminated, no trailing newline */
} tdx_error;

#define TDX_ERROR_INIT { 0, 0, 0, { 0 } }

/**
 * Resets an error object to "no error".
 * @param err the object to reset; NULL is accepted and ignored.
 */
TDX_EXTERN void tdx_error_clear(tdx_error *err);

/**
 * Value of an integer option field (tri-state booleans, optional numbers)
 * meaning "not given: keep the current value or use the default".
 * Every *_OPTIONS_INIT macro sets such fields to TDX_UNSET.
 */
#define TDX_UNSET (-1)

/**
 * Frees memory the library handed to the caller through a `char **out`
 * parameter (strings, buffers). NULL is accepted.
 */
TDX_EXTERN void tdx_free(void *p);

TDX_END_DECLS

#endif
