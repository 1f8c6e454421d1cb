/* SPDX-License-Identifier: MIT */
/*
 * tdx-agent benchmark: the stripped size of the static binary and which
 * archives its bytes come from (from the linker map), its RSS when idle and
 * after load, and quote round trips over a unix socket with the sim
 * provider: sequential on one connection (latency p50/p99, requests per
 * second) and from 4 connections at once. Prints one JSON object; asserts
 * nothing.
 *
 * Usage: agent-bench AGENT [MAP] [QUOTES]   (default 2000 quotes)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "tdxhost/tdxhost.h"

#define THREADS 4

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Bytes of loaded sections per origin, from a GNU ld map file. */
struct origins {
    long ours, openssl, jansson, glibc, other;
};

static void tally(struct origins *o, const char *section, long size, const char *file)
{
    if (!(strncmp(section, ".text", 5) == 0 || strncmp(section, ".rodata", 7) == 0 ||
          strncmp(section, ".data", 5) == 0 || strncmp(section, ".bss", 4) == 0 ||
          strncmp(section, ".tdata", 6) == 0 || strncmp(section, ".tbss", 5) == 0 ||
          strncmp(section, ".eh_frame", 9) == 0 || strncmp(section, "__libc", 6) == 0 ||
          strncmp(section, ".gcc_except_table", 17) == 0))
        return;
    if (strstr(file, "libcrypto.a"))
        o->openssl += size;
    else if (strstr(file, "libjansson.a"))
        o->jansson += size;
    else if (strstr(file, "tdx-agent.p/"))
        o->ours += size;
    else if (strstr(file, "libc.a") || strstr(file, "libpthread") || strstr(file, "libm.a") ||
             strstr(file, "crt"))
        o->glibc += size;
    else
        o->other += size;
}

static int read_map(const char *path, struct origins *o)
{
    FILE *f = fopen(path, "r");
    char line[4096], pending[256] = "";
    bool in_map = false;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char section[256], file[3000];
        unsigned long long addr, size;
        if (!in_map) {
            in_map = strncmp(line, "Linker script and memory map", 28) == 0;
            continue;
        }
        /* " .text.name  0xADDR  0xSIZE  file", or the name alone on a line
         * when it is long, then "  0xADDR 0xSIZE file" on the next. */
        if (line[0] == ' ' && line[1] == '.' &&
            sscanf(line, " %255s 0x%llx 0x%llx %2999s", section, &addr, &size, file) == 4) {
            tally(o, section, (long)size, file);
            pending[0] = '\0';
        } else if (line[0] == ' ' && line[1] == '.' && sscanf(line, " %255s", section) == 1 &&
                   !strchr(line + 2, ' ')) {
            snprintf(pending, sizeof(pending), "%s", section);
        } else if (pending[0] && sscanf(line, " 0x%llx 0x%llx %2999s", &addr, &size, file) == 3) {
            tally(o, pending, (long)size, file);
            pending[0] = '\0';
        } else {
            pending[0] = '\0';
        }
    }
    fclose(f);
    return 0;
}

static pid_t start_agent(const char *agent, const char *dir, const char *sock)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    char notify[100], listen[200], provider[200], ready[512];
    struct pollfd p;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    pid_t pid;

    snprintf(notify, sizeof(notify), "%s/notify", dir);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", notify);
    if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
        return -1;
    snprintf(listen, sizeof(listen), "unix:%s", sock);
    snprintf(provider, sizeof(provider), "sim:%s/pki", dir);
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        setenv("NOTIFY_SOCKET", notify, 1);
        execl(agent, agent, "--listen", listen, "--quote-provider", provider, (char *)NULL);
        _exit(127);
    }
    p = (struct pollfd){ fd, POLLIN, 0 };
    if (pid < 0 || poll(&p, 1, 10000) != 1 || recv(fd, ready, sizeof(ready), 0) <= 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return pid;
}

struct load {
    const char *addr;
    int n;
    double *lat;
    int failures;
};

static void *quotes(void *arg)
{
    struct load *l = arg;
    tdx_agent *a = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t data[64] = { 1 }, *q;
    size_t len;

    if (tdx_agent_connect(&a, l->addr, NULL, &err) < 0) {
        l->failures = l->n;
        return NULL;
    }
    for (int i = 0; i < l->n; i++) {
        double t = now_ms();
        memcpy(data, &i, sizeof(i));
        if (tdx_agent_quote(a, data, sizeof(data), &q, &len, NULL, &err) < 0) {
            l->failures++;   /* e.g. "busy": counted, not retried */
            continue;
        }
        l->lat[i - l->failures] = now_ms() - t;
        tdx_free(q);
    }
    tdx_agent_free(a);
    return NULL;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/tdx-agent-bench-XXXXXX", pki[64], sock[64], addr[80], cmd[8192];
    const char *agent = argc > 1 ? argv[1] : "build/guest/tdx-agent";
    const char *map = argc > 2 ? argv[2] : "";
    int n = argc > 3 ? atoi(argv[3]) : 2000;
    struct origins o = { 0 };
    tdx_error err = TDX_ERROR_INIT;
    long stripped = -1, idle, loaded;
    double *lat, t, seq_ms, par_ms;
    struct load seq, par[THREADS];
    pthread_t threads[THREADS];
    int par_fail = 0, par_n = 0;
    pid_t pid;

    if (!mkdtemp(dir))
        return 1;
    snprintf(pki, sizeof(pki), "%s/pki", dir);
    snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    snprintf(cmd, sizeof(cmd), "strip -o %s/stripped '%s' 2>/dev/null", dir, agent);
    if (system(cmd) == 0) {
        snprintf(cmd, sizeof(cmd), "%s/stripped", dir);
        stripped = file_size(cmd);
    }
    if (*map && read_map(map, &o) < 0)
        fprintf(stderr, "agent-bench: cannot read %s\n", map);
    if (tdx_sim_pki_create(pki, NULL, &err) < 0 || (pid = start_agent(agent, dir, sock)) < 0) {
        fprintf(stderr, "agent-bench: cannot start %s: %s\n", agent, err.message);
        return 1;
    }
    usleep(300 * 1000);
    idle = rss_kib(pid);

    lat = calloc((size_t)n, sizeof(double));
    seq = (struct load){ addr, n, lat, 0 };
    t = now_ms();
    quotes(&seq);
    seq_ms = now_ms() - t;
    qsort(lat, (size_t)(n - seq.failures), sizeof(double), cmp_double);

    t = now_ms();
    for (int i = 0; i < THREADS; i++) {
        par[i] = (struct load){ addr, n / THREADS, calloc((size_t)(n / THREADS), sizeof(double)), 0 };
        pthread_create(&threads[i], NULL, quotes, &par[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        par_fail += par[i].failures;
        par_n += par[i].n;
        free(par[i].lat);
    }
    par_ms = now_ms() - t;
    loaded = rss_kib(pid);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);

    {
        int ok = n - seq.failures;
        long total = o.ours + o.openssl + o.jansson + o.glibc + o.other;
        printf("{\"binary\": {\"path\": \"%s\", \"size_bytes\": %ld, \"stripped_bytes\": %ld, "
               "\"loaded_section_bytes\": {\"ours\": %ld, \"openssl\": %ld, \"jansson\": %ld, "
               "\"glibc\": %ld, \"other\": %ld, \"total\": %ld}}, ",
               agent, file_size(agent), stripped, o.ours, o.openssl, o.jansson, o.glibc, o.other,
               total);
        printf("\"rss_kib\": {\"idle\": %ld, \"after_load\": %ld}, ", idle, loaded);
        printf("\"quote_sequential\": {\"transport\": \"unix\", \"provider\": \"sim\", \"requests\": %d, "
               "\"failures\": %d, \"per_second\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
               "\"max_ms\": %.3f}, ",
               n, seq.failures, ok * 1000.0 / seq_ms, ok ? lat[ok / 2] : 0.0,
               ok ? lat[(int)(ok * 0.99)] : 0.0, ok ? lat[ok - 1] : 0.0);
        printf("\"quote_concurrent\": {\"connections\": %d, \"requests\": %d, \"failures\": %d, "
               "\"per_second\": %.1f}}\n",
               THREADS, par_n, par_fail, (par_n - par_fail) * 1000.0 / par_ms);
    }
    free(lat);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
