/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "fileio.h"
#include "init-config.h"
#include "json-bounds.h"
#include "macro.h"
#include "strv.h"

#define CONFIG_FILE_MAX (64 * 1024)

int config_init(struct agent_config *c)
{
    *c = (struct agent_config){
        .max_connections = 256,
        .max_inflight = 32,
        .workers = 2,
        .frame_timeout_ms = 10000,
        .idle_timeout_ms = 60000,
        .write_timeout_ms = 10000,
        .memory_budget = 64u * 1024 * 1024,
        .hook_timeout_s = 300,
        .hook_policy = HOOK_POLICY_STOP,
        .challenge_ttl_ms = 60000,
        .max_challenges = 16,
    };
    c->quote_provider = strdup("configfs");
    c->tsm_path = strdup(AGENT_TSM_PATH);
    c->acpi_path = strdup(AGENT_ACPI_PATH);
    c->fw_cfg_path = strdup(AGENT_FW_CFG_PATH);
    c->ready_file = strdup(AGENT_READY_FILE);
    if (!c->quote_provider || !c->tsm_path || !c->acpi_path || !c->fw_cfg_path || !c->ready_file) {
        config_done(c);
        return -ENOMEM;
    }
    return 0;
}

void config_done(struct agent_config *c)
{
    strv_free(c->listen);
    free(c->quote_provider);
    free(c->tsm_path);
    free(c->acpi_path);
    free(c->fw_cfg_path);
    free(c->manifest);
    free(c->root_dir);
    free(c->ready_file);
    init_config_free(c->init);
    *c = (struct agent_config){ 0 };
}

static const char *const policies[] = { "stop", "continue", "ignore", NULL };

int config_parse_policy(const char *s, enum hook_policy *out)
{
    for (size_t i = 0; policies[i]; i++)
        if (streq(s, policies[i])) {
            *out = (enum hook_policy)i;
            return 0;
        }
    return -EINVAL;
}

const char *config_policy_name(enum hook_policy p)
{
    return policies[p];
}

int config_parse_uint(const char *s, unsigned long long min, unsigned long long max,
                      unsigned long long *out)
{
    unsigned long long v;
    if (!parse_decimal(s, strlen(s), max, &v) || v < min)
        return -EINVAL;
    *out = v;
    return 0;
}

struct loader {
    const char *file;
    char *msg;
    size_t msg_size;
};

static int fail(struct loader *L, const char *key, const char *fmt, ...) _printf_(3, 4);
static int fail(struct loader *L, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(L->msg, L->msg_size, "%s: %s%s%s", L->file, key ? key : "", key ? ": " : "", what);
    return -EINVAL;
}

static int set_string(struct loader *L, json_t *v, const char *key, const char *(*check)(const char *),
                      char **out)
{
    const char *why;
    char *copy;
    if (!json_is_string(v))
        return fail(L, key, "expected a string");
    if (check && (why = check(json_string_value(v))))
        return fail(L, key, "%s", why);
    copy = strdup(json_string_value(v));
    if (!copy)
        return -ENOMEM;
    free(*out);
    *out = copy;
    return 0;
}

static int set_uint(struct loader *L, json_t *v, const char *key, long long min, long long max,
                    unsigned long long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(L, key, "expected an integer from %lld to %lld", min, max);
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

static int set_listen(struct loader *L, json_t *v, struct agent_config *c)
{
    char **list = NULL;
    size_t i;
    json_t *e;

    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 64)
        return fail(L, "listen", "expected an array of 1 to 64 addresses");
    json_array_foreach(v, i, e) {
        const char *why;
        char key[32];
        snprintf(key, sizeof(key), "listen[%zu]", i);
        if (!json_is_string(e)) {
            strv_free(list);
            return fail(L, key, "expected a string");
        }
        if ((why = check_listen(json_string_value(e)))) {
            strv_free(list);
            return fail(L, key, "%s, got \"%.200s\"", why, json_string_value(e));
        }
        if (strv_push(&list, json_string_value(e)) < 0) {
            strv_free(list);
            return -ENOMEM;
        }
    }
    strv_free(c->listen);
    c->listen = list;
    return 0;
}

static int set_hooks(struct loader *L, json_t *v, struct agent_config *c)
{
    const char *key;
    json_t *m;
    unsigned long long n;

    if (!json_is_object(v))
        return fail(L, "hooks", "expected an object");
    json_object_foreach(v, key, m) {
        if (streq(key, "timeout_s")) {
            if (set_uint(L, m, "hooks.timeout_s", 1, 86400, &n) < 0)
                return -EINVAL;
            c->hook_timeout_s = (unsigned)n;
        } else if (streq(key, "on_failure")) {
            if (!json_is_string(m) || config_parse_policy(json_string_value(m), &c->hook_policy) < 0)
                return fail(L, "hooks.on_failure", "expected one of \"stop\", \"continue\", \"ignore\"");
        } else {
            return fail(L, "hooks", "unknown key \"%.64s\"", key);
        }
    }
    return 0;
}

/* Only init mode reads it; the daemon accepts the file it shares. */
static int set_init(struct loader *L, json_t *v, struct agent_config *c)
{
    struct init_config *ic;
    char what[400];
    int r = init_config_parse(v, &ic, what, sizeof(what));
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return fail(L, NULL, "%s", what);
    init_config_free(c->init);
    c->init = ic;
    return 0;
}

static int apply(struct loader *L, json_t *root, struct agent_config *c)
{
    static const struct {
        const char *key;
        long long min, max;
        size_t offset;
    } numbers[] = {
        { "max_connections", 1, CONFIG_MAX_CONNECTIONS, offsetof(struct agent_config, max_connections) },
        { "max_inflight", 1, CONFIG_MAX_INFLIGHT, offsetof(struct agent_config, max_inflight) },
        { "workers", 1, CONFIG_MAX_WORKERS, offsetof(struct agent_config, workers) },
        { "frame_timeout_ms", 1, CONFIG_MAX_TIMEOUT_MS, offsetof(struct agent_config, frame_timeout_ms) },
        { "idle_timeout_ms", 1, CONFIG_MAX_TIMEOUT_MS, offsetof(struct agent_config, idle_timeout_ms) },
        { "write_timeout_ms", 1, CONFIG_MAX_TIMEOUT_MS, offsetof(struct agent_config, write_timeout_ms) },
        { "challenge_ttl_ms", 1, CONFIG_MAX_TIMEOUT_MS, offsetof(struct agent_config, challenge_ttl_ms) },
        { "max_challenges", 1, CONFIG_MAX_CHALLENGES, offsetof(struct agent_config, max_challenges) },
    };
    const char *key;
    json_t *v;
    int r;

    if (!json_is_object(root))
        return fail(L, NULL, "expected a JSON object");
    json_object_foreach(root, key, v) {
        unsigned long long n;
        bool done = false;
        for (size_t i = 0; i < ELEMENTSOF(numbers) && !done; i++) {
            if (!streq(key, numbers[i].key))
                continue;
            if (set_uint(L, v, key, numbers[i].min, numbers[i].max, &n) < 0)
                return -EINVAL;
            *(unsigned *)((char *)c + numbers[i].offset) = (unsigned)n;
            done = true;
        }
        if (done)
            continue;
        if (streq(key, "listen"))
            r = set_listen(L, v, c);
        else if (streq(key, "quote_provider")) {
            /* The simulator is test-only: enabling it takes the command-line
             * flag, so no configuration file can turn it on. */
            if (!json_is_string(v) || !streq(json_string_value(v), "configfs"))
                return fail(L, key, "expected \"configfs\" (the sim provider is enabled only "
                                    "with --quote-provider on the command line)");
            r = 0;
        } else if (streq(key, "tsm_path"))
            r = set_string(L, v, key, check_abs_path, &c->tsm_path);
        else if (streq(key, "acpi_path"))
            r = set_string(L, v, key, check_abs_path, &c->acpi_path);
        else if (streq(key, "fw_cfg_path"))
            r = set_string(L, v, key, check_abs_path, &c->fw_cfg_path);
        else if (streq(key, "manifest"))
            r = set_string(L, v, key, check_abs_path, &c->manifest);
        else if (streq(key, "root_dir"))
            r = set_string(L, v, key, check_abs_path, &c->root_dir);
        else if (streq(key, "ready_file"))
            r = set_string(L, v, key, check_abs_path, &c->ready_file);
        else if (streq(key, "memory_budget")) {
            r = set_uint(L, v, key, CONFIG_MIN_BUDGET, 1LL << 34, &n);
            c->memory_budget = (size_t)n;
        } else if (streq(key, "hooks"))
            r = set_hooks(L, v, c);
        else if (streq(key, "init"))
            r = set_init(L, v, c);
        else if (streq(key, "verbose")) {
            if (!json_is_boolean(v))
                return fail(L, key, "expected a boolean");
            c->verbose = json_is_true(v);
            r = 0;
        } else
            return fail(L, NULL, "unknown key \"%.64s\"", key);
        if (r < 0)
            return r;
    }
    return 0;
}

int config_load(struct agent_config *c, const char *path, char *msg, size_t msg_size)
{
    struct loader L = { path, msg, msg_size };
    char *text = NULL;
    size_t len;
    json_error_t jerr;
    json_t *root;
    int r = read_file_bounded(path, CONFIG_FILE_MAX, &text, &len);

    if (r < 0) {
        snprintf(msg, msg_size, "%s: cannot read: %s", path,
                 r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
        return r;
    }
    if (json_bounds_check(text, len, 8, 16384)) {
        free(text);
        return fail(&L, NULL, "too deeply nested or too many values");
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root)
        return fail(&L, NULL, "not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                    jerr.column);
    r = apply(&L, root, c);
    json_decref(root);
    if (r == -ENOMEM)
        snprintf(msg, msg_size, "%s: out of memory", path);
    return r;
}
