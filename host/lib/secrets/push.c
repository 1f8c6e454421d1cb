/* SPDX-License-Identifier: MIT */
/* tdx_secrets_push(): challenge, verify, seal, deliver (docs/secrets.md). */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "../agent/client-internal.h"
#include "base64.h"
#include "error.h"
#include "frame.h"
#include "hex.h"
#include "hpke.h"
#include "macro.h"
#include "secrets-internal.h"
#include "secrets-proto.h"

#define QUOTE_MAX (1u << 20)

struct tdx_push_result {
    bool delivered, attested, ready, simulated;
    bool sent;       /* the sealed secrets went to the agent */
    bool refused;    /* and the agent answered with an error: it changed nothing */
    char challenge_id[SECRETS_CHALLENGE_ID_MAX + 1];
    tdx_verification *verification;
    json_t *written;    /* [{name, sha256}] as the agent reported them */
    json_t *missing;    /* [name] */
    char *sender;       /* the sender the agent names, NULL for base mode */
};

void tdx_push_result_free(tdx_push_result *result)
{
    if (!result)
        return;
    tdx_verification_free(result->verification);
    json_decref(result->written);
    json_decref(result->missing);
    free(result->sender);
    free(result);
}

const tdx_verification *tdx_push_result_verification(const tdx_push_result *result)
{
    return result ? result->verification : NULL;
}

int tdx_push_result_delivered(const tdx_push_result *result)
{
    return result && result->delivered;
}

int tdx_push_result_sent(const tdx_push_result *result)
{
    return result && result->sent;
}

int tdx_push_result_refused(const tdx_push_result *result)
{
    return result && result->refused;
}

const char *tdx_push_result_sender(const tdx_push_result *result)
{
    return result ? result->sender : NULL;
}

int tdx_push_result_to_json(const tdx_push_result *result, char **out, tdx_error *err)
{
    json_t *o, *verification = json_null();
    char *text = NULL;

    tdx_check_arg(result, err);
    tdx_check_arg(out, err);
    if (result->verification) {
        if (tdx_verification_to_json(result->verification, &text, err) < 0)
            return -ENOMEM;
        verification = json_loads(text, 0, NULL);
        tdx_free(text);
    }
    o = json_pack("{s:b, s:b, s:b, s:b, s:s, s:o, s:O, s:b, s:O, s:o}", "delivered",
                  result->delivered, "sent", result->sent, "attested", result->attested,
                  "simulated", result->simulated,
                  "challenge_id", result->challenge_id,
                  "verification", verification ? verification : json_null(), "written",
                  result->written ? result->written : json_array(), "ready", result->ready,
                  "missing", result->missing ? result->missing : json_array(), "sender",
                  result->sender ? json_string(result->sender) : json_null());
    *out = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return *out ? 0 : tdx_err_oom(err);
}

/* ------------------------------------------------------------------------ */

struct challenge {
    char id[SECRETS_CHALLENGE_ID_MAX + 1];
    uint8_t public_key[HPKE_NPK];
    uint8_t *quote;
    size_t quote_len;
    bool unattested, simulated;
};

static int hex_member(json_t *reply, const char *key, uint8_t *out, size_t n)
{
    json_t *v = json_object_get(reply, key);
    return json_is_string(v) && json_string_length(v) == 2 * n &&
                   hex_decode(json_string_value(v), out, n) == (int)n
               ? 0 : -EPROTO;
}

static int ask_challenge(tdx_agent *agent, const uint8_t nonce[SECRETS_NONCE_SIZE],
                         bool unattested, struct challenge *c, tdx_error *err)
{
    const char *addr = tdx_agent_address(agent);
    char nonce_hex[2 * SECRETS_NONCE_SIZE + 1];
    json_t *params, *reply = NULL, *id, *quote;
    int r;

    hex_encode(nonce, SECRETS_NONCE_SIZE, nonce_hex);
    params = json_pack("{s:s}", "nonce", nonce_hex);
    if (params && unattested)
        json_object_set_new(params, "unattested", json_true());
    if (!params)
        return tdx_err_oom(err);
    r = agent_call_json(agent, "secrets.challenge", params, &reply, err);
    if (r < 0)
        return r;
    id = json_object_get(reply, "challenge_id");
    quote = json_object_get(reply, "quote");
    if (!json_is_string(id) || json_string_length(id) == 0 ||
        json_string_length(id) > SECRETS_CHALLENGE_ID_MAX ||
        strspn(json_string_value(id), "0123456789abcdef") != json_string_length(id))
        r = tdx_err(err, -EPROTO, "%s: secrets.challenge: reply has no valid challenge_id", addr);
    else if (hex_member(reply, "public_key", c->public_key, HPKE_NPK) < 0)
        r = tdx_err(err, -EPROTO, "%s: secrets.challenge: reply has no 64-hex-digit public_key",
                    addr);
    else if (json_is_true(json_object_get(reply, "unattested")) != unattested)
        r = tdx_err(err, -EPROTO, "%s: secrets.challenge: the agent answered %s challenge",
                    addr, unattested ? "an attested" : "an unattested");
    else if (!unattested && !json_is_string(quote))
        r = tdx_err(err, -EPROTO, "%s: secrets.challenge: reply has no quote", addr);
    if (r == 0) {
        snprintf(c->id, sizeof(c->id), "%s", json_string_value(id));
        c->unattested = unattested;
        /* The agent's word only; the verifier decides what the quote proves. */
        c->simulated = json_is_true(json_object_get(reply, "simulated"));
        if (!unattested)
            r = agent_reply_base64(agent, reply, "secrets.challenge", "quote", QUOTE_MAX,
                                   &c->quote, &c->quote_len, err);
    }
    json_decref(reply);
    return r;
}

/* The quote, the REPORTDATA binding of the agent's key, the policy. */
static int verify_challenge(const struct challenge *c, const uint8_t nonce[SECRETS_NONCE_SIZE],
                            const tdx_push_options *opts, tdx_verification **out,
                            tdx_error *err)
{
    tdx_verify_options vo = TDX_VERIFY_OPTIONS_INIT;
    uint8_t report_data[SECRETS_REPORT_DATA_SIZE];
    tdx_quote *quote = NULL;
    int r;

    if (opts->verify)
        vo = *opts->verify;
    if (secrets_report_data(nonce, c->public_key, report_data) < 0)
        return tdx_err(err, -EIO, "SHA-512 failed");
    vo.report_data = report_data;
    vo.report_data_size = sizeof(report_data);
    r = tdx_quote_parse(&quote, c->quote, c->quote_len, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "quote: parse");
    r = tdx_verifier_verify(opts->verifier, quote, &vo, out, err);
    tdx_quote_free(quote);
    return r < 0 ? tdx_err_prefix(err, r, "quote") : 0;
}

/* The plaintext, checked to fit one frame once sealed, before anything
 * is asked of the agent. */
static int plaintext(const tdx_secrets *secrets, char **pt, size_t *pt_len, tdx_error *err)
{
    size_t b64_len;

    if (secret_set_to_json(&secrets->set, pt, pt_len) < 0)
        return tdx_err_oom(err);
    b64_len = base64_encoded_len(*pt_len + HPKE_NT);
    /* What the frame carries besides the ciphertext is a few hundred bytes. */
    if (b64_len + 512 > FRAME_MAX) {
        secret_buffer_free(*pt, *pt_len + 1);
        *pt = NULL;
        return tdx_err(err, -EMSGSIZE, "the sealed secrets would take %zu bytes in base64; one "
                       "delivery carries at most about %d bytes of secrets (push them in parts)",
                       b64_len, (FRAME_MAX - 512) / 4 * 3 - HPKE_NT - 64);
    }
    return 0;
}

/* Seals pt to the challenge's key: {challenge_id, enc, ciphertext}, and
 * sender_key (the public key) in auth mode, when sender_sk is set. */
static int seal(const char *pt, size_t pt_len, const struct challenge *c,
                const uint8_t nonce[SECRETS_NONCE_SIZE], const uint8_t *sender_sk,
                json_t **params, tdx_error *err)
{
    uint8_t info[SECRETS_INFO_SIZE], enc[HPKE_NENC], pk_s[HPKE_NPK], *ct;
    size_t ct_len = pt_len + HPKE_NT;
    char enc_hex[2 * HPKE_NENC + 1], pk_hex[2 * HPKE_NPK + 1], *ct_b64;
    struct hpke_ctx ctx;
    int r;

    secrets_hpke_info(nonce, info);
    ct = malloc(ct_len);
    ct_b64 = malloc(base64_encoded_len(ct_len) + 1);
    r = !ct || !ct_b64 ? -ENOMEM
        : sender_sk ? hpke_setup_auth_s(c->public_key, sender_sk, info, sizeof(info), NULL, enc,
                                        &ctx)
                    : hpke_setup_base_s(c->public_key, info, sizeof(info), NULL, enc, &ctx);
    if (r == 0 && sender_sk)
        r = hpke_public_key(sender_sk, pk_s) < 0 ? -EIO : 0;
    if (r == 0)
        r = hpke_seal(&ctx, (const uint8_t *)c->id, strlen(c->id), (const uint8_t *)pt, pt_len,
                      ct);
    hpke_ctx_wipe(&ctx);
    if (r == 0) {
        base64_encode(ct, ct_len, ct_b64);
        hex_encode(enc, sizeof(enc), enc_hex);
        *params = json_pack("{s:s, s:s, s:s}", "challenge_id", c->id, "enc", enc_hex,
                            "ciphertext", ct_b64);
        if (*params && sender_sk) {
            hex_encode(pk_s, sizeof(pk_s), pk_hex);
            if (json_object_set_new(*params, "sender_key", json_string(pk_hex)) < 0) {
                json_decref(*params);
                *params = NULL;
            }
        }
        if (!*params)
            r = -ENOMEM;
    }
    free(ct);
    free(ct_b64);
    if (r == -ENOMEM)
        return tdx_err_oom(err);
    if (r < 0)
        return tdx_err(err, r, "sealing the secrets failed (%s)",
                       r == -EKEYREJECTED ? "the agent's public key is a low-order point"
                                          : "OpenSSL error");
    return 0;
}

/* The agent must name every secret sent, with the digest of what was sent. */
static int check_written(const tdx_secrets *secrets, json_t *written, const char *addr,
                         tdx_error *err)
{
    const struct secret_set *set = &secrets->set;

    if (!json_is_array(written) || json_array_size(written) != set->n)
        return tdx_err(err, -EPROTO, "%s: secrets.deliver: the agent reports %zu secrets "
                       "written, %zu were sent", addr, json_array_size(written), set->n);
    for (size_t i = 0; i < set->n; i++) {
        uint8_t want[32], got[32];
        unsigned int n = 0;
        json_t *e = NULL, *v;
        size_t k;
        json_array_foreach(written, k, v)
            if (json_is_string(json_object_get(v, "name")) &&
                streq(json_string_value(json_object_get(v, "name")), set->items[i].name))
                e = v;
        if (!e || hex_member(e, "sha256", got, sizeof(got)) < 0)
            return tdx_err(err, -EPROTO, "%s: secrets.deliver: the agent does not report "
                           "secret \"%s\" with its SHA-256", addr, set->items[i].name);
        if (EVP_Digest(set->items[i].value, set->items[i].len, want, &n, EVP_sha256(), NULL) != 1)
            return tdx_err(err, -EIO, "SHA-256 failed");
        if (CRYPTO_memcmp(want, got, sizeof(want)) != 0)
            return tdx_err(err, -EPROTO, "%s: secrets.deliver: the agent wrote secret \"%s\" "
                           "with another SHA-256 than the value sent", addr, set->items[i].name);
    }
    return 0;
}

static int deliver(tdx_agent *agent, const tdx_secrets *secrets, json_t *params,
                   tdx_push_result *res, tdx_error *err)
{
    json_t *reply = NULL;
    int r;

    res->sent = true;
    r = agent_call_json(agent, "secrets.deliver", params, &reply, err);
    if (r < 0) {
        /* An error reply means the agent wrote nothing; a broken connection
         * leaves it unknown. */
        res->refused = r != -ETIMEDOUT && r != -EPIPE && r != -ECONNRESET && r != -EPROTO &&
                       r != -ENOTCONN;
        return r;
    }
    r = check_written(secrets, json_object_get(reply, "written"), tdx_agent_address(agent), err);
    if (r == 0) {
        res->delivered = true;
        res->ready = json_is_true(json_object_get(reply, "ready"));
        res->written = json_incref(json_object_get(reply, "written"));
        res->missing = json_is_array(json_object_get(reply, "missing"))
                           ? json_incref(json_object_get(reply, "missing")) : json_array();
        if (json_is_string(json_object_get(reply, "sender")) &&
            !(res->sender = strdup(json_string_value(json_object_get(reply, "sender")))))
            r = tdx_err_oom(err);
    }
    json_decref(reply);
    return r;
}

int tdx_secrets_push(tdx_agent *agent, const tdx_secrets *secrets, const tdx_push_options *opts,
                     tdx_push_result **result, tdx_error *err)
{
    struct challenge c = { 0 };
    uint8_t nonce[SECRETS_NONCE_SIZE];
    tdx_push_result *res;
    json_t *params = NULL;
    char *pt = NULL;
    size_t pt_len = 0;
    bool unattested;
    int r;

    if (result)
        *result = NULL;
    tdx_check_arg(agent, err);
    tdx_check_arg(secrets, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_PUSH_OPTIONS_VERSION, err);
    unattested = opts->insecure_unattested != TDX_UNSET && opts->insecure_unattested;
    if (secrets->set.n == 0)
        return tdx_err(err, -EINVAL, "no secrets to push");
    if (!unattested && !opts->verifier)
        return tdx_err(err, -EINVAL, "a verifier is required (or insecure_unattested)");
    if (opts->verify && opts->verify->report_data)
        return tdx_err(err, -EINVAL, "verify.report_data must be NULL: the push binds the "
                       "REPORTDATA to its own nonce and the agent's key");
    if (!unattested && !(opts->verify && opts->verify->expected) &&
        !(opts->accept_any_measurements != TDX_UNSET && opts->accept_any_measurements))
        return tdx_err(err, -EINVAL, "no expected measurements: give them, or accept any "
                       "measurements explicitly (any TD on genuine hardware would then get the "
                       "secrets)");
    r = plaintext(secrets, &pt, &pt_len, err);
    if (r < 0)
        return r;
    res = calloc(1, sizeof(*res));
    if (!res) {
        secret_buffer_free(pt, pt_len + 1);
        return tdx_err_oom(err);
    }
    res->attested = !unattested;

    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        r = tdx_err(err, -EIO, "no random bytes for the nonce");
        goto out;
    }
    r = ask_challenge(agent, nonce, unattested, &c, err);
    if (r < 0)
        goto out;
    snprintf(res->challenge_id, sizeof(res->challenge_id), "%s", c.id);
    res->simulated = c.simulated;
    if (!unattested) {
        r = verify_challenge(&c, nonce, opts, &res->verification, err);
        if (r < 0)
            goto out;   /* nothing sealed, nothing sent */
    }
    r = seal(pt, pt_len, &c, nonce, opts->version >= 2 ? opts->sender_key : NULL, &params, err);
    secret_buffer_free(pt, pt_len + 1);
    pt = NULL;
    if (r == 0)
        r = deliver(agent, secrets, params, res, err);
out:
    secret_buffer_free(pt, pt_len + 1);
    free(c.quote);
    if (result && (r == 0 || res->verification || res->sent))
        *result = res;
    else
        tdx_push_result_free(res);
    return r;
}

int tdx_secrets_status(tdx_agent *agent, char **status_json, tdx_error *err)
{
    tdx_check_arg(agent, err);
    tdx_check_arg(status_json, err);
    return agent_call_text(agent, "secrets.status", agent_status_shape, agent_status_shape_len,
                           status_json, err);
}
