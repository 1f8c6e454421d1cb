/* SPDX-License-Identifier: MIT */
/*
 * Internals of pinned fetching: SHA-256 helpers, the content-addressed cache,
 * libcurl transfers and running helper programs (git, gpgv). The Debian
 * resolver and the lockfile use them too.
 */
#ifndef TDXHOST_FETCH_INTERNAL_H
#define TDXHOST_FETCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"
#include "tdxhost/fetch.h"

#define SHA256_HEX_SIZE 65   /* 64 digits and a NUL */

/* ------------------------------------------------------------------------ */
/* SHA-256                                                                  */

typedef struct sha256_stream sha256_stream;

sha256_stream *sha256_stream_new(void);
void sha256_stream_add(sha256_stream *s, const void *data, size_t n);
/* Adds everything read from fd until EOF; *size (optional) gets the count. */
int sha256_stream_add_fd(sha256_stream *s, int fd, uint64_t *size);
/* Writes the digest (32 bytes) and frees the stream. */
void sha256_stream_finish(sha256_stream *s, uint8_t digest[32]);
void sha256_stream_finish_hex(sha256_stream *s, char hex[SHA256_HEX_SIZE]);
void sha256_stream_free(sha256_stream *s);

void sha256_buffer_hex(const void *data, size_t n, char hex[SHA256_HEX_SIZE]);

/* Normalises a user-given hash ("sha256:" prefix optional, any case) to 64
 * lowercase digits. -EINVAL with a message naming @p what otherwise. */
int sha256_parse(const char *in, const char *what, char hex[SHA256_HEX_SIZE], tdx_error *err);

/* Hashes a regular file. */
int sha256_file(const char *path, char hex[SHA256_HEX_SIZE], uint64_t *size, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Options with their defaults applied                                      */

struct fetch_conf {
    const char *cache_dir;      /* as given, or NULL */
    uint64_t max_size;
    long max_redirects;
    long connect_timeout, stall_timeout, timeout;
    bool offline, verify_cached;
    const char *output;
    tdx_progress_fn progress;
    void *progress_data;
};

/* Checks opts (NULL: defaults) and fills conf. -EINVAL naming @p fn. */
int fetch_conf_init(struct fetch_conf *conf, const tdx_fetch_options *opts, const char *fn,
                    tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Cache                                                                    */

/* The cache directory for @p kind ("fetch", "git"): @p given, or
 * $XDG_CACHE_HOME/tdxhost/KIND, or ~/.cache/tdxhost/KIND; created if missing. */
int cache_dir_open(const char *given, const char *kind, char **dir, tdx_error *err);

/* A new temporary file in dir (".tmp-XXXXXX"), opened for writing. */
int cache_temp_file(const char *dir, int *fd, char **path, tdx_error *err);

/* Makes the verified temporary file read-only and renames it to dir/hex.
 * A concurrent fetch of the same hash may have done the same: the rename
 * replaces its identical file atomically. */
int cache_commit(const char *dir, const char *tmp, const char *hex, char **final, tdx_error *err);

/* Stores a buffer under its own hash; *hex receives the hash. */
int cache_store_buffer(const char *dir, const void *data, size_t n, char hex[SHA256_HEX_SIZE],
                       char **final, tdx_error *err);

/* Copies a file to dest through a temporary file in dest's directory. */
int copy_file_atomic(const char *src, const char *dest, unsigned mode, tdx_error *err);


/* ------------------------------------------------------------------------ */
/* Hashing and writing on a second thread (pipeline.c)                      */

struct pipeline;

/* Starts a worker that hashes (when sha is given) and writes to fd. */
int pipeline_start(struct pipeline **out, int fd, sha256_stream *sha);
/* Copies data to the worker; returns the worker's first error. */
int pipeline_push(struct pipeline *p, const void *data, size_t n);
/* flush: hands over the rest, waits, returns the worker's first error;
 * otherwise stops the worker early. Frees p either way. */
int pipeline_finish(struct pipeline *p, bool flush);

/* ------------------------------------------------------------------------ */
/* Transfers                                                                */

/* 0 when url has a scheme fetch accepts (http, https, file), -EINVAL naming it. */
int url_check(const char *url, tdx_error *err);

/* Streams url into fd (hashing into sha when given); *size receives the
 * byte count. Errors name the URL. */
int http_to_fd(const char *url, int fd, sha256_stream *sha, const struct fetch_conf *conf,
               uint64_t *size, tdx_error *err);

/* Reads url into a NUL-terminated heap buffer of at most max bytes. */
int http_to_memory(const char *url, const struct fetch_conf *conf, size_t max, char **data,
                   size_t *len, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Helper programs                                                          */

struct run_result {
    int status;          /* exit status, or 128 + signal */
    strbuf out, errout;  /* captured stdout and stderr, each cut at 64 KiB */
};

#define RUN_RESULT_INIT { -1, STRBUF_INIT, STRBUF_INIT }

void run_result_free(struct run_result *r);

/* Runs argv[0] (looked up in PATH) with stdin from /dev/null, optional
 * extra environment entries ("NAME=value", NULL-terminated), and captures
 * its output. Returns 0 when it ran (whatever its status), -ENOENT when the
 * program does not exist, another negative errno otherwise. */
int run_program(const char *const *argv, const char *const *env, struct run_result *res,
                tdx_error *err);

/* The last non-empty line of a program's stderr, for messages. */
const char *run_last_line(struct run_result *res);

#endif
