/* SPDX-License-Identifier: MIT */
/* The host side of the agent protocol (tdxhost/agent.h, docs/protocol.md). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent-addr.h"
#include "base64.h"
#include "client-internal.h"
#include "error.h"
#include "frame.h"
#include "hex.h"
#include "json-reader.h"
#include "tdxhost/agent.h"
#include "wire.h"

#define CONNECT_TIMEOUT_MS 30000
#define IO_TIMEOUT_MS 60000
#define EVENTLOG_MAX (64u * 1024 * 1024)

struct tdx_agent {
    char *address;
    int fd;
    int io_timeout_ms;
    long long next_id;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Waits for events on fd until deadline: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd p = { fd, events, 0 };
        long long left = deadline - mono_ms();
        int n;
        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

/* One non-blocking connect, finished within deadline. */
static int connect_once(const struct sockaddr *sa, socklen_t len, long long deadline, int *out)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), r = 0;
    socklen_t elen = sizeof(r);

    if (fd < 0)
        return -errno;
    if (connect(fd, sa, len) < 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            r = -errno;
        } else if ((r = wait_fd(fd, POLLOUT, deadline)) == 0) {
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &r, &elen) < 0)
                r = errno;
            r = -r;
        }
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    *out = fd;
    return 0;
}

/* Errors of an agent that is not up yet: worth another try. */
static bool transient(int r)
{
    return r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOENT || r == -EAGAIN ||
           r == -ENODEV || r == -ENETUNREACH || r == -EHOSTUNREACH || r == -ETIMEDOUT ||
           r == -ECONNABORTED;
}

static int connect_addr(const struct agent_addr *a, long long deadline, int *fd)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    char port[16];
    int r;

    if (a->sa_len)
        return connect_once((const struct sockaddr *)&a->sa, a->sa_len, deadline, fd);
    snprintf(port, sizeof(port), "%u", a->port);
    r = getaddrinfo(a->host, port, &hints, &res);
    if (r != 0)
        return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
    r = -EHOSTUNREACH;
    for (struct addrinfo *i = res; i && r < 0; i = i->ai_next)
        r = connect_once(i->ai_addr, i->ai_addrlen, deadline, fd);
    freeaddrinfo(res);
    return r;
}

int tdx_agent_connect(tdx_agent **out, const char *address, const tdx_agent_options *opts,
                      tdx_error *err)
{
    struct agent_addr a;
    const char *why;
    int timeout = CONNECT_TIMEOUT_MS, io = IO_TIMEOUT_MS, fd = -1, r, tries = 0;
    long long delay = 50, deadline;
    tdx_agent *agent;

    tdx_check_arg(out, err);
    tdx_check_arg(address, err);
    tdx_check_options(opts, TDX_AGENT_OPTIONS_VERSION, err);
    if (opts) {
        if (opts->connect_timeout_ms != TDX_UNSET)
            timeout = opts->connect_timeout_ms;
        if (opts->io_timeout_ms != TDX_UNSET)
            io = opts->io_timeout_ms;
        if (timeout < 0 || io <= 0)
            return tdx_err(err, -EINVAL, "tdx_agent_connect: timeouts must not be negative");
    }
    why = agent_addr_parse(address, AGENT_ADDR_CONNECT, &a);
    if (why)
        return tdx_err(err, -EINVAL, "%s: %s", address, why);

    /* Early in a VM's boot the agent is not listening yet: keep trying. */
    deadline = mono_ms() + timeout;
    for (;;) {
        long long per_try = timeout ? deadline : mono_ms() + io;
        tries++;
        r = connect_addr(&a, per_try, &fd);
        if (r == 0 || !transient(r) || timeout == 0 || mono_ms() + delay >= deadline)
            break;
        sleep_ms(delay);
        delay = delay * 2 > 1000 ? 1000 : delay * 2;
    }
    if (r < 0) {
        if (timeout && transient(r))
            return tdx_err_lib(err, -ETIMEDOUT, TDX_ERROR_LIBRARY_ERRNO, -r,
                               "%s: agent not reachable within %d ms (%d attempts; last: %s)",
                               address, timeout, tries, strerror(-r));
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "%s: cannot connect: %s",
                           address, strerror(-r));
    }
    agent = calloc(1, sizeof(*agent));
    if (!agent || !(agent->address = strdup(address))) {
        free(agent);
        close(fd);
        return tdx_err_oom(err);
    }
    agent->fd = fd;
    agent->io_timeout_ms = io;
    agent->next_id = 1;
    *out = agent;
    return 0;
}

void tdx_agent_free(tdx_agent *agent)
{
    if (!agent)
        return;
    if (agent->fd >= 0)
        close(agent->fd);
    free(agent->address);
    free(agent);
}

const char *tdx_agent_address(const tdx_agent *agent)
{
    return agent ? agent->address : NULL;
}

static int send_all(tdx_agent *agent, const uint8_t *data, size_t n, long long deadline)
{
    while (n > 0) {
        ssize_t w = send(agent->fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(agent->fd, POLLOUT, deadline);
            if (r < 0)
                return r;
            continue;
        }
        if (w < 0)
            return -errno;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_frame(tdx_agent *agent, long long deadline, uint8_t **payload, size_t *len)
{
    struct frame_reader rd = FRAME_READER_INIT(FRAME_MAX);
    for (;;) {
        size_t want;
        uint8_t *buf = frame_reader_buf(&rd, &want);
        ssize_t n = recv(agent->fd, buf, want, 0);
        int rc;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rc = wait_fd(agent->fd, POLLIN, deadline);
            if (rc < 0) {
                frame_reader_reset(&rd);
                return rc;
            }
            continue;
        }
        if (n <= 0) {
            frame_reader_reset(&rd);
            return n == 0 ? -ECONNRESET : -errno;
        }
        rc = frame_reader_advance(&rd, (size_t)n);
        if (rc == FRAME_HEADER_DONE && frame_reader_alloc(&rd) < 0)
            rc = -ENOMEM;
        if (rc < 0) {
            frame_reader_reset(&rd);
            return rc == -ENOMEM ? rc : -EPROTO;
        }
        if (rc == FRAME_COMPLETE) {
            *payload = frame_reader_take(&rd, len);
            return 0;
        }
    }
}

int agent_call_json(tdx_agent *agent, const char *op, json_t *params, json_t **reply,
                    tdx_error *err)
{
    long long id = agent->next_id++, deadline = mono_ms() + agent->io_timeout_ms;
    struct wire_error e;
    uint8_t *frame = NULL, *payload = NULL;
    size_t len;
    int r;

    if (agent->fd < 0)
        return tdx_err(err, -ENOTCONN, "%s: the connection was closed after an earlier error",
                       agent->address);
    r = wire_request_frame(op, id, params, &frame, &len);
    if (r < 0)
        return r == -EMSGSIZE ? tdx_err(err, r, "%s: request too large", op) : tdx_err_oom(err);
    r = send_all(agent, frame, len, deadline);
    free(frame);
    /* An agent at its connection cap writes a "busy" reply and closes
     * without reading: the request then fails with EPIPE or ECONNRESET,
     * but the reply is there to read, and it is the better answer. */
    if (r == 0 || r == -EPIPE || r == -ECONNRESET) {
        int sent = r;
        r = recv_frame(agent, deadline, &payload, &len);
        if (r < 0 && sent < 0)
            r = sent;
    }
    if (r < 0) {
        /* The stream is out of step now: a late reply would answer the next request. */
        close(agent->fd);
        agent->fd = -1;
        if (r == -ETIMEDOUT)
            return tdx_err(err, r, "%s: %s: no reply within %d ms", agent->address, op,
                           agent->io_timeout_ms);
        if (r == -EPROTO)
            return tdx_err(err, r, "%s: %s: malformed reply frame", agent->address, op);
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "%s: %s: %s", agent->address, op,
                           r == -ECONNRESET ? "the agent closed the connection" : strerror(-r));
    }
    r = wire_parse_reply(payload, len, id, reply, &e);
    free(payload);
    if (r < 0) {
        if (r == -EPROTO && streq(e.code, "protocol")) {
            close(agent->fd);
            agent->fd = -1;
        }
        return tdx_err(err, r, "%s: %s: %s (%s)", agent->address, op, e.message, e.code);
    }
    return 0;
}

int tdx_agent_call(tdx_agent *agent, const char *op, const char *params_json, char **reply_json,
                   tdx_error *err)
{
    json_t *params = NULL, *reply = NULL;
    json_error_t jerr;
    char why[256];
    int r;

    tdx_check_arg(agent, err);
    tdx_check_arg(op, err);
    tdx_check_arg(reply_json, err);
    if (params_json) {
        params = json_loads(params_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(params)) {
            json_decref(params);
            return tdx_err(err, -EINVAL, "tdx_agent_call: params_json: expected a JSON object%s%s",
                           params ? "" : ": ",
                           params ? "" : jr_syntax_text(&jerr, why, sizeof(why)));
        }
    }
    r = agent_call_json(agent, op, params, &reply, err);
    if (r < 0)
        return r;
    *reply_json = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(reply);
    return *reply_json ? 0 : tdx_err_oom(err);
}

int tdx_agent_info(tdx_agent *agent, char **info_json, tdx_error *err)
{
    tdx_check_arg(agent, err);
    tdx_check_arg(info_json, err);
    return agent_call_text(agent, "info", agent_info_shape, agent_info_shape_len, info_json, err);
}

int agent_reply_base64(tdx_agent *agent, json_t *reply, const char *op, const char *key,
                       size_t max, uint8_t **out, size_t *len, tdx_error *err)
{
    return agent_reply_base64_from(agent->address, reply, op, key, max, out, len, err);
}

int agent_reply_base64_from(const char *address, json_t *reply, const char *op, const char *key,
                            size_t max, uint8_t **out, size_t *len, tdx_error *err)
{
    json_t *v = json_object_get(reply, key);
    size_t n = json_string_length(v);
    uint8_t *buf;
    long got;

    if (!json_is_string(v))
        return tdx_err(err, -EPROTO, "%s: %s: reply has no string \"%s\"", address, op, key);
    buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return tdx_err_oom(err);
    got = base64_decode(json_string_value(v), n, buf, max < n ? max : n);
    if (got < 0) {
        free(buf);
        return tdx_err(err, -EPROTO, "%s: %s: \"%s\" is not base64 of at most %zu bytes",
                       address, op, key, max);
    }
    *out = buf;
    *len = (size_t)got;
    return 0;
}

int tdx_agent_quote(tdx_agent *agent, const uint8_t *report_data, size_t report_data_len,
                    uint8_t **quote, size_t *quote_len, char **provider, tdx_error *err)
{
    char hex[129];
    json_t *reply = NULL, *prov;
    int r;

    tdx_check_arg(agent, err);
    tdx_check_arg(quote && quote_len, err);
    tdx_check_arg(report_data || report_data_len == 0, err);
    if (report_data_len > 64)
        return tdx_err(err, -EINVAL, "report data is %zu bytes; at most 64 fit a quote",
                       report_data_len);
    hex_encode(report_data ? report_data : (const uint8_t *)"", report_data_len, hex);
    r = agent_call_json(agent, "quote", json_pack("{s:s}", "report_data", hex), &reply, err);
    if (r < 0)
        return r;
    prov = json_object_get(reply, "provider");
    if (!json_is_string(prov)) {
        json_decref(reply);
        return tdx_err(err, -EPROTO, "%s: quote: reply has no provider", agent->address);
    }
    r = agent_reply_base64(agent, reply, "quote", "quote", 1u << 20, quote, quote_len, err);
    if (r == 0 && provider && !(*provider = strdup(json_string_value(prov)))) {
        free(*quote);
        r = tdx_err_oom(err);
    }
    json_decref(reply);
    return r;
}

/* Fetches log @p which ("ccel" or "tpm") in chunks; the CCEL's table too
 * when @p table is not NULL (the TPM log has none). */
static int fetch_eventlog(tdx_agent *agent, const char *which, uint8_t **table, size_t *table_len,
                          uint8_t **log, size_t *log_len, tdx_error *err)
{
    uint8_t *t = NULL, *all = NULL;
    size_t tlen = 0, size = 0, have = 0;
    int r = 0;

    do {
        json_t *reply = NULL, *jsize, *joff;
        uint8_t *chunk = NULL;
        size_t clen;

        /* The CCEL request names no log, so older agents answer it too. */
        r = agent_call_json(agent, "eventlog",
                            table ? json_pack("{s:I}", "offset", (json_int_t)have)
                                  : json_pack("{s:I, s:s}", "offset", (json_int_t)have, "log", which),
                            &reply, err);
        if (r < 0)
            break;
        jsize = json_object_get(reply, "log_size");
        joff = json_object_get(reply, "log_offset");
        if (!json_is_integer(jsize) || json_integer_value(jsize) < 0 ||
            json_integer_value(jsize) > EVENTLOG_MAX || !json_is_integer(joff) ||
            json_integer_value(joff) != (json_int_t)have ||
            (have && (size_t)json_integer_value(jsize) != size)) {
            json_decref(reply);
            r = tdx_err(err, -EPROTO, "%s: eventlog: inconsistent log_size or log_offset",
                        agent->address);
            break;
        }
        if (!all) {
            size = (size_t)json_integer_value(jsize);
            all = malloc(size ? size : 1);
            r = !all ? tdx_err_oom(err)
                : table ? agent_reply_base64(agent, reply, "eventlog", "table", 65536, &t, &tlen, err)
                : 0;
        }
        if (r == 0)
            r = agent_reply_base64(agent, reply, "eventlog", "log", size - have, &chunk, &clen, err);
        json_decref(reply);
        if (r == 0 && clen == 0 && have < size)
            r = tdx_err(err, -EPROTO, "%s: eventlog: empty chunk at offset %zu of %zu",
                        agent->address, have, size);
        if (r == 0) {
            memcpy(all + have, chunk, clen);
            have += clen;
        }
        free(chunk);
    } while (r == 0 && have < size);
    if (r < 0) {
        free(t);
        free(all);
        return r;
    }
    if (table) {
        *table = t;
        *table_len = tlen;
    }
    *log = all;
    *log_len = size;
    return 0;
}

int tdx_agent_eventlog(tdx_agent *agent, uint8_t **table, size_t *table_len, uint8_t **log,
                       size_t *log_len, tdx_error *err)
{
    tdx_check_arg(agent, err);
    tdx_check_arg(table && table_len && log && log_len, err);
    return fetch_eventlog(agent, "ccel", table, table_len, log, log_len, err);
}

int tdx_agent_tpm_eventlog(tdx_agent *agent, uint8_t **log, size_t *log_len, tdx_error *err)
{
    tdx_check_arg(agent, err);
    tdx_check_arg(log && log_len, err);
    return fetch_eventlog(agent, "tpm", NULL, NULL, log, log_len, err);
}

int tdx_agent_acpi(tdx_agent *agent, uint8_t **tables, size_t *tables_len, uint8_t **rsdp,
                   size_t *rsdp_len, uint8_t **loader, size_t *loader_len, tdx_error *err)
{
    static const struct { const char *key; size_t max; } members[3] = {
        { "tables", 512 * 1024 }, { "rsdp", 4096 }, { "table_loader", 128 * 1024 },
    };
    uint8_t *out[3] = { NULL, NULL, NULL };
    size_t len[3] = { 0, 0, 0 };
    json_t *reply = NULL;
    int r;

    tdx_check_arg(agent, err);
    tdx_check_arg(tables && tables_len && rsdp && rsdp_len && loader && loader_len, err);
    r = agent_call_json(agent, "acpi", NULL, &reply, err);
    if (r < 0)
        return r;
    for (int i = 0; r == 0 && i < 3; i++) {
        r = agent_reply_base64(agent, reply, "acpi", members[i].key, members[i].max, &out[i],
                               &len[i], err);
        if (r == 0 && len[i] == 0)
            r = tdx_err(err, -EPROTO, "%s: acpi: \"%s\" is empty", agent->address,
                        members[i].key);
    }
    json_decref(reply);
    if (r < 0) {
        for (int i = 0; i < 3; i++)
            free(out[i]);
        return r;
    }
    *tables = out[0];
    *tables_len = len[0];
    *rsdp = out[1];
    *rsdp_len = len[1];
    *loader = out[2];
    *loader_len = len[2];
    return 0;
}

/* Bounds of the op (guest/efivars.h): 64 options, 4 KiB each. */
#define BOOT_OPTIONS_MAX 64
#define BOOT_OPTION_SIZE_MAX 4096

void tdx_boot_variables_free(tdx_boot_variable *vars, size_t n)
{
    for (size_t i = 0; vars && i < n; i++)
        free(vars[i].data);
    free(vars);
}

/* Whether name is "Boot####" for an entry of BootOrder (order[0..count)). */
static bool boot_order_lists(const uint8_t *order, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        char want[16];
        snprintf(want, sizeof(want), "Boot%04X", (unsigned)(order[2 * i] | order[2 * i + 1] << 8));
        if (strcmp(want, name) == 0)
            return true;
    }
    return false;
}

static int boot_variable_check(const char *address, const tdx_boot_variable *vars, size_t i, tdx_error *err)
{
    const tdx_boot_variable *v = &vars[i];

    if (i == 0) {
        if (strcmp(v->name, "BootOrder") != 0)
            return tdx_err(err, -EPROTO, "%s: bootvars: variables[0] is \"%s\", not BootOrder", address,
                           v->name);
        if (v->size == 0 || v->size % 2)
            return tdx_err(err, -EPROTO, "%s: bootvars: BootOrder has %zu bytes, not a list of 16-bit "
                           "option numbers", address, v->size);
        return 0;
    }
    if (!boot_order_lists(vars[0].data, vars[0].size / 2, v->name))
        return tdx_err(err, -EPROTO, "%s: bootvars: variables[%zu] \"%s\" is not an option BootOrder lists",
                       address, i, v->name);
    for (size_t j = 1; j < i; j++)
        if (strcmp(vars[j].name, v->name) == 0)
            return tdx_err(err, -EPROTO, "%s: bootvars: %s appears twice", address, v->name);
    if (v->size == 0)
        return tdx_err(err, -EPROTO, "%s: bootvars: %s is empty", address, v->name);
    return 0;
}

int agent_boot_variables_parse(const char *address, json_t *reply, tdx_boot_variable **vars, size_t *n,
                               tdx_error *err)
{
    json_t *list = json_object_get(reply, "variables");
    tdx_boot_variable *out = NULL;
    size_t count = 0;
    int r = 0;

    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 1 + BOOT_OPTIONS_MAX)
        r = tdx_err(err, -EPROTO, "%s: bootvars: \"variables\": expected an array of 1 to %d entries",
                    address, 1 + BOOT_OPTIONS_MAX);
    else if (!(out = calloc(json_array_size(list), sizeof(*out))))
        r = tdx_err_oom(err);
    for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        const char *name = json_string_value(json_object_get(item, "name"));

        if (!name || strlen(name) >= sizeof(out[i].name)) {
            r = tdx_err(err, -EPROTO, "%s: bootvars: variables[%zu].name: expected a variable name",
                        address, i);
            break;
        }
        snprintf(out[i].name, sizeof(out[i].name), "%s", name);
        r = agent_reply_base64_from(address, item, "bootvars", "data",
                                    i == 0 ? 2 * BOOT_OPTIONS_MAX : BOOT_OPTION_SIZE_MAX, &out[i].data,
                                    &out[i].size, err);
        if (r == 0)
            count = i + 1;
        if (r == 0)
            r = boot_variable_check(address, out, i, err);
    }
    if (r < 0) {
        tdx_boot_variables_free(out, count);
        return r;
    }
    *vars = out;
    *n = count;
    return 0;
}

int tdx_agent_boot_variables(tdx_agent *agent, tdx_boot_variable **vars, size_t *n, tdx_error *err)
{
    json_t *reply = NULL;
    int r;

    tdx_check_arg(agent, err);
    tdx_check_arg(vars && n, err);
    r = agent_call_json(agent, "bootvars", NULL, &reply, err);
    if (r < 0)
        return r;
    r = agent_boot_variables_parse(agent->address, reply, vars, n, err);
    json_decref(reply);
    return r;
}
