/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/pe.h
 * @brief Authenticode digests of PE/COFF images (EFI applications, kernels, UKIs).
 *
 * The digest is what UEFI firmware (edk2) measures for an image and what
 * Authenticode signatures sign: the headers without the CheckSum field and
 * the Certificate Table entry, then the sections with raw data in file-offset
 * order, then the data after them up to the certificate table
 * (file size - certificate table size), whether or not the file is signed.
 * No padding is added: firmware measures the bytes it loaded.
 */
#ifndef TDXHOST_PE_H
#define TDXHOST_PE_H

#include "common.h"
#include "measure.h"

TDX_BEGIN_DECLS

/**
 * Authenticode digest of the PE file @p path, streamed from the file.
 * @param alg TDX_HASH_SHA256, TDX_HASH_SHA384 (or SHA1, SHA512).
 * @param[out] digest receives tdx_hash_alg_size(alg) bytes.
 * @param digest_size size of @p digest; at least tdx_hash_alg_size(alg).
 * @return the digest size; -EINVAL (not a PE image, or a header field points
 *         outside the file: err names the field and offset; unknown alg or
 *         buffer too small); -ENOENT/-EACCES/... (unreadable file); -ENOMEM.
 */
TDX_EXTERN int tdx_pe_authenticode(const char *path, int alg, uint8_t *digest, size_t digest_size,
                                   tdx_error *err);

/**
 * As tdx_pe_authenticode(), for an image in memory. @p name labels error
 * messages (NULL: "image").
 */
TDX_EXTERN int tdx_pe_authenticode_buffer(const void *data, size_t size, const char *name, int alg,
                                          uint8_t *digest, size_t digest_size, tdx_error *err);

TDX_END_DECLS

#endif
