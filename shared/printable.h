/* SPDX-License-Identifier: MIT */
/*
 * Text from outside (an agent's reply, a file name, a value in a message)
 * made safe to print on a terminal or in a log line: the one sanitiser.
 *
 * Why: a string that reaches a terminal raw can move the cursor, rewrite
 * earlier lines or retitle the window (ESC sequences, C1 controls such as
 * U+009B CSI), and a newline in it forges a second log line.
 */
#ifndef TDX_SHARED_PRINTABLE_H
#define TDX_SHARED_PRINTABLE_H

#include <stddef.h>

/* Keep only printable ASCII (the wire protocol's messages). */
#define PRINTABLE_ASCII 1u

/* Rewrites s in place, keeping its length: every C0 control (newline, tab,
 * ESC, ...) and DEL becomes a space; a C1 control (U+0080..U+009F) and each
 * byte that is not part of valid UTF-8 becomes '?'. Valid printable UTF-8 is
 * kept, unless flags has PRINTABLE_ASCII: then every byte from 0x80 up
 * becomes '?' too. Returns the number of bytes changed. msg_finish() (the
 * messages of msgf() and tdx_error) uses it, so messages and printed text
 * follow the same rule. */
size_t printable_inplace(char *s, unsigned flags);

#endif
