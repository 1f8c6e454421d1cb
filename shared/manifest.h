/* SPDX-License-Identifier: MIT */
/*
 * The secrets manifest (docs/secrets-manifest.md) as the agent reads it:
 * loaded and checked once at start, with each pattern compiled, so a bad
 * image fails loudly at boot rather than at the first delivery. The rules
 * are those the recipe compiler applies (checks.h), so a manifest tdxctl
 * wrote always loads.
 */
#ifndef TDX_SHARED_MANIFEST_H
#define TDX_SHARED_MANIFEST_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_FILE_MAX (1024 * 1024)
#define MANIFEST_SECRETS_MAX 4096
#define MANIFEST_VALUE_MAX (1024 * 1024)

enum manifest_kind {
    MANIFEST_KIND_STRING,
    MANIFEST_KIND_HEX,
    MANIFEST_KIND_BASE64,
    MANIFEST_KIND_JSON,
};

#define MANIFEST_ENV_MAX 16            /* environment targets of one secret */
#define MANIFEST_ENV_DIR "/run/tdx-secrets/env"

/* An environment variable a secret is delivered into: the file
 * MANIFEST_ENV_DIR/<scope file>.env that services of that scope read
 * (systemd EnvironmentFile= syntax). */
struct manifest_env {
    char *name;             /* [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes */
    char *scope;            /* "global" or "service:NAME" */
};

struct manifest_secret {
    char *name;
    char *dest;             /* NULL when the secret only goes into environments */
    struct manifest_env env[MANIFEST_ENV_MAX];
    size_t n_env;
    char *owner;
    char *group;
    char *description;      /* NULL when absent */
    unsigned int mode;
    bool required;
    enum manifest_kind kind;
    size_t min_length, max_length;
    char *pattern;          /* NULL when absent */
    /* The destination's directory, when it has to be created: */
    unsigned int dir_mode;  /* 0755 when absent */
    char *dir_owner;        /* "root" when absent */
    char *dir_group;        /* dir_owner when absent */
    regex_t regex;          /* compiled pattern (REG_EXTENDED) when pattern */
};

#define MANIFEST_SENDERS_MAX 64

/* A key allowed to deliver (HPKE auth mode). */
struct manifest_sender {
    char *name;
    uint8_t public_key[32];
    bool *may_set;          /* per secret of the manifest; NULL: all */
};

/* Whether a secret already delivered may be delivered again. */
enum manifest_replace {
    MANIFEST_REPLACE_SAME_SENDER,   /* the default */
    MANIFEST_REPLACE_NEVER,
    MANIFEST_REPLACE_ANY_SENDER,
};

struct manifest {
    struct manifest_secret *secrets;   /* in file order */
    size_t n;
    size_t n_required;
    /* Who may deliver: none means anyone who reaches the agent. */
    struct manifest_sender *senders;
    size_t n_senders;
    enum manifest_replace replace;
    /* The image accepts deliveries without a quote when the host asks for
     * them explicitly (development VMs without TDX; docs/secrets.md). */
    bool insecure_allow_unattested;
};

/*
 * Parses manifest text. label names it in messages. Returns 0 and a new
 * manifest in *out, or -EINVAL/-ENOMEM with a one-line message naming the
 * JSON path in msg: "secrets.json: secrets[1].schema.kind: expected ...".
 */
int manifest_parse(const char *label, const char *text, size_t len, struct manifest **out,
                   char *msg, size_t msg_size);

/* Reads (at most MANIFEST_FILE_MAX bytes) and parses path; errors as above,
 * or the negative errno of the failed read. */
int manifest_load(const char *path, struct manifest **out, char *msg, size_t msg_size);

void manifest_free(struct manifest *m);

const struct manifest_secret *manifest_find(const struct manifest *m, const char *name);

/* The sender whose public key this is, or NULL. */
const struct manifest_sender *manifest_find_sender(const struct manifest *m,
                                                   const uint8_t public_key[32]);

/* The environment file of a scope: MANIFEST_ENV_DIR "/global.env" or
 * MANIFEST_ENV_DIR "/service-NAME.env" (a ':' would be a separator in
 * too many places). -ENAMETOOLONG when it does not fit. */
int manifest_env_file(const char *scope, char *out, size_t size);

/* NULL, or why s is not an environment target scope. */
const char *manifest_check_env_scope(const char *s);
/* NULL, or why s is not an environment variable name. */
const char *manifest_check_env_name(const char *s);

/* "never", "same-sender" or "any-sender". */
const char *manifest_replace_name(enum manifest_replace replace);

const char *manifest_kind_name(enum manifest_kind kind);

/*
 * Checks a delivered value (len bytes, NUL-terminated, no NUL inside)
 * against the secret's schema: length bounds, kind, and the pattern, which
 * must match the whole value. Returns 0, or -EINVAL with a one-line
 * message naming the secret and the rule, never the value.
 */
int manifest_check_value(const struct manifest_secret *s, const char *value, size_t len,
                         char *msg, size_t msg_size);

#endif
