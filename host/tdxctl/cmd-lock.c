/* SPDX-License-Identifier: MIT */
/* tdxctl lock: write, update and check tdx.lock. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    char dir[PATH_MAX], path[PATH_MAX + 16];
    bool check_only = false, frozen = false, updating = false, exists;
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

    /* Source paths are recorded relative to the recipe's directory. */
    if (!realpath(recipe, path))
        snprintf(path, sizeof(path), "%s", recipe);
    snprintf(dir, sizeof(dir), "%s", dirname(path));
    lo.recipe_dir = dir;
    if (!lockfile) {
        snprintf(path, sizeof(path), "%s/tdx.lock", dir);
        lockfile = path;
    }

    r = tdx_image_load_file(&image, recipe, &err);
    if (r < 0)
        return cli_fail(&cli, &err);
    exists = access(lockfile, F_OK) == 0;
    if (!exists && (check_only || frozen)) {
        tdx_image_free(image);
        return cli_failf(&cli, -ENOENT, "%s: no lock file; run 'tdxctl lock %s' first", lockfile,
                         recipe);
    }
    r = exists ? tdx_lock_load(&lock, lockfile, &err) : tdx_lock_new(&lock, &err);
    if (r < 0) {
        tdx_image_free(image);
        return cli_fail(&cli, &err);
    }
    if (check_only || frozen) {
        r = check(&cli, lock, image, &lo, lockfile, frozen, &fo);
        tdx_lock_free(lock);
        tdx_image_free(image);
        return r;
    }

    cli_progress_attach(&cli, &bar, &fo.progress, &fo.progress_data);
    r = tdx_lock_resolve(lock, image, &lo, &err);
    cli_progress_done(&bar);
    if (r >= 0 && lo.dry_run != 1 && (r > 0 || !exists))
        r = tdx_lock_save(lock, lockfile, &err) < 0 ? err.code : r;
    if (r < 0) {
        tdx_lock_free(lock);
        tdx_image_free(image);
        return cli_fail(&cli, &err);
    }
    if (cli.json) {
        cli_print_ok(&cli, json_pack("{s:s, s:o, s:b}", "lockfile", lockfile, "changes",
                                 changes_json(lock), "written",
                                 lo.dry_run != 1 && (r > 0 || !exists)));
    } else {
        for (const char *const *ch = tdx_lock_changes(lock); *ch; ch++)
            printf("%s\n", *ch);
        fprintf(stderr, "tdxctl: %s: %d change%s%s\n", lockfile, r, r == 1 ? "" : "s",
                lo.dry_run == 1 ? " (dry run: nothing written)" : r || !exists ? ", written" : "");
    }
    tdx_lock_free(lock);
    tdx_image_free(image);
    return EXIT_OK;
}
