/* SPDX-License-Identifier: MIT */
/*
 * The per-run test PKI of an emulated run (docs/agent.md, "Test PKI"):
 * `tdxctl run --emulated` hands the files of a `tdxctl dev sim-pki`
 * directory to the guest as QEMU fw_cfg entries opt/org.tdxhost/pki/<file>,
 * outside the image, so the image stays reproducible and carries no test
 * key. Init copies them to a private directory for the sim provider.
 */
#ifndef TDX_AGENT_TEST_PKI_H
#define TDX_AGENT_TEST_PKI_H

#include <stddef.h>

#include <stdbool.h>

struct agent_config;

/* Below the agent's fw_cfg_path (AGENT_FW_CFG_PATH, /sys/firmware/qemu_fw_cfg/by_name). */
#define TEST_PKI_FWCFG_NAME "opt/org.tdxhost/pki"
#define TEST_PKI_DIR "/run/tdx-agent/test-pki"
#define TEST_PKI_MAX_FILES 16

/*
 * Copies SRC/<file>/raw for every entry of src into dest (created 0700,
 * files 0600; made in a staging directory and renamed, so dest is whole or
 * absent). Returns the number of files copied, 0 when src does not exist,
 * or a negative errno with a one-line message naming the entry: a name
 * other than [A-Za-z0-9_.-] (at most 64 bytes, not starting with '.'), more
 * than TEST_PKI_MAX_FILES entries, an entry larger than 64 KiB, or dest
 * existing already.
 */
int test_pki_copy(const char *src, const char *dest, char *msg, size_t msg_size);

/*
 * The one decision, for init (a native image's init.test_provider) and the
 * daemon (--test-provider, which a dev profile's systemd unit passes): when
 * allowed and the quote provider is still configfs, a test PKI found in
 * fw_cfg (c->fw_cfg_path/TEST_PKI_FWCFG_NAME) is copied to dest and
 * c->quote_provider becomes "sim:DEST". No PKI in fw_cfg keeps configfs, so
 * the same image attests for real on a TD. A copy an earlier start left in
 * dest (or dest.new) is replaced. A PKI that is there but not
 * allowed is logged and ignored. An explicit --quote-provider wins. Logs
 * what it chose; returns 0 or a negative errno (logged).
 */
int test_pki_select(struct agent_config *c, bool allowed, const char *dest);

#endif
