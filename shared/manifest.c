/* SPDX-License-Identifier: MIT */
#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "fileio.h"
#include "hex.h"
#include "base64.h"
#include "json-reader.h"
#include "json-strict.h"
#include "macro.h"
#include "msg.h"
#include "regex-check.h"
#include "utf8.h"

#define JSON_VALUE_DEPTH_MAX 64

static const char *const kind_names[] = { "string", "hex", "base64", "json", NULL };

const char *manifest_kind_name(enum manifest_kind kind)
{
    return (size_t)kind < ELEMENTSOF(kind_names) - 1 ? kind_names[kind] : "?";
}

static int parse_schema(struct json_reader *R, json_t *schema, const char *path,
                        struct manifest_secret *s)
{
    static const char *const allowed[] = { "kind", "min_length", "max_length", "pattern", NULL };
    char where[JR_PATH_MAX], err[128];
    const char *pattern = NULL, *why;
    uint64_t min = 0, max = 0;
    int r, rc, k = 0;

    if ((r = jr_keys(R, schema, path, allowed)) < 0 ||
        (r = jr_enum(R, schema, path, "kind", JR_REQUIRED, kind_names, &k)) < 0 ||
        (r = jr_uint(R, schema, path, "min_length", JR_REQUIRED, 0, MANIFEST_VALUE_MAX, &min)) < 0 ||
        (r = jr_uint(R, schema, path, "max_length", JR_REQUIRED, 0, MANIFEST_VALUE_MAX, &max)) < 0 ||
        (r = jr_string(R, schema, path, "pattern", 0, NULL, &pattern)) < 0)
        return r;
    s->kind = (enum manifest_kind)k;
    s->min_length = (size_t)min;
    s->max_length = (size_t)max;
    if (min > max)
        return jr_fail(R, jr_path_key(where, path, "min_length"), "greater than max_length");
    if (!pattern)
        return 0;
    jr_path_key(where, path, "pattern");
    if ((why = regex_pattern_check(pattern)))
        return jr_fail(R, where, "%s", why);
    if ((rc = regcomp(&s->regex, pattern, REG_EXTENDED)) != 0) {
        regerror(rc, &s->regex, err, sizeof(err));
        return jr_fail(R, where, "not a POSIX extended regular expression: %s", err);
    }
    /* Set only once compiled: manifest_free() then regfree()s. */
    s->pattern = strdup(pattern);
    if (!s->pattern) {
        regfree(&s->regex);
        return jr_oom(R);
    }
    return 0;
}

const char *manifest_check_env_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 128 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return "expected a variable name matching [A-Za-z_][A-Za-z0-9_]* (at most 128 bytes)";
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return "expected a variable name matching [A-Za-z_][A-Za-z0-9_]* (at most 128 bytes)";
    return NULL;
}

const char *manifest_check_env_scope(const char *s)
{
    const char *why = "expected \"global\" or \"service:NAME\" (NAME a service of the recipe)";
    if (streq(s, "global"))
        return NULL;
    if (!startswith(s, "service:") || !s[8] || strlen(s + 8) > 200)
        return why;
    for (const char *p = s + 8; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("_.@-", *p)))
            return why;
    return NULL;
}

int manifest_env_file(const char *scope, char *out, size_t size)
{
    int n = streq(scope, "global") ? snprintf(out, size, MANIFEST_ENV_DIR "/global.env")
                                   : snprintf(out, size, MANIFEST_ENV_DIR "/service-%s.env",
                                              scope + strlen("service:"));
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* env: [{"name", "scope"}], 1 to MANIFEST_ENV_MAX of them when present. */
static int parse_env_targets(struct json_reader *R, json_t *e, const char *path,
                             struct manifest_secret *s)
{
    static const char *const allowed[] = { "name", "scope", NULL };
    char base[JR_PATH_MAX], where[JR_PATH_MAX];
    json_t *list = NULL, *t;
    size_t i;
    int r;

    if ((r = jr_array(R, e, path, "env", 0, 1, MANIFEST_ENV_MAX, &list)) <= 0)
        return r;
    jr_path_key(base, path, "env");
    json_array_foreach(list, i, t) {
        jr_path_index(where, base, i);
        s->n_env = i + 1;   /* freed however far this got */
        if ((r = jr_object(R, t, where, NULL, JR_REQUIRED, SIZE_MAX, &t)) < 0 ||
            (r = jr_keys(R, t, where, allowed)) < 0 ||
            (r = jr_strdup(R, t, where, "name", JR_REQUIRED, manifest_check_env_name,
                           &s->env[i].name)) < 0 ||
            (r = jr_strdup(R, t, where, "scope", JR_REQUIRED, manifest_check_env_scope,
                           &s->env[i].scope)) < 0)
            return r;
    }
    return 0;
}

static int parse_secret(struct json_reader *R, json_t *e, const char *path,
                        struct manifest_secret *s)
{
    static const char *const allowed[] = { "name",     "dest",        "owner",     "group",
                                           "mode",     "required",    "description", "schema",
                                           "dir_mode", "dir_owner",   "dir_group", "env", NULL };
    int r, mode = 0, dir_mode = 0755, required = 0;
    char where[JR_PATH_MAX];
    json_t *schema = NULL;

    /* Strings go straight into s, which manifest_free() frees however far
     * this got: no copy is left to leak on the way out. */
    if ((r = jr_object(R, e, path, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
        (r = jr_keys(R, e, path, allowed)) < 0 ||
        (r = jr_strdup(R, e, path, "name", JR_REQUIRED, check_secret_name, &s->name)) < 0 ||
        (r = parse_env_targets(R, e, path, s)) < 0 ||
        (r = jr_strdup(R, e, path, "dest", s->n_env ? 0 : JR_REQUIRED, check_abs_path,
                       &s->dest)) < 0 ||
        (r = jr_strdup(R, e, path, "owner", JR_REQUIRED, check_user_name, &s->owner)) < 0 ||
        (r = jr_strdup(R, e, path, "group", JR_REQUIRED, check_user_name, &s->group)) < 0 ||
        (r = jr_strdup(R, e, path, "description", 0, NULL, &s->description)) < 0 ||
        (r = jr_mode(R, e, path, "mode", JR_REQUIRED, &mode)) < 0 ||
        (r = jr_mode(R, e, path, "dir_mode", 0, &dir_mode)) < 0 ||
        (r = jr_strdup(R, e, path, "dir_owner", 0, check_user_name, &s->dir_owner)) < 0 ||
        (r = jr_strdup(R, e, path, "dir_group", 0, check_user_name, &s->dir_group)) < 0 ||
        (r = jr_bool(R, e, path, "required", JR_REQUIRED, &required)) < 0 ||
        (r = jr_object(R, e, path, "schema", JR_REQUIRED, SIZE_MAX, &schema)) < 0)
        return r;
    s->mode = (unsigned int)mode;
    s->dir_mode = (unsigned int)dir_mode;
    s->required = required;
    if ((!s->dir_owner && !(s->dir_owner = strdup("root"))) ||
        (!s->dir_group && !(s->dir_group = strdup(s->dir_owner))))
        return jr_oom(R);
    return parse_schema(R, schema, jr_path_key(where, path, "schema"), s);
}

static bool same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    return sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* Two secrets never share a destination, and secrets in one directory
 * describe it alike. */
static int check_against_earlier(struct json_reader *R, const struct manifest *m, size_t i,
                                 const char *path)
{
    const struct manifest_secret *s = &m->secrets[i];
    char where[JR_PATH_MAX];

    for (size_t j = 0; j <= i; j++) {
        const struct manifest_secret *o = &m->secrets[j];
        for (size_t a = 0; a < s->n_env; a++)
            for (size_t b = 0; b < (j == i ? a : o->n_env); b++)
                if (streq(s->env[a].name, o->env[b].name) && streq(s->env[a].scope, o->env[b].scope))
                    return jr_fail(R, jr_path_key(where, path, "env"), "%s in scope %s is also "
                                   "a target of \"%s\"", s->env[a].name, s->env[a].scope,
                                   o->name);
        if (j == i || !o->dest || !s->dest)
            continue;
        if (streq(o->dest, s->dest))
            return jr_fail(R, jr_path_key(where, path, "dest"),
                           "%s is also the destination of \"%s\"", s->dest, o->name);
        if (same_dir(o->dest, s->dest) &&
            (o->dir_mode != s->dir_mode || !streq(o->dir_owner, s->dir_owner) ||
             !streq(o->dir_group, s->dir_group)))
            return jr_fail(R, path, "dir_mode, dir_owner, dir_group: \"%s\" in the same "
                           "directory says otherwise", o->name);
    }
    return 0;
}

static const char *const replace_names[] = { "same-sender", "never", "any-sender", NULL };

const char *manifest_replace_name(enum manifest_replace replace)
{
    return (size_t)replace < ELEMENTSOF(replace_names) - 1 ? replace_names[replace] : "?";
}

static int parse_sender(struct json_reader *R, const struct manifest *m, json_t *e,
                        const char *path, struct manifest_sender *s)
{
    static const char *const allowed[] = { "name", "public_key", "secrets", NULL };
    char where[JR_PATH_MAX], base[JR_PATH_MAX];
    const char *key = NULL;
    json_t *list = NULL, *v;
    size_t i;
    int r;

    if ((r = jr_object(R, e, path, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
        (r = jr_keys(R, e, path, allowed)) < 0 ||
        (r = jr_strdup(R, e, path, "name", JR_REQUIRED, check_secret_name, &s->name)) < 0 ||
        (r = jr_string(R, e, path, "public_key", JR_REQUIRED, NULL, &key)) < 0)
        return r;
    if (strlen(key) != 64 || hex_decode(key, s->public_key, 32) != 32)
        return jr_fail(R, jr_path_key(where, path, "public_key"), "expected 64 hex digits (an "
                       "X25519 public key)");
    if ((r = jr_array(R, e, path, "secrets", 0, 1, MANIFEST_SECRETS_MAX, &list)) <= 0)
        return r;
    if (!(s->may_set = calloc(m->n ? m->n : 1, sizeof(*s->may_set))))
        return jr_oom(R);
    json_array_foreach(list, i, v) {
        const struct manifest_secret *ms =
            json_is_string(v) ? manifest_find(m, json_string_value(v)) : NULL;
        if (!ms)
            return jr_fail(R, jr_path_index(where, jr_path_key(base, path, "secrets"), i),
                           "expected the name of a secret of this manifest");
        s->may_set[ms - m->secrets] = true;
    }
    return 0;
}

/* senders and replace, read once the secrets are known. */
static int parse_senders(struct json_reader *R, json_t *root, struct manifest *m)
{
    char path[JR_PATH_MAX];
    json_t *list = NULL;
    int r, replace = 0;

    if ((r = jr_enum(R, root, "", "replace", 0, replace_names, &replace)) < 0)
        return r;
    m->replace = (enum manifest_replace)replace;
    if ((r = jr_array(R, root, "", "senders", 0, 0, MANIFEST_SENDERS_MAX, &list)) <= 0)
        return r;
    if (!(m->senders = calloc(json_array_size(list) + 1, sizeof(*m->senders))))
        return jr_oom(R);
    for (size_t i = 0; i < json_array_size(list); i++) {
        jr_path_index(path, "senders", i);
        r = parse_sender(R, m, json_array_get(list, i), path, &m->senders[i]);
        m->n_senders = i + 1;   /* freed even when half-filled */
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (streq(m->senders[j].name, m->senders[i].name) ||
                memcmp(m->senders[j].public_key, m->senders[i].public_key, 32) == 0)
                return jr_fail(R, path, "the same name or key as senders[%zu]", j);
    }
    return 0;
}

static int parse_root(struct json_reader *R, json_t *root, struct manifest *m)
{
    static const char *const allowed[] = { "version", "secrets", "insecure_allow_unattested",
                                           "senders", "replace", NULL };
    char path[JR_PATH_MAX], where[JR_PATH_MAX];
    long long version = 0;
    int r, unattested = 0;
    json_t *list = NULL;

    if ((r = jr_keys(R, root, "", allowed)) < 0 ||
        (r = jr_int(R, root, "", "version", JR_REQUIRED, LLONG_MIN, LLONG_MAX, &version)) < 0)
        return r;
    if (version != 1)
        return jr_fail(R, "version", "expected 1 (the format this agent reads), got %lld", version);
    if ((r = jr_bool(R, root, "", "insecure_allow_unattested", 0, &unattested)) < 0 ||
        (r = jr_array(R, root, "", "secrets", JR_REQUIRED, 0, MANIFEST_SECRETS_MAX, &list)) < 0)
        return r;
    m->insecure_allow_unattested = unattested;
    m->secrets = calloc(json_array_size(list) + 1, sizeof(*m->secrets));
    if (!m->secrets)
        return jr_oom(R);
    for (size_t i = 0; i < json_array_size(list); i++) {
        jr_path_index(path, "secrets", i);
        r = parse_secret(R, json_array_get(list, i), path, &m->secrets[i]);
        m->n = i + 1;   /* counted even when half-filled, so manifest_free frees it */
        if (r < 0)
            return r;
        if (manifest_find(m, m->secrets[i].name) != &m->secrets[i])
            return jr_fail(R, jr_path_key(where, path, "name"), "\"%s\" is declared twice",
                           m->secrets[i].name);
        if ((r = check_against_earlier(R, m, i, path)) < 0)
            return r;
        if (m->secrets[i].required)
            m->n_required++;
    }
    return parse_senders(R, root, m);
}

int manifest_parse(const char *label, const char *text, size_t len, struct manifest **out,
                   char *msg, size_t msg_size)
{
    struct json_reader R;
    struct manifest *m;
    json_t *root = NULL;
    int r;

    jr_init(&R, label, msg, msg_size);
    r = jr_parse(&R, text, len, 8, 16 * MANIFEST_SECRETS_MAX, &root);
    if (r < 0)
        return r;
    m = calloc(1, sizeof(*m));
    if (!m) {
        json_decref(root);
        return jr_oom(&R);
    }
    r = parse_root(&R, root, m);
    json_decref(root);
    if (r < 0) {
        manifest_free(m);
        return r;
    }
    *out = m;
    return 0;
}

int manifest_load(const char *path, struct manifest **out, char *msg, size_t msg_size)
{
    char *text = NULL;
    size_t len;
    int r = read_file_bounded(path, MANIFEST_FILE_MAX, &text, &len);

    if (r < 0) {
        return msgf(msg, msg_size, r, "%s: cannot read: %s", path,
                    r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
    }
    r = manifest_parse(path, text, len, out, msg, msg_size);
    free(text);
    return r;
}

void manifest_free(struct manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        struct manifest_secret *s = &m->secrets[i];
        if (s->pattern)
            regfree(&s->regex);
        free(s->name);
        free(s->dest);
        for (size_t k = 0; k < s->n_env; k++) {
            free(s->env[k].name);
            free(s->env[k].scope);
        }
        free(s->owner);
        free(s->group);
        free(s->description);
        free(s->pattern);
        free(s->dir_owner);
        free(s->dir_group);
    }
    for (size_t i = 0; i < m->n_senders; i++) {
        free(m->senders[i].name);
        free(m->senders[i].may_set);
    }
    free(m->senders);
    free(m->secrets);
    free(m);
}

const struct manifest_sender *manifest_find_sender(const struct manifest *m,
                                                   const uint8_t public_key[32])
{
    for (size_t i = 0; m && i < m->n_senders; i++)
        if (memcmp(m->senders[i].public_key, public_key, 32) == 0)
            return &m->senders[i];
    return NULL;
}

const struct manifest_secret *manifest_find(const struct manifest *m, const char *name)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (m->secrets[i].name && streq(m->secrets[i].name, name))
            return &m->secrets[i];
    return NULL;
}

static bool all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static bool is_base64(const char *s, size_t len)
{
    size_t max = len / 4 * 3;
    uint8_t *buf = malloc(max ? max : 1);
    long n;
    if (!buf)
        return false;
    n = base64_decode(s, len, buf, max);
    explicit_bzero(buf, max ? max : 1);
    free(buf);
    return n >= 0;
}

int manifest_check_value(const struct manifest_secret *s, const char *value, size_t len,
                         char *msg, size_t msg_size)
{
    const char *why = NULL;   /* a phrase, never the value */
    regmatch_t m[1];
    size_t pos;

    if (len < s->min_length || len > s->max_length) {
        return msgf(msg, msg_size, -EINVAL, "secret \"%s\": expected %zu to %zu bytes, got %zu",
                    s->name, s->min_length, s->max_length, len);
    }
    if (memchr(value, '\0', len)) {
        return msgf(msg, msg_size, -EINVAL, "secret \"%s\": contains a NUL byte", s->name);
    }
    switch (s->kind) {
    case MANIFEST_KIND_STRING:
        if (!utf8_valid(value, len))
            why = "expected UTF-8 text";
        break;
    case MANIFEST_KIND_HEX:
        if (len % 2 || !all_hex(value, len))
            why = "expected hexadecimal digits (an even number of them)";
        break;
    case MANIFEST_KIND_BASE64:
        if (!is_base64(value, len))
            why = "expected base64 (RFC 4648, standard alphabet, with padding, no whitespace)";
        break;
    case MANIFEST_KIND_JSON:
        if ((why = json_strict_check(value, len, JSON_VALUE_DEPTH_MAX, &pos))) {
            return msgf(msg, msg_size, -EINVAL,
                        "secret \"%s\": expected one JSON value; at byte %zu: %s", s->name, pos,
                        why);
        }
        break;
    }
    if (!why && s->pattern &&
        (regexec(&s->regex, value, 1, m, 0) != 0 || m[0].rm_so != 0 || (size_t)m[0].rm_eo != len))
        why = "does not match the schema's pattern";
    if (why) {
        return msgf(msg, msg_size, -EINVAL, "secret \"%s\": %s", s->name, why);
    }
    return 0;
}
