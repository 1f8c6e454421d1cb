/* SPDX-License-Identifier: MIT */
/* The VM options `tdxctl run`, `acpi capture` and `deploy` share. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse-number.h"
#include "run-args.h"

#define MIB (1024ull * 1024)

/* QEMU's -m syntax: MiB without a suffix; whole MiB, 64 MiB to 4 TiB. */
static int parse_mib(const struct cli *cli, const char *arg, uint64_t *mib)
{
    uint64_t v;
    int status;

    if (parse_u64(arg, 0, UINT64_MAX, &v) == 0) {
        if (v < 64 || v > 4 * MIB)
            return cli_usage(cli, "--memory: expected 64 to 4194304 MiB, got '%s'", arg);
        *mib = v;
        return EXIT_OK;
    }
    if ((status = cli_parse_size(cli, "--memory", arg, 64 * MIB, 4 * MIB * MIB, &v)) != EXIT_OK)
        return status;
    if (v % MIB)
        return cli_usage(cli, "--memory: expected whole MiB, got '%s'", arg);
    *mib = v / MIB;
    return EXIT_OK;
}

const char *run_mode_name(int mode)
{
    return mode == TDX_VM_TDX ? "tdx" : mode == TDX_VM_CAPTURE ? "capture" : "emulated";
}

int run_print_command(const struct cli *cli, const tdx_vm *vm)
{
    tdx_error err = TDX_ERROR_INIT;
    char *line = NULL;
    json_t *argv;

    if (tdx_vm_command_line(vm, &line, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->json) {
        argv = json_array();
        for (const char *const *a = tdx_vm_argv(vm); *a; a++)
            json_array_append_new(argv, json_string(*a));
        cli_print_ok(cli, json_pack("{s:o, s:s, s:s, s:s, s:s}", "argv", argv, "command", line,
                                    "agent", tdx_vm_agent_address(vm), "mode",
                                    run_mode_name(tdx_vm_mode_of(vm)), "flavor",
                                    tdx_qemu_flavor_name(tdx_vm_flavor(vm))));
    } else
        printf("%s\n", line);
    tdx_free(line);
    return EXIT_OK;
}

enum {
    O_TDX = 256, O_EMULATED, O_MEMORY, O_CPUS, O_REMEASURE, O_QEMU, O_FLAVOR, O_QEMU_VERSION,
    O_ACCEL, O_QGS, O_VSOCK, O_USER_NET, O_PORT, O_CID, O_RUN_DIR, O_SERIAL, O_TIMEOUT,
    O_DETACH, O_PIDFILE, O_DRY_RUN, O_JSON, O_START, O_SSH_CONFIG, O_VTPM,
};

/* Which options each command takes. */
static bool allowed(enum run_args_kind kind, int opt)
{
    switch (kind) {
    case RUN_ARGS_RUN:
        return opt != O_START && opt != O_SSH_CONFIG;   /* O_VTPM: run only */
    case RUN_ARGS_CAPTURE:
        return opt == O_QEMU || opt == O_ACCEL || opt == O_VSOCK || opt == O_USER_NET ||
               opt == O_PORT || opt == O_CID || opt == O_TIMEOUT || opt == O_JSON ||
               opt == O_SERIAL || opt == O_DRY_RUN || opt == O_MEMORY || opt == O_CPUS;
    case RUN_ARGS_DEPLOY:
        return opt == O_TDX || opt == O_EMULATED || opt == O_QEMU || opt == O_FLAVOR ||
               opt == O_QEMU_VERSION || opt == O_QGS || opt == O_VSOCK || opt == O_USER_NET ||
               opt == O_PORT || opt == O_CID || opt == O_JSON || opt == O_START ||
               opt == O_DRY_RUN || opt == O_SSH_CONFIG;
    }
    return false;
}

int run_args_parse(struct run_args *a, const struct cli *cli, int argc, char **argv,
                   enum run_args_kind kind, void (*help)(void))
{
    static const struct option options[] = {
        { "tdx", no_argument, NULL, O_TDX },
        { "emulated", no_argument, NULL, O_EMULATED },
        { "memory", required_argument, NULL, O_MEMORY },
        { "cpus", required_argument, NULL, O_CPUS },
        { "remeasure", no_argument, NULL, O_REMEASURE },
        { "qemu", required_argument, NULL, O_QEMU },
        { "qemu-flavor", required_argument, NULL, O_FLAVOR },
        { "qemu-version", required_argument, NULL, O_QEMU_VERSION },
        { "accel", required_argument, NULL, O_ACCEL },
        { "quote-service", required_argument, NULL, O_QGS },
        { "vsock", no_argument, NULL, O_VSOCK },
        { "user-net", no_argument, NULL, O_USER_NET },
        { "port", required_argument, NULL, O_PORT },
        { "cid", required_argument, NULL, O_CID },
        { "run-dir", required_argument, NULL, O_RUN_DIR },
        { "serial", required_argument, NULL, O_SERIAL },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "detach", no_argument, NULL, O_DETACH },
        { "pidfile", required_argument, NULL, O_PIDFILE },
        { "dry-run", no_argument, NULL, O_DRY_RUN },
        { "json", no_argument, NULL, O_JSON },
        { "start", no_argument, NULL, O_START },
        { "ssh-config", required_argument, NULL, O_SSH_CONFIG },
        { "vtpm", no_argument, NULL, O_VTPM },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    tdx_vm_options vo = TDX_VM_OPTIONS_INIT;
    tdx_vm_start_options so = TDX_VM_START_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_qemu_flavor flavor;
    int c, status, v, positional = kind == RUN_ARGS_DEPLOY ? 2 : 1;

    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        if (c == 'h') {
            help();
            return EXIT_OK;
        }
        if (c == '?' || c == ':')
            return cli_option_error(cli, c, argv);
        if (!allowed(kind, c))
            return cli_usage(cli, "%s does not go with this command", argv[optind - 1]);
        status = EXIT_OK;
        switch (c) {
        case O_TDX: vo.mode = TDX_VM_TDX; break;
        case O_EMULATED: vo.mode = TDX_VM_EMULATED; break;
        case O_MEMORY: status = parse_mib(cli, optarg, &vo.memory_mib); break;
        case O_CPUS:
            if ((status = cli_parse_int(cli, "--cpus", optarg, 1, 512, &v)) == EXIT_OK)
                vo.cpus = v;
            break;
        case O_REMEASURE: a->remeasure = true; vo.allow_reshape = 1; break;
        case O_QEMU: vo.qemu = optarg; break;
        case O_FLAVOR:
            if (tdx_qemu_flavor_from_name(optarg, &flavor, &err) < 0)
                return cli_usage(cli, "--qemu-flavor: %s", err.message);
            vo.flavor = flavor;
            break;
        case O_QEMU_VERSION: vo.qemu_version = optarg; break;
        case O_ACCEL: vo.accel = optarg; break;
        case O_QGS: vo.quote_service = optarg; break;
        case O_VSOCK: vo.transport = TDX_VM_VSOCK; break;
        case O_USER_NET: vo.transport = TDX_VM_USER_NET; break;
        case O_PORT:
            if ((status = cli_parse_int(cli, "--port", optarg, 1, 65535, &v)) == EXIT_OK)
                vo.host_port = v;
            break;
        case O_CID:
            if ((status = cli_parse_int(cli, "--cid", optarg, 3, 0x7fffffff, &v)) == EXIT_OK)
                vo.guest_cid = v;
            break;
        case O_RUN_DIR: vo.run_dir = optarg; break;
        case O_SERIAL: vo.serial = optarg; break;
        case O_TIMEOUT:
            if ((status = cli_parse_int(cli, "--timeout", optarg, 1, 3600, &v)) == EXIT_OK)
                so.agent_timeout_ms = v * 1000;
            break;
        case O_DETACH: a->detach = true; break;
        case O_PIDFILE: so.pidfile = optarg; break;
        case O_DRY_RUN: a->dry_run = true; break;
        case O_JSON: a->json = true; break;
        case O_START: a->start_remote = true; break;
        case O_SSH_CONFIG: a->ssh_config = optarg; break;
        case O_VTPM: vo.vtpm = 1; break;
        }
        if (status != EXIT_OK)
            return status;
    }
    if (argc - optind != positional)
        return cli_usage(cli, "expected %s", kind == RUN_ARGS_DEPLOY
                         ? "ssh://[USER@]HOST[:PORT]/DIR BUILD_DIR" : "one BUILD_DIR");
    if (vo.vtpm == 1 && vo.mode == TDX_VM_TDX)
        return cli_usage(cli, "--vtpm goes with --emulated: a TD's vTPM is the cloud's");
    if (so.pidfile && !a->detach)
        return cli_usage(cli, "--pidfile goes with --detach");
    if ((vo.memory_mib || vo.cpus != TDX_UNSET) && !a->remeasure && kind == RUN_ARGS_RUN)
        vo.allow_reshape = 0;
    if (kind == RUN_ARGS_DEPLOY) {
        a->target = argv[optind];
        a->build_dir = argv[optind + 1];
    } else
        a->build_dir = argv[optind];
    a->vm = vo;
    a->start = so;
    return RUN_ARGS_CONTINUE;
}
