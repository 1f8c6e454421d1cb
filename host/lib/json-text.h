/* SPDX-License-Identifier: MIT */
/* JSON documents the library hands out or writes to disk. */
#ifndef TDXHOST_LIB_JSON_TEXT_H
#define TDXHOST_LIB_JSON_TEXT_H

#include <jansson.h>

/* Canonical text of root (sorted keys, two-space indent, trailing newline)
 * so equal documents give equal bytes; NULL when out of memory. Does not
 * take a reference. */
char *json_canonical_text(const json_t *root);

#endif
