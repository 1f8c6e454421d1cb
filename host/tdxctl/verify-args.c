/* SPDX-License-Identifier: MIT */
#include "verify-args.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"

int verify_args_option(struct verify_args *a, int c, const char *arg, const struct cli *cli)
{
    uint64_t v;
    switch (c) {
    case VA_POLICY: a->policy = arg; return 1;
    case VA_ROOT: a->root = arg; return 1;
    case VA_COLLATERAL: a->collateral = arg; return 1;
    case VA_PCCS: a->pccs = arg; return 1;
    case VA_CACHE: a->cache_dir = arg; return 1;
    case VA_NO_CACHE: a->no_cache = true; return 1;
    case VA_NOW: a->now = arg; return 1;
    case VA_EXPECTED: a->expected = arg; return 1;
    case VA_ALLOW_TCB: a->allow_tcb = arg; return 1;
    case VA_ALLOW_DEBUG: a->allow_debug = true; return 1;
    case VA_ALLOW_SEPT_VE: a->allow_sept_ve = true; return 1;
    case VA_ALLOW_MIGRATABLE: a->allow_migratable = true; return 1;
    case VA_MIN_EVAL:
        if (cli_parse_u64(cli, "--min-tcb-evaluation", arg, 0, INT32_MAX, &v) != EXIT_OK)
            return EXIT_USAGE;
        a->min_eval = (long long)v;
        return 1;
    default:
        return 0;
    }
}

static char **split_commas(const char *s)
{
    size_t n = 2;
    char **v, *copy = strdup(s), *save = NULL, *tok;

    for (const char *p = s; *p; p++)
        n += *p == ',';
    v = calloc(n, sizeof(char *));
    if (!v || !copy) {
        free(v);
        free(copy);
        return NULL;
    }
    n = 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        v[n++] = tok;
    if (n == 0)
        free(copy);
    return v;
}

int verify_setup(const struct verify_args *a, const struct cli *cli, struct verify_setup *v,
                 tdx_verify_step *step, tdx_error *err)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options init = TDX_VERIFY_OPTIONS_INIT;
    char cache[PATH_MAX];
    int64_t now;

    *v = (struct verify_setup){ .opts = init };
    if (a->now && rfc3339_parse(a->now, &now) < 0) {
        cli_usage(cli, "--now: \"%s\" is not an RFC 3339 time (e.g. 2025-07-01T00:00:00Z)",
                  a->now);
        return -EINVAL;
    }
    if (a->collateral && a->pccs) {
        cli_usage(cli, "--collateral and --pccs are exclusive");
        return -EINVAL;
    }
    if (a->allow_tcb && !(v->allow = split_commas(a->allow_tcb))) {
        *step = TDX_VERIFY_STEP_NONE;
        err->code = -ENOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
        return -ENOMEM;
    }
    *step = TDX_VERIFY_STEP_NONE;
    if (a->policy && (tdx_policy_load(&v->policy, a->policy, err) < 0 ||
                      tdx_policy_verifier_options(v->policy, &vo, err) < 0 ||
                      tdx_policy_verify_options(v->policy, &v->opts, err) < 0))
        goto fail;
    /* A flag's source replaces the file's. */
    if (a->root)
        vo.root_file = a->root;
    if (a->collateral || a->pccs) {
        vo.collateral = a->collateral;
        vo.pccs_url = a->pccs;
    }
    /* The root first on its own, so a bad root and bad collateral fail at
     * their own steps. */
    {
        tdx_verifier_options root_only = TDX_VERIFIER_OPTIONS_INIT;
        root_only.root_file = vo.root_file;
        *step = TDX_VERIFY_STEP_PCK_CHAIN;
        if (tdx_verifier_new(&v->verifier, &root_only, err) < 0)
            goto fail;
    }
    if (vo.collateral || vo.pccs_url) {
        tdx_verifier_free(v->verifier);
        v->verifier = NULL;
        if (!vo.pccs_url || a->no_cache || (!a->cache_dir && tdx_policy_no_cache(v->policy))) {
            vo.cache_dir = NULL;
        } else if (a->cache_dir || !vo.cache_dir) {
            const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
            if (a->cache_dir)
                snprintf(cache, sizeof(cache), "%s", a->cache_dir);
            else if (xdg && *xdg)
                snprintf(cache, sizeof(cache), "%s/tdxctl/collateral", xdg);
            else
                snprintf(cache, sizeof(cache), "%s/.cache/tdxctl/collateral",
                         home && *home ? home : "/tmp");
            vo.cache_dir = cache;
        }
        *step = TDX_VERIFY_STEP_COLLATERAL;
        if (tdx_verifier_new(&v->verifier, &vo, err) < 0)
            goto fail;
    }
    *step = TDX_VERIFY_STEP_MEASUREMENTS;
    if (a->expected && tdx_expected_load_file(&v->expected, a->expected, err) < 0)
        goto fail;
    if (a->now)
        v->opts.now = now;
    if (a->expected)
        v->opts.expected = v->expected;
    if (a->allow_tcb)
        v->opts.accept_tcb = (const char *const *)v->allow;
    if (a->min_eval != TDX_UNSET)
        v->opts.min_tcb_evaluation = a->min_eval;
    if (a->allow_debug)
        v->opts.allow_debug = 1;
    if (a->allow_sept_ve)
        v->opts.allow_sept_ve = 1;
    if (a->allow_migratable)
        v->opts.allow_migratable = 1;
    return 0;
fail:
    verify_setup_done(v);
    return err->code < 0 ? err->code : -EINVAL;
}

void verify_setup_done(struct verify_setup *v)
{
    tdx_policy_free(v->policy);
    v->policy = NULL;
    tdx_verifier_free(v->verifier);
    tdx_expected_free(v->expected);
    if (v->allow)
        free(v->allow[0]);
    free(v->allow);
    v->verifier = NULL;
    v->expected = NULL;
    v->allow = NULL;
}
