/* SPDX-License-Identifier: MIT */
/* tdxctl deb: resolve, fetch and extract Debian packages. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>

#include "cli.h"

#define COMPONENTS_MAX 8
#define PATHS_MAX 64

static void help(void)
{
    printf("Usage: tdxctl deb fetch NAME [OPTIONS] [-o DIR] [--extract DIR]\n"
           "       tdxctl deb show NAME [OPTIONS]\n"
           "       tdxctl deb extract FILE.deb -o DIR [--path GLOB]...\n\n"
           "Resolve a package through the release's signed index (InRelease checked with\n"
           "gpgv, Packages by its signed hash, the .deb by its Packages hash) and fetch it\n"
           "into the cache. 'show' resolves without downloading the .deb. A metapackage\n"
           "with a single exact dependency (linux-image-amd64) is followed to it.\n\n"
           "Options:\n"
           "  -r, --release NAME     suite or codename (default bookworm)\n"
           "  -a, --arch ARCH        architecture (default amd64)\n"
           "  -m, --mirror URL       archive root (default: from the host's apt sources)\n"
           "      --snapshot TS      use snapshot.debian.org at TS (YYYYMMDDTHHMMSSZ)\n"
           "  -c, --component NAME   component to search, repeatable (default main)\n"
           "      --keyring FILE     OpenPGP keyring for gpgv (default: Debian's)\n"
           "      --no-follow        do not follow a metapackage to its dependency\n"
           "      --cache-dir DIR    cache directory (default $XDG_CACHE_HOME/tdxhost/fetch)\n"
           "  -o, --output DIR       fetch: copy the .deb into DIR; extract: the directory to create\n"
           "      --extract DIR      fetch: also extract the package's files into DIR\n"
           "      --path GLOB        extract only matching members, repeatable\n"
           "      --json             print one JSON object\n"
           "  -h, --help             show this help\n");
}

static json_t *package_json(const tdx_deb_package *p, const char *path)
{
    static const struct { const char *key; tdx_deb_field f; } fields[] = {
        { "name", TDX_DEB_NAME }, { "requested", TDX_DEB_REQUESTED }, { "version", TDX_DEB_VERSION },
        { "architecture", TDX_DEB_ARCHITECTURE }, { "sha256", TDX_DEB_SHA256 },
        { "filename", TDX_DEB_FILENAME }, { "url", TDX_DEB_URL }, { "release", TDX_DEB_RELEASE },
        { "component", TDX_DEB_COMPONENT }, { "inrelease_url", TDX_DEB_INRELEASE_URL },
        { "inrelease_sha256", TDX_DEB_INRELEASE_SHA256 }, { "inrelease_date", TDX_DEB_INRELEASE_DATE },
    };
    json_t *o = json_pack("{s:I}", "size", (json_int_t)tdx_deb_package_size(p));
    for (size_t i = 0; o && i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = tdx_deb_package_get(p, fields[i].f);
        json_object_set_new(o, fields[i].key, v ? json_string(v) : json_null());
    }
    if (o && path)
        json_object_set_new(o, "path", json_string(path));
    return o;
}

static void print_package(const tdx_deb_package *p, const char *path)
{
    printf("package      %s\n", tdx_deb_package_get(p, TDX_DEB_NAME));
    if (strcmp(tdx_deb_package_get(p, TDX_DEB_NAME), tdx_deb_package_get(p, TDX_DEB_REQUESTED)))
        printf("requested    %s\n", tdx_deb_package_get(p, TDX_DEB_REQUESTED));
    printf("version      %s\n", tdx_deb_package_get(p, TDX_DEB_VERSION));
    printf("architecture %s\n", tdx_deb_package_get(p, TDX_DEB_ARCHITECTURE));
    printf("size         %llu\n", (unsigned long long)tdx_deb_package_size(p));
    printf("sha256       %s\n", tdx_deb_package_get(p, TDX_DEB_SHA256));
    printf("url          %s\n", tdx_deb_package_get(p, TDX_DEB_URL));
    printf("inrelease    %s (sha256 %s, %s)\n", tdx_deb_package_get(p, TDX_DEB_INRELEASE_URL),
           tdx_deb_package_get(p, TDX_DEB_INRELEASE_SHA256),
           tdx_deb_package_get(p, TDX_DEB_INRELEASE_DATE) ? tdx_deb_package_get(p, TDX_DEB_INRELEASE_DATE)
                                                          : "no date");
    if (path)
        printf("path         %s\n", path);
}

static int do_extract(const struct cli *cli, const char *deb, const char *dir,
                      const char *const *paths)
{
    tdx_deb_extract_options x = TDX_DEB_EXTRACT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;

    x.paths = paths;
    if (tdx_deb_extract(deb, dir, &x, &err) < 0)
        return cli_fail(cli, &err);
    return EXIT_OK;
}

int cmd_deb(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "release", required_argument, NULL, 'r' },
        { "arch", required_argument, NULL, 'a' },
        { "mirror", required_argument, NULL, 'm' },
        { "snapshot", required_argument, NULL, 'S' },
        { "component", required_argument, NULL, 'c' },
        { "keyring", required_argument, NULL, 'K' },
        { "no-follow", no_argument, NULL, 'N' },
        { "cache-dir", required_argument, NULL, 'C' },
        { "output", required_argument, NULL, 'o' },
        { "extract", required_argument, NULL, 'x' },
        { "path", required_argument, NULL, 'P' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_deb_package *pkg = NULL;
    const char *components[COMPONENTS_MAX + 1] = { NULL }, *paths[PATHS_MAX + 1] = { NULL };
    const char *out = NULL, *extract = NULL, *verb;
    size_t n_comp = 0, n_paths = 0;
    struct cli_progress bar;
    char *path = NULL, copy[PATH_MAX];
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":r:a:m:c:o:h", options, NULL)) != -1) {
        switch (c) {
        case 'r': o.release = optarg; break;
        case 'a': o.arch = optarg; break;
        case 'm': o.mirror = optarg; break;
        case 'S': o.snapshot = optarg; break;
        case 'c':
            if (n_comp == COMPONENTS_MAX)
                return cli_usage(&cli, "at most %d components", COMPONENTS_MAX);
            components[n_comp++] = optarg;
            break;
        case 'K': o.keyring = optarg; break;
        case 'N': o.follow = 0; break;
        case 'C': fo.cache_dir = optarg; break;
        case 'o':
            if (cli_parse_path(&cli, "--output", optarg, &out) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'x':
            if (cli_parse_path(&cli, "--extract", optarg, &extract) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'P':
            if (n_paths == PATHS_MAX)
                return cli_usage(&cli, "at most %d --path patterns", PATHS_MAX);
            paths[n_paths++] = optarg;
            break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 2 != argc)
        return cli_usage(&cli, "expected a verb (fetch, show, extract) and one argument");
    verb = argv[optind];
    if (strcmp(verb, "extract") == 0) {
        if (!out)
            return cli_usage(&cli, "extract: -o DIR is required");
        r = do_extract(&cli, argv[optind + 1], out, n_paths ? paths : NULL);
        if (r == EXIT_OK && cli.json)
            cli_print_ok(&cli, json_pack("{s:s}", "output", out));
        return r;
    }
    if (strcmp(verb, "fetch") != 0 && strcmp(verb, "show") != 0)
        return cli_usage(&cli, "unknown verb '%s'", verb);
    if (strcmp(verb, "show") == 0 && (out || extract))
        return cli_usage(&cli, "show: takes no -o or --extract");
    if (n_paths && !extract)
        return cli_usage(&cli, "fetch: --path needs --extract DIR");

    o.components = n_comp ? components : NULL;
    o.fetch = &fo;
    cli_progress_attach(&cli, &bar, &fo.progress, &fo.progress_data);
    r = tdx_deb_resolve(argv[optind + 1], &o, &pkg, &err);
    if (r >= 0 && strcmp(verb, "fetch") == 0) {
        if (out) {
            const char *file = strrchr(tdx_deb_package_get(pkg, TDX_DEB_FILENAME), '/');
            /* Like `emit -o`: the directory is made when missing (not its parents). */
            if (mkdir(out, 0755) < 0 && errno != EEXIST) {
                tdx_deb_package_free(pkg);
                cli_progress_done(&bar);
                return cli_failf(&cli, -errno, "cannot create %s: %s", out, strerror(errno));
            }
            snprintf(copy, sizeof(copy), "%s/%s", out, file ? file + 1 : "package.deb");
            fo.output = copy;
        }
        r = tdx_deb_download(pkg, &fo, &path, &err);
    }
    cli_progress_done(&bar);
    if (r < 0) {
        tdx_deb_package_free(pkg);
        return cli_fail(&cli, &err);
    }
    if (extract && (r = do_extract(&cli, path, extract, n_paths ? paths : NULL)) != EXIT_OK) {
        tdx_deb_package_free(pkg);
        tdx_free(path);
        return r;
    }
    if (cli.json)
        r = cli_print_ok(&cli, package_json(pkg, out ? copy : path));
    else
        print_package(pkg, out ? copy : path);
    tdx_deb_package_free(pkg);
    tdx_free(path);
    return cli.json ? r : EXIT_OK;
}
