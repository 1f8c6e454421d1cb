/* SPDX-License-Identifier: MIT */
/* tdxctl eventlog: show, replay or diff a TCG2 / CCEL event log. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hex.h"

static void help(void)
{
    printf("Usage: tdxctl eventlog show LOG [--table CCEL_TABLE] [--kind cc|tpm]\n"
           "       tdxctl eventlog replay LOG [--table CCEL_TABLE] [--kind cc|tpm] [--format F] [-o FILE]\n"
           "       tdxctl eventlog diff LOG EXPECTED.json [--table CCEL_TABLE] [--kind cc|tpm]\n\n"
           "show    list the records: index, register, type, digest, what was measured\n"
           "replay  fold the digests into registers (EV_NO_ACTION records are skipped)\n"
           "diff    replay and compare with expected measurements (e.g. from 'tdxctl measure'),\n"
           "        naming the first divergent event of each register that differs;\n"
           "        exit status 1 when they differ\n\n"
           "LOG is a raw TCG2 crypto-agile log, or with --table the CCEL log area\n"
           "(/sys/firmware/acpi/tables/data/CCEL) and its table (/sys/firmware/acpi/tables/CCEL).\n\n"
           "Options:\n"
           "      --table FILE   the CCEL ACPI table; bounds the log by its LAML\n"
           "      --kind K       cc: indices are CC measurement registers (1..4 = RTMR0..3);\n"
           "                     tpm: indices are PCRs; default: cc for SHA-384-only logs\n"
           "      --format F     replay: print the measurements document as json, cbor\n"
           "                     (with -o), cvm-reverse-proxy or dstack\n"
           "  -o, --output FILE  replay: write the measurements there\n"
           "      --json         one JSON object (replay: the document under \"measurements\")\n"
           "  -h, --help         show this help\n");
}

static int show(const struct cli *cli, const tdx_eventlog *log)
{
    json_t *events = cli->json ? json_array() : NULL;

    for (size_t i = 0; i < tdx_eventlog_count(log); i++) {
        tdx_eventlog_event e;
        char d[2 * TDX_DIGEST_MAX + 1];
        size_t main = 0;

        tdx_eventlog_event_get(log, i, &e);
        for (size_t k = 0; k < e.n_digests; k++)
            if (e.algs[k] == TDX_HASH_SHA384 || (e.algs[k] == TDX_HASH_SHA256 && e.algs[main] != TDX_HASH_SHA384))
                main = k;
        if (cli->json) {
            json_t *digests = json_object();
            for (size_t k = 0; k < e.n_digests; k++) {
                const char *name = tdx_hash_alg_name(e.algs[k]);
                char key[16];
                if (!name) {
                    snprintf(key, sizeof(key), "0x%04x", e.algs[k]);
                    name = key;
                }
                if (tdx_hash_alg_size(e.algs[k]) == 0)
                    continue;
                hex_encode(e.digests[k], tdx_hash_alg_size(e.algs[k]), d);
                json_object_set_new(digests, name, json_string(d));
            }
            json_array_append_new(events, json_pack("{s:I, s:I, s:I, s:o, s:s, s:I, s:o, s:s}", "record", (json_int_t)i,
                                                    "offset", (json_int_t)e.offset, "index", (json_int_t)e.index,
                                                    "register", e.register_name ? json_string(e.register_name) : json_null(),
                                                    "type", e.type_name, "type_value", (json_int_t)e.type,
                                                    "digests", digests, "description", e.description));
            continue;
        }
        hex_encode(e.digests[main], tdx_hash_alg_size(e.algs[main]), d);
        printf("%4zu  %-6s  %-34s  %.16s…  %s\n", i, e.register_name ? e.register_name : "-", e.type_name,
               tdx_hash_alg_size(e.algs[main]) ? d : "?", e.description);
    }
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:o}", "kind",
                                 tdx_eventlog_get_kind(log) == TDX_EVENTLOG_CC ? "cc" : "tpm", "events", events));
    return EXIT_OK;
}

static int replay(const struct cli *cli, const tdx_measurements *m, int format, const char *output)
{
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    size_t size;
    int r;

    if (output) {
        if (tdx_measurements_write_file(m, format < 0 ? TDX_FORMAT_JSON : format, NULL, output, &err) < 0)
            return cli_fail(cli, &err);
        if (cli->json)
            cli_print_ok(cli, json_pack("{s:s}", "output", output));
        return EXIT_OK;
    }
    if (!cli->json && format < 0) {
        for (size_t i = 0; i < tdx_measurements_register_count(m); i++) {
            const char *name = tdx_measurements_register_name(m, i);
            const uint8_t *v;
            size_t n;
            char d[2 * TDX_DIGEST_MAX + 1];
            if (tdx_measurements_register(m, name, 0, &v, &n, NULL) == 0) {
                hex_encode(v, n, d);
                printf("%s %s\n", name, d);
            }
        }
        return EXIT_OK;
    }
    if (format < 0)
        format = TDX_FORMAT_JSON;
    if (tdx_measurements_serialize(m, format, NULL, &text, &size, &err) < 0)
        return cli_fail(cli, &err);
    r = cli_print_document(cli, "measurements", text, size);
    tdx_free(text);
    return r;
}

static int diff(const struct cli *cli, const tdx_measurements *actual, const char *expected_path)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_measurements *expected = NULL;
    char *report = NULL;
    json_t *body = NULL;
    int r;

    if (tdx_measurements_load_json(&expected, expected_path, &err) < 0)
        return cli_fail(cli, &err);
    r = tdx_measurements_compare(actual, expected, &report, &err);
    tdx_measurements_free(expected);
    if (r < 0)
        return cli_fail(cli, &err);
    if (cli->json) {
        json_t *lines = json_array();
        for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n"))
            json_array_append_new(lines, json_string(line));
        body = json_pack("{s:b, s:o}", "match", r == 0, "report", lines);
    } else {
        fputs(report, stdout);
    }
    tdx_free(report);
    if (r > 0) {
        /* EPERM: what the verifier returns for measurements that do not match. */
        tdx_error differs = { .code = -EPERM };
        snprintf(differs.message, sizeof(differs.message), "the event log differs from %.400s",
                 expected_path);
        return cli_fail_with(cli, &differs, body);
    }
    return cli_print_ok(cli, cli->json ? body : json_object());
}

int cmd_eventlog(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "table", required_argument, NULL, 't' },
        { "kind", required_argument, NULL, 'k' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const formats[] = { "json", "cbor", "cvm-reverse-proxy", "dstack", NULL };
    struct cli cli = *cli_in;
    tdx_eventlog_options lo = TDX_EVENTLOG_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_eventlog *log = NULL;
    tdx_measurements *m = NULL;
    const char *verb, *output = NULL, *format_name = NULL;
    int c, status, format = -1, want;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        switch (c) {
        case 't': lo.ccel_table = optarg; break;
        case 'k':
            if (!strcmp(optarg, "cc"))
                lo.kind = TDX_EVENTLOG_CC;
            else if (!strcmp(optarg, "tpm"))
                lo.kind = TDX_EVENTLOG_TPM;
            else
                return cli_usage(&cli, "--kind: expected cc or tpm, got '%s'", optarg);
            break;
        case 'f': format_name = optarg; break;
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &output) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(&cli, "expected a verb (show, replay, diff) and LOG");
    verb = argv[optind];
    want = !strcmp(verb, "diff") ? 3 : 2;
    if (strcmp(verb, "show") && strcmp(verb, "replay") && strcmp(verb, "diff"))
        return cli_usage(&cli, "unknown verb '%s'", verb);
    if (argc - optind != want)
        return cli_usage(&cli, "%s takes %s", verb, want == 3 ? "LOG and EXPECTED.json" : "one LOG");
    if ((format_name || output) && strcmp(verb, "replay"))
        return cli_usage(&cli, "--format and --output go with replay");
    if (format_name) {
        for (format = 0; formats[format] && strcmp(formats[format], format_name); format++)
            ;
        if (!formats[format])
            return cli_usage(&cli, "--format: unknown value '%s'", format_name);
    }
    if (format == TDX_FORMAT_CBOR && !output)
        return cli_usage(&cli, "CBOR needs -o FILE");

    if (tdx_eventlog_load_file(&log, argv[optind + 1], &lo, &err) < 0)
        return cli_fail(&cli, &err);
    if (!strcmp(verb, "show")) {
        status = show(&cli, log);
    } else if (tdx_eventlog_replay(log, &m, &err) < 0) {
        status = cli_fail(&cli, &err);
    } else if (!strcmp(verb, "replay")) {
        status = replay(&cli, m, format, output);
    } else {
        status = diff(&cli, m, argv[optind + 2]);
    }
    tdx_measurements_free(m);
    tdx_eventlog_free(log);
    return status;
}
