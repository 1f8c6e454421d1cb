/* SPDX-License-Identifier: MIT */
/*
 * Measurement benchmark: `tdxctl measure` of a real kernel and a generated
 * initrd (default 256 MiB), against `sha384sum` over the same three files
 * (firmware, kernel, initrd) in the same run, alternating so that both see
 * the same page cache. Each run is a child process, so its wall time and
 * peak RSS are its own. A last run with a 1 GiB initrd shows that memory
 * does not grow with the initrd. Prints one JSON object; asserts nothing.
 *
 * Usage: measure-bench [RUNS] [INITRD_MIB]
 * The kernel and firmware come from $TDX_BENCH_KERNEL / $TDX_BENCH_FIRMWARE,
 * else from the Debian packages the measure-debian test downloaded into the
 * build directory, else /boot/vmlinuz-* and /usr/share/ovmf/OVMF.fd.
 * Set TDX_BENCH_SKIP_1G=1 to skip the 1 GiB run (it writes 1 GiB to $TMPDIR).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "tdxhost/tdxhost.h"

#define MAX_RUNS 101

static bool exists(const char *p)
{
    return p && access(p, R_OK) == 0;
}

/* The newest vmlinuz-* in dir, into buf. */
static const char *find_kernel(const char *dir, char *buf, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    const char *found = NULL;

    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "vmlinuz-", 8) == 0 &&
            (!found || strcmp(e->d_name, buf + strlen(dir) + 1) > 0)) {
            snprintf(buf, size, "%s/%s", dir, e->d_name);
            found = buf;
        }
    }
    closedir(d);
    return found;
}

/* A file of mib MiB of non-repeating bytes, written in 1 MiB chunks. */
static int make_initrd(const char *path, unsigned mib)
{
    static uint64_t chunk[1 << 17];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0)
        return -errno;
    for (unsigned m = 0; m < mib; m++) {
        for (size_t i = 0; i < sizeof(chunk) / sizeof(chunk[0]); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk[i] = x;
        }
        if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
            close(fd);
            return -EIO;
        }
    }
    return close(fd) < 0 ? -errno : 0;
}

struct run {
    double ms;
    long rss_kib;
};

struct measure_job {
    bool measure;   /* false: sha384sum over the same files */
    const char *fw, *kernel, *initrd;
};

static int measure_child(void *arg)
{
    const struct measure_job *j = arg;
    if (j->measure) {
        tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
        tdx_measurements *m = NULL;
        tdx_error err = TDX_ERROR_INIT;
        o.initrd = j->initrd;
        o.kernel_measures_rtmr2 = 1;
        if (tdx_measure_direct_boot(&m, j->fw, j->kernel, &o, &err) < 0) {
            fprintf(stderr, "measure-bench: %s\n", err.message);
            return 1;
        }
        tdx_measurements_free(m);
        return 0;
    }
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execlp("sha384sum", "sha384sum", j->fw, j->kernel, j->initrd, (char *)NULL);
    return 127;
}

/* measure: the library in a child; sha384sum: exec'd in a child. */
static int run_once(bool measure, const char *fw, const char *kernel, const char *initrd, struct run *out)
{
    struct measure_job j = { measure, fw, kernel, initrd };
    return run_in_child(measure_child, &j, &out->ms, &out->rss_kib);
}

static void stats(const struct run *r, int n, double *median, double *min, double *max, long *rss)
{
    double v[MAX_RUNS];
    *rss = 0;
    for (int i = 0; i < n; i++) {
        v[i] = r[i].ms;
        if (r[i].rss_kib > *rss)
            *rss = r[i].rss_kib;
    }
    qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
    *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *min = v[0];
    *max = v[n - 1];
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    unsigned mib = argc > 2 ? (unsigned)atoi(argv[2]) : 256;
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    const char *fw = getenv("TDX_BENCH_FIRMWARE"), *kernel = getenv("TDX_BENCH_KERNEL");
    char kbuf[512], dir[256], initrd[300];
    struct run m[MAX_RUNS], s[MAX_RUNS], big = { 0, 0 };
    double mmed, mmin, mmax, smed, smin, smax;
    long mrss, srss;
    struct stat st;

    if (runs < 1 || runs > MAX_RUNS || mib < 1) {
        fprintf(stderr, "usage: measure-bench [RUNS (1..%d)] [INITRD_MIB]\n", MAX_RUNS);
        return 2;
    }
    if (!exists(fw))
        fw = exists(TDX_BENCH_CACHE "/root/usr/share/ovmf/OVMF.fd") ? TDX_BENCH_CACHE "/root/usr/share/ovmf/OVMF.fd"
                                                                   : "/usr/share/ovmf/OVMF.fd";
    if (!exists(kernel)) {
        kernel = find_kernel(TDX_BENCH_CACHE "/root/boot", kbuf, sizeof(kbuf));
        if (!kernel)
            kernel = find_kernel("/boot", kbuf, sizeof(kbuf));
    }
    if (!exists(fw) || !exists(kernel)) {
        fprintf(stderr, "measure-bench: no firmware or kernel found; set TDX_BENCH_FIRMWARE and TDX_BENCH_KERNEL "
                        "(or run the measure-debian test first)\n");
        return 77;
    }
    snprintf(dir, sizeof(dir), "%s/tdx-measure-bench-XXXXXX", tmpdir);
    if (!mkdtemp(dir))
        return 1;
    snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
    if (make_initrd(initrd, mib) < 0) {
        perror(initrd);
        return 1;
    }

    /* One warm-up of each, then alternate so both see the same cache. */
    if (run_once(true, fw, kernel, initrd, &m[0]) < 0 || run_once(false, fw, kernel, initrd, &s[0]) < 0) {
        fprintf(stderr, "measure-bench: a run failed\n");
        return 1;
    }
    for (int i = 0; i < runs; i++)
        if (run_once(true, fw, kernel, initrd, &m[i]) < 0 || run_once(false, fw, kernel, initrd, &s[i]) < 0)
            return 1;
    stats(m, runs, &mmed, &mmin, &mmax, &mrss);
    stats(s, runs, &smed, &smin, &smax, &srss);

    if (!getenv("TDX_BENCH_SKIP_1G") && make_initrd(initrd, 1024) == 0 && stat(initrd, &st) == 0)
        run_once(true, fw, kernel, initrd, &big);
    unlink(initrd);
    rmdir(dir);

    printf("{\"firmware\": \"%s\", \"kernel\": \"%s\", \"initrd_mib\": %u, \"runs\": %d,\n"
           " \"measure_ms\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f},\n"
           " \"sha384sum_ms\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f},\n"
           " \"ratio_median\": %.3f, \"ratio_target\": 1.25,\n"
           " \"peak_rss_kib\": {\"measure\": %ld, \"sha384sum\": %ld, \"measure_1gib_initrd\": %ld},\n"
           " \"rss_target_kib\": 65536, \"measure_1gib_initrd_ms\": %.1f}\n",
           fw, kernel, mib, runs, mmed, mmin, mmax, smed, smin, smax, mmed / smed, mrss, srss, big.rss_kib,
           big.ms);
    return 0;
}
