/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/build.h
 * @brief Building a recipe into a bootable, measured TD image.
 *
 * tdx_build() turns one profile of a recipe into an output directory
 * (docs/build.md): `vmlinuz`, `initrd.cpio.gz`, `OVMF.fd`, `cmdline`,
 * `vm.json` (the VM shape the measurements assume), `measurements.json` and
 * `.cbor`, and `build.json` (every input and artifact with its SHA-256).
 *
 * The native backend assembles the image without root and without running
 * anything from the image: the kernel and firmware packages through the
 * signed Debian index (pinned in `tdx.lock`), the kernel modules the image
 * needs with their dependencies, the static tdx-agent as `/init`, the
 * recipe's files, users and packages, written as a deterministic newc cpio.
 * Two builds of one recipe give the same bytes. The output directory is
 * written whole (staging directory, then rename) or not at all.
 */
#ifndef TDXHOST_BUILD_H
#define TDXHOST_BUILD_H

#include "common.h"
#include "fetch.h"
#include "measure.h"
#include "recipe.h"

TDX_BEGIN_DECLS

/** Build backends. Append-only. */
typedef enum tdx_build_backend {
    TDX_BUILD_BACKEND_NATIVE = 0,  /**< initramfs image assembled by the library */
    TDX_BUILD_BACKEND_MKOSI = 1    /**< mkosi 25 or newer on an emitted tree (docs/build.md) */
} tdx_build_backend;

/* tdx_build_options is the recipe's builder step (recipe.h); these are the
 * options of a whole image build. */
#define TDX_BUILD_IMAGE_OPTIONS_VERSION 2
typedef struct tdx_build_image_options {
    unsigned int version;
    /** Profile to build; NULL: the default profile. */
    const char *profile;
    /** A tdx_build_backend; TDX_UNSET: native. */
    int backend;
    /** Output directory; NULL: "build/<image-id>" below the current directory.
     *  Replaced whole when the build succeeds, untouched when it fails. */
    const char *output_dir;
    /** 1: use only what tdx.lock pins, never resolve (a stale lock fails);
     *  TDX_UNSET: no (the lock is brought up to date and saved). */
    int frozen;
    /** Cache root; NULL: $XDG_CACHE_HOME/tdxhost (or ~/.cache/tdxhost).
     *  Downloads go to <root>/fetch, extracted packages to <root>/extract. */
    const char *cache_dir;
    /** Progress of downloads (what is a URL) and of build steps (what is
     *  "step: NAME", done and total 0); NULL: none. */
    tdx_progress_fn progress;
    void *progress_data;
    /** The static tdx-agent binary that becomes /init (stripped while it is
     *  copied); required by the native backend. */
    const char *agent;
    /** Directory the recipe's lock and relative paths belong to; NULL: the cwd. */
    const char *recipe_dir;
    /** Lock file; NULL: "tdx.lock" in recipe_dir. */
    const char *lock_file;
    /** Debian access, as tdx_lock_options: mirror, snapshot, keyring, apt directory. */
    const char *mirror;
    const char *snapshot;
    const char *keyring;
    const char *apt_dir;
    /** 1: no network (everything from the cache); TDX_UNSET: no. */
    int offline;
    /* Version 2: */
    /** The mkosi backend's mkosi (checked to be 25 or newer); NULL: mkosi in
     *  PATH when it is new enough, else tdx_mkosi_install()'s. */
    const char *mkosi;
    /** 1: the recipe may name host files from anywhere. TDX_UNSET
     *  or 0: a path a recipe file names (file and build src, keyring, script
     *  file, kernel config_file, firmware) must resolve, symlinks followed, to
     *  below that recipe file's directory, else -EACCES naming the field, as
     *  for tdx_emit_mkosi() (docs/recipe.md: the trust boundary). */
    int allow_outside_src;
} tdx_build_image_options;
#define TDX_BUILD_IMAGE_OPTIONS_INIT                                                       \
    { TDX_BUILD_IMAGE_OPTIONS_VERSION, NULL, TDX_UNSET, NULL, TDX_UNSET, NULL, NULL, NULL, \
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, TDX_UNSET, NULL, TDX_UNSET }

/** The outcome of a build. Opaque; free with tdx_build_result_free(). */
typedef struct tdx_build_result tdx_build_result;

/**
 * Builds one profile of @p image.
 * @param[out] out receives the result; may be NULL. Free with tdx_build_result_free().
 * @return 0; -EOPNOTSUPP (the mkosi backend, or recipe fields the native
 *         backend cannot honour: one line per field, each naming it and
 *         "use --backend mkosi"); -ESTALE (frozen and the lock is stale);
 *         -ENOENT (a kernel module, package or file that does not exist:
 *         named); -EINVAL (bad options or recipe values); -EACCES (a recipe
 *         names a host file outside its directory, see allow_outside_src);
 *         the errors of tdx_fetch(), tdx_deb_index_open(), tdx_lock_*() and
 *         tdx_measure_direct_boot(), prefixed with the step.
 */
TDX_EXTERN int tdx_build(const tdx_image *image, const tdx_build_image_options *opts,
                         tdx_build_result **out, tdx_error *err);

/**
 * The recipe fields of @p profile (NULL: default) that the native backend
 * cannot honour, one line each ending in '\n', each naming the field and
 * saying "use --backend mkosi". tdx_build()'s error names only the first.
 * @param[out] out receives the text (free with tdx_free()), or NULL when there is none.
 * @return 1 (there are some), 0 (none), -ENOENT (no such profile), -ENOMEM.
 */
TDX_EXTERN int tdx_build_native_problems(const tdx_image *image, const char *profile, char **out,
                                         tdx_error *err);

/** Frees a result. NULL is accepted. */
TDX_EXTERN void tdx_build_result_free(tdx_build_result *res);

/** The output directory as written (absolute). Borrowed from @p res. */
TDX_EXTERN const char *tdx_build_result_dir(const tdx_build_result *res);

/** The image id ("<name>" or "<name>-<profile>"). Borrowed from @p res. */
TDX_EXTERN const char *tdx_build_result_image_id(const tdx_build_result *res);

/** Number of artifacts (files of the output directory, sorted by path). */
TDX_EXTERN size_t tdx_build_result_artifact_count(const tdx_build_result *res);

/**
 * Artifact @p index: path relative to the output directory, size and SHA-256
 * (64 lowercase hex digits). Pointers are borrowed from @p res; any output may be NULL.
 * @return 0, -ENOENT (index out of range).
 */
TDX_EXTERN int tdx_build_result_artifact(const tdx_build_result *res, size_t index,
                                         const char **path, uint64_t *size, const char **sha256);

/** The measurements the image gives (as measurements.json). Borrowed from @p res. */
TDX_EXTERN const tdx_measurements *tdx_build_result_measurements(const tdx_build_result *res);

/** The VM shape the measurements assume: memory in MiB and vCPUs. */
TDX_EXTERN void tdx_build_result_vm(const tdx_build_result *res, uint64_t *memory_mib, int *cpus);

/** Number of inputs (packages, files, downloads) the build used. */
TDX_EXTERN size_t tdx_build_result_input_count(const tdx_build_result *res);

/**
 * Input @p index: kind ("deb", "file" or "fetch"), name, version (NULL when
 * none), URL (NULL for local files), SHA-256. Borrowed; outputs may be NULL.
 * @return 0, -ENOENT (index out of range).
 */
TDX_EXTERN int tdx_build_result_input(const tdx_build_result *res, size_t index,
                                      const char **kind, const char **name, const char **version,
                                      const char **url, const char **sha256);

/** Number of timed steps. */
TDX_EXTERN size_t tdx_build_result_timing_count(const tdx_build_result *res);

/** Step @p index: its name and wall time in milliseconds. @return 0, -ENOENT. */
TDX_EXTERN int tdx_build_result_timing(const tdx_build_result *res, size_t index,
                                       const char **step, uint64_t *ms);

/** build.json as written, NUL-terminated. Borrowed from @p res. */
TDX_EXTERN const char *tdx_build_result_json(const tdx_build_result *res);

/**
 * Computes the measurements of a build output directory from the directory
 * alone: vm.json (memory, vCPUs, QEMU and firmware assumptions), cmdline,
 * OVMF.fd, vmlinuz, the initramfs vm.json names and, when present, acpi/ (the blobs
 * `tdxctl acpi capture` writes; they make RTMR0 known). This is what the
 * build itself runs, so it equals measurements.json for an unchanged directory.
 * @param[out] out receives the measurements; free with tdx_measurements_free().
 * @return 0; -ENOENT (a file is missing: named); -EINVAL (vm.json malformed:
 *         file and JSON path); the errors of tdx_measure_direct_boot().
 */
TDX_EXTERN int tdx_build_measure_dir(const char *dir, tdx_measurements **out, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* mkosi                                                                     */

/** Oldest mkosi major version the mkosi backend runs (the trees need 25). */
#define TDX_MKOSI_MIN_MAJOR 25

#define TDX_MKOSI_OPTIONS_VERSION 1
typedef struct tdx_mkosi_options {
    unsigned int version;
    /** Cache root; NULL: $XDG_CACHE_HOME/tdxhost (or ~/.cache/tdxhost). mkosi
     *  is unpacked below <root>/mkosi/<sha256 of the .deb>/. */
    const char *cache_dir;
    /** Debian suite mkosi comes from; NULL: "trixie" (mkosi 25). */
    const char *release;
    /** Archive root URL; NULL: http://deb.debian.org/debian. */
    const char *mirror;
    /** Keyring for the release's InRelease; NULL: Debian's archive keyring. */
    const char *keyring;
    /** A tdx.lock: when it pins package "mkosi" of @c release, that .deb is
     *  used by its locked SHA-256 and no index is read. NULL: none. */
    const char *lock_file;
    /** Downloads (progress, timeouts); its cache_dir defaults to <root>/fetch. */
    const tdx_fetch_options *fetch;
} tdx_mkosi_options;
#define TDX_MKOSI_OPTIONS_INIT { TDX_MKOSI_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Makes a pinned mkosi available without pip: Debian's mkosi package
 * (trixie: 25.x) is resolved through the signed index (tdxhost/deb.h), or
 * taken from @c lock_file, downloaded by its SHA-256, unpacked into the cache
 * and given a launcher that runs it with the host's python3 (3.9 or newer).
 * A second call finds it in the cache. The launcher is checked with
 * tdx_mkosi_check() before it is returned.
 * @param[out] mkosi receives the launcher's path; free with tdx_free().
 * @param[out] version receives mkosi's version ("25.3"); may be NULL; free with tdx_free().
 * @return 0; -EPROTONOSUPPORT (the package is older than 25); the errors of
 *         tdx_deb_resolve(), tdx_deb_download(), tdx_deb_extract(),
 *         tdx_lock_load() and tdx_mkosi_check().
 */
TDX_EXTERN int tdx_mkosi_install(const tdx_mkosi_options *opts, char **mkosi, char **version,
                                 tdx_error *err);

/**
 * Runs `MKOSI --version` and checks it is mkosi @ref TDX_MKOSI_MIN_MAJOR or newer.
 * @param mkosi a program name (looked up in PATH) or path.
 * @param[out] version receives the version ("25.3"); may be NULL; free with tdx_free().
 * @return the major version (>= 25); -ENOENT (no such program);
 *         -EPROTONOSUPPORT (older: the message names the version found and
 *         says to run `tdxctl mkosi install` or pass --mkosi);
 *         -EBADMSG (output is not "mkosi VERSION").
 */
TDX_EXTERN int tdx_mkosi_check(const char *mkosi, char **version, tdx_error *err);

/**
 * Writes @p raw (a disk image) as an Azure fixed VHD: the bytes, zeros up to
 * the next whole MiB, and the 512-byte VHD footer (disk type fixed, creator
 * "win ", current size = the padded size, CHS geometry by the
 * specification). Deterministic: the footer's time stamp is @p epoch
 * (seconds since 1970; clamped to the format's 2000-01-01 start) and its
 * unique id comes from the padded disk's SHA-256. Written through a
 * temporary file beside @p vhd and a rename.
 * @return 0; -EFBIG (empty, or over Azure's 1023 GiB); -ENOENT and other
 *         errno values of reading and writing.
 */
TDX_EXTERN int tdx_vhd_write(const char *raw, const char *vhd, long long epoch, tdx_error *err);

/**
 * Writes @p raw as GCP's image import file: `disk.raw` as the one member of
 * a GNU-format tar archive, gzip-compressed. Deterministic: the member's
 * mtime is @p epoch, owner and group 0 without names, mode 0644; the gzip
 * header has no time stamp and no file name. Written through a temporary
 * file beside @p out and a rename.
 * @return 0; -EINVAL (empty or not a regular file); -EIO (libarchive, with
 *         its errno as library code); other errno values of reading and writing.
 */
TDX_EXTERN int tdx_gcp_tar_write(const char *raw, const char *out, long long epoch,
                                 tdx_error *err);

TDX_END_DECLS

#endif
