/* SPDX-License-Identifier: MIT */
#include "json-error.h"

#include "error.h"

static void report(void *ctx, int code, int jansson_code, const char *message)
{
    tdx_error *err = ctx;

    if (code == -ENOMEM)
        tdx_err_oom(err);
    else if (jansson_code >= 0)
        tdx_err_lib(err, code, TDX_ERROR_LIBRARY_JANSSON, jansson_code, "%s", message);
    else
        tdx_err(err, code, "%s", message);
}

void jr_init_err(struct json_reader *R, const char *file, tdx_error *err)
{
    jr_init(R, file, NULL, 0);
    R->report = report;
    R->report_ctx = err;
}
