/* SPDX-License-Identifier: MIT */
/*
 * Fetch benchmark: one file (200 MiB by default) served by the test HTTP
 * server on 127.0.0.1, fetched by
 *   - curl -o /dev/null (the reference: no hashing, no disk),
 *   - tdx_fetch() cold (hash while streaming, write, fdatasync, rename) into a
 *     cache on $TMPDIR and on /dev/shm,
 *   - tdx_fetch() warm (a cache hit),
 * alternating, in the same run. Prints one JSON object; asserts nothing.
 *
 * Usage: fetch-bench HTTPD.PY [RUNS] [MIB]   (defaults: 5 runs, 200 MiB)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "emit/tree.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
#include "tdxhost/tdxhost.h"

#define RUNS_MAX 50

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_series(const char *name, double *v, int n, double mib, bool last)
{
    double m = median(v, n);
    printf("  \"%s\": {\"median_ms\": %.1f, \"min_ms\": %.1f, \"max_ms\": %.1f, \"mib_per_s\": %.0f}%s\n",
           name, m, v[0], v[n - 1], m > 0 ? mib / (m / 1e3) : 0.0, last ? "" : ",");
}

static pid_t start_server(const char *script, const char *root, int *port)
{
    int fds[2];
    char line[32] = "";
    pid_t pid;
    FILE *f;

    if (pipe(fds) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, root, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    if (!f || !fgets(line, sizeof(line), f)) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    *port = atoi(line);
    return pid;
}

static double cpu_ms(const struct rusage *u)
{
    return (double)(u->ru_utime.tv_sec + u->ru_stime.tv_sec) * 1e3 +
           (double)(u->ru_utime.tv_usec + u->ru_stime.tv_usec) / 1e3;
}

/* Wall time; *cpu receives user + system time (the machine may be shared,
 * so wall time alone can mislead). */
static double run_curl(const char *url, double *cpu)
{
    double t0 = now_ms();
    pid_t pid = fork();
    struct rusage u;
    int status = 1;
    if (pid == 0) {
        execlp("curl", "curl", "-s", "-f", "-o", "/dev/null", url, (char *)NULL);
        _exit(127);
    }
    wait4(pid, &status, 0, &u);
    *cpu = cpu_ms(&u);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? now_ms() - t0 : -1;
}

static double run_fetch(const char *url, const char *sha, const char *cache, int expect,
                        double *cpu)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    struct rusage u0, u1;
    double t0;
    int r;

    o.cache_dir = cache;
    getrusage(RUSAGE_SELF, &u0);
    t0 = now_ms();
    r = tdx_fetch(url, sha, &o, NULL, &err);
    getrusage(RUSAGE_SELF, &u1);
    *cpu = cpu_ms(&u1) - cpu_ms(&u0);
    if (r != expect) {
        fprintf(stderr, "fetch-bench: %s\n", r < 0 ? err.message : "unexpected cache state");
        return -1;
    }
    return now_ms() - t0;
}

int main(int argc, char **argv)
{
    int runs = argc > 2 ? atoi(argv[2]) : 5, mib = argc > 3 ? atoi(argv[3]) : 200, port = 0;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    double curl[RUNS_MAX], cold[RUNS_MAX], shm[RUNS_MAX], warm[RUNS_MAX];
    double curl_cpu[RUNS_MAX], cold_cpu[RUNS_MAX], shm_cpu[RUNS_MAX], warm_cpu[RUNS_MAX];
    char root[512], path[600], url[128], cache[600], shm_cache[128], sha[SHA256_HEX_SIZE];
    bool have_shm = access("/dev/shm", W_OK) == 0;
    sha256_stream *s;
    char *buf;
    pid_t server;
    int fd;

    if (argc < 2 || runs < 1 || runs > RUNS_MAX || mib < 1) {
        fprintf(stderr, "usage: fetch-bench HTTPD.PY [RUNS 1-%d] [MIB]\n", RUNS_MAX);
        return 2;
    }
    if (system("command -v python3 >/dev/null && command -v curl >/dev/null") != 0) {
        printf("{\"skipped\": \"python3 and curl are needed\"}\n");
        return 77;
    }
    snprintf(root, sizeof(root), "%s/tdx-fetch-bench-XXXXXX", tmp);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    /* Incompressible data, written once. */
    snprintf(path, sizeof(path), "%s/blob", root);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    buf = malloc(1 << 20);
    s = sha256_stream_new();
    for (uint64_t x = 88172645463325252ULL, i = 0; fd >= 0 && buf && s && i < (uint64_t)mib; i++) {
        for (size_t k = 0; k < (1 << 20); k += 8) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            memcpy(buf + k, &x, 8);
        }
        sha256_stream_add(s, buf, 1 << 20);
        if (write_all(fd, buf, 1 << 20) < 0)
            break;
    }
    sha256_stream_finish_hex(s, sha);
    free(buf);
    close(fd);

    server = start_server(argv[1], root, &port);
    if (server < 0) {
        fprintf(stderr, "fetch-bench: the HTTP server did not start\n");
        rm_rf_at(AT_FDCWD, root);
        return 1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/blob", port);
    snprintf(cache, sizeof(cache), "%s/cache", root);
    snprintf(shm_cache, sizeof(shm_cache), "/dev/shm/tdx-fetch-bench-%d", (int)getpid());
    run_curl(url, &curl_cpu[0]);   /* warm the page cache of the server's file */

    for (int i = 0; i < runs; i++) {
        curl[i] = run_curl(url, &curl_cpu[i]);
        rm_rf_at(AT_FDCWD, cache);
        cold[i] = run_fetch(url, sha, cache, 0, &cold_cpu[i]);
        warm[i] = run_fetch(url, sha, cache, 1, &warm_cpu[i]);
        if (have_shm) {
            rm_rf_at(AT_FDCWD, shm_cache);
            shm[i] = run_fetch(url, sha, shm_cache, 0, &shm_cpu[i]);
        }
        if (curl[i] < 0 || cold[i] < 0 || warm[i] < 0 || (have_shm && shm[i] < 0)) {
            kill(server, SIGTERM);
            waitpid(server, NULL, 0);
            rm_rf_at(AT_FDCWD, root);
            rm_rf_at(AT_FDCWD, shm_cache);
            return 1;
        }
    }
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    rm_rf_at(AT_FDCWD, root);
    rm_rf_at(AT_FDCWD, shm_cache);

    printf("{\n  \"benchmark\": \"fetch\",\n  \"size_mib\": %d,\n  \"runs\": %d,\n", mib, runs);
    printf("  \"server\": \"tests/scripts/httpd.py on 127.0.0.1\",\n");
    print_series("curl_dev_null", curl, runs, mib, false);
    print_series("tdx_fetch_cold_tmpdir", cold, runs, mib, false);
    if (have_shm)
        print_series("tdx_fetch_cold_dev_shm", shm, runs, mib, false);
    print_series("tdx_fetch_warm", warm, runs, mib, false);
    printf("  \"cold_tmpdir_vs_curl\": %.2f,\n", median(cold, runs) / median(curl, runs));
    if (have_shm)
        printf("  \"cold_dev_shm_vs_curl\": %.2f,\n", median(shm, runs) / median(curl, runs));
    printf("  \"cpu_median_ms\": {\"curl\": %.1f, \"cold_tmpdir\": %.1f, \"cold_dev_shm\": %.1f, "
           "\"warm\": %.2f},\n", median(curl_cpu, runs), median(cold_cpu, runs),
           have_shm ? median(shm_cpu, runs) : 0.0, median(warm_cpu, runs));
    printf("  \"warm_ms\": %.2f\n}\n", median(warm, runs));
    return 0;
}
