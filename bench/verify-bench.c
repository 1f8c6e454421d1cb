/* SPDX-License-Identifier: MIT */
/*
 * Verify benchmark: verifications per second of a real quote with its
 * collateral, on one core, in one run, four ways:
 *
 *  - files_per_verifier: a new verifier per quote that reads and checks the
 *    collateral files itself (what a caller did before tdx_collateral);
 *  - new_verifier_shared_collateral: a new verifier per quote on one
 *    tdx_collateral parsed once: every quote-dependent signature (PCK chain,
 *    QE report, quote) is checked again each time; the collateral's own
 *    signatures were checked once, when it was parsed;
 *  - cached: one verifier, its PCK chain cache warm: what remains per quote
 *    is parsing, two ECDSA P-256 verifications, the QE report hash, CRL
 *    lookups and the TCB level match;
 *  - the limit: `openssl speed -seconds 3 ecdsap256` verify/s, pinned to
 *    the same core.
 *
 * Also the time tdx_collateral_load() takes and how many verifiers per
 * second can be made (and freed) on one tdx_collateral. Rates are per CPU second of
 * this process, as openssl speed counts. Prints one JSON object with
 * medians of ROUNDS rounds; asserts nothing.
 *
 * Usage: verify-bench QUOTE COLLATERAL NOW [SECONDS_PER_ROUND]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "rfc3339.h"
#include "tdxhost/tdxhost.h"

#define ROUNDS 5

struct setup {
    const tdx_quote *quote;
    const tdx_verify_options *opts;
    const char *collateral_path;
    tdx_collateral *collateral;
    tdx_verifier *cached;
};

enum mode { FILES_PER_VERIFIER, SHARED_COLLATERAL, CACHED, CREATE_ONLY };

static void die(const char *what, const tdx_error *err)
{
    fprintf(stderr, "verify-bench: %s: %s\n", what, err->message);
    exit(1);
}

static void verify_once(const struct setup *s, enum mode m)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = s->cached;

    if (m != CACHED) {
        if (m == FILES_PER_VERIFIER)
            vo.collateral = s->collateral_path;
        else
            vo.parsed_collateral = s->collateral;
        if (tdx_verifier_new(&v, &vo, &err) < 0)
            die("tdx_verifier_new", &err);
    }
    if (m != CREATE_ONLY && tdx_verifier_verify(v, s->quote, s->opts, NULL, &err) < 0)
        die("tdx_verifier_verify", &err);
    if (m != CACHED)
        tdx_verifier_free(v);
}

/* CPU seconds of this process: what `openssl speed` counts too (it uses
 * times() unless given -elapsed), so the two agree on a shared machine
 * where wall time also counts other processes. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per CPU second for `seconds`, after one warming call. */
static double rate(const struct setup *s, enum mode m, double seconds)
{
    long n = 0;
    double t0, t;

    verify_once(s, m);
    t0 = cpu_s();
    do {
        for (int i = 0; i < 16; i++)
            verify_once(s, m);
        n += 16;
        t = cpu_s();
    } while (t - t0 < seconds);
    return (double)n / (t - t0);
}

static void rounds(const struct setup *s, enum mode m, double seconds, double out[ROUNDS])
{
    for (int i = 0; i < ROUNDS; i++)
        out[i] = rate(s, m, seconds);
    qsort(out, ROUNDS, sizeof(double), cmp_double);
}

/* verify/s of `openssl speed -seconds 3 ecdsap256`; -1 if it cannot run. */
static double openssl_verify_rate(void)
{
    FILE *p = popen("openssl speed -seconds 3 ecdsap256 2>/dev/null", "r");
    char line[512];
    double verify = -1;

    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p))
        if (strstr(line, "ecdsa (nistp256)")) {
            char *paren = strchr(line, ')');
            double a, b, c, d;
            if (paren && sscanf(paren + 1, " %lfs %lfs %lf %lf", &a, &b, &c, &d) == 4)
                verify = d;
        }
    pclose(p);
    return verify;
}

static void print_rate(const char *name, const double r[ROUNDS])
{
    printf("\"%s_per_second\": {\"median\": %.0f, \"min\": %.0f, \"max\": %.0f}, ", name, r[ROUNDS / 2], r[0],
           r[ROUNDS - 1]);
}

int main(int argc, char **argv)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    double seconds = argc > 4 ? atof(argv[4]) : 2.0, files[ROUNDS], shared[ROUNDS], cached[ROUNDS], load[ROUNDS];
    double create[ROUNDS];
    double ossl;
    struct setup s = { 0 };
    int64_t now;
    cpu_set_t cpus;
    int cpu = sched_getcpu();

    if (argc < 4 || rfc3339_parse(argv[3], &now) < 0 || seconds <= 0) {
        fprintf(stderr, "usage: verify-bench QUOTE COLLATERAL NOW [SECONDS_PER_ROUND]\n");
        return 2;
    }
    /* One core for us and for openssl speed (a child inherits the mask). */
    CPU_ZERO(&cpus);
    CPU_SET(cpu < 0 ? 0 : cpu, &cpus);
    sched_setaffinity(0, sizeof(cpus), &cpus);

    if (tdx_quote_load_file(&q, argv[1], &err) < 0)
        die(argv[1], &err);
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = cpu_s();
        if (tdx_collateral_load(&s.collateral, argv[2], NULL, &err) < 0)
            die("tdx_collateral_load", &err);
        load[i] = (cpu_s() - t0) * 1e3;
        if (i < ROUNDS - 1)
            tdx_collateral_unref(s.collateral);
    }
    qsort(load, ROUNDS, sizeof(double), cmp_double);
    vo.parsed_collateral = s.collateral;
    if (tdx_verifier_new(&s.cached, &vo, &err) < 0)
        die("tdx_verifier_new", &err);
    o.now = now;
    s.quote = q;
    s.opts = &o;
    s.collateral_path = argv[2];
    rounds(&s, FILES_PER_VERIFIER, seconds, files);
    rounds(&s, SHARED_COLLATERAL, seconds, shared);
    rounds(&s, CACHED, seconds, cached);
    rounds(&s, CREATE_ONLY, seconds, create);
    ossl = openssl_verify_rate();

    printf("{\"benchmark\": \"verify\", \"quote\": \"%s\", \"collateral\": \"%s\", \"now\": \"%s\", \"cpu\": %d, "
           "\"rounds\": %d, \"seconds_per_round\": %.1f, \"collateral_load_ms\": {\"median\": %.2f, \"min\": %.2f}, ",
           argv[1], argv[2], argv[3], cpu, ROUNDS, seconds, load[ROUNDS / 2], load[0]);
    print_rate("files_per_verifier", files);
    print_rate("new_verifier_shared_collateral", shared);
    print_rate("cached", cached);
    print_rate("verifier_new_shared_collateral", create);
    printf("\"new_verifier_target_per_second\": 1000, ");
    if (ossl > 0)
        printf("\"openssl_speed_ecdsap256_verify_per_second\": %.1f, \"cached_ratio\": %.3f, "
               "\"cached_target_ratio\": 0.5}\n", ossl, cached[ROUNDS / 2] / ossl);
    else
        printf("\"openssl_speed_ecdsap256_verify_per_second\": null, \"cached_ratio\": null, "
               "\"cached_target_ratio\": 0.5}\n");
    tdx_verifier_free(s.cached);
    tdx_collateral_unref(s.collateral);
    tdx_quote_free(q);
    return 0;
}
