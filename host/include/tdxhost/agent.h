/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/agent.h
 * @brief Talking to a tdx-agent: quotes, the event log, agent information.
 *
 * A tdx_agent is one connection to an agent (docs/protocol.md) over vsock,
 * TCP or a unix socket. Addresses are "vsock:CID:PORT", "tcp:HOST:PORT"
 * (an IPv6 address in brackets) or "unix:PATH".
 *
 * Requests on one handle are sequential; use one handle per thread.
 * Errors from the agent come back as negative errno values (docs/protocol.md
 * lists which code maps to which) with the agent's own message in err.
 */
#ifndef TDXHOST_AGENT_H
#define TDXHOST_AGENT_H

#include "common.h"

TDX_BEGIN_DECLS

/** Opaque connection handle. */
typedef struct tdx_agent tdx_agent;

#define TDX_AGENT_OPTIONS_VERSION 1
typedef struct tdx_agent_options {
    unsigned int version;
    /** Milliseconds to keep retrying while the agent is not up yet (connection
     *  refused or reset, unix socket file missing, vsock peer absent: a VM
     *  still booting). TDX_UNSET: 30000; 0: one attempt. */
    int connect_timeout_ms;
    /** Milliseconds one request may take, from sending it to the last byte of
     *  the reply. TDX_UNSET: 60000 (a real quote can take 30 s). */
    int io_timeout_ms;
} tdx_agent_options;
#define TDX_AGENT_OPTIONS_INIT { TDX_AGENT_OPTIONS_VERSION, TDX_UNSET, TDX_UNSET }

/**
 * Connects to an agent.
 * @param[out] out receives the handle; free it with tdx_agent_free().
 * @param address where the agent listens (see above).
 * @param opts options, or NULL for defaults.
 * @return 0; -EINVAL (bad address or options); -ETIMEDOUT (not up within
 *         connect_timeout_ms); -ECONNREFUSED, -ENOENT, ... (the last
 *         connection error, when retrying is off); -ENOMEM.
 */
TDX_EXTERN int tdx_agent_connect(tdx_agent **out, const char *address,
                                 const tdx_agent_options *opts, tdx_error *err);

/** Closes the connection and frees the handle. NULL is accepted. */
TDX_EXTERN void tdx_agent_free(tdx_agent *agent);

/** The address given to tdx_agent_connect(). Borrowed: valid while the handle lives. */
TDX_EXTERN const char *tdx_agent_address(const tdx_agent *agent);

/**
 * Sends one request and waits for its reply: the building block of the
 * functions below, and the way to reach operations they do not wrap.
 * @param op the operation ("info", "quote", ...).
 * @param params_json a JSON object of parameters, or NULL for none.
 * @param[out] reply_json the whole reply object as JSON text (caller frees
 *             with tdx_free()), only on success.
 * @return 0; -EINVAL (bad params_json); -ETIMEDOUT (no reply in time);
 *         -EPROTO (not a valid reply); -EPIPE/-ECONNRESET (the agent hung
 *         up); an error reply's errno (docs/protocol.md: -EBUSY, -ENXIO,
 *         -EOPNOTSUPP, -EIO, ...) with the agent's message in err.
 */
TDX_EXTERN int tdx_agent_call(tdx_agent *agent, const char *op, const char *params_json,
                              char **reply_json, tdx_error *err);

/**
 * The agent's self-description (op "info"): version, quote provider,
 * whether it is simulated, TDX presence, listeners, uptime, limits.
 * @param[out] info_json the reply object as JSON text (caller frees with tdx_free()).
 * @return as tdx_agent_call().
 */
TDX_EXTERN int tdx_agent_info(tdx_agent *agent, char **info_json, tdx_error *err);

/**
 * Asks for a quote over @p report_data (at most 64 bytes; the agent pads it
 * with zeros to 64).
 * @param report_data the bytes to bind, or NULL with @p report_data_len 0.
 * @param[out] quote the quote (caller frees with tdx_free()).
 * @param[out] quote_len its length.
 * @param[out] provider NULL, or receives the provider's name ("configfs", or
 *             "sim" for the test simulator); caller frees with tdx_free().
 * @return as tdx_agent_call(); -ENXIO when the guest cannot make quotes
 *         (no TDX); -ETIMEDOUT when the host's quote service did not answer.
 */
TDX_EXTERN int tdx_agent_quote(tdx_agent *agent, const uint8_t *report_data,
                               size_t report_data_len, uint8_t **quote, size_t *quote_len,
                               char **provider, tdx_error *err);

/**
 * Fetches the firmware's CC event log: the ACPI CCEL table and the whole
 * log area it describes (in as many requests as it takes).
 * @param[out] table, table_len the CCEL table (caller frees with tdx_free()).
 * @param[out] log, log_len the log (caller frees with tdx_free()).
 * @return as tdx_agent_call(); -ENXIO when the guest has no CCEL table;
 *         -EPROTO when the chunks do not add up.
 */
TDX_EXTERN int tdx_agent_eventlog(tdx_agent *agent, uint8_t **table, size_t *table_len,
                                  uint8_t **log, size_t *log_len, tdx_error *err);

/**
 * Fetches the firmware's TPM 2.0 event log as the guest kernel exports it
 * (securityfs tpm0/binary_bios_measurements: the TCG2 crypto-agile log with
 * the final events appended), in as many requests as it takes. Emulated runs
 * with a vTPM (tdx_vm_options.vtpm) have one; a TD's vTPM is the cloud's.
 * @param[out] log, log_len the log (caller frees with tdx_free()).
 * @return as tdx_agent_call(); -ENXIO when the guest has no TPM log;
 *         -EPROTO when the chunks do not add up; -EINVAL from an agent that
 *         predates the "log" parameter (its message names the member).
 */
TDX_EXTERN int tdx_agent_tpm_eventlog(tdx_agent *agent, uint8_t **log, size_t *log_len,
                                      tdx_error *err);

/**
 * Fetches QEMU's ACPI blobs as the guest's firmware received them over
 * fw_cfg (op "acpi"): etc/acpi/tables, etc/acpi/rsdp and etc/table-loader,
 * the inputs of RTMR0 (tdx_measure_options.acpi_tables ...). Used by
 * `tdxctl acpi capture` on a guest booted in capture mode.
 * @param[out] tables, tables_len etc/acpi/tables (caller frees with tdx_free()).
 * @param[out] rsdp, rsdp_len etc/acpi/rsdp (caller frees with tdx_free()).
 * @param[out] loader, loader_len etc/table-loader (caller frees with tdx_free()).
 * @return as tdx_agent_call(); -ENXIO when the guest has no such fw_cfg
 *         entries (not a QEMU guest, or the qemu_fw_cfg module is missing);
 *         -EPROTO when a member is missing, not base64, empty or over its
 *         bound (512 KiB, 4 KiB, 128 KiB).
 */
TDX_EXTERN int tdx_agent_acpi(tdx_agent *agent, uint8_t **tables, size_t *tables_len,
                              uint8_t **rsdp, size_t *rsdp_len, uint8_t **loader,
                              size_t *loader_len, tdx_error *err);

/** One of the firmware's boot variables, as the guest read it from efivarfs. */
typedef struct tdx_boot_variable {
    char name[16];       /**< "BootOrder", or "Boot####" (four upper-case hex digits) */
    uint8_t *data;       /**< the variable's data, without efivarfs' attribute bytes */
    size_t size;
} tdx_boot_variable;

/**
 * Fetches the firmware's BootOrder and the Boot#### it lists (op
 * "bootvars"): what OVMF measured into RTMR0 at ReadyToBoot besides the
 * ACPI blobs, which for a disk boot depends on the VM's devices. Used by
 * `tdxctl acpi capture` (tdx_measure_options.boot_variables).
 * @param[out] vars BootOrder first, then the options in BootOrder's order,
 *        each once; a listed option the guest does not have is absent.
 *        Free with tdx_boot_variables_free().
 * @param[out] n the number of entries (at least 1, at most 65).
 * @return as tdx_agent_call(); -ENXIO when the guest has no BootOrder (no
 *         efivarfs: not a UEFI boot, or not mounted); -EPROTO when the reply
 *         is malformed: a name that is not BootOrder first or an option
 *         BootOrder lists, a duplicate, BootOrder not a non-empty list of
 *         at most 64 16-bit numbers, an option empty or over 4 KiB.
 */
TDX_EXTERN int tdx_agent_boot_variables(tdx_agent *agent, tdx_boot_variable **vars, size_t *n,
                                        tdx_error *err);

/** Frees what tdx_agent_boot_variables() returned; NULL is a no-op. */
TDX_EXTERN void tdx_boot_variables_free(tdx_boot_variable *vars, size_t n);

TDX_END_DECLS

#endif
