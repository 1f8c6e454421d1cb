/* SPDX-License-Identifier: MIT */
/* Conventions shared by tdxctl's subcommands: messages, exit codes, --json. */
#ifndef TDXCTL_CLI_H
#define TDXCTL_CLI_H

#include <stdbool.h>

#include "tdxhost/tdxhost.h"

#define EXIT_OK 0
#define EXIT_FAIL 1     /* the operation failed: bad input, I/O, ... */
#define EXIT_USAGE 2    /* the command line is wrong */

struct cli {
    const char *argv0;
    bool json;          /* machine-readable output on stdout */
};

/* "tdxctl: <message>" on stderr; with --json also {"ok": false, "error": ...}
 * on stdout. Returns EXIT_FAIL. */
int cli_fail(const struct cli *cli, const tdx_error *err);
int cli_failf(const struct cli *cli, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "tdxctl: <message>" plus a hint to --help on stderr. Returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --connect-timeout MS of the commands that reach an agent: sets
 * opts->connect_timeout_ms, or returns EXIT_USAGE after saying why. */
int cli_connect_timeout(const char *cmd, const char *arg, tdx_agent_options *opts);

/* Prints a JSON object built with jansson (stolen), one line, newline-terminated. */
struct json_t;
int cli_print_json(struct json_t *obj);

typedef int (*cli_command_fn)(const struct cli *cli, int argc, char **argv);

int cmd_agent(const struct cli *cli, int argc, char **argv);
int cmd_dev(const struct cli *cli, int argc, char **argv);
int cmd_emit(const struct cli *cli, int argc, char **argv);
int cmd_recipe(const struct cli *cli, int argc, char **argv);
int cmd_fetch(const struct cli *cli, int argc, char **argv);
int cmd_hash_tree(const struct cli *cli, int argc, char **argv);
int cmd_deb(const struct cli *cli, int argc, char **argv);
int cmd_lock(const struct cli *cli, int argc, char **argv);
int cmd_quote(const struct cli *cli, int argc, char **argv);
int cmd_measure(const struct cli *cli, int argc, char **argv);
int cmd_pe_hash(const struct cli *cli, int argc, char **argv);
int cmd_eventlog(const struct cli *cli, int argc, char **argv);
int cmd_secrets(const struct cli *cli, int argc, char **argv);
int cmd_run(const struct cli *cli, int argc, char **argv);
int cmd_stop(const struct cli *cli, int argc, char **argv);
int cmd_acpi(const struct cli *cli, int argc, char **argv);
int cmd_deploy(const struct cli *cli, int argc, char **argv);

/* Progress bar for downloads: attach sets *fn and *data (left alone when
 * stderr is not a terminal or --json is on); done clears the line. */
struct cli_progress {
    double last;
    bool drawn;
};
void cli_progress_attach(const struct cli *cli, struct cli_progress *p, tdx_progress_fn *fn,
                         void **data);
void cli_progress_done(struct cli_progress *p);

#endif
