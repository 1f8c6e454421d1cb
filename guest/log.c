/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CLIENT_BURST 20
#define CLIENT_INTERVAL_S 10

static enum log_level max_level = LOG_LVL_INFO;
static int journal;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static time_t window_start;
static unsigned window_count, suppressed;

void log_set_max_level(enum log_level level)
{
    max_level = level;
}

void log_setup(void)
{
    journal = !isempty(getenv("JOURNAL_STREAM"));
}

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_LVL_ERR: return "error";
    case LOG_LVL_WARNING: return "warning";
    case LOG_LVL_NOTICE: return "notice";
    case LOG_LVL_INFO: return "info";
    case LOG_LVL_DEBUG: return "debug";
    }
    return "?";
}

static void emit(enum log_level level, int saved_errno, const char *fmt, va_list ap)
{
    char line[1024];

    errno = saved_errno;   /* for %m */
    vsnprintf(line, sizeof(line), fmt, ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    /* One fprintf per line: worker threads and the loop log concurrently. */
    if (journal)
        fprintf(stderr, "<%d>%s\n", (int)level, line);
    else
        fprintf(stderr, "tdx-agent: %s: %s\n", level_name(level), line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    if (level > max_level)
        return;
    va_start(ap, fmt);
    emit(level, saved, fmt, ap);
    va_end(ap);
}

void log_client(const char *fmt, ...)
{
    int saved = errno;
    struct timespec ts;
    unsigned dropped = 0;
    bool write;
    va_list ap;

    if (LOG_LVL_NOTICE > max_level)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&lock);
    if (ts.tv_sec - window_start >= CLIENT_INTERVAL_S) {
        dropped = suppressed;
        suppressed = 0;
        window_start = ts.tv_sec;
        window_count = 0;
    }
    write = window_count++ < CLIENT_BURST;
    if (!write)
        suppressed++;
    pthread_mutex_unlock(&lock);

    if (dropped)
        log_notice("%u client error messages suppressed in the last %d seconds", dropped,
                   CLIENT_INTERVAL_S);
    if (write) {
        va_start(ap, fmt);
        emit(LOG_LVL_NOTICE, saved, fmt, ap);
        va_end(ap);
    }
}
