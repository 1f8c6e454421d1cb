/* SPDX-License-Identifier: MIT */
/* The convention of the shared and agent code that reports errors in a
 * caller's buffer: fill it with one line, return the negative errno. */
#ifndef TDX_SHARED_MSG_H
#define TDX_SHARED_MSG_H

#include <stddef.h>

#include "macro.h"

/* Formats into msg (msg_size bytes, always NUL-terminated) and returns code,
 * so callers can write `return msgf(msg, n, -EINVAL, "...", ...)`. The
 * message is finished by msg_finish(). A NULL msg only returns code. */
int msgf(char *msg, size_t msg_size, int code, const char *fmt, ...) _printf_(4, 5);

/* The finish of every error message, for msgf() and the library's
 * tdx_error: n is what vsnprintf() returned for the size-byte buffer msg. A
 * message that was cut ends in "..."; then printable_inplace() (the one
 * sanitiser, printable.h): control characters (newlines, tabs, ESC, DEL)
 * become spaces, C1 controls and invalid UTF-8 '?', so a message is one
 * printable line. */
void msg_finish(char *msg, size_t size, int n);

#endif
