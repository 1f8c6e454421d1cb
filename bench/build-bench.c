/* SPDX-License-Identifier: MIT */
/*
 * tdxctl build's figures (issue 12): the warm-cache native build of
 * examples/hello.json (profile dev) — median wall time and peak RSS, each
 * build in its own process —, the initramfs writer against
 * `find | cpio -o -H newc | gzip -n` on the same tree in the same run, and
 * the download volume of a cold build (the sizes the lock pins; with
 * BENCH_COLD=1 also a real cold build into an empty cache).
 * Run: build/bench/build-bench SOURCE_ROOT AGENT [RUNS]
 * Needs the Debian packages in the cache (one build beforehand, or network).
 */
#include <jansson.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-util.h"
#include "build/build-internal.h"
#include "tdxhost/tdxhost.h"

struct job {
    const char *dir, *agent, *out, *cache;
};

static int build_child(void *arg)
{
    const struct job *j = arg;
    tdx_build_image_options o = TDX_BUILD_IMAGE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *img = NULL;
    char recipe[PATH_MAX];
    int r;

    snprintf(recipe, sizeof(recipe), "%s/hello.json", j->dir);
    if (tdx_image_load_file(&img, recipe, &err) < 0) {
        fprintf(stderr, "build-bench: %s\n", err.message);
        return 1;
    }
    o.profile = "dev";
    o.output_dir = j->out;
    o.agent = j->agent;
    o.recipe_dir = j->dir;
    o.cache_dir = j->cache;
    r = tdx_build(img, &o, NULL, &err);
    tdx_image_free(img);
    if (r < 0)
        fprintf(stderr, "build-bench: %s\n", err.message);
    return r < 0;
}

/* Runs a shell command line built from fmt; -1 when it fails or is too long. */
static int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shf(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Sum of the .deb sizes the lock pins: what a cold build downloads. */
static long long lock_download_bytes(const char *lock)
{
    json_error_t e;
    json_t *root = json_load_file(lock, 0, &e), *debs, *d;
    long long sum = 0;
    size_t i;
    if (!root)
        return -1;
    debs = json_object_get(root, "debian");
    json_array_foreach(debs, i, d)
        sum += json_integer_value(json_object_get(d, "size"));
    json_decref(root);
    return sum;
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/build-bench-XXXXXX", out[PATH_MAX], tree[PATH_MAX];
    char ours[PATH_MAX], theirs[PATH_MAX], lock[PATH_MAX];
    int runs = argc > 3 ? atoi(argv[3]) : 7;
    double *ms, t0, cpio_ms[5], writer_ms[5];
    long rss = 0, peak = 0;
    const char *dir;
    struct job j;
    tdx_error err = TDX_ERROR_INIT;

    if (argc < 3 || runs < 1 || runs > 100) {
        fprintf(stderr, "usage: build-bench SOURCE_ROOT AGENT [RUNS]\n");
        return 2;
    }
    if (!(dir = mkdtemp(tmpl)))
        return 1;
    if (shf("mkdir -p %s/hello && cp %s/examples/hello.json %s/examples/tdx.lock %s/ "
             "&& cp %s/examples/hello/hello.sh %s/hello/", dir, argv[1], argv[1], dir, argv[1], dir) < 0)
        return 1;
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(lock, sizeof(lock), "%s/tdx.lock", dir);
    j = (struct job){ dir, argv[2], out, NULL };

    /* One build to warm the caches (and to fail early without them). */
    if (run_in_child(build_child, &j, &t0, &rss) < 0) {
        fprintf(stderr, "build-bench: the warm-up build failed (no network and a cold cache?)\n");
        shf("rm -rf %s", dir);
        return 77;
    }
    ms = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++) {
        if (run_in_child(build_child, &j, &ms[i], &rss) < 0)
            return 1;
        if (rss > peak)
            peak = rss;
    }

    /* The same tree both ways: the image unpacked, then packed again. */
    snprintf(tree, sizeof(tree), "%s/tree", dir);
    snprintf(ours, sizeof(ours), "%s/ours.cpio.gz", dir);
    snprintf(theirs, sizeof(theirs), "%s/theirs.cpio.gz", dir);
    if (shf("mkdir %s && cd %s && zcat %s/initrd.cpio.gz | cpio -id --quiet 2>/dev/null",
             tree, tree, out) < 0)
        return 1;
    for (int i = 0; i < 5; i++) {
        struct img img = IMG_INIT;
        t0 = now_ms();
        if (shf("cd %s && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -n >%s",
                 tree, theirs) < 0)
            return 1;
        cpio_ms[i] = now_ms() - t0;
        t0 = now_ms();
        if (img_add_tree(&img, "", tree, NULL, &err) < 0 ||
            initramfs_write(&img, ours, "gzip", 0, &err) < 0) {
            fprintf(stderr, "build-bench: %s\n", err.message);
            return 1;
        }
        writer_ms[i] = now_ms() - t0;
        img_free(&img);
    }
    {
        double med = percentile(ms, (size_t)runs, 50), w = percentile(writer_ms, 5, 50);
        double c = percentile(cpio_ms, 5, 50);
        long long cold_bytes = lock_download_bytes(lock);
        double cold_ms = -1;
        long cold_rss = 0;
        if (getenv("BENCH_COLD") && strcmp(getenv("BENCH_COLD"), "1") == 0) {
            char cache[PATH_MAX];
            snprintf(cache, sizeof(cache), "%s/cold-cache", dir);
            j.cache = cache;
            if (run_in_child(build_child, &j, &cold_ms, &cold_rss) < 0)
                cold_ms = -1;
        }
        printf("{\"benchmark\":\"build\",\"runs\":%d,\"warm_build_ms\":{\"median\":%.1f,\"min\":%.1f,"
               "\"max\":%.1f},\"warm_build_peak_rss_kib\":%ld,"
               "\"initramfs\":{\"writer_ms\":%.1f,\"find_cpio_gzip_ms\":%.1f,\"time_ratio\":%.3f,"
               "\"writer_bytes\":%ld,\"find_cpio_gzip_bytes\":%ld,\"size_ratio\":%.4f},"
               "\"cold_download_bytes\":%lld,\"cold_build_ms\":%.1f}\n",
               runs, med, ms[0], ms[runs - 1], peak, w, c, w / c, file_size(ours),
               file_size(theirs), (double)file_size(ours) / (double)file_size(theirs), cold_bytes,
               cold_ms);
    }
    free(ms);
    shf("rm -rf %s", dir);
    return 0;
}
