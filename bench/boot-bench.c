/* SPDX-License-Identifier: MIT */
/*
 * Boot figures (issue 13), as a user sees them from the command line, under
 * TCG here: the wall time of `tdxctl run --emulated --detach` (which returns
 * once the agent answers `info`), of `tdxctl secrets push`, and from the
 * push's return to the payload's first console line. Each run boots the
 * native build of examples/hello.json (profile dev) afresh and stops it.
 * Targets (the issue's): agent up <= 15 s, payload <= 1 s after the push.
 * Prints one JSON object; never asserts on time.
 * Run: build/bench/boot-bench TDXCTL AGENT SOURCE_ROOT [RUNS]
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "fileio.h"

#define LINE "hello: key present (sha256 prefix "
#define PAYLOAD_WAIT_MS 60000.0

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static bool console_has_line(const char *serial)
{
    char *text = NULL;
    size_t len;
    bool found = read_file_bounded(serial, 64u << 20, &text, &len) == 0 &&
                 memmem(text, len, LINE, strlen(LINE)) != NULL;
    free(text);
    return found;
}

static json_t *stats(double *v, size_t n)
{
    double min = v[0], max = v[0];
    for (size_t i = 1; i < n; i++) {
        min = v[i] < min ? v[i] : min;
        max = v[i] > max ? v[i] : max;
    }
    return json_pack("{s:f, s:f, s:f}", "median", percentile(v, n, 50), "min", min, "max", max);
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/boot-bench-XXXXXX", b[600], serial[700], runj[700], keyf[700], env[700];
    double up[64], push[64], payload[64];
    size_t runs = argc > 4 ? (size_t)atoi(argv[4]) : 5, done = 0;
    const char *tdxctl, *agent, *src;
    json_t *out;

    if (argc < 4) {
        fprintf(stderr, "usage: boot-bench TDXCTL AGENT SOURCE_ROOT [RUNS]\n");
        return 2;
    }
    tdxctl = argv[1];
    agent = argv[2];
    src = argv[3];
    if (runs < 1 || runs > 64)
        runs = 5;
    if (!mkdtemp(dir))
        return 1;
    snprintf(b, sizeof(b), "%s/hello", dir);
    snprintf(serial, sizeof(serial), "%s/run/serial.log", b);
    snprintf(runj, sizeof(runj), "%s/run.json", dir);
    snprintf(keyf, sizeof(keyf), "%s/key.hex", dir);
    snprintf(env, sizeof(env), "%s/secrets.env", dir);
    /* A copy of the lock: the build may bring it up to date. */
    if (sh("cp '%s/examples/tdx.lock' '%s/tdx.lock' && '%s' build '%s/examples/hello.json' -p dev "
           "-o '%s' --agent '%s' --lock '%s/tdx.lock' >/dev/null", src, dir, tdxctl, src, b, agent,
           dir) != 0) {
        fprintf(stderr, "boot-bench: tdxctl build failed\n");
        return 1;
    }
    {
        FILE *f = fopen(keyf, "w"), *g = fopen(env, "w");
        const char *key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        if (!f || !g)
            return 1;
        fputs(key, f);
        fprintf(g, "greeting_key=%s\n", key);
        fclose(f);
        fclose(g);
    }
    for (size_t i = 0; i < runs; i++) {
        json_t *j;
        const char *addr, *root;
        char cmd[8192];
        double t0, t1, t2, t3, t4;

        t0 = now_ms();
        if (sh("'%s' run '%s' --emulated --detach --json --timeout 300 >'%s' 2>/dev/null", tdxctl,
               b, runj) != 0) {
            fprintf(stderr, "boot-bench: run %zu: tdxctl run failed\n", i);
            break;
        }
        t1 = now_ms();
        j = json_load_file(runj, 0, NULL);
        addr = json_string_value(json_object_get(j, "agent"));
        root = json_string_value(json_object_get(j, "test_root"));
        if (!addr || !root) {
            json_decref(j);
            break;
        }
        snprintf(cmd, sizeof(cmd), "'%s' secrets push --connect '%s' --secrets '%s' "
                 "--expected '%s/measurements.json' --root '%s' >/dev/null 2>&1", tdxctl, addr, env,
                 b, root);
        json_decref(j);
        t2 = now_ms();
        if (system(cmd) != 0) {
            fprintf(stderr, "boot-bench: run %zu: secrets push failed\n", i);
            sh("'%s' stop '%s' --timeout 2 >/dev/null 2>&1", tdxctl, b);
            break;
        }
        t3 = now_ms();
        while (!console_has_line(serial) && now_ms() - t3 < PAYLOAD_WAIT_MS) {
            struct timespec ts = { 0, 5 * 1000000L };
            nanosleep(&ts, NULL);
        }
        t4 = now_ms();
        sh("'%s' stop '%s' --timeout 2 >/dev/null 2>&1", tdxctl, b);
        if (t4 - t3 >= PAYLOAD_WAIT_MS) {
            fprintf(stderr, "boot-bench: run %zu: no payload line\n", i);
            break;
        }
        up[done] = t1 - t0;
        push[done] = t3 - t2;
        payload[done] = t4 - t3;
        done++;
    }
    sh("rm -rf '%s'", dir);
    if (done == 0)
        return 1;
    out = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:{s:i, s:i}}", "benchmark", "boot", "accel",
                    "tcg", "runs", (json_int_t)done, "agent_up_ms", stats(up, done), "push_ms",
                    stats(push, done), "payload_after_push_ms", stats(payload, done), "targets",
                    "agent_up_ms", 15000, "payload_after_push_ms", 1000);
    if (!out)
        return 1;
    json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
    json_decref(out);
    return done == runs ? 0 : 1;
}
