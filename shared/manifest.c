/* SPDX-License-Identifier: MIT */
#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "fileio.h"
#include "hex.h"
#include "base64.h"
#include "json-bounds.h"
#include "json-strict.h"
#include "macro.h"
#include "regex-check.h"
#include "utf8.h"

#define JSON_VALUE_DEPTH_MAX 64

static const char *const kind_names[] = { "string", "hex", "base64", "json", NULL };

struct mctx {
    const char *label;
    char *msg;
    size_t msg_size;
};

static int fail(struct mctx *c, int code, const char *path, const char *fmt, ...) _printf_(4, 5);
static int fail(struct mctx *c, int code, const char *path, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (isempty(path))
        snprintf(c->msg, c->msg_size, "%s: %s", c->label, what);
    else
        snprintf(c->msg, c->msg_size, "%s: %s: %s", c->label, path, what);
    for (char *p = c->msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return code;
}

const char *manifest_kind_name(enum manifest_kind kind)
{
    return (size_t)kind < ELEMENTSOF(kind_names) - 1 ? kind_names[kind] : "?";
}

static int check_members(struct mctx *c, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = streq(key, allowed[i]);
        if (!ok)
            return fail(c, -EINVAL, path, "unknown key \"%.64s\"", key);
    }
    return 0;
}

/* Member key of obj as a string that check() accepts; "" check means any. */
static int get_string(struct mctx *c, json_t *obj, const char *path, const char *key,
                      bool required, const char *(*check)(const char *), char **out)
{
    json_t *v = json_object_get(obj, key);
    const char *why;

    *out = NULL;
    if (!v) {
        if (required)
            return fail(c, -EINVAL, path, "%s: required", key);
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, -EINVAL, path, "%s: expected a string", key);
    if (check && (why = check(json_string_value(v))))
        return fail(c, -EINVAL, path, "%s: %s, got \"%.200s\"", key, why, json_string_value(v));
    *out = strdup(json_string_value(v));
    return *out ? 0 : fail(c, -ENOMEM, path, "out of memory");
}

static int get_length(struct mctx *c, json_t *schema, const char *path, const char *key,
                      size_t *out)
{
    json_t *v = json_object_get(schema, key);
    if (!v)
        return fail(c, -EINVAL, path, "%s: required", key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > MANIFEST_VALUE_MAX)
        return fail(c, -EINVAL, path, "%s: expected an integer from 0 to %d", key,
                    MANIFEST_VALUE_MAX);
    *out = (size_t)json_integer_value(v);
    return 0;
}

static const char *check_mode_text(const char *s)
{
    if (strlen(s) != 4 || strspn(s, "01234567") != 4)
        return "expected four octal digits such as \"0400\"";
    return NULL;
}

static int parse_schema(struct mctx *c, json_t *schema, const char *path,
                        struct manifest_secret *s)
{
    static const char *const allowed[] = { "kind", "min_length", "max_length", "pattern", NULL };
    char *kind = NULL, *pattern = NULL;
    const char *why;
    int r, rc, k = -1;

    if (!json_is_object(schema))
        return fail(c, -EINVAL, path, "expected an object");
    if ((r = check_members(c, schema, path, allowed)) < 0 ||
        (r = get_string(c, schema, path, "kind", true, NULL, &kind)) < 0)
        return r;
    for (size_t i = 0; kind_names[i]; i++)
        if (streq(kind, kind_names[i]))
            k = (int)i;
    if (k < 0) {
        r = fail(c, -EINVAL, path, "kind: expected one of \"string\", \"hex\", \"base64\", "
                                   "\"json\", got \"%.64s\"", kind);
        free(kind);
        return r;
    }
    free(kind);
    s->kind = (enum manifest_kind)k;
    if ((r = get_length(c, schema, path, "min_length", &s->min_length)) < 0 ||
        (r = get_length(c, schema, path, "max_length", &s->max_length)) < 0)
        return r;
    if (s->min_length > s->max_length)
        return fail(c, -EINVAL, path, "min_length: greater than max_length");
    if ((r = get_string(c, schema, path, "pattern", false, NULL, &pattern)) < 0 || !pattern)
        return r;
    if ((why = regex_pattern_check(pattern))) {
        r = fail(c, -EINVAL, path, "pattern: %s", why);
    } else if ((rc = regcomp(&s->regex, pattern, REG_EXTENDED)) != 0) {
        char err[128];
        regerror(rc, &s->regex, err, sizeof(err));
        r = fail(c, -EINVAL, path, "pattern: not a POSIX extended regular expression: %s", err);
    } else {
        s->pattern = pattern;   /* set only once compiled: manifest_free() then regfree()s */
        return 0;
    }
    free(pattern);
    return r;
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

/* env: [{"name", "scope"}]: at least one when present. */
static int parse_env_targets(struct mctx *c, json_t *list, const char *path,
                             struct manifest_secret *s)
{
    static const char *const allowed[] = { "name", "scope", NULL };
    json_t *e;
    size_t i;
    int r;

    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > MANIFEST_ENV_MAX)
        return fail(c, -EINVAL, path, "env: expected an array of 1 to %d targets",
                    MANIFEST_ENV_MAX);
    json_array_foreach(list, i, e) {
        char where[64];
        snprintf(where, sizeof(where), "%s.env[%zu]", path, i);
        if (!json_is_object(e))
            return fail(c, -EINVAL, where, "expected an object");
        if ((r = check_members(c, e, where, allowed)) < 0 ||
            (r = get_string(c, e, where, "name", true, manifest_check_env_name,
                            &s->env[i].name)) < 0 ||
            (r = get_string(c, e, where, "scope", true, manifest_check_env_scope,
                            &s->env[i].scope)) < 0) {
            s->n_env = i + 1;
            return r;
        }
        s->n_env = i + 1;
    }
    return 0;
}

static int parse_secret(struct mctx *c, json_t *e, const char *path, struct manifest_secret *s)
{
    static const char *const allowed[] = { "name",     "dest",        "owner",     "group",
                                           "mode",     "required",    "description", "schema",
                                           "dir_mode", "dir_owner",   "dir_group", "env", NULL };
    char *mode = NULL, *dir_mode = NULL, schema_path[96];
    json_t *required;
    int r;

    if (!json_is_object(e))
        return fail(c, -EINVAL, path, "expected an object");
    if ((r = check_members(c, e, path, allowed)) < 0 ||
        (r = get_string(c, e, path, "name", true, check_secret_name, &s->name)) < 0 ||
        (r = get_string(c, e, path, "dest", !json_object_get(e, "env"), check_abs_path,
                        &s->dest)) < 0 ||
        (r = parse_env_targets(c, json_object_get(e, "env"), path, s)) < 0 ||
        (r = get_string(c, e, path, "owner", true, check_user_name, &s->owner)) < 0 ||
        (r = get_string(c, e, path, "group", true, check_user_name, &s->group)) < 0 ||
        (r = get_string(c, e, path, "description", false, NULL, &s->description)) < 0 ||
        (r = get_string(c, e, path, "mode", true, check_mode_text, &mode)) < 0)
        return r;
    s->mode = (unsigned int)strtoul(mode, NULL, 8);
    free(mode);
    if ((r = get_string(c, e, path, "dir_mode", false, check_mode_text, &dir_mode)) < 0 ||
        (r = get_string(c, e, path, "dir_owner", false, check_user_name, &s->dir_owner)) < 0 ||
        (r = get_string(c, e, path, "dir_group", false, check_user_name, &s->dir_group)) < 0)
        return r;
    s->dir_mode = dir_mode ? (unsigned int)strtoul(dir_mode, NULL, 8) : 0755;
    free(dir_mode);
    if ((!s->dir_owner && !(s->dir_owner = strdup("root"))) ||
        (!s->dir_group && !(s->dir_group = strdup(s->dir_owner))))
        return fail(c, -ENOMEM, path, "out of memory");
    required = json_object_get(e, "required");
    if (!json_is_boolean(required))
        return fail(c, -EINVAL, path, "required: %s", required ? "expected a boolean" : "required");
    s->required = json_is_true(required);
    if (!json_object_get(e, "schema"))
        return fail(c, -EINVAL, path, "schema: required");
    snprintf(schema_path, sizeof(schema_path), "%s.schema", path);
    return parse_schema(c, json_object_get(e, "schema"), schema_path, s);
}

static bool same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    return sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* Two secrets never share a destination, and secrets in one directory
 * describe it alike. */
static int check_against_earlier(struct mctx *c, const struct manifest *m, size_t i,
                                 const char *path)
{
    const struct manifest_secret *s = &m->secrets[i];
    for (size_t j = 0; j <= i; j++) {
        const struct manifest_secret *o = &m->secrets[j];
        for (size_t a = 0; a < s->n_env; a++)
            for (size_t b = 0; b < (j == i ? a : o->n_env); b++)
                if (streq(s->env[a].name, o->env[b].name) && streq(s->env[a].scope, o->env[b].scope))
                    return fail(c, -EINVAL, path, "env: %s in scope %s is also a target of \"%s\"",
                                s->env[a].name, s->env[a].scope, o->name);
        if (j == i || !o->dest || !s->dest)
            continue;
        if (streq(o->dest, s->dest))
            return fail(c, -EINVAL, path, "dest: %s is also the destination of \"%s\"", s->dest,
                        o->name);
        if (same_dir(o->dest, s->dest) &&
            (o->dir_mode != s->dir_mode || !streq(o->dir_owner, s->dir_owner) ||
             !streq(o->dir_group, s->dir_group)))
            return fail(c, -EINVAL, path, "dir_mode, dir_owner, dir_group: \"%s\" in the same "
                        "directory says otherwise", o->name);
    }
    return 0;
}

static const char *const replace_names[] = { "same-sender", "never", "any-sender", NULL };

const char *manifest_replace_name(enum manifest_replace replace)
{
    return (size_t)replace < ELEMENTSOF(replace_names) - 1 ? replace_names[replace] : "?";
}

static int parse_sender(struct mctx *c, const struct manifest *m, json_t *e, const char *path,
                        struct manifest_sender *s)
{
    static const char *const allowed[] = { "name", "public_key", "secrets", NULL };
    json_t *list = json_object_get(e, "secrets"), *v;
    char *key = NULL;
    size_t i;
    int r;

    if (!json_is_object(e))
        return fail(c, -EINVAL, path, "expected an object");
    if ((r = check_members(c, e, path, allowed)) < 0 ||
        (r = get_string(c, e, path, "name", true, check_secret_name, &s->name)) < 0 ||
        (r = get_string(c, e, path, "public_key", true, NULL, &key)) < 0)
        return r;
    r = strlen(key) == 64 && hex_decode(key, s->public_key, 32) == 32 ? 0 :
        fail(c, -EINVAL, path, "public_key: expected 64 hex digits (an X25519 public key)");
    free(key);
    if (r < 0 || !list)
        return r;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return fail(c, -EINVAL, path, "secrets: expected a non-empty array of secret names");
    if (!(s->may_set = calloc(m->n ? m->n : 1, sizeof(*s->may_set))))
        return fail(c, -ENOMEM, path, "out of memory");
    json_array_foreach(list, i, v) {
        const struct manifest_secret *ms =
            json_is_string(v) ? manifest_find(m, json_string_value(v)) : NULL;
        if (!ms)
            return fail(c, -EINVAL, path, "secrets[%zu]: expected the name of a secret of this "
                        "manifest", i);
        s->may_set[ms - m->secrets] = true;
    }
    return 0;
}

/* senders and replace, read once the secrets are known. */
static int parse_senders(struct mctx *c, json_t *root, struct manifest *m)
{
    json_t *list = json_object_get(root, "senders"), *replace = json_object_get(root, "replace");
    int r;

    if (replace) {
        int k = -1;
        for (size_t i = 0; json_is_string(replace) && replace_names[i]; i++)
            if (streq(json_string_value(replace), replace_names[i]))
                k = (int)i;
        if (k < 0)
            return fail(c, -EINVAL, "replace", "expected one of \"never\", \"same-sender\", "
                        "\"any-sender\"");
        m->replace = (enum manifest_replace)k;
    }
    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) > MANIFEST_SENDERS_MAX)
        return fail(c, -EINVAL, "senders", "expected an array of at most %d senders",
                    MANIFEST_SENDERS_MAX);
    if (!(m->senders = calloc(json_array_size(list) + 1, sizeof(*m->senders))))
        return fail(c, -ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < json_array_size(list); i++) {
        char path[32];
        snprintf(path, sizeof(path), "senders[%zu]", i);
        r = parse_sender(c, m, json_array_get(list, i), path, &m->senders[i]);
        m->n_senders = i + 1;   /* freed even when half-filled */
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (streq(m->senders[j].name, m->senders[i].name) ||
                memcmp(m->senders[j].public_key, m->senders[i].public_key, 32) == 0)
                return fail(c, -EINVAL, path, "the same name or key as senders[%zu]", j);
    }
    return 0;
}

static int parse_root(struct mctx *c, json_t *root, struct manifest *m)
{
    static const char *const allowed[] = { "version", "secrets", "insecure_allow_unattested",
                                           "senders", "replace", NULL };
    json_t *version, *list, *unattested;
    int r;

    if (!json_is_object(root))
        return fail(c, -EINVAL, NULL, "expected a JSON object");
    if ((r = check_members(c, root, NULL, allowed)) < 0)
        return r;
    version = json_object_get(root, "version");
    if (!json_is_integer(version) || json_integer_value(version) != 1)
        return fail(c, -EINVAL, "version", "expected 1 (the format this agent reads)");
    unattested = json_object_get(root, "insecure_allow_unattested");
    if (unattested && !json_is_boolean(unattested))
        return fail(c, -EINVAL, "insecure_allow_unattested", "expected a boolean");
    m->insecure_allow_unattested = json_is_true(unattested);
    list = json_object_get(root, "secrets");
    if (!json_is_array(list))
        return fail(c, -EINVAL, "secrets", list ? "expected an array" : "required");
    if (json_array_size(list) > MANIFEST_SECRETS_MAX)
        return fail(c, -EINVAL, "secrets", "expected at most %d secrets", MANIFEST_SECRETS_MAX);
    m->secrets = calloc(json_array_size(list) + 1, sizeof(*m->secrets));
    if (!m->secrets)
        return fail(c, -ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < json_array_size(list); i++) {
        char path[32];
        snprintf(path, sizeof(path), "secrets[%zu]", i);
        r = parse_secret(c, json_array_get(list, i), path, &m->secrets[i]);
        m->n = i + 1;   /* counted even when half-filled, so manifest_free frees it */
        if (r < 0)
            return r;
        if (manifest_find(m, m->secrets[i].name) != &m->secrets[i])
            return fail(c, -EINVAL, path, "name: \"%s\" is declared twice", m->secrets[i].name);
        if ((r = check_against_earlier(c, m, i, path)) < 0)
            return r;
        if (m->secrets[i].required)
            m->n_required++;
    }
    return parse_senders(c, root, m);
}

int manifest_parse(const char *label, const char *text, size_t len, struct manifest **out,
                   char *msg, size_t msg_size)
{
    struct mctx c = { label, msg, msg_size };
    struct manifest *m;
    json_error_t jerr;
    const char *bound;
    json_t *root;
    int r;

    bound = json_bounds_check(text, len, 8, 16 * MANIFEST_SECRETS_MAX);
    if (bound)
        return fail(&c, -EINVAL, NULL, "%s", bound);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(&c, -EINVAL, NULL, "not valid JSON: %s (line %d, column %d)", jerr.text,
                    jerr.line, jerr.column);
    m = calloc(1, sizeof(*m));
    if (!m) {
        json_decref(root);
        return fail(&c, -ENOMEM, NULL, "out of memory");
    }
    r = parse_root(&c, root, m);
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
        snprintf(msg, msg_size, "%s: cannot read: %s", path,
                 r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
        return r;
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
        snprintf(msg, msg_size, "secret \"%s\": expected %zu to %zu bytes, got %zu", s->name,
                 s->min_length, s->max_length, len);
        return -EINVAL;
    }
    if (memchr(value, '\0', len)) {
        snprintf(msg, msg_size, "secret \"%s\": contains a NUL byte", s->name);
        return -EINVAL;
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
            snprintf(msg, msg_size, "secret \"%s\": expected one JSON value; at byte %zu: %s",
                     s->name, pos, why);
            return -EINVAL;
        }
        break;
    }
    if (!why && s->pattern &&
        (regexec(&s->regex, value, 1, m, 0) != 0 || m[0].rm_so != 0 || (size_t)m[0].rm_eo != len))
        why = "does not match the schema's pattern";
    if (why) {
        snprintf(msg, msg_size, "secret \"%s\": %s", s->name, why);
        return -EINVAL;
    }
    return 0;
}
