/* SPDX-License-Identifier: MIT */
/* tdxctl pe-hash: Authenticode digest of a PE image. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hex.h"

static void help(void)
{
    printf("Usage: tdxctl pe-hash FILE [--alg sha256|sha384]\n\n"
           "Print the Authenticode digest of a PE/EFI image (kernel, UKI, boot loader) in\n"
           "lowercase hex: what UEFI firmware measures and what a signature signs.\n\n"
           "Options:\n"
           "      --alg ALG   sha256 (default) or sha384\n"
           "      --json      print {\"ok\": true, \"file\", \"alg\", \"digest\"}\n"
           "  -h, --help      show this help\n");
}

int cmd_pe_hash(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "alg", required_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_error err = TDX_ERROR_INIT;
    tdx_hash_alg alg = TDX_HASH_SHA256;
    uint8_t digest[TDX_DIGEST_MAX];
    char hex[2 * TDX_DIGEST_MAX + 1];
    int c, n;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (tdx_hash_alg_from_name(optarg, &alg, &err) < 0 || (alg != TDX_HASH_SHA256 && alg != TDX_HASH_SHA384))
                return cli_usage(&cli, "--alg: expected sha256 or sha384, got '%s'", optarg);
            break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected exactly one FILE");
    n = tdx_pe_authenticode(argv[optind], alg, digest, sizeof(digest), &err);
    if (n < 0)
        return cli_fail(&cli, &err);
    hex_encode(digest, (size_t)n, hex);
    if (cli.json)
        cli_print_ok(&cli, json_pack("{s:s, s:s, s:s}", "file", argv[optind], "alg",
                                 tdx_hash_alg_name(alg), "digest", hex));
    else
        printf("%s\n", hex);
    return EXIT_OK;
}
