/* SPDX-License-Identifier: MIT */
/* tdxctl deploy: copy a build to another host over SSH with a run.sh. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run-args.h"

static void help(void)
{
    printf("Usage: tdxctl deploy ssh://[USER@]HOST[:PORT]/DIR BUILD_DIR [OPTIONS]\n\n"
           "Copy a native build to HOST:DIR with your OpenSSH client (ssh, scp: your config,\n"
           "agent and known_hosts), with a self-contained DIR/run.sh that runs the exact QEMU\n"
           "command for that host (its QEMU's version is asked over ssh); check every file's\n"
           "SHA-256 there; optionally start it.\n\n"
           "Options:\n"
           "      --start               run DIR/run.sh there, detached\n"
           "      --tdx | --emulated    how it runs there (default --tdx)\n"
           "      --qemu PATH           QEMU binary on that host (default qemu-system-x86_64)\n"
           "      --qemu-flavor F, --qemu-version V   instead of asking that host's QEMU\n"
           "      --quote-service ADDR  vsock:CID:PORT (default vsock:2:4050) or unix:/PATH\n"
           "      --vsock | --user-net  the agent's transport there (default vsock)\n"
           "      --cid N, --port N     guest CID or host port there (default random)\n"
           "      --ssh-config FILE     an OpenSSH configuration file for ssh and scp (-F)\n"
           "      --dry-run             print the command run.sh would run and exit\n"
           "      --json                print the result as one JSON object\n"
           "  -h, --help                show this help\n");
}

int cmd_deploy(const struct cli *cli_in, int argc, char **argv)
{
    struct cli cli = *cli_in;
    tdx_deploy_options o = TDX_DEPLOY_OPTIONS_INIT;
    struct run_args a;
    tdx_error err = TDX_ERROR_INIT;
    char *result = NULL;
    int status;

    status = run_args_parse(&a, &cli, argc, argv, RUN_ARGS_DEPLOY, help);
    if (status != RUN_ARGS_CONTINUE)
        return status;
    cli.json |= a.json;
    if (a.dry_run) {
        /* The far side is not asked anything: the version must be given. */
        tdx_vm *vm = NULL;
        if (!a.vm.qemu_version)
            return cli_usage(&cli, "--dry-run needs --qemu-version (nothing is asked over ssh)");
        a.vm.remote_dir = "/DIR";
        if (a.vm.mode == TDX_UNSET)
            a.vm.mode = TDX_VM_TDX;
        if (tdx_vm_new(&vm, a.build_dir, &a.vm, &err) < 0)
            return cli_fail(&cli, &err);
        status = run_print_command(&cli, vm);
        tdx_vm_free(vm);
        return status;
    }
    o.vm = &a.vm;
    o.ssh_config = a.ssh_config;
    o.start = a.start_remote ? 1 : 0;
    if (tdx_deploy(a.target, a.build_dir, &o, &result, &err) < 0)
        return cli_fail(&cli, &err);
    if (cli.json) {
        status = cli_print_ok(&cli, json_loads(result, 0, NULL));
    } else {
        json_t *j = json_loads(result, 0, NULL);
        fprintf(stderr, "tdxctl: deployed %s to %s (%zu files checked there); run %s/run.sh "
                        "(agent %s)%s\n", a.build_dir, a.target,
                json_array_size(json_object_get(j, "files")),
                json_string_value(json_object_get(j, "directory")),
                json_string_value(json_object_get(j, "agent")),
                json_is_true(json_object_get(j, "started")) ? ": started" : "");
        json_decref(j);
        status = EXIT_OK;
    }
    tdx_free(result);
    return status;
}
