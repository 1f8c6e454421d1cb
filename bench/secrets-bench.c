/* SPDX-License-Identifier: MIT */
/*
 * Secret delivery benchmark: end-to-end pushes of 10 secrets to the agent
 * binary (sim quote provider, unix socket), each as `tdxctl secrets push`
 * does it: connect, challenge, verify the quote, seal, deliver, the agent
 * writing and fsyncing 10 files. Latency median and p99 of PUSHES pushes,
 * then 1,000 sequential pushes with both sides' RSS and open descriptors
 * sampled along the way. Runs with the secrets' root on the temporary
 * directory's file system and, when there is one, on /dev/shm (tmpfs), so
 * the cost of fsync shows. Each root is run twice: "mode": "base" (an
 * image without senders) and "auth" (a manifest with one sender, pushes
 * sealed with its key: one more X25519 on each side). Prints one JSON
 * object; asserts nothing.
 *
 * Usage: secrets-bench AGENT [PUSHES]   (default 200)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "hex.h"
#include "hpke.h"
#include "tdxhost/tdxhost.h"

#define SECRETS 10
#define SEQUENTIAL 1000

struct bench {
    const char *agent;
    char dir[4096], sock[4200], addr[4300], pki[4200];
    pid_t pid;
    tdx_verifier *verifier;
    tdx_expected *expected;
    tdx_secrets *secrets;
    bool auth;
    uint8_t sender_sk[HPKE_NSK], sender_pk[HPKE_NPK];
};

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "secrets-bench: %s: %s\n", what, msg);
    exit(1);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4400];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "w")))
        die(path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static void setup(struct bench *b, const char *base)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char path[4400], manifest[8192], provider[4300], ready[4300], root[4300], mpath[4300];
    size_t n = 0;

    snprintf(b->dir, sizeof(b->dir), "%s/secrets-bench-XXXXXX", base);
    if (!mkdtemp(b->dir))
        die(base, strerror(errno));
    snprintf(b->pki, sizeof(b->pki), "%s/pki", b->dir);
    if (tdx_sim_pki_create(b->pki, NULL, &err) < 0)
        die("sim-pki", err.message);
    snprintf(root, sizeof(root), "%s/root", b->dir);
    snprintf(path, sizeof(path), "%s/etc", root);
    mkdir(root, 0755);
    mkdir(path, 0755);
    write_file(path, "passwd", "root:x:0:0::/root:/bin/sh\n");
    write_file(path, "group", "root:x:0:\n");
    n += (size_t)snprintf(manifest + n, sizeof(manifest) - n, "{\"version\": 1, \"secrets\": [");
    for (int i = 0; i < SECRETS; i++)
        n += (size_t)snprintf(manifest + n, sizeof(manifest) - n,
                              "%s{\"name\": \"s%d\", \"dest\": \"/etc/bench/s%d\", \"owner\": "
                              "\"root\", \"group\": \"root\", \"mode\": \"0400\", \"required\": "
                              "true, \"schema\": {\"kind\": \"hex\", \"min_length\": 64, "
                              "\"max_length\": 64}}", i ? ", " : "", i, i);
    if (b->auth) {
        char hex[2 * HPKE_NPK + 1];
        if (hpke_keypair_generate(b->sender_sk, b->sender_pk) < 0)
            die("sender key", "no random bytes");
        hex_encode(b->sender_pk, HPKE_NPK, hex);
        snprintf(manifest + n, sizeof(manifest) - n, "], \"senders\": [{\"name\": \"bench\", "
                 "\"public_key\": \"%s\"}], \"replace\": \"any-sender\"}\n", hex);
    } else {
        snprintf(manifest + n, sizeof(manifest) - n, "]}\n");
    }
    write_file(b->dir, "secrets.json", manifest);

    snprintf(b->sock, sizeof(b->sock), "%s/agent.sock", b->dir);
    snprintf(b->addr, sizeof(b->addr), "unix:%s", b->sock);
    snprintf(provider, sizeof(provider), "sim:%s", b->pki);
    snprintf(ready, sizeof(ready), "%s/ready", b->dir);
    snprintf(mpath, sizeof(mpath), "%s/secrets.json", b->dir);
    b->pid = fork();
    if (b->pid == 0) {
        /* The agent logs each delivery; the figures are about the work. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(b->agent, b->agent, "--listen", b->addr, "--quote-provider", provider,
              "--manifest", mpath, "--root-dir", root, "--ready-file", ready, (char *)NULL);
        _exit(127);
    }

    snprintf(path, sizeof(path), "%s/root.pem", b->pki);
    vo.root_file = path;
    if (tdx_verifier_new(&b->verifier, &vo, &err) < 0)
        die("verifier", err.message);
    snprintf(path, sizeof(path), "%s/expected.json", b->pki);
    if (tdx_expected_load_file(&b->expected, path, &err) < 0)
        die("expected", err.message);
    if (tdx_secrets_new(&b->secrets, &err) < 0)
        die("secrets", err.message);
    for (int i = 0; i < SECRETS; i++) {
        char name[8], value[65];
        snprintf(name, sizeof(name), "s%d", i);
        for (int k = 0; k < 64; k++)
            value[k] = "0123456789abcdef"[rand() % 16];
        value[64] = '\0';
        if (tdx_secrets_add(b->secrets, name, value, 64, &err) < 0)
            die("secrets", err.message);
    }
}

/* One push as tdxctl makes it, on a fresh connection. */
static double push_once(struct bench *b)
{
    tdx_agent_options ao = TDX_AGENT_OPTIONS_INIT;
    tdx_verify_options v = TDX_VERIFY_OPTIONS_INIT;
    tdx_push_options po = TDX_PUSH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *a = NULL;
    double t0 = now_ms();

    ao.connect_timeout_ms = 20000;
    v.expected = b->expected;
    po.verifier = b->verifier;
    po.verify = &v;
    po.sender_key = b->auth ? b->sender_sk : NULL;
    if (tdx_agent_connect(&a, b->addr, &ao, &err) < 0 ||
        tdx_secrets_push(a, b->secrets, &po, NULL, &err) < 0)
        die("push", err.message);
    tdx_agent_free(a);
    return now_ms() - t0;
}

static void teardown(struct bench *b)
{
    char cmd[4200];
    int status;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, &status, 0);
    tdx_secrets_free(b->secrets);
    tdx_expected_free(b->expected);
    tdx_verifier_free(b->verifier);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "secrets-bench: could not remove %s\n", b->dir);
}

static const char *fs_name(const char *path)
{
    struct statfs st;
    if (statfs(path, &st) < 0)
        return "unknown";
    switch ((unsigned long)st.f_type) {
    case 0x01021994: return "tmpfs";
    case 0xef53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683e: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return "other";
    }
}

static void run(const char *agent, const char *base, int pushes, bool auth, bool last)
{
    struct bench b = { .agent = agent, .auth = auth };
    double *lat = malloc(sizeof(double) * (size_t)pushes), t0, total, median, p99;
    static const int marks[] = { 0, 100, 500, SEQUENTIAL };
    long agent_rss[4], own_rss[4];
    int agent_fds[4], own_fds[4], m = 0;

    setup(&b, base);
    for (int i = 0; i < 5; i++)   /* warm up: page cache, first quote */
        push_once(&b);
    for (int i = 0; i < pushes; i++)
        lat[i] = push_once(&b);
    t0 = now_ms();
    for (int i = 0; i <= SEQUENTIAL; i++) {
        if (i == marks[m]) {
            agent_rss[m] = rss_kib(b.pid);
            agent_fds[m] = fd_count(b.pid);
            own_rss[m] = rss_kib(getpid());
            own_fds[m] = fd_count(getpid());
            m++;
        }
        if (i < SEQUENTIAL)
            push_once(&b);
    }
    total = now_ms() - t0;
    median = percentile(lat, (size_t)pushes, 50);   /* sorts lat */
    p99 = percentile(lat, (size_t)pushes, 99);
    printf("    {\"root\": \"%s\", \"fs\": \"%s\", \"mode\": \"%s\", \"pushes\": %d, "
           "\"secrets_per_push\": %d,\n"
           "     \"latency_ms\": {\"median\": %.3f, \"p99\": %.3f, \"min\": %.3f, \"max\": %.3f},\n",
           base, fs_name(base), auth ? "auth" : "base", pushes, SECRETS, median, p99, lat[0], lat[pushes - 1]);
    printf("     \"sequential\": {\"pushes\": %d, \"seconds\": %.2f, \"per_second\": %.1f,\n"
           "      \"at\": [0, 100, 500, 1000],\n"
           "      \"agent_rss_kib\": [%ld, %ld, %ld, %ld], \"agent_fds\": [%d, %d, %d, %d],\n"
           "      \"host_rss_kib\": [%ld, %ld, %ld, %ld], \"host_fds\": [%d, %d, %d, %d]}}%s\n",
           SEQUENTIAL, total / 1e3, SEQUENTIAL / (total / 1e3), agent_rss[0], agent_rss[1],
           agent_rss[2], agent_rss[3], agent_fds[0], agent_fds[1], agent_fds[2], agent_fds[3],
           own_rss[0], own_rss[1], own_rss[2], own_rss[3], own_fds[0], own_fds[1], own_fds[2],
           own_fds[3], last ? "" : ",");
    free(lat);
    teardown(&b);
}

int main(int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR"), *base = tmp && *tmp ? tmp : "/tmp";
    int pushes = argc > 2 ? atoi(argv[2]) : 200;
    bool shm;

    if (argc < 2 || pushes < 1) {
        fprintf(stderr, "Usage: secrets-bench AGENT [PUSHES]\n");
        return 2;
    }
    shm = access("/dev/shm", W_OK) == 0 && strcmp(base, "/dev/shm") != 0;
    printf("{\"benchmark\": \"secrets\", \"runs\": [\n");
    run(argv[1], base, pushes, false, false);
    run(argv[1], base, pushes, true, !shm);
    if (shm) {
        run(argv[1], "/dev/shm", pushes, false, false);
        run(argv[1], "/dev/shm", pushes, true, true);
    }
    printf("]}\n");
    return 0;
}
