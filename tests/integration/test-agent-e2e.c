/* SPDX-License-Identifier: MIT */
/*
 * The agent binary ($TDX_AGENT_BIN: the static tdx-agent, or the dynamic
 * tdx-agent-test that carries the sanitizers) started the way systemd
 * starts it: sockets passed as descriptors 3 and 4, $NOTIFY_SOCKET and a
 * watchdog. Then the host library and raw sockets at full scale: 10,000
 * pipelined requests, 200 connections at once, a client stalling mid-frame,
 * every kind of malformed frame, with the agent's memory measured before
 * and after repeated rounds of abuse.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "helpers.h"
#include "macro.h"
#include "quote-check.h"
#include "raw-client.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

struct agent_proc {
    pid_t pid;
    char *dir;
    char unix_path[4200], unix_addr[4300], tcp_addr[64], pki[4300];
    int notify;
    char ready[1024];
    pthread_t drain;              /* reads notifications, as systemd would */
    atomic_bool stopping;
    atomic_int watchdogs;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *agent_bin(void)
{
    const char *b = getenv("TDX_AGENT_BIN");
    ck_assert_msg(b && *b, "TDX_AGENT_BIN is not set");
    return b;
}

/* Reads one notification; "" after timeout_ms. */
static void notification(int fd, char *buf, size_t size, int timeout_ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t n = 0;
    buf[0] = '\0';
    if (poll(&p, 1, timeout_ms) == 1 && (n = recv(fd, buf, size - 1, 0)) > 0)
        buf[n] = '\0';
}

/* systemd reads its notification socket all the time; so does this, or a
 * libsystemd-built agent would block in sd_notify() once it fills up. */
static void *drain(void *arg)
{
    struct agent_proc *a = arg;
    char note[256];
    while (!atomic_load(&a->stopping)) {
        notification(a->notify, note, sizeof(note), 100);
        if (streq(note, "WATCHDOG=1"))
            atomic_fetch_add(&a->watchdogs, 1);
    }
    return NULL;
}

static void start(struct agent_proc *a, const char *const *extra)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX }, nun = { .sun_family = AF_UNIX };
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(in);
    tdx_error err = TDX_ERROR_INIT;
    char notify_path[4300], provider[4400], acpi[4300];
    int ufd, tfd;
    const char *argv[32];
    int argc = 0;

    memset(a, 0, sizeof(*a));
    a->dir = tmpdir_new();
    snprintf(a->pki, sizeof(a->pki), "%s/pki", a->dir);
    ck_assert_msg(tdx_sim_pki_create(a->pki, NULL, &err) == 0, "%s", err.message);
    snprintf(acpi, sizeof(acpi), "%s/acpi", a->dir);
    write_text(a->dir, "acpi/CCEL", "CCEL8\x01" "01234567890123456789012345678901234567890123456789");
    write_text(a->dir, "acpi/data/CCEL", "an event log");

    snprintf(a->unix_path, sizeof(a->unix_path), "%s/agent.sock", a->dir);
    snprintf(a->unix_addr, sizeof(a->unix_addr), "unix:%s", a->unix_path);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", a->unix_path);
    ufd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(ufd, (struct sockaddr *)&un, sizeof(un)), 0);
    ck_assert_int_eq(listen(ufd, 512), 0);
    tfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(tfd, (struct sockaddr *)&in, sizeof(in)), 0);
    ck_assert_int_eq(listen(tfd, 512), 0);
    ck_assert_int_eq(getsockname(tfd, (struct sockaddr *)&in, &len), 0);
    snprintf(a->tcp_addr, sizeof(a->tcp_addr), "tcp:127.0.0.1:%u", ntohs(in.sin_port));

    snprintf(notify_path, sizeof(notify_path), "%s/notify", a->dir);
    snprintf(nun.sun_path, sizeof(nun.sun_path), "%s", notify_path);
    a->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(a->notify, (struct sockaddr *)&nun, sizeof(nun)), 0);

    snprintf(provider, sizeof(provider), "sim:%s", a->pki);
    argv[argc++] = agent_bin();
    argv[argc++] = "--quote-provider";
    argv[argc++] = provider;
    argv[argc++] = "--acpi-path";
    argv[argc++] = acpi;
    for (size_t i = 0; extra && extra[i]; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;

    a->pid = fork();
    ck_assert_int_ge(a->pid, 0);
    if (a->pid == 0) {
        char pid[32];
        /* A failed test must not leave the agent behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (dup2(ufd, 3) < 0 || dup2(tfd, 4) < 0)
            _exit(120);
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "2", 1);
        setenv("LISTEN_FDNAMES", "agent-unix:agent-tcp", 1);
        setenv("NOTIFY_SOCKET", notify_path, 1);
        setenv("WATCHDOG_USEC", "400000", 1);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (!getenv("TDX_TEST_VERBOSE"))
            dup2(null, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(121);
    }
    close(ufd);
    close(tfd);
    notification(a->notify, a->ready, sizeof(a->ready), 30000);
    ck_assert_msg(startswith(a->ready, "READY=1\n"), "no READY=1 from the agent: \"%s\"", a->ready);
    ck_assert_int_eq(pthread_create(&a->drain, NULL, drain, a), 0);
}

/* Stops the agent with SIGTERM; it must exit 0 (under ASan: no leaks). */
static void stop(struct agent_proc *a)
{
    int status;
    kill(a->pid, SIGTERM);
    ck_assert_int_eq(waitpid(a->pid, &status, 0), a->pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "agent exit status %d",
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    atomic_store(&a->stopping, true);
    pthread_join(a->drain, NULL);
    close(a->notify);
    tmpdir_remove(a->dir);
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void expect_error_then_close(int fd, const char *code)
{
    raw_expect_error(fd, code, NULL);
    raw_expect_closed(fd);
}

struct pipeline {
    int fd, count;
};

static void *writer(void *arg)
{
    struct pipeline *p = arg;
    char json[64];
    for (int i = 0; i < p->count; i++) {
        snprintf(json, sizeof(json), "{\"op\":\"info\",\"id\":%d}", i);
        raw_request(p->fd, json);
    }
    return NULL;
}

static void pipelined(struct agent_proc *a, int count)
{
    struct pipeline p = { raw_connect_unix(a->unix_path), count };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, writer, &p), 0);
    for (int i = 0; i < count; i++) {
        json_t *r = raw_reply(p.fd, 30000);
        ck_assert_msg(r != NULL, "connection closed after %d of %d replies", i, count);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), i);
        json_decref(r);
    }
    pthread_join(t, NULL);
    close(p.fd);
}

static void concurrent(struct agent_proc *a, int count)
{
    int *fds = calloc((size_t)count, sizeof(int));
    for (int i = 0; i < count; i++)
        fds[i] = raw_connect_unix(a->unix_path);
    for (int i = 0; i < count; i++) {
        char json[200];
        snprintf(json, sizeof(json), "{\"op\":\"quote\",\"id\":%d,\"report_data\":\"%08x\"}", i, i);
        raw_request(fds[i], json);
    }
    /* More quotes than --max-inflight (32) are refused as "busy"; a client
     * retries those, and every connection gets its quote in the end. */
    for (int i = 0, tries = 0; i < count; tries++) {
        json_t *r = raw_reply(fds[i], 30000);
        const char *code;
        ck_assert_ptr_nonnull(r);
        if (json_is_true(json_object_get(r, "ok"))) {
            ck_assert_uint_gt(strlen(json_string_value(json_object_get(r, "quote"))), 4000);
            json_decref(r);
            close(fds[i++]);
            tries = 0;
            continue;
        }
        code = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
        ck_assert_msg(streq(code, "busy"), "connection %d: %s", i, code);
        ck_assert_int_lt(tries, 1000);
        json_decref(r);
        usleep(1000);
        raw_request(fds[i], "{\"op\":\"quote\",\"id\":1}");
    }
    free(fds);
}

static void malformed(struct agent_proc *a)
{
    static const char *const junk[] = { "not json", "[1,2,3]", "17", "{\"op\":1,\"id\":1}",
                                        "{\"id\":{},\"op\":\"info\"}", "{\"op\":\"\xff\",\"id\":1}" };
    uint8_t head[4];
    int fd;

    fd = raw_connect_unix(a->unix_path);
    raw_send(fd, "\0\0\0\0", 4);
    expect_error_then_close(fd, "bad_frame");
    close(fd);
    fd = raw_connect_unix(a->unix_path);
    frame_header_encode(head, 16u << 20);
    raw_send(fd, head, 4);
    expect_error_then_close(fd, "too_large");
    close(fd);
    fd = raw_connect_unix(a->unix_path);
    frame_header_encode(head, 1000);
    raw_send(fd, head, 4);
    raw_send(fd, "{\"op\":", 6);
    close(fd);   /* truncated */
    for (size_t i = 0; i < ELEMENTSOF(junk); i++) {
        fd = raw_connect_unix(a->unix_path);
        raw_request(fd, junk[i]);
        json_t *r = raw_reply(fd, 30000);
        ck_assert_ptr_nonnull(r);
        ck_assert(json_is_false(json_object_get(r, "ok")));
        json_decref(r);
        ck_assert_ptr_null(raw_reply(fd, 30000));
        close(fd);
    }
    fd = raw_connect_unix(a->unix_path);
    raw_request(fd, "{\"op\":\"no-such-op\",\"id\":1}");
    json_t *r = raw_reply(fd, 30000);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                     "unknown_op");
    json_decref(r);
    raw_request(fd, "{\"op\":\"info\",\"id\":2}");   /* still open */
    r = raw_reply(fd, 30000);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    close(fd);
}

START_TEST(activated_agent_serves_both_sockets_and_notifies)
{
    static const char *const extra[] = { NULL };
    struct agent_proc a;
    tdx_agent_options o = TDX_AGENT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *c = NULL;
    uint8_t data[64] = { 0xde, 0xad }, *q = NULL, *table = NULL, *log = NULL;
    size_t n, tlen, llen;
    char root[4400], *info = NULL;
    int dogs;

    start(&a, extra);
    ck_assert_contains(a.ready, "STATUS=Serving on ");
    ck_assert_contains(a.ready, a.unix_addr);
    ck_assert_contains(a.ready, a.tcp_addr);
    ck_assert_contains(a.ready, "(quote provider sim, SIMULATED)");
    snprintf(root, sizeof(root), "%s/root.pem", a.pki);
    o.connect_timeout_ms = 5000;
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(tdx_agent_connect(&c, i ? a.tcp_addr : a.unix_addr, &o, &err) == 0, "%s",
                      err.message);
        ck_assert_msg(tdx_agent_info(c, &info, &err) == 0, "%s", err.message);
        ck_assert_contains(info, "\"quote_provider\":\"sim\"");
        tdx_free(info);
        ck_assert_msg(tdx_agent_quote(c, data, 2, &q, &n, NULL, &err) == 0, "%s", err.message);
        const char *why = quote_check(q, n, root, data, NULL);
        ck_assert_msg(why == NULL, "%s", why);
        tdx_free(q);
        ck_assert_msg(tdx_agent_eventlog(c, &table, &tlen, &log, &llen, &err) == 0, "%s", err.message);
        ck_assert_uint_eq(llen, 12);
        ck_assert(memcmp(log, "an event log", 12) == 0);
        ck_assert(memcmp(table, "CCEL", 4) == 0);
        tdx_free(table);
        tdx_free(log);
        tdx_agent_free(c);
    }
    /* Keep-alives every WATCHDOG_USEC / 2. */
    dogs = atomic_load(&a.watchdogs);
    usleep(1500 * 1000);
    dogs = atomic_load(&a.watchdogs) - dogs;
    ck_assert_int_ge(dogs, 3);
    stop(&a);
}
END_TEST

START_TEST(hostile_clients_do_not_move_it)
{
    static const char *const extra[] = { "--frame-timeout", "1000", NULL };
    struct agent_proc a;
    long rss_after_first, rss_last;
    int stalled;
    uint8_t head[4];
    long long t0;

    start(&a, extra);
    /* One round to reach steady state, then three more that must not grow it. */
    concurrent(&a, 200);
    pipelined(&a, 10000);
    malformed(&a);
    rss_after_first = rss_kib(a.pid);
    for (int round = 0; round < 3; round++) {
        concurrent(&a, 200);
        pipelined(&a, 10000);
        malformed(&a);
    }
    rss_last = rss_kib(a.pid);
    fprintf(stderr, "agent RSS: %ld KiB after the first round, %ld KiB after three more%s\n",
            rss_after_first, rss_last, SANITIZED ? " (sanitized build: not asserted)" : "");
    if (!SANITIZED)
        ck_assert_msg(rss_last - rss_after_first < 2048, "RSS grew from %ld to %ld KiB",
                      rss_after_first, rss_last);

    /* A client stalling mid-frame is dropped, and others are served meanwhile. */
    stalled = raw_connect_unix(a.unix_path);
    frame_header_encode(head, 64);
    raw_send(stalled, head, 4);
    raw_send(stalled, "{", 1);
    t0 = mono_ms();
    concurrent(&a, 20);
    expect_error_then_close(stalled, "timeout");
    ck_assert_int_ge(mono_ms() - t0, 800);
    close(stalled);
    stop(&a);
}
END_TEST

START_TEST(the_connection_cap_refuses_politely)
{
    static const char *const extra[] = { "--max-connections", "8", NULL };
    struct agent_proc a;
    int fds[8], over;

    start(&a, extra);
    for (int i = 0; i < 8; i++) {
        fds[i] = raw_connect_unix(a.unix_path);
        raw_request(fds[i], "{\"op\":\"info\",\"id\":1}");
        json_decref(raw_reply(fds[i], 30000));
    }
    over = raw_connect_unix(a.unix_path);
    expect_error_then_close(over, "busy");
    close(over);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    usleep(300 * 1000);
    concurrent(&a, 8);
    stop(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agent-e2e");
    TCase *tc = tcase_create("binary");

    signal(SIGPIPE, SIG_IGN);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, activated_agent_serves_both_sockets_and_notifies);
    tcase_add_test(tc, hostile_clients_do_not_move_it);
    tcase_add_test(tc, the_connection_cap_refuses_politely);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
