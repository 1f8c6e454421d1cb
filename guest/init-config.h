/* SPDX-License-Identifier: MIT */
/*
 * The "init" object of the agent's configuration file: what `tdx-agent
 * init` does as PID 1 of a native image (docs/agent.md, "Init mode"):
 * kernel modules to load, the network, the services to supervise, what
 * happens when they have ended, and whether the emulated-run test quote
 * provider may be used. Only init mode reads it.
 */
#ifndef TDX_AGENT_INIT_CONFIG_H
#define TDX_AGENT_INIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

#define INIT_MAX_MODULES 256
#define INIT_MAX_SERVICES 64
#define INIT_MAX_ARGS 256
#define INIT_MAX_ARG_LEN 4096
#define INIT_MAX_ENV 256
#define INIT_MAX_ENV_VALUE 32768
#define INIT_MAX_ENV_FILES 16
#define INIT_MAX_DNS 3   /* what glibc's resolver reads (MAXNS) */
#define INIT_SERVICE_NAME_MAX 64

enum init_net_mode { INIT_NET_NONE, INIT_NET_DHCP, INIT_NET_STATIC };
enum init_restart { INIT_RESTART_NO, INIT_RESTART_ON_FAILURE, INIT_RESTART_ALWAYS };
enum init_on_exit { INIT_ON_EXIT_POWEROFF, INIT_ON_EXIT_STAY };

struct init_network {
    enum init_net_mode mode;
    char *interface;          /* NULL: the first interface that is not "lo" */
    uint32_t address;         /* static: network byte order */
    unsigned prefix;          /* static: 1..32 */
    uint32_t gateway;         /* static: 0 for none */
    uint32_t dns[INIT_MAX_DNS];
    size_t n_dns;
};

struct init_service {
    char *name;
    char **exec;              /* strv; exec[0] an absolute path */
    char *user, *group;       /* NULL: root */
    char **environment;       /* strv of "KEY=VALUE" */
    char **environment_files; /* strv; a leading '-' marks a file that may be missing */
    char *working_directory;  /* NULL: "/" */
    enum init_restart restart;
    bool after_secrets;       /* start once every required secret is present (default) */
};

struct init_config {
    char **modules;           /* strv of absolute paths, in load order */
    struct init_network network;
    struct init_service *services;
    size_t n_services;
    enum init_on_exit on_exit;
    bool test_provider;
};

/*
 * Reads the "init" object v (its JSON path is path, normally "init") into a
 * new *out with the shared reader (json-reader.h), which reports what is
 * wrong as "FILE: init.services[1].restart: expected one of ...". Returns
 * 0, or the reader's negative errno (-EINVAL, -ENOMEM); *out is set only
 * on success.
 */
struct json_reader;
int init_config_parse(struct json_reader *R, struct json_t *v, const char *path,
                      struct init_config **out);
void init_config_free(struct init_config *ic);
void init_service_done(struct init_service *s);

const char *init_restart_name(enum init_restart r);
const char *init_net_mode_name(enum init_net_mode m);

/* "a.b.c.d" → network byte order; 0 or -EINVAL. Exactly four decimal
 * parts of 0..255 without leading zeros. */
int init_parse_ipv4(const char *s, uint32_t *out);

#endif
