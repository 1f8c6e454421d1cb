/* SPDX-License-Identifier: MIT */
#include "raw-client.h"

#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"

int raw_connect_unix(const char *path)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&un, sizeof(un)), 0);
    return fd;
}

void raw_send(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        ck_assert_int_gt(w, 0);
        p += w;
        n -= (size_t)w;
    }
}

void raw_request(int fd, const char *json)
{
    uint8_t head[FRAME_HEADER_SIZE];
    frame_header_encode(head, (uint32_t)strlen(json));
    raw_send(fd, head, sizeof(head));
    raw_send(fd, json, strlen(json));
}

json_t *raw_reply(int fd, int timeout_ms)
{
    struct frame_reader rd = FRAME_READER_INIT(FRAME_MAX);
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        size_t want, len;
        uint8_t *buf = frame_reader_buf(&rd, &want);
        ssize_t n;
        int rc;
        ck_assert_msg(poll(&p, 1, timeout_ms) == 1, "no reply within %d ms", timeout_ms);
        n = recv(fd, buf, want, 0);
        if (n <= 0) {
            frame_reader_reset(&rd);
            return NULL;
        }
        rc = frame_reader_advance(&rd, (size_t)n);
        ck_assert_int_ge(rc, 0);
        if (rc == FRAME_HEADER_DONE)
            ck_assert_int_eq(frame_reader_alloc(&rd), 0);
        if (rc == FRAME_COMPLETE) {
            uint8_t *payload = frame_reader_take(&rd, &len);
            json_t *v = json_loadb((char *)payload, len, 0, NULL);
            free(payload);
            ck_assert_ptr_nonnull(v);
            return v;
        }
    }
}

const char *raw_error_code(json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
}

void raw_expect_error(int fd, const char *code, const char *fragment)
{
    json_t *r = raw_reply(fd, 30000);
    const char *msg;
    ck_assert_msg(r != NULL, "connection closed instead of a %s error", code);
    ck_assert(json_is_false(json_object_get(r, "ok")));
    ck_assert_str_eq(raw_error_code(r), code);
    msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    ck_assert_msg(!fragment || strstr(msg, fragment), "\"%s\" lacks \"%s\"", msg, fragment);
    json_decref(r);
}

void raw_expect_closed(int fd)
{
    json_t *r = raw_reply(fd, 30000);
    ck_assert_msg(r == NULL, "connection still open");
}
