/* SPDX-License-Identifier: MIT */
/*
 * Conventions shared by tdxctl's subcommands: messages, exit codes, option
 * values and the one --json envelope (docs/tdxctl.1, "JSON OUTPUT").
 *
 * Every command
 *   - parses its options with getopt_long() and an option string that starts
 *     with ':' (so a missing value is told apart from an unknown option) and
 *     sends getopt's ':' and '?' to cli_option_error();
 *   - parses numbers with cli_parse_u64()/cli_parse_int()/cli_parse_size()
 *     (shared/parse-number.h underneath), never strtol();
 *   - reports a wrong command line with cli_usage() (exit 2), a failed
 *     operation with cli_fail()/cli_failf()/cli_fail_with() (exit 1), and
 *     success with --json through cli_print_ok().
 */
#ifndef TDXCTL_CLI_H
#define TDXCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxhost/tdxhost.h"

#define EXIT_OK 0
#define EXIT_FAIL 1     /* the operation failed: bad input, I/O, ... */
#define EXIT_USAGE 2    /* the command line is wrong */

struct cli {
    const char *argv0;
    const char *cmd;    /* the command ("emit"), NULL before one is chosen */
    bool json;          /* machine-readable output on stdout */
};

/* ---- the --json envelope ------------------------------------------------
 * Every --json output is one JSON object on one line of stdout with a
 * top-level "ok" (true/false); when "ok" is false it also has
 *   "error": {"code": "<errno name, e.g. EINVAL>", "message": "<the stderr line>"}.
 * These three functions are the only ones that print it. */

/* With --json: prints body (a JSON object, stolen; its "ok" and "error"
 * are replaced) plus "ok": true. Without --json: frees body. NULL body
 * (a failed json_pack) is reported as out of memory. Returns EXIT_OK, or
 * EXIT_FAIL when the output could not be made. */
struct json_t;
int cli_print_ok(const struct cli *cli, struct json_t *body);

/* A document with a file format of its own (measurements, a recipe):
 * with --json, parsed and nested as body[key] of the envelope; without,
 * the bytes as they are on stdout. */
int cli_print_document(const struct cli *cli, const char *key, const char *text, size_t size);

/* "tdxctl: <message>" on stderr; with --json also the failure envelope on
 * stdout. Return EXIT_FAIL. cli_fail_with() adds body's members (stolen,
 * may be NULL) to the envelope, for commands whose failure still has a
 * result (a verification that ran and failed). */
int cli_fail(const struct cli *cli, const tdx_error *err);
int cli_fail_with(const struct cli *cli, const tdx_error *err, struct json_t *body);
int cli_failf(const struct cli *cli, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "tdxctl: CMD: <message>" plus a hint to --help on stderr; with --json
 * also the failure envelope (code EINVAL) on stdout. Returns EXIT_USAGE. */
int cli_usage(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long()'s c == ':' ("--profile needs a value")
 * or c == '?' ("unknown option '--frob'"); argv is the one given to getopt. */
int cli_option_error(const struct cli *cli, int c, char *const *argv);

/* The errno name of a negative (or positive) errno: "EBADMSG". Codes
 * without a name give "E<number>". Returns a static string. */
const char *cli_errno_name(int code);

/* Text from outside made safe for a terminal before it is printed as text
 * (never for --json, whose encoding already escapes controls): every
 * string below v, or s in place (printable_inplace()). */
void cli_printable_json(struct json_t *v);
void cli_printable(char *s);

/* SIGINT, SIGTERM and SIGHUP remove the library's staging directories
 * before the process dies of them (signals.c). */
void cli_install_signal_cleanup(void);

void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- option values ------------------------------------------------------
 * Each returns EXIT_OK and sets *out, or EXIT_USAGE after saying
 * "CMD: OPT: expected ..., got 'ARG'". */
int cli_parse_u64(const struct cli *cli, const char *opt, const char *arg, uint64_t min,
                  uint64_t max, uint64_t *out);
int cli_parse_int(const struct cli *cli, const char *opt, const char *arg, int min, int max,
                  int *out);
/* Bytes with an optional K/M/G/T suffix (powers of 1024). */
int cli_parse_size(const struct cli *cli, const char *opt, const char *arg, uint64_t min,
                   uint64_t max, uint64_t *out);

/* A file or directory argument: anything but the empty string. */
int cli_parse_path(const struct cli *cli, const char *opt, const char *arg, const char **out);

/* --connect ADDR: checked as an agent address before anything connects. */
int cli_parse_agent_address(const struct cli *cli, const char *arg, const char **out);

/* --connect-timeout MS of the commands that reach an agent. */
int cli_connect_timeout(const struct cli *cli, const char *arg, tdx_agent_options *opts);

typedef int (*cli_command_fn)(const struct cli *cli, int argc, char **argv);

int cmd_agent(const struct cli *cli, int argc, char **argv);
int cmd_build(const struct cli *cli, int argc, char **argv);
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
int cmd_mkosi(const struct cli *cli, int argc, char **argv);
int cmd_cloud(const struct cli *cli, int argc, char **argv);
int cmd_cloud_deploy(const struct cli *cli, int argc, char **argv);
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
