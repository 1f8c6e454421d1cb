/* SPDX-License-Identifier: MIT */
/* The VM options `tdxctl run`, `acpi capture` and `deploy` share. */
#ifndef TDXCTL_RUN_ARGS_H
#define TDXCTL_RUN_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

enum run_args_kind { RUN_ARGS_RUN, RUN_ARGS_CAPTURE, RUN_ARGS_DEPLOY };

#define RUN_ARGS_CONTINUE (-1)

struct run_args {
    const char *build_dir;
    const char *target;          /* deploy: ssh://... */
    const char *ssh_config;      /* deploy: -F */
    tdx_vm_options vm;
    tdx_vm_start_options start;
    bool json, dry_run, detach, remeasure, start_remote;
};

/* Parses argv; returns RUN_ARGS_CONTINUE, or an exit status (help printed,
 * usage error reported). */
int run_args_parse(struct run_args *a, const struct cli *cli, int argc, char **argv,
                   enum run_args_kind kind, void (*help)(void));

/* "tdx", "emulated", "capture". */
const char *run_mode_name(int mode);

/* --dry-run: the command line, or {"ok", "argv", "command"} with --json. */
int run_print_command(const struct cli *cli, const tdx_vm *vm);

#endif
