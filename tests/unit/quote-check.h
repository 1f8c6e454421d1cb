/* SPDX-License-Identifier: MIT */
/*
 * An independent check of a simulated quote, written from
 * ../shared/reference/agent.md §2 rather than from the agent's code: the
 * v4 header and TD 1.0 body, the quote signature, the QE report signature
 * by the PCK key, the QE report-data binding, and the PEM chain up to a
 * given root. Until the project's quote verifier exists this is what the
 * agent's quotes are held to.
 */
#ifndef TDX_TESTS_QUOTE_CHECK_H
#define TDX_TESTS_QUOTE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "sim-pki.h"

/* NULL when the quote passes, else a static description of the first
 * failed check (into a static buffer: not thread-safe). report_data and m
 * may be NULL to skip comparing those. */
const char *quote_check(const uint8_t *q, size_t n, const char *root_pem_path,
                        const uint8_t report_data[64], const struct sim_measurements *m);

#endif
