/* SPDX-License-Identifier: MIT */
/* tdxctl mkosi: install a pinned mkosi 25 without pip, or check one. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl mkosi install [OPTIONS]\n"
           "       tdxctl mkosi check [--mkosi PATH]\n\n"
           "install: fetch Debian trixie's mkosi package (mkosi 25) through the signed index\n"
           "(or by the SHA-256 tdx.lock pins), unpack it into the cache and write a launcher\n"
           "that runs it with this host's python3 (3.9 or newer). Prints the launcher's path;\n"
           "tdxctl build --backend mkosi uses it. Nothing is installed system-wide.\n"
           "check: run MKOSI --version and check it is mkosi 25 or newer.\n\n"
           "Options:\n"
           "  -r, --release NAME  Debian suite mkosi comes from (default trixie)\n"
           "  -m, --mirror URL    archive root (default http://deb.debian.org/debian)\n"
           "      --keyring FILE  OpenPGP keyring for the release's InRelease\n"
           "      --lock FILE     use the mkosi .deb this tdx.lock pins, if it pins one\n"
           "      --cache-dir DIR cache root (default $XDG_CACHE_HOME/tdxhost)\n"
           "      --mkosi PATH    check: the mkosi to check (default: mkosi in PATH)\n"
           "      --json          print one JSON object\n"
           "  -h, --help          show this help\n");
}

int cmd_mkosi(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "release", required_argument, NULL, 'r' },
        { "mirror", required_argument, NULL, 'm' },
        { "keyring", required_argument, NULL, 'K' },
        { "lock", required_argument, NULL, 'L' },
        { "cache-dir", required_argument, NULL, 'C' },
        { "mkosi", required_argument, NULL, 'M' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_mkosi_options o = TDX_MKOSI_OPTIONS_INIT;
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    const char *mkosi_arg = NULL, *verb;
    struct cli_progress bar;
    char *mkosi = NULL, *version = NULL;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":r:m:h", options, NULL)) != -1) {
        switch (c) {
        case 'r': o.release = optarg; break;
        case 'm': o.mirror = optarg; break;
        case 'K': o.keyring = optarg; break;
        case 'L': o.lock_file = optarg; break;
        case 'C': o.cache_dir = optarg; break;
        case 'M': mkosi_arg = optarg; break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected one verb: install or check");
    verb = argv[optind];
    if (strcmp(verb, "check") == 0) {
        r = tdx_mkosi_check(mkosi_arg ? mkosi_arg : "mkosi", &version, &err);
        if (r < 0)
            return cli_fail(&cli, &err);
        if (cli.json)
            r = cli_print_ok(&cli, json_pack("{s:s, s:s}", "mkosi", mkosi_arg ? mkosi_arg : "mkosi",
                                             "version", version));
        else {
            printf("mkosi %s\n", version);
            r = EXIT_OK;
        }
        tdx_free(version);
        return r;
    }
    if (strcmp(verb, "install") != 0)
        return cli_usage(&cli, "unknown verb '%s' (install, check)", verb);
    if (mkosi_arg)
        return cli_usage(&cli, "install: takes no --mkosi");
    o.fetch = &fo;
    cli_progress_attach(&cli, &bar, &fo.progress, &fo.progress_data);
    r = tdx_mkosi_install(&o, &mkosi, &version, &err);
    cli_progress_done(&bar);
    if (r < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        r = cli_print_ok(&cli, json_pack("{s:s, s:s}", "mkosi", mkosi, "version", version));
    else {
        printf("%s (mkosi %s)\n", mkosi, version);
        r = EXIT_OK;
    }
    tdx_free(mkosi);
    tdx_free(version);
    return r;
}
