/* SPDX-License-Identifier: MIT */
/*
 * Attested secret delivery end to end: the agent binary ($TDX_AGENT_BIN)
 * with the sim quote provider on a unix socket, files under a temporary
 * root, and the host library pushing to it. Every way a push must fail
 * (measurements, the REPORTDATA binding under a key-swapping proxy, an
 * unknown root, tampering, replay, expiry, names and values against the
 * manifest) is checked to send or write nothing; then replacement,
 * concurrency, restarts, the unattested escape hatch, wait-secrets and
 * init mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "env-file.h"
#include "frame.h"
#include "helpers.h"
#include "hex.h"
#include "hpke.h"
#include "macro.h"
#include "raw-client.h"
#include "secrets-proto.h"

#define JWT "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define JWT2 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

struct env {
    char *dir;
    char root[4200], pki[4200], manifest[4200], ready[4200], sock[4200], addr[4300];
    char expected[4200];
    pid_t pid;
    unsigned uid, gid;    /* the owners the test root's accounts map to */
};

static const char *agent_bin(void)
{
    const char *b = getenv("TDX_AGENT_BIN");
    ck_assert_msg(b && *b, "TDX_AGENT_BIN is not set");
    return b;
}

static const char *manifest_text(bool unattested)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "{\"version\": 1,%s \"secrets\": ["
             "{\"name\": \"config\", \"dest\": \"/var/lib/app/config.json\", \"owner\": \"app\", "
             "\"group\": \"app\", \"mode\": \"0600\", \"required\": false, "
             "\"schema\": {\"kind\": \"json\", \"min_length\": 2, \"max_length\": 4096}},"
             "{\"name\": \"jwt\", \"dest\": \"/etc/node/jwt.hex\", \"owner\": \"node\", "
             "\"group\": \"node\", \"mode\": \"0440\", \"required\": true, "
             "\"schema\": {\"kind\": \"hex\", \"min_length\": 64, \"max_length\": 64}},"
             "{\"name\": \"token\", \"dest\": \"/etc/node/token\", \"owner\": \"root\", "
             "\"group\": \"node\", \"mode\": \"0640\", \"required\": true, "
             "\"schema\": {\"kind\": \"string\", \"min_length\": 8, \"max_length\": 64, "
             "\"pattern\": \"tok_[a-z0-9]+\"}}]}",
             unattested ? " \"insecure_allow_unattested\": true," : "");
    return buf;
}

static void env_init(struct env *e, bool unattested)
{
    tdx_error err = TDX_ERROR_INIT;
    char text[1024];
    FILE *f;

    memset(e, 0, sizeof(*e));
    e->dir = tmpdir_new();
    /* Root may give files to anyone; others only to themselves. */
    e->uid = geteuid() == 0 ? 4321 : geteuid();
    e->gid = geteuid() == 0 ? 8765 : getegid();
    snprintf(e->root, sizeof(e->root), "%s/root", e->dir);
    ck_assert_int_eq(mkdir(e->root, 0755), 0);
    snprintf(text, sizeof(text), "root:x:0:0:root:/root:/bin/sh\nnode:x:%u:%u::/:/bin/false\n"
             "app:x:%u:%u::/:/bin/false\n", e->uid, e->gid, e->uid, e->gid);
    write_text(e->root, "etc/passwd", text);
    snprintf(text, sizeof(text), "root:x:0:\nnode:x:%u:\napp:x:%u:\n", e->gid, e->gid);
    write_text(e->root, "etc/group", text);
    write_text(e->dir, "secrets.json", manifest_text(unattested));
    snprintf(e->manifest, sizeof(e->manifest), "%s/secrets.json", e->dir);
    snprintf(e->ready, sizeof(e->ready), "%s/run/secrets-ready", e->dir);
    snprintf(e->sock, sizeof(e->sock), "%s/agent.sock", e->dir);
    snprintf(e->addr, sizeof(e->addr), "unix:%s", e->sock);
    snprintf(e->pki, sizeof(e->pki), "%s/pki", e->dir);
    ck_assert_msg(tdx_sim_pki_create(e->pki, NULL, &err) == 0, "%s", err.message);
    /* The sim TD reports all-zero registers. */
    snprintf(e->expected, sizeof(e->expected), "%s/expected.json", e->dir);
    f = fopen(e->expected, "w");
    fprintf(f, "{\"registers\": {\"mrtd\": \"%0*d\", \"rtmr0\": \"%0*d\", \"rtmr1\": \"%0*d\", "
               "\"rtmr2\": \"%0*d\", \"rtmr3\": \"%0*d\"}}\n", 96, 0, 96, 0, 96, 0, 96, 0, 96, 0);
    fclose(f);
}

static pid_t spawn(const char *const *argv)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* The options that point a command at the environment's manifest, root
 * and ready file. */
static int add_secrets_args(const struct env *e, const char **argv, int n)
{
    argv[n++] = "--manifest";
    argv[n++] = e->manifest;
    argv[n++] = "--root-dir";
    argv[n++] = e->root;
    argv[n++] = "--ready-file";
    argv[n++] = e->ready;
    return n;
}

/* Starts the agent; extra arguments (NULL-terminated) go before the rest. */
static void agent_start(struct env *e, const char *const *extra)
{
    char provider[4300];
    const char *argv[32];
    int n = 0;

    unlink(e->sock);
    snprintf(provider, sizeof(provider), "sim:%s", e->pki);
    argv[n++] = agent_bin();
    for (size_t i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = "--listen";
    argv[n++] = e->addr;
    argv[n++] = "--quote-provider";
    argv[n++] = provider;
    n = add_secrets_args(e, argv, n);
    argv[n] = NULL;
    e->pid = spawn(argv);
}

static int agent_stop(struct env *e)
{
    int status = 0;
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        ck_assert_int_eq(waitpid(e->pid, &status, 0), e->pid);
        e->pid = 0;
    }
    return status;
}

static void env_done(struct env *e)
{
    int status = agent_stop(e);
    /* A clean exit (LSan reports leaks through the status in the sanitized build). */
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "agent exit status %d", status);
    tmpdir_remove(e->dir);
}

static tdx_agent *connect_to(const char *addr)
{
    tdx_agent_options o = TDX_AGENT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *a = NULL;
    o.connect_timeout_ms = 20000;
    ck_assert_msg(tdx_agent_connect(&a, addr, &o, &err) == 0, "%s", err.message);
    return a;
}

static tdx_secrets *secrets_of(const char *const *kv)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_secrets *s = NULL;
    ck_assert_int_eq(tdx_secrets_new(&s, &err), 0);
    for (size_t i = 0; kv[i]; i += 2)
        ck_assert_msg(tdx_secrets_add(s, kv[i], kv[i + 1], strlen(kv[i + 1]), &err) == 0, "%s",
                      err.message);
    return s;
}

/* Pushes with the sim PKI's root (or root_override) and the expected file
 * (or expected_override), as sender_key (NULL: base mode); returns the
 * library's code, err filled. */
static int push_as(struct env *e, tdx_agent *a, tdx_secrets *s, const char *root_override,
                   const char *expected_override, const uint8_t *sender_key,
                   tdx_push_result **res, tdx_error *err)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options v = TDX_VERIFY_OPTIONS_INIT;
    tdx_push_options po = TDX_PUSH_OPTIONS_INIT;
    tdx_verifier *verifier = NULL;
    tdx_expected *expected = NULL;
    char root[4300];
    int r;

    snprintf(root, sizeof(root), "%s/root.pem", e->pki);
    vo.root_file = root_override ? root_override : root;
    ck_assert_int_eq(tdx_verifier_new(&verifier, &vo, err), 0);
    ck_assert_msg(tdx_expected_load_file(&expected, expected_override ? expected_override
                                                                       : e->expected, err) == 0,
                  "%s", err->message);
    v.expected = expected;
    po.verifier = verifier;
    po.verify = &v;
    po.sender_key = sender_key;
    r = tdx_secrets_push(a, s, &po, res, err);
    tdx_expected_free(expected);
    tdx_verifier_free(verifier);
    return r;
}

static int push(struct env *e, tdx_agent *a, tdx_secrets *s, const char *root_override,
                const char *expected_override, tdx_push_result **res, tdx_error *err)
{
    return push_as(e, a, s, root_override, expected_override, NULL, res, err);
}

/* A fresh environment with its agent running (extra: more agent options)
 * and a connection to it. */
static tdx_agent *start_session(struct env *e, bool unattested, const char *const *extra)
{
    env_init(e, unattested);
    agent_start(e, extra);
    return connect_to(e->addr);
}

/* Pushes name/value pairs the agent must accept. */
static void push_ok(struct env *e, tdx_agent *a, const char *const *kv)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_secrets *s = secrets_of(kv);
    ck_assert_msg(push(e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    tdx_secrets_free(s);
}

static char *file_at(const struct env *e, const char *dest, struct stat *st)
{
    char path[8400];
    size_t len;
    snprintf(path, sizeof(path), "%s%s", e->root, dest);
    if (st && stat(path, st) < 0)
        return NULL;
    return read_text(path, &len);
}

static void expect_absent(const struct env *e, const char *dest)
{
    char path[8400];
    snprintf(path, sizeof(path), "%s%s", e->root, dest);
    ck_assert_msg(access(path, F_OK) < 0, "%s exists", path);
}

static json_t *status(tdx_agent *a)
{
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    json_t *o;
    ck_assert_msg(tdx_secrets_status(a, &text, &err) == 0, "%s", err.message);
    o = json_loads(text, 0, NULL);
    tdx_free(text);
    return o;
}

static bool is_ready(tdx_agent *a)
{
    json_t *o = status(a);
    bool r = json_is_true(json_object_get(o, "ready"));
    json_decref(o);
    return r;
}

/* No temporary file or kept link is left in a directory. */
static void expect_no_leftovers(const struct env *e, const char *dir)
{
    char cmd[8600], *out;
    snprintf(cmd, sizeof(cmd), "ls -A '%s%s' 2>/dev/null | grep '^\\.tdx-' || true", e->root, dir);
    out = sh_output(cmd);
    ck_assert_msg(!*out, "left in %s: %s", dir, out);
    free(out);
}

START_TEST(push_writes_files_and_turns_ready)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", "config",
                                      "{\"a\": [1, 2]}", NULL };
    tdx_error err = TDX_ERROR_INIT;
    tdx_push_result *res = NULL;
    struct env e;
    struct stat st;
    tdx_agent *a;
    tdx_secrets *s;
    char *text, *json;

    a = start_session(&e, false, NULL);
    ck_assert(!is_ready(a));
    ck_assert_int_lt(access(e.ready, F_OK), 0);
    s = secrets_of(kv);
    ck_assert_msg(push(&e, a, s, NULL, NULL, &res, &err) == 0, "%s", err.message);
    ck_assert(tdx_push_result_delivered(res));
    ck_assert(tdx_verification_ok(tdx_push_result_verification(res)));
    ck_assert_int_eq(tdx_push_result_to_json(res, &json, &err), 0);
    ck_assert_contains(json, "\"ready\":true");
    ck_assert_contains(json, "\"attested\":true");
    ck_assert_contains(json, "\"name\":\"jwt\",\"sha256\":\"");
    ck_assert_msg(!strstr(json, JWT) && !strstr(json, "tok_abc123"), "a value in %s", json);
    tdx_free(json);

    text = file_at(&e, "/etc/node/jwt.hex", &st);
    ck_assert_str_eq(text, JWT);
    ck_assert_uint_eq(st.st_mode & 07777, 0440);
    ck_assert_uint_eq(st.st_uid, e.uid);
    ck_assert_uint_eq(st.st_gid, e.gid);
    free(text);
    text = file_at(&e, "/etc/node/token", &st);
    ck_assert_str_eq(text, "tok_abc123");
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    ck_assert_uint_eq(st.st_uid, geteuid() == 0 ? 0 : e.uid);
    free(text);
    text = file_at(&e, "/var/lib/app/config.json", &st);
    ck_assert_str_eq(text, "{\"a\": [1, 2]}");
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    free(text);
    /* Missing directories were made 0755. */
    {
        char path[8400];
        snprintf(path, sizeof(path), "%s/var/lib/app", e.root);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0755);
    }
    expect_no_leftovers(&e, "/etc/node");
    ck_assert(is_ready(a));
    ck_assert_int_eq(access(e.ready, F_OK), 0);
    tdx_push_result_free(res);
    tdx_secrets_free(s);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

/* A proxy between host and agent that swaps the agent's public key in
 * challenge replies for its own: the attack the REPORTDATA binding stops. */
struct proxy {
    char listen_path[4300], upstream[4300];
    int lfd;
    pthread_t thread;
    atomic_int delivers;
};

static bool read_frame(int fd, uint8_t **payload, size_t *len)
{
    uint8_t hdr[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(fd, hdr + got, 4 - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    *len = ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3];
    *payload = malloc(*len + 1);
    for (got = 0; got < *len;) {
        ssize_t n = read(fd, *payload + got, *len - got);
        if (n <= 0) {
            free(*payload);
            return false;
        }
        got += (size_t)n;
    }
    return true;
}

static void write_frame(int fd, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    size_t n = strlen(text);
    uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    raw_send(fd, hdr, 4);
    raw_send(fd, text, n);
    free(text);
}

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;
    int c = accept(p->lfd, NULL, NULL), u = raw_connect_unix(p->upstream);
    uint8_t sk[HPKE_NSK], pk[HPKE_NPK];
    char pk_hex[2 * HPKE_NPK + 1];

    hpke_keypair_generate(sk, pk);
    hex_encode(pk, sizeof(pk), pk_hex);
    for (;;) {
        uint8_t *payload;
        size_t len;
        json_t *req, *reply;
        if (!read_frame(c, &payload, &len))
            break;
        req = json_loadb((const char *)payload, len, 0, NULL);
        free(payload);
        if (streq(json_string_value(json_object_get(req, "op")), "secrets.deliver"))
            atomic_fetch_add(&p->delivers, 1);
        write_frame(u, req);
        json_decref(req);
        if (!read_frame(u, &payload, &len))
            break;
        reply = json_loadb((const char *)payload, len, 0, NULL);
        free(payload);
        if (json_object_get(reply, "public_key"))
            json_object_set_new(reply, "public_key", json_string(pk_hex));
        write_frame(c, reply);
        json_decref(reply);
    }
    close(c);
    close(u);
    return NULL;
}

static void proxy_start(struct proxy *p, const struct env *e)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    memset(p, 0, sizeof(*p));
    snprintf(p->listen_path, sizeof(p->listen_path), "%s/proxy.sock", e->dir);
    snprintf(p->upstream, sizeof(p->upstream), "%s", e->sock);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", p->listen_path);
    p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&un, sizeof(un)), 0);
    ck_assert_int_eq(listen(p->lfd, 4), 0);
    pthread_create(&p->thread, NULL, proxy_main, p);
}

START_TEST(failed_verification_sends_nothing)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_error err = TDX_ERROR_INIT, err2 = TDX_ERROR_INIT;
    tdx_push_result *res = NULL;
    struct env e;
    struct proxy p;
    tdx_agent *a, *via;
    tdx_secrets *s;
    char wrong[4300], other_pki[4300], other_root[4400], addr[4400];
    FILE *f;

    a = start_session(&e, false, NULL);
    s = secrets_of(kv);

    /* Another MRTD than the TD reports. */
    snprintf(wrong, sizeof(wrong), "%s/wrong.json", e.dir);
    f = fopen(wrong, "w");
    fprintf(f, "{\"registers\": {\"mrtd\": \"%096d\"}}\n", 1);
    fclose(f);
    ck_assert_int_eq(push(&e, a, s, NULL, wrong, &res, &err), -EPERM);
    ck_assert_contains(err.message, "quote: measurements: ");
    ck_assert_ptr_nonnull(res);
    ck_assert(!tdx_push_result_delivered(res));
    ck_assert(!tdx_push_result_sent(res));
    ck_assert_int_eq(tdx_verification_failed_step(tdx_push_result_verification(res)),
                     TDX_VERIFY_STEP_MEASUREMENTS);
    tdx_push_result_free(res);

    /* A quote chained to a root the host does not trust. */
    snprintf(other_pki, sizeof(other_pki), "%s/other-pki", e.dir);
    ck_assert_int_eq(tdx_sim_pki_create(other_pki, NULL, &err2), 0);
    snprintf(other_root, sizeof(other_root), "%s/root.pem", other_pki);
    ck_assert_int_eq(push(&e, a, s, other_root, NULL, &res, &err), -EKEYREJECTED);
    ck_assert_contains(err.message, "quote: pck_chain: ");
    tdx_push_result_free(res);

    /* The agent's key swapped on the way: the quote binds the real one. */
    proxy_start(&p, &e);
    snprintf(addr, sizeof(addr), "unix:%s", p.listen_path);
    via = connect_to(addr);
    ck_assert_int_eq(push(&e, via, s, NULL, NULL, &res, &err), -EPERM);
    ck_assert_contains(err.message, "quote: report_data: ");
    ck_assert_int_eq(tdx_verification_failed_step(tdx_push_result_verification(res)),
                     TDX_VERIFY_STEP_REPORT_DATA);
    tdx_push_result_free(res);
    tdx_agent_free(via);
    pthread_join(p.thread, NULL);
    close(p.lfd);
    ck_assert_int_eq(atomic_load(&p.delivers), 0);

    /* Nothing reached the disk. */
    expect_absent(&e, "/etc/node/jwt.hex");
    expect_absent(&e, "/etc/node/token");
    ck_assert(!is_ready(a));
    /* Without expected measurements nothing is even asked. */
    {
        tdx_push_options po = TDX_PUSH_OPTIONS_INIT;
        tdx_verifier *v = NULL;
        ck_assert_int_eq(tdx_verifier_new(&v, NULL, &err), 0);
        po.verifier = v;
        ck_assert_int_eq(tdx_secrets_push(a, s, &po, NULL, &err), -EINVAL);
        ck_assert_contains(err.message, "no expected measurements");
        tdx_verifier_free(v);
    }
    tdx_secrets_free(s);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

/* A challenge by hand, for the tests that misbehave on purpose. */
struct manual {
    char id[SECRETS_CHALLENGE_ID_MAX + 1];
    uint8_t nonce[SECRETS_NONCE_SIZE], pk[HPKE_NPK];
};

static void manual_challenge(tdx_agent *a, struct manual *m)
{
    tdx_error err = TDX_ERROR_INIT;
    char params[200], hexn[65], *reply = NULL;
    json_t *o;

    for (size_t i = 0; i < sizeof(m->nonce); i++)
        m->nonce[i] = (uint8_t)rand();
    hex_encode(m->nonce, sizeof(m->nonce), hexn);
    snprintf(params, sizeof(params), "{\"nonce\": \"%s\"}", hexn);
    ck_assert_msg(tdx_agent_call(a, "secrets.challenge", params, &reply, &err) == 0, "%s",
                  err.message);
    o = json_loads(reply, 0, NULL);
    tdx_free(reply);
    snprintf(m->id, sizeof(m->id), "%s", json_string_value(json_object_get(o, "challenge_id")));
    ck_assert_int_eq(hex_decode(json_string_value(json_object_get(o, "public_key")), m->pk, 32), 32);
    json_decref(o);
}

enum tamper { TAMPER_NONE, TAMPER_CIPHERTEXT, TAMPER_AAD };

/* The deliver parameters for plaintext, sealed to the challenge. */
/* Sealed by the holder of sender_sk (NULL: base mode), claiming to be
 * claimed_pk (the public key of sender_sk when NULL). */
static char *manual_seal_as(const struct manual *m, const char *plaintext, enum tamper t,
                            const uint8_t *sender_sk, const uint8_t *claimed_pk);

static char *manual_seal(const struct manual *m, const char *plaintext, enum tamper t)
{
    return manual_seal_as(m, plaintext, t, NULL, NULL);
}

static char *manual_seal_as(const struct manual *m, const char *plaintext, enum tamper t,
                            const uint8_t *sender_sk, const uint8_t *claimed_pk)
{
    uint8_t info[SECRETS_INFO_SIZE], enc[32];
    size_t n = strlen(plaintext);
    uint8_t *ct = malloc(n + HPKE_NT);
    char *b64 = malloc(base64_encoded_len(n + HPKE_NT) + 1), enc_hex[65], *out;
    struct hpke_ctx c;
    json_t *o;

    secrets_hpke_info(m->nonce, info);
    if (sender_sk)
        ck_assert_int_eq(hpke_setup_auth_s(m->pk, sender_sk, info, sizeof(info), NULL, enc, &c),
                         0);
    else
        ck_assert_int_eq(hpke_setup_base_s(m->pk, info, sizeof(info), NULL, enc, &c), 0);
    ck_assert_int_eq(hpke_seal(&c, (const uint8_t *)(t == TAMPER_AAD ? "another-id" : m->id),
                               t == TAMPER_AAD ? 10 : strlen(m->id), (const uint8_t *)plaintext,
                               n, ct), 0);
    if (t == TAMPER_CIPHERTEXT)
        ct[n / 2] ^= 0x20;
    base64_encode(ct, n + HPKE_NT, b64);
    hex_encode(enc, sizeof(enc), enc_hex);
    o = json_pack("{s:s, s:s, s:s}", "challenge_id", m->id, "enc", enc_hex, "ciphertext", b64);
    if (sender_sk) {
        uint8_t pk[HPKE_NPK];
        char pk_hex[2 * HPKE_NPK + 1];
        if (!claimed_pk) {
            ck_assert_int_eq(hpke_public_key(sender_sk, pk), 0);
            claimed_pk = pk;
        }
        hex_encode(claimed_pk, HPKE_NPK, pk_hex);
        json_object_set_new(o, "sender_key", json_string(pk_hex));
    }
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(ct);
    free(b64);
    return out;
}

static int manual_deliver(tdx_agent *a, const char *params, tdx_error *err)
{
    char *reply = NULL;
    int r = tdx_agent_call(a, "secrets.deliver", params, &reply, err);
    tdx_free(reply);
    return r;
}

/* One misbehaving delivery: refused with code and message, nothing changed. */
static void expect_refused(struct env *e, tdx_agent *a, const char *plaintext, enum tamper t,
                           int code, const char *fragment)
{
    tdx_error err = TDX_ERROR_INIT;
    struct manual m;
    char *params, *jwt;

    manual_challenge(a, &m);
    params = manual_seal(&m, plaintext, t);
    ck_assert_int_eq(manual_deliver(a, params, &err), code);
    ck_assert_msg(strstr(err.message, fragment), "\"%s\" lacks \"%s\"", err.message, fragment);
    ck_assert_msg(!strstr(err.message, "tok_new") && !strstr(err.message, JWT2),
                  "a value in: %s", err.message);
    free(params);
    jwt = file_at(e, "/etc/node/jwt.hex", NULL);
    ck_assert_str_eq(jwt, JWT);   /* untouched */
    free(jwt);
    expect_absent(e, "/var/lib/app/config.json");
    expect_no_leftovers(e, "/etc/node");
}

START_TEST(bad_deliveries_change_nothing)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    const char *ttl[] = { "--challenge-ttl", "300", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct env e;
    struct manual m;
    tdx_agent *a;
    tdx_secrets *s;
    char *params, good[256], *big;

    a = start_session(&e, false, ttl);
    s = secrets_of(kv);
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    snprintf(good, sizeof(good), "{\"jwt\": \"%s\", \"config\": \"{}\"}", JWT2);

    expect_refused(&e, a, good, TAMPER_CIPHERTEXT, -EBADMSG, "do not open");
    expect_refused(&e, a, good, TAMPER_AAD, -EBADMSG, "do not open");
    expect_refused(&e, a, "{\"jwt\": \"" JWT2 "\", \"nope\": \"x\"}", TAMPER_NONE, -EINVAL,
                   "unknown secret \"nope\"");
    expect_refused(&e, a, "{\"jwt\": \"" JWT2 "\", \"token\": \"tok_NEW_UPPER\"}", TAMPER_NONE,
                   -EINVAL, "secret \"token\": does not match the schema's pattern");
    expect_refused(&e, a, "{\"jwt\": \"00ff\"}", TAMPER_NONE, -EINVAL,
                   "secret \"jwt\": expected 64 to 64 bytes, got 4");
    expect_refused(&e, a, "{\"config\": \"{\\\"a\\\":}\", \"jwt\": \"" JWT2 "\"}", TAMPER_NONE,
                   -EINVAL, "secret \"config\": expected one JSON value");
    expect_refused(&e, a, "{}", TAMPER_NONE, -EINVAL, "holds no secrets");
    expect_refused(&e, a, "[\"jwt\"]", TAMPER_NONE, -EINVAL, "expected a JSON object");
    /* Oversize: a value past its schema's bound, in a well-formed delivery. */
    big = malloc(6000);
    snprintf(big, 6000, "{\"jwt\": \"" JWT2 "\", \"config\": \"[%0*d]\"}", 5000, 0);
    expect_refused(&e, a, big, TAMPER_NONE, -EINVAL, "secret \"config\": expected 2 to 4096 "
                   "bytes, got 5002");
    free(big);

    /* A delivery answered twice: the second finds no challenge. */
    manual_challenge(a, &m);
    snprintf(good, sizeof(good), "{\"jwt\": \"%s\"}", JWT);
    params = manual_seal(&m, good, TAMPER_NONE);
    ck_assert_msg(manual_deliver(a, params, &err) == 0, "%s", err.message);
    ck_assert_int_eq(manual_deliver(a, params, &err), -ESTALE);
    ck_assert_contains(err.message, "no open challenge");
    free(params);
    /* A challenge answered after it expired. */
    manual_challenge(a, &m);
    params = manual_seal(&m, "{\"jwt\": \"" JWT2 "\"}", TAMPER_NONE);
    usleep(500 * 1000);
    ck_assert_int_eq(manual_deliver(a, params, &err), -ESTALE);
    ck_assert_contains(err.message, "expired");
    free(params);
    {
        char *jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
        ck_assert_str_eq(jwt, JWT);
        free(jwt);
    }
    /* Too much for one frame is refused before anything is sent. */
    {
        tdx_secrets *huge = NULL;
        char *v = malloc(900 * 1024 + 1);
        memset(v, 'a', 900 * 1024);
        ck_assert_int_eq(tdx_secrets_new(&huge, &err), 0);
        ck_assert_int_eq(tdx_secrets_add(huge, "config", v, 900 * 1024, &err), 0);
        ck_assert_int_eq(push(&e, a, huge, NULL, NULL, NULL, &err), -EMSGSIZE);
        ck_assert_contains(err.message, "push them in parts");
        tdx_secrets_free(huge);
        free(v);
    }
    /* Through the library: sent, refused by the agent, nothing changed. */
    {
        static const char *const bad[] = { "jwt", "00ff", NULL };
        tdx_secrets *b = secrets_of(bad);
        tdx_push_result *res = NULL;
        char *jwt;
        ck_assert_int_eq(push(&e, a, b, NULL, NULL, &res, &err), -EINVAL);
        ck_assert_contains(err.message, "secret \"jwt\": expected 64 to 64 bytes, got 4");
        ck_assert(tdx_push_result_sent(res) && tdx_push_result_refused(res));
        ck_assert(!tdx_push_result_delivered(res));
        tdx_push_result_free(res);
        tdx_secrets_free(b);
        jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
        ck_assert_str_eq(jwt, JWT);
        free(jwt);
    }
    ck_assert(is_ready(a));
    tdx_secrets_free(s);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

START_TEST(replacing_one_keeps_the_others)
{
    static const char *const first[] = { "jwt", JWT, "token", "tok_first1", NULL };
    static const char *const second[] = { "token", "tok_second2", NULL };
    struct env e;
    tdx_agent *a;
    char *v;

    a = start_session(&e, false, NULL);
    push_ok(&e, a, first);
    push_ok(&e, a, second);
    v = file_at(&e, "/etc/node/token", NULL);
    ck_assert_str_eq(v, "tok_second2");
    free(v);
    v = file_at(&e, "/etc/node/jwt.hex", NULL);
    ck_assert_str_eq(v, JWT);
    free(v);
    ck_assert(is_ready(a));
    expect_no_leftovers(&e, "/etc/node");
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

#define PUSHERS 6
#define ROUNDS 8

struct pusher {
    struct env *e;
    int index;
    int failures;
};

static void *pusher_main(void *arg)
{
    struct pusher *p = arg;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *a = connect_to(p->e->addr);
    char jwt[65], token[32];

    /* Both values carry the pusher's index, so a mixed state shows. */
    memset(jwt, '0' + p->index, 64);
    jwt[64] = '\0';
    snprintf(token, sizeof(token), "tok_pusher%d", p->index);
    for (int r = 0; r < ROUNDS; r++) {
        const char *kv[] = { "jwt", jwt, "token", token, NULL };
        tdx_secrets *s = secrets_of(kv);
        if (push(p->e, a, s, NULL, NULL, NULL, &err) < 0)
            p->failures++;
        tdx_secrets_free(s);
    }
    tdx_agent_free(a);
    return NULL;
}

START_TEST(concurrent_pushes_end_consistent)
{
    const char *more[] = { "--workers", "4", NULL };
    pthread_t t[PUSHERS];
    struct pusher p[PUSHERS];
    struct env e;
    char *jwt, *token, want[32];

    env_init(&e, false);
    agent_start(&e, more);
    for (int i = 0; i < PUSHERS; i++) {
        p[i] = (struct pusher){ &e, i + 1, 0 };
        pthread_create(&t[i], NULL, pusher_main, &p[i]);
    }
    for (int i = 0; i < PUSHERS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(p[i].failures, 0);
    }
    jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
    token = file_at(&e, "/etc/node/token", NULL);
    snprintf(want, sizeof(want), "tok_pusher%c", jwt[0]);
    ck_assert_str_eq(token, want);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(jwt[i], jwt[0]);
    free(jwt);
    free(token);
    expect_no_leftovers(&e, "/etc/node");
    env_done(&e);
}
END_TEST

START_TEST(restart_rechecks_what_is_on_disk)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    struct env e;
    tdx_agent *a;
    char path[8400];

    a = start_session(&e, false, NULL);
    push_ok(&e, a, kv);
    tdx_agent_free(a);
    ck_assert_int_eq(agent_stop(&e), 0);

    /* Leftovers of an interrupted delivery are cleaned up; valid files count. */
    write_text(e.root, "etc/node/.tdx-secret-0123456789abcdef", "half");
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    ck_assert(is_ready(a));
    ck_assert_int_eq(access(e.ready, F_OK), 0);
    expect_no_leftovers(&e, "/etc/node");
    tdx_agent_free(a);
    ck_assert_int_eq(agent_stop(&e), 0);

    /* A file that fails its schema does not count; the stale ready file goes. */
    snprintf(path, sizeof(path), "%s/etc/node/token", e.root);
    chmod(path, 0600);
    write_text(e.root, "etc/node/token", "not a token");
    ck_assert_int_eq(access(e.ready, F_OK), 0);
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    {
        json_t *o = status(a);
        ck_assert(!json_is_true(json_object_get(o, "ready")));
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "missing"), 0)),
                         "token");
        json_decref(o);
    }
    ck_assert_int_lt(access(e.ready, F_OK), 0);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

START_TEST(unattested_needs_both_sides)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_push_options po = TDX_PUSH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_push_result *res = NULL;
    struct env e;
    tdx_agent *a;
    tdx_secrets *s = secrets_of(kv);
    char *json;

    po.insecure_unattested = 1;
    /* The image does not allow it. */
    a = start_session(&e, false, NULL);
    ck_assert_int_eq(tdx_secrets_push(a, s, &po, &res, &err), -EPERM);
    ck_assert_contains(err.message, "does not allow deliveries without a quote");
    ck_assert_ptr_null(res);
    expect_absent(&e, "/etc/node/jwt.hex");
    tdx_agent_free(a);
    env_done(&e);

    /* The image allows it and the push asks for it. */
    a = start_session(&e, true, NULL);
    ck_assert_msg(tdx_secrets_push(a, s, &po, &res, &err) == 0, "%s", err.message);
    ck_assert_ptr_null(tdx_push_result_verification(res));
    ck_assert_int_eq(tdx_push_result_to_json(res, &json, &err), 0);
    ck_assert_contains(json, "\"attested\":false");
    tdx_free(json);
    tdx_push_result_free(res);
    ck_assert(is_ready(a));
    tdx_agent_free(a);
    env_done(&e);
    tdx_secrets_free(s);
}
END_TEST

/* tdx-agent wait-secrets for the environment, with a timeout of timeout
 * (argv[9], which a test may change). */
static void wait_secrets_argv(const struct env *e, const char **argv, const char *timeout)
{
    int n = 0;
    argv[n++] = agent_bin();
    argv[n++] = "wait-secrets";
    n = add_secrets_args(e, argv, n);
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    argv[n] = NULL;
}

START_TEST(wait_secrets_returns_once_ready)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct env e;
    tdx_agent *a;
    tdx_secrets *s = secrets_of(kv);
    const char *argv[16];
    int status;
    pid_t w;
    struct timespec t0, t1;

    env_init(&e, false);
    wait_secrets_argv(&e, argv, "1");
    /* Nothing there: it gives up after its timeout. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    w = spawn(argv);
    ck_assert_int_eq(waitpid(w, &status, 0), w);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    ck_assert_int_ge(t1.tv_sec - t0.tv_sec, 1);

    argv[9] = "60";
    w = spawn(argv);
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    usleep(300 * 1000);
    ck_assert_int_eq(waitpid(w, &status, WNOHANG), 0);   /* still waiting */
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(waitpid(w, &status, 0), w);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_le(t1.tv_sec - t0.tv_sec, 5);
    tdx_agent_free(a);
    tdx_secrets_free(s);
    env_done(&e);
}
END_TEST

/* The test manifest with three senders: ops may set everything, dev only
 * config, rot only jwt; replace as given. */
struct senders {
    uint8_t sk[4][HPKE_NSK], pk[4][HPKE_NPK];   /* ops, dev, rot, and a stranger */
};
enum { OPS, DEV, ROT, STRANGER };

static void senders_manifest(struct env *e, struct senders *k, const char *replace)
{
    char hex[3][2 * HPKE_NPK + 1], *text = malloc(8192);
    const char *base = manifest_text(false);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(hpke_keypair_generate(k->sk[i], k->pk[i]), 0);
    for (int i = 0; i < 3; i++)
        hex_encode(k->pk[i], HPKE_NPK, hex[i]);
    /* The base manifest without its closing brace, then the senders. */
    snprintf(text, 8192, "%.*s, \"replace\": \"%s\", \"senders\": ["
             "{\"name\": \"ops\", \"public_key\": \"%s\"},"
             "{\"name\": \"dev\", \"public_key\": \"%s\", \"secrets\": [\"config\"]},"
             "{\"name\": \"rot\", \"public_key\": \"%s\", \"secrets\": [\"jwt\"]}]}",
             (int)(strrchr(base, '}') - base), base, replace, hex[0], hex[1], hex[2]);
    write_text(e->dir, "secrets.json", text);
    free(text);
}

/* A push as sender k (-1: base mode) that the agent refuses with code and
 * fragment, changing nothing: jwt keeps want_jwt (NULL: absent). */
static void expect_sender_refused(struct env *e, tdx_agent *a, const struct senders *k, int who,
                                  const char *const *kv, int code, const char *fragment,
                                  const char *want_jwt)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_push_result *res = NULL;
    tdx_secrets *s = secrets_of(kv);
    char *jwt;

    ck_assert_int_eq(push_as(e, a, s, NULL, NULL, who >= 0 ? k->sk[who] : NULL, &res, &err),
                     code);
    ck_assert_msg(strstr(err.message, fragment), "\"%s\" lacks \"%s\"", err.message, fragment);
    ck_assert(tdx_push_result_sent(res) && tdx_push_result_refused(res));
    ck_assert(!tdx_push_result_delivered(res));
    tdx_push_result_free(res);
    tdx_secrets_free(s);
    if (want_jwt) {
        jwt = file_at(e, "/etc/node/jwt.hex", NULL);
        ck_assert_str_eq(jwt, want_jwt);
        free(jwt);
    } else {
        expect_absent(e, "/etc/node/jwt.hex");
    }
    expect_absent(e, "/var/lib/app/config.json");
}

static void push_as_ok(struct env *e, tdx_agent *a, const struct senders *k, int who,
                       const char *const *kv, const char *want_sender)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_push_result *res = NULL;
    tdx_secrets *s = secrets_of(kv);
    ck_assert_msg(push_as(e, a, s, NULL, NULL, k->sk[who], &res, &err) == 0, "%s", err.message);
    ck_assert_str_eq(tdx_push_result_sender(res), want_sender);
    tdx_push_result_free(res);
    tdx_secrets_free(s);
}

static const char *status_sender(tdx_agent *a, const char *name)
{
    static char buf[64];
    json_t *o = status(a), *v;
    size_t i;
    buf[0] = '\0';
    json_array_foreach(json_object_get(o, "secrets"), i, v)
        if (streq(json_string_value(json_object_get(v, "name")), name) &&
            json_is_string(json_object_get(v, "sender")))
            snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(v, "sender")));
    json_decref(o);
    return buf;
}

START_TEST(senders_decide_who_delivers)
{
    static const char *const both[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    static const char *const jwt2[] = { "jwt", JWT2, NULL };
    static const char *const config[] = { "config", "{\"a\": 1}", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct senders k;
    struct manual m;
    struct env e;
    tdx_agent *a;
    char *params, *jwt;
    json_t *o;

    env_init(&e, false);
    senders_manifest(&e, &k, "same-sender");
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    o = status(a);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "senders")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(o, "replace")), "same-sender");
    json_decref(o);

    /* Refused, nothing written: base mode, an unlisted key, a sender
     * outside its secrets, a delivery claiming ops's key but sealed with
     * another. */
    expect_sender_refused(&e, a, &k, -1, both, -EPERM, "(HPKE base mode) is refused", NULL);
    expect_sender_refused(&e, a, &k, STRANGER, both, -EPERM, "is not one of this image's senders",
                          NULL);
    expect_sender_refused(&e, a, &k, DEV, both, -EPERM, "sender \"dev\" may not set secret "
                          "\"jwt\"", NULL);
    manual_challenge(a, &m);
    params = manual_seal_as(&m, "{\"jwt\": \"" JWT "\"}", TAMPER_NONE, k.sk[STRANGER], k.pk[OPS]);
    ck_assert_int_eq(manual_deliver(a, params, &err), -EBADMSG);
    ck_assert_contains(err.message, "sender \"ops\"'s public key");
    free(params);
    expect_absent(&e, "/etc/node/jwt.hex");
    ck_assert(!is_ready(a));

    /* The right sender: written, and the agent says who. */
    push_as_ok(&e, a, &k, OPS, both, "ops");
    jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
    ck_assert_str_eq(jwt, JWT);
    free(jwt);
    ck_assert_str_eq(status_sender(a, "jwt"), "ops");
    ck_assert(is_ready(a));
    /* Another sender may not replace what ops delivered; ops may. */
    expect_sender_refused(&e, a, &k, ROT, jwt2, -EPERM, "was delivered by sender \"ops\"", JWT);
    push_as_ok(&e, a, &k, OPS, jwt2, "ops");
    push_as_ok(&e, a, &k, DEV, config, "dev");
    ck_assert_str_eq(status_sender(a, "config"), "dev");
    tdx_agent_free(a);
    agent_stop(&e);

    /* After a restart nobody knows who delivered: same-sender refuses. */
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    ck_assert(is_ready(a));
    ck_assert_str_eq(status_sender(a, "jwt"), "");
    {
        static const char *const back[] = { "jwt", JWT, NULL };
        tdx_secrets *s = secrets_of(back);
        ck_assert_int_eq(push_as(&e, a, s, NULL, NULL, k.sk[OPS], NULL, &err), -EPERM);
        ck_assert_contains(err.message, "an earlier run of the agent");
        tdx_secrets_free(s);
    }
    jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
    ck_assert_str_eq(jwt, JWT2);
    free(jwt);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

START_TEST(replace_never_keeps_the_first_delivery)
{
    static const char *const both[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    static const char *const jwt2[] = { "jwt", JWT2, NULL };
    struct senders k;
    struct env e;
    tdx_agent *a;

    env_init(&e, false);
    senders_manifest(&e, &k, "never");
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    push_as_ok(&e, a, &k, OPS, both, "ops");
    expect_sender_refused(&e, a, &k, OPS, jwt2, -EPERM, "replace policy is \"never\"", JWT);
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

static int env_collect(const char *key, const char *value, void *userdata)
{
    json_t *o = userdata;
    json_object_set_new(o, key, json_string(value));
    return 0;
}

/* The variables of an environment file below the root, read with systemd's
 * EnvironmentFile= rules (shared/env-file.c); NULL when it is missing. */
static json_t *env_of(const struct env *e, const char *file, struct stat *st)
{
    char path[8400], msg[256], *text;
    size_t len;
    json_t *o;
    snprintf(path, sizeof(path), "%s/run/tdx-secrets/env/%s", e->root, file);
    if (lstat(path, st) < 0)
        return NULL;
    text = read_text(path, &len);
    o = json_object();
    ck_assert_msg(env_file_parse(text, len, env_collect, o, msg, sizeof(msg)) == 0, "%s", msg);
    free(text);
    return o;
}

/* A value with quotes, $, backslashes and newlines reaches the services'
 * environment files byte for byte; the files change with the secrets' files
 * or not at all; a restarted agent counts what is in them. */
START_TEST(environment_targets)
{
    /* What a shell or an env file could mangle, and that systemd passes on
     * (no NUL, no control character but tab and newline: refused for
     * environments). */
    static const char nasty[] = "a \"quoted\" 'single' $HOME ${X} `cmd` back\\slash\\\n"
                                "second line\n\ttab \\\" end\\";
    const char *kv[] = { "api", nasty, "svc_key", "k-123", "jwt", JWT, "token", "tok_abc123",
                         NULL };
    static const char *const bad[] = { "api", "x", "jwt", JWT2, "token", "tok_bad", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct stat st;
    struct env e;
    tdx_agent *a;
    tdx_secrets *s;
    json_t *g, *svc;
    char text[3000], *jwt;

    env_init(&e, false);
    snprintf(text, sizeof(text),
             "%.*s, {\"name\": \"api\", \"env\": [{\"name\": \"API_TOKEN\", \"scope\": \"global\"}, "
             "{\"name\": \"TOKEN\", \"scope\": \"service:app\"}], \"owner\": \"root\", "
             "\"group\": \"root\", \"mode\": \"0400\", \"required\": true, \"schema\": "
             "{\"kind\": \"string\", \"min_length\": 2, \"max_length\": 200}},"
             "{\"name\": \"svc_key\", \"dest\": \"/etc/node/svc.key\", \"env\": [{\"name\": "
             "\"SVC_KEY\", \"scope\": \"service:app\"}], \"owner\": \"root\", \"group\": "
             "\"root\", \"mode\": \"0400\", \"required\": false, \"schema\": {\"kind\": "
             "\"string\", \"min_length\": 1, \"max_length\": 64}}]}",
             (int)(strrchr(manifest_text(false), ']') - manifest_text(false)),
             manifest_text(false));
    write_text(e.dir, "secrets.json", text);
    agent_start(&e, NULL);
    a = connect_to(e.addr);

    s = secrets_of(kv);
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    tdx_secrets_free(s);
    ck_assert(is_ready(a));
    g = env_of(&e, "global.env", &st);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(st.st_mode & 07777, 0400);
    ck_assert_uint_eq(json_object_size(g), 1);
    ck_assert_uint_eq(json_string_length(json_object_get(g, "API_TOKEN")), strlen(nasty));
    ck_assert_mem_eq(json_string_value(json_object_get(g, "API_TOKEN")), nasty, strlen(nasty));
    svc = env_of(&e, "service-app.env", &st);
    ck_assert_ptr_nonnull(svc);
    ck_assert_str_eq(json_string_value(json_object_get(svc, "TOKEN")), nasty);
    ck_assert_str_eq(json_string_value(json_object_get(svc, "SVC_KEY")), "k-123");
    jwt = file_at(&e, "/etc/node/svc.key", NULL);
    ck_assert_str_eq(jwt, "k-123");
    free(jwt);
    json_decref(svc);

    /* Refused (a value against its schema): no file changes, env files included. */
    s = secrets_of(bad);
    ck_assert_int_eq(push(&e, a, s, NULL, NULL, NULL, &err), -EINVAL);
    tdx_secrets_free(s);
    json_decref(g);
    g = env_of(&e, "global.env", &st);
    ck_assert_str_eq(json_string_value(json_object_get(g, "API_TOKEN")), nasty);
    json_decref(g);

    /* Replacing svc_key alone keeps api's TOKEN in the service's file. */
    {
        static const char *const one[] = { "svc_key", "k-456", NULL };
        s = secrets_of(one);
        ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
        tdx_secrets_free(s);
        svc = env_of(&e, "service-app.env", &st);
        ck_assert_str_eq(json_string_value(json_object_get(svc, "TOKEN")), nasty);
        ck_assert_str_eq(json_string_value(json_object_get(svc, "SVC_KEY")), "k-456");
        json_decref(svc);
    }
    tdx_agent_free(a);
    agent_stop(&e);

    /* A restarted agent finds api (environment only) delivered. */
    agent_start(&e, NULL);
    a = connect_to(e.addr);
    ck_assert(is_ready(a));
    tdx_agent_free(a);
    env_done(&e);
}
END_TEST

/* Everything about a directory that a delivery could change. */
static char *snapshot(const char *dir)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%y %%m %%U %%G %%s %%l\\n' | sort && "
             "find . -type f -exec sha256sum {} + | sort", dir);
    return sh_output(cmd);
}

static void expect_unchanged(const char *dir, const char *before)
{
    char *after = snapshot(dir);
    ck_assert_str_eq(after, before);
    free(after);
}

static void run_sh(const char *fmt, ...)
{
    char cmd[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static bool is_regular(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Links a host could plant in the root and as the ready file: wait-secrets
 * does not count what they point at, the agent writes nothing through
 * them, and nothing outside the root changes, delivery accepted or not. */
START_TEST(planted_links_change_nothing_outside)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_error err = TDX_ERROR_INIT;
    char outside[4300], path[8400], *before, *jwt;
    const char *argv[16];
    struct env e;
    tdx_agent *a;
    tdx_secrets *s = secrets_of(kv);
    int status;
    pid_t w;

    env_init(&e, false);
    snprintf(outside, sizeof(outside), "%s/outside", e.dir);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    write_text(outside, "hostdir/jwt.hex", JWT);
    write_text(outside, "hostdir/token", "tok_host1");
    write_text(outside, "hostfile", "host data\n");
    before = snapshot(outside);
    /* The secrets' directory is a link to valid-looking host files, and
     * the ready file is a link to a host file. */
    run_sh("ln -s '%s/hostdir' '%s/etc/node' && mkdir -p '%s/run' && ln -s '%s/hostfile' '%s'",
           outside, e.root, e.dir, outside, e.ready);

    wait_secrets_argv(&e, argv, "1");
    w = spawn(argv);
    ck_assert_int_eq(waitpid(w, &status, 0), w);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "wait-secrets status %d", status);

    agent_start(&e, NULL);
    a = connect_to(e.addr);
    ck_assert(!is_ready(a));
    ck_assert_int_lt(push(&e, a, s, NULL, NULL, NULL, &err), 0);
    ck_assert_contains(err.message, "/etc/node");
    expect_unchanged(outside, before);
    ck_assert_msg(access(e.ready, F_OK) < 0 && errno == ENOENT, "the planted ready file stayed");
    ck_assert(!is_ready(a));

    /* Now the destination itself is a link: it is replaced, the host file kept. */
    run_sh("rm '%s/etc/node' && mkdir '%s/etc/node' && ln -s '%s/hostfile' '%s/etc/node/jwt.hex'",
           e.root, e.root, outside, e.root);
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    snprintf(path, sizeof(path), "%s/etc/node/jwt.hex", e.root);
    ck_assert(is_regular(path));
    jwt = file_at(&e, "/etc/node/jwt.hex", NULL);
    ck_assert_str_eq(jwt, JWT);
    free(jwt);
    ck_assert(is_regular(e.ready));
    expect_unchanged(outside, before);
    tdx_agent_free(a);
    agent_stop(&e);

    /* The ready file's directory a link: the agent refuses to start rather
     * than remove or write anything through it. */
    run_sh("rm -r '%s/run' && ln -s '%s/hostdir' '%s/run'", e.dir, outside, e.dir);
    agent_start(&e, NULL);
    ck_assert_int_eq(waitpid(e.pid, &status, 0), e.pid);
    e.pid = 0;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0, "agent status %d", status);
    expect_unchanged(outside, before);

    free(before);
    tdx_secrets_free(s);
    env_done(&e);
}
END_TEST

START_TEST(init_mode_starts_the_payload_after_the_secrets)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct env e;
    tdx_agent *a;
    tdx_secrets *s = secrets_of(kv);
    char provider[4300], script[9000], out[4300], *text;
    const char *argv[24];
    int status, n = 0;

    env_init(&e, false);
    snprintf(provider, sizeof(provider), "sim:%s", e.pki);
    snprintf(out, sizeof(out), "%s/payload-saw", e.dir);
    snprintf(script, sizeof(script), "cat '%s/etc/node/jwt.hex' > '%s'; exit 7", e.root, out);
    argv[n++] = agent_bin();
    argv[n++] = "init";
    argv[n++] = "--listen";
    argv[n++] = e.addr;
    argv[n++] = "--quote-provider";
    argv[n++] = provider;
    n = add_secrets_args(&e, argv, n);
    argv[n++] = "--";
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = script;
    argv[n] = NULL;
    e.pid = spawn(argv);
    a = connect_to(e.addr);
    usleep(300 * 1000);
    ck_assert_int_lt(access(out, F_OK), 0);   /* not started without its secrets */
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    /* The payload ran, saw the secret, exited 7; the agent followed it. */
    ck_assert_int_eq(waitpid(e.pid, &status, 0), e.pid);
    e.pid = 0;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %d", status);
    text = read_text(out, NULL);
    ck_assert_str_eq(text, JWT);
    free(text);
    tdx_agent_free(a);
    tdx_secrets_free(s);
    tmpdir_remove(e.dir);
}
END_TEST


/* Starts the agent with stderr (its log and the services' output) in
 * dir/agent.log. */
static pid_t spawn_logged(const char *const *argv, const char *dir)
{
    char log[4300];
    pid_t pid;
    snprintf(log, sizeof(log), "%s/agent.log", dir);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *agent_log(const struct env *e)
{
    char log[4300], *text;
    snprintf(log, sizeof(log), "%s/agent.log", e->dir);
    text = read_text(log, NULL);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* `tdx-agent init --config F` as a native image's /init runs it, but not
 * as PID 1: the "init" object's services start after the secrets, with
 * their environment (files override the object), user and working
 * directory; output is on stderr under the service's name; when all have
 * ended, init ends with status 0. */
START_TEST(init_config_services_start_after_the_secrets)
{
    static const char *const kv[] = { "jwt", JWT, "token", "tok_abc123", NULL };
    tdx_error err = TDX_ERROR_INIT;
    struct env e;
    tdx_agent *a;
    tdx_secrets *s = secrets_of(kv);
    char provider[4300], config[4300], out[4300], early[4300], text[16384], *log, *got;
    const char *argv[16];
    int status, n = 0;

    env_init(&e, false);
    snprintf(provider, sizeof(provider), "sim:%s", e.pki);
    snprintf(out, sizeof(out), "%s/out", e.dir);
    snprintf(early, sizeof(early), "%s/early", e.dir);
    ck_assert_int_eq(mkdir(out, 0777), 0);
    ck_assert_int_eq(chmod(out, 0777), 0);
    ck_assert_int_eq(chmod(e.dir, 0755), 0);
    write_text(e.dir, "global.env", "# the secrets helper writes these\nFROM_FILE=\"quoted \\$x\"\n"
               "OVERRIDDEN=file\n9BAD=dropped\n");
    snprintf(text, sizeof(text),
             "{\"listen\": [\"%s\"], \"manifest\": \"%s\", \"root_dir\": \"%s\", "
             "\"ready_file\": \"%s\", \"init\": {\"services\": ["
             "{\"name\": \"early\", \"exec\": [\"/bin/sh\", \"-c\", \"echo started > %s\"], "
             " \"after_secrets\": false},"
             "{\"name\": \"app\", \"exec\": [\"/bin/sh\", \"-c\", "
             "  \"cat %s/etc/node/jwt.hex > %s/jwt; echo \\\"$FROM_FILE|$OVERRIDDEN|$OBJ|$(env | grep -c 9BAD)|$(pwd)\\\" > %s/env;"
             "   echo hello from app; echo to stderr >&2; printf partial\"], "
             " \"environment\": {\"OVERRIDDEN\": \"object\", \"OBJ\": \"o\"}, "
             " \"environment_files\": [\"%s/global.env\", \"-%s/missing.env\"], "
             " \"working_directory\": \"%s\"},"
             "{\"name\": \"as-node\", \"exec\": [\"/bin/sh\", \"-c\", \"id -u; id -g\"], "
             " \"user\": \"node\", \"group\": \"app\"}]}}",
             e.addr, e.manifest, e.root, e.ready, early, e.root, out, out, e.dir, e.dir, out);
    write_text(e.dir, "agent.json", text);
    snprintf(config, sizeof(config), "%s/agent.json", e.dir);
    argv[n++] = agent_bin();
    argv[n++] = "init";
    argv[n++] = "--config";
    argv[n++] = config;
    argv[n++] = "--quote-provider";
    argv[n++] = provider;
    argv[n] = NULL;
    e.pid = spawn_logged(argv, e.dir);
    a = connect_to(e.addr);
    for (int i = 0; i < 200 && access(early, F_OK) < 0; i++)
        usleep(20 * 1000);
    ck_assert_int_eq(access(early, F_OK), 0);   /* after_secrets: false starts at once */
    snprintf(text, sizeof(text), "%s/jwt", out);
    ck_assert_int_lt(access(text, F_OK), 0);     /* the others wait */
    ck_assert_msg(push(&e, a, s, NULL, NULL, NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(waitpid(e.pid, &status, 0), e.pid);
    e.pid = 0;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    got = read_text(text, NULL);
    ck_assert_str_eq(got, JWT);
    free(got);
    snprintf(text, sizeof(text), "%s/env", out);
    got = read_text(text, NULL);
    snprintf(text, sizeof(text), "quoted $x|file|o|0|%s\n", out);
    ck_assert_str_eq(got, text);
    free(got);
    log = agent_log(&e);
    ck_assert_msg(strstr(log, "secrets: waiting for 2 required secret(s)"), "%s", log);
    ck_assert_msg(strstr(log, "init: starting service app"), "%s", log);
    ck_assert_msg(strstr(log, "[app] hello from app\n"), "%s", log);
    ck_assert_msg(strstr(log, "[app] to stderr\n"), "%s", log);
    ck_assert_msg(strstr(log, "[app] partial\n"), "%s", log);
    /* Lines of different services interleave; each one is whole. */
    snprintf(text, sizeof(text), "[as-node] %u\n", e.uid);
    ck_assert_msg(strstr(log, text), "expected %s in %s", text, log);
    snprintf(text, sizeof(text), "[as-node] %u\n", e.gid);
    ck_assert_msg(strstr(log, text), "expected %s in %s", text, log);
    ck_assert_msg(strstr(log, "ignoring \"9BAD\""), "%s", log);
    ck_assert_ptr_null(strstr(log, JWT));   /* secrets never logged */
    free(log);
    tdx_agent_free(a);
    tdx_secrets_free(s);
    tmpdir_remove(e.dir);
}
END_TEST

static unsigned count_lines(const char *path)
{
    char *text = read_text(path, NULL);
    unsigned n = 0;
    if (!text)
        return 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* Restart policies: on-failure restarts a crashing service until it
 * succeeds, with a growing delay; "no" leaves a failed one ended; init's
 * status is the first failing service's. Without a manifest everything
 * starts at once. */
START_TEST(init_restart_policies_and_exit_status)
{
    char *dir = tmpdir_new(), text[8192], config[4300], runs[4300], once[4300], *log;
    const char *argv[8];
    pid_t pid;
    int status;
    struct env e = { .dir = dir };

    snprintf(runs, sizeof(runs), "%s/runs", dir);
    snprintf(once, sizeof(once), "%s/once", dir);
    snprintf(text, sizeof(text),
             "{\"listen\": [\"unix:%s/a.sock\"], \"init\": {\"services\": ["
             "{\"name\": \"flaky\", \"restart\": \"on-failure\", \"exec\": [\"/bin/sh\", \"-c\", "
             "  \"echo run >> %s; test $(wc -l < %s) -ge 3 || kill -SEGV $$\"]},"
             "{\"name\": \"once\", \"restart\": \"no\", \"exec\": [\"/bin/sh\", \"-c\", "
             "  \"echo run >> %s; exit 5\"]},"
             "{\"name\": \"fine\", \"exec\": [\"/bin/true\"]}]}}",
             dir, runs, runs, once);
    write_text(dir, "agent.json", text);
    snprintf(config, sizeof(config), "%s/agent.json", dir);
    argv[0] = agent_bin();
    argv[1] = "init";
    argv[2] = "--config";
    argv[3] = config;
    argv[4] = NULL;
    pid = spawn_logged(argv, dir);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 5, "status %d", status);
    ck_assert_uint_eq(count_lines(runs), 3);
    ck_assert_uint_eq(count_lines(once), 1);
    log = agent_log(&e);
    ck_assert_msg(strstr(log, "init: service flaky was killed by signal 11"), "%s", log);
    ck_assert_msg(strstr(log, "init: service flaky: restarting in 0.25 s (restart: on-failure)"),
                  "%s", log);
    ck_assert_msg(strstr(log, "init: service flaky: restarting in 0.50 s"), "%s", log);
    ck_assert_msg(strstr(log, "init: service once exited with status 5"), "%s", log);
    ck_assert_ptr_null(strstr(log, "service once: restarting"));
    free(log);
    tmpdir_remove(dir);
}
END_TEST

/* restart: always keeps a service that exits 0 coming back; SIGTERM stops
 * init and it; on_exit: stay keeps init serving after everything ended. */
START_TEST(init_always_and_stay)
{
    char *dir = tmpdir_new(), text[8192], config[4300], runs[4300], sock[4300], *log;
    const char *argv[8];
    struct env e = { .dir = dir };
    pid_t pid;
    int status;

    snprintf(runs, sizeof(runs), "%s/runs", dir);
    snprintf(sock, sizeof(sock), "unix:%s/a.sock", dir);
    snprintf(text, sizeof(text),
             "{\"listen\": [\"%s\"], \"init\": {\"services\": ["
             "{\"name\": \"loop\", \"restart\": \"always\", \"exec\": [\"/bin/sh\", \"-c\", "
             "  \"echo run >> %s\"]}]}}", sock, runs);
    write_text(dir, "agent.json", text);
    snprintf(config, sizeof(config), "%s/agent.json", dir);
    argv[0] = agent_bin();
    argv[1] = "init";
    argv[2] = "--config";
    argv[3] = config;
    argv[4] = NULL;
    pid = spawn_logged(argv, dir);
    for (int i = 0; i < 1000 && count_lines(runs) < 3; i++)
        usleep(20 * 1000);
    ck_assert_uint_ge(count_lines(runs), 3);
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    /* It was between runs (status 0) or stopped by our SIGTERM (143). */
    ck_assert_msg(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 143),
                  "status %d", status);
    log = agent_log(&e);
    ck_assert_msg(strstr(log, "init: service loop: restarting in 0.25 s (restart: always)"), "%s",
                  log);
    free(log);

    /* Stay: the service ended, the agent still answers until SIGTERM. */
    snprintf(text, sizeof(text), "{\"listen\": [\"%s\"], \"init\": {\"on_exit\": \"stay\", "
             "\"services\": [{\"name\": \"short\", \"exec\": [\"/bin/true\"]}]}}", sock);
    write_text(dir, "agent.json", text);
    pid = spawn_logged(argv, dir);
    {
        tdx_agent *a = connect_to(sock);
        char *info = NULL;
        tdx_error err = TDX_ERROR_INIT;
        for (int i = 0; i < 500; i++) {
            log = agent_log(&e);
            if (strstr(log, "staying up and serving"))
                break;
            free(log);
            log = NULL;
            usleep(20 * 1000);
        }
        ck_assert_ptr_nonnull(log);
        free(log);
        ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
        ck_assert_msg(tdx_agent_info(a, &info, &err) == 0, "%s", err.message);
        tdx_free(info);
        tdx_agent_free(a);
    }
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secrets-e2e");
    TCase *tc = tcase_create("delivery");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, push_writes_files_and_turns_ready);
    tcase_add_test(tc, failed_verification_sends_nothing);
    tcase_add_test(tc, bad_deliveries_change_nothing);
    tcase_add_test(tc, replacing_one_keeps_the_others);
    tcase_add_test(tc, concurrent_pushes_end_consistent);
    tcase_add_test(tc, restart_rechecks_what_is_on_disk);
    tcase_add_test(tc, unattested_needs_both_sides);
    tcase_add_test(tc, wait_secrets_returns_once_ready);
    tcase_add_test(tc, planted_links_change_nothing_outside);
    tcase_add_test(tc, senders_decide_who_delivers);
    tcase_add_test(tc, replace_never_keeps_the_first_delivery);
    tcase_add_test(tc, environment_targets);
    tcase_add_test(tc, init_mode_starts_the_payload_after_the_secrets);
    tcase_add_test(tc, init_config_services_start_after_the_secrets);
    tcase_add_test(tc, init_restart_policies_and_exit_status);
    tcase_add_test(tc, init_always_and_stay);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
