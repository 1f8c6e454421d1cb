/* SPDX-License-Identifier: MIT */
/*
 * Emit benchmark: a generated recipe with 1,000 files, 200 packages, 50
 * services and 3 profiles, loaded from JSON and emitted, as `tdxctl emit`
 * does. Each run happens in a fresh child process so that its wall time and
 * peak memory are its own. Prints one JSON object; asserts nothing.
 *
 * The tree goes to $TMPDIR (default /tmp) and, for comparison, to /dev/shm:
 * on a slow disk file creation dominates, on tmpfs what remains is ours.
 *
 * Usage: emit-bench [RUNS] [PROFILE]   (defaults: 25 runs, every profile)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "emit/tree.h"
#include "strbuf.h"
#include "tdxhost/tdxhost.h"

#define N_FILES 1000
#define N_PACKAGES 200
#define N_SERVICES 50

static const char *const profiles[] = { "default", "dev", "azure", "gcp" };

static void generate(strbuf *sb)
{
    strbuf_puts(sb, "{\"name\": \"bench\", \"debloat\": {}, \"install\": [");
    for (int i = 0; i < N_PACKAGES; i++)
        strbuf_printf(sb, "%s\"package-%03d\"", i ? ", " : "", i);
    strbuf_puts(sb, "], \"users\": [");
    for (int i = 0; i < 10; i++)
        strbuf_printf(sb, "%s{\"name\": \"svc%d\", \"home\": \"/var/lib/svc%d\"}", i ? ", " : "", i, i);
    strbuf_puts(sb, "], \"files\": [");
    for (int i = 0; i < N_FILES; i++)
        strbuf_printf(sb, "%s{\"dest\": \"/etc/app%02d/file-%04d.conf\", \"content\": "
                          "\"# file %d\\nkey = value %d\\nlist = [1, 2, 3]\\n\", \"owner\": \"svc%d\", "
                          "\"mode\": \"%s\"}",
                      i ? ", " : "", i % 100, i, i, i, i % 10, i % 3 ? "0644" : "0600");
    strbuf_puts(sb, "], \"secrets\": [");
    for (int i = 0; i < 20; i++)
        strbuf_printf(sb, "%s{\"name\": \"secret_%d\", \"dest\": \"/run/secrets/s%d\", \"owner\": \"svc%d\","
                          " \"schema\": {\"kind\": \"hex\", \"min_length\": 64, \"max_length\": 64}}",
                      i ? ", " : "", i, i, i % 10);
    strbuf_puts(sb, "], \"services\": [");
    for (int i = 0; i < N_SERVICES; i++)
        strbuf_printf(sb, "%s{\"name\": \"service-%02d\", \"exec\": \"/usr/bin/service-%02d --id %d\", "
                          "\"after\": [\"network-online.target\", \"secrets-ready.target\"], "
                          "\"requires\": [\"secrets-ready.target\"], \"user\": \"svc%d\", "
                          "\"restart\": \"always\", \"unit\": {\"Service\": {\"MemoryMax\": \"1G\"}}}",
                      i ? ", " : "", i, i, i, i % 10);
    strbuf_puts(sb, "], \"scripts\": {\"postinst\": [\"echo one\", \"echo two\"], \"finalize\": [\"echo f\"]},"
                    " \"profiles\": {");
    for (int p = 1; p < 4; p++) {
        strbuf_printf(sb, "%s\"%s\": {\"install\": [", p > 1 ? ", " : "", profiles[p]);
        for (int i = 0; i < 10; i++)
            strbuf_printf(sb, "%s\"%s-tool-%d\"", i ? ", " : "", profiles[p], i);
        strbuf_puts(sb, "], \"files\": [");
        for (int i = 0; i < 20; i++)
            strbuf_printf(sb, "%s{\"dest\": \"/etc/%s/extra-%d\", \"content\": \"%s %d\\n\"}", i ? ", " : "",
                          profiles[p], i, profiles[p], i);
        strbuf_puts(sb, "], \"debloat\": {\"paths_skip\": [\"/usr/share/doc\"]}, "
                        "\"scripts\": {\"postinst\": [\"echo profile\"]}}");
    }
    strbuf_puts(sb, "}}\n");
}

struct emit_job {
    const char *recipe, *profile, *out;
    bool emit;   /* false: the bare cost of a child, for the baseline */
};

static int emit_child(void *arg)
{
    const struct emit_job *j = arg;
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    if (!j->emit)
        return 0;
    o.profile = j->profile;
    o.force = 1;
    if (tdx_image_load_file(&image, j->recipe, &err) < 0 ||
        tdx_emit_mkosi(image, j->out, &o, &err) < 0) {
        fprintf(stderr, "emit-bench: %s\n", err.message);
        return 1;
    }
    tdx_image_free(image);
    return 0;
}

/* One run in a child: returns wall ms and the child's peak RSS (KiB). */
static int run_once(const char *recipe, const char *profile, const char *out, bool emit,
                    double *ms, long *rss_kib)
{
    struct emit_job j = { recipe, profile, out, emit };
    return run_in_child(emit_child, &j, ms, rss_kib);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 25;
    const char *only = argc > 2 ? argv[2] : NULL;
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    const char *targets[2] = { tmpdir, "/dev/shm" };
    char dir[256], recipe[300], out[300];
    strbuf sb = STRBUF_INIT;
    double baseline_ms;
    long baseline_rss;
    int fd;

    snprintf(dir, sizeof(dir), "%s/tdx-emit-bench-XXXXXX", tmpdir);
    if (runs < 1 || runs > 10000 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: emit-bench [RUNS] [PROFILE]\n");
        return 2;
    }
    generate(&sb);
    snprintf(recipe, sizeof(recipe), "%s/bench.json", dir);
    fd = open(recipe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, sb.data, sb.len) != (ssize_t)sb.len) {
        perror(recipe);
        return 1;
    }
    close(fd);

    /* A child that does nothing: the floor under every figure. */
    if (run_once(recipe, NULL, dir, false, &baseline_ms, &baseline_rss) < 0)
        return 1;

    printf("{\"benchmark\": \"emit\", \"recipe\": {\"bytes\": %zu, \"files\": %d, \"packages\": %d, "
           "\"services\": %d, \"profiles\": 3}, \"runs\": %d, \"baseline_child\": {\"ms\": %.3f, "
           "\"peak_rss_kib\": %ld}, \"targets\": {",
           sb.len, N_FILES, N_PACKAGES, N_SERVICES, runs, baseline_ms, baseline_rss);
    for (int t = 0; t < 2; t++) {
        struct stat st;
        if (t == 1 && (stat(targets[1], &st) < 0 || !S_ISDIR(st.st_mode)))
            break;
        snprintf(out, sizeof(out), "%s/tdx-emit-bench-tree-%ld", targets[t], (long)getpid());
        printf("%s\"%s\": {", t ? ", " : "", targets[t]);
        for (int p = 0, first = 1; p < 4; p++) {
            double *ms = calloc((size_t)runs, sizeof(double));
            long peak = 0;
            if (only && strcmp(only, profiles[p])) {
                free(ms);
                continue;
            }
            for (int i = 0; i < runs; i++) {
                long rss;
                if (run_once(recipe, profiles[p], out, true, &ms[i], &rss) < 0)
                    return 1;
                if (rss > peak)
                    peak = rss;
            }
            qsort(ms, (size_t)runs, sizeof(double), cmp_double);
            printf("%s\"%s\": {\"median_ms\": %.3f, \"min_ms\": %.3f, \"p90_ms\": %.3f, "
                   "\"max_ms\": %.3f, \"peak_rss_kib\": %ld}",
                   first ? "" : ", ", profiles[p], ms[runs / 2], ms[0], ms[(runs * 9) / 10],
                   ms[runs - 1], peak);
            first = 0;
            free(ms);
        }
        printf("}");
        rm_rf_at(AT_FDCWD, out);
    }
    printf("}}\n");
    strbuf_free(&sb);
    rm_rf_at(AT_FDCWD, dir);
    return 0;
}
