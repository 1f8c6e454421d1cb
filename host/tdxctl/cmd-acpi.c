/* SPDX-License-Identifier: MIT */
/* tdxctl acpi capture: QEMU's ACPI blobs for RTMR0, from a stock QEMU. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hex.h"
#include "run-args.h"

static void help(void)
{
    printf("Usage: tdxctl acpi capture BUILD_DIR [OPTIONS]\n\n"
           "Boot the image once with tdx.capture=acpi under the host's QEMU with the TD's\n"
           "machine (smm=off, pic=off, split irqchip, no HPET, the same vCPUs, memory and\n"
           "devices), fetch etc/acpi/tables, etc/acpi/rsdp and etc/table-loader from the\n"
           "guest's fw_cfg through the agent, power it off, and store them in\n"
           "BUILD_DIR/acpi/ with capture.json (QEMU version, argv, memory, vCPUs).\n"
           "The firmware's BootOrder and Boot#### go to BUILD_DIR/acpi/boot-variables/: a\n"
           "disk build (booted as it is, no flag) needs them for RTMR0.\n"
           "RTMR0 then follows from them (tdxctl measure BUILD_DIR). With --memory/--cpus other\n"
           "than vm.json's they go to BUILD_DIR/acpi-<MiB>m-<N>c/, for tdxctl run --remeasure.\n\n"
           "Options:\n"
           "      --qemu PATH           QEMU binary (default qemu-system-x86_64 from PATH)\n"
           "      --accel A             tcg (default) or kvm\n"
           "      --memory SIZE, --cpus N   another shape than vm.json's\n"
           "      --vsock | --user-net  the agent's transport: as the TD run uses (default\n"
           "                            vsock when /dev/vhost-vsock exists)\n"
           "      --port N, --cid N     as for tdxctl run\n"
           "      --serial FILE         console log (default BUILD_DIR/run/serial.log)\n"
           "      --timeout SEC         wait this long for the agent (default 180)\n"
           "      --dry-run             print the capture's QEMU command and exit\n"
           "      --json                print {\"ok\", \"directory\", \"rtmr0\", ...}\n"
           "  -h, --help                show this help\n\n"
           "docs/run.md lists what must match between the capture and the TD launch.\n");
}

int cmd_acpi(const struct cli *cli_in, int argc, char **argv)
{
    struct cli cli = *cli_in;
    struct run_args a;
    tdx_error err = TDX_ERROR_INIT;
    tdx_measurements *m = NULL;
    tdx_vm *vm = NULL;
    const uint8_t *rtmr0 = NULL;
    char hex[97] = "", dir[4200], bv[4300];
    bool own_shape, has_boot_vars;
    size_t size;
    int status;

    if (argc < 2 || strcmp(argv[1], "capture")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            help();
            return EXIT_OK;
        }
        return cli_usage(&cli, "expected 'capture BUILD_DIR'");
    }
    status = run_args_parse(&a, &cli, argc - 1, argv + 1, RUN_ARGS_CAPTURE, help);
    if (status != RUN_ARGS_CONTINUE)
        return status;
    cli.json |= a.json;
    a.vm.mode = TDX_VM_CAPTURE;
    a.vm.allow_reshape = 1;   /* capture.json records the shape it was made for */
    if (tdx_vm_new(&vm, a.build_dir, &a.vm, &err) < 0)
        return cli_fail(&cli, &err);
    if (a.dry_run) {
        status = run_print_command(&cli, vm);
        goto out;
    }
    if (!cli.json)
        fprintf(stderr, "tdxctl: booting %s in capture mode (QEMU %s, %" PRIu64 " MiB, %d vCPU(s))\n",
                a.build_dir, tdx_vm_qemu_version(vm), tdx_vm_memory_mib(vm), tdx_vm_cpus(vm));
    if (tdx_vm_capture_acpi(vm, NULL, a.start.agent_timeout_ms, &err) < 0) {
        status = cli_fail(&cli, &err);
        goto out;
    }
    own_shape = a.vm.memory_mib == 0 && a.vm.cpus == TDX_UNSET;
    if (own_shape)
        snprintf(dir, sizeof(dir), "%s/acpi", a.build_dir);
    else
        snprintf(dir, sizeof(dir), "%s/acpi-%llum-%dc", a.build_dir,
                 (unsigned long long)tdx_vm_memory_mib(vm), tdx_vm_cpus(vm));
    snprintf(bv, sizeof(bv), "%s/boot-variables", dir);
    has_boot_vars = access(bv, F_OK) == 0;
    /* What the capture gives RTMR0 for the build's own shape: what
     * `tdxctl measure BUILD_DIR` now computes. */
    if (own_shape && tdx_build_measure_dir(a.build_dir, &m, &err) < 0)
        cli_warn("%s", err.message);
    else if (own_shape && tdx_measurements_register(m, "rtmr0", 0, &rtmr0, &size, NULL) == 0)
        hex_encode(rtmr0, size, hex);
    if (cli.json)
        status = cli_print_ok(&cli, json_pack("{s:s, s:s, s:I, s:i, s:s?}", "directory", dir,
                                              "qemu_version", tdx_vm_qemu_version(vm),
                                              "memory_mib", (json_int_t)tdx_vm_memory_mib(vm),
                                              "cpus", tdx_vm_cpus(vm), "rtmr0",
                                              *hex ? hex : NULL));
    else {
        fprintf(stderr, "tdxctl: wrote %s (etc-acpi-tables, etc-acpi-rsdp, etc-table-loader, "
                        "%scapture.json)\n", dir, has_boot_vars ? "boot-variables/, " : "");
        if (*hex)
            fprintf(stderr, "tdxctl: RTMR0 for the build's shape: %s\n", hex);
        else
            fprintf(stderr, "tdxctl: captured for another shape than vm.json's: `tdxctl run "
                            "--remeasure` with that shape uses it\n");
    }
out:
    tdx_measurements_free(m);
    tdx_vm_free(vm);
    return status;
}
