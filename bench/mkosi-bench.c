/* SPDX-License-Identifier: MIT */
/*
 * tdxctl build --backend mkosi's figures (issue 14): examples/minimal.json,
 * profile dev (a UKI) or dev-disk (a GPT disk and its cloud images), built
 * RUNS times in a row (default 2) through tdx_build(),
 * each build in its own process. Prints the first build's wall time (cold
 * when the mkosi caches are empty: tools tree and packages), the median of
 * the others (warm), the artifacts' sizes, and whether every build gave
 * byte-identical artifacts — for each one that differs, how many bytes do.
 * Run: build/bench/mkosi-bench SOURCE_ROOT build/guest/tdx-agent [RUNS [PROFILE]]
 * Needs what the mkosi backend needs (docs/build.md): network or warm
 * caches, root or user namespaces, ~5 GB below $XDG_CACHE_HOME.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-util.h"
#include "tdxhost/tdxhost.h"

/* What a build writes that need not be the same every time: its timings. */
static bool timed_file(const char *name)
{
    return !strcmp(name, "build.json") || !strcmp(name, "mkosi.log");
}

#define MAX_ARTIFACTS 32

struct job {
    const char *src, *agent, *profile;
    char out[PATH_MAX], lock[PATH_MAX];
};

static int build_child(void *arg)
{
    const struct job *j = arg;
    tdx_build_image_options o = TDX_BUILD_IMAGE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *img = NULL;
    char recipe[PATH_MAX], dir[PATH_MAX];
    int r;

    snprintf(recipe, sizeof(recipe), "%s/examples/minimal.json", j->src);
    snprintf(dir, sizeof(dir), "%s/examples", j->src);
    if (tdx_image_load_file(&img, recipe, &err) < 0) {
        fprintf(stderr, "mkosi-bench: %s\n", err.message);
        return 1;
    }
    o.profile = j->profile;
    o.backend = TDX_BUILD_BACKEND_MKOSI;
    o.output_dir = j->out;
    o.agent = j->agent;
    o.recipe_dir = dir;
    o.lock_file = j->lock;   /* a copy: the bench never writes into the source tree */
    r = tdx_build(img, &o, NULL, &err);
    tdx_image_free(img);
    if (r < 0)
        fprintf(stderr, "mkosi-bench: %s\n", err.message);
    return r < 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Bytes that differ between two files (a length difference counts as
 * differing bytes); -1 when one cannot be read. */
static long bytes_differing(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    static unsigned char ba[1 << 16], bb[1 << 16];
    long n = 0;
    size_t na, nb;

    if (!fa || !fb) {
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
        return -1;
    }
    do {
        na = fread(ba, 1, sizeof(ba), fa);
        nb = fread(bb, 1, sizeof(bb), fb);
        for (size_t i = 0; i < (na > nb ? na : nb); i++)
            if (i >= na || i >= nb || ba[i] != bb[i])
                n++;
    } while (na > 0 || nb > 0);
    fclose(fa);
    fclose(fb);
    return n;
}

/* The first build's files, sorted, without the timed ones. */
static size_t list_artifacts(const char *dir, char names[][NAME_MAX + 1])
{
    struct dirent *e;
    DIR *d = opendir(dir);
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < MAX_ARTIFACTS)
        if (e->d_name[0] != '.' && !timed_file(e->d_name))
            snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
    closedir(d);
    qsort(names, n, NAME_MAX + 1, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Removes the bench's directory; returns status, or 1 when that fails. */
static int remove_dir(const char *dir, int status)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? status : 1;
}

int main(int argc, char **argv)
{
    char tmpl[] = "/var/tmp/mkosi-bench-XXXXXX", path[3 * PATH_MAX], other[3 * PATH_MAX];
    char cmd[2 * PATH_MAX + 32];
    int runs = argc > 3 ? atoi(argv[3]) : 2;
    static char artifacts[MAX_ARTIFACTS][NAME_MAX + 1];
    size_t n_artifacts;
    double ms[16];
    long rss = 0;
    const char *dir;
    struct job j;
    bool identical = true;

    if (argc < 3 || argc > 5 || runs < 2 || runs > 16) {
        fprintf(stderr, "usage: mkosi-bench SOURCE_ROOT AGENT [RUNS 2-16 [PROFILE]]\n");
        return 2;
    }
    if (!(dir = mkdtemp(tmpl)))
        return 1;
    j.src = argv[1];
    j.agent = argv[2];
    j.profile = argc > 4 ? argv[4] : "dev";
    snprintf(j.lock, sizeof(j.lock), "%s/tdx.lock", dir);
    if ((size_t)snprintf(cmd, sizeof(cmd), "cp '%s/examples/tdx.lock' '%s'", argv[1], j.lock) >=
            sizeof(cmd) || system(cmd) != 0) {
        fprintf(stderr, "mkosi-bench: cannot copy %s/examples/tdx.lock\n", argv[1]);
        return remove_dir(dir, 1);
    }
    for (int i = 0; i < runs; i++) {
        snprintf(j.out, sizeof(j.out), "%s/%d", dir, i);
        if (run_in_child(build_child, &j, &ms[i], &rss) < 0) {
            fprintf(stderr, "mkosi-bench: build %d failed (no network and cold caches?)\n", i + 1);
            return remove_dir(dir, i == 0 ? 77 : 1);
        }
    }
    snprintf(path, sizeof(path), "%s/0", dir);
    n_artifacts = list_artifacts(path, artifacts);
    printf("{\"benchmark\":\"mkosi\",\"profile\":\"%s\",\"runs\":%d,\"first_build_ms\":%.0f,"
           "\"later_builds_ms\":{\"median\":%.0f,\"min\":%.0f,\"max\":%.0f},\"bytes\":{",
           j.profile, runs, ms[0], percentile(ms + 1, (size_t)runs - 1, 50), percentile(ms + 1, (size_t)runs - 1, 0),
           percentile(ms + 1, (size_t)runs - 1, 100));
    for (size_t a = 0; a < n_artifacts; a++) {
        snprintf(path, sizeof(path), "%s/0/%s", dir, artifacts[a]);
        printf("%s\"%s\":%ld", a ? "," : "", artifacts[a], file_size(path));
    }
    printf("},\"differing\":{");
    for (size_t a = 0, shown = 0; a < n_artifacts; a++) {
        long worst = 0;
        snprintf(path, sizeof(path), "%s/0/%s", dir, artifacts[a]);
        for (int i = 1; i < runs; i++) {
            long d;
            snprintf(other, sizeof(other), "%s/%d/%s", dir, i, artifacts[a]);
            d = bytes_differing(path, other);
            if (d != 0 && (d < 0 || d > worst))
                worst = d;
        }
        if (worst != 0) {
            identical = false;
            printf("%s\"%s\":%ld", shown++ ? "," : "", artifacts[a], worst);
        }
    }
    printf("},\"identical\":%s}\n", identical ? "true" : "false");
    return remove_dir(dir, 0);
}
