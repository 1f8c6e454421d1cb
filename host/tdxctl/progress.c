/* SPDX-License-Identifier: MIT */
/* A one-line progress bar on stderr, drawn only when stderr is a terminal. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *base_name(const char *url)
{
    const char *end = url + strlen(url), *p = end;
    while (p > url && p[-1] == '/')
        end = --p;
    while (p > url && p[-1] != '/')
        p--;
    return p < end ? p : url;
}

static int draw(void *userdata, const char *what, uint64_t done, uint64_t total)
{
    struct cli_progress *p = userdata;
    double t = now_s(), mib = (double)done / 1048576.0;
    bool finished = total && done >= total;
    char bar[31];
    int fill;

    if (!finished && t - p->last < 0.1)
        return 0;
    p->last = t;
    if (total) {
        fill = (int)(30.0 * (double)done / (double)total);
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, ' ', (size_t)(30 - fill));
        bar[30] = '\0';
        fprintf(stderr, "\r\033[K%.40s [%s] %3d%% %.1f/%.1f MiB", base_name(what), bar,
                (int)(100.0 * (double)done / (double)total), mib, (double)total / 1048576.0);
    } else {
        fprintf(stderr, "\r\033[K%.40s %.1f MiB", base_name(what), mib);
    }
    if (finished)
        fputs("\r\033[K", stderr);
    p->drawn = !finished;
    return 0;
}

void cli_progress_attach(const struct cli *cli, struct cli_progress *p, tdx_progress_fn *fn,
                         void **data)
{
    *p = (struct cli_progress){ 0, false };
    if (cli->json || !isatty(STDERR_FILENO))
        return;
    *fn = draw;
    *data = p;
}

void cli_progress_done(struct cli_progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
    p->drawn = false;
}
