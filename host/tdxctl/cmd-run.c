/* SPDX-License-Identifier: MIT */
/* tdxctl run / stop: boot a native build directory under QEMU, end it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "run-args.h"

static void run_help(void)
{
    printf("Usage: tdxctl run BUILD_DIR [OPTIONS]\n\n"
           "Boot a native build directory (docs/build.md) under QEMU: as a TD on a TDX host,\n"
           "or emulated (TCG) with a per-run TEST PKI for the agent's quote simulator.\n\n"
           "Options:\n"
           "      --tdx                 run a TD (default when the host's KVM reports TDX)\n"
           "      --emulated            no TDX: TCG (or --accel kvm), test quote provider\n"
           "      --memory SIZE         guest memory (MiB, or with K/M/G/T); default vm.json\n"
           "      --cpus N              vCPUs; default vm.json\n"
           "      --remeasure           accept a --memory/--cpus other than the measured one and\n"
           "                            write RUN_DIR/measurements.json for the new shape\n"
           "      --qemu PATH           QEMU binary (default qemu-system-x86_64 from PATH)\n"
           "      --qemu-flavor F       upstream | canonical-8.2 | canonical-9.2 (default: from\n"
           "                            QEMU --version)\n"
           "      --qemu-version V      write the command for QEMU V without asking the binary\n"
           "      --accel A             emulated runs: tcg (default) or kvm\n"
           "      --vtpm                emulated runs: a TPM 2.0 (swtpm, PCR banks sha256 and\n"
           "                            sha384, fresh state in RUN_DIR/vtpm) whose firmware\n"
           "                            event log `agent eventlog --tpm` fetches\n"
           "      --quote-service ADDR  TD quotes: vsock:CID:PORT (default vsock:2:4050) or\n"
           "                            unix:/PATH of the QGS socket\n"
           "      --vsock | --user-net  how the host reaches the agent (default vsock when\n"
           "                            /dev/vhost-vsock exists)\n"
           "      --port N              user networking: host port on 127.0.0.1 (default free)\n"
           "      --cid N               vsock: guest CID (default a free one)\n"
           "      --run-dir DIR         per-run files (default BUILD_DIR/run)\n"
           "      --serial FILE         console log (default RUN_DIR/serial.log)\n"
           "      --timeout SEC         wait this long for the agent (default 120)\n"
           "      --detach              return once the agent answers; QEMU keeps running\n"
           "      --pidfile FILE        also write QEMU's pid there\n"
           "      --dry-run             print the exact QEMU command (shell-quoted) and exit\n"
           "      --json                print {\"ok\", \"pid\", \"agent\", \"serial\", \"test_root\"}\n"
           "  -h, --help                show this help\n\n"
           "Without --detach, tdxctl waits for QEMU; ^C or SIGTERM powers the guest off.\n"
           "See docs/run.md.\n");
}

static void stop_help(void)
{
    printf("Usage: tdxctl stop BUILD_DIR|RUN_DIR|PIDFILE [--timeout SEC] [--json]\n\n"
           "Ask the guest to power off (QMP system_powerdown), wait up to --timeout seconds\n"
           "(default 30), then SIGTERM and, 5 s later, SIGKILL.\n");
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int foreground(const struct cli *cli, tdx_vm *vm)
{
    struct sigaction sa = { .sa_handler = on_signal };
    tdx_error err = TDX_ERROR_INIT;
    int status = 0, r;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (;;) {
        r = tdx_vm_wait(vm, 200, &status, &err);
        if (r == 0)
            break;
        if (r != -ETIMEDOUT)
            return cli_fail(cli, &err);
        if (stop_requested) {
            fprintf(stderr, "tdxctl: powering the guest off\n");
            if (tdx_vm_stop(vm, TDX_UNSET, &err) < 0)
                return cli_fail(cli, &err);
            return EXIT_OK;
        }
    }
    if (status != 0)
        return cli_failf(cli, -ECHILD, "QEMU exited with status %d (see %s/qemu.log)", status,
                         tdx_vm_run_dir(vm));
    return EXIT_OK;
}

static int print_started(const struct cli *cli, const tdx_vm *vm, bool detach)
{
    const char *root = tdx_vm_test_root(vm);

    if (cli->json)
        return cli_print_ok(cli, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s?, s:s, s:b}", "pid",
                                           tdx_vm_pid(vm), "agent", tdx_vm_agent_address(vm),
                                           "serial", tdx_vm_serial_path(vm), "run_dir",
                                           tdx_vm_run_dir(vm), "mode",
                                           run_mode_name(tdx_vm_mode_of(vm)), "test_root", root,
                                           "qemu_version", tdx_vm_qemu_version(vm), "detached",
                                           detach));
    fprintf(stderr, "tdxctl: %s VM up (QEMU %s, pid %d): agent %s, console %s\n",
            run_mode_name(tdx_vm_mode_of(vm)), tdx_vm_qemu_version(vm), tdx_vm_pid(vm),
            tdx_vm_agent_address(vm), tdx_vm_serial_path(vm));
    if (root)
        fprintf(stderr, "tdxctl: TEST attestation: quotes are signed by the run's test PKI; "
                        "push with --root %s\n", root);
    return EXIT_OK;
}

int cmd_run(const struct cli *cli_in, int argc, char **argv)
{
    struct cli cli = *cli_in;
    struct run_args a;
    tdx_error err = TDX_ERROR_INIT;
    tdx_vm *vm = NULL;
    int status;

    status = run_args_parse(&a, &cli, argc, argv, RUN_ARGS_RUN, run_help);
    if (status != RUN_ARGS_CONTINUE)
        return status;
    cli.json |= a.json;
    if (tdx_vm_new(&vm, a.build_dir, &a.vm, &err) < 0) {
        if (strstr(err.message, "remeasure for the new shape"))
            cli_warn("pass --remeasure to run with another shape and new measurements");
        return cli_fail(&cli, &err);
    }
    if (a.dry_run) {
        status = run_print_command(&cli, vm);
        goto out;
    }
    if (a.remeasure) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/measurements.json", tdx_vm_run_dir(vm));
        if (mkdir(tdx_vm_run_dir(vm), 0700) < 0 && errno != EEXIST) {
            status = cli_failf(&cli, -errno, "%s: %s", tdx_vm_run_dir(vm), strerror(errno));
            goto out;
        }
        if (tdx_vm_remeasure(vm, path, &err) < 0) {
            status = cli_fail(&cli, &err);
            goto out;
        }
        if (!cli.json)
            fprintf(stderr, "tdxctl: measurements for %" PRIu64 " MiB, %d vCPU(s): %s\n",
                    tdx_vm_memory_mib(vm), tdx_vm_cpus(vm), path);
    }
    if (tdx_vm_start(vm, &a.start, &err) < 0) {
        status = cli_fail(&cli, &err);
        goto out;
    }
    print_started(&cli, vm, a.detach);
    status = a.detach ? EXIT_OK : foreground(&cli, vm);
out:
    tdx_vm_free(vm);
    return status;
}

int cmd_stop(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_error err = TDX_ERROR_INIT;
    int c, r, status, sec, timeout_ms = TDX_UNSET;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 't':
            if ((status = cli_parse_int(&cli, "--timeout", optarg, 0, 3600, &sec)) != EXIT_OK)
                return status;
            timeout_ms = sec * 1000;
            break;
        case 'J': cli.json = true; break;
        case 'h': stop_help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected one BUILD_DIR, RUN_DIR or PIDFILE");
    r = tdx_vm_stop_path(argv[optind], timeout_ms, &err);
    if (r < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        return cli_print_ok(&cli, json_pack("{s:b}", "was_running", r == 0));
    fprintf(stderr, "tdxctl: %s\n", r == 0 ? "stopped" : "not running (removed the stale pid file)");
    return EXIT_OK;
}
