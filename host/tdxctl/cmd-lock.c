/* SPDX-License-Identifier: MIT */
/* tdxctl lock: write, update and check tdx.lock. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define UPDATE_MAX 64

static void help(void)
{
    printf("Usage: tdxctl lock RECIPE.json [--update [NAME]...] [--dry-run] [OPTIONS]\n"
           "       tdxctl lock RECIPE.json --check | --frozen\n\n"
           "Pin every input of a recipe in tdx.lock (next to the recipe): downloads by\n"
           "SHA-256, Debian packages through the signed archive index, source directories\n"
           "by tree hash, and the recipe digest. Entries already locked are kept unless\n"
           "--update names them (no NAME: all). Changes are printed one per line.\n\n"
           "Options:\n"
           "      --update [NAME]    resolve NAME (package, URL or module path) again; all without NAME\n"
           "  -n, --dry-run          print the changes, write nothing, download nothing\n"
           "      --check            fail (exit 1) when the lock is missing or stale, naming\n"
           "                         every change; resolves and downloads nothing\n"
           "      --frozen           --check, then fetch every locked input by its hash (what a\n"
           "                         frozen build does first); never resolves anything\n"
           "  -l, --lockfile FILE    the lock file (default: tdx.lock beside the recipe)\n"
           "  -m, --mirror URL       Debian mirror for every profile\n"
           "      --snapshot TS      Debian snapshot (YYYYMMDDTHHMMSSZ) instead of a mirror\n"
           "      --keyring FILE     keyring for InRelease (default: Debian's)\n"
           "  -a, --arch ARCH        Debian architecture (default amd64)\n"
           "      --cache-dir DIR    download cache (default $XDG_CACHE_HOME/tdxhost/fetch)\n"
           "      --json             print one JSON object\n"
           "  -h, --help             show this help\n");
}

static json_t *changes_json(const tdx_lock *lock)
{
    json_t *a = json_array();
    for (const char *const *c = tdx_lock_changes(lock); *c; c++)
        json_array_append_new(a, json_string(*c));
    return a;
}

static int check(const struct cli *cli, tdx_lock *lock, const tdx_image *image,
                 const tdx_lock_options *lo, const char *lockfile, bool frozen,
                 tdx_fetch_options *fo)
{
    tdx_error err = TDX_ERROR_INIT;
    struct cli_progress bar;
    int n = 0;

    if (tdx_lock_check(lock, image, lo, &err) < 0) {
        const char *const *c = tdx_lock_changes(lock);
        if (!cli->json && c[0] && c[1])
            for (; *c; c++)
                fprintf(stderr, "tdxctl:   %s\n", *c);
        return cli_failf(cli, err.code, "%.200s: %s", lockfile, err.message);
    }
    if (frozen) {
        cli_progress_attach(cli, &bar, &fo->progress, &fo->progress_data);
        n = tdx_lock_fetch_all(lock, fo, &err);
        cli_progress_done(&bar);
        if (n < 0)
            return cli_fail(cli, &err);
    }
    if (cli->json)
        cli_print_ok(cli, json_pack("{s:s, s:b, s:i}", "lockfile", lockfile, "fresh", 1,
                                 "fetched", n));
    else if (frozen)
        fprintf(stderr, "tdxctl: %s is up to date; %d locked inputs are in the cache\n", lockfile, n);
    else
        fprintf(stderr, "tdxctl: %s is up to date\n", lockfile);
    return EXIT_OK;
}

int cmd_lock(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "update", optional_argument, NULL, 'u' },
        { "dry-run", no_argument, NULL, 'n' },
        { "check", no_argument, NULL, 'C' },
        { "frozen", no_argument, NULL, 'F' },
        { "lockfile", required_argument, NULL, 'l' },
        { "mirror", required_argument, NULL, 'm' },
        { "snapshot", required_argument, NULL, 'S' },
        { "keyring", required_argument, NULL, 'K' },
        { "arch", required_argument, NULL, 'a' },
        { "cache-dir", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_lock_options lo = TDX_LOCK_OPTIONS_INIT;
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    const char *update[UPDATE_MAX + 1] = { NULL }, *lockfile = NULL, *recipe;
    char *path = NULL;
    bool check_only = false, frozen = false, updating = false;
    int written = 0;
    size_t n_update = 0;
    tdx_image *image = NULL;
    tdx_lock *lock = NULL;
    struct cli_progress bar;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":nl:m:a:h", options, NULL)) != -1) {
        switch (c) {
        case 'u':
            updating = true;
            if (optarg && n_update < UPDATE_MAX)
                update[n_update++] = optarg;
            break;
        case 'n': lo.dry_run = 1; break;
        case 'C': check_only = true; break;
        case 'F': frozen = true; break;
        case 'l':
            if (cli_parse_path(&cli, "--lockfile", optarg, &lockfile) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'm': lo.mirror = optarg; break;
        case 'S': lo.snapshot = optarg; break;
        case 'K': lo.keyring = optarg; break;
        case 'a': lo.arch = optarg; break;
        case 'c': fo.cache_dir = optarg; break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(&cli, "expected a RECIPE.json");
    recipe = argv[optind++];
    /* "--update NAME": names after the recipe belong to --update. */
    for (; optind < argc; optind++) {
        if (!updating)
            return cli_usage(&cli, "expected exactly one RECIPE.json");
        if (n_update == UPDATE_MAX)
            return cli_usage(&cli, "at most %d names to update", UPDATE_MAX);
        update[n_update++] = argv[optind];
    }
    if ((check_only || frozen) && (updating || lo.dry_run == 1))
        return cli_usage(&cli, "--check and --frozen take no --update or --dry-run");
    if (updating && n_update == 0)
        lo.update_all = 1;
    lo.update = n_update ? update : NULL;
    lo.fetch = &fo;
    lo.recipe_file = recipe;
    lo.lockfile = lockfile;
    if (tdx_lock_file_path(&lo, &path, &err) < 0)
        return cli_fail(&cli, &err);

    r = tdx_image_load_file(&image, recipe, &err);
    if (r < 0) {
        tdx_free(path);
        return cli_fail(&cli, &err);
    }
    if (check_only || frozen) {
        r = tdx_lock_open(&lock, &lo, &err);
        if (r == -ENOENT)
            r = cli_failf(&cli, r, "%s: no lock file; run 'tdxctl lock %s' first", path, recipe);
        else if (r < 0)
            r = cli_fail(&cli, &err);
        else
            r = check(&cli, lock, image, &lo, path, frozen, &fo);
        tdx_lock_free(lock);
        tdx_image_free(image);
        tdx_free(path);
        return r;
    }

    cli_progress_attach(&cli, &bar, &fo.progress, &fo.progress_data);
    r = tdx_lock_update(&lock, image, &lo, &written, &err);
    cli_progress_done(&bar);
    if (r < 0) {
        tdx_image_free(image);
        tdx_free(path);
        return cli_fail(&cli, &err);
    }
    if (cli.json) {
        r = cli_print_ok(&cli, json_pack("{s:s, s:o, s:b}", "lockfile", path, "changes",
                                         changes_json(lock), "written", written));
    } else {
        for (const char *const *ch = tdx_lock_changes(lock); *ch; ch++)
            printf("%s\n", *ch);
        fprintf(stderr, "tdxctl: %s: %d change%s%s\n", path, r, r == 1 ? "" : "s",
                lo.dry_run == 1 ? " (dry run: nothing written)" : written ? ", written" : "");
        r = EXIT_OK;
    }
    tdx_free(path);
    tdx_lock_free(lock);
    tdx_image_free(image);
    return r;
}
