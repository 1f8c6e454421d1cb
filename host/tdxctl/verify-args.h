/* SPDX-License-Identifier: MIT */
/*
 * The quote verification options `tdxctl quote verify` and `tdxctl
 * secrets push` share: trust root, collateral, time, expected
 * measurements, TCB policy.
 */
#ifndef TDXCTL_VERIFY_ARGS_H
#define TDXCTL_VERIFY_ARGS_H

#include <getopt.h>
#include <stdbool.h>

#include "cli.h"

enum {
    VA_ROOT = 0x1000, VA_COLLATERAL, VA_PCCS, VA_CACHE, VA_NO_CACHE, VA_NOW, VA_EXPECTED,
    VA_ALLOW_TCB, VA_MIN_EVAL, VA_ALLOW_DEBUG, VA_ALLOW_SEPT_VE, VA_ALLOW_MIGRATABLE, VA_POLICY,
};

/* getopt_long entries for the options above (terminated like any table). */
#define VERIFY_ARGS_OPTIONS                                                   \
    { "policy", required_argument, NULL, VA_POLICY },                         \
    { "root", required_argument, NULL, VA_ROOT },                             \
    { "collateral", required_argument, NULL, VA_COLLATERAL },                 \
    { "pccs", required_argument, NULL, VA_PCCS },                             \
    { "cache-dir", required_argument, NULL, VA_CACHE },                       \
    { "no-cache", no_argument, NULL, VA_NO_CACHE },                           \
    { "now", required_argument, NULL, VA_NOW },                               \
    { "expected", required_argument, NULL, VA_EXPECTED },                     \
    { "allow-tcb", required_argument, NULL, VA_ALLOW_TCB },                   \
    { "min-tcb-evaluation", required_argument, NULL, VA_MIN_EVAL },           \
    { "allow-debug", no_argument, NULL, VA_ALLOW_DEBUG },                     \
    { "allow-sept-ve", no_argument, NULL, VA_ALLOW_SEPT_VE },                 \
    { "allow-migratable", no_argument, NULL, VA_ALLOW_MIGRATABLE }

/* The help lines for them. */
#define VERIFY_ARGS_HELP                                                                   \
    "      --policy FILE           a policy file (docs/verification.md): expected\n"         \
    "                              measurements, TCB and TD rules, root, collateral;\n"   \
    "                              the options below override its fields\n"               \
    "      --root PEM              trust this root certificate instead of Intel's\n"        \
    "      --collateral DIR|FILE   Intel PCS responses in a directory, or one\n"            \
    "                              collateral JSON file (dcap-qvl's shape)\n"               \
    "      --pccs URL              fetch collateral from a PCS/PCCS base URL\n"             \
    "      --cache-dir DIR         keep fetched collateral here (default\n"                 \
    "                              $XDG_CACHE_HOME/tdxctl/collateral)\n"                    \
    "      --no-cache              keep fetched collateral in memory only\n"                \
    "      --now RFC3339           check validity at this time (default: now)\n"            \
    "      --expected FILE         expected MRTD/RTMRs: measurement JSON or a\n"            \
    "                              cvm-reverse-proxy measurements list\n"                   \
    "      --allow-tcb S1,S2       accepted TCB statuses (default: UpToDate)\n"             \
    "      --min-tcb-evaluation N  lowest accepted tcbEvaluationDataNumber\n"               \
    "      --allow-debug           accept a TD with the DEBUG attribute\n"                  \
    "      --allow-sept-ve         accept a TD without SEPT_VE_DISABLE\n"                   \
    "      --allow-migratable      accept a TD with the MIGRATABLE attribute\n"

struct verify_args {
    const char *policy, *root, *collateral, *pccs, *cache_dir, *now, *expected, *allow_tcb;
    long long min_eval;
    bool no_cache, allow_debug, allow_sept_ve, allow_migratable;
};

#define VERIFY_ARGS_INIT { .min_eval = TDX_UNSET }

/* Takes option c (one of VA_*): 1 when it was one, 0 when not, or
 * EXIT_USAGE after printing why its value is wrong. */
int verify_args_option(struct verify_args *a, int c, const char *arg, const struct cli *cli);

/* What the arguments make: free with verify_setup_done(). */
struct verify_setup {
    tdx_policy *policy;        /* opts borrows from it */
    tdx_verifier *verifier;
    tdx_expected *expected;
    tdx_verify_options opts;   /* borrows expected and allow */
    char **allow;
};

/*
 * Builds the verifier, loads the expected measurements and fills the
 * policy: the --policy file first, then the flags given over it. On
 * failure returns -EINVAL after a usage message (bad --now, exclusive
 * options), or another negative errno with err set and *step the
 * verification step the failure belongs to (pck_chain for the root,
 * collateral, measurements for --expected; TDX_VERIFY_STEP_NONE for the
 * policy file itself).
 */
int verify_setup(const struct verify_args *a, const struct cli *cli, struct verify_setup *v,
                 tdx_verify_step *step, tdx_error *err);
void verify_setup_done(struct verify_setup *v);

#endif
