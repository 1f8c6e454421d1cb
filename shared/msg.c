/* SPDX-License-Identifier: MIT */
#include "msg.h"

#include "printable.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "printable.h"

void msg_finish(char *msg, size_t size, int n)
{
    if (size == 0)
        return;
    if (n < 0) {
        snprintf(msg, size, "(unformattable message)");
        return;
    }
    if ((size_t)n >= size && size >= 4)
        memcpy(msg + size - 4, "...", 4);
    /* One printable line: a newline from an embedded value would split a log
     * line, an escape sequence would reach the reader's terminal. */
    printable_inplace(msg, 0);
}

int msgf(char *msg, size_t msg_size, int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!msg || msg_size == 0)
        return code;
    va_start(ap, fmt);
    n = vsnprintf(msg, msg_size, fmt, ap);
    va_end(ap);
    msg_finish(msg, msg_size, n);
    return code;
}
