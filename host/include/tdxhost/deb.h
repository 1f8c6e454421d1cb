/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/deb.h
 * @brief Debian packages through the signed archive index, and .deb extraction.
 *
 * A package name is resolved the way apt trusts an archive: the release's
 * `InRelease` is fetched and its OpenPGP signature checked with `gpgv`
 * against a keyring (the Debian archive keyring by default); the `Packages`
 * index is then fetched by the SHA-256 the signed `InRelease` lists, and the
 * `.deb` by the SHA-256 its `Packages` entry lists. Every file is fetched
 * through tdx_fetch(), so it lands in the content-addressed cache only when
 * its hash matches. Nothing is installed and no maintainer script ever runs.
 */
#ifndef TDXHOST_DEB_H
#define TDXHOST_DEB_H

#include "common.h"
#include "fetch.h"

TDX_BEGIN_DECLS

/** A resolved package. Opaque; free with tdx_deb_package_free(). */
typedef struct tdx_deb_package tdx_deb_package;

/** The verified index of one release and architecture. Opaque. */
typedef struct tdx_deb_index tdx_deb_index;

#define TDX_DEB_OPTIONS_VERSION 1
typedef struct tdx_deb_options {
    unsigned int version;
    /** Suite or codename (e.g. "bookworm", "bookworm-backports"); NULL: "bookworm". */
    const char *release;
    /** Debian architecture; NULL: "amd64". Packages of architecture "all" match too. */
    const char *arch;
    /** Archive root URL (e.g. "http://deb.debian.org/debian"); NULL: taken from the
     *  host's apt sources (an entry for the release, else for its base release). */
    const char *mirror;
    /** Pin a snapshot: "YYYYMMDDTHHMMSSZ" uses
     *  https://snapshot.debian.org/archive/debian/<timestamp>/ as the mirror. */
    const char *snapshot;
    /** Components searched in order; NULL: { "main" }. */
    const char *const *components;
    /** OpenPGP keyring (binary, as gpgv reads it); NULL: the apt source's Signed-By
     *  file when the mirror came from there, else
     *  /usr/share/keyrings/debian-archive-keyring.gpg. */
    const char *keyring;
    /** Directory holding sources.list and sources.list.d/; NULL: "/etc/apt". */
    const char *apt_dir;
    /** Follow a metapackage (a package whose Depends is exactly one package at an
     *  exact version, like linux-image-amd64) to that package; TDX_UNSET: yes. */
    int follow;
    /** Refuse an InRelease past its Valid-Until; TDX_UNSET: yes, except for snapshots
     *  (the snapshot option, or a mirror on snapshot.debian.org). */
    int check_valid_until;
    /** The current time for Valid-Until (seconds since the epoch); TDX_UNSET: now. */
    long long now;
    /** How the index files are fetched (cache, timeouts, progress); NULL: defaults. */
    const tdx_fetch_options *fetch;
} tdx_deb_options;
#define TDX_DEB_OPTIONS_INIT { TDX_DEB_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, \
                               NULL, TDX_UNSET, TDX_UNSET, TDX_UNSET, NULL }

/**
 * Fetches and verifies the index of a release: InRelease (signature, suite or
 * codename, Valid-Until, architecture), then each component's Packages file
 * by its signed hash.
 * @param[out] out receives the index; free with tdx_deb_index_free(). It keeps
 *        the uncompressed Packages text (tens of MiB for Debian's main).
 * @return 0; -EINVAL (bad options); -EKEYREJECTED (no valid signature from the
 *         keyring: the message quotes gpgv); -EBADMSG (a Packages file does not
 *         match its signed hash: URL, expected, got); -ESTALE (InRelease expired);
 *         -ENOENT (no apt source for the release, component or architecture not in
 *         the release); the errors of tdx_fetch().
 */
TDX_EXTERN int tdx_deb_index_open(tdx_deb_index **out, const tdx_deb_options *opts,
                                  tdx_error *err);

/** Frees an index. NULL is accepted. */
TDX_EXTERN void tdx_deb_index_free(tdx_deb_index *index);

/**
 * Looks a package up in an index: the highest version of @p name for the
 * index's architecture or "all", in the first component that has it, then
 * (unless follow is 0) its metapackage target.
 * @param[out] out receives the package; free with tdx_deb_package_free().
 * @return 0, -ENOENT (no such package: the message names release and
 *         architecture), -EBADMSG (an entry without SHA256, Size or a safe
 *         Filename), -ENOMEM.
 */
TDX_EXTERN int tdx_deb_index_find(const tdx_deb_index *index, const char *name,
                                  tdx_deb_package **out, tdx_error *err);

/** tdx_deb_index_open() and tdx_deb_index_find() in one call. */
TDX_EXTERN int tdx_deb_resolve(const char *name, const tdx_deb_options *opts,
                               tdx_deb_package **out, tdx_error *err);

/** Fields of a resolved package. Append-only. */
typedef enum tdx_deb_field {
    TDX_DEB_NAME = 0,             /**< the package fetched (after following a metapackage) */
    TDX_DEB_REQUESTED = 1,        /**< the name asked for */
    TDX_DEB_VERSION = 2,
    TDX_DEB_ARCHITECTURE = 3,     /**< the package's own ("all" or the index's) */
    TDX_DEB_SHA256 = 4,           /**< 64 lowercase hex digits, from the Packages entry */
    TDX_DEB_FILENAME = 5,         /**< path in the archive, e.g. "pool/main/e/edk2/ovmf_..._all.deb" */
    TDX_DEB_URL = 6,              /**< mirror + "/" + filename */
    TDX_DEB_MIRROR = 7,
    TDX_DEB_RELEASE = 8,          /**< as requested (suite or codename) */
    TDX_DEB_COMPONENT = 9,
    TDX_DEB_INRELEASE_URL = 10,
    TDX_DEB_INRELEASE_SHA256 = 11,/**< hash of the InRelease file as fetched (it is cached) */
    TDX_DEB_INRELEASE_DATE = 12,  /**< its Date: field */
    TDX_DEB_INDEX_ARCH = 13       /**< the architecture the index was opened for */
} tdx_deb_field;

/** A field of @p pkg; borrowed, valid until the package is freed; NULL for an unknown field. */
TDX_EXTERN const char *tdx_deb_package_get(const tdx_deb_package *pkg, tdx_deb_field field);

/** Size of the .deb in bytes, from the Packages entry. */
TDX_EXTERN uint64_t tdx_deb_package_size(const tdx_deb_package *pkg);

/** Frees a package. NULL is accepted. */
TDX_EXTERN void tdx_deb_package_free(tdx_deb_package *pkg);

/**
 * Downloads the package's .deb through tdx_fetch() with its SHA-256, its size
 * as the size limit.
 * @param[out] path receives the cached file; free with tdx_free(). May be NULL.
 * @return as tdx_fetch(); a mismatch (-EBADMSG) names the URL, expected and got.
 */
TDX_EXTERN int tdx_deb_download(const tdx_deb_package *pkg, const tdx_fetch_options *opts,
                                char **path, tdx_error *err);

#define TDX_DEB_EXTRACT_OPTIONS_VERSION 1
typedef struct tdx_deb_extract_options {
    unsigned int version;
    /** Extract only members matching one of these fnmatch(3) patterns, written
     *  as relative paths ("boot/vmlinuz-*", "usr/share/ovmf/OVMF.fd"); NULL: all. */
    const char *const *paths;
    /** Largest total of extracted bytes; TDX_UNSET: 8 GiB. */
    long long max_size;
} tdx_deb_extract_options;
#define TDX_DEB_EXTRACT_OPTIONS_INIT { TDX_DEB_EXTRACT_OPTIONS_VERSION, NULL, TDX_UNSET }

/**
 * Extracts the files of a .deb (its data.tar, compressed with xz, zstd, gzip,
 * bzip2 or not at all) into a new directory, with libarchive; control files
 * and maintainer scripts are not extracted and nothing runs. Paths are checked
 * (no absolute paths, no "..", nothing written through a symlink, no device
 * files; at most 200,000 members); modes keep their permission bits without
 * setuid/setgid; owners are not set. The tree is built in a temporary
 * sibling of @p outdir and renamed into place, so a failure leaves nothing.
 * @param outdir a directory to create; it may exist if it is empty.
 * @return 0; -EEXIST (outdir not empty); -EBADMSG (not a .deb, or an unsafe
 *         member: the message names it); -EFBIG (over the size limit);
 *         other negative errno. Library codes are archive_errno() values.
 */
TDX_EXTERN int tdx_deb_extract(const char *deb, const char *outdir,
                               const tdx_deb_extract_options *opts, tdx_error *err);

TDX_END_DECLS

#endif
