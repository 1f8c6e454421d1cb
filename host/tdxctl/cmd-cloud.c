/* SPDX-License-Identifier: MIT */
/* tdxctl cloud: disk images in the formats clouds import. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl cloud vhd DISK.raw -o DISK.vhd [--source-date-epoch N] [--json]\n"
           "       tdxctl cloud gcp DISK.raw -o IMAGE.tar.gz [--source-date-epoch N] [--json]\n"
           "       tdxctl cloud deploy azure|gcp --dry-run ... (tdxctl cloud deploy --help)\n\n"
           "vhd: write a disk image as an Azure fixed VHD: the bytes, zeros up to a whole\n"
           "MiB, and the 512-byte VHD footer. The same disk and epoch give the same bytes\n"
           "(the footer's time is the epoch, its unique id comes from the disk's SHA-256).\n"
           "gcp: write it as GCP's import file: disk.raw in a GNU tar, gzip-compressed\n"
           "(mtime the epoch, owner 0, no gzip time stamp or name).\n\n"
           "Options:\n"
           "  -o, --output FILE          the file to write (replaced through a rename)\n"
           "      --source-date-epoch N  footer time stamp, seconds since 1970 (default:\n"
           "                             $SOURCE_DATE_EPOCH, else 0)\n"
           "      --json                 print one JSON object\n"
           "  -h, --help                 show this help\n");
}

int cmd_cloud(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_EPOCH = 256, O_JSON };
    static const struct option options[] = {
        { "output", required_argument, NULL, 'o' },
        { "source-date-epoch", required_argument, NULL, O_EPOCH },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_error err = TDX_ERROR_INIT;
    const char *out = NULL, *env = getenv("SOURCE_DATE_EPOCH");
    uint64_t epoch = 0;
    int c;

    if (argc >= 2 && strcmp(argv[1], "deploy") == 0)
        return cmd_cloud_deploy(&cli, argc - 1, argv + 1);
    if (env && *env && cli_parse_u64(&cli, "SOURCE_DATE_EPOCH", env, 0, INT64_MAX, &epoch) != EXIT_OK)
        return EXIT_USAGE;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &out) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case O_EPOCH:
            if (cli_parse_u64(&cli, "--source-date-epoch", optarg, 0, INT64_MAX, &epoch) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 2 != argc ||
        (strcmp(argv[optind], "vhd") != 0 && strcmp(argv[optind], "gcp") != 0))
        return cli_usage(&cli, "expected: vhd|gcp DISK.raw -o FILE");
    if (!out)
        return cli_usage(&cli, "%s: -o FILE is required", argv[optind]);
    if ((strcmp(argv[optind], "vhd") == 0
             ? tdx_vhd_write(argv[optind + 1], out, (long long)epoch, &err)
             : tdx_gcp_tar_write(argv[optind + 1], out, (long long)epoch, &err)) < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        return cli_print_ok(&cli, json_pack("{s:s}", "output", out));
    printf("%s\n", out);
    return EXIT_OK;
}
