/* SPDX-License-Identifier: MIT */
/* tdxctl quote: show / verify. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hex.h"
#include "rfc3339.h"

static void help(void)
{
    printf("Usage: tdxctl quote show QUOTE [--json]\n"
           "       tdxctl quote verify QUOTE [OPTIONS]\n\n"
           "show    print the quote's fields (header, TD report body, QE report)\n"
           "verify  verify the quote: PCK chain to the Intel SGX Root CA, QE report,\n"
           "        quote signature; with collateral, CRLs, TCB info, QE identity and\n"
           "        the TCB status; then the expected measurements and report data\n\n"
           "Options for verify:\n"
           "      --root PEM              trust this root certificate instead of Intel's\n"
           "      --collateral DIR|FILE   Intel PCS responses in a directory, or one\n"
           "                              collateral JSON file (dcap-qvl's shape)\n"
           "      --pccs URL              fetch collateral from a PCS/PCCS base URL\n"
           "      --cache-dir DIR         keep fetched collateral here (default\n"
           "                              $XDG_CACHE_HOME/tdxctl/collateral)\n"
           "      --no-cache              keep fetched collateral in memory only\n"
           "      --now RFC3339           check validity at this time (default: now)\n"
           "      --expected FILE         expected MRTD/RTMRs: measurement JSON or a\n"
           "                              cvm-reverse-proxy measurements list\n"
           "      --report-data HEX       expected REPORTDATA (up to 64 bytes, zero-padded)\n"
           "      --allow-tcb S1,S2       accepted TCB statuses (default: UpToDate)\n"
           "      --min-tcb-evaluation N  lowest accepted tcbEvaluationDataNumber\n"
           "      --allow-debug           accept a TD with the DEBUG attribute\n"
           "      --json                  print the result as one JSON object\n"
           "  -h, --help                  show this help\n\n"
           "verify exits 0 only when every requested check passed, else 1.\n");
}

struct verify_args {
    const char *root, *collateral, *pccs, *cache_dir, *now, *expected, *report_data, *allow_tcb;
    long long min_eval;
    bool no_cache, allow_debug;
};

/* {"verified": false, "step", "message"} for failures before verification ran. */
static int early_failure(const struct cli *cli, tdx_verify_step step, const tdx_error *err)
{
    fprintf(stderr, "tdxctl: %s: %s\n", tdx_verify_step_name(step), err->message);
    if (cli->json)
        cli_print_json(json_pack("{s:b, s:s, s:s}", "verified", 0, "step", tdx_verify_step_name(step),
                                 "message", err->message));
    return EXIT_FAIL;
}

static void print_text(const char *json_text)
{
    json_t *o = json_loads(json_text, 0, NULL), *v;
    const char *key;
    size_t i;

    if (!o)
        return;
    printf("verified: %s\n", json_is_true(json_object_get(o, "verified")) ? "yes" : "no");
    if (json_is_string(json_object_get(o, "tcb_status")))
        printf("tcb_status: %s (platform %s, tdx module %s, qe %s)\n",
               json_string_value(json_object_get(o, "tcb_status")),
               json_string_value(json_object_get(o, "platform_tcb_status")),
               json_is_string(json_object_get(o, "tdx_module_tcb_status"))
                   ? json_string_value(json_object_get(o, "tdx_module_tcb_status")) : "-",
               json_string_value(json_object_get(o, "qe_tcb_status")));
    if (json_array_size(json_object_get(o, "advisory_ids")) > 0) {
        printf("advisory_ids:");
        json_array_foreach(json_object_get(o, "advisory_ids"), i, v)
            printf(" %s", json_string_value(v));
        printf("\n");
    }
    if (json_is_string(json_object_get(o, "fmspc")))
        printf("fmspc: %s (%s CA)\n", json_string_value(json_object_get(o, "fmspc")),
               json_is_string(json_object_get(o, "ca")) ? json_string_value(json_object_get(o, "ca")) : "unknown");
    if (json_is_string(json_object_get(o, "measurement_id")))
        printf("measurement_id: %s\n", json_string_value(json_object_get(o, "measurement_id")));
    if (json_is_string(json_object_get(o, "collateral")))
        printf("collateral: %s\n", json_string_value(json_object_get(o, "collateral")));
    printf("now: %s\n", json_string_value(json_object_get(o, "now")));
    for (int s = TDX_VERIFY_STEP_PARSE; (key = tdx_verify_step_name((tdx_verify_step)s)); s++)
        printf("  %-20s %s\n", key, json_string_value(json_object_get(json_object_get(o, "checks"), key)));
    if (json_integer_value(json_object_get(json_object_get(o, "quote"), "trailing_bytes")) > 0)
        printf("trailing_bytes: %lld (after the signed data, not verified)\n",
               (long long)json_integer_value(json_object_get(json_object_get(o, "quote"), "trailing_bytes")));
    json_decref(o);
}

static char **split_commas(const char *s)
{
    size_t n = 2;
    char **v, *copy = strdup(s), *save = NULL, *tok;

    for (const char *p = s; *p; p++)
        n += *p == ',';
    v = calloc(n, sizeof(char *));
    if (!v || !copy) {
        free(v);
        free(copy);
        return NULL;
    }
    n = 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        v[n++] = tok;
    if (n == 0)
        free(copy);
    return v;
}

static void free_split(char **v)
{
    if (v)
        free(v[0]);
    free(v);
}

static int verify(const struct cli *cli, const char *file, const struct verify_args *a)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *quote = NULL;
    tdx_verifier *verifier = NULL;
    tdx_expected *expected = NULL;
    tdx_verification *result = NULL;
    uint8_t report_data[64];
    char cache[PATH_MAX], **allow = NULL, *text = NULL;
    int64_t now;
    int status = EXIT_FAIL, r, n = 0;

    if (a->now && rfc3339_parse(a->now, &now) < 0)
        return cli_usage("quote", "quote: --now: \"%s\" is not an RFC 3339 time (e.g. 2025-07-01T00:00:00Z)", a->now);
    if (a->report_data && ((n = hex_decode(a->report_data, report_data, sizeof(report_data))) <= 0))
        return cli_usage("quote", "quote: --report-data: expected 2 to 128 hex digits");
    if (a->collateral && a->pccs)
        return cli_usage("quote", "quote: --collateral and --pccs are exclusive");
    if (a->allow_tcb && !(allow = split_commas(a->allow_tcb)))
        return cli_failf(cli, -ENOMEM, "out of memory");

    if (tdx_quote_load_file(&quote, file, &err) < 0) {
        status = early_failure(cli, TDX_VERIFY_STEP_PARSE, &err);
        goto out;
    }
    /* The root first on its own, so a bad root and bad collateral fail at
     * their own steps. */
    vo.root_file = a->root;
    if (tdx_verifier_new(&verifier, &vo, &err) < 0) {
        status = early_failure(cli, TDX_VERIFY_STEP_PCK_CHAIN, &err);
        goto out;
    }
    if (a->collateral || a->pccs) {
        tdx_verifier_free(verifier);
        verifier = NULL;
        vo.collateral = a->collateral;
        vo.pccs_url = a->pccs;
        if (a->pccs && !a->no_cache) {
            const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
            if (a->cache_dir)
                snprintf(cache, sizeof(cache), "%s", a->cache_dir);
            else if (xdg && *xdg)
                snprintf(cache, sizeof(cache), "%s/tdxctl/collateral", xdg);
            else
                snprintf(cache, sizeof(cache), "%s/.cache/tdxctl/collateral", home && *home ? home : "/tmp");
            vo.cache_dir = cache;
        }
        if (tdx_verifier_new(&verifier, &vo, &err) < 0) {
            status = early_failure(cli, TDX_VERIFY_STEP_COLLATERAL, &err);
            goto out;
        }
    }
    if (a->expected && tdx_expected_load_file(&expected, a->expected, &err) < 0) {
        status = early_failure(cli, TDX_VERIFY_STEP_MEASUREMENTS, &err);
        goto out;
    }
    o.now = a->now ? now : TDX_UNSET;
    o.expected = expected;
    if (a->report_data) {
        o.report_data = report_data;
        o.report_data_size = (size_t)n;
    }
    o.accept_tcb = (const char *const *)allow;
    o.min_tcb_evaluation = a->min_eval;
    o.allow_debug = a->allow_debug;
    r = tdx_verifier_verify(verifier, quote, &o, &result, &err);
    if (!result) {
        status = r == -EINVAL ? cli_usage("quote", "quote: %s", err.message) : cli_fail(cli, &err);
        goto out;
    }
    if (tdx_verification_to_json(result, &text, &err) < 0) {
        status = cli_fail(cli, &err);
        goto out;
    }
    if (r < 0)
        fprintf(stderr, "tdxctl: %s\n", err.message);
    if (cli->json)
        puts(text);
    else
        print_text(text);
    status = r < 0 ? EXIT_FAIL : EXIT_OK;
out:
    tdx_free(text);
    tdx_verification_free(result);
    tdx_expected_free(expected);
    tdx_verifier_free(verifier);
    tdx_quote_free(quote);
    free_split(allow);
    return status;
}

static int show(const struct cli *cli, const char *file)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *quote = NULL;
    char *text = NULL;

    if (tdx_quote_load_file(&quote, file, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->json) {
        if (tdx_quote_to_json(quote, &text, &err) < 0) {
            tdx_quote_free(quote);
            return cli_fail(cli, &err);
        }
        puts(text);
        tdx_free(text);
    } else {
        printf("version: %u\nbody_type: %u (TDX %s)\nsigned_size: %zu\n", tdx_quote_version(quote),
               tdx_quote_body_type(quote), tdx_quote_body_type(quote) == 3 ? "1.5" : "1.0",
               tdx_quote_signed_size(quote));
        for (int f = 0; f < TDX_QUOTE_FIELD_COUNT; f++) {
            const uint8_t *p;
            size_t size;
            if (f == TDX_QUOTE_PCK_CHAIN || f == TDX_QUOTE_QE_REPORT ||
                tdx_quote_get_field(quote, (tdx_quote_field)f, &p, &size) < 0)
                continue;
            printf("%s: ", tdx_quote_field_name((tdx_quote_field)f));
            for (size_t i = 0; i < size; i++)
                printf("%02x", p[i]);
            printf("\n");
        }
        printf("trailing_bytes: %zu\n", tdx_quote_trailing_bytes(quote));
    }
    tdx_quote_free(quote);
    return EXIT_OK;
}

int cmd_quote(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_ROOT = 256, O_COLLATERAL, O_PCCS, O_CACHE, O_NO_CACHE, O_NOW, O_EXPECTED, O_REPORT_DATA,
           O_ALLOW_TCB, O_MIN_EVAL, O_ALLOW_DEBUG, O_JSON };
    static const struct option options[] = {
        { "root", required_argument, NULL, O_ROOT },
        { "collateral", required_argument, NULL, O_COLLATERAL },
        { "pccs", required_argument, NULL, O_PCCS },
        { "cache-dir", required_argument, NULL, O_CACHE },
        { "no-cache", no_argument, NULL, O_NO_CACHE },
        { "now", required_argument, NULL, O_NOW },
        { "expected", required_argument, NULL, O_EXPECTED },
        { "report-data", required_argument, NULL, O_REPORT_DATA },
        { "allow-tcb", required_argument, NULL, O_ALLOW_TCB },
        { "min-tcb-evaluation", required_argument, NULL, O_MIN_EVAL },
        { "allow-debug", no_argument, NULL, O_ALLOW_DEBUG },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    struct verify_args a = { .min_eval = TDX_UNSET };
    bool verify_only = false;
    const char *verb;
    char *end;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        verify_only |= c >= O_ROOT && c < O_JSON;
        switch (c) {
        case O_ROOT: a.root = optarg; break;
        case O_COLLATERAL: a.collateral = optarg; break;
        case O_PCCS: a.pccs = optarg; break;
        case O_CACHE: a.cache_dir = optarg; break;
        case O_NO_CACHE: a.no_cache = true; break;
        case O_NOW: a.now = optarg; break;
        case O_EXPECTED: a.expected = optarg; break;
        case O_REPORT_DATA: a.report_data = optarg; break;
        case O_ALLOW_TCB: a.allow_tcb = optarg; break;
        case O_MIN_EVAL:
            a.min_eval = strtoll(optarg, &end, 10);
            if (!*optarg || *end || a.min_eval < 0 || a.min_eval > INT32_MAX)
                return cli_usage("quote", "quote: --min-tcb-evaluation: expected a number 0..%d", INT32_MAX);
            break;
        case O_ALLOW_DEBUG: a.allow_debug = true; break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_usage("quote", "quote: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 2 != argc)
        return cli_usage("quote", "quote: expected a verb (show, verify) and QUOTE");
    verb = argv[optind];
    if (!strcmp(verb, "show")) {
        if (verify_only)
            return cli_usage("quote", "quote: show takes no verification options");
        return show(&cli, argv[optind + 1]);
    }
    if (!strcmp(verb, "verify"))
        return verify(&cli, argv[optind + 1], &a);
    return cli_usage("quote", "quote: unknown verb '%s'", verb);
}
