/* SPDX-License-Identifier: MIT */
/* Parsed quotes: loading, fields by name, JSON. */
#include <errno.h>
#include <jansson.h>

#include "error.h"
#include "hex.h"
#include "quote-internal.h"
#include "read-input.h"

enum region { HEADER, BODY, SIGDATA, QE_REPORT, VARIABLE };

static const struct field {
    const char *name;
    enum region region;
    size_t offset;
    size_t size;
    bool tdx15;          /* only in a TDX 1.5 body */
} fields[TDX_QUOTE_FIELD_COUNT] = {
    [TDX_QUOTE_QE_VENDOR_ID] = { "qe_vendor_id", HEADER, 12, 16, false },
    [TDX_QUOTE_USER_DATA] = { "user_data", HEADER, 28, 20, false },
    [TDX_QUOTE_TEE_TCB_SVN] = { "tee_tcb_svn", BODY, BODY_TEE_TCB_SVN, 16, false },
    [TDX_QUOTE_MRSEAM] = { "mrseam", BODY, BODY_MRSEAM, 48, false },
    [TDX_QUOTE_MRSIGNERSEAM] = { "mrsignerseam", BODY, BODY_MRSIGNERSEAM, 48, false },
    [TDX_QUOTE_SEAM_ATTRIBUTES] = { "seam_attributes", BODY, BODY_SEAM_ATTRIBUTES, 8, false },
    [TDX_QUOTE_TD_ATTRIBUTES] = { "td_attributes", BODY, BODY_TD_ATTRIBUTES, 8, false },
    [TDX_QUOTE_XFAM] = { "xfam", BODY, BODY_XFAM, 8, false },
    [TDX_QUOTE_MRTD] = { "mrtd", BODY, BODY_MRTD, 48, false },
    [TDX_QUOTE_MRCONFIGID] = { "mrconfigid", BODY, BODY_MRCONFIGID, 48, false },
    [TDX_QUOTE_MROWNER] = { "mrowner", BODY, BODY_MROWNER, 48, false },
    [TDX_QUOTE_MROWNERCONFIG] = { "mrownerconfig", BODY, BODY_MROWNERCONFIG, 48, false },
    [TDX_QUOTE_RTMR0] = { "rtmr0", BODY, BODY_RTMR0, 48, false },
    [TDX_QUOTE_RTMR1] = { "rtmr1", BODY, BODY_RTMR0 + 48, 48, false },
    [TDX_QUOTE_RTMR2] = { "rtmr2", BODY, BODY_RTMR0 + 96, 48, false },
    [TDX_QUOTE_RTMR3] = { "rtmr3", BODY, BODY_RTMR0 + 144, 48, false },
    [TDX_QUOTE_REPORT_DATA] = { "report_data", BODY, BODY_REPORT_DATA, 64, false },
    [TDX_QUOTE_TEE_TCB_SVN2] = { "tee_tcb_svn2", BODY, BODY_TEE_TCB_SVN2, 16, true },
    [TDX_QUOTE_MRSERVICETD] = { "mrservicetd", BODY, BODY_MRSERVICETD, 48, true },
    [TDX_QUOTE_SIGNATURE] = { "signature", SIGDATA, 0, 64, false },
    [TDX_QUOTE_ATTESTATION_KEY] = { "attestation_key", SIGDATA, 64, 64, false },
    [TDX_QUOTE_QE_REPORT] = { "qe_report", QE_REPORT, 0, QUOTE_QE_REPORT_SIZE, false },
    [TDX_QUOTE_QE_REPORT_SIGNATURE] = { "qe_report_signature", QE_REPORT, QUOTE_QE_REPORT_SIZE, 64, false },
    [TDX_QUOTE_QE_AUTH_DATA] = { "qe_auth_data", VARIABLE, 0, 0, false },
    [TDX_QUOTE_PCK_CHAIN] = { "pck_chain", VARIABLE, 0, 0, false },
    [TDX_QUOTE_QE_CPUSVN] = { "qe_cpusvn", QE_REPORT, QE_CPUSVN, 16, false },
    [TDX_QUOTE_QE_MISCSELECT] = { "qe_miscselect", QE_REPORT, QE_MISCSELECT, 4, false },
    [TDX_QUOTE_QE_ATTRIBUTES] = { "qe_attributes", QE_REPORT, QE_ATTRIBUTES, 16, false },
    [TDX_QUOTE_QE_MRENCLAVE] = { "qe_mrenclave", QE_REPORT, QE_MRENCLAVE, 32, false },
    [TDX_QUOTE_QE_MRSIGNER] = { "qe_mrsigner", QE_REPORT, QE_MRSIGNER, 32, false },
    [TDX_QUOTE_QE_ISVPRODID] = { "qe_isvprodid", QE_REPORT, QE_ISVPRODID, 2, false },
    [TDX_QUOTE_QE_ISVSVN] = { "qe_isvsvn", QE_REPORT, QE_ISVSVN, 2, false },
    [TDX_QUOTE_QE_REPORT_DATA] = { "qe_report_data", QE_REPORT, QE_REPORT_DATA, 64, false },
};

int tdx_quote_parse(tdx_quote **out, const void *data, size_t size, tdx_error *err)
{
    struct tdx_quote layout;
    tdx_quote *q;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(data || size == 0, err);
    r = quote_layout(&layout, data, size, err);
    if (r < 0)
        return r;
    q = malloc(sizeof(*q));
    if (!q)
        return tdx_err_oom(err);
    *q = layout;
    q->data = malloc(size);
    if (!q->data) {
        free(q);
        return tdx_err_oom(err);
    }
    memcpy(q->data, data, size);
    *out = q;
    return 0;
}

int tdx_quote_load_file(tdx_quote **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t size;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    r = read_input(path, QUOTE_MAX_SIZE, &data, &size, err);
    if (r < 0)
        return r;
    r = tdx_quote_parse(out, data, size, err);
    return tdx_err_prefix(err, r, "%s", path);
}

int quote_dup(const tdx_quote *q, tdx_quote **out)
{
    return tdx_quote_parse(out, q->data, q->size, NULL);
}

void tdx_quote_free(tdx_quote *quote)
{
    if (quote) {
        free(quote->data);
        free(quote);
    }
}

unsigned int tdx_quote_version(const tdx_quote *quote)
{
    return quote ? quote->version : 0;
}

unsigned int tdx_quote_body_type(const tdx_quote *quote)
{
    return quote ? quote->body_type : 0;
}

size_t tdx_quote_signed_size(const tdx_quote *quote)
{
    return quote ? quote->signed_size : 0;
}

size_t tdx_quote_trailing_bytes(const tdx_quote *quote)
{
    return quote ? quote->size - quote->end : 0;
}

const char *tdx_quote_field_name(tdx_quote_field field)
{
    if ((unsigned)field >= TDX_QUOTE_FIELD_COUNT)
        return NULL;
    return fields[field].name;
}

int tdx_quote_get_field(const tdx_quote *quote, tdx_quote_field field, const uint8_t **data,
                    size_t *size)
{
    const struct field *f;
    size_t base = 0, len;

    if (!quote || !data || !size || (unsigned)field >= TDX_QUOTE_FIELD_COUNT)
        return -EINVAL;
    f = &fields[field];
    if (f->tdx15 && quote->body_type != 3)
        return -ENOENT;
    len = f->size;
    switch (f->region) {
    case HEADER: base = 0; break;
    case BODY: base = quote->body; break;
    case SIGDATA: base = quote->sig_data; break;
    case QE_REPORT: base = quote->qe_report; break;
    case VARIABLE:
        base = field == TDX_QUOTE_QE_AUTH_DATA ? quote->auth_data : quote->pck_chain;
        len = field == TDX_QUOTE_QE_AUTH_DATA ? quote->auth_data_len : quote->pck_chain_len;
        break;
    }
    *data = quote->data + base + f->offset;
    *size = len;
    return 0;
}

/* The PCK chain is shown by size only: its certificates are what
 * verification reports on, and thousands of hex digits help no reader. */
static json_t *field_json(const tdx_quote *q, tdx_quote_field f)
{
    const uint8_t *p;
    size_t n;
    json_t *v;
    char *hex;

    if (tdx_quote_get_field(q, f, &p, &n) < 0)
        return NULL;
    if (f == TDX_QUOTE_QE_ISVPRODID || f == TDX_QUOTE_QE_ISVSVN)
        return json_integer(le16(p));
    if (f == TDX_QUOTE_PCK_CHAIN)
        return json_integer((json_int_t)n);
    hex = malloc(2 * n + 1);
    if (!hex)
        return NULL;
    hex_encode(p, n, hex);
    v = json_string(hex);
    free(hex);
    return v;
}

json_t *quote_json(const tdx_quote *q)
{
    json_t *o = json_pack("{s:i, s:i, s:I, s:I, s:I}", "version", (int)q->version, "body_type",
                          (int)q->body_type, "size", (json_int_t)q->size, "signed_size",
                          (json_int_t)q->signed_size, "trailing_bytes", (json_int_t)(q->size - q->end));
    if (!o)
        return NULL;
    for (int f = 0; f < TDX_QUOTE_FIELD_COUNT; f++) {
        const char *key = f == TDX_QUOTE_PCK_CHAIN ? "pck_chain_size" : fields[f].name;
        if (fields[f].tdx15 && q->body_type != 3)
            continue;
        if (json_object_set_new(o, key, field_json(q, (tdx_quote_field)f)) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int tdx_quote_to_json(const tdx_quote *quote, char **out, tdx_error *err)
{
    json_t *o;
    char *text;

    tdx_check_arg(quote, err);
    tdx_check_arg(out, err);
    o = quote_json(quote);
    text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return tdx_err_oom(err);
    *out = text;
    return 0;
}
