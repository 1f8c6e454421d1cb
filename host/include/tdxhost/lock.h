/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/lock.h
 * @brief The lockfile (`tdx.lock`): every input of a recipe pinned by hash,
 *        and frozen builds that use nothing else.
 *
 * A lock records the recipe's digest, every download (URL, SHA-256, size,
 * time of first resolution), every Debian package (name, version,
 * architecture, SHA-256, path in the archive, the InRelease it came from),
 * git sources and the tree hash of every local source directory. The format
 * and the rules are in docs/lockfile.md.
 *
 * How a build uses it: without --frozen, tdx_lock_resolve() brings the lock
 * up to date (resolving only what is new or asked for) and tdx_lock_save()
 * writes it; with --frozen, tdx_lock_check() must succeed (nothing is
 * resolved, a stale lock fails naming what changed). Either way the build
 * then takes its inputs only through tdx_lock_fetch_url(),
 * tdx_lock_fetch_deb() and tdx_lock_fetch_all(), which refuse anything the
 * lock does not name.
 */
#ifndef TDXHOST_LOCK_H
#define TDXHOST_LOCK_H

#include "common.h"
#include "fetch.h"
#include "recipe.h"

TDX_BEGIN_DECLS

/** A lockfile in memory. Opaque; one thread at a time. */
typedef struct tdx_lock tdx_lock;

/** Version of the lockfile format this library writes (the "lock_version" field). */
#define TDX_LOCK_FORMAT_VERSION 1

/** Creates an empty lock. Free with tdx_lock_free(). @return 0, -ENOMEM. */
TDX_EXTERN int tdx_lock_new(tdx_lock **out, tdx_error *err);

/**
 * Reads a lockfile (at most 16 MiB). Errors name the file and the JSON path.
 * @return 0, -ENOENT (no such file), -EINVAL (not a valid lockfile, or a newer
 *         lock_version), -EFBIG, -ENOMEM, other negative errno.
 */
TDX_EXTERN int tdx_lock_load(tdx_lock **out, const char *path, tdx_error *err);

/** Like tdx_lock_load(), from memory; @p name labels messages. */
TDX_EXTERN int tdx_lock_load_buffer(tdx_lock **out, const char *name, const char *data,
                                    size_t size, tdx_error *err);

/**
 * Renders the lock as JSON (sorted keys and entries, two-space indent,
 * trailing newline): the same lock always gives the same text.
 * @param[out] out receives the text; free with tdx_free().
 */
TDX_EXTERN int tdx_lock_to_json(const tdx_lock *lock, char **out, tdx_error *err);

/** Writes the lock to @p path through a temporary file and a rename. */
TDX_EXTERN int tdx_lock_save(const tdx_lock *lock, const char *path, tdx_error *err);

/** Frees a lock. NULL is accepted. */
TDX_EXTERN void tdx_lock_free(tdx_lock *lock);

/**
 * The recipe digest: SHA-256 over the effective recipes of every profile
 * with source paths replaced by the hash of what they name (a file's
 * SHA-256, a directory's tree hash) and without the "origin" labels, so it
 * depends on the recipe and its source files, not on where the checkout is.
 * @param[out] sha256 receives 64 lowercase hex digits; free with tdx_free().
 * @return 0, -ENOENT (a source file vanished), -EINVAL, -ENOMEM.
 */
TDX_EXTERN int tdx_recipe_digest(const tdx_image *image, char **sha256, tdx_error *err);

#define TDX_LOCK_OPTIONS_VERSION 2
typedef struct tdx_lock_options {
    unsigned int version;
    /** Directory source paths are recorded relative to (the recipe's); NULL: the
     *  directory of recipe_file, else the cwd. */
    const char *recipe_dir;
    /** 1: resolve every entry again; TDX_UNSET: only what is new or changed. */
    int update_all;
    /** Resolve these entries again: package names, URLs, module names or paths. */
    const char *const *update;
    /** 1: compute the changes without downloading or writing anything; TDX_UNSET: no. */
    int dry_run;
    /** Debian architecture of the image; NULL: "amd64". */
    const char *arch;
    /** Debian mirror for every profile (instead of the recipe's, else the host's apt sources). */
    const char *mirror;
    /** Debian snapshot timestamp (YYYYMMDDTHHMMSSZ) instead of a mirror. */
    const char *snapshot;
    /** Keyring for InRelease; NULL: see tdx_deb_options.keyring. */
    const char *keyring;
    /** apt configuration directory; NULL: "/etc/apt". */
    const char *apt_dir;
    /** Time recorded as "resolved_at" for new entries; TDX_UNSET: now. */
    long long now;
    /** Cache, timeouts and progress for downloads; NULL: defaults. */
    const tdx_fetch_options *fetch;
    /* Version 2: */
    /** The recipe's file, as the user named it: when recipe_dir is NULL, source
     *  paths are relative to its (real) directory, and the lock file defaults
     *  to tdx.lock there. NULL: none. */
    const char *recipe_file;
    /** The lock file; NULL: "tdx.lock" in recipe_dir (see recipe_file; the cwd
     *  when neither is given). */
    const char *lockfile;
} tdx_lock_options;
#define TDX_LOCK_OPTIONS_INIT { TDX_LOCK_OPTIONS_VERSION, NULL, TDX_UNSET, NULL, TDX_UNSET, NULL, \
                                NULL, NULL, NULL, NULL, TDX_UNSET, NULL, NULL, NULL }

/**
 * The lock file @p opts name: lockfile, else tdx.lock in the recipe's
 * directory (recipe_dir, else recipe_file's), else "tdx.lock".
 * @param[out] path receives it; free with tdx_free().
 * @return 0, -EINVAL (bad options, an empty lockfile), -ENAMETOOLONG, -ENOMEM.
 */
TDX_EXTERN int tdx_lock_file_path(const tdx_lock_options *opts, char **path, tdx_error *err);

/**
 * Reads the lock file @p opts name (tdx_lock_file_path()), for
 * tdx_lock_check() and the frozen fetches.
 * @return as tdx_lock_load(): -ENOENT when there is no lock file yet.
 */
TDX_EXTERN int tdx_lock_open(tdx_lock **out, const tdx_lock_options *opts, tdx_error *err);

/**
 * `tdxctl lock` in one call: reads the lock file @p opts name (an empty lock
 * when there is none), brings it up to date with tdx_lock_resolve(), and
 * writes it back (tdx_lock_save(): temporary file and rename) when something
 * changed or there was no file, unless @c dry_run. An up-to-date lock file is
 * left untouched.
 * @param[out] out receives the lock (for tdx_lock_changes()); free with
 *             tdx_lock_free().
 * @param[out] written set to 1 when the file was written, else 0; may be NULL.
 * @return the number of changes; the errors of tdx_lock_load() (other than
 *         -ENOENT), tdx_lock_resolve() and tdx_lock_save(). Nothing is
 *         written on failure.
 */
TDX_EXTERN int tdx_lock_update(tdx_lock **out, const tdx_image *image,
                               const tdx_lock_options *opts, int *written, tdx_error *err);

/**
 * Brings @p lock up to date with the recipe (`tdxctl lock`): new inputs are
 * resolved (downloads are fetched and verified against their pinned hash,
 * Debian packages are resolved through the signed index, source directories
 * are hashed), inputs the recipe no longer has are dropped, locked entries
 * stay as they are unless named in update (or update_all). With dry_run the
 * lock is changed in memory as it would be, but nothing is downloaded (new
 * downloads are recorded with size 0).
 * The changes, one line each ("+ ...", "- ...", "~ ..."), are listed by
 * tdx_lock_changes().
 * @return the number of changes (0: the lock was up to date); the errors of
 *         tdx_fetch() and tdx_deb_index_open() (prefixed with the input they
 *         were resolving), -EINVAL (bad options, or a base other than debian/
 *         with Debian packages to lock), -ENOMEM. After a failure the lock may
 *         be partly updated: do not save it.
 */
TDX_EXTERN int tdx_lock_resolve(tdx_lock *lock, const tdx_image *image,
                                const tdx_lock_options *opts, tdx_error *err);

/**
 * The frozen check: compares the lock with the recipe without resolving or
 * downloading anything (source directories are hashed). Only recipe_dir and
 * arch of @p opts are used.
 * @return 0 when the lock pins exactly the recipe's inputs and digest;
 *         -ESTALE otherwise: the message names the first difference and how
 *         many more there are, tdx_lock_changes() lists them all (the recipe
 *         sections that changed, inputs missing from the lock, pins and tree
 *         hashes that differ, entries the recipe no longer uses); -ENODATA
 *         for an empty lock (never resolved).
 */
TDX_EXTERN int tdx_lock_check(tdx_lock *lock, const tdx_image *image,
                              const tdx_lock_options *opts, tdx_error *err);

/**
 * The changes found by the last tdx_lock_resolve() or tdx_lock_check().
 * @return a NULL-terminated list, borrowed from the lock and valid until the
 *         next call on it; never NULL.
 */
TDX_EXTERN const char *const *tdx_lock_changes(const tdx_lock *lock);

/**
 * Records a git source: fetches it with tdx_fetch_git() (tag or commit, tree
 * hash mandatory) and locks url, ref, resolved commit and tree hash. The
 * recipe format has no git source yet; entries added here are kept by
 * tdx_lock_resolve().
 * @return as tdx_fetch_git().
 */
TDX_EXTERN int tdx_lock_add_git(tdx_lock *lock, const char *url, const char *tree_sha256,
                                const tdx_git_options *opts, long long now, tdx_error *err);

/**
 * Frozen access to a locked download: the cached file for @p url, fetched
 * with the locked SHA-256 if needed.
 * @param[out] path receives the file; free with tdx_free().
 * @return 0 or 1 as tdx_fetch(); -ENOENT when the URL is not in the lock
 *         (nothing is downloaded); the errors of tdx_fetch().
 */
TDX_EXTERN int tdx_lock_fetch_url(const tdx_lock *lock, const char *url,
                                  const tdx_fetch_options *opts, char **path, tdx_error *err);

/**
 * Frozen access to a locked Debian package, by the name the recipe asks for
 * (e.g. "linux-image-amd64"), release and architecture: the .deb is fetched
 * from the locked URL with the locked SHA-256; no index is consulted.
 * @return as tdx_lock_fetch_url().
 */
TDX_EXTERN int tdx_lock_fetch_deb(const tdx_lock *lock, const char *name, const char *release,
                                  const char *arch, const tdx_fetch_options *opts, char **path,
                                  tdx_error *err);

/**
 * Fetches every locked download, Debian package and git source into the cache
 * by its locked hash (what a frozen build does before it starts). Git sources
 * go to the default git cache ($XDG_CACHE_HOME/tdxhost/git); @p opts applies
 * to the rest (its offline flag to both).
 * @return the number of entries fetched or found in the cache; the first
 *         error of tdx_fetch()/tdx_fetch_git(), naming the entry.
 */
TDX_EXTERN int tdx_lock_fetch_all(const tdx_lock *lock, const tdx_fetch_options *opts,
                                  tdx_error *err);

TDX_END_DECLS

#endif
