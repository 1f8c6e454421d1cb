/* SPDX-License-Identifier: MIT */
/* tdxctl emit: recipe -> mkosi tree. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl emit RECIPE.json -o DIR [OPTIONS]\n\n"
           "Compile a recipe into an mkosi tree (mkosi %d or newer).\n\n"
           "Options:\n"
           "  -o, --output DIR        directory to create (required)\n"
           "  -p, --profile NAME      emit this profile (default: the default profile)\n"
           "  -f, --force             replace DIR if it holds a tree emitted earlier\n"
           "      --agent-binary PATH the tdx-agent binary to put into the image\n"
           "      --no-agent-binary   leave the agent binary out (the build then stops\n"
           "                          with a message until it is added)\n"
           "      --allow-outside-src let the recipe copy host files from outside its\n"
           "                          own directory (only for recipes you trust)\n"
           "      --json              print {\"ok\": true, ...} on success\n"
           "  -h, --help              show this help\n\n"
           "Without --agent-binary, tdxctl uses the tdx-agent built or installed\n"
           "next to it when there is one.\n", TDX_MKOSI_MINIMUM_VERSION);
}

#ifndef TDX_LIBEXECDIR
#define TDX_LIBEXECDIR "/usr/local/libexec"
#endif

/* The agent from the same build tree or installation as this tdxctl. */
static const char *find_agent_binary(char *buf, size_t size)
{
    char self[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *rel[] = { "tdx-agent", "../../guest/tdx-agent" };

    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            for (size_t i = 0; i < 2; i++) {
                int w = snprintf(buf, size, "%s/%s", self, rel[i]);
                if (w > 0 && (size_t)w < size && access(buf, X_OK) == 0)
                    return buf;
            }
        }
    }
    snprintf(buf, size, "%s/tdx-agent", TDX_LIBEXECDIR);
    return access(buf, X_OK) == 0 ? buf : NULL;
}

int cmd_emit(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "output", required_argument, NULL, 'o' },
        { "profile", required_argument, NULL, 'p' },
        { "force", no_argument, NULL, 'f' },
        { "agent-binary", required_argument, NULL, 'A' },
        { "no-agent-binary", no_argument, NULL, 'N' },
        { "allow-outside-src", no_argument, NULL, 'S' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_emit_options opts = TDX_EMIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = NULL;
    const char *out = NULL;
    bool no_agent = false;
    char found[PATH_MAX];
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:p:fh", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &out) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'p': opts.profile = optarg; break;
        case 'f': opts.force = 1; break;
        case 'A': opts.agent_binary = optarg; break;
        case 'N': no_agent = true; break;
        case 'S': opts.allow_outside_src = 1; break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected exactly one RECIPE.json");
    if (!out)
        return cli_usage(&cli, "-o DIR is required");
    if (no_agent && opts.agent_binary)
        return cli_usage(&cli, "--agent-binary and --no-agent-binary exclude each other");

    if (!no_agent && !opts.agent_binary) {
        opts.agent_binary = find_agent_binary(found, sizeof(found));
        if (!opts.agent_binary)
            cli_warn("no tdx-agent binary found next to tdxctl; the tree is complete except "
                     "for it (pass --agent-binary PATH)");
    }

    r = tdx_image_load_file(&image, argv[optind], &err);
    if (r >= 0)
        r = tdx_emit_mkosi(image, out, &opts, &err);
    if (r < 0) {
        tdx_image_free(image);
        return cli_fail(&cli, &err);
    }
    if (cli.json)
        cli_print_ok(&cli, json_pack("{s:s, s:s, s:s, s:o}", "tree", out, "image",
                                 tdx_image_name(image), "profile",
                                 opts.profile ? opts.profile : tdx_image_profile_name(image, 0),
                                 "agent_binary", opts.agent_binary ? json_string(opts.agent_binary)
                                                                   : json_null()));
    else
        fprintf(stderr, "tdxctl: wrote %s (image \"%s\", profile \"%s\")\n", out,
                tdx_image_name(image), opts.profile ? opts.profile : tdx_image_profile_name(image, 0));
    tdx_image_free(image);
    return EXIT_OK;
}
