/* SPDX-License-Identifier: MIT */
#include "line-output.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void emit_line(struct line_output *o)
{
    o->line[o->len] = '\0';
    o->emit(o->name, o->line);
    o->len = 0;
}

bool line_output_drain(int fd, struct line_output *o)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                emit_line(o);
            } else {
                o->line[o->len++] = buf[i];
                if (o->len == LINE_OUTPUT_MAX)
                    emit_line(o);
            }
        }
    }
}

void line_output_flush(struct line_output *o)
{
    if (o->len)
        emit_line(o);
}

int line_output_child_stdio(int out_fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(out_fd, STDERR_FILENO) < 0)
        return -1;
    if (close_range(3, ~0u, 0) < 0)
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    return 0;
}
