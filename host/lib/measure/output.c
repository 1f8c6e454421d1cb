/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "serialize.h"

static int render(const tdx_measurements *m, int format, const tdx_serialize_options *opts, strbuf *out,
                  tdx_error *err)
{
    const char *id = "tdxctl";

    if (opts && opts->measurement_id)
        id = opts->measurement_id;
    switch (format) {
    case TDX_FORMAT_JSON: return serialize_json(m, out, err);
    case TDX_FORMAT_CBOR: return serialize_cbor(m, out, err);
    case TDX_FORMAT_CVM_REVERSE_PROXY: return serialize_cvm_reverse_proxy(m, id, out, err);
    case TDX_FORMAT_DSTACK: return serialize_dstack(m, out, err);
    }
    return tdx_err(err, -EINVAL, "unknown output format %d", format);
}

int tdx_measurements_serialize(const tdx_measurements *m, int format, const tdx_serialize_options *opts,
                               char **out, size_t *size, tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    int r;

    tdx_check_arg(m && out, err);
    tdx_check_options(opts, TDX_SERIALIZE_OPTIONS_VERSION, err);
    r = render(m, format, opts, &sb, err);
    if (r >= 0 && !sb.data)
        r = strbuf_append(&sb, "", 0) < 0 ? tdx_err_oom(err) : 0;
    if (r < 0) {
        strbuf_free(&sb);
        return r;
    }
    *out = strbuf_steal(&sb, size);
    return 0;
}

int tdx_measurements_write_file(const tdx_measurements *m, int format, const tdx_serialize_options *opts,
                                const char *path, tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    int r;

    tdx_check_arg(m && path, err);
    tdx_check_options(opts, TDX_SERIALIZE_OPTIONS_VERSION, err);
    r = render(m, format, opts, &sb, err);
    if (r >= 0) {
        r = write_file_atomic(path, sb.data, sb.len, 0644);
        if (r < 0)
            tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "%s: cannot write: %s", path, strerror(-r));
    }
    strbuf_free(&sb);
    return r;
}
