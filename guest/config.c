/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "fileio.h"
#include "init-config.h"
#include "json-reader.h"
#include "macro.h"
#include "msg.h"
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
    c->tpm_log_path = strdup(AGENT_TPM_LOG_PATH);
    c->fw_cfg_path = strdup(AGENT_FW_CFG_PATH);
    c->efivars_path = strdup(AGENT_EFIVARS_PATH);
    c->ready_file = strdup(AGENT_READY_FILE);
    if (!c->quote_provider || !c->tsm_path || !c->acpi_path || !c->tpm_log_path || !c->fw_cfg_path ||
        !c->efivars_path || !c->ready_file) {
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
    free(c->tpm_log_path);
    free(c->fw_cfg_path);
    free(c->efivars_path);
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

static const char *const config_keys[] = {
    "listen", "quote_provider", "tsm_path", "acpi_path", "tpm_log_path", "fw_cfg_path", "efivars_path",
    "manifest", "root_dir", "ready_file",
    "memory_budget", "hooks", "verbose", "max_connections", "max_inflight", "workers",
    "frame_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "challenge_ttl_ms",
    "max_challenges", "init", NULL,
};

/* A string member replaces the default only when it is given. */
static int set_path(struct json_reader *R, json_t *root, const char *key, char **field)
{
    char *s = NULL;
    int r = jr_strdup(R, root, "", key, 0, check_abs_path, &s);
    if (r > 0) {
        free(*field);
        *field = s;
    }
    return r;
}

static int set_listen(struct json_reader *R, json_t *root, struct agent_config *c)
{
    _cleanup_free_ const char **list = NULL;
    char **copy = NULL;
    int r = jr_strv(R, root, "", "listen", 0, 1, 64, check_listen, &list);

    if (r <= 0)
        return r;
    for (size_t i = 0; list[i]; i++)
        if (strv_push(&copy, list[i]) < 0) {
            strv_free(copy);
            return jr_oom(R);
        }
    strv_free(c->listen);
    c->listen = copy;
    return 0;
}

static int set_hooks(struct json_reader *R, json_t *root, struct agent_config *c)
{
    json_t *h = NULL;
    uint64_t n = 0;
    int r, policy = 0;

    if ((r = jr_object(R, root, "", "hooks", 0, SIZE_MAX, &h)) <= 0)
        return r;
    if ((r = jr_keys(R, h, "hooks", (const char *const[]){ "timeout_s", "on_failure", NULL })) < 0 ||
        (r = jr_uint(R, h, "hooks", "timeout_s", 0, 1, 86400, &n)) < 0)
        return r;
    if (r > 0)
        c->hook_timeout_s = (unsigned)n;
    if ((r = jr_enum(R, h, "hooks", "on_failure", 0, policies, &policy)) < 0)
        return r;
    if (r > 0)
        c->hook_policy = (enum hook_policy)policy;
    return 0;
}

/* Only init mode reads it; the daemon accepts the file it shares. */
static int set_init(struct json_reader *R, json_t *root, struct agent_config *c)
{
    struct init_config *ic;
    json_t *v = NULL;
    int r = jr_object(R, root, "", "init", 0, 64, &v);
    if (r <= 0)
        return r;
    if ((r = init_config_parse(R, v, "init", &ic)) < 0)
        return r;
    init_config_free(c->init);
    c->init = ic;
    return 0;
}

static int apply(struct json_reader *R, json_t *root, struct agent_config *c)
{
    static const struct {
        const char *key;
        unsigned min, max;
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
    const char *provider = NULL;
    int r, verbose = 0;
    uint64_t n = 0;

    if ((r = jr_keys(R, root, "", config_keys)) < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
        if ((r = jr_uint(R, root, "", numbers[i].key, 0, numbers[i].min, numbers[i].max, &n)) < 0)
            return r;
        if (r > 0)
            *(unsigned *)((char *)c + numbers[i].offset) = (unsigned)n;
    }
    /* The simulator is test-only: enabling it takes the command-line flag,
     * so no configuration file can turn it on. */
    if ((r = jr_string(R, root, "", "quote_provider", 0, NULL, &provider)) < 0)
        return r;
    if (provider && !streq(provider, "configfs"))
        return jr_fail(R, "quote_provider", "expected \"configfs\" (the sim provider is enabled "
                       "only with --quote-provider on the command line)");
    if ((r = set_listen(R, root, c)) < 0 ||
        (r = set_path(R, root, "tsm_path", &c->tsm_path)) < 0 ||
        (r = set_path(R, root, "acpi_path", &c->acpi_path)) < 0 ||
        (r = set_path(R, root, "tpm_log_path", &c->tpm_log_path)) < 0 ||
        (r = set_path(R, root, "fw_cfg_path", &c->fw_cfg_path)) < 0 ||
        (r = set_path(R, root, "efivars_path", &c->efivars_path)) < 0 ||
        (r = set_path(R, root, "manifest", &c->manifest)) < 0 ||
        (r = set_path(R, root, "root_dir", &c->root_dir)) < 0 ||
        (r = set_path(R, root, "ready_file", &c->ready_file)) < 0 ||
        (r = jr_uint(R, root, "", "memory_budget", 0, CONFIG_MIN_BUDGET, 1ULL << 34, &n)) < 0)
        return r;
    if (r > 0)
        c->memory_budget = (size_t)n;
    if ((r = set_hooks(R, root, c)) < 0 || (r = set_init(R, root, c)) < 0 ||
        (r = jr_bool(R, root, "", "verbose", 0, &verbose)) < 0)
        return r;
    if (r > 0)
        c->verbose = verbose;
    return 0;
}

int config_load(struct agent_config *c, const char *path, char *msg, size_t msg_size)
{
    struct json_reader R;
    char *text = NULL;
    json_t *root = NULL;
    size_t len;
    int r = read_file_bounded(path, CONFIG_FILE_MAX, &text, &len);

    if (r < 0)
        return msgf(msg, msg_size, r, "%s: cannot read: %s", path,
                    r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
    jr_init(&R, path, msg, msg_size);
    r = jr_parse(&R, text, len, 8, 16384, &root);
    free(text);
    if (r < 0)
        return r;
    r = apply(&R, root, c);
    json_decref(root);
    return r;
}
