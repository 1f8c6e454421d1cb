/* SPDX-License-Identifier: MIT */
#include "ops.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "agent-core.h"
#include "base64.h"
#include "ccel.h"
#include "efivars.h"
#include "frame.h"
#include "fw-cfg-acpi.h"
#include "hex.h"
#include "log.h"
#include "manifest.h"
#include "quote-provider.h"
#include "secrets.h"
#include "strv.h"

#ifndef AGENT_VERSION
#define AGENT_VERSION "unknown"
#endif

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The CPU says it runs a TD: CPUID leaf 0x21 returns "IntelTDX    ". */
static bool cpuid_tdx(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    char sig[12];
    if (__get_cpuid_max(0, NULL) < 0x21)
        return false;
    __cpuid_count(0x21, 0, a, b, c, d);
    (void)a;
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &d, 4);
    memcpy(sig + 8, &c, 4);
    return memcmp(sig, "IntelTDX    ", 12) == 0;
#else
    return false;
#endif
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    STRV_FOREACH(s, v)
        json_array_append_new(a, json_string(*s));
    return a;
}

static json_t *op_names(void);

static int op_info(struct agent *a, const struct wire_request *req, json_t **result,
                   struct wire_error *e)
{
    const struct agent_config *c = a->config;
    json_t *manifest = json_null();

    if (wire_check_params(req, NULL, e) < 0)
        return -EINVAL;
    if (a->manifest)
        manifest = json_pack("{s:s, s:I, s:I}", "path", c->manifest, "secrets",
                             (json_int_t)a->manifest->n, "required",
                             (json_int_t)a->manifest->n_required);
    *result = json_pack(
        "{s:s, s:s, s:i, s:s, s:b, s:{s:b, s:b, s:b}, s:o, s:I, s:o, s:{s:i, s:i, s:i, s:i, "
        "s:i, s:i}, s:o}",
        "agent", "tdx-agent", "version", AGENT_VERSION, "protocol", WIRE_PROTOCOL,
        "quote_provider", a->provider->name, "simulated", a->provider->simulated,
        "tdx", "cpuid", cpuid_tdx(), "configfs_tsm", is_dir(c->tsm_path), "ccel",
        is_file(c->acpi_path, "CCEL"),
        "listeners", strv_json(a->listeners),
        "uptime_seconds", (json_int_t)((now_ms() - a->started_ms) / 1000),
        "ops", op_names(),
        "limits", "frame_max", (int)FRAME_MAX, "max_connections", (int)c->max_connections,
        "max_inflight", (int)c->max_inflight, "frame_timeout_ms", (int)c->frame_timeout_ms,
        "idle_timeout_ms", (int)c->idle_timeout_ms, "write_timeout_ms",
        (int)c->write_timeout_ms,
        "manifest", manifest);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}

static const char *quote_error_code(int r)
{
    switch (-r) {
    case ENXIO:
    case ENOENT:
    case ENODEV:
        return WIRE_E_UNAVAILABLE;
    case ETIMEDOUT:
        return WIRE_E_TIMEOUT;
    case EBUSY:
        return WIRE_E_BUSY;
    case ENOMEM:
        return WIRE_E_INTERNAL;
    default:
        return WIRE_E_QUOTE_FAILED;
    }
}

static int op_quote(struct agent *a, const struct wire_request *req, json_t **result,
                    struct wire_error *e)
{
    static const char *const params[] = { "report_data", NULL };
    uint8_t data[REPORT_DATA_SIZE] = { 0 }, *quote = NULL;
    char msg[300], hex[2 * REPORT_DATA_SIZE + 1];
    const char *text;
    size_t len;
    int r;

    /* The string is hex: its bound is in digits, and the message says so
     * (wire_param_string's "at most N bytes" would read as 128 bytes). */
    if (wire_check_params(req, params, e) < 0 ||
        wire_param_string(req, "report_data", SIZE_MAX, &text, e) < 0)
        return -EINVAL;
    if (text && strlen(text) > 2 * REPORT_DATA_SIZE)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "quote: report_data: expected at most %d hex "
                           "digits (%d bytes), got %zu", 2 * REPORT_DATA_SIZE, REPORT_DATA_SIZE,
                           strlen(text));
    if (text && hex_decode(text, data, sizeof(data)) < 0)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "quote: report_data: expected hexadecimal "
                                                  "digits (an even number, at most 128)");
    r = a->provider->get(a->provider, data, &quote, &len, msg, sizeof(msg));
    if (r < 0) {
        log_warning("quote failed: %s", msg);
        return wire_errorf(e, quote_error_code(r), "%s", msg);
    }
    hex_encode(data, sizeof(data), hex);
    *result = json_pack("{s:o, s:s, s:b, s:s}", "quote", wire_base64(quote, len), "provider",
                        a->provider->name, "simulated", a->provider->simulated, "report_data",
                        hex);
    free(quote);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}

static int op_eventlog(struct agent *a, const struct wire_request *req, json_t **result,
                       struct wire_error *e)
{
    static const char *const params[] = { "offset", "length", "log", NULL };
    unsigned long long offset = 0, length = CCEL_CHUNK_MAX;
    struct ccel_chunk chunk;
    const char *which = NULL;
    bool present, tpm;
    char msg[300];
    int r;

    if (wire_check_params(req, params, e) < 0 ||
        wire_param_string(req, "log", 8, &which, e) < 0 ||
        wire_param_uint(req, "offset", UINT64_MAX >> 1, &present, &offset, e) < 0 ||
        wire_param_uint(req, "length", CCEL_CHUNK_MAX, &present, &length, e) < 0)
        return -EINVAL;
    if (present && length == 0)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "eventlog: length: expected 1 to %d",
                           CCEL_CHUNK_MAX);
    if (which && !streq(which, "ccel") && !streq(which, "tpm"))
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "eventlog: log: expected \"ccel\" or \"tpm\"");
    tpm = which && streq(which, "tpm");
    r = tpm ? tpm_log_read(a->config->tpm_log_path, offset, (size_t)length, &chunk, msg, sizeof(msg))
            : ccel_read(a->config->acpi_path, offset, (size_t)length, &chunk, msg, sizeof(msg));
    if (r < 0)
        return wire_errorf(e, r == -ENOENT ? WIRE_E_UNAVAILABLE
                              : r == -ERANGE ? WIRE_E_BAD_REQUEST
                              : r == -EFBIG ? WIRE_E_TOO_LARGE : WIRE_E_IO, "%s", msg);
    /* The TPM log has no table: its replies carry none. */
    *result = json_pack("{s:o, s:I, s:I}", "log", wire_base64(chunk.log, chunk.log_len),
                        "log_offset", (json_int_t)offset, "log_size", (json_int_t)chunk.log_size);
    if (*result && !tpm && json_object_set_new(*result, "table",
                                               wire_base64(chunk.table, chunk.table_len)) < 0) {
        json_decref(*result);
        *result = NULL;
    }
    ccel_chunk_done(&chunk);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}

/* QEMU's ACPI blobs as fw_cfg served them to the firmware: the host's
 * `tdxctl acpi capture` computes RTMR0 from them. */
static int op_acpi(struct agent *a, const struct wire_request *req, json_t **result,
                   struct wire_error *e)
{
    struct fw_cfg_acpi blobs;
    char msg[300];
    int r;

    if (wire_check_params(req, NULL, e) < 0)
        return -EINVAL;
    r = fw_cfg_acpi_read(a->config->fw_cfg_path, &blobs, msg, sizeof(msg));
    if (r < 0)
        return wire_errorf(e, r == -ENOENT ? WIRE_E_UNAVAILABLE
                              : r == -EFBIG ? WIRE_E_TOO_LARGE : WIRE_E_IO, "%s", msg);
    *result = json_object();
    for (int i = 0; *result && i < FW_CFG_ACPI_N; i++)
        if (json_object_set_new(*result, fw_cfg_acpi_member(i),
                                wire_base64(blobs.blob[i], blobs.len[i])) < 0) {
            json_decref(*result);
            *result = NULL;
        }
    fw_cfg_acpi_done(&blobs);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}

/* The firmware's BootOrder and the Boot#### it lists: with the ACPI blobs,
 * what RTMR0 of a disk boot needs (`tdxctl acpi capture`). */
static int op_bootvars(struct agent *a, const struct wire_request *req, json_t **result,
                       struct wire_error *e)
{
    struct efivars_boot b;
    json_t *vars;
    char msg[300];
    int r;

    if (wire_check_params(req, NULL, e) < 0)
        return -EINVAL;
    r = efivars_boot_read(a->config->efivars_path, &b, msg, sizeof(msg));
    if (r < 0)
        return wire_errorf(e, r == -ENOENT ? WIRE_E_UNAVAILABLE
                              : r == -EFBIG ? WIRE_E_TOO_LARGE : WIRE_E_IO, "%s", msg);
    vars = json_array();
    for (size_t i = 0; vars && i < b.n; i++)
        if (json_array_append_new(vars, json_pack("{s:s, s:o}", "name", b.var[i].name, "data",
                                                  wire_base64(b.var[i].data, b.var[i].len))) < 0) {
            json_decref(vars);
            vars = NULL;
        }
    efivars_boot_done(&b);
    *result = vars ? json_pack("{s:o}", "variables", vars) : NULL;
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}

static int no_secrets(struct wire_error *e, const char *op)
{
    return wire_errorf(e, WIRE_E_UNAVAILABLE, "%s: this agent has no secrets manifest (start it "
                       "with --manifest)", op);
}

static int op_secrets_challenge(struct agent *a, const struct wire_request *req, json_t **result,
                                struct wire_error *e)
{
    static const char *const params[] = { "nonce", "unattested", NULL };
    uint8_t nonce[SECRETS_NONCE_SIZE];
    const char *text;
    bool unattested;

    if (wire_check_params(req, params, e) < 0 ||
        wire_param_string(req, "nonce", 2 * SECRETS_NONCE_SIZE, &text, e) < 0 ||
        wire_param_bool(req, "unattested", &unattested, e) < 0)
        return -EINVAL;
    if (!text || hex_decode(text, nonce, sizeof(nonce)) != SECRETS_NONCE_SIZE)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.challenge: nonce: expected %d hex "
                           "digits (32 random bytes)", 2 * SECRETS_NONCE_SIZE);
    if (!a->secrets)
        return no_secrets(e, req->op);
    return secrets_challenge(a->secrets, nonce, unattested, result, e);
}

static int op_secrets_deliver(struct agent *a, const struct wire_request *req, json_t **result,
                              struct wire_error *e)
{
    static const char *const params[] = { "challenge_id", "enc", "ciphertext", "sender_key",
                                          NULL };
    const char *id, *enc_hex, *ct_text, *sender_hex;
    uint8_t enc[HPKE_NENC], sender[HPKE_NPK], *ct;
    long n;
    int r;

    if (wire_check_params(req, params, e) < 0 ||
        wire_param_string(req, "challenge_id", SECRETS_CHALLENGE_ID_MAX, &id, e) < 0 ||
        wire_param_string(req, "enc", 2 * HPKE_NENC, &enc_hex, e) < 0 ||
        wire_param_string(req, "ciphertext", FRAME_MAX, &ct_text, e) < 0 ||
        wire_param_string(req, "sender_key", 2 * HPKE_NPK, &sender_hex, e) < 0)
        return -EINVAL;
    if (!id || !*id)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: challenge_id: required");
    if (!enc_hex || hex_decode(enc_hex, enc, sizeof(enc)) != HPKE_NENC)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: enc: expected %d hex digits "
                           "(the HPKE encapsulated key)", 2 * HPKE_NENC);
    if (!ct_text)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: ciphertext: required");
    if (sender_hex && hex_decode(sender_hex, sender, sizeof(sender)) != HPKE_NPK)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: sender_key: expected %d hex "
                           "digits (the sender's X25519 public key)", 2 * HPKE_NPK);
    if (!a->secrets)
        return no_secrets(e, req->op);
    ct = malloc(strlen(ct_text) / 4 * 3 + 1);
    if (!ct)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    n = base64_decode(ct_text, strlen(ct_text), ct, strlen(ct_text) / 4 * 3 + 1);
    if (n < 0) {
        free(ct);
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: ciphertext: expected base64 "
                           "(RFC 4648, padded)");
    }
    r = secrets_deliver(a->secrets, id, enc, sender_hex ? sender : NULL, ct, (size_t)n, result, e);
    free(ct);
    return r;
}

static int op_secrets_status(struct agent *a, const struct wire_request *req, json_t **result,
                             struct wire_error *e)
{
    if (wire_check_params(req, NULL, e) < 0)
        return -EINVAL;
    if (!a->secrets)
        return no_secrets(e, req->op);
    return secrets_status(a->secrets, result, e);
}

/* Sorted by name. The secrets operations take locks a delivery holds while
 * it writes and syncs files, so they too run on workers. */
static const struct op_def ops[] = {
    { "acpi", true, op_acpi },
    { "bootvars", true, op_bootvars },
    { "eventlog", true, op_eventlog },
    { "info", false, op_info },
    { "quote", true, op_quote },
    { "secrets.challenge", true, op_secrets_challenge },
    { "secrets.deliver", true, op_secrets_deliver },
    { "secrets.status", true, op_secrets_status },
};

static json_t *op_names(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ELEMENTSOF(ops); i++)
        json_array_append_new(a, json_string(ops[i].name));
    return a;
}

const struct op_def *ops_find(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(ops); i++)
        if (streq(name, ops[i].name))
            return &ops[i];
    return NULL;
}

int ops_reply(struct agent *a, const struct op_def *op, const struct wire_request *req,
              uint8_t **frame, size_t *len)
{
    struct wire_error e = { "", "" };
    json_t *result = NULL;
    int r = op->run(a, req, &result, &e);

    if (r >= 0) {
        r = wire_reply_ok(req->id, result, frame, len);
        if (r == 0)
            return 0;
        wire_errorf(&e, r == -EMSGSIZE ? WIRE_E_TOO_LARGE : WIRE_E_INTERNAL,
                    r == -EMSGSIZE ? "%s: the reply would exceed the frame limit" : "%s: out of memory",
                    op->name);
    }
    return wire_reply_error(req->id, &e, frame, len);
}
