/* SPDX-License-Identifier: MIT */
/*
 * A minimal QMP client: enough to ask a guest to power off. QMP sends one
 * JSON object per line: a greeting, then a "return" or "error" per
 * command, with asynchronous "event"s in between, which are skipped.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "error.h"
#include "fileio.h"
#include "strbuf.h"
#include "vm-internal.h"

#define QMP_LINE_MAX (64 * 1024)

struct qmp {
    int fd;
    strbuf in;
    long long deadline_ms;
};

/* The next line that is not an event, parsed. */
static int qmp_read(struct qmp *q, json_t **out)
{
    for (;;) {
        char *nl = q->in.data ? memchr(q->in.data, '\n', q->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->in.data) + 1;
            json_t *v = json_loadb(q->in.data, n, 0, NULL);
            memmove(q->in.data, q->in.data + n, q->in.len - n);
            strbuf_truncate(&q->in, q->in.len - n);
            if (!json_is_object(v)) {
                json_decref(v);
                return -EPROTO;
            }
            if (json_object_get(v, "event")) {
                json_decref(v);
                continue;
            }
            *out = v;
            return 0;
        }
        if (q->in.len > QMP_LINE_MAX)
            return -EPROTO;
        struct pollfd p = { q->fd, POLLIN, 0 };
        long long left = q->deadline_ms - vm_now_ms();
        char buf[4096];
        ssize_t got;
        if (left <= 0)
            return -ETIMEDOUT;
        if (poll(&p, 1, (int)left) <= 0)
            return errno == EINTR ? -EINTR : -ETIMEDOUT;
        got = read(q->fd, buf, sizeof(buf));
        if (got <= 0)
            return got == 0 ? -ECONNRESET : -errno;
        if (strbuf_append(&q->in, buf, (size_t)got) < 0)
            return -ENOMEM;
    }
}

static int qmp_command(struct qmp *q, const char *command, tdx_error *err)
{
    char line[128];
    json_t *reply = NULL;
    int n = snprintf(line, sizeof(line), "{\"execute\": \"%s\"}\n", command);
    int r = write_all(q->fd, line, (size_t)n);

    if (r < 0)
        return tdx_err(err, r, "QMP: cannot send %s: %s", command, strerror(-r));
    r = qmp_read(q, &reply);
    if (r < 0)
        return tdx_err(err, r, "QMP: %s: %s", command, strerror(-r));
    if (!json_object_get(reply, "return")) {
        json_t *desc = json_object_get(json_object_get(reply, "error"), "desc");
        r = tdx_err(err, -EIO, "QMP: %s: %s", command,
                    json_is_string(desc) ? json_string_value(desc) : "refused");
    }
    json_decref(reply);
    return r;
}

int qmp_execute(const char *path, const char *command, int timeout_ms, tdx_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct qmp q = { -1, STRBUF_INIT, vm_now_ms() + timeout_ms };
    json_t *greeting = NULL;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return tdx_err(err, -ENAMETOOLONG, "%s: socket path too long", path);
    strcpy(sa.sun_path, path);
    q.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q.fd < 0)
        return tdx_err(err, -errno, "socket: %s", strerror(errno));
    if (connect(q.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = tdx_err(err, -errno, "%s: cannot connect to QMP: %s", path, strerror(errno));
        goto out;
    }
    r = qmp_read(&q, &greeting);
    if (r < 0 || !json_object_get(greeting, "QMP")) {
        r = tdx_err(err, r < 0 ? r : -EPROTO, "%s: no QMP greeting", path);
        goto out;
    }
    r = qmp_command(&q, "qmp_capabilities", err);
    if (r == 0)
        r = qmp_command(&q, command, err);
out:
    json_decref(greeting);
    strbuf_free(&q.in);
    close(q.fd);
    return r;
}
