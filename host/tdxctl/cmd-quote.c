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
#include "verify-args.h"

static void help(void)
{
    printf("Usage: tdxctl quote show QUOTE [--json]\n"
           "       tdxctl quote verify QUOTE [OPTIONS]\n\n"
           "show    print the quote's fields (header, TD report body, QE report)\n"
           "verify  verify the quote: PCK chain to the Intel SGX Root CA, QE report,\n"
           "        quote signature; with collateral, CRLs, TCB info, QE identity and\n"
           "        the TCB status; then the expected measurements and report data\n\n"
           "Options for verify:\n"
           VERIFY_ARGS_HELP
           "      --report-data HEX       expected REPORTDATA (up to 64 bytes, zero-padded)\n"
           "      --json                  print the result as one JSON object\n"
           "  -h, --help                  show this help\n\n"
           "verify exits 0 only when every requested check passed, else 1.\n");
}

/* The failure envelope plus {"verified": false, "step"} for failures
 * before verification ran. */
static int early_failure(const struct cli *cli, tdx_verify_step step, const tdx_error *err)
{
    const char *name = tdx_verify_step_name(step);
    tdx_error shown = { .code = err->code };

    snprintf(shown.message, sizeof(shown.message), "%s%s%.440s", name, *name ? ": " : "",
             err->message);
    return cli_fail_with(cli, &shown, json_pack("{s:b, s:o}", "verified", 0, "step",
                                                *name ? json_string(name) : json_null()));
}

static void print_text(const char *json_text)
{
    json_t *o = json_loads(json_text, 0, NULL), *v;
    const char *key;
    size_t i;

    if (!o)
        return;
    /* Status names and advisory IDs come from the collateral. */
    cli_printable_json(o);
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

static int verify(const struct cli *cli, const char *file, const struct verify_args *a,
                  const char *report_data_hex)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *quote = NULL;
    struct verify_setup v = { 0 };
    tdx_verification *result = NULL;
    tdx_verify_step step;
    uint8_t report_data[64];
    char *text = NULL;
    int status = EXIT_FAIL, r, n = 0;

    if (report_data_hex &&
        ((n = hex_decode(report_data_hex, report_data, sizeof(report_data))) <= 0))
        return cli_usage(cli, "--report-data: expected 2 to 128 hex digits");
    if (tdx_quote_load_file(&quote, file, &err) < 0)
        return early_failure(cli, TDX_VERIFY_STEP_PARSE, &err);
    r = verify_setup(a, cli, &v, &step, &err);
    if (r < 0) {
        tdx_quote_free(quote);
        return r == -EINVAL && !err.message[0] ? EXIT_USAGE
               : r == -ENOMEM ? cli_fail(cli, &err) : early_failure(cli, step, &err);
    }
    if (report_data_hex) {
        v.opts.report_data = report_data;
        v.opts.report_data_size = (size_t)n;
    }
    r = tdx_verifier_verify(v.verifier, quote, &v.opts, &result, &err);
    if (!result) {
        status = r == -EINVAL ? cli_usage(cli, "%s", err.message) : cli_fail(cli, &err);
        goto out;
    }
    if (tdx_verification_to_json(result, &text, &err) < 0) {
        status = cli_fail(cli, &err);
        goto out;
    }
    if (!cli->json)
        print_text(text);
    status = r < 0 ? cli_fail_with(cli, &err, json_loads(text, 0, NULL))
                   : cli_print_ok(cli, json_loads(text, 0, NULL));
out:
    tdx_free(text);
    tdx_verification_free(result);
    verify_setup_done(&v);
    tdx_quote_free(quote);
    return status;
}

static int show(const struct cli *cli, const char *file)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *quote = NULL;
    char *text = NULL;
    int r;

    if (tdx_quote_load_file(&quote, file, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->json) {
        if (tdx_quote_to_json(quote, &text, &err) < 0) {
            tdx_quote_free(quote);
            return cli_fail(cli, &err);
        }
        tdx_quote_free(quote);
        r = cli_print_ok(cli, json_loads(text, 0, NULL));
        tdx_free(text);
        return r;
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
    enum { O_REPORT_DATA = 256, O_JSON };
    static const struct option options[] = {
        VERIFY_ARGS_OPTIONS,
        { "report-data", required_argument, NULL, O_REPORT_DATA },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    struct verify_args a = VERIFY_ARGS_INIT;
    const char *report_data = NULL;
    bool verify_only = false;
    const char *verb;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        r = verify_args_option(&a, c, optarg, &cli);
        if (r == EXIT_USAGE)
            return r;
        verify_only |= r == 1 || c == O_REPORT_DATA;
        if (r == 1)
            continue;
        switch (c) {
        case O_REPORT_DATA: report_data = optarg; break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 2 != argc)
        return cli_usage(&cli, "expected a verb (show, verify) and QUOTE");
    verb = argv[optind];
    if (!strcmp(verb, "show")) {
        if (verify_only)
            return cli_usage(&cli, "show takes no verification options");
        return show(&cli, argv[optind + 1]);
    }
    if (!strcmp(verb, "verify"))
        return verify(&cli, argv[optind + 1], &a, report_data);
    return cli_usage(&cli, "unknown verb '%s'", verb);
}
