/* SPDX-License-Identifier: MIT */
/* The library's JSON reader: shared/json-reader.h with its messages going
 * into a caller's tdx_error (code, message, jansson's code for syntax). */
#ifndef TDXHOST_LIB_JSON_ERROR_H
#define TDXHOST_LIB_JSON_ERROR_H

#include "json-reader.h"
#include "tdxhost/common.h"

/* R reads the document named file; err may be NULL. */
void jr_init_err(struct json_reader *R, const char *file, tdx_error *err);

#endif
