/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/measure.h
 * @brief Expected measurements of a TDX guest: MRTD and RTMR0-3 for a QEMU
 *        direct boot or a UKI booted from a disk, vTPM PCRs 4, 9 and 11 for
 *        a unified kernel image.
 *
 * A tdx_measurements object holds registers (each a digest, or "unknown"
 * with the reason), the events that produced them, and the assumptions the
 * computation made. It comes from tdx_measure_direct_boot(),
 * tdx_measure_uki_disk_boot(), tdx_measure_uki_tpm(), tdx_eventlog_replay()
 * (eventlog.h) or
 * tdx_measurements_load_json(), and is written as JSON, CBOR, a
 * cvm-reverse-proxy measurements list or dstack-mr JSON.
 *
 * Every input file is untrusted: offsets and lengths are checked before use
 * and errors name the file, the structure and the byte offset.
 * docs/measurement.md explains every option and assumption.
 */
#ifndef TDXHOST_MEASURE_H
#define TDXHOST_MEASURE_H

#include "common.h"

TDX_BEGIN_DECLS

/** Hash algorithms, numbered as TCG algorithm identifiers. Append-only. */
typedef enum tdx_hash_alg {
    TDX_HASH_SHA1 = 0x0004,
    TDX_HASH_SHA256 = 0x000B,
    TDX_HASH_SHA384 = 0x000C,
    TDX_HASH_SHA512 = 0x000D
} tdx_hash_alg;

/** Largest digest size, in bytes. */
#define TDX_DIGEST_MAX 64

/** "sha1", "sha256", "sha384", "sha512", or NULL for an unknown value. */
TDX_EXTERN const char *tdx_hash_alg_name(int alg);

/** Digest size in bytes, or 0 for an unknown value. */
TDX_EXTERN size_t tdx_hash_alg_size(int alg);

/**
 * Parses "sha256", "SHA-384", ... into @p out.
 * @return 0, -EINVAL (unknown name, named in err).
 */
TDX_EXTERN int tdx_hash_alg_from_name(const char *name, tdx_hash_alg *out, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* The measurements object                                                  */

/** Opaque set of expected (or replayed) register values. */
typedef struct tdx_measurements tdx_measurements;

/** Frees a measurements object. NULL is accepted. */
TDX_EXTERN void tdx_measurements_free(tdx_measurements *m);

/** Number of registers ("mrtd", "rtmr0".."rtmr3", or "pcrN"). */
TDX_EXTERN size_t tdx_measurements_register_count(const tdx_measurements *m);

/** Name of register @p index; borrowed, valid while @p m lives; NULL if out of range. */
TDX_EXTERN const char *tdx_measurements_register_name(const tdx_measurements *m, size_t index);

/** The hash algorithm of the registers' primary bank (SHA-384 for TDX). */
TDX_EXTERN tdx_hash_alg tdx_measurements_bank(const tdx_measurements *m);

/**
 * Looks up a register value.
 * @param name register name, e.g. "rtmr1" or "pcr11".
 * @param bank hash bank; 0 for the primary bank.
 * @param[out] value receives a borrowed pointer to the digest (valid while
 *             @p m lives) when known; may be NULL.
 * @param[out] size receives the digest size; may be NULL.
 * @param[out] reason receives, when the value is unknown, a borrowed
 *             sentence saying why (e.g. the ACPI tables were not given);
 *             may be NULL.
 * @return 0 (known), -ENODATA (unknown: see @p reason), -ENOENT (no such
 *         register or bank).
 */
TDX_EXTERN int tdx_measurements_register(const tdx_measurements *m, const char *name, int bank,
                                         const uint8_t **value, size_t *size, const char **reason);

/** One event that extended a register; every pointer is borrowed from the object. */
typedef struct tdx_measurement_event {
    const char *register_name;  /**< "rtmr0", "pcr11", ... */
    uint32_t type;              /**< TCG event type, e.g. 0x80000003 */
    const char *type_name;      /**< "EV_EFI_BOOT_SERVICES_APPLICATION", or "0x..." */
    const char *description;    /**< what was measured, in words */
    const uint8_t *digest;      /**< digest in the primary bank */
    size_t digest_size;
} tdx_measurement_event;

/** Number of events, in the order they extend their registers. */
TDX_EXTERN size_t tdx_measurements_event_count(const tdx_measurements *m);

/**
 * Fills @p out with event @p index (borrowed pointers, valid while @p m lives).
 * @return 0, -ENOENT (index out of range).
 */
TDX_EXTERN int tdx_measurements_event(const tdx_measurements *m, size_t index,
                                      tdx_measurement_event *out);

/** Number of warnings: things the computation could not check and a user
 *  should (e.g. a kernel too old to measure RTMR2). */
TDX_EXTERN size_t tdx_measurements_warning_count(const tdx_measurements *m);

/** Warning @p index, one line; borrowed, valid while @p m lives; NULL if out of range. */
TDX_EXTERN const char *tdx_measurements_warning(const tdx_measurements *m, size_t index);

/* ------------------------------------------------------------------------ */
/* QEMU direct boot (-kernel) of an OVMF/TDVF guest                          */

/** Page order of MRTD: how the host adds firmware pages to the TD. */
typedef enum tdx_mrtd_order {
    TDX_MRTD_PER_PAGE = 0,  /**< each page added then extended: QEMU >= 9, upstream KVM */
    TDX_MRTD_TWO_PASS = 1   /**< all pages of a section added, then extended: QEMU 8.x */
} tdx_mrtd_order;

/** Whether QEMU rewrites the Linux setup header before OVMF measures the kernel. */
typedef enum tdx_kernel_header {
    TDX_KERNEL_HEADER_PATCHED = 0,   /**< QEMU <= 10.1 */
    TDX_KERNEL_HEADER_UNPATCHED = 1  /**< QEMU >= 10.2 (commit a7542a38f399) */
} tdx_kernel_header;

/** Where the firmware's ReadyToBoot separator goes (edk2 commit efaf8931). */
typedef enum tdx_event_layout {
    /** edk2 before edk2-stable202411 (Debian 12 ovmf 2022.11, Ubuntu 24.04
     *  2024.02): the separator ends RTMR0, RTMR1 has none. */
    TDX_EVENT_LAYOUT_PRE_202411 = 0,
    /** edk2-stable202411 up to 202502: the separator goes to RTMR1 after
     *  "Calling EFI Application from Boot Option". */
    TDX_EVENT_LAYOUT_202411 = 1
} tdx_event_layout;

/** A runtime event folded into RTMR3 (dstack's format, version 1):
 *  digest = SHA-384(u32le(type) || ":" || name || ":" || payload). */
typedef struct tdx_runtime_event {
    uint32_t type;          /**< 0 means dstack's 0x08000001 */
    const char *name;       /**< event name, e.g. "app-id" */
    const uint8_t *payload;
    size_t payload_size;
} tdx_runtime_event;

#define TDX_MEASURE_OPTIONS_VERSION 1
typedef struct tdx_measure_options {
    unsigned int version;
    /** Initrd given to QEMU with -initrd; NULL: none. */
    const char *initrd;
    /** Kernel command line (QEMU -append); NULL: empty. */
    const char *cmdline;
    /** Guest memory in bytes (QEMU -m); 0: 2 GiB. A multiple of 4 KiB. */
    uint64_t memory;
    /** vCPUs (QEMU -smp). TDX_UNSET: counted from the ACPI tables when given,
     *  else 1. With ACPI tables, a different count is an error. */
    int cpus;
    /** Host QEMU version, "MAJOR.MINOR[.PATCH]"; NULL: "9.2". Picks the
     *  defaults of mrtd_order and kernel_header. Versions before 8.0 are refused. */
    const char *qemu_version;
    /** A tdx_mrtd_order; TDX_UNSET: two-pass for QEMU 8.x, else per-page. */
    int mrtd_order;
    /** A tdx_kernel_header; TDX_UNSET: patched up to QEMU 10.1, else unpatched. */
    int kernel_header;
    /** A tdx_event_layout; TDX_UNSET: TDX_EVENT_LAYOUT_PRE_202411. */
    int event_layout;
    /** Whether the guest kernel's EFI stub measures the command line and the
     *  initrd into RTMR2 (Linux >= 6.9, or a backport). TDX_UNSET: decided
     *  from the version string in the kernel's setup header (>= 6.9: yes). */
    int kernel_measures_rtmr2;
    /** QEMU's ACPI blobs, as a reference VM serves them over fw_cfg
     *  (etc/acpi/tables, etc/acpi/rsdp, etc/table-loader). All three or none;
     *  without them RTMR0 is unknown. */
    const char *acpi_tables;
    const char *acpi_rsdp;
    const char *acpi_loader;
    /** Runtime events folded into RTMR3 (which is all zeros without them). */
    const tdx_runtime_event *runtime_events;
    size_t n_runtime_events;
} tdx_measure_options;
#define TDX_MEASURE_OPTIONS_INIT                                                          \
    { TDX_MEASURE_OPTIONS_VERSION, NULL, NULL, 0, TDX_UNSET, NULL, TDX_UNSET, TDX_UNSET, \
      TDX_UNSET, TDX_UNSET, NULL, NULL, NULL, NULL, 0 }

/**
 * Computes MRTD and RTMR0-3 for a TD that QEMU boots with
 * `-bios FIRMWARE -kernel KERNEL [-initrd ...] [-append ...]`.
 *
 * MRTD comes from the firmware's TDVF metadata; RTMR0 from the TD HOB (built
 * from the metadata and the memory size), the firmware's configuration
 * volume, empty Secure Boot variables, the three ACPI blobs and QEMU's boot
 * variables; RTMR1 from the kernel's Authenticode SHA-384 as QEMU serves it;
 * RTMR2 from the command line and the initrd; RTMR3 from runtime events.
 * Files are streamed: each byte is read once, memory use does not grow with
 * the initrd.
 *
 * @param[out] out receives the result; free it with tdx_measurements_free().
 * @param firmware OVMF/TDVF image (QEMU -bios), at most 64 MiB.
 * @param kernel Linux bzImage with an EFI stub (QEMU -kernel).
 * @param opts options, or NULL for defaults.
 * @return 0; -EINVAL (malformed firmware, kernel or ACPI blob, bad option:
 *         err names the file and offset or the option); -EFBIG (firmware too
 *         large, initrd does not fit below 4 GiB); -ENOENT/-EACCES/...
 *         (unreadable file); -ENOMEM.
 */
TDX_EXTERN int tdx_measure_direct_boot(tdx_measurements **out, const char *firmware,
                                       const char *kernel, const tdx_measure_options *opts,
                                       tdx_error *err);

/* ------------------------------------------------------------------------ */
/* vTPM PCRs of a unified kernel image (Azure, GCP)                          */

/** Bank selection for tdx_uki_options.banks (bit mask). */
#define TDX_BANK_SHA256 0x1
#define TDX_BANK_SHA384 0x2

#define TDX_UKI_OPTIONS_VERSION 1
typedef struct tdx_uki_options {
    unsigned int version;
    /** TDX_BANK_* mask; TDX_UNSET or 0: SHA-256 only. The first bank set is primary. */
    int banks;
    /** systemd-stub major version whose rules apply (251 or later);
     *  TDX_UNSET: read from the UKI's .sdmagic section. */
    int stub_version;
    /** A boot loader (e.g. systemd-boot) that the firmware starts before the
     *  UKI; its Authenticode goes into PCR 4 first. NULL: the firmware boots
     *  the UKI directly. */
    const char *boot_loader;
} tdx_uki_options;
#define TDX_UKI_OPTIONS_INIT { TDX_UKI_OPTIONS_VERSION, TDX_UNSET, TDX_UNSET, NULL }

/**
 * Computes vTPM PCRs 4, 9 and 11 that booting @p uki produces.
 *
 * PCR 4: the firmware's boot attempt, separator, [boot loader,] the UKI and,
 * for stubs that start the kernel with LoadImage (254 and later), the
 * embedded kernel, as Authenticode digests. PCR 9: what the kernel's EFI
 * stub measures: the command line the stub passes and the initrd. PCR 11:
 * systemd-stub's measurements of the UKI sections in its canonical order,
 * then the systemd-pcrphase words up to "ready"; the values after each phase
 * are events of the result.
 *
 * @return 0; -EINVAL (malformed PE, no systemd-stub version and none given,
 *         unsupported multi-profile UKI); -ENOENT/... (unreadable file); -ENOMEM.
 */
TDX_EXTERN int tdx_measure_uki_tpm(tdx_measurements **out, const char *uki,
                                   const tdx_uki_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* A UKI booted by OVMF/TDVF from the ESP of a GPT disk                       */

/**
 * Computes MRTD and RTMR0-3 for a TD that QEMU boots with `-bios FIRMWARE`
 * and a raw GPT disk (no -kernel), whose ESP holds @p uki as
 * \EFI\BOOT\BOOTX64.EFI (mkosi Format=disk, Bootloader=uki), started by
 * OVMF's boot manager without a boot loader in between. No TPM: the firmware,
 * systemd-stub and the kernel measure through the CC measurement protocol.
 *
 * - MRTD and RTMR0's firmware events as tdx_measure_direct_boot() (same
 *   firmware, same options). RTMR0 is always unknown: it also holds the
 *   BootOrder and Boot#### variables OVMF creates for the disk, which depend
 *   on the VM's devices (PCI slots, NIC MAC addresses) and the firmware's
 *   build (network boot, shell); they are recorded but not guessed.
 * - RTMR1: "Calling EFI Application from Boot Option", [the ReadyToBoot
 *   separator, edk2 >= 202411], the GPT event (EV_EFI_GPT_EVENT, the
 *   disk's primary GPT as UEFI_GPT_DATA), the UKI's Authenticode, the
 *   embedded kernel's Authenticode for systemd-stub 252..257 (which start it
 *   with LoadImage()), "Exit Boot Services Invocation", "... Returned with
 *   Success".
 * - RTMR2: systemd-stub 256..260 (the releases that measure into the CC
 *   protocol, and before 261's new measurements) measures the UKI's sections,
 *   name then data, in its canonical order; then the kernel's EFI stub (Linux
 *   >= 6.9, or opts->kernel_measures_rtmr2) measures the LoadOptions
 *   systemd-stub passes (the .cmdline) and the initrd (.ucode + .initrd).
 *   Nothing of userspace: without a TPM, systemd-pcrphase extends nothing.
 *   Unknown for stubs >= 261, and when the UKI has .pcrsig/.pcrpkey (the stub
 *   then appends generated cpio archives to the initrd the kernel measures).
 * - RTMR3: opts->runtime_events, as for a direct boot.
 *
 * The UKI is read from @p uki; the caller vouches that it is the ESP's file
 * (the disk image is not searched for it). docs/measurement.md lists the
 * sources and what is assumed.
 *
 * @param[out] out receives the result; free it with tdx_measurements_free().
 * @param firmware OVMF/TDVF image (QEMU -bios), at most 64 MiB.
 * @param disk raw disk image with a GPT of 512-byte sectors.
 * @param uki the unified kernel image on the disk's ESP.
 * @param opts VM and firmware options as for tdx_measure_direct_boot(), or
 *        NULL; initrd, cmdline and kernel_header must be left unset (the
 *        UKI carries them; QEMU does not load the kernel).
 * @param uki_opts stub_version as for tdx_measure_uki_tpm(), or NULL; banks
 *        may only be TDX_BANK_SHA384 (RTMRs), boot_loader must be NULL.
 * @return 0; -EINVAL (malformed firmware, GPT, UKI or ACPI blob, bad option:
 *         err names the file and what); -ENOENT/-EACCES/... (unreadable
 *         file); -ENOMEM.
 */
TDX_EXTERN int tdx_measure_uki_disk_boot(tdx_measurements **out, const char *firmware,
                                         const char *disk, const char *uki,
                                         const tdx_measure_options *opts,
                                         const tdx_uki_options *uki_opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

typedef enum tdx_measurements_format {
    /** {"registers": {...}, "assumptions": {...}, "events": [...], ...} */
    TDX_FORMAT_JSON = 0,
    /** The same content as CBOR (RFC 8949), digests as byte strings. */
    TDX_FORMAT_CBOR = 1,
    /** cvm-reverse-proxy measurements list: [{"measurement_id",
     *  "attestation_type": "dcap-tdx"|"azure-tdx", "measurements": {...}}]. */
    TDX_FORMAT_CVM_REVERSE_PROXY = 2,
    /** dstack-mr JSON: {"mrtd", "rtmr0", "rtmr1", "rtmr2"} (TDX only). */
    TDX_FORMAT_DSTACK = 3
} tdx_measurements_format;

#define TDX_SERIALIZE_OPTIONS_VERSION 1
typedef struct tdx_serialize_options {
    unsigned int version;
    /** cvm-reverse-proxy "measurement_id"; NULL: "tdxctl". */
    const char *measurement_id;
} tdx_serialize_options;
#define TDX_SERIALIZE_OPTIONS_INIT { TDX_SERIALIZE_OPTIONS_VERSION, NULL }

/**
 * Serialises @p m. JSON output ends with a newline; CBOR is binary.
 * Unknown registers are null in JSON/CBOR/dstack and left out of the
 * cvm-reverse-proxy list (which ignores unlisted registers: check
 * tdx_measurements_register() before trusting such a list).
 * @param[out] out receives the bytes (NUL-terminated); free with tdx_free().
 * @param[out] size receives the length without the NUL; may be NULL.
 * @return 0, -EINVAL (format does not fit the registers, e.g. dstack for
 *         PCRs), -ENOMEM.
 */
TDX_EXTERN int tdx_measurements_serialize(const tdx_measurements *m, int format,
                                          const tdx_serialize_options *opts, char **out,
                                          size_t *size, tdx_error *err);

/**
 * Serialises @p m into @p path atomically: a temporary file in the same
 * directory, synced and renamed; on failure @p path is unchanged.
 * @return as tdx_measurements_serialize(), or the file system's negative errno.
 */
TDX_EXTERN int tdx_measurements_write_file(const tdx_measurements *m, int format,
                                           const tdx_serialize_options *opts, const char *path,
                                           tdx_error *err);

/**
 * Loads measurements written as JSON by this library (or any JSON with a
 * "registers" object of hex strings or nulls, and optionally "events").
 * @return 0, -EINVAL (not such a document; err names the JSON path),
 *         -EFBIG (over 16 MiB), -ENOENT/...
 */
TDX_EXTERN int tdx_measurements_load_json(tdx_measurements **out, const char *path, tdx_error *err);

/**
 * Compares @p actual (e.g. a replayed event log) with @p expected and
 * describes, per register, the first event where they part: its position,
 * type, description and both digests. Registers unknown in @p expected are
 * not compared, nor is an MRTD that @p actual lacks (event logs have none).
 * @param[out] report receives the text (one line per register, newline
 *             terminated); free with tdx_free(). May be NULL.
 * @return 0 (every register known in @p expected matches), 1 (a register
 *         differs), -EINVAL (different register kinds), -ENOMEM.
 */
TDX_EXTERN int tdx_measurements_compare(const tdx_measurements *actual,
                                        const tdx_measurements *expected, char **report,
                                        tdx_error *err);

TDX_END_DECLS

#endif
