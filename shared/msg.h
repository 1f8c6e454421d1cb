/* SPDX-License-Identifier: MIT */
/* The convention of the shared and agent code that reports errors in a
 * caller's buffer: fill it with one line, return the negative errno. */
#ifndef TDX_SHARED_MSG_H
#define TDX_SHARED_MSG_H

#include <stddef.h>

#include "macro.h"

/* Formats into msg (msg_size bytes, always NUL-terminated) and returns code,
 * so callers can write `return msgf(msg, n, -EINVAL, "...", ...)`. */
int msgf(char *msg, size_t msg_size, int code, const char *fmt, ...) _printf_(4, 5);

#endif
