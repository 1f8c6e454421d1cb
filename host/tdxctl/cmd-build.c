/* SPDX-License-Identifier: MIT */
/* tdxctl build: a recipe into a bootable, measured image directory. */
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

static void help(void)
{
    printf("Usage: tdxctl build RECIPE [-p PROFILE] [-o DIR] [--backend native|mkosi] [--frozen]\n"
           "                    [--mkosi PATH] [--allow-outside-src] [--json]\n\n"
           "Build one profile of a recipe into DIR (default build/<image-id>): vmlinuz,\n"
           "initrd.cpio.gz, OVMF.fd, cmdline, vm.json, measurements.json/.cbor, build.json\n"
           "(docs/build.md). The directory is replaced whole when the build succeeds and left\n"
           "untouched when it fails. Inputs are pinned in tdx.lock beside the recipe, which\n"
           "the build brings up to date unless --frozen. --backend mkosi emits the mkosi\n"
           "tree and runs mkosi 25 or newer on it (the UKI IMAGE-ID.efi instead of vmlinuz\n"
           "and initrd, mkosi.log; caches in $XDG_CACHE_HOME/tdxhost/mkosi).\n\n"
           "Options:\n"
           "  -p, --profile NAME     profile to build (default: the default profile)\n"
           "  -o, --output DIR       output directory\n"
           "      --backend NAME     native (default) or mkosi\n"
           "      --mkosi PATH       mkosi: this mkosi (default: mkosi in PATH if 25 or newer,\n"
           "                         else the one tdxctl mkosi install fetches)\n"
           "      --frozen           use only what tdx.lock pins; a stale lock fails\n"
           "      --offline          no network: everything from the cache\n"
           "      --lock FILE        lock file (default tdx.lock beside the recipe)\n"
           "      --agent FILE       the static tdx-agent (default: $TDX_AGENT, else the one\n"
           "                         built or installed next to tdxctl)\n"
           "      --cache-dir DIR    cache root (default $XDG_CACHE_HOME/tdxhost)\n"
           "  -m, --mirror URL       Debian mirror (default: the recipe's, else the host's apt)\n"
           "      --snapshot TS      snapshot.debian.org timestamp instead of a mirror\n"
           "      --keyring FILE     OpenPGP keyring for InRelease\n"
           "      --allow-outside-src let the recipe take host files from outside its\n"
           "                         directory (only for a recipe you trust)\n"
           "      --json             print the result (build.json) as one JSON object\n"
           "  -h, --help             show this help\n");
}

/* The agent next to this tdxctl: the build tree's guest/tdx-agent
 * (build/host/tdxctl/tdxctl -> build/guest/tdx-agent), else the installed
 * libexec one (bin/tdxctl -> libexec/tdx-agent). */
static int find_agent(char *buf, size_t size)
{
    static const char *const rel[] = { "../../guest/tdx-agent", "../libexec/tdx-agent" };
    char exe[PATH_MAX], *dir;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -ENOENT;
    exe[n] = '\0';
    dir = dirname(exe);
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        if (snprintf(buf, size, "%s/%s", dir, rel[i]) >= (int)size)
            continue;
        if (access(buf, X_OK) == 0)
            return 0;
    }
    return -ENOENT;
}

struct progress {
    struct cli_progress bar;
    tdx_progress_fn draw;
    void *draw_data;
    bool quiet;
};

/* Steps as plain lines; downloads as the bar on a terminal. */
static int on_progress(void *userdata, const char *what, uint64_t done, uint64_t total)
{
    struct progress *p = userdata;
    if (p->quiet)
        return 0;
    if (strncmp(what, "step: ", 6) == 0) {
        cli_progress_done(&p->bar);
        fprintf(stderr, "tdxctl build: %s\n", what + 6);
        return 0;
    }
    return p->draw ? p->draw(p->draw_data, what, done, total) : 0;
}

static void print_result(const tdx_build_result *res)
{
    const tdx_measurements *m = tdx_build_result_measurements(res);
    printf("image        %s\n", tdx_build_result_image_id(res));
    printf("output       %s\n", tdx_build_result_dir(res));
    for (size_t i = 0; i < tdx_build_result_artifact_count(res); i++) {
        const char *path, *sha;
        uint64_t size;
        tdx_build_result_artifact(res, i, &path, &size, &sha);
        printf("  %-20s %10llu  %s\n", path, (unsigned long long)size, sha);
    }
    for (size_t i = 0; i < tdx_measurements_register_count(m); i++) {
        const char *name = tdx_measurements_register_name(m, i), *reason = NULL;
        const uint8_t *v;
        size_t n;
        if (tdx_measurements_register(m, name, 0, &v, &n, &reason) < 0) {
            printf("%-12s unknown (%s)\n", name, reason ? reason : "no reason given");
            continue;
        }
        printf("%-12s ", name);
        for (size_t j = 0; j < n; j++)
            printf("%02x", v[j]);
        putchar('\n');
    }
    for (size_t i = 0; i < tdx_measurements_warning_count(m); i++)
        cli_warn("%s", tdx_measurements_warning(m, i));
}

int cmd_build(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_BACKEND = 256, O_FROZEN, O_OFFLINE, O_LOCK, O_AGENT, O_CACHE, O_SNAPSHOT, O_KEYRING,
           O_JSON, O_MKOSI, O_ALLOW_OUTSIDE };
    static const struct option options[] = {
        { "profile", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "backend", required_argument, NULL, O_BACKEND },
        { "frozen", no_argument, NULL, O_FROZEN },
        { "offline", no_argument, NULL, O_OFFLINE },
        { "lock", required_argument, NULL, O_LOCK },
        { "agent", required_argument, NULL, O_AGENT },
        { "cache-dir", required_argument, NULL, O_CACHE },
        { "mirror", required_argument, NULL, 'm' },
        { "snapshot", required_argument, NULL, O_SNAPSHOT },
        { "keyring", required_argument, NULL, O_KEYRING },
        { "json", no_argument, NULL, O_JSON },
        { "mkosi", required_argument, NULL, O_MKOSI },
        { "allow-outside-src", no_argument, NULL, O_ALLOW_OUTSIDE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_build_image_options o = TDX_BUILD_IMAGE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = NULL;
    tdx_build_result *res = NULL;
    struct progress prog = { 0 };
    char agent[PATH_MAX], recipe_dir[PATH_MAX], *copy;
    const char *env;
    int c, r, status;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":p:o:m:h", options, NULL)) != -1) {
        switch (c) {
        case 'p': o.profile = optarg; break;
        case 'o': o.output_dir = optarg; break;
        case O_BACKEND:
            if (strcmp(optarg, "native") == 0)
                o.backend = TDX_BUILD_BACKEND_NATIVE;
            else if (strcmp(optarg, "mkosi") == 0)
                o.backend = TDX_BUILD_BACKEND_MKOSI;
            else
                return cli_usage(&cli, "--backend: expected native or mkosi, got '%s'",
                                 optarg);
            break;
        case O_FROZEN: o.frozen = 1; break;
        case O_OFFLINE: o.offline = 1; break;
        case O_LOCK: o.lock_file = optarg; break;
        case O_AGENT: o.agent = optarg; break;
        case O_CACHE: o.cache_dir = optarg; break;
        case 'm': o.mirror = optarg; break;
        case O_SNAPSHOT: o.snapshot = optarg; break;
        case O_KEYRING: o.keyring = optarg; break;
        case O_JSON: cli.json = true; break;
        case O_MKOSI: o.mkosi = optarg; break;
        case O_ALLOW_OUTSIDE: o.allow_outside_src = 1; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage(&cli, "expected one recipe file");
    if (o.mkosi && o.backend != TDX_BUILD_BACKEND_MKOSI)
        return cli_usage(&cli, "--mkosi needs --backend mkosi");
    if (!o.agent && (env = getenv("TDX_AGENT")) && *env)
        o.agent = env;
    if (!o.agent) {
        if (find_agent(agent, sizeof(agent)) < 0)
            return cli_failf(&cli, -ENOENT, "build: no tdx-agent found next to tdxctl; give "
                             "--agent FILE or set TDX_AGENT");
        o.agent = agent;
    }
    copy = strdup(argv[optind]);
    if (!copy)
        return cli_failf(&cli, -ENOMEM, "out of memory");
    snprintf(recipe_dir, sizeof(recipe_dir), "%s", dirname(copy));
    free(copy);
    o.recipe_dir = recipe_dir;

    if (tdx_image_load_file(&image, argv[optind], &err) < 0)
        return cli_fail(&cli, &err);
    prog.quiet = cli.json;
    cli_progress_attach(&cli, &prog.bar, &prog.draw, &prog.draw_data);
    o.progress = on_progress;
    o.progress_data = &prog;
    r = tdx_build(image, &o, &res, &err);
    cli_progress_done(&prog.bar);
    if (r == -EOPNOTSUPP && !cli.json && o.backend != TDX_BUILD_BACKEND_MKOSI) {
        /* Every field the native backend cannot honour, one line each. */
        char *text = NULL;
        tdx_error e2 = TDX_ERROR_INIT;
        if (tdx_build_native_problems(image, o.profile, &text, &e2) > 0) {
            for (char *line = text, *nl; line && *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                    break;
                *nl = '\0';
                fprintf(stderr, "tdxctl: %s\n", line);
            }
            tdx_free(text);
            tdx_image_free(image);
            return EXIT_FAIL;
        }
    }
    tdx_image_free(image);
    if (r < 0)
        return cli_fail(&cli, &err);
    if (cli.json) {
        json_t *j = json_loads(tdx_build_result_json(res), 0, NULL);
        if (j)
            json_object_set_new(j, "output", json_string(tdx_build_result_dir(res)));
        status = cli_print_ok(&cli, j);
    } else {
        print_result(res);
        status = EXIT_OK;
    }
    tdx_build_result_free(res);
    return status;
}
