/* SPDX-License-Identifier: MIT */
/*
 * Quote providers: turn 64 bytes of report data into a TDX quote.
 *   configfs  the kernel's configfs-tsm interface (quote-configfs.c)
 *   sim       a test-only simulator signing with a test PKI (quote-sim.c)
 * get() runs on worker threads and may block (the kernel's GetQuote can
 * take 30 seconds); providers serialise internally where they must.
 */
#ifndef TDX_AGENT_QUOTE_PROVIDER_H
#define TDX_AGENT_QUOTE_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REPORT_DATA_SIZE 64
#define QUOTE_MAX (512 * 1024)   /* base64 of it still fits a reply frame */

struct quote_provider {
    const char *name;    /* "configfs" or "sim" */
    bool simulated;
    /* Returns 0 and a heap quote, or a negative errno with a one-line
     * message: -ENXIO/-ENOENT (no TDX here), -ETIMEDOUT, -EBUSY, -EIO... */
    int (*get)(struct quote_provider *p, const uint8_t report_data[REPORT_DATA_SIZE],
               uint8_t **quote, size_t *len, char *msg, size_t msg_size);
    void (*free)(struct quote_provider *p);
};

/*
 * The system calls the configfs provider makes, so tests can put a fake
 * kernel behind a real directory (tests/unit/fake-tsm.c). Each behaves like
 * the system call: -1 with errno set on failure. NULL means the real ones.
 */
struct tsm_fs {
    int (*mkdir)(void *ctx, const char *path, mode_t mode);
    int (*rmdir)(void *ctx, const char *path);
    int (*open)(void *ctx, const char *path, int flags);
    ssize_t (*read)(void *ctx, int fd, void *buf, size_t n);
    ssize_t (*write)(void *ctx, int fd, const void *buf, size_t n);
    int (*close)(void *ctx, int fd);
    void *ctx;
};

/* Tunables of the configfs provider; tests shorten the waits. */
struct tsm_options {
    unsigned busy_retries;          /* EBUSY on inblob or outblob: tries after the first */
    unsigned busy_delay_ms;         /* first back-off, doubled each time */
    unsigned generation_retries;    /* whole requests redone after a generation mismatch */
    unsigned generation_wait_ms;    /* how long to wait for generation to advance */
};

#define TSM_OPTIONS_DEFAULT { 5, 50, 3, 5000 }

int quote_configfs_new(const char *tsm_path, const struct tsm_fs *fs,
                       const struct tsm_options *opts, struct quote_provider **out, char *msg,
                       size_t msg_size);

/* Loads the test PKI and measurements of a directory tdxctl dev sim-pki made. */
int quote_sim_new(const char *dir, struct quote_provider **out, char *msg, size_t msg_size);

void quote_provider_free(struct quote_provider *p);

#endif
