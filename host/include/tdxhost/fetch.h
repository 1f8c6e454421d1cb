/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/fetch.h
 * @brief Pinned inputs: downloads verified by a mandatory SHA-256, a
 *        content-addressed cache, git sources and the tree hash.
 *
 * Every byte that enters a build is named by its hash. tdx_fetch() refuses a
 * missing or malformed hash, downloads into a temporary file inside the
 * cache directory while hashing, and renames the file to its hash only when
 * the hash matches; on a mismatch the temporary file is deleted and the error
 * says the URL, the expected and the received hash. Files in the cache are
 * trusted: they were verified when they entered it and are never written
 * again (see docs/fetch.md).
 *
 * Hashes are given as 64 hexadecimal digits, optionally prefixed with
 * "sha256:", in either case; hashes returned are 64 lowercase digits.
 */
#ifndef TDXHOST_FETCH_H
#define TDXHOST_FETCH_H

#include "common.h"

TDX_BEGIN_DECLS

/**
 * Progress of a transfer: @p done of @p total bytes (@p total is 0 while
 * unknown) of the resource @p what (a URL). Called from the calling thread,
 * often (callers throttle their drawing) and once at the end. Return 0 to continue,
 * anything else to cancel the transfer (the call then fails with -ECANCELED).
 */
typedef int (*tdx_progress_fn)(void *userdata, const char *what, uint64_t done, uint64_t total);

#define TDX_FETCH_OPTIONS_VERSION 1
typedef struct tdx_fetch_options {
    unsigned int version;
    /** Cache directory; NULL: $XDG_CACHE_HOME/tdxhost/fetch, or ~/.cache/tdxhost/fetch. */
    const char *cache_dir;
    /** Largest accepted resource in bytes; TDX_UNSET: 16 GiB. */
    long long max_size;
    /** HTTP redirects followed; TDX_UNSET: 10; 0: none. */
    int max_redirects;
    /** Seconds to establish a connection; TDX_UNSET: 30. */
    int connect_timeout;
    /** Seconds without receiving a byte before giving up; TDX_UNSET: 60. */
    int stall_timeout;
    /** Seconds for the whole transfer; TDX_UNSET or 0: no limit. */
    int timeout;
    /** 1: serve from the cache only, never use the network; TDX_UNSET: no. */
    int offline;
    /** 1: hash a cached file again before using it; TDX_UNSET: no (trust the cache). */
    int verify_cached;
    /** Also place a copy at this path (written to a temporary file, then renamed). */
    const char *output;
    /** Progress callback, or NULL. */
    tdx_progress_fn progress;
    void *progress_data;
} tdx_fetch_options;
#define TDX_FETCH_OPTIONS_INIT { TDX_FETCH_OPTIONS_VERSION, NULL, TDX_UNSET, TDX_UNSET, \
                                 TDX_UNSET, TDX_UNSET, TDX_UNSET, TDX_UNSET, TDX_UNSET, \
                                 NULL, NULL, NULL }

/**
 * Returns the cached file for @p sha256, downloading @p url into the cache
 * first when it is not there.
 *
 * @param url an `https://`, `http://` or `file://` URL. Redirects may lead to
 *        http and https only.
 * @param sha256 the expected SHA-256 (mandatory).
 * @param opts options, or NULL for defaults.
 * @param[out] path receives the path of the cached file (read-only, never
 *        rewritten); free it with tdx_free(). May be NULL.
 * @return 0 after a download, 1 when the file came from the cache;
 *         -EINVAL (bad URL or hash, bad options), -EBADMSG (hash mismatch:
 *         the message names the URL, expected and got), -ENOENT (HTTP 404,
 *         missing file, or offline and not cached), -EFBIG (over max_size),
 *         -ETIMEDOUT (connect or stall timeout), -ELOOP (too many redirects),
 *         -EPROTO (truncated body, HTTP or protocol error), -ECANCELED
 *         (progress callback), -EHOSTUNREACH (name not resolved),
 *         -ECONNREFUSED (no connection), -ENOMEM, other negative errno from
 *         the file system. The library code is a CURLcode where libcurl failed.
 */
TDX_EXTERN int tdx_fetch(const char *url, const char *sha256, const tdx_fetch_options *opts,
                         char **path, tdx_error *err);

/**
 * Computes the SHA-256 of a resource, the way to learn the hash to pin:
 * a URL (anything with "://") is downloaded — and stored in the cache under
 * its hash, so a following tdx_fetch() is a cache hit — and any other
 * argument is read as a local file.
 * @param[out] sha256 receives 64 lowercase hex digits; free with tdx_free().
 * @param[out] size receives the size in bytes; may be NULL.
 * @return 0, or the errors of tdx_fetch() (except -EBADMSG).
 */
TDX_EXTERN int tdx_fetch_hash(const char *url_or_file, const tdx_fetch_options *opts,
                              char **sha256, uint64_t *size, tdx_error *err);

/**
 * The tree hash of a directory (docs/lockfile.md, "Tree hash"): regular
 * files and symbolic links below @p dir, except anything named `.git`, sorted
 * by path; each contributes a type byte ('f' file, 'x' executable file,
 * 'l' symlink) and SHA-256(relative path ‖ 0x00 ‖ content or link target);
 * the tree hash is the SHA-256 of those records in order. Modification times,
 * owners and directories do not count.
 * @param[out] sha256 receives 64 lowercase hex digits; free with tdx_free().
 * @return 0, -ENOTDIR, -ELOOP (nested deeper than 64), -EFBIG (more than
 *         100,000 entries or a file over 1 GiB), other negative errno.
 */
TDX_EXTERN int tdx_tree_hash(const char *dir, char **sha256, tdx_error *err);

#define TDX_GIT_OPTIONS_VERSION 1
typedef struct tdx_git_options {
    unsigned int version;
    /** Check out this tag; exactly one of tag and commit. */
    const char *tag;
    /** Check out this commit (a full 40 or 64 digit object id). */
    const char *commit;
    /** Cache directory; NULL: $XDG_CACHE_HOME/tdxhost/git, or ~/.cache/tdxhost/git. */
    const char *cache_dir;
    /** The git program; NULL: "git" from PATH. */
    const char *git;
    /** 1: the cache only; TDX_UNSET: no. */
    int offline;
} tdx_git_options;
#define TDX_GIT_OPTIONS_INIT { TDX_GIT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, TDX_UNSET }

/**
 * Returns a source tree from git, cached by its tree hash: clones @p url at
 * the tag or commit with the git client (no hooks run, no submodules), drops
 * `.git`, checks the tree hash against @p tree_sha256 and moves the tree into
 * the cache at `<cache>/<tree hash>/`.
 * @param tree_sha256 the expected tree hash (mandatory; see tdx_tree_hash()).
 * @param[out] path receives the cached directory (do not modify it); may be NULL.
 * @param[out] commit receives the commit checked out (for a cache hit: the
 *        one recorded when the tree entered the cache); may be NULL.
 * Free both with tdx_free().
 * @return 0 after a clone, 1 for a cache hit; -EINVAL (bad URL, hash or
 *         options), -EBADMSG (tree hash or commit mismatch, naming both),
 *         -ENOENT (git missing, or offline and not cached), -EIO (git
 *         failed; its last message is quoted), -ENOMEM.
 */
TDX_EXTERN int tdx_fetch_git(const char *url, const char *tree_sha256,
                             const tdx_git_options *opts, char **path, char **commit,
                             tdx_error *err);

TDX_END_DECLS

#endif
