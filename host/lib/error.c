/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "tdxhost/common.h"

void tdx_error_clear(tdx_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

void tdx_free(void *p)
{
    free(p);
}

static void finish_message(tdx_error *err, int n)
{
    msg_finish(err->message, sizeof(err->message), n);
}

int tdx_errv(tdx_error *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->library = TDX_ERROR_LIBRARY_NONE;
    err->library_code = 0;
    finish_message(err, vsnprintf(err->message, sizeof(err->message), fmt, ap));
    return code;
}

int tdx_err(tdx_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tdx_errv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int tdx_err_lib(tdx_error *err, int code, int library, long library_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tdx_errv(err, code, fmt, ap);
    va_end(ap);
    if (err) {
        err->library = library;
        err->library_code = library_code;
    }
    return code;
}

int tdx_err_oom(tdx_error *err)
{
    if (err) {
        err->code = -ENOMEM;
        err->library = TDX_ERROR_LIBRARY_NONE;
        err->library_code = 0;
        snprintf(err->message, sizeof(err->message), "out of memory");
    }
    return -ENOMEM;
}

int tdx_err_prefix(tdx_error *err, int code, const char *fmt, ...)
{
    char old[TDX_ERROR_MESSAGE_SIZE], prefix[TDX_ERROR_MESSAGE_SIZE];
    va_list ap;

    if (!err || code >= 0)
        return code;
    memcpy(old, err->message, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    err->code = code;
    finish_message(err, snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old));
    return code;
}

int tdx_check_options_version(unsigned version, unsigned max_version, const char *func,
                              tdx_error *err)
{
    if (version >= 1 && version <= max_version)
        return 0;
    return tdx_err(err, -EINVAL, "%s: unsupported options version %u (this library knows 1 to %u)",
                   func, version, max_version);
}
