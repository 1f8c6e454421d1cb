/* SPDX-License-Identifier: MIT */
/* What every benchmark needs: a clock, sorting for medians and
 * percentiles, and a process's memory and descriptor counts. */
#ifndef TDX_BENCH_UTIL_H
#define TDX_BENCH_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0 to 100) of n values, sorting them in place. */
static inline double percentile(double *v, size_t n, double p)
{
    size_t i;
    qsort(v, n, sizeof(*v), cmp_double);
    i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* VmRSS of a process in KiB, or -1. */
static inline long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Runs child(arg) in a forked process, so that its wall time and peak RSS
 * are its own; child returns the process's exit status. Returns 0 when it
 * exited 0, -EIO otherwise, or the negative errno of fork/wait. */
static inline int run_in_child(int (*child)(void *arg), void *arg, double *ms, long *rss_kib)
{
    struct rusage ru;
    int status;
    double t0 = now_ms();
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid == 0)
        _exit(child(arg));
    if (wait4(pid, &status, 0, &ru) < 0)
        return -errno;
    *ms = now_ms() - t0;
    *rss_kib = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Open file descriptors of a process, or -1. */
static inline int fd_count(pid_t pid)
{
    char path[64];
    struct dirent *de;
    int n = 0;
    DIR *d;
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    if (!(d = opendir(path)))
        return -1;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n - 1;   /* the directory stream's own descriptor */
}

#endif
