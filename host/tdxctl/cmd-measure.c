/* SPDX-License-Identifier: MIT */
/* tdxctl measure: expected MRTD/RTMRs of a direct boot, or vTPM PCRs of a UKI. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hex.h"
#include "parse-number.h"

#define RUNTIME_EVENTS_MAX 256

static void help(void)
{
    printf("Usage: tdxctl measure --firmware OVMF.fd --kernel VMLINUZ [OPTIONS]\n"
           "       tdxctl measure BUILD_DIR [--format F] [-o FILE]   (a tdxctl build output)\n"
           "       tdxctl measure --firmware OVMF.fd --disk DISK.raw --uki UKI.efi [OPTIONS]\n"
           "       tdxctl measure --uki UKI.efi --tpm [OPTIONS]\n\n"
           "Compute the measurements a TDX guest will report: MRTD and RTMR0-3 for a QEMU\n"
           "direct kernel boot or for a UKI that OVMF boots from a GPT disk's ESP, or\n"
           "vTPM PCRs 4, 9 and 11 for a unified kernel image.\n\n"
           "Direct boot:\n"
           "      --firmware FILE        OVMF/TDVF image (QEMU -bios)\n"
           "      --kernel FILE          Linux bzImage (QEMU -kernel)\n"
           "      --initrd FILE          initrd (QEMU -initrd)\n"
           "      --cmdline STR          kernel command line (QEMU -append)\n"
           "      --memory SIZE          guest memory, e.g. 2G, 2816M, 4096 (MiB); default 2G\n"
           "      --cpus N               vCPUs; default: from the ACPI tables, else 1\n"
           "      --qemu-version V       host QEMU, e.g. 9.2 or 8.2.2; default 9.2\n"
           "      --mrtd-order ORDER     per-page | two-pass; default from the QEMU version\n"
           "      --kernel-header H      patched | unpatched; default from the QEMU version\n"
           "      --event-layout L       pre-202411 | 202411 (edk2 release of the firmware);\n"
           "                             default pre-202411\n"
           "      --kernel-measures-rtmr2 yes|no\n"
           "                             default: from the kernel version (>= 6.9: yes)\n"
           "      --acpi-tables FILE     QEMU's etc/acpi/tables  \\\n"
           "      --acpi-rsdp FILE       QEMU's etc/acpi/rsdp     > all three, or RTMR0 is null\n"
           "      --acpi-loader FILE     QEMU's etc/table-loader /\n"
           "      --runtime-event NAME=HEX  fold a runtime event into RTMR3 (repeatable)\n\n"
           "Disk boot (the direct-boot options except --kernel, --initrd, --cmdline and\n"
           "--kernel-header apply; RTMR0 is null: OVMF's boot variables are not modelled):\n"
           "      --disk FILE            raw GPT disk image (its primary GPT goes into RTMR1)\n"
           "      --uki FILE             the UKI on the disk's ESP (\\EFI\\BOOT\\BOOTX64.EFI)\n"
           "      --stub-version N       systemd-stub rules to apply; default: from .sdmagic\n\n"
           "Unified kernel image:\n"
           "      --uki FILE --tpm       vTPM PCRs 4, 9, 11\n"
           "      --bank ALG             sha256 (default) and/or sha384 (repeatable)\n"
           "      --stub-version N       systemd-stub rules to apply; default: from .sdmagic\n"
           "      --boot-loader FILE     EFI boot loader started before the UKI (PCR 4)\n\n"
           "Output:\n"
           "      --format F             json (default) | cbor | cvm-reverse-proxy | dstack\n"
           "      --measurement-id ID    measurement_id for cvm-reverse-proxy (default tdxctl)\n"
           "  -o, --output FILE          write there (atomically) instead of standard output\n"
           "      --json                 with -o: print {\"ok\": true, ...}\n"
           "  -h, --help                 show this help\n\n"
           "See docs/measurement.md for what each option changes.\n");
}

#define MIB (UINT64_C(1) << 20)
#define MEMORY_MAX (UINT64_C(16) << 40)   /* 16 TiB: far beyond any TD, far below overflow */

/* QEMU's -m syntax: a plain number is MiB; with a K, M, G or T suffix, that
 * unit. A TD needs memory, so 0 is refused (the library reads 0 as "2 GiB"). */
static int parse_memory(const struct cli *cli, const char *arg, uint64_t *out)
{
    uint64_t mib;

    if (parse_u64(arg, 0, UINT64_MAX, &mib) == 0) {
        if (mib < 1 || mib > MEMORY_MAX / MIB)
            return cli_usage(cli, "--memory: expected 1 to %llu MiB, got '%s'",
                             (unsigned long long)(MEMORY_MAX / MIB), arg);
        *out = mib * MIB;
        return EXIT_OK;
    }
    return cli_parse_size(cli, "--memory", arg, MIB, MEMORY_MAX, out);
}

static int choice(const struct cli *cli, const char *opt, const char *value,
                  const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(value, names[i])) {
            *out = i;
            return 0;
        }
    return cli_usage(cli, "%s: unknown value '%s'", opt, value);
}

struct runtime_events {
    tdx_runtime_event ev[RUNTIME_EVENTS_MAX];
    uint8_t *payload[RUNTIME_EVENTS_MAX];
    size_t n;
};

static int add_runtime_event(struct runtime_events *re, char *arg)
{
    char *eq = strchr(arg, '=');
    size_t len;
    uint8_t *p;
    int n;

    if (!eq || eq == arg || re->n == RUNTIME_EVENTS_MAX)
        return -EINVAL;
    len = strlen(eq + 1) / 2;
    p = malloc(len + 1);
    if (!p)
        return -ENOMEM;
    n = hex_decode(eq + 1, p, len);
    if (n < 0 || (size_t)n != len) {
        free(p);
        return -EINVAL;
    }
    *eq = '\0';
    re->payload[re->n] = p;
    re->ev[re->n] = (tdx_runtime_event){ 0, arg, p, len };
    re->n++;
    return 0;
}

static void print_warnings(const tdx_measurements *m, int format)
{
    const char *reason;

    for (size_t i = 0; i < tdx_measurements_warning_count(m); i++)
        cli_warn("%s", tdx_measurements_warning(m, i));
    for (size_t i = 0; i < tdx_measurements_register_count(m); i++) {
        const char *name = tdx_measurements_register_name(m, i);
        if (tdx_measurements_register(m, name, 0, NULL, NULL, &reason) == -ENODATA) {
            if (format == TDX_FORMAT_CVM_REVERSE_PROXY)
                cli_warn("%s is unknown and left out of the list: a verifier using it will not check %s (%s)",
                         name, name, reason);
            else
                cli_warn("%s is unknown: %s", name, reason);
        }
    }
}

static int emit(const struct cli *cli, const tdx_measurements *m, int format, const char *id,
                const char *output)
{
    tdx_serialize_options oo = TDX_SERIALIZE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    size_t size;
    int r;

    oo.measurement_id = id;
    print_warnings(m, format);
    if (output) {
        if (tdx_measurements_write_file(m, format, &oo, output, &err) < 0)
            return cli_fail(cli, &err);
        if (cli->json)
            cli_print_ok(cli, json_pack("{s:s}", "output", output));
        return EXIT_OK;
    }
    if (format == TDX_FORMAT_CBOR && cli->json)
        return cli_usage(cli, "--json and --format cbor need -o FILE");
    if (format == TDX_FORMAT_CBOR && isatty(STDOUT_FILENO))
        return cli_usage(cli, "refusing to write CBOR to a terminal; use -o FILE");
    if (tdx_measurements_serialize(m, format, &oo, &text, &size, &err) < 0)
        return cli_fail(cli, &err);
    r = cli_print_document(cli, "measurements", text, size);
    tdx_free(text);
    return r;
}

int cmd_measure(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_FIRMWARE = 256, O_KERNEL, O_INITRD, O_CMDLINE, O_MEMORY, O_CPUS, O_QEMU, O_ORDER, O_HEADER,
           O_LAYOUT, O_RTMR2, O_TABLES, O_RSDP, O_LOADER, O_RUNTIME, O_UKI, O_TPM, O_BANK, O_STUB,
           O_BOOT_LOADER, O_FORMAT, O_ID, O_JSON, O_DISK };
    static const struct option options[] = {
        { "firmware", required_argument, NULL, O_FIRMWARE },
        { "kernel", required_argument, NULL, O_KERNEL },
        { "initrd", required_argument, NULL, O_INITRD },
        { "cmdline", required_argument, NULL, O_CMDLINE },
        { "memory", required_argument, NULL, O_MEMORY },
        { "cpus", required_argument, NULL, O_CPUS },
        { "qemu-version", required_argument, NULL, O_QEMU },
        { "mrtd-order", required_argument, NULL, O_ORDER },
        { "kernel-header", required_argument, NULL, O_HEADER },
        { "event-layout", required_argument, NULL, O_LAYOUT },
        { "kernel-measures-rtmr2", required_argument, NULL, O_RTMR2 },
        { "acpi-tables", required_argument, NULL, O_TABLES },
        { "acpi-rsdp", required_argument, NULL, O_RSDP },
        { "acpi-loader", required_argument, NULL, O_LOADER },
        { "runtime-event", required_argument, NULL, O_RUNTIME },
        { "uki", required_argument, NULL, O_UKI },
        { "disk", required_argument, NULL, O_DISK },
        { "tpm", no_argument, NULL, O_TPM },
        { "bank", required_argument, NULL, O_BANK },
        { "stub-version", required_argument, NULL, O_STUB },
        { "boot-loader", required_argument, NULL, O_BOOT_LOADER },
        { "format", required_argument, NULL, O_FORMAT },
        { "measurement-id", required_argument, NULL, O_ID },
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const orders[] = { "per-page", "two-pass", NULL };
    static const char *const headers[] = { "patched", "unpatched", NULL };
    static const char *const layouts[] = { "pre-202411", "202411", NULL };
    static const char *const yesno[] = { "no", "yes", NULL };
    static const char *const formats[] = { "json", "cbor", "cvm-reverse-proxy", "dstack", NULL };
    struct cli cli = *cli_in;
    tdx_measure_options mo = TDX_MEASURE_OPTIONS_INIT;
    tdx_uki_options uo = TDX_UKI_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_measurements *m = NULL;
    struct runtime_events re = { .n = 0 };
    const char *firmware = NULL, *kernel = NULL, *uki = NULL, *disk = NULL, *output = NULL, *id = NULL;
    bool tpm = false, direct_only = false;
    int c, r, format = TDX_FORMAT_JSON, status;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        tdx_hash_alg alg;

        direct_only |= c >= O_INITRD && c <= O_RUNTIME;
        switch (c) {
        case O_FIRMWARE: firmware = optarg; break;
        case O_KERNEL: kernel = optarg; break;
        case O_INITRD: mo.initrd = optarg; break;
        case O_CMDLINE: mo.cmdline = optarg; break;
        case O_MEMORY:
            if ((status = parse_memory(&cli, optarg, &mo.memory)) != EXIT_OK)
                goto out;
            break;
        case O_CPUS:
            if ((status = cli_parse_int(&cli, "--cpus", optarg, 1, 4096, &mo.cpus)) != EXIT_OK)
                goto out;
            break;
        case O_QEMU: mo.qemu_version = optarg; break;
        case O_ORDER:
            if (choice(&cli, "--mrtd-order", optarg, orders, &mo.mrtd_order)) {
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case O_HEADER:
            if (choice(&cli, "--kernel-header", optarg, headers, &mo.kernel_header)) {
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case O_LAYOUT:
            if (choice(&cli, "--event-layout", optarg, layouts, &mo.event_layout)) {
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case O_RTMR2:
            if (choice(&cli, "--kernel-measures-rtmr2", optarg, yesno, &mo.kernel_measures_rtmr2)) {
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case O_TABLES: mo.acpi_tables = optarg; break;
        case O_RSDP: mo.acpi_rsdp = optarg; break;
        case O_LOADER: mo.acpi_loader = optarg; break;
        case O_RUNTIME:
            if (add_runtime_event(&re, optarg) < 0) {
                status = cli_usage(&cli, "--runtime-event: expected NAME=HEXPAYLOAD, got '%s'", optarg);
                goto out;
            }
            break;
        case O_UKI: uki = optarg; break;
        case O_DISK: disk = optarg; break;
        case O_TPM: tpm = true; break;
        case O_BANK:
            if (tdx_hash_alg_from_name(optarg, &alg, &err) < 0 ||
                (alg != TDX_HASH_SHA256 && alg != TDX_HASH_SHA384)) {
                status = cli_usage(&cli, "--bank: expected sha256 or sha384, got '%s'", optarg);
                goto out;
            }
            uo.banks = (uo.banks == TDX_UNSET ? 0 : uo.banks) | (alg == TDX_HASH_SHA256 ? TDX_BANK_SHA256 : TDX_BANK_SHA384);
            break;
        case O_STUB:
            if ((status = cli_parse_int(&cli, "--stub-version", optarg, 1, 99999,
                                        &uo.stub_version)) != EXIT_OK)
                goto out;
            break;
        case O_BOOT_LOADER: uo.boot_loader = optarg; break;
        case O_FORMAT:
            if (choice(&cli, "--format", optarg, formats, &format)) {
                status = EXIT_USAGE;
                goto out;
            }
            break;
        case O_ID: id = optarg; break;
        case 'o':
            if ((status = cli_parse_path(&cli, "--output", optarg, &output)) != EXIT_OK)
                goto out;
            break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); status = EXIT_OK; goto out;
        default:
            status = cli_option_error(&cli, c, argv);
            goto out;
        }
    }
    if (optind + 1 == argc && !uki && !disk && !firmware && !kernel && !tpm && !direct_only) {
        /* A build output directory: everything comes from the directory. */
        r = tdx_build_measure_dir(argv[optind], &m, &err);
    } else if (optind != argc) {
        status = cli_usage(&cli, "unexpected argument '%s'", argv[optind]);
        goto out;
    } else if (disk) {
        if (!uki || !firmware || kernel || tpm) {
            status = cli_usage(&cli, "--disk goes with --uki and --firmware, without --kernel and --tpm");
            goto out;
        }
        if (mo.initrd || mo.cmdline || mo.kernel_header != TDX_UNSET || uo.banks != TDX_UNSET || uo.boot_loader) {
            status = cli_usage(&cli, "--initrd, --cmdline, --kernel-header, --bank and --boot-loader do not apply "
                               "to --disk (the UKI carries its command line and initrd)");
            goto out;
        }
        mo.runtime_events = re.ev;
        mo.n_runtime_events = re.n;
        r = tdx_measure_uki_disk_boot(&m, firmware, disk, uki, &mo, &uo, &err);
    } else if (uki) {
        if (!tpm || firmware || kernel || direct_only) {
            status = cli_usage(&cli, "--uki goes with --tpm and without the direct-boot options");
            goto out;
        }
        r = tdx_measure_uki_tpm(&m, uki, &uo, &err);
    } else {
        if (tpm || !firmware || !kernel) {
            status = cli_usage(&cli, "give --firmware and --kernel, or --uki with --tpm");
            goto out;
        }
        if (uo.banks != TDX_UNSET || uo.stub_version != TDX_UNSET || uo.boot_loader) {
            status = cli_usage(&cli, "--bank, --stub-version and --boot-loader go with --uki");
            goto out;
        }
        mo.runtime_events = re.ev;
        mo.n_runtime_events = re.n;
        r = tdx_measure_direct_boot(&m, firmware, kernel, &mo, &err);
    }
    if (r < 0) {
        status = cli_fail(&cli, &err);
        goto out;
    }
    status = emit(&cli, m, format, id, output);
out:
    tdx_measurements_free(m);
    for (size_t i = 0; i < re.n; i++)
        free(re.payload[i]);
    return status;
}
