/* SPDX-License-Identifier: MIT */
/* tdxctl fetch: pinned downloads and git sources; tdxctl hash-tree. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl fetch URL --sha256 HEX [-o FILE] [OPTIONS]\n"
           "       tdxctl fetch --hash URL|FILE\n"
           "       tdxctl fetch --git URL (--tag TAG | --commit ID) --sha256 TREEHASH\n\n"
           "Download a resource pinned by its SHA-256 into the content-addressed cache\n"
           "and print the path of the file. --hash prints sha256:<hex> of a URL (which\n"
           "is then cached) or a local file. --git clones a tag or commit and checks\n"
           "its tree hash (see tdxctl hash-tree).\n\n"
           "Options:\n"
           "      --sha256 HEX       the expected hash (required; \"sha256:\" prefix allowed)\n"
           "  -o, --output FILE      also copy the file to FILE\n"
           "      --cache-dir DIR    cache directory (default $XDG_CACHE_HOME/tdxhost/fetch)\n"
           "      --offline          use the cache only\n"
           "      --verify           hash a cached file again before using it\n"
           "      --max-size BYTES   refuse larger resources (default 16 GiB)\n"
           "      --stall-timeout S  give up after S seconds without data (default 60)\n"
           "      --json             print one JSON object\n"
           "  -h, --help             show this help\n");
}

static void hash_tree_help(void)
{
    printf("Usage: tdxctl hash-tree DIR\n\n"
           "Print the tree hash of a directory as sha256:<hex>: regular files and\n"
           "symlinks except .git, sorted by path; path, content, executable bit and\n"
           "link targets count, times and owners do not (docs/lockfile.md).\n");
}

static int do_hash(const struct cli *cli, const char *what, const tdx_fetch_options *o)
{
    tdx_error err = TDX_ERROR_INIT;
    char *hex = NULL;
    uint64_t size = 0;

    if (tdx_fetch_hash(what, o, &hex, &size, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:s, s:I}", "source", what, "sha256", hex,
                                 "size", (json_int_t)size));
    else
        printf("sha256:%s\n", hex);
    tdx_free(hex);
    return EXIT_OK;
}

static int do_git(const struct cli *cli, const char *url, const char *sha, const char *tag,
                  const char *commit, const char *cache_dir, bool offline)
{
    tdx_git_options g = TDX_GIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *path = NULL, *resolved = NULL;
    int r;

    g.tag = tag;
    g.commit = commit;
    g.cache_dir = cache_dir;
    g.offline = offline ? 1 : TDX_UNSET;
    r = tdx_fetch_git(url, sha, &g, &path, &resolved, &err);
    if (r < 0)
        return cli_fail(cli, &err);
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:s, s:s, s:b}", "path", path, "commit",
                                 resolved, "tree_sha256", sha, "cached", r == 1));
    else
        printf("%s\n", path);
    tdx_free(path);
    tdx_free(resolved);
    return EXIT_OK;
}

int cmd_fetch(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "sha256", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' },
        { "hash", no_argument, NULL, 'H' },
        { "git", no_argument, NULL, 'G' },
        { "tag", required_argument, NULL, 'T' },
        { "commit", required_argument, NULL, 'C' },
        { "cache-dir", required_argument, NULL, 'c' },
        { "offline", no_argument, NULL, 'O' },
        { "verify", no_argument, NULL, 'V' },
        { "max-size", required_argument, NULL, 'm' },
        { "stall-timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    struct cli_progress bar;
    const char *sha = NULL, *tag = NULL, *commit = NULL;
    bool hash = false, gitmode = false;
    char *path = NULL;
    uint64_t n;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        switch (c) {
        case 's': sha = optarg; break;
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &o.output) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'H': hash = true; break;
        case 'G': gitmode = true; break;
        case 'T': tag = optarg; break;
        case 'C': commit = optarg; break;
        case 'c': o.cache_dir = optarg; break;
        case 'O': o.offline = 1; break;
        case 'V': o.verify_cached = 1; break;
        case 'm':
            if (cli_parse_size(&cli, "--max-size", optarg, 1, INT64_MAX, &n) != EXIT_OK)
                return EXIT_USAGE;
            o.max_size = (long long)n;
            break;
        case 't':
            if (cli_parse_int(&cli, "--stall-timeout", optarg, 1, 86400, &o.stall_timeout) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected exactly one URL%s", hash ? " or FILE" : "");
    if (hash && (sha || gitmode || o.output))
        return cli_usage(&cli, "--hash takes no --sha256, --git or --output");
    if (!gitmode && (tag || commit))
        return cli_usage(&cli, "--tag and --commit need --git");
    if (!hash && !sha)
        return cli_usage(&cli, "--sha256 HEX is required (learn it with "
                         "'tdxctl fetch --hash URL')");
    if (gitmode)
        return do_git(&cli, argv[optind], sha, tag, commit, o.cache_dir, o.offline == 1);

    cli_progress_attach(&cli, &bar, &o.progress, &o.progress_data);
    if (hash) {
        r = do_hash(&cli, argv[optind], &o);
        cli_progress_done(&bar);
        return r;
    }
    r = tdx_fetch(argv[optind], sha, &o, &path, &err);
    cli_progress_done(&bar);
    if (r < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        cli_print_ok(&cli, json_pack("{s:s, s:s, s:o, s:b}", "url", argv[optind],
                                 "path", path, "output", o.output ? json_string(o.output)
                                                                  : json_null(),
                                 "cached", r == 1));
    else
        printf("%s\n", o.output ? o.output : path);
    tdx_free(path);
    return EXIT_OK;
}

int cmd_hash_tree(const struct cli *cli_in, int argc, char **argv)
{
    struct cli cli = *cli_in;
    tdx_error err = TDX_ERROR_INIT;
    const char *dir = NULL;
    char *hex = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            hash_tree_help();
            return EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            cli.json = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage(&cli, "unknown option '%s'", argv[i]);
        } else if (dir) {
            return cli_usage(&cli, "expected exactly one DIR");
        } else {
            dir = argv[i];
        }
    }
    if (!dir)
        return cli_usage(&cli, "expected exactly one DIR");
    if (tdx_tree_hash(dir, &hex, &err) < 0)
        return cli_fail(&cli, &err);
    if (cli.json)
        cli_print_ok(&cli, json_pack("{s:s, s:s}", "dir", dir, "tree_sha256", hex));
    else
        printf("sha256:%s\n", hex);
    tdx_free(hex);
    return EXIT_OK;
}
