/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/quote.h
 * @brief Intel TDX quotes: parse v4/v5 quotes, verify them against the Intel
 *        SGX Root CA and Intel's collateral, check them against a policy.
 *
 * A quote is untrusted input. tdx_quote_parse() checks every length field
 * before it uses it and rejects anything that does not fit the layout;
 * bytes after the signed data are kept apart and reported
 * (tdx_quote_trailing_bytes()), never verified or used.
 *
 * Verification (docs/verification.md) runs these steps in order and stops
 * at the first that fails, naming it:
 *
 *   parse, pck_chain, qe_report_signature, qe_report_data, quote_signature
 *       always;
 *   collateral, crl, tcb_info, qe_identity, tdx_module, tcb_status
 *       when the verifier has collateral (files or a PCS/PCCS URL);
 *   measurements, report_data
 *       when the caller gives expected values;
 *   td_attributes, xfam, mrservicetd, mrconfigid, mrowner, mrownerconfig,
 *   mrseam
 *       the TD policy: safe defaults (no DEBUG, SEPT_VE_DISABLE set, no
 *       MIGRATABLE, reserved attribute bits zero, MRSERVICETD zero) and the
 *       caller's pins.
 *
 * Conventions as everywhere in libtdxhost (docs/api-conventions.md).
 * Objects are not thread-safe: use each from one thread at a time; the
 * exception is tdx_collateral, immutable and shared by reference.
 */
#ifndef TDXHOST_QUOTE_H
#define TDXHOST_QUOTE_H

#include "common.h"

TDX_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Parsed quotes                                                            */

/** A parsed quote (a private copy of its bytes and their layout). */
typedef struct tdx_quote tdx_quote;

/**
 * Parses a TDX quote, version 4 or 5 (TDX 1.0 or 1.5 body), with ECDSA
 * P-256 signature data, certification data type 6 (QE report) and an inner
 * type 5 PCK certificate chain. Errors name the field and its byte offset:
 * `quote: offset 632: signature data length 5000 exceeds the 4374 bytes left`.
 * @param[out] out receives the quote; free it with tdx_quote_free().
 * @param data the quote bytes (copied).
 * @return 0, -EBADMSG (not a well-formed TDX quote), -EFBIG (over 1 MiB),
 *         -EINVAL (NULL argument), -ENOMEM.
 */
TDX_EXTERN int tdx_quote_parse(tdx_quote **out, const void *data, size_t size, tdx_error *err);

/**
 * Reads a quote file (raw bytes) and parses it; messages start with the path.
 * @return as tdx_quote_parse(), or the negative errno of the failed read.
 */
TDX_EXTERN int tdx_quote_load_file(tdx_quote **out, const char *path, tdx_error *err);

/** Frees a quote. NULL is accepted. */
TDX_EXTERN void tdx_quote_free(tdx_quote *quote);

/** Quote format version: 4 or 5. */
TDX_EXTERN unsigned int tdx_quote_version(const tdx_quote *quote);

/** Report body type: 2 (TD report, TDX 1.0, 584 bytes) or 3 (TDX 1.5, 648 bytes).
 *  Version 4 quotes always carry type 2. */
TDX_EXTERN unsigned int tdx_quote_body_type(const tdx_quote *quote);

/** Number of bytes the signature covers (header and body): 632 for a v4
 *  quote, 54 + body size for v5. */
TDX_EXTERN size_t tdx_quote_signed_size(const tdx_quote *quote);

/** Number of bytes after the quote's signature data (padding, or anything
 *  a producer appended). They are not verified and not used. */
TDX_EXTERN size_t tdx_quote_trailing_bytes(const tdx_quote *quote);

/** Fields of a quote, for tdx_quote_get_field(). Append-only. */
typedef enum tdx_quote_field {
    TDX_QUOTE_QE_VENDOR_ID = 0,   /**< header: 16 bytes */
    TDX_QUOTE_USER_DATA,          /**< header: 20 bytes */
    TDX_QUOTE_TEE_TCB_SVN,        /**< body: 16 bytes */
    TDX_QUOTE_MRSEAM,             /**< body: 48 bytes */
    TDX_QUOTE_MRSIGNERSEAM,       /**< body: 48 bytes */
    TDX_QUOTE_SEAM_ATTRIBUTES,    /**< body: 8 bytes, as stored (little-endian) */
    TDX_QUOTE_TD_ATTRIBUTES,      /**< body: 8 bytes, as stored (little-endian) */
    TDX_QUOTE_XFAM,               /**< body: 8 bytes, as stored (little-endian) */
    TDX_QUOTE_MRTD,               /**< body: 48 bytes */
    TDX_QUOTE_MRCONFIGID,         /**< body: 48 bytes */
    TDX_QUOTE_MROWNER,            /**< body: 48 bytes */
    TDX_QUOTE_MROWNERCONFIG,      /**< body: 48 bytes */
    TDX_QUOTE_RTMR0,              /**< body: 48 bytes */
    TDX_QUOTE_RTMR1,              /**< body: 48 bytes */
    TDX_QUOTE_RTMR2,              /**< body: 48 bytes */
    TDX_QUOTE_RTMR3,              /**< body: 48 bytes */
    TDX_QUOTE_REPORT_DATA,        /**< body: 64 bytes */
    TDX_QUOTE_TEE_TCB_SVN2,       /**< TDX 1.5 body only: 16 bytes */
    TDX_QUOTE_MRSERVICETD,        /**< TDX 1.5 body only: 48 bytes */
    TDX_QUOTE_SIGNATURE,          /**< ECDSA r||s over the signed bytes: 64 bytes */
    TDX_QUOTE_ATTESTATION_KEY,    /**< P-256 public key X||Y: 64 bytes */
    TDX_QUOTE_QE_REPORT,          /**< the whole QE report: 384 bytes */
    TDX_QUOTE_QE_REPORT_SIGNATURE,/**< ECDSA r||s by the PCK key: 64 bytes */
    TDX_QUOTE_QE_AUTH_DATA,       /**< variable */
    TDX_QUOTE_PCK_CHAIN,          /**< the certification data (PEM or DER certificates) */
    TDX_QUOTE_QE_CPUSVN,          /**< QE report: 16 bytes */
    TDX_QUOTE_QE_MISCSELECT,      /**< QE report: 4 bytes, as stored */
    TDX_QUOTE_QE_ATTRIBUTES,      /**< QE report: 16 bytes */
    TDX_QUOTE_QE_MRENCLAVE,       /**< QE report: 32 bytes */
    TDX_QUOTE_QE_MRSIGNER,        /**< QE report: 32 bytes */
    TDX_QUOTE_QE_ISVPRODID,       /**< QE report: 2 bytes, little-endian */
    TDX_QUOTE_QE_ISVSVN,          /**< QE report: 2 bytes, little-endian */
    TDX_QUOTE_QE_REPORT_DATA,     /**< QE report: 64 bytes */
    TDX_QUOTE_FIELD_COUNT         /**< number of fields in this version of the header */
} tdx_quote_field;

/**
 * Finds a field of the quote.
 * @param[out] data receives a pointer into the quote (borrowed: valid until
 *             the quote is freed).
 * @param[out] size receives the field's length in bytes.
 * @return 0, -ENOENT (the field is not in this quote's body type),
 *         -EINVAL (unknown field).
 */
TDX_EXTERN int tdx_quote_get_field(const tdx_quote *quote, tdx_quote_field field,
                               const uint8_t **data, size_t *size);

/** The field's name as JSON output uses it ("mrtd", "rtmr0", "td_attributes",
 *  ...), or NULL for an unknown field. Static string. */
TDX_EXTERN const char *tdx_quote_field_name(tdx_quote_field field);

/**
 * Renders the quote as a JSON object: "version", "body_type",
 * "signed_size", "trailing_bytes" and every field of tdx_quote_field by its
 * name, as lowercase hex (the QE's ISV numbers as integers).
 * @param[out] out receives one line of JSON; free it with tdx_free().
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_quote_to_json(const tdx_quote *quote, char **out, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Expected measurements                                                    */

/** One or more accepted sets of MRTD and RTMR0-3 values. */
typedef struct tdx_expected tdx_expected;

/**
 * Loads expected measurements from a JSON file in either format:
 *  - tdxhost's measurement JSON: an object whose "registers" member maps
 *    "mrtd", "rtmr0" ... "rtmr3" to 96 hex digits or null (not checked);
 *    other members are ignored;
 *  - a cvm-reverse-proxy measurements list: an array of objects with
 *    "measurement_id", "attestation_type" and "measurements" mapping "0"
 *    (MRTD) and "1".."4" (RTMR0..3) to {"expected": HEX}; entries whose
 *    attestation_type is not "dcap-tdx" are skipped, and a quote passes
 *    when it matches any remaining entry.
 * Errors name the file and the JSON path.
 * @param[out] out receives the object; free it with tdx_expected_free().
 * @return 0, -EINVAL (not one of the formats, or no register to check),
 *         -EFBIG (over 16 MiB), the negative errno of a failed read, -ENOMEM.
 */
TDX_EXTERN int tdx_expected_load_file(tdx_expected **out, const char *path, tdx_error *err);

/** As tdx_expected_load_file(), from memory; @p name labels messages. */
TDX_EXTERN int tdx_expected_load_buffer(tdx_expected **out, const char *name, const char *data,
                                        size_t size, tdx_error *err);

/** Frees the object. NULL is accepted. */
TDX_EXTERN void tdx_expected_free(tdx_expected *expected);

/* ------------------------------------------------------------------------ */
/* Parsed collateral                                                        */

/** Collateral parsed and signature-checked once, against one root, then
 *  never changed: any number of verifiers, on any threads, may share it.
 *  Reference-counted (atomically); the last tdx_collateral_unref() frees it. */
typedef struct tdx_collateral tdx_collateral;

#define TDX_COLLATERAL_OPTIONS_VERSION 1
typedef struct tdx_collateral_options {
    unsigned int version;
    /** The root the collateral must chain to, as a PEM file or text (at
     *  most one); neither: the Intel SGX Root CA built into the library. */
    const char *root_file;
    const char *root_pem;
} tdx_collateral_options;
#define TDX_COLLATERAL_OPTIONS_INIT { TDX_COLLATERAL_OPTIONS_VERSION, NULL, NULL }

/**
 * Reads collateral files (a directory of PCS responses, issuer chains and
 * CRLs, or one dcap-qvl collateral JSON file, as tdx_verifier_options'
 * @c collateral) and checks every signature in them that does not depend
 * on a quote or on the time: the TCB signing chain to the root, the TCB
 * info and QE identity signatures, the root CA CRL, the PCK CRLs (against
 * the CA certificates of their issuer chains). A signature that fails is
 * recorded and reported by the verification step it belongs to, as when a
 * verifier loads the files itself.
 * @param[out] out receives the collateral with one reference; release it
 *             with tdx_collateral_unref().
 * @return 0, -EINVAL (bad option, two files for the same thing),
 *         -EBADMSG (malformed root or collateral), the negative errno of a
 *         failed read, -ENOMEM.
 */
TDX_EXTERN int tdx_collateral_load(tdx_collateral **out, const char *path, const tdx_collateral_options *opts,
                                   tdx_error *err);

/** Takes another reference; returns @p collateral. NULL is accepted.
 *  Thread-safe. */
TDX_EXTERN tdx_collateral *tdx_collateral_ref(tdx_collateral *collateral);

/** Drops a reference; the last one frees the collateral. NULL is accepted.
 *  Thread-safe. */
TDX_EXTERN void tdx_collateral_unref(tdx_collateral *collateral);

/* ------------------------------------------------------------------------ */
/* Verifier                                                                 */

/** Holds the trust anchor, the collateral and a cache of verified PCK
 *  certificate chains. Cheap to create from a tdx_collateral. */
typedef struct tdx_verifier tdx_verifier;

#define TDX_VERIFIER_OPTIONS_VERSION 2
typedef struct tdx_verifier_options {
    unsigned int version;
    /** PEM file holding one certificate to trust instead of the Intel SGX
     *  Root CA built into the library (e.g. a test PKI). */
    const char *root_file;
    /** The same as PEM text (NUL-terminated); at most one of the two. */
    const char *root_pem;
    /** Collateral from files: a directory of Intel PCS responses and their
     *  issuer chains, or one JSON file in dcap-qvl's collateral shape. */
    const char *collateral;
    /** Collateral from a PCS or PCCS base URL (Intel's v4 API paths are
     *  appended), e.g. "https://api.trustedservices.intel.com". Not together
     *  with @c collateral. */
    const char *pccs_url;
    /** Directory where fetched collateral is kept and reused while it is
     *  valid; NULL keeps it in memory only. Created when missing. */
    const char *cache_dir;
    /** Seconds a fetch may take; TDX_UNSET: 30. */
    long long fetch_timeout;

    /* Version 2 */

    /** Collateral parsed before (tdx_collateral_load()): the verifier
     *  takes a reference and uses its root unless root_file or root_pem is
     *  given, which must then be the same certificate. Not together with
     *  @c collateral or @c pccs_url. Creating a verifier this way parses
     *  nothing. */
    tdx_collateral *parsed_collateral;
} tdx_verifier_options;
#define TDX_VERIFIER_OPTIONS_INIT { TDX_VERIFIER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, TDX_UNSET, NULL }

/**
 * Creates a verifier. The built-in Intel SGX Root CA is checked against its
 * SHA-256 fingerprint (44:A0:19:6B:...:74:D3) before use. Collateral files
 * are read, parsed and their signatures checked now (as
 * tdx_collateral_load()); their windows are checked when a quote is
 * verified, against that call's time. A verifier is used from one thread at
 * a time; verifiers sharing one tdx_collateral may run on different threads.
 * @param[out] out receives the verifier; free it with tdx_verifier_free().
 * @param opts options, or NULL for the Intel root and no collateral.
 * @return 0, -EINVAL (bad option, or two collateral files for the same
 *         thing), -EBADMSG (malformed root certificate or collateral, named in
 *         the message with its JSON path), -ENOENT/-EACCES/... (unreadable
 *         file), -ENOMEM.
 */
TDX_EXTERN int tdx_verifier_new(tdx_verifier **out, const tdx_verifier_options *opts,
                                tdx_error *err);

/** Frees a verifier and its caches. NULL is accepted. */
TDX_EXTERN void tdx_verifier_free(tdx_verifier *verifier);

/** Verification steps, in the order they run. Append-only. */
typedef enum tdx_verify_step {
    TDX_VERIFY_STEP_NONE = 0,             /**< no step failed */
    TDX_VERIFY_STEP_PARSE,                /**< quote structure and header values */
    TDX_VERIFY_STEP_PCK_CHAIN,            /**< PCK leaf -> intermediate -> trusted root, validity at "now" */
    TDX_VERIFY_STEP_QE_REPORT_SIGNATURE,  /**< QE report signed by the PCK key */
    TDX_VERIFY_STEP_QE_REPORT_DATA,       /**< QE report data = SHA-256(attestation key || auth data) */
    TDX_VERIFY_STEP_QUOTE_SIGNATURE,      /**< header and body signed by the attestation key */
    TDX_VERIFY_STEP_COLLATERAL,           /**< collateral present (loaded or fetched) for this platform */
    TDX_VERIFY_STEP_CRL,                  /**< root CA and PCK CRLs: signatures, windows, revocations */
    TDX_VERIFY_STEP_TCB_INFO,             /**< TCB info: signing chain, signature, window, FMSPC/PCEID */
    TDX_VERIFY_STEP_QE_IDENTITY,          /**< QE identity: signature, window, QE report match */
    TDX_VERIFY_STEP_TDX_MODULE,           /**< MRSIGNERSEAM, SEAM attributes, TDX module identity */
    TDX_VERIFY_STEP_TCB_STATUS,           /**< TCB level found and accepted by the policy */
    TDX_VERIFY_STEP_MEASUREMENTS,         /**< MRTD and RTMR0-3 as expected */
    TDX_VERIFY_STEP_REPORT_DATA,          /**< REPORTDATA as expected */
    TDX_VERIFY_STEP_TD_ATTRIBUTES,        /**< DEBUG, SEPT_VE_DISABLE, MIGRATABLE, reserved bits, pin */
    TDX_VERIFY_STEP_XFAM,                 /**< XFAM under the pinned mask (when pinned) */
    TDX_VERIFY_STEP_MRSERVICETD,          /**< zero, or one of the expected values */
    TDX_VERIFY_STEP_MRCONFIGID,           /**< one of the expected values (when pinned) */
    TDX_VERIFY_STEP_MROWNER,              /**< one of the expected values (when pinned) */
    TDX_VERIFY_STEP_MROWNERCONFIG,        /**< one of the expected values (when pinned) */
    TDX_VERIFY_STEP_MRSEAM                /**< one of the expected TDX module measurements (when pinned) */
} tdx_verify_step;

/** The step's name: "parse", "pck_chain", ..., "td_attributes"; "" for
 *  TDX_VERIFY_STEP_NONE; NULL for an unknown value. Static string. */
TDX_EXTERN const char *tdx_verify_step_name(tdx_verify_step step);

/** TCB status, from best to worst up to Revoked; the two relaunch statuses
 *  (TDX 1.5) come after it only because the enum is append-only. */
typedef enum tdx_tcb_status {
    TDX_TCB_STATUS_NONE = 0,                     /**< not evaluated (no collateral) */
    TDX_TCB_UP_TO_DATE,
    TDX_TCB_SW_HARDENING_NEEDED,
    TDX_TCB_CONFIGURATION_NEEDED,
    TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    TDX_TCB_OUT_OF_DATE,
    TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    TDX_TCB_REVOKED,
    /** TDX 1.5 (a v5 quote with a TDX 1.5 body): the TD was launched on a TDX
     *  module that is OutOfDate, but the module running now (TEE_TCB_SVN2)
     *  is the latest: relaunching the TD brings it up to date. Accepted
     *  only when accept_tcb names it. Intel's QVL
     *  calls it TD_RELAUNCH_ADVISED; the name is "TDRelaunchAdvised". */
    TDX_TCB_TD_RELAUNCH_ADVISED,
    /** The same with ConfigurationNeeded: "TDRelaunchAdvisedConfigurationNeeded". */
    TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
} tdx_tcb_status;

/** Intel's name of the status ("UpToDate", "OutOfDate", ...); "" for
 *  TDX_TCB_STATUS_NONE; NULL for an unknown value. Static string. */
TDX_EXTERN const char *tdx_tcb_status_name(tdx_tcb_status status);

#define TDX_VERIFY_OPTIONS_VERSION 2
typedef struct tdx_verify_options {
    unsigned int version;
    /** Unix time to check certificates and collateral against;
     *  TDX_UNSET: the current time. */
    long long now;
    /** Expected MRTD/RTMRs (borrowed for the call); NULL: not checked. */
    const tdx_expected *expected;
    /** Expected REPORTDATA, 1 to 64 bytes, compared zero-padded to 64;
     *  NULL: not checked. */
    const uint8_t *report_data;
    size_t report_data_size;
    /** Accepted TCB statuses by name (NULL-terminated); NULL: "UpToDate"
     *  only. "Revoked" is never accepted. Needs collateral. */
    const char *const *accept_tcb;
    /** Lowest accepted tcbEvaluationDataNumber of the TCB info and QE
     *  identity; TDX_UNSET: any. Needs collateral. */
    long long min_tcb_evaluation;
    /** Accept a TD with the DEBUG attribute; TDX_UNSET or 0: refuse it. */
    int allow_debug;

    /* Version 2 */

    /** Accept a TD whose SEPT_VE_DISABLE attribute (bit 28) is clear, so
     *  EPT violations reach the guest as #VE, which the host can cause at
     *  will; TDX_UNSET or 0: refuse it. */
    int allow_sept_ve;
    /** Accept a TD with the MIGRATABLE attribute (bit 29, TDX 1.5): a
     *  migration TD may export its state; TDX_UNSET or 0: refuse it. */
    int allow_migratable;
    /** Pins of TDATTRIBUTES and XFAM: 8 bytes each as the quote stores
     *  them (little-endian, as tdx_quote_to_json() shows them). The field
     *  passes when (field & mask) == (value & mask); a NULL mask means all
     *  ones. NULL value: not pinned. The td_attributes pin comes on top of
     *  the attribute rules above. */
    const uint8_t *td_attributes, *td_attributes_mask;
    const uint8_t *xfam, *xfam_mask;
    /** Accepted values of the 48-byte fields, each an array of count
     *  values. MRSERVICETD must be all zero unless values are given (a TDX
     *  1.0 body has none and counts as zero); the others are not checked
     *  unless values are given. */
    const uint8_t (*mrservicetd)[48];
    size_t mrservicetd_count;
    const uint8_t (*mrconfigid)[48];
    size_t mrconfigid_count;
    const uint8_t (*mrowner)[48];
    size_t mrowner_count;
    const uint8_t (*mrownerconfig)[48];
    size_t mrownerconfig_count;
    /** Accepted MRSEAM values (TDX module measurements). */
    const uint8_t (*mrseam)[48];
    size_t mrseam_count;
    /** Advisory IDs that may be present (NULL-terminated): with it, a TCB
     *  status is accepted only when every advisory ID of the matched TCB
     *  levels is in the list. NULL: any. Needs collateral. */
    const char *const *accept_advisories;
} tdx_verify_options;
#define TDX_VERIFY_OPTIONS_INIT                                                                      \
    { TDX_VERIFY_OPTIONS_VERSION, TDX_UNSET, NULL, NULL, 0, NULL, TDX_UNSET, TDX_UNSET, TDX_UNSET, \
      TDX_UNSET, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL }

/** The outcome of one verification. */
typedef struct tdx_verification tdx_verification;

/**
 * Verifies a quote. Without collateral in the verifier, the collateral
 * steps are skipped and the result says so; a policy that asks for TCB
 * checks (@c accept_tcb, @c min_tcb_evaluation) then fails at tcb_status.
 *
 * @param[out] out receives the outcome, whether verification passed or
 *             failed (that is its purpose), whenever the return value is 0
 *             or one of the verification codes below; free it with
 *             tdx_verification_free(). May be NULL.
 * @return 0 when every step passed. When a step failed, err says
 *         "STEP: message" and the code says what kind of failure:
 *         -EBADMSG (malformed quote or collateral), -EKEYREJECTED (a
 *         signature, chain or identity does not match), -EKEYEXPIRED (a
 *         certificate or collateral is outside its validity window at
 *         "now"), -EKEYREVOKED (a CRL lists a certificate, or the TCB is
 *         Revoked), -EPERM (the policy refuses the quote), -ENOENT (needed
 *         collateral is missing), or the negative errno of a failed fetch
 *         (-EIO, -ETIMEDOUT, ...). -EINVAL (bad options) and -ENOMEM do
 *         not produce an outcome.
 */
TDX_EXTERN int tdx_verifier_verify(tdx_verifier *verifier, const tdx_quote *quote,
                                   const tdx_verify_options *opts, tdx_verification **out,
                                   tdx_error *err);

/** Frees an outcome. NULL is accepted. */
TDX_EXTERN void tdx_verification_free(tdx_verification *result);

/** 1 if every step passed, else 0. */
TDX_EXTERN int tdx_verification_ok(const tdx_verification *result);

/** The step that failed; TDX_VERIFY_STEP_NONE when none did. */
TDX_EXTERN tdx_verify_step tdx_verification_failed_step(const tdx_verification *result);

/** One line saying what failed, naming the field, certificate or time; ""
 *  when nothing did. Borrowed: valid while the outcome lives. */
TDX_EXTERN const char *tdx_verification_message(const tdx_verification *result);

/** The TCB status Intel's collateral gives (platform, TDX module and QE
 *  combined); TDX_TCB_STATUS_NONE when it was not evaluated. */
TDX_EXTERN tdx_tcb_status tdx_verification_tcb_status(const tdx_verification *result);

/** Intel advisory IDs ("INTEL-SA-00837", ...) of the matched TCB levels,
 *  sorted, NULL-terminated; never NULL. Borrowed from the outcome. */
TDX_EXTERN const char *const *tdx_verification_advisories(const tdx_verification *result);

/** The verified quote (a copy). Borrowed from the outcome. */
TDX_EXTERN const tdx_quote *tdx_verification_quote(const tdx_verification *result);

/**
 * Renders the outcome as one JSON object: "verified", "step" and "message"
 * (null when verified), "checks" (each step: "passed", "failed", "skipped"
 * or "not reached"), "now", "tcb_status" with the platform, TDX module and
 * QE statuses and "advisory_ids", the PCK's "fmspc", "pce_id" and "ca",
 * "tcb_evaluation_number", "measurement_id" (a matched cvm-reverse-proxy
 * entry) and "quote" (as tdx_quote_to_json()).
 * @param[out] out receives the text; free it with tdx_free().
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_verification_to_json(const tdx_verification *result, char **out,
                                        tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Policy files                                                             */

/** Everything one verification checks, from a JSON policy file
 *  (docs/verification.md, "Policy files"): expected measurements (one or
 *  more acceptable sets), REPORTDATA, accepted TCB statuses and advisory
 *  IDs, minimum tcbEvaluationDataNumber, the TD policy pins, and where the
 *  root and the collateral come from. Immutable once loaded. */
typedef struct tdx_policy tdx_policy;

/**
 * Loads a policy file. Paths in it ("expected", "root", "collateral",
 * "cache_dir") are relative to the file's directory. An unknown field is an
 * error naming it (and the field it was probably meant to be); null is the
 * same as absent; every value is checked and errors name the file and the
 * field: `policy.json: mrowner[1]: expected 96 hex digits (48 bytes), got "00"`.
 * @param[out] out receives the policy; free it with tdx_policy_free().
 * @return 0, -EINVAL (not a valid policy, or an expected-measurements file
 *         it names is not valid), -EFBIG (over 1 MiB), the negative errno
 *         of a failed read, -ENOMEM.
 */
TDX_EXTERN int tdx_policy_load(tdx_policy **out, const char *path, tdx_error *err);

/** As tdx_policy_load(), from memory: @p name labels messages, relative
 *  paths are taken from @p base_dir (NULL: the working directory). */
TDX_EXTERN int tdx_policy_load_buffer(tdx_policy **out, const char *name, const char *base_dir,
                                      const char *data, size_t size, tdx_error *err);

/** Frees a policy. NULL is accepted. */
TDX_EXTERN void tdx_policy_free(tdx_policy *policy);

/**
 * Sets the fields of @p opts the policy gives (expected, report_data,
 * accept_tcb, accept_advisories, min_tcb_evaluation, now, the allow_*
 * fields and the pins) and leaves the others as they are, so a caller
 * starts from TDX_VERIFY_OPTIONS_INIT, applies the policy, then overrides
 * what its own flags say. Pointers written into @p opts are borrowed from
 * the policy: valid until it is freed.
 * @return 0, -EINVAL (NULL argument, or opts of an older version than 2).
 */
TDX_EXTERN int tdx_policy_verify_options(const tdx_policy *policy, tdx_verify_options *opts,
                                         tdx_error *err);

/** The same for the verifier: root_file, collateral, pccs_url, cache_dir.
 *  Borrowed from the policy. @return 0, -EINVAL. */
TDX_EXTERN int tdx_policy_verifier_options(const tdx_policy *policy, tdx_verifier_options *opts,
                                           tdx_error *err);

/** 1 when the policy says "no_cache": true (fetched collateral stays in
 *  memory), else 0. */
TDX_EXTERN int tdx_policy_no_cache(const tdx_policy *policy);

/**
 * A starter policy for an image: its expected measurements by file name
 * (@p expected_file, e.g. "measurements.json", relative to where the policy
 * is written), UpToDate only, and every TD rule at its safe default written
 * out (no DEBUG, SEPT_VE_DISABLE required, no MIGRATABLE, MRSERVICETD,
 * MRCONFIGID, MROWNER and MROWNERCONFIG all zero), so an operator edits
 * values rather than discovers fields. `tdxctl build` writes it as
 * policy.json next to measurements.json.
 * @param[out] out receives pretty-printed JSON with a final newline; free
 *             it with tdx_free().
 * @return 0, -EINVAL (NULL or empty file name), -ENOMEM.
 */
TDX_EXTERN int tdx_policy_starter_json(const char *expected_file, char **out, tdx_error *err);

TDX_END_DECLS

#endif
