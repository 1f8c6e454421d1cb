/* SPDX-License-Identifier: MIT */
/* The lockfile model (docs/lockfile.md) and the inputs a recipe declares. */
#ifndef TDXHOST_LOCK_INTERNAL_H
#define TDXHOST_LOCK_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "ptrvec.h"
#include "strv.h"
#include "tdxhost/lock.h"

#define LOCK_FILE_MAX (16u << 20)
#define LOCK_ENTRIES_MAX 100000

struct lock_fetch {
    char *url, *sha256, *resolved_at;
    uint64_t size;
    char **used_by;
};

/* String fields of a Debian entry, in JSON key order of deb_keys[]. */
enum {
    DEB_REQUESTED, DEB_RELEASE, DEB_ARCH,          /* identity: what the recipe asks for */
    DEB_NAME, DEB_VERSION, DEB_ARCHITECTURE, DEB_COMPONENT, DEB_SHA256, DEB_PATH, DEB_URL,
    DEB_MIRROR, DEB_INRELEASE_URL, DEB_INRELEASE_SHA256, DEB_INRELEASE_DATE, DEB_RESOLVED_AT,
    DEB_FIELDS
};
extern const char *const deb_keys[DEB_FIELDS];

struct lock_deb {
    char *f[DEB_FIELDS];
    uint64_t size;
    char **used_by;
};

struct lock_git {
    char *url, *tag, *commit, *tree, *resolved_at;   /* tag NULL: pinned by commit */
};

struct lock_module {
    char *path, *tree;
    char **used_by;
};

struct tdx_lock {
    char *recipe_name, *digest;
    json_t *sections;          /* {profile: {section: sha256}} */
    ptrvec fetches, debs, gits, modules;
    char **changes;
};

void lock_fetch_free(void *p);
void lock_deb_free(void *p);
void lock_git_free(void *p);
void lock_module_free(void *p);
void lock_clear_entries(tdx_lock *lock);

struct lock_fetch *lock_find_fetch(const tdx_lock *lock, const char *url);
struct lock_deb *lock_find_deb(const tdx_lock *lock, const char *requested, const char *release,
                               const char *arch);
struct lock_module *lock_find_module(const tdx_lock *lock, const char *path);

/* Sorts every list, so output and comparisons do not depend on order. */
void lock_sort(tdx_lock *lock);

/* "2026-01-31T12:00:00Z" for t (TDX_UNSET: now). */
char *lock_timestamp(long long t);

int lock_add_change(tdx_lock *lock, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lock_add_changev(tdx_lock *lock, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* ------------------------------------------------------------------------ */
/* What a recipe needs, across all profiles                                 */

struct input_fetch {
    char *url, *sha256;
    char **used_by;      /* "PROFILE: kernel.url", ... */
};

struct input_deb {
    char *name, *release, *mirror;   /* mirror: the recipe's, or NULL */
    char **used_by;
};

struct input_module {
    char *path, *abs, *tree;         /* path relative to the recipe directory */
    char **used_by;
};

/* A native image's packages of one profile and release: the lock records
 * their Depends/Pre-Depends closure as entries used by "PROFILE: install
 * (dependency)" (LOCK_DEPENDENCY). */
struct input_closure {
    char *profile, *release, *mirror;
    char **roots, **exclude;
};

#define LOCK_DEPENDENCY " (dependency)"

struct inputs {
    char *recipe_name, *digest;
    json_t *sections;
    ptrvec fetches, debs, modules, closures;
};

/* Collects the digest and (unless digest_only) the inputs; hashes source
 * files and directories. Module paths are relative to recipe_dir (NULL: cwd). */
int inputs_collect(const tdx_image *image, const char *recipe_dir, bool digest_only,
                   struct inputs *out, tdx_error *err);
void inputs_free(struct inputs *in);

/* The directory source paths are relative to: opts->recipe_dir, else the
 * directory of opts->recipe_file (in buf), else NULL (the cwd). */
int lock_recipe_dir(const tdx_lock_options *opts, char buf[PATH_MAX], const char **dir,
                    tdx_error *err);

#endif
