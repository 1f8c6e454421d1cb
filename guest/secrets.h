/* SPDX-License-Identifier: MIT */
/*
 * Attested secret delivery inside the agent (docs/secrets.md): one-use
 * challenge keys bound to quotes, opening and checking deliveries, writing
 * them (secrets-store.h), and readiness once every required secret is on
 * disk. The operations run on worker threads at the same time; a lock
 * guards the challenges and another makes deliveries one at a time.
 */
#ifndef TDX_AGENT_SECRETS_H
#define TDX_AGENT_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "secrets-proto.h"

struct json_t;
struct manifest;
struct quote_provider;
struct wire_error;

struct secrets_options {
    const char *root_dir;        /* NULL: "/" */
    const char *ready_file;      /* created when ready, removed at start; NULL: none */
    unsigned challenge_ttl_ms;
    unsigned max_challenges;
    /* Called once, on the thread that made the agent ready (in init mode it
     * starts the payload). */
    void (*on_ready)(void *userdata);
    void *userdata;
};

struct secrets;

/*
 * Removes a stale ready file, cleans up after interrupted deliveries, checks
 * which secrets are already on disk and, if every required one is, becomes
 * ready at once (creating the ready file, calling on_ready). m and provider
 * are borrowed for the object's life. Returns 0 or a negative errno with a
 * one-line message.
 */
int secrets_new(const struct manifest *m, struct quote_provider *provider,
                const struct secrets_options *opts, struct secrets **out, char *msg,
                size_t msg_size);
void secrets_free(struct secrets *s);

bool secrets_ready(struct secrets *s);

/* The three operations; each returns 0 with *result, or -EINVAL with e set. */
int secrets_challenge(struct secrets *s, const uint8_t nonce[SECRETS_NONCE_SIZE], bool unattested,
                      struct json_t **result, struct wire_error *e);
/* sender_key: the sender's X25519 public key of an auth-mode delivery, or
 * NULL (base mode). An image whose manifest lists senders takes only
 * auth-mode deliveries from them, within each sender's secrets and the
 * replace policy; one without takes only base mode. */
int secrets_deliver(struct secrets *s, const char *challenge_id, const uint8_t enc[HPKE_NENC],
                    const uint8_t *sender_key, const uint8_t *ciphertext, size_t ciphertext_len,
                    struct json_t **result, struct wire_error *e);
int secrets_status(struct secrets *s, struct json_t **result, struct wire_error *e);

#endif
