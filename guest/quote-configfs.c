/* SPDX-License-Identifier: MIT */
/*
 * Quotes through configfs-tsm (Linux Documentation/ABI/testing/
 * configfs-tsm-report; traps in ../shared/reference/agent.md §1):
 *  - one report directory per request, removed afterwards (rmdir: configfs
 *    removes the attributes with it);
 *  - "provider" must read "tdx_guest";
 *  - inblob gets exactly 64 bytes (the TDX provider refuses anything else);
 *  - "generation" is read before writing and after reading outblob: it must
 *    have advanced by exactly our one write, else another writer interfered
 *    and the request is redone;
 *  - some kernels commit the inblob write only when the file is closed, so
 *    the generation is polled until it moves;
 *  - EBUSY is retried a bounded number of times with back-off;
 *  - an empty outblob is an error (the kernel returns one without errno when
 *    the host's quote service fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "log.h"
#include "macro.h"
#include "msg.h"
#include "quote-provider.h"

struct configfs {
    struct quote_provider base;
    char *path;
    struct tsm_fs fs;
    struct tsm_options opts;
    pthread_mutex_t lock;    /* one request at a time: the kernel serialises anyway */
    unsigned long counter;
};

static int sys_mkdir(void *ctx, const char *path, mode_t mode)
{
    (void)ctx;
    return mkdir(path, mode);
}

static int sys_rmdir(void *ctx, const char *path)
{
    (void)ctx;
    return rmdir(path);
}

static int sys_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    return open(path, flags | O_CLOEXEC | O_NOCTTY);
}

static ssize_t sys_read(void *ctx, int fd, void *buf, size_t n)
{
    (void)ctx;
    return read(fd, buf, n);
}

static ssize_t sys_write(void *ctx, int fd, const void *buf, size_t n)
{
    (void)ctx;
    return write(fd, buf, n);
}

static int sys_close(void *ctx, int fd)
{
    (void)ctx;
    return close(fd);
}

static const struct tsm_fs real_fs = { sys_mkdir, sys_rmdir, sys_open, sys_read,
                                       sys_write, sys_close, NULL };

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct request {
    struct configfs *c;
    char dir[4200];
    char *msg;
    size_t msg_size;
};

static int fail(struct request *q, int code, const char *fmt, ...) _printf_(3, 4);
static int fail(struct request *q, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->msg, q->msg_size, fmt, ap);
    va_end(ap);
    return code;
}

/* Reads a whole attribute (at most max bytes) into buf; returns the length
 * or a negative errno. Bytes beyond max are an error, not silently cut. */
static ssize_t read_attr(struct request *q, const char *name, uint8_t *buf, size_t max)
{
    char path[4300];
    size_t got = 0;
    int fd, saved;

    snprintf(path, sizeof(path), "%s/%s", q->dir, name);
    fd = q->c->fs.open(q->c->fs.ctx, path, O_RDONLY);
    if (fd < 0)
        return -errno;
    for (;;) {
        uint8_t extra;
        ssize_t n = got < max ? q->c->fs.read(q->c->fs.ctx, fd, buf + got, max - got)
                              : q->c->fs.read(q->c->fs.ctx, fd, &extra, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            q->c->fs.close(q->c->fs.ctx, fd);
            return -saved;
        }
        if (n == 0)
            break;
        if (got >= max) {
            q->c->fs.close(q->c->fs.ctx, fd);
            return -EFBIG;
        }
        got += (size_t)n;
    }
    q->c->fs.close(q->c->fs.ctx, fd);
    return (ssize_t)got;
}

static int read_generation(struct request *q, unsigned long long *gen)
{
    uint8_t buf[32];
    ssize_t n = read_attr(q, "generation", buf, sizeof(buf) - 1);
    if (n < 0)
        return fail(q, (int)n, "%s/generation: cannot read: %s", q->dir, strerror((int)-n));
    while (n > 0 && (buf[n - 1] == '\n'))
        n--;
    if (!parse_decimal((const char *)buf, (size_t)n, UINT64_MAX, gen))
        return fail(q, -EIO, "%s/generation: not a number", q->dir);
    return 0;
}

static int check_provider(struct request *q)
{
    uint8_t buf[64];
    ssize_t n = read_attr(q, "provider", buf, sizeof(buf) - 1);

    if (n == -ENOENT)
        return fail(q, -ENXIO, "%s has no provider attribute: no TSM provider is registered "
                               "(not a TDX guest, or the tdx_guest module is not loaded)", q->dir);
    if (n < 0)
        return fail(q, (int)n, "%s/provider: cannot read: %s", q->dir, strerror((int)-n));
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (!streq((char *)buf, "tdx_guest")) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] < 0x20 || buf[i] >= 0x7f)
                buf[i] = '?';
        return fail(q, -ENXIO, "%s: the TSM provider is \"%s\", not tdx_guest", q->dir, buf);
    }
    return 0;
}

static const char *errno_hint(int e)
{
    switch (e) {
    case ENXIO: return "no TSM provider (not a TDX guest?)";
    case ETIMEDOUT: return "the host's quote generation service did not answer in time (is the "
                           "QGS running and reachable from QEMU?)";
    case EINVAL: return "the kernel refused the request (the TDX provider wants exactly 64 bytes "
                        "of inblob)";
    case EIO: return "the GetQuote hypercall or TDREPORT call failed";
    case EFBIG: return "the quote exceeds the kernel's outblob limit";
    case EINTR: return "interrupted";
    default: return strerror(e);
    }
}

/* EBUSY from a write or read: the kernel (or the host) is busy; back off. */
static bool busy_again(struct request *q, unsigned *tries)
{
    if (*tries >= q->c->opts.busy_retries)
        return false;
    sleep_ms(q->c->opts.busy_delay_ms << *tries);
    (*tries)++;
    return true;
}

static int write_inblob(struct request *q, const uint8_t data[REPORT_DATA_SIZE])
{
    char path[4300];
    unsigned tries = 0;

    snprintf(path, sizeof(path), "%s/inblob", q->dir);
    for (;;) {
        size_t done = 0;
        int e = 0, fd = q->c->fs.open(q->c->fs.ctx, path, O_WRONLY);
        if (fd < 0)
            return fail(q, -errno, "%s: cannot open: %s", path, errno_hint(errno));
        while (done < REPORT_DATA_SIZE && !e) {
            ssize_t n = q->c->fs.write(q->c->fs.ctx, fd, data + done, REPORT_DATA_SIZE - done);
            if (n < 0 && errno != EINTR)
                e = errno;
            else if (n > 0)
                done += (size_t)n;
        }
        /* Kernels that commit on release report errors from close(). */
        if (q->c->fs.close(q->c->fs.ctx, fd) < 0 && !e)
            e = errno;
        if (!e)
            return 0;
        if (e == EBUSY && busy_again(q, &tries))
            continue;
        return fail(q, -e, "%s: cannot write 64 bytes: %s%s", path, errno_hint(e),
                    e == EBUSY ? " (still busy after retries)" : "");
    }
}

static int read_outblob(struct request *q, uint8_t **quote, size_t *len)
{
    unsigned tries = 0;
    uint8_t *buf = malloc(QUOTE_MAX);
    ssize_t n;

    if (!buf)
        return fail(q, -ENOMEM, "out of memory");
    for (;;) {
        n = read_attr(q, "outblob", buf, QUOTE_MAX);
        if (n == -EBUSY && busy_again(q, &tries))
            continue;
        if (n != -EINTR)
            break;
    }
    if (n < 0) {
        free(buf);
        return fail(q, (int)n, "%s/outblob: cannot read: %s", q->dir, errno_hint((int)-n));
    }
    if (n == 0) {
        free(buf);
        return fail(q, -EIO, "%s/outblob is empty: the host's quote generation service returned "
                             "no quote (check the QGS on the host; DCAP 1.21 or later is needed)",
                    q->dir);
    }
    if (n < 48) {
        free(buf);
        return fail(q, -EIO, "%s/outblob holds %zd bytes, too few for a quote", q->dir, n);
    }
    *quote = realloc(buf, (size_t)n) ?: buf;   /* a quote is a few KiB of the 512 read into */
    *len = (size_t)n;
    return 0;
}

/* Some kernels apply the inblob write when the file is released, a moment
 * after close() returns; wait for the counter to move. */
static int wait_generation(struct request *q, unsigned long long before, unsigned long long *now)
{
    unsigned waited = 0;
    for (;;) {
        int r = read_generation(q, now);
        if (r < 0 || *now != before || waited >= q->c->opts.generation_wait_ms)
            return r;
        sleep_ms(5);
        waited += 5;
    }
}

/* One attempt in a fresh directory. 1 asks the caller to retry. */
static int attempt(struct request *q, const uint8_t data[REPORT_DATA_SIZE], uint8_t **quote,
                   size_t *len)
{
    unsigned long long gen0, gen1, gen2;
    int r;

    if ((r = check_provider(q)) < 0 || (r = read_generation(q, &gen0)) < 0 ||
        (r = write_inblob(q, data)) < 0 || (r = wait_generation(q, gen0, &gen1)) < 0)
        return r;
    if (gen1 == gen0)
        return fail(q, -EIO, "%s/generation did not advance after writing inblob", q->dir);
    if (gen1 != gen0 + 1)
        return 1;
    if ((r = read_outblob(q, quote, len)) < 0)
        return r;
    if ((r = read_generation(q, &gen2)) < 0 || gen2 != gen1) {
        free(*quote);
        *quote = NULL;
        return r < 0 ? r : 1;
    }
    return 0;
}

static int configfs_get(struct quote_provider *p, const uint8_t data[REPORT_DATA_SIZE],
                        uint8_t **quote, size_t *len, char *msg, size_t msg_size)
{
    struct configfs *c = (struct configfs *)p;
    struct request q = { .c = c, .msg = msg, .msg_size = msg_size };
    int r = 1;

    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0, clashes = 0; r == 1 && i <= c->opts.generation_retries;) {
        snprintf(q.dir, sizeof(q.dir), "%s/tdx-agent-%ld-%lu", c->path, (long)getpid(),
                 c->counter++);
        if (c->fs.mkdir(c->fs.ctx, q.dir, 0700) < 0) {
            int e = errno;
            if (e == EEXIST && ++clashes < 16)
                continue;   /* left by an earlier process with our pid: another name */
            r = e == ENOENT ? fail(&q, -ENOENT, "%s does not exist: configfs is not mounted or "
                                                "the kernel has no configfs-tsm (not a TDX guest?)",
                                   c->path)
                            : fail(&q, -e, "cannot create %s: %s", q.dir, errno_hint(e));
            break;
        }
        r = attempt(&q, data, quote, len);
        if (c->fs.rmdir(c->fs.ctx, q.dir) < 0)
            log_warning("cannot remove %s: %s", q.dir, strerror(errno));
        i++;
    }
    pthread_mutex_unlock(&c->lock);
    if (r == 1)
        return fail(&q, -EBUSY, "%s: another writer changed the report %u times in a row",
                    c->path, c->opts.generation_retries + 1);
    return r;
}

static void configfs_free(struct quote_provider *p)
{
    struct configfs *c = (struct configfs *)p;
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}

int quote_configfs_new(const char *tsm_path, const struct tsm_fs *fs,
                       const struct tsm_options *opts, struct quote_provider **out, char *msg,
                       size_t msg_size)
{
    static const struct tsm_options defaults = TSM_OPTIONS_DEFAULT;
    struct configfs *c = calloc(1, sizeof(*c));

    if (!c || !(c->path = strdup(tsm_path))) {
        free(c);
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    c->base.name = "configfs";
    c->base.get = configfs_get;
    c->base.free = configfs_free;
    c->fs = fs ? *fs : real_fs;
    c->opts = opts ? *opts : defaults;
    pthread_mutex_init(&c->lock, NULL);
    *out = &c->base;
    return 0;
}

void quote_provider_free(struct quote_provider *p)
{
    if (p)
        p->free(p);
}
