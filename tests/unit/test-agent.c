/* SPDX-License-Identifier: MIT */
/*
 * The agent's server in this process (its loop on a thread) and the host
 * client library talking to it over unix and TCP sockets: every op with the
 * sim and configfs providers, the caps and deadlines, malformed and hostile
 * clients, and the systemd protocols. Runs under valgrind with the unit
 * suite; tests/integration/ does the same against the real binaries.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-core.h"
#include "config.h"
#include "daemon.h"
#include "fake-tsm.h"
#include "frame.h"
#include "helpers.h"
#include "listen.h"
#include "log.h"
#include "macro.h"
#include "manifest.h"
#include "quote-check.h"
#include "quote-provider.h"
#include "raw-client.h"
#include "server.h"
#include "strv.h"

enum provider_kind { PROVIDER_SIM, PROVIDER_CONFIGFS, PROVIDER_GATE };

/* A provider that blocks until the test opens the gate: quotes in flight. */
struct gate {
    struct quote_provider base;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    int waiting;
};

static int gate_get(struct quote_provider *p, const uint8_t data[64], uint8_t **quote, size_t *len,
                    char *msg, size_t n)
{
    struct gate *g = (struct gate *)p;
    (void)msg;
    (void)n;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    g->waiting--;
    pthread_mutex_unlock(&g->lock);
    *quote = malloc(64);
    memcpy(*quote, data, 64);
    *len = 64;
    return 0;
}

static void gate_free(struct quote_provider *p)
{
    struct gate *g = (struct gate *)p;
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
    free(g);
}

static void gate_wait_for(struct gate *g, int n)
{
    pthread_mutex_lock(&g->lock);
    while (g->waiting < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

struct harness {
    char *dir;
    char pki[4200], acpi[4200];
    char unix_addr[4200], tcp_addr[64];
    struct agent_config cfg;
    struct agent agent;
    struct server *srv;
    struct fake_tsm *tsm;
    struct gate *gate;
    pthread_t thread;
    int rc;
};

static void *loop_main(void *arg)
{
    struct harness *h = arg;
    h->rc = server_run(h->srv);
    return NULL;
}


static void copy_file(const char *from, const char *dir, const char *rel)
{
    size_t n;
    char *data = read_text(from, &n), path[4300];
    FILE *f;
    ck_assert_msg(data != NULL, "cannot read %s", from);
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    free(data);
}

static int tcp_listener(char *addr, size_t size)
{
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(in);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
    ck_assert_int_eq(listen(fd, 128), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&in, &len), 0);
    snprintf(addr, size, "tcp:127.0.0.1:%u", ntohs(in.sin_port));
    return fd;
}

static void harness_config(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    h->dir = tmpdir_new();
    ck_assert_int_eq(config_init(&h->cfg), 0);
    snprintf(h->acpi, sizeof(h->acpi), "%s/acpi", h->dir);
    free(h->cfg.acpi_path);
    h->cfg.acpi_path = strdup(h->acpi);
    h->cfg.idle_timeout_ms = 20000;
}

static void harness_start(struct harness *h, enum provider_kind kind)
{
    char msg[600], sock[4300];
    int fd;

    log_set_max_level(LOG_LVL_WARNING);
    snprintf(h->pki, sizeof(h->pki), "%s/pki", h->dir);
    if (kind == PROVIDER_SIM) {
        tdx_error err = TDX_ERROR_INIT;
        ck_assert_msg(tdx_sim_pki_create(h->pki, NULL, &err) == 0, "%s", err.message);
        ck_assert_msg(quote_sim_new(h->pki, &h->agent.provider, msg, sizeof(msg)) == 0, "%s", msg);
    } else if (kind == PROVIDER_CONFIGFS) {
        static const struct tsm_options fast = { 2, 1, 2, 50 };
        struct tsm_fs fs;
        h->tsm = fake_tsm_new();
        fs = fake_tsm_fs(h->tsm);
        ck_assert_int_eq(quote_configfs_new(h->tsm->root, &fs, &fast, &h->agent.provider, msg,
                                            sizeof(msg)), 0);
    } else {
        h->gate = calloc(1, sizeof(*h->gate));
        pthread_mutex_init(&h->gate->lock, NULL);
        pthread_cond_init(&h->gate->cond, NULL);
        h->gate->base = (struct quote_provider){ "gate", false, gate_get, gate_free };
        h->agent.provider = &h->gate->base;
    }
    h->agent.config = &h->cfg;
    h->agent.started_ms = now_ms();
    ck_assert_msg(server_new(&h->agent, &h->srv, msg, sizeof(msg)) == 0, "%s", msg);
    snprintf(h->unix_addr, sizeof(h->unix_addr), "unix:%s/agent.sock", h->dir);
    ck_assert_msg(listen_open(h->unix_addr, &fd, msg, sizeof(msg)) == 0, "%s", msg);
    snprintf(sock, sizeof(sock), "%s/agent.sock", h->dir);
    ck_assert_int_eq(server_add_listener(h->srv, fd, sock, msg, sizeof(msg)), 0);
    fd = tcp_listener(h->tcp_addr, sizeof(h->tcp_addr));
    ck_assert_int_eq(server_add_listener(h->srv, fd, NULL, msg, sizeof(msg)), 0);
    ck_assert_int_eq(pthread_create(&h->thread, NULL, loop_main, h), 0);
}

static void harness_stop(struct harness *h)
{
    if (h->gate)
        gate_open(h->gate);   /* workers must finish before the pool is joined */
    server_stop(h->srv);
    pthread_join(h->thread, NULL);
    ck_assert_int_eq(h->rc, 0);
    server_free(h->srv);
    quote_provider_free(h->agent.provider);
    manifest_free(h->agent.manifest);
    strv_free(h->agent.listeners);
    config_done(&h->cfg);
    fake_tsm_free(h->tsm);
    tmpdir_remove(h->dir);
}

static tdx_agent *client(const char *addr)
{
    tdx_agent_options o = TDX_AGENT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *a = NULL;
    o.connect_timeout_ms = 2000;
    o.io_timeout_ms = 10000;
    ck_assert_msg(tdx_agent_connect(&a, addr, &o, &err) == 0, "%s", err.message);
    return a;
}

/* ---- raw sockets, for what a well-behaved client never sends ---- */

static int raw_connect(const struct harness *h)
{
    return raw_connect_unix(h->unix_addr + 5);
}

static void expect_info_works(const char *addr)
{
    tdx_agent *a = client(addr);
    tdx_error err = TDX_ERROR_INIT;
    char *info = NULL;
    ck_assert_msg(tdx_agent_info(a, &info, &err) == 0, "%s", err.message);
    ck_assert_contains(info, "\"agent\":\"tdx-agent\"");
    tdx_free(info);
    tdx_agent_free(a);
}

/* ---- service ---- */

START_TEST(info_over_unix_and_tcp)
{
    struct harness h;
    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    for (int i = 0; i < 2; i++) {
        tdx_agent *a = client(i ? h.tcp_addr : h.unix_addr);
        tdx_error err = TDX_ERROR_INIT;
        char *text = NULL;
        json_t *info, *listeners;

        ck_assert_str_eq(tdx_agent_address(a), i ? h.tcp_addr : h.unix_addr);
        ck_assert_msg(tdx_agent_info(a, &text, &err) == 0, "%s", err.message);
        info = json_loads(text, 0, NULL);
        ck_assert(json_is_true(json_object_get(info, "ok")));
        ck_assert_str_eq(json_string_value(json_object_get(info, "quote_provider")), "sim");
        ck_assert(json_is_true(json_object_get(info, "simulated")));
        ck_assert_int_eq(json_integer_value(json_object_get(info, "protocol")), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(info, "limits"),
                                                            "frame_max")), 1048576);
        listeners = json_object_get(info, "listeners");
        ck_assert_uint_eq(json_array_size(listeners), 2);
        ck_assert_str_eq(json_string_value(json_array_get(listeners, 1)), h.tcp_addr);
        ck_assert(json_is_null(json_object_get(info, "manifest")));
        json_decref(info);
        tdx_free(text);
        tdx_agent_free(a);
    }
    harness_stop(&h);
}
END_TEST

START_TEST(quotes_over_unix_and_tcp_verify)
{
    struct harness h;
    char root[4300];
    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    snprintf(root, sizeof(root), "%s/root.pem", h.pki);
    for (int i = 0; i < 2; i++) {
        tdx_agent *a = client(i ? h.tcp_addr : h.unix_addr);
        tdx_error err = TDX_ERROR_INIT;
        uint8_t data[64] = { 0 }, *q = NULL;
        char *provider = NULL;
        size_t n;
        const char *why;

        memcpy(data, "nonce-1234", 10);
        ck_assert_msg(tdx_agent_quote(a, data, 10, &q, &n, &provider, &err) == 0, "%s", err.message);
        ck_assert_str_eq(provider, "sim");
        why = quote_check(q, n, root, data, NULL);   /* zero-padded to 64 */
        ck_assert_msg(why == NULL, "%s", why);
        tdx_free(q);
        tdx_free(provider);
        /* No report data at all: 64 zero bytes. */
        memset(data, 0, sizeof(data));
        ck_assert_int_eq(tdx_agent_quote(a, NULL, 0, &q, &n, NULL, &err), 0);
        ck_assert_ptr_null(quote_check(q, n, root, data, NULL));
        tdx_free(q);
        ck_assert_int_eq(tdx_agent_quote(a, data, 65, &q, &n, NULL, &err), -EINVAL);
        tdx_agent_free(a);
    }
    harness_stop(&h);
}
END_TEST

/* op acpi: the three fw_cfg blobs, byte for byte, or a named refusal. */
START_TEST(acpi_blobs_come_from_fw_cfg)
{
    static const char *const names[3] = { "etc-acpi-tables", "etc-acpi-rsdp", "etc-table-loader" };
    static const char *const entries[3] = { "etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader" };
    struct harness h;
    tdx_agent *a;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *got[3] = { NULL, NULL, NULL };
    size_t len[3], n;
    char fwcfg[4300], rel[128], src[128];

    harness_config(&h);
    snprintf(fwcfg, sizeof(fwcfg), "%s/fwcfg", h.dir);
    free(h.cfg.fw_cfg_path);
    h.cfg.fw_cfg_path = strdup(fwcfg);
    harness_start(&h, PROVIDER_SIM);
    a = client(h.unix_addr);
    ck_assert_int_eq(tdx_agent_acpi(a, &got[0], &len[0], &got[1], &len[1], &got[2], &len[2], &err),
                     -ENXIO);
    ck_assert_contains(err.message, "no fw_cfg entry etc/acpi/tables");
    ck_assert_contains(err.message, "qemu_fw_cfg module");
    for (int i = 0; i < 3; i++) {
        snprintf(rel, sizeof(rel), "%s/raw", entries[i]);
        snprintf(src, sizeof(src), "acpi/qemu-q35-1cpu-2048M/%s", names[i]);
        write_text(fwcfg, rel, "");
        copy_file(testdata_path(src), fwcfg, rel);
    }
    ck_assert_msg(tdx_agent_acpi(a, &got[0], &len[0], &got[1], &len[1], &got[2], &len[2], &err) == 0,
                  "%s", err.message);
    for (int i = 0; i < 3; i++) {
        snprintf(src, sizeof(src), "acpi/qemu-q35-1cpu-2048M/%s", names[i]);
        char *want = read_text(testdata_path(src), &n);
        ck_assert_uint_eq(len[i], n);
        ck_assert(memcmp(got[i], want, n) == 0);
        free(want);
        tdx_free(got[i]);
    }
    /* Over its bound (4 KiB for the RSDP). */
    char *big = calloc(1, 5000);
    memset(big, 'R', 4999);
    write_text(fwcfg, "etc/acpi/rsdp/raw", big);
    free(big);
    ck_assert_int_eq(tdx_agent_acpi(a, &got[0], &len[0], &got[1], &len[1], &got[2], &len[2], &err),
                     -EMSGSIZE);
    ck_assert_contains(err.message, "etc/acpi/rsdp is larger than 4096 bytes");
    tdx_agent_free(a);
    harness_stop(&h);
}
END_TEST

START_TEST(eventlog_comes_from_the_acpi_tables)
{
    struct harness h;
    tdx_agent *a;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *table = NULL, *log = NULL;
    size_t tlen, llen, n;
    char *want;
    int fd;
    json_t *r;

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    a = client(h.unix_addr);
    /* No tables yet: not a TDX guest. */
    ck_assert_int_eq(tdx_agent_eventlog(a, &table, &tlen, &log, &llen, &err), -ENXIO);
    ck_assert_contains(err.message, "CCEL does not exist");
    ck_assert_contains(err.message, "(unavailable)");

    ck_assert_int_eq(mkdir(h.acpi, 0755), 0);
    write_text(h.acpi, "data/.keep", "");
    copy_file(TESTDATA("eventlogs/gotdx_cos113_ccel_table.bin"), h.acpi, "CCEL");
    copy_file(TESTDATA("eventlogs/gotdx_cos113_ccel_data.bin"), h.acpi, "data/CCEL");
    ck_assert_msg(tdx_agent_eventlog(a, &table, &tlen, &log, &llen, &err) == 0, "%s", err.message);
    want = read_text(TESTDATA("eventlogs/gotdx_cos113_ccel_table.bin"), &n);
    ck_assert_uint_eq(tlen, n);
    ck_assert(memcmp(table, want, n) == 0);
    free(want);
    want = read_text(TESTDATA("eventlogs/gotdx_cos113_ccel_data.bin"), &n);
    ck_assert_uint_eq(llen, 262144);
    ck_assert(memcmp(log, want, n) == 0);
    free(want);
    tdx_free(table);
    tdx_free(log);
    tdx_agent_free(a);

    /* Chunks: a part of the log, and an offset past its end. */
    fd = raw_connect(&h);
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 1, \"offset\": 1000, \"length\": 24}");
    r = raw_reply(fd, 10000);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "log_size")), 262144);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "log_offset")), 1000);
    ck_assert_uint_eq(json_string_length(json_object_get(r, "log")), 32);   /* base64 of 24 */
    json_decref(r);
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 2, \"offset\": 262145}");
    raw_expect_error(fd, "bad_request", "past the end of the 262144-byte log");
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 3, \"length\": 0}");
    raw_expect_error(fd, "bad_request", "length: expected 1 to 524288");
    close(fd);
    harness_stop(&h);
}
END_TEST

/* securityfs reports size 0 for binary_bios_measurements (the kernel
 * generates it on read): /proc/version does the same, with stable bytes. */
START_TEST(tpm_eventlog_reads_a_generated_file)
{
    struct harness h;
    tdx_agent *a;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *log = NULL;
    size_t llen, n;
    char *want, missing[4200];
    int fd;
    json_t *r;

    harness_config(&h);
    snprintf(missing, sizeof(missing), "%s/no-tpm", h.dir);
    free(h.cfg.tpm_log_path);
    h.cfg.tpm_log_path = strdup(missing);
    harness_start(&h, PROVIDER_SIM);
    a = client(h.unix_addr);
    ck_assert_int_eq(tdx_agent_tpm_eventlog(a, &log, &llen, &err), -ENXIO);
    ck_assert_contains(err.message, "no-tpm does not exist: no TPM event log");
    tdx_agent_free(a);
    harness_stop(&h);

    harness_config(&h);
    free(h.cfg.tpm_log_path);
    h.cfg.tpm_log_path = strdup("/proc/version");
    harness_start(&h, PROVIDER_SIM);
    a = client(h.unix_addr);
    ck_assert_msg(tdx_agent_tpm_eventlog(a, &log, &llen, &err) == 0, "%s", err.message);
    want = read_text("/proc/version", &n);
    ck_assert_uint_gt(n, 8);
    ck_assert_uint_eq(llen, n);
    ck_assert(memcmp(log, want, n) == 0);
    tdx_free(log);
    tdx_agent_free(a);

    fd = raw_connect(&h);
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 1, \"log\": \"tpm\", \"offset\": 3, \"length\": 3}");
    r = raw_reply(fd, 10000);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "log_size")), (json_int_t)n);
    /* Bytes 3..5 of "Linux version ...": "ux ". */
    ck_assert_str_eq(json_string_value(json_object_get(r, "log")), "dXgg");
    ck_assert_ptr_null(json_object_get(r, "table"));
    json_decref(r);
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 2, \"log\": \"pcclient\"}");
    raw_expect_error(fd, "bad_request", "log: expected \"ccel\" or \"tpm\"");
    raw_request(fd, "{\"op\": \"eventlog\", \"id\": 3, \"log\": 4}");
    raw_expect_error(fd, "bad_request", "log");
    close(fd);
    free(want);
    harness_stop(&h);
}
END_TEST

START_TEST(configfs_quotes_through_the_socket)
{
    struct harness h;
    tdx_agent *a;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t data[64], *q = NULL;
    size_t n;
    char *provider = NULL;

    harness_config(&h);
    harness_start(&h, PROVIDER_CONFIGFS);
    a = client(h.tcp_addr);
    memset(data, 0x77, sizeof(data));
    ck_assert_msg(tdx_agent_quote(a, data, 64, &q, &n, &provider, &err) == 0, "%s", err.message);
    ck_assert_str_eq(provider, "configfs");
    ck_assert_uint_eq(n, FAKE_TSM_QUOTE_SIZE);
    ck_assert(memcmp(q + 568, data, 64) == 0);
    tdx_free(q);
    tdx_free(provider);

    /* Kernel and host failures arrive as protocol errors with their reason. */
    h.tsm->mkdir_errno = ENXIO;
    ck_assert_int_eq(tdx_agent_quote(a, data, 64, &q, &n, NULL, &err), -ENXIO);
    ck_assert_contains(err.message, "(unavailable)");
    h.tsm->mkdir_errno = 0;
    h.tsm->outblob_errno = ETIMEDOUT;
    ck_assert_int_eq(tdx_agent_quote(a, data, 64, &q, &n, NULL, &err), -ETIMEDOUT);
    ck_assert_contains(err.message, "QGS");
    h.tsm->outblob_errno = 0;
    h.tsm->empty_outblob = true;
    ck_assert_int_eq(tdx_agent_quote(a, data, 64, &q, &n, NULL, &err), -EIO);
    ck_assert_contains(err.message, "outblob is empty");
    ck_assert_contains(err.message, "(quote_failed)");
    h.tsm->empty_outblob = false;
    h.tsm->busy_writes = 100;
    ck_assert_int_eq(tdx_agent_quote(a, data, 64, &q, &n, NULL, &err), -EBUSY);
    ck_assert_contains(err.message, "(busy)");
    h.tsm->busy_writes = 0;
    /* After all that, it still works. */
    ck_assert_int_eq(tdx_agent_quote(a, data, 64, &q, &n, NULL, &err), 0);
    tdx_free(q);
    ck_assert_int_eq(fake_tsm_leftovers(h.tsm), 0);
    tdx_agent_free(a);
    harness_stop(&h);
}
END_TEST

START_TEST(tdx_agent_call_reaches_any_op)
{
    struct harness h;
    tdx_agent *a;
    tdx_error err = TDX_ERROR_INIT;
    char *reply = NULL;

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    a = client(h.unix_addr);
    ck_assert_int_eq(tdx_agent_call(a, "quote", "{\"report_data\": \"ff\"}", &reply, &err), 0);
    ck_assert_contains(reply, "\"report_data\":\"ff00000000");
    tdx_free(reply);
    ck_assert_int_eq(tdx_agent_call(a, "secrets.rotate", NULL, &reply, &err), -EOPNOTSUPP);
    ck_assert_contains(err.message, "unknown op \"secrets.rotate\" (unknown_op)");
    /* Without a manifest the secrets operations exist but cannot serve. */
    ck_assert_int_eq(tdx_agent_call(a, "secrets.status", NULL, &reply, &err), -ENXIO);
    ck_assert_contains(err.message, "no secrets manifest");
    ck_assert_int_eq(tdx_agent_call(a, "info", "[1]", &reply, &err), -EINVAL);
    ck_assert_contains(err.message, "expected a JSON object");
    /* The connection survived the refused op. */
    ck_assert_int_eq(tdx_agent_call(a, "info", "{}", &reply, &err), 0);
    tdx_free(reply);
    ck_assert_int_eq(tdx_agent_call(a, "info", "{\"extra\": 1}", &reply, &err), -EINVAL);
    ck_assert_contains(err.message, "info: extra: unknown member (bad_request)");
    tdx_agent_free(a);
    harness_stop(&h);
}
END_TEST

/* ---- hostile clients ---- */

START_TEST(malformed_frames_get_an_error_then_a_hangup)
{
    struct harness h;
    uint8_t head[4];
    int fd;

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);

    fd = raw_connect(&h);   /* zero length */
    raw_send(fd, "\0\0\0\0", 4);
    raw_expect_error(fd, "bad_frame", "zero-length frame");
    raw_expect_closed(fd);
    close(fd);

    fd = raw_connect(&h);   /* over the limit: refused before a byte of payload */
    frame_header_encode(head, FRAME_MAX + 1);
    raw_send(fd, head, 4);
    raw_expect_error(fd, "too_large", "frame of 1048577 bytes exceeds the limit of 1048576 bytes");
    raw_expect_closed(fd);
    close(fd);

    fd = raw_connect(&h);   /* truncated: the peer gives up mid-frame */
    frame_header_encode(head, 100);
    raw_send(fd, head, 4);
    raw_send(fd, "{\"op\":", 6);
    close(fd);

    static const struct { const char *json, *code, *fragment; } bad[] = {
        { "this is not json", "bad_json", "not valid JSON" },
        { "[\"info\", 1]", "bad_request", "expected a JSON object, got an array" },
        { "42", "bad_request", "expected a JSON object, got an integer" },
        { "{\"op\": 5, \"id\": 1}", "bad_request", "op: expected a string" },
        { "{\"op\": \"info\", \"id\": {\"x\": 1}}", "bad_request", "id: expected" },
        { "{\"op\": \"info\"}", "bad_request", "id: required" },
        { "{\"op\": \"\xc3\x28\", \"id\": 1}", "bad_json", "not valid JSON" },
        { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
          "bad_json", "nested too deeply" },
    };
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        fd = raw_connect(&h);
        raw_request(fd, bad[i].json);
        raw_expect_error(fd, bad[i].code, bad[i].fragment);
        raw_expect_closed(fd);
        close(fd);
    }
    expect_info_works(h.unix_addr);
    expect_info_works(h.tcp_addr);
    harness_stop(&h);
}
END_TEST

START_TEST(bad_requests_keep_the_connection)
{
    struct harness h;
    json_t *r;
    int fd;

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    fd = raw_connect(&h);
    raw_request(fd, "{\"op\": \"frobnicate\", \"id\": \"a\"}");
    raw_expect_error(fd, "unknown_op", "unknown op \"frobnicate\"");
    raw_request(fd, "{\"op\": \"quote\", \"id\": 2, \"report_data\": 7}");
    raw_expect_error(fd, "bad_request", "quote: report_data: expected a string, got an integer");
    raw_request(fd, "{\"op\": \"quote\", \"id\": 3, \"report_data\": \"abc\"}");
    raw_expect_error(fd, "bad_request", "report_data: expected hexadecimal digits");
    raw_request(fd, "{\"op\": \"quote\", \"id\": 4, \"report_data\": \"00000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000000000000000000000000000000000"
                    "00000000000000000000\"}");
    raw_expect_error(fd, "bad_request",
                     "quote: report_data: expected at most 128 hex digits (64 bytes), got 130");
    raw_request(fd, "{\"op\": \"info\", \"id\": \"last\"}");
    r = raw_reply(fd, 10000);
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "last");   /* ids echo as given */
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    close(fd);
    harness_stop(&h);
}
END_TEST

struct pipeline {
    int fd;
    int count;
};

static void *pipeline_writer(void *arg)
{
    struct pipeline *p = arg;
    char json[64];
    for (int i = 0; i < p->count; i++) {
        snprintf(json, sizeof(json), "{\"op\": \"info\", \"id\": %d}", i);
        raw_request(p->fd, json);
    }
    return NULL;
}

START_TEST(pipelined_requests_are_answered_in_order)
{
    struct harness h;
    struct pipeline p;
    pthread_t writer;

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    p.fd = raw_connect(&h);
    p.count = 1000;
    ck_assert_int_eq(pthread_create(&writer, NULL, pipeline_writer, &p), 0);
    for (int i = 0; i < p.count; i++) {
        json_t *r = raw_reply(p.fd, 10000);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), i);
        json_decref(r);
    }
    pthread_join(writer, NULL);
    close(p.fd);
    harness_stop(&h);
}
END_TEST

START_TEST(many_connections_at_once)
{
    struct harness h;
    int fds[60];

    harness_config(&h);
    harness_start(&h, PROVIDER_SIM);
    for (size_t i = 0; i < ELEMENTSOF(fds); i++)
        fds[i] = raw_connect(&h);
    for (size_t i = 0; i < ELEMENTSOF(fds); i++)
        raw_request(fds[i], i % 2 ? "{\"op\": \"quote\", \"id\": 1}" : "{\"op\": \"info\", \"id\": 1}");
    for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
        json_t *r = raw_reply(fds[i], 10000);
        ck_assert_ptr_nonnull(r);
        ck_assert_msg(json_is_true(json_object_get(r, "ok")), "connection %zu: %s", i, raw_error_code(r));
        json_decref(r);
        close(fds[i]);
    }
    harness_stop(&h);
}
END_TEST

START_TEST(connections_over_the_cap_are_refused)
{
    struct harness h;
    int fds[4], extra;

    harness_config(&h);
    h.cfg.max_connections = 4;
    harness_start(&h, PROVIDER_SIM);
    for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
        fds[i] = raw_connect(&h);
        raw_request(fds[i], "{\"op\": \"info\", \"id\": 1}");   /* accepted: it answers */
        json_decref(raw_reply(fds[i], 10000));
    }
    extra = raw_connect(&h);
    raw_expect_error(extra, "busy", "4 connections open, the most this agent takes");
    raw_expect_closed(extra);
    close(extra);
    close(fds[0]);
    usleep(200 * 1000);   /* the agent notices the close */
    expect_info_works(h.unix_addr);
    for (size_t i = 1; i < ELEMENTSOF(fds); i++)
        close(fds[i]);
    harness_stop(&h);
}
END_TEST

START_TEST(stalled_and_idle_clients_are_dropped)
{
    struct harness h;
    uint8_t head[4];
    uint64_t start;
    int stalled, idle;

    harness_config(&h);
    h.cfg.frame_timeout_ms = 300;
    h.cfg.idle_timeout_ms = 600;
    harness_start(&h, PROVIDER_SIM);
    stalled = raw_connect(&h);
    idle = raw_connect(&h);
    start = now_ms();
    frame_header_encode(head, 50);
    raw_send(stalled, head, 4);
    raw_send(stalled, "{", 1);
    expect_info_works(h.tcp_addr);   /* others are served meanwhile */
    raw_expect_error(stalled, "timeout", "frame not completed within 300 ms");
    raw_expect_closed(stalled);
    ck_assert_uint_ge(now_ms() - start, 300);
    raw_expect_closed(idle);
    ck_assert_uint_ge(now_ms() - start, 600);
    close(stalled);
    close(idle);
    harness_stop(&h);
}
END_TEST

START_TEST(requests_in_flight_are_capped)
{
    struct harness h;
    int blocked[2], third;

    harness_config(&h);
    h.cfg.max_inflight = 2;
    h.cfg.workers = 2;
    harness_start(&h, PROVIDER_GATE);
    for (int i = 0; i < 2; i++) {
        blocked[i] = raw_connect(&h);
        raw_request(blocked[i], "{\"op\": \"quote\", \"id\": 1}");
    }
    gate_wait_for(h.gate, 2);
    third = raw_connect(&h);
    raw_request(third, "{\"op\": \"quote\", \"id\": 7}");
    raw_expect_error(third, "busy", "2 requests in flight, the most this agent takes");
    /* The loop does not wait on the provider: info still answers. */
    raw_request(third, "{\"op\": \"info\", \"id\": 8}");
    json_t *r = raw_reply(third, 10000);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    /* A client that leaves while its quote runs costs nothing once it returns. */
    close(blocked[1]);
    gate_open(h.gate);
    r = raw_reply(blocked[0], 10000);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    close(blocked[0]);
    close(third);
    harness_stop(&h);
}
END_TEST

START_TEST(the_memory_budget_is_enforced)
{
    struct harness h;
    uint8_t head[4];
    int fd;

    harness_config(&h);
    h.cfg.memory_budget = 64 * 1024;
    harness_start(&h, PROVIDER_SIM);
    fd = raw_connect(&h);
    frame_header_encode(head, 100 * 1024);
    raw_send(fd, head, 4);
    raw_expect_error(fd, "busy", "memory budget is exhausted");
    raw_expect_closed(fd);
    close(fd);
    expect_info_works(h.unix_addr);
    harness_stop(&h);
}
END_TEST

/* ---- systemd protocols ---- */

START_TEST(notify_reaches_unix_and_abstract_sockets)
{
    char *dir = tmpdir_new(), path[4200], buf[128];
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ssize_t n;

    unsetenv("NOTIFY_SOCKET");
    ck_assert_int_eq(daemon_notify("READY=1"), 0);   /* nowhere to send */
    snprintf(path, sizeof(path), "%s/notify", dir);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
    setenv("NOTIFY_SOCKET", path, 1);
    ck_assert_int_eq(daemon_notify("READY=1\nSTATUS=serving"), 1);
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "READY=1\nSTATUS=serving");
    close(fd);

    /* The abstract namespace: "@name". */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&un.sun_path, 0, sizeof(un.sun_path));
    snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "tdx-test-%d", (int)getpid());
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&un,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                      strlen(un.sun_path + 1))), 0);
    snprintf(path, sizeof(path), "@tdx-test-%d", (int)getpid());
    setenv("NOTIFY_SOCKET", path, 1);
    ck_assert_int_eq(daemon_notify("WATCHDOG=1"), 1);
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    ck_assert_str_eq(buf, "WATCHDOG=1");
    close(fd);

    setenv("NOTIFY_SOCKET", "vsock:x:1", 1);
    ck_assert_int_eq(daemon_notify("READY=1"), -EINVAL);
    setenv("NOTIFY_SOCKET", "tcp:1.2.3.4:5", 1);
    ck_assert_int_eq(daemon_notify("READY=1"), -EINVAL);
    unsetenv("NOTIFY_SOCKET");
    tmpdir_remove(dir);
}
END_TEST

START_TEST(watchdog_and_listen_fds_follow_the_environment)
{
    char pid[32];
    uint64_t usec = 0;
    char **names = NULL;

    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    ck_assert_int_eq(daemon_watchdog(&usec), 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    ck_assert_int_eq(daemon_watchdog(&usec), 1);
    ck_assert_uint_eq(usec, 30000000);
    setenv("WATCHDOG_PID", "1", 1);
    ck_assert_int_eq(daemon_watchdog(&usec), 0);   /* meant for another process */
    setenv("WATCHDOG_PID", pid, 1);
    ck_assert_int_eq(daemon_watchdog(&usec), 1);
    setenv("WATCHDOG_USEC", "soon", 1);
    ck_assert_int_eq(daemon_watchdog(&usec), -EINVAL);
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");

    /* Sockets for another process are not ours, and the variables go away. */
    setenv("LISTEN_PID", "1", 1);
    setenv("LISTEN_FDS", "2", 1);
    ck_assert_int_eq(daemon_listen_fds(&names), 0);
    ck_assert_ptr_null(getenv("LISTEN_FDS"));
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "two", 1);
    ck_assert_int_eq(daemon_listen_fds(&names), -EINVAL);
    ck_assert_ptr_null(getenv("LISTEN_PID"));
}
END_TEST

START_TEST(passed_sockets_are_taken)
{
    pid_t child = fork();
    int status;

    ck_assert_int_ge(child, 0);
    if (child == 0) {
        /* Descriptors 3 and 4, as systemd passes them. */
        int a = socket(AF_UNIX, SOCK_STREAM, 0), b = socket(AF_UNIX, SOCK_STREAM, 0);
        char pid[32], **names = NULL, msg[200];
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "tdx-listen-%d", (int)getpid());
        if (bind(a, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(a, 1) < 0)
            _exit(9);
        if (dup2(a, 3) < 0 || dup2(b, 4) < 0)
            _exit(10);
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "2", 1);
        setenv("LISTEN_FDNAMES", "agent:extra", 1);
        if (daemon_listen_fds(&names) != 2 || !names || strcmp(names[0], "agent") ||
            strcmp(names[1], "extra") || getenv("LISTEN_FDNAMES"))
            _exit(11);
        if (!(fcntl(3, F_GETFD) & FD_CLOEXEC))
            _exit(12);
        if (listen_adopt(3, msg, sizeof(msg)) != 0 || !(fcntl(3, F_GETFL) & O_NONBLOCK))
            _exit(13);
        if (listen_adopt(4, msg, sizeof(msg)) != -EINVAL || !strstr(msg, "not a listening"))
            _exit(14);
        strv_free(names);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child check %d failed",
                  WEXITSTATUS(status));
}
END_TEST

/* ---- configuration ---- */

START_TEST(config_files_are_checked)
{
    char *dir = tmpdir_new(), path[4200], msg[600];
    struct agent_config c;
    static const struct { const char *json, *fragment; } bad[] = {
        { "{\"listen\": [\"tcp:localhost:1\"]}", ": listen[0]: expected \"tcp:ADDRESS:PORT\"" },
        { "{\"listen\": []}", ": listen: expected 1 to 64 entries, got 0" },
        { "{\"listen\": [\"vsock:1\", 5]}", ": listen[1]: expected a string, got an integer" },
        { "{\"quote_provider\": \"sim:/tmp/pki\"}", ": quote_provider: expected \"configfs\" (the sim provider is enabled only with --quote-provider on the command line)" },
        { "{\"max_connections\": 0}", ": max_connections: expected an integer from 1 to 65536, got 0" },
        { "{\"hooks\": {\"on_failure\": \"panic\"}}", ": hooks.on_failure: expected one of \"stop\", \"continue\", \"ignore\"; got \"panic\"" },
        { "{\"hooks\": {\"retries\": 1}}", ": hooks.retries: unknown key; expected one of \"timeout_s\", \"on_failure\"" },
        { "{\"tsm_path\": \"relative\"}", ": tsm_path: expected an absolute path" },
        { "{\"listen\": 1,}", ":1:14: string or '}' expected near '}'" },
        { "{\"colour\": \"blue\"}", ": colour: unknown key; expected one of \"listen\"" },
        { "{\"verbos\": true}", ": verbos: unknown key; did you mean \"verbose\"?" },
        { "{\"verbose\": 1}", ": verbose: expected a boolean, got an integer" },
        { "{\"a\": [[[[[[[[[1]]]]]]]]]}", ": JSON nested too deeply" },
    };

    snprintf(path, sizeof(path), "%s/agent.json", dir);
    write_text(dir, "agent.json", "{\"listen\": [\"unix:/run/a.sock\", \"vsock:1050\"], \"max_connections\": 9, "
                                  "\"idle_timeout_ms\": 1234, \"manifest\": \"/etc/tdx-agent/secrets.json\", "
                                  "\"quote_provider\": \"configfs\", \"memory_budget\": 8388608, "
                                  "\"hooks\": {\"timeout_s\": 5, \"on_failure\": \"continue\"}, \"verbose\": true}");
    ck_assert_int_eq(config_init(&c), 0);
    ck_assert_msg(config_load(&c, path, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_uint_eq(strv_length(c.listen), 2);
    ck_assert_uint_eq(c.max_connections, 9);
    ck_assert_uint_eq(c.idle_timeout_ms, 1234);
    ck_assert_uint_eq(c.hook_timeout_s, 5);
    ck_assert_int_eq(c.hook_policy, HOOK_POLICY_CONTINUE);
    ck_assert_str_eq(c.manifest, "/etc/tdx-agent/secrets.json");
    ck_assert_str_eq(c.quote_provider, "configfs");
    ck_assert(c.verbose);
    config_done(&c);
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        write_text(dir, "agent.json", bad[i].json);
        ck_assert_int_eq(config_init(&c), 0);
        ck_assert_int_lt(config_load(&c, path, msg, sizeof(msg)), 0);
        /* The file, then the JSON path (or line:column) and what is wrong. */
        ck_assert(startswith(msg, path));
        ck_assert_msg(startswith(msg + strlen(path), bad[i].fragment), "\"%s\" lacks \"%s\"", msg,
                      bad[i].fragment);
        config_done(&c);
    }
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agent");
    TCase *service = tcase_create("service"), *hostile = tcase_create("hostile"),
          *sd = tcase_create("systemd"), *cfg = tcase_create("config");

    json_object_seed(0);
    tcase_set_timeout(service, 120);
    tcase_set_timeout(hostile, 300);
    tcase_add_test(service, info_over_unix_and_tcp);
    tcase_add_test(service, quotes_over_unix_and_tcp_verify);
    tcase_add_test(service, eventlog_comes_from_the_acpi_tables);
    tcase_add_test(service, tpm_eventlog_reads_a_generated_file);
    tcase_add_test(service, acpi_blobs_come_from_fw_cfg);
    tcase_add_test(service, configfs_quotes_through_the_socket);
    tcase_add_test(service, tdx_agent_call_reaches_any_op);
    tcase_add_test(hostile, malformed_frames_get_an_error_then_a_hangup);
    tcase_add_test(hostile, bad_requests_keep_the_connection);
    tcase_add_test(hostile, pipelined_requests_are_answered_in_order);
    tcase_add_test(hostile, many_connections_at_once);
    tcase_add_test(hostile, connections_over_the_cap_are_refused);
    tcase_add_test(hostile, stalled_and_idle_clients_are_dropped);
    tcase_add_test(hostile, requests_in_flight_are_capped);
    tcase_add_test(hostile, the_memory_budget_is_enforced);
    tcase_add_test(sd, notify_reaches_unix_and_abstract_sockets);
    tcase_add_test(sd, watchdog_and_listen_fds_follow_the_environment);
    tcase_add_test(sd, passed_sockets_are_taken);
    tcase_add_test(cfg, config_files_are_checked);
    suite_add_tcase(s, service);
    suite_add_tcase(s, hostile);
    suite_add_tcase(s, sd);
    suite_add_tcase(s, cfg);
    return run_suite(s);
}
