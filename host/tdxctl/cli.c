/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *errno_name(int code)
{
    static const struct { int e; const char *name; } names[] = {
        { EINVAL, "EINVAL" }, { ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { EACCES, "EACCES" },
        { ENOMEM, "ENOMEM" }, { EFBIG, "EFBIG" }, { ELOOP, "ELOOP" }, { EIO, "EIO" },
        { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EPERM, "EPERM" }, { E2BIG, "E2BIG" },
        { ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSPC, "ENOSPC" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].e == -code)
            return names[i].name;
    return "EFAIL";
}

int cli_print_json(struct json_t *obj)
{
    char *text;
    if (!obj)
        return -ENOMEM;
    text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(obj);
    if (!text)
        return -ENOMEM;
    puts(text);
    free(text);
    return 0;
}

static int fail_message(const struct cli *cli, int code, const char *message)
{
    fprintf(stderr, "tdxctl: %s\n", message);
    if (cli && cli->json)
        cli_print_json(json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
                                 errno_name(code), "message", message));
    return EXIT_FAIL;
}

int cli_fail(const struct cli *cli, const tdx_error *err)
{
    return fail_message(cli, err->code, err->message[0] ? err->message : strerror(-err->code));
}

int cli_failf(const struct cli *cli, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fail_message(cli, code, msg);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("tdxctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tdxctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("tdxctl: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_connect_timeout(const char *cmd, const char *arg, tdx_agent_options *opts)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || v < 0 || v > 3600000)
        return cli_usage(cmd, "%s: --connect-timeout: expected milliseconds, 0 to 3600000", cmd);
    opts->connect_timeout_ms = (int)v;
    return EXIT_OK;
}
