/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/secrets.h
 * @brief Attested secret delivery: push secrets to a tdx-agent only after
 *        its quote verified (docs/secrets.md).
 *
 * A push asks the agent for a challenge with a fresh 32-byte nonce; the
 * agent answers with a one-use X25519 public key and a quote whose
 * REPORTDATA is SHA-512("tdx-secrets-v1" || 0x00 || nonce || public key).
 * The quote is verified (chain, signatures, collateral when given, the
 * expected measurements, that binding); only then are the secrets sealed
 * with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-128-GCM) to that key and delivered. Any failure before sealing sends
 * nothing. The agent checks every value against the image's manifest,
 * writes them all or none, and answers with each value's SHA-256, which
 * the push compares with what it sent.
 *
 * Values live in a tdx_secrets set: copied in, never printed, overwritten
 * when the set is freed, and sealed from a buffer that is overwritten too.
 */
#ifndef TDXHOST_SECRETS_H
#define TDXHOST_SECRETS_H

#include "agent.h"
#include "common.h"
#include "quote.h"

TDX_BEGIN_DECLS

/** A set of named secret values. */
typedef struct tdx_secrets tdx_secrets;

/**
 * Creates an empty set.
 * @param[out] out receives the set; free it with tdx_secrets_free().
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_secrets_new(tdx_secrets **out, tdx_error *err);

/**
 * Reads a secrets file: a JSON object {"name": "value", ...} (a value that
 * is not a string is taken as its JSON text, for secrets of kind json), or
 * NAME=value lines (docs/secrets.md has the quoting rules). The format is
 * told by the first non-blank character: '{' means JSON. Messages name the
 * file, the line and the secret, never a value.
 * @param[out] out receives the set; free it with tdx_secrets_free().
 * @return 0; -EINVAL (malformed, a bad name, a value that is not UTF-8 text
 *         or holds a NUL); -EEXIST (a name twice); -E2BIG (more than 4096
 *         secrets or 1 MiB of values); -EFBIG (file over 4 MiB); the
 *         negative errno of a failed read; -ENOMEM.
 */
TDX_EXTERN int tdx_secrets_load_file(tdx_secrets **out, const char *path, tdx_error *err);

/**
 * Adds a copy of @p value (@p len bytes of UTF-8 text without NUL) under
 * @p name ([A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters).
 * @return 0, -EINVAL, -EEXIST, -E2BIG, -ENOMEM (as tdx_secrets_load_file()).
 */
TDX_EXTERN int tdx_secrets_add(tdx_secrets *secrets, const char *name, const char *value,
                               size_t len, tdx_error *err);

/** Number of secrets in the set. */
TDX_EXTERN size_t tdx_secrets_count(const tdx_secrets *secrets);

/** Name of secret @p index, or NULL past the end. Borrowed from the set. */
TDX_EXTERN const char *tdx_secrets_name(const tdx_secrets *secrets, size_t index);

/** Overwrites every value and frees the set. NULL is accepted. */
TDX_EXTERN void tdx_secrets_free(tdx_secrets *secrets);

#define TDX_PUSH_OPTIONS_VERSION 2
typedef struct tdx_push_options {
    unsigned int version;
    /** Verifies the agent's quote (borrowed for the call). Required unless
     *  @c insecure_unattested. */
    tdx_verifier *verifier;
    /** Policy for the quote (borrowed): expected measurements, accepted TCB
     *  statuses, time, debug. Its report_data must be NULL: the push checks
     *  the REPORTDATA binding itself. NULL: the defaults. */
    const tdx_verify_options *verify;
    /** 1: push to a TD whatever its measurements, as long as its quote
     *  verifies. Without it a push with no expected measurements in
     *  @c verify is refused (-EINVAL) before anything is sent. */
    int accept_any_measurements;
    /** 1: DEVELOPMENT ONLY. Ask for a challenge without a quote and seal to
     *  the key it carries, unverified. The agent grants it only when the
     *  image's manifest has insecure_allow_unattested; anyone between here
     *  and the agent can then read the secrets. */
    int insecure_unattested;
    /* Version 2: */
    /** The sender's X25519 private key, TDX_SENDER_KEY_SIZE bytes (borrowed
     *  for the call; see tdx_sender_key_load()), for an image whose recipe
     *  lists senders: the secrets are sealed in HPKE auth mode, so the
     *  agent knows they come from the holder of this key. NULL: base mode,
     *  which such an image refuses. */
    const unsigned char *sender_key;
} tdx_push_options;
#define TDX_PUSH_OPTIONS_INIT { TDX_PUSH_OPTIONS_VERSION, NULL, NULL, TDX_UNSET, TDX_UNSET, NULL }

/** Bytes of a sender's private (and public) X25519 key. */
#define TDX_SENDER_KEY_SIZE 32

/**
 * Makes a sender key pair for `secret_delivery.senders` and writes the
 * private key to a new file @p path (mode 0600; an existing file is never
 * replaced): one line, the key in base64.
 * @param[out] public_key receives the public key as a recipe takes it
 *             (base64); free it with tdx_free().
 * @return 0, -EEXIST (path exists), the negative errno of creating or
 *         writing the file, -EIO (no random bytes), -ENOMEM.
 */
TDX_EXTERN int tdx_sender_key_generate(const char *path, char **public_key, tdx_error *err);

/**
 * Reads a private key file written by tdx_sender_key_generate() into
 * @p key. The file must be a regular file not readable by group or others.
 * @return 0, -EPERM (group- or world-readable), -EINVAL (not a key file),
 *         the negative errno of reading it.
 */
TDX_EXTERN int tdx_sender_key_load(const char *path, unsigned char key[TDX_SENDER_KEY_SIZE],
                                   tdx_error *err);

/**
 * The public key of a private sender key, as a recipe takes it (base64).
 * @param[out] public_key free it with tdx_free().
 * @return 0, -EIO, -ENOMEM.
 */
TDX_EXTERN int tdx_sender_key_public(const unsigned char key[TDX_SENDER_KEY_SIZE],
                                     char **public_key, tdx_error *err);

/** The outcome of a push. */
typedef struct tdx_push_result tdx_push_result;

/**
 * Pushes @p secrets to the agent behind @p agent (see above).
 *
 * @param[out] result receives the outcome whenever the quote was checked
 *             or the secrets were sent (also when verification or the
 *             delivery failed: the outcome says which step failed, and
 *             whether anything was sent); free it with
 *             tdx_push_result_free(). May be NULL.
 * @return 0 when the agent wrote every secret. Before sealing (nothing
 *         sent): -EINVAL (bad options, empty set, no expected measurements
 *         without accept_any_measurements), -EPROTO (malformed challenge),
 *         the verification codes of tdx_verifier_verify() with
 *         "quote: STEP: message" in err (-EKEYREJECTED, -EPERM, -EKEYEXPIRED,
 *         ...), -EMSGSIZE (the sealed set would not fit one 1 MiB frame).
 *         From the agent: its errors as tdx_agent_call() returns them
 *         (-EPERM: the image does not allow an unattested delivery;
 *         -ESTALE: the challenge expired; -EBADMSG: it did not open;
 *         -EINVAL: an unknown name or a value against its schema, named in
 *         err; -EIO: writing failed, nothing changed). -EPROTO when the
 *         agent's reply does not account for every secret with the right
 *         digest.
 */
TDX_EXTERN int tdx_secrets_push(tdx_agent *agent, const tdx_secrets *secrets,
                                const tdx_push_options *opts, tdx_push_result **result,
                                tdx_error *err);

/** Frees an outcome. NULL is accepted. */
TDX_EXTERN void tdx_push_result_free(tdx_push_result *result);

/** The quote's verification (borrowed from the result); NULL for an
 *  unattested push. */
TDX_EXTERN const tdx_verification *tdx_push_result_verification(const tdx_push_result *result);

/** 1 when the agent wrote the secrets, else 0. */
TDX_EXTERN int tdx_push_result_delivered(const tdx_push_result *result);

/** 1 when the sealed secrets were sent to the agent (whether or not it
 *  accepted them), 0 when the push stopped before. */
TDX_EXTERN int tdx_push_result_sent(const tdx_push_result *result);

/** 1 when the agent refused the delivery with an error reply, which means
 *  it changed nothing; 0 otherwise (also when the connection broke and the
 *  outcome is unknown: ask secrets.status). */
TDX_EXTERN int tdx_push_result_refused(const tdx_push_result *result);

/** The name of the sender the agent says delivered the secrets (borrowed
 *  from the result), or NULL for a delivery without a sender key. */
TDX_EXTERN const char *tdx_push_result_sender(const tdx_push_result *result);

/**
 * The outcome as one JSON object: "delivered", "sent" (the sealed secrets
 * reached the agent), "attested" (false for an unattested push), "simulated" (the agent said it runs the test quote
 * provider), "challenge_id", "verification" (as
 * tdx_verification_to_json(), or null), "written" (each secret's "name"
 * and "sha256"), "ready" and "missing" (the agent's required secrets still
 * absent).
 * @param[out] out receives the text; free it with tdx_free().
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_push_result_to_json(const tdx_push_result *result, char **out,
                                       tdx_error *err);

/**
 * Asks the agent which secrets it has (op secrets.status; no values).
 * @param[out] status_json {"secrets": [{"name", "required", "present"}],
 *             "ready", "missing"}; caller frees with tdx_free().
 * @return as tdx_agent_call(); -ENXIO when the agent has no manifest.
 */
TDX_EXTERN int tdx_secrets_status(tdx_agent *agent, char **status_json, tdx_error *err);

TDX_END_DECLS

#endif
