/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/sim.h
 * @brief A test PKI for the agent's quote simulator (development and tests only).
 *
 * `tdx-agent --quote-provider sim:DIR` signs quotes in the real TDX v4
 * layout with the keys in DIR, so a verifier run with `--root DIR/root.pem`
 * accepts them. They prove nothing about any machine: the root is a key
 * made here, not Intel's, and its certificates say so
 * (O="tdx-agent SIMULATION (not Intel)").
 */
#ifndef TDXHOST_SIM_H
#define TDXHOST_SIM_H

#include "common.h"

TDX_BEGIN_DECLS

#define TDX_SIM_PKI_OPTIONS_VERSION 1
typedef struct tdx_sim_pki_options {
    unsigned int version;
    /** MRTD the simulated TD reports: 48 bytes, or NULL for zeros. */
    const uint8_t *mrtd;
    /** RTMR0..3: 48 bytes each, or NULL for zeros. */
    const uint8_t *rtmr[4];
} tdx_sim_pki_options;
#define TDX_SIM_PKI_OPTIONS_INIT { TDX_SIM_PKI_OPTIONS_VERSION, NULL, { NULL, NULL, NULL, NULL } }

/**
 * Creates @p dir with a fresh test PKI and measurements file: root.pem and
 * root.key (self-signed CA), intermediate.pem and .key, pck.pem and .key
 * (the "PCK" certificate, with Intel's SGX extension layout), attestation.key,
 * measurements.json (docs/agent.md) and expected.json (the simulated TD's
 * MRTD and RTMRs in the format tdx_expected_load_file() reads, for
 * `--expected`). Keys are written mode 0600. The directory is written to a
 * temporary sibling first and renamed into place.
 * @param dir a directory that does not exist or is empty.
 * @param opts options, or NULL for all-zero measurements.
 * @return 0; -EEXIST (dir exists and is not empty); -EIO (OpenSSL failed);
 *         -EINVAL; other negative errno from the file system.
 */
TDX_EXTERN int tdx_sim_pki_create(const char *dir, const tdx_sim_pki_options *opts,
                                  tdx_error *err);

TDX_END_DECLS

#endif
