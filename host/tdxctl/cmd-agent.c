/* SPDX-License-Identifier: MIT */
/* tdxctl agent: info / quote / eventlog / bootvars from a running tdx-agent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "hex.h"
#include "macro.h"

static void help(void)
{
    printf("Usage: tdxctl agent info     --connect ADDR [--json]\n"
           "       tdxctl agent quote    --connect ADDR [--report-data HEX] -o QUOTE\n"
           "       tdxctl agent eventlog --connect ADDR [--tpm] -o DIR\n"
           "       tdxctl agent bootvars --connect ADDR -o DIR\n\n"
           "Talk to a running tdx-agent (docs/protocol.md).\n\n"
           "info      the agent's version, quote provider, TDX presence, listeners, limits\n"
           "quote     a quote over REPORT-DATA (at most 64 bytes, zero-padded), written to QUOTE\n"
           "eventlog  the CCEL ACPI table and event log, written to DIR/CCEL and DIR/data/CCEL\n"
           "          (the layout of /sys/firmware/acpi/tables); with --tpm the TPM's\n"
           "          event log instead, written to DIR/binary_bios_measurements\n"
           "bootvars  the firmware's BootOrder and the Boot#### it lists, written to DIR/NAME\n"
           "          (the data without attributes: tdx_measure_options.boot_variables)\n\n"
           "Options:\n"
           "  -c, --connect ADDR          vsock:CID:PORT, tcp:HOST:PORT or unix:PATH (required)\n"
           "  -r, --report-data HEX       report data for 'quote' (default: 64 zero bytes)\n"
           "  -o, --output PATH           file ('quote') or directory ('eventlog') to write\n"
           "      --tpm                   'eventlog': the TPM's log, not the CCEL\n"
           "      --connect-timeout MS    keep retrying a booting agent this long (default 30000)\n"
           "      --json                  machine-readable output\n"
           "  -h, --help                  show this help\n");
}

static int write_file(const char *path, const uint8_t *data, size_t n)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    return write_all(fd, data, n);
}

static int do_info(const struct cli *cli, tdx_agent *agent)
{
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    json_t *info, *tdx, *manifest, *listeners, *l;
    size_t i;

    if (tdx_agent_info(agent, &text, &err) < 0)
        return cli_fail(cli, &err);
    info = json_loads(text, 0, NULL);
    tdx_free(text);
    if (!info)
        return cli_failf(cli, -EPROTO, "%s: info: unreadable reply", tdx_agent_address(agent));
    json_object_del(info, "id");
    json_object_del(info, "ok");
    if (cli->json)
        return cli_print_ok(cli, json_pack("{s:o}", "info", info));
    /* The library checked the reply's shape; its strings are still the agent's. */
    cli_printable_json(info);
    tdx = json_object_get(info, "tdx");
    manifest = json_object_get(info, "manifest");
    printf("agent       %s %s (protocol %lld)\n", json_string_value(json_object_get(info, "agent")),
           json_string_value(json_object_get(info, "version")),
           (long long)json_integer_value(json_object_get(info, "protocol")));
    printf("provider    %s%s\n", json_string_value(json_object_get(info, "quote_provider")),
           json_is_true(json_object_get(info, "simulated"))
               ? " (SIMULATED: test PKI, the quotes prove nothing)" : "");
    printf("tdx         cpuid %s, configfs-tsm %s, CCEL table %s\n",
           json_is_true(json_object_get(tdx, "cpuid")) ? "yes" : "no",
           json_is_true(json_object_get(tdx, "configfs_tsm")) ? "yes" : "no",
           json_is_true(json_object_get(tdx, "ccel")) ? "yes" : "no");
    listeners = json_object_get(info, "listeners");
    json_array_foreach(listeners, i, l)
        printf("%s %s\n", i ? "           " : "listeners  ", json_string_value(l));
    printf("uptime      %lld s\n", (long long)json_integer_value(json_object_get(info, "uptime_seconds")));
    if (json_is_object(manifest))
        printf("manifest    %s (%lld secrets, %lld required)\n",
               json_string_value(json_object_get(manifest, "path")),
               (long long)json_integer_value(json_object_get(manifest, "secrets")),
               (long long)json_integer_value(json_object_get(manifest, "required")));
    else
        printf("manifest    none\n");
    json_decref(info);
    return EXIT_OK;
}

static int do_quote(const struct cli *cli, tdx_agent *agent, const char *hex, const char *out)
{
    tdx_error err = TDX_ERROR_INIT;
    uint8_t data[64], *quote = NULL;
    size_t len;
    char *provider = NULL;
    int n = hex ? hex_decode(hex, data, sizeof(data)) : 0, r;

    if (n < 0)
        return cli_usage(cli, "--report-data: expected an even number of hex digits, "
                                  "at most 128 (64 bytes)");
    if (tdx_agent_quote(agent, data, (size_t)n, &quote, &len, &provider, &err) < 0)
        return cli_fail(cli, &err);
    r = write_file(out, quote, len);
    tdx_free(quote);
    if (r < 0) {
        tdx_free(provider);
        return cli_failf(cli, r, "%s: cannot write: %s", out, strerror(-r));
    }
    cli_printable(provider);
    if (strcmp(provider, "sim") == 0)
        cli_warn("this quote is SIMULATED (the agent runs the sim provider): it verifies only "
                 "against the test PKI's root and proves nothing about the machine");
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:I, s:s, s:b}", "quote", out, "size",
                                 (json_int_t)len, "provider", provider, "simulated",
                                 strcmp(provider, "sim") == 0));
    else
        fprintf(stderr, "tdxctl: wrote a %zu-byte quote to %s (provider %s)\n", len, out, provider);
    tdx_free(provider);
    return EXIT_OK;
}

static int do_eventlog(const struct cli *cli, tdx_agent *agent, const char *dir)
{
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *table = NULL, *log = NULL;
    size_t tlen, llen;
    char path[4200];
    int r;

    if (tdx_agent_eventlog(agent, &table, &tlen, &log, &llen, &err) < 0)
        return cli_fail(cli, &err);
    snprintf(path, sizeof(path), "%s/data", dir);
    r = mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
    if (r == 0 && mkdir(path, 0755) < 0 && errno != EEXIST)
        r = -errno;
    if (r == 0) {
        snprintf(path, sizeof(path), "%s/CCEL", dir);
        r = write_file(path, table, tlen);
    }
    if (r == 0) {
        snprintf(path, sizeof(path), "%s/data/CCEL", dir);
        r = write_file(path, log, llen);
    }
    tdx_free(table);
    tdx_free(log);
    if (r < 0)
        return cli_failf(cli, r, "%s: cannot write: %s", path, strerror(-r));
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:I, s:I}", "directory", dir, "table_size",
                                 (json_int_t)tlen, "log_size", (json_int_t)llen));
    else
        fprintf(stderr, "tdxctl: wrote %s/CCEL (%zu bytes) and %s/data/CCEL (%zu bytes)\n", dir,
                tlen, dir, llen);
    return EXIT_OK;
}

static bool empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool empty = d != NULL;

    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = false;
    if (d)
        closedir(d);
    return empty;
}

static int do_bootvars(const struct cli *cli, tdx_agent *agent, const char *dir)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_boot_variable *vars = NULL;
    json_t *list = NULL;
    char path[4200] = "";
    size_t n = 0;
    int r;

    if (tdx_agent_boot_variables(agent, &vars, &n, &err) < 0)
        return cli_fail(cli, &err);
    r = mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
    if (r < 0)
        snprintf(path, sizeof(path), "%s", dir);
    else if (!empty_dir(dir)) {
        /* A leftover Boot#### that this BootOrder lists would be measured. */
        tdx_boot_variables_free(vars, n);
        return cli_failf(cli, -EEXIST, "%s: not an empty directory: the boot variables go into "
                         "one of their own", dir);
    }
    if (cli->json)
        list = json_array();
    for (size_t i = 0; r == 0 && i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, vars[i].name);
        r = write_file(path, vars[i].data, vars[i].size);
        if (r == 0 && list)
            json_array_append_new(list, json_pack("{s:s, s:I}", "name", vars[i].name, "size",
                                                  (json_int_t)vars[i].size));
        else if (r == 0)
            printf("%-9s %zu bytes\n", vars[i].name, vars[i].size);
    }
    tdx_boot_variables_free(vars, n);
    if (r < 0) {
        json_decref(list);
        return cli_failf(cli, r, "%s: cannot write: %s", path, strerror(-r));
    }
    if (list)
        cli_print_ok(cli, json_pack("{s:s, s:o}", "directory", dir, "variables", list));
    else
        fprintf(stderr, "tdxctl: wrote %zu boot variable(s) to %s\n", n, dir);
    return EXIT_OK;
}

/* The TPM log as the guest's securityfs names it. */
static int do_tpm_eventlog(const struct cli *cli, tdx_agent *agent, const char *dir)
{
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *log = NULL;
    size_t llen;
    char path[4200];
    int r;

    if (tdx_agent_tpm_eventlog(agent, &log, &llen, &err) < 0)
        return cli_fail(cli, &err);
    snprintf(path, sizeof(path), "%s/binary_bios_measurements", dir);
    r = mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
    if (r == 0)
        r = write_file(path, log, llen);
    tdx_free(log);
    if (r < 0)
        return cli_failf(cli, r, "%s: cannot write: %s", path, strerror(-r));
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:s, s:I}", "directory", dir, "file", path,
                                    "log_size", (json_int_t)llen));
    else
        fprintf(stderr, "tdxctl: wrote %s (%zu bytes)\n", path, llen);
    return EXIT_OK;
}

int cmd_agent(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "connect", required_argument, NULL, 'c' },
        { "report-data", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' },
        { "connect-timeout", required_argument, NULL, 'T' },
        { "json", no_argument, NULL, 'J' },
        { "tpm", no_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_agent_options opts = TDX_AGENT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *agent = NULL;
    const char *addr = NULL, *hex = NULL, *out = NULL, *verb;
    bool tpm = false;
    int c, status;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":c:r:o:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (cli_parse_agent_address(&cli, optarg, &addr) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'r': hex = optarg; break;
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &out) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'T':
            if (cli_connect_timeout(&cli, optarg, &opts) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'J': cli.json = true; break;
        case 'P': tpm = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected one verb: info, quote, eventlog or bootvars");
    verb = argv[optind];
    if (strcmp(verb, "info") && strcmp(verb, "quote") && strcmp(verb, "eventlog") &&
        strcmp(verb, "bootvars"))
        return cli_usage(&cli, "unknown verb '%s'", verb);
    if (!addr)
        return cli_usage(&cli, "--connect ADDR is required");
    if (strcmp(verb, "info") && !out)
        return cli_usage(&cli, "%s: -o %s is required", verb,
                         strcmp(verb, "quote") ? "DIR" : "QUOTE");
    if (hex && strcmp(verb, "quote"))
        return cli_usage(&cli, "--report-data goes with 'quote'");
    if (tpm && strcmp(verb, "eventlog"))
        return cli_usage(&cli, "--tpm goes with 'eventlog'");

    if (tdx_agent_connect(&agent, addr, &opts, &err) < 0)
        return cli_fail(&cli, &err);
    if (!strcmp(verb, "info"))
        status = do_info(&cli, agent);
    else if (!strcmp(verb, "quote"))
        status = do_quote(&cli, agent, hex, out);
    else if (!strcmp(verb, "eventlog"))
        status = tpm ? do_tpm_eventlog(&cli, agent, out) : do_eventlog(&cli, agent, out);
    else
        status = do_bootvars(&cli, agent, out);
    tdx_agent_free(agent);
    return status;
}
