/* SPDX-License-Identifier: MIT */
/*
 * The agent's settings: defaults, then the --config file (JSON, see
 * docs/agent.md), then the command line, each overriding the one before.
 */
#ifndef TDX_AGENT_CONFIG_H
#define TDX_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define AGENT_TSM_PATH "/sys/kernel/config/tsm/report"
#define AGENT_ACPI_PATH "/sys/firmware/acpi/tables"
#define AGENT_TPM_LOG_PATH "/sys/kernel/security/tpm0/binary_bios_measurements"
#define AGENT_FW_CFG_PATH "/sys/firmware/qemu_fw_cfg/by_name"
#define AGENT_EFIVARS_PATH "/sys/firmware/efi/efivars"
#define AGENT_READY_FILE "/run/tdx-agent/secrets-ready"
#define AGENT_MANIFEST_PATH "/etc/tdx-agent/secrets.json"
/* What init mode reads when started as /init without arguments. */
#define AGENT_CONFIG_FILE "/etc/tdx-agent/agent.json"

enum hook_policy {
    HOOK_POLICY_STOP,       /* stop at the first failing hook and fail */
    HOOK_POLICY_CONTINUE,   /* run every hook, fail if any failed */
    HOOK_POLICY_IGNORE,     /* run every hook, never fail */
};

struct init_config;

struct agent_config {
    char **listen;              /* addresses (strv) */
    char *quote_provider;       /* "configfs" or "sim:DIR" */
    char *tsm_path;
    char *acpi_path;
    char *tpm_log_path;         /* the TPM's firmware event log (op eventlog) */
    char *fw_cfg_path;          /* QEMU fw_cfg entries by name (op acpi) */
    char *efivars_path;         /* efivarfs (op bootvars) */
    char *manifest;             /* NULL: none */
    char *root_dir;             /* secrets and accounts below this directory; NULL: "/" */
    char *ready_file;           /* created once every required secret is present */
    unsigned challenge_ttl_ms;  /* how long a secrets challenge can be answered */
    unsigned max_challenges;    /* unanswered challenges held at once */
    unsigned max_connections;
    unsigned max_inflight;      /* requests queued or running on workers */
    unsigned workers;
    unsigned frame_timeout_ms;  /* from a frame's first byte to its last */
    unsigned idle_timeout_ms;   /* between requests */
    unsigned write_timeout_ms;  /* for a reply to drain */
    size_t memory_budget;       /* bytes of frames and replies held at once */
    unsigned hook_timeout_s;
    enum hook_policy hook_policy;
    bool verbose;
    struct init_config *init;   /* the file's "init" object (init-config.h); NULL: none */
};

/* Bounds the configuration file and the command line accept. */
#define CONFIG_MAX_CONNECTIONS 65536
#define CONFIG_MAX_INFLIGHT 4096
#define CONFIG_MAX_WORKERS 64
#define CONFIG_MAX_TIMEOUT_MS 3600000u
#define CONFIG_MIN_BUDGET (4u * 1024 * 1024)
#define CONFIG_MAX_CHALLENGES 1024

/* Fills the defaults. 0 or -ENOMEM. */
int config_init(struct agent_config *c);
void config_done(struct agent_config *c);

/* Applies a JSON configuration file. Returns 0, or a negative errno with a
 * one-line message naming the file and the key in msg. */
int config_load(struct agent_config *c, const char *path, char *msg, size_t msg_size);

/* Parses a "configfs", "stop"/"continue"/"ignore" value; -EINVAL if unknown. */
int config_parse_policy(const char *s, enum hook_policy *out);
const char *config_policy_name(enum hook_policy p);

#endif
