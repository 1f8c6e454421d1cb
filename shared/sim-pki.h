/* SPDX-License-Identifier: MIT */
/*
 * The directory of the test-only quote simulator ("sim" provider): what
 * `tdxctl dev sim-pki DIR` writes and `tdx-agent --quote-provider sim:DIR`
 * reads. Nothing here is Intel's: quotes signed with it verify only against
 * DIR/root.pem.
 */
#ifndef TDX_SHARED_SIM_PKI_H
#define TDX_SHARED_SIM_PKI_H

#include <stddef.h>
#include <stdint.h>

#define SIM_PKI_ROOT_CERT "root.pem"
#define SIM_PKI_ROOT_KEY "root.key"
#define SIM_PKI_INTERMEDIATE_CERT "intermediate.pem"
#define SIM_PKI_INTERMEDIATE_KEY "intermediate.key"
#define SIM_PKI_PCK_CERT "pck.pem"
#define SIM_PKI_PCK_KEY "pck.key"
#define SIM_PKI_ATTESTATION_KEY "attestation.key"
#define SIM_PKI_MEASUREMENTS "measurements.json"
/* The simulated TD's MRTD and RTMRs as tdx_expected_load_file() reads them. */
#define SIM_PKI_EXPECTED "expected.json"
#define SIM_PKI_FILE_MAX (64 * 1024)
/* The organisation in every certificate name of a test PKI; the root copies
 * Intel's common name, so this is what tells a verifier it is a test root. */
#define SIM_PKI_ORG "tdx-agent SIMULATION (not Intel)"

/* Values the simulated TD reports (quote body fields, raw bytes). */
struct sim_measurements {
    uint8_t tee_tcb_svn[16];
    uint8_t mrseam[48];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mrtd[48];
    uint8_t mrconfigid[48];
    uint8_t mrowner[48];
    uint8_t mrownerconfig[48];
    uint8_t rtmr[4][48];
};

/* Defaults: zero registers, TD attributes with only SEPT_VE_DISABLE set
 * (debug off), a typical XFAM. */
void sim_measurements_default(struct sim_measurements *m);

/* measurements.json: {"mrtd": HEX, "rtmr0": HEX, ...}, every field as lower
 * case hex. Keys missing from the file keep their defaults. */
int sim_measurements_parse(const char *label, const char *text, size_t len,
                           struct sim_measurements *m, char *msg, size_t msg_size);
/* The file's text (heap, ends in a newline), or NULL when out of memory. */
char *sim_measurements_format(const struct sim_measurements *m);

#endif
