/* SPDX-License-Identifier: MIT */
/* tdxctl cloud deploy: print the cloud commands that deploy a built image. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl cloud deploy azure --dry-run --name NAME --image DISK.vhd --group RG --location REGION\n"
           "                          [--size SIZE] [--json]\n"
           "       tdxctl cloud deploy gcp --dry-run --name NAME --image IMAGE.tar.gz --bucket BUCKET\n"
           "                    --location ZONE [--group PROJECT] [--size MACHINE] [--json]\n\n"
           "Print the exact commands that upload the image and create a TDX VM from it\n"
           "(az and azcopy for Azure, gcloud for GCP), one per line, quoted for sh. tdxctl\n"
           "does not run them: they need your cloud credentials. For Azure the second\n"
           "command's output is the upload URL the third one reads as $SAS.\n\n"
           "Options:\n"
           "      --dry-run          print the commands (required: nothing else is done)\n"
           "      --name NAME        VM, disk and image name (letters, digits, '-')\n"
           "      --image FILE       tdxctl cloud vhd's .vhd, or cloud gcp's .tar.gz\n"
           "      --group NAME       Azure resource group; GCP project (optional)\n"
           "      --location NAME    Azure region; GCP zone\n"
           "      --bucket NAME      GCP: Cloud Storage bucket for the upload\n"
           "      --size NAME        VM size (default Standard_DC2es_v5, c3-standard-4)\n"
           "      --json             print {\"ok\": true, \"commands\": [[argv]...]}\n"
           "  -h, --help             show this help\n");
}

static void print_quoted(const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-_./=:,@+%") == strlen(w)) {
        fputs(w, stdout);
        return;
    }
    if (strcmp(w, "$SAS") == 0) {
        fputs("\"$SAS\"", stdout);
        return;
    }
    putchar('\'');
    for (const char *p = w; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*p);
    }
    putchar('\'');
}

int cmd_cloud_deploy(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_DRY = 256, O_NAME, O_IMAGE, O_GROUP, O_LOCATION, O_BUCKET, O_SIZE, O_JSON };
    static const struct option options[] = {
        { "dry-run", no_argument, NULL, O_DRY },
        { "name", required_argument, NULL, O_NAME },
        { "image", required_argument, NULL, O_IMAGE },
        { "group", required_argument, NULL, O_GROUP },
        { "location", required_argument, NULL, O_LOCATION },
        { "bucket", required_argument, NULL, O_BUCKET },
        { "size", required_argument, NULL, O_SIZE },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_cloud_deploy_options o = TDX_CLOUD_DEPLOY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_cloud cloud;
    bool dry = false;
    char *text = NULL;
    json_t *list;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case O_DRY: dry = true; break;
        case O_NAME: o.name = optarg; break;
        case O_IMAGE: o.image = optarg; break;
        case O_GROUP: o.group = optarg; break;
        case O_LOCATION: o.location = optarg; break;
        case O_BUCKET: o.bucket = optarg; break;
        case O_SIZE: o.size = optarg; break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected one cloud: azure or gcp");
    if (strcmp(argv[optind], "azure") == 0)
        cloud = TDX_CLOUD_AZURE;
    else if (strcmp(argv[optind], "gcp") == 0)
        cloud = TDX_CLOUD_GCP;
    else
        return cli_usage(&cli, "unknown cloud '%s' (azure, gcp)", argv[optind]);
    if (!dry)
        return cli_usage(&cli, "only --dry-run: the cloud calls are yours to run, with your "
                         "credentials");
    if (tdx_cloud_deploy_commands(cloud, &o, &text, &err) < 0)
        return cli_fail(&cli, &err);
    list = json_loads(text, 0, NULL);
    tdx_free(text);
    if (!list)
        return cli_failf(&cli, -ENOMEM, "out of memory");
    if (cli.json)
        return cli_print_ok(&cli, json_pack("{s:o}", "commands", list));
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *words = json_array_get(list, i);
        bool sas = cloud == TDX_CLOUD_AZURE && i == 1;
        if (sas)
            fputs("SAS=$(", stdout);
        for (size_t j = 0; j < json_array_size(words); j++) {
            if (j)
                putchar(' ');
            print_quoted(json_string_value(json_array_get(words, j)));
        }
        puts(sas ? ")" : "");
    }
    json_decref(list);
    r = EXIT_OK;
    return r;
}
