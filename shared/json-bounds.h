/* SPDX-License-Identifier: MIT */
/*
 * A pass over JSON text before it is parsed, so untrusted input cannot make
 * the parser build deep or huge trees: one megabyte of "[[[[..." or
 * "[0,0,0,..." costs a parser tens of megabytes. Counts nesting depth and
 * values (every array element and object member counts once) outside
 * strings; it does not check the syntax, which the parser does next.
 */
#ifndef TDX_SHARED_JSON_BOUNDS_H
#define TDX_SHARED_JSON_BOUNDS_H

#include <stddef.h>

/* NULL when within the bounds, else a phrase saying which was exceeded. */
const char *json_bounds_check(const char *text, size_t len, unsigned max_depth,
                              size_t max_values);

#endif
