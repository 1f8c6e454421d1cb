/* SPDX-License-Identifier: MIT */
/*
 * What a child prints, read from a pipe and passed on line by line under
 * its name: the boot hooks' lines go to the log, the services' lines to
 * the console. Lines longer than LINE_OUTPUT_MAX are passed on in pieces.
 */
#ifndef TDX_AGENT_LINE_OUTPUT_H
#define TDX_AGENT_LINE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_OUTPUT_MAX 4096

struct line_output {
    const char *name;
    void (*emit)(const char *name, const char *line);
    char line[LINE_OUTPUT_MAX + 1];
    size_t len;
};

/* Reads what fd (non-blocking) holds; returns false at end of file or on
 * an error other than EAGAIN. */
bool line_output_drain(int fd, struct line_output *o);
/* Passes on a partial last line, if any. */
void line_output_flush(struct line_output *o);

/* In a forked child, before exec (async-signal-safe calls only): stdin
 * from /dev/null, stdout and stderr to out_fd, every other descriptor
 * closed so nothing it leaves running holds ours. Returns 0 or -1. */
int line_output_child_stdio(int out_fd);

#endif
