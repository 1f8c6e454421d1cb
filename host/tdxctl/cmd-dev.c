/* SPDX-License-Identifier: MIT */
/* tdxctl dev: development helpers (the quote simulator's test PKI). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hex.h"

static void help(void)
{
    printf("Usage: tdxctl dev sim-pki DIR [--mrtd HEX] [--rtmr0 HEX] ... [--rtmr3 HEX]\n\n"
           "Create DIR with a TEST PKI (root, intermediate, \"PCK\" and attestation keys) and\n"
           "the measurements the agent's quote simulator reports:\n"
           "  tdx-agent --quote-provider sim:DIR ...\n"
           "Quotes signed with it verify only against DIR/root.pem and prove nothing.\n\n"
           "Options:\n"
           "      --mrtd HEX      MRTD (96 hex digits; default zeros)\n"
           "      --rtmr0 HEX ... --rtmr3 HEX   RTMR values (96 hex digits each; default zeros)\n"
           "      --json          machine-readable output\n"
           "  -h, --help          show this help\n");
}

int cmd_dev(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "mrtd", required_argument, NULL, 'm' },
        { "rtmr0", required_argument, NULL, '0' },
        { "rtmr1", required_argument, NULL, '1' },
        { "rtmr2", required_argument, NULL, '2' },
        { "rtmr3", required_argument, NULL, '3' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_sim_pki_options opts = TDX_SIM_PKI_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t values[5][48];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        int slot = c == 'm' ? 0 : c >= '0' && c <= '3' ? c - '0' + 1 : -1;
        if (slot >= 0) {
            if (strlen(optarg) != 96 || hex_decode(optarg, values[slot], 48) != 48)
                return cli_usage(&cli, "--%s: expected 96 hex digits (48 bytes)",
                                 options[slot].name);
            if (slot == 0)
                opts.mrtd = values[0];
            else
                opts.rtmr[slot - 1] = values[slot];
            continue;
        }
        switch (c) {
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "sim-pki"))
        return cli_usage(&cli, "expected 'sim-pki DIR'");
    if (tdx_sim_pki_create(argv[optind + 1], &opts, &err) < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        cli_print_ok(&cli, json_pack("{s:s, s:s}", "directory", argv[optind + 1],
                                 "root", "root.pem"));
    else
        fprintf(stderr, "tdxctl: wrote the TEST PKI to %s (trust anchor %s/root.pem; NOT for "
                        "production)\n", argv[optind + 1], argv[optind + 1]);
    return EXIT_OK;
}
