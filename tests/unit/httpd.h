/* SPDX-License-Identifier: MIT */
/* A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) in a child process,
 * serving fixed responses, for tests of code that fetches over HTTP. */
#ifndef TDX_TESTS_HTTPD_H
#define TDX_TESTS_HTTPD_H

#include <stddef.h>
#include <sys/types.h>

struct route {
    const char *target;         /* request target, path and query, exactly */
    int status;
    const char *headers;        /* extra header lines, each ending in \r\n; may be NULL */
    const void *body;
    size_t size;
};

struct httpd {
    int fd;
    int port;
    pid_t pid;
    char log[256];              /* file the child appends each request target to */
};

/* Binds 127.0.0.1:0 and listens; the port is known from here on. */
void httpd_listen(struct httpd *h, const char *log_path);

/* Serves the routes (anything else: 404) until httpd_stop(). The routes
 * must stay valid until then (the child has its own copy of memory). */
void httpd_serve(struct httpd *h, const struct route *routes, size_t n);

void httpd_stop(struct httpd *h);

/* Number of requests logged so far. */
int httpd_requests(const struct httpd *h);

/* Percent-encodes everything but RFC 3986 unreserved characters (heap). */
char *url_encode(const char *s);

#endif
