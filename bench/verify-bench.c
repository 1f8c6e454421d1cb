/* SPDX-License-Identifier: MIT */
/*
 * Verify benchmark: verifications per second of a real quote with its
 * collateral, on one core, with the verifier's caches warm (the PCK chain
 * and the collateral signatures verified once; what remains per quote is
 * parsing, two ECDSA P-256 verifications, the QE report hash, CRL lookups
 * and the TCB level match). For scale it runs `openssl speed -seconds 2
 * ecdsap256` pinned to the same core in the same run and reports the
 * ratio. Prints one JSON object; asserts nothing.
 *
 * Usage: verify-bench QUOTE COLLATERAL NOW [SECONDS_PER_ROUND]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"
#include "rfc3339.h"
#include "tdxhost/tdxhost.h"

#define ROUNDS 5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second for `seconds`, after one warming call. */
static double rate(tdx_verifier *v, const tdx_quote *q, const tdx_verify_options *o, double seconds)
{
    tdx_error err = TDX_ERROR_INIT;
    long n = 0;
    double t0, t;

    if (tdx_verifier_verify(v, q, o, NULL, &err) < 0) {
        fprintf(stderr, "verify-bench: %s\n", err.message);
        exit(1);
    }
    t0 = now_s();
    do {
        for (int i = 0; i < 64; i++)
            if (tdx_verifier_verify(v, q, o, NULL, &err) < 0) {
                fprintf(stderr, "verify-bench: %s\n", err.message);
                exit(1);
            }
        n += 64;
        t = now_s();
    } while (t - t0 < seconds);
    return (double)n / (t - t0);
}

static void rounds(tdx_verifier *v, const tdx_quote *q, const tdx_verify_options *o, double seconds, double out[ROUNDS])
{
    for (int i = 0; i < ROUNDS; i++)
        out[i] = rate(v, q, o, seconds);
    qsort(out, ROUNDS, sizeof(double), cmp_double);
}

/* verify/s of `openssl speed -seconds 2 ecdsap256`; -1 if it cannot run. */
static double openssl_verify_rate(void)
{
    FILE *p = popen("openssl speed -seconds 2 ecdsap256 2>/dev/null", "r");
    char line[512];
    double sign = -1, verify = -1;

    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p))
        if (strstr(line, "ecdsa (nistp256)")) {
            char *paren = strchr(line, ')');
            double a, b, c, d;
            if (paren && sscanf(paren + 1, " %lfs %lfs %lf %lf", &a, &b, &c, &d) == 4) {
                sign = c;
                verify = d;
            }
        }
    pclose(p);
    (void)sign;
    return verify;
}

int main(int argc, char **argv)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *full = NULL, *crypto = NULL;
    tdx_quote *q = NULL;
    double seconds = argc > 4 ? atof(argv[4]) : 2.0, with[ROUNDS], without[ROUNDS], ossl;
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

    vo.collateral = argv[2];
    if (tdx_quote_load_file(&q, argv[1], &err) < 0 || tdx_verifier_new(&full, &vo, &err) < 0 ||
        tdx_verifier_new(&crypto, NULL, &err) < 0) {
        fprintf(stderr, "verify-bench: %s\n", err.message);
        return 1;
    }
    o.now = now;
    rounds(full, q, &o, seconds, with);
    rounds(crypto, q, &o, seconds, without);
    ossl = openssl_verify_rate();

    printf("{\"benchmark\": \"verify\", \"quote\": \"%s\", \"collateral\": \"%s\", \"now\": \"%s\", \"cpu\": %d, "
           "\"rounds\": %d, \"seconds_per_round\": %.1f, "
           "\"with_collateral_per_second\": {\"median\": %.0f, \"min\": %.0f, \"max\": %.0f}, "
           "\"crypto_only_per_second\": {\"median\": %.0f, \"min\": %.0f, \"max\": %.0f}, ",
           argv[1], argv[2], argv[3], cpu, ROUNDS, seconds, with[ROUNDS / 2], with[0], with[ROUNDS - 1],
           without[ROUNDS / 2], without[0], without[ROUNDS - 1]);
    if (ossl > 0)
        printf("\"openssl_speed_ecdsap256_verify_per_second\": %.1f, \"ratio\": %.3f, \"target_ratio\": 0.25}\n",
               ossl, with[ROUNDS / 2] / ossl);
    else
        printf("\"openssl_speed_ecdsap256_verify_per_second\": null, \"ratio\": null, \"target_ratio\": 0.25}\n");
    tdx_verifier_free(full);
    tdx_verifier_free(crypto);
    tdx_quote_free(q);
    return 0;
}
