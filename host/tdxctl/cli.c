/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-addr.h"
#include "parse-number.h"
#include "printable.h"

const char *cli_errno_name(int code)
{
    static _Thread_local char unnamed[24];
    int e = code < 0 ? -code : code;
    const char *name = strerrorname_np(e);

    if (name)
        return name;
    snprintf(unnamed, sizeof(unnamed), "E%d", e);
    return unnamed;
}

static int print_object(json_t *obj)
{
    char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(obj);
    if (!text)
        return -ENOMEM;
    puts(text);
    free(text);
    return fflush(stdout) == 0 ? 0 : -EIO;
}

/* The failure envelope: body + "ok": false + "error": {code, message}. */
static void print_failure(json_t *body, int code, const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", cli_errno_name(code), "message", message);

    if (!body)
        body = json_object();
    if (!body || !error || json_object_set_new(body, "ok", json_false()) < 0) {
        json_decref(error);
        error = NULL;
    }
    /* json_object_set_new() takes error even when it fails. */
    if (!error || json_object_set_new(body, "error", error) < 0) {
        json_decref(body);
        /* Still one valid envelope, whatever ran out. */
        puts("{\"error\":{\"code\":\"ENOMEM\",\"message\":\"out of memory\"},\"ok\":false}");
        return;
    }
    print_object(body);
}

static int fail_message(const struct cli *cli, int code, const char *message, json_t *body,
                        int status)
{
    char line[1024];   /* the longest of cli_failf()'s and tdx_error's */

    /* Messages carry file names and values from outside: one line, no
     * control characters, whatever they held. */
    snprintf(line, sizeof(line), "%s", message);
    printable_inplace(line, 0);
    fprintf(stderr, "tdxctl: %s\n", line);
    if (cli && cli->json)
        print_failure(body, code, line);
    else
        json_decref(body);
    return status;
}

int cli_print_ok(const struct cli *cli, json_t *body)
{
    if (!body)
        return cli_failf(cli, -ENOMEM, "out of memory");
    if (!cli->json) {
        json_decref(body);
        return EXIT_OK;
    }
    json_object_del(body, "error");
    if (json_object_set_new(body, "ok", json_true()) < 0) {
        json_decref(body);
        return cli_failf(cli, -ENOMEM, "out of memory");
    }
    if (print_object(body) < 0) {
        fprintf(stderr, "tdxctl: cannot write to standard output\n");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int cli_print_document(const struct cli *cli, const char *key, const char *text, size_t size)
{
    json_t *doc;

    if (cli->json) {
        doc = json_loadb(text, size, 0, NULL);
        if (!doc)
            return cli_failf(cli, -EBADMSG, "%s: not a JSON document", key);
        return cli_print_ok(cli, json_pack("{s:o}", key, doc));
    }
    if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0)
        return cli_failf(cli, -EIO, "cannot write to standard output");
    return EXIT_OK;
}

int cli_fail_with(const struct cli *cli, const tdx_error *err, json_t *body)
{
    return fail_message(cli, err->code, err->message[0] ? err->message : strerror(-err->code),
                        body, EXIT_FAIL);
}

int cli_fail(const struct cli *cli, const tdx_error *err)
{
    return cli_fail_with(cli, err, NULL);
}

int cli_failf(const struct cli *cli, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fail_message(cli, code, msg, NULL, EXIT_FAIL);
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
    const char *cmd = cli ? cli->cmd : NULL;
    char msg[1024];
    int n = 0;
    va_list ap;

    if (cmd)
        n = snprintf(msg, sizeof(msg), "%s: ", cmd);
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    fail_message(cli, -EINVAL, msg, NULL, EXIT_USAGE);
    fprintf(stderr, "Try 'tdxctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

int cli_option_error(const struct cli *cli, int c, char *const *argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;

    /* Long options are named as written (without "=value"); short ones by
     * optopt, since argv[optind - 1] may be a cluster like "-fo". */
    if (arg && arg[0] == '-' && arg[1] == '-') {
        int len = (int)strcspn(arg, "=");
        if (c == ':')
            return cli_usage(cli, "%.*s needs a value", len, arg);
        /* glibc sets optopt for a known option given a value it does not take. */
        if (optopt && arg[len] == '=')
            return cli_usage(cli, "%.*s takes no value", len, arg);
        return cli_usage(cli, "unknown option '%.*s'", len, arg);
    }
    if (c == ':')
        return cli_usage(cli, "-%c needs a value", optopt);
    if (optopt)
        return cli_usage(cli, "unknown option '-%c'", optopt);
    return cli_usage(cli, "unknown option '%s'", arg ? arg : "?");
}

void cli_printable(char *s)
{
    printable_inplace(s, 0);
}

void cli_printable_json(json_t *v)
{
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_string(v)) {
        char *copy = strdup(json_string_value(v));
        if (copy && printable_inplace(copy, 0) > 0)
            json_string_set(v, copy);
        free(copy);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, m)
            cli_printable_json(m);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
            cli_printable_json(m);
    }
}

void cli_warn(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printable_inplace(msg, 0);
    fprintf(stderr, "tdxctl: warning: %s\n", msg);
}

static int value_error(const struct cli *cli, const char *opt, const char *arg, int r,
                       const char *what, uint64_t min, uint64_t max)
{
    if (r == -ERANGE)
        return cli_usage(cli, "%s: expected %s from %llu to %llu, got '%s'", opt, what,
                         (unsigned long long)min, (unsigned long long)max, arg);
    return cli_usage(cli, "%s: expected %s (decimal digits%s), got '%s'", opt, what,
                     strcmp(what, "a size") ? "" : ", optional K, M, G or T", arg);
}

int cli_parse_u64(const struct cli *cli, const char *opt, const char *arg, uint64_t min,
                  uint64_t max, uint64_t *out)
{
    int r = parse_u64(arg, min, max, out);
    return r < 0 ? value_error(cli, opt, arg, r, "a number", min, max) : EXIT_OK;
}

int cli_parse_int(const struct cli *cli, const char *opt, const char *arg, int min, int max,
                  int *out)
{
    uint64_t v;
    int r;

    if (min < 0 || max < min)
        return cli_usage(cli, "%s: internal error: bad range", opt);
    r = cli_parse_u64(cli, opt, arg, (uint64_t)min, (uint64_t)max, &v);
    if (r == EXIT_OK)
        *out = (int)v;
    return r;
}

int cli_parse_size(const struct cli *cli, const char *opt, const char *arg, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    int r = parse_size(arg, min, max, out);
    return r < 0 ? value_error(cli, opt, arg, r, "a size", min, max) : EXIT_OK;
}

int cli_parse_path(const struct cli *cli, const char *opt, const char *arg, const char **out)
{
    if (!*arg)
        return cli_usage(cli, "%s: expected a file or directory name, got ''", opt);
    *out = arg;
    return EXIT_OK;
}

int cli_parse_agent_address(const struct cli *cli, const char *arg, const char **out)
{
    struct agent_addr a;
    const char *expected = agent_addr_parse(arg, AGENT_ADDR_CONNECT, &a);

    if (expected)
        return cli_usage(cli, "--connect: %s, got '%s'", expected, arg);
    *out = arg;
    return EXIT_OK;
}

int cli_connect_timeout(const struct cli *cli, const char *arg, tdx_agent_options *opts)
{
    return cli_parse_int(cli, "--connect-timeout", arg, 0, 3600000, &opts->connect_timeout_ms);
}
