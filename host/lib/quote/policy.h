/* SPDX-License-Identifier: MIT */
/* A loaded policy file: what tdx_policy_verify_options() and
 * tdx_policy_verifier_options() hand out, owned here. */
#ifndef TDXHOST_QUOTE_POLICY_H
#define TDXHOST_QUOTE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "tdxhost/quote.h"

struct policy_bits {
    bool set;
    uint8_t value[8], mask[8];
};

struct policy_values {
    uint8_t (*values)[48];
    size_t count;
};

struct tdx_policy {
    tdx_expected *expected;
    uint8_t report_data[64];
    size_t report_data_size;        /* 0: not given */
    char **allow_tcb, **allow_advisories;
    long long min_tcb_evaluation, now;      /* TDX_UNSET: not given */
    int allow_debug, allow_sept_ve, allow_migratable, no_cache;     /* TDX_UNSET: not given */
    struct policy_bits td_attributes, xfam;
    struct policy_values mrservicetd, mrconfigid, mrowner, mrownerconfig, mrseam;
    char *root, *collateral, *pccs, *cache_dir;
};

#endif
