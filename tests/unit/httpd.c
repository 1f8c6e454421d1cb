/* SPDX-License-Identifier: MIT */
#include "httpd.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

void httpd_listen(struct httpd *h, const char *log_path)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    memset(h, 0, sizeof(*h));
    snprintf(h->log, sizeof(h->log), "%s", log_path);
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(h->fd, 0);
    ck_assert_int_eq(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(h->fd, 16), 0);
    ck_assert_int_eq(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
    h->port = ntohs(a.sin_port);
}

static void serve_one(int c, const struct route *routes, size_t n, const char *log)
{
    char req[8192], target[2048], head[512];
    size_t got = 0;
    const struct route *r = NULL;
    int fd;

    while (got < sizeof(req) - 1) {
        ssize_t k = read(c, req + got, sizeof(req) - 1 - got);
        if (k <= 0)
            return;
        got += (size_t)k;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (sscanf(req, "GET %2047s HTTP/1.", target) != 1)
        return;
    fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%s\n", target);
        close(fd);
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(routes[i].target, target) == 0)
            r = &routes[i];
    snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n",
             r ? r->status : 404, r && r->status == 200 ? "OK" : "Not Found", r ? r->size : 0);
    write_all(c, head, strlen(head));
    if (r && r->headers)
        write_all(c, r->headers, strlen(r->headers));
    write_all(c, "\r\n", 2);
    if (r && r->size)
        write_all(c, r->body, r->size);
}

void httpd_serve(struct httpd *h, const struct route *routes, size_t n)
{
    h->pid = fork();
    ck_assert_int_ge(h->pid, 0);
    if (h->pid == 0) {
        for (;;) {
            int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0) {
                if (errno == EINTR)
                    continue;
                _exit(1);
            }
            serve_one(c, routes, n, h->log);
            shutdown(c, SHUT_WR);
            close(c);
        }
    }
    close(h->fd);
    h->fd = -1;
}

void httpd_stop(struct httpd *h)
{
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
        h->pid = 0;
    }
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
}

int httpd_requests(const struct httpd *h)
{
    FILE *f = fopen(h->log, "r");
    int n = 0, ch;
    if (!f)
        return 0;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

char *url_encode(const char *s)
{
    char *out = malloc(3 * strlen(s) + 1), *p = out;
    ck_assert_ptr_nonnull(out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = '\0';
    return out;
}
