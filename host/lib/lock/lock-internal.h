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
#include "tdxhost/deb.h"
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

/* A Debian package a build runs on the host (the mkosi backend's mkosi), not
 * an input of the recipe: its used_by is LOCK_TOOL "NAME" ("tool: mkosi").
 * tdx_lock_resolve() keeps such entries unless --update names them;
 * tdx_lock_check() does not count them as unused. */
#define LOCK_TOOL "tool: "
bool lock_deb_is_tool(const struct lock_deb *d);

/* A lock entry for package p resolved for want (identity: want's name and
 * release, arch); resolved_at from old when the hash is the same, else now.
 * NULL when out of memory. */
struct lock_deb *lock_deb_entry(const struct input_deb *want, const char *arch, long long now,
                                const tdx_deb_package *p, const struct lock_deb *old);

/* Pins the Debian package name (o->release, identity arch: "all" for a host
 * tool, "amd64" for an input) when the lock has no entry for it: resolved
 * through the signed index o describes (tdx_deb_resolve()), added with
 * used_by [used_by] ("tool: NAME" for a host tool, "PROFILE: firmware" for
 * an input, as tdx_lock_resolve() would label it) and a "+ debian" change.
 * Nothing is downloaded. An entry that is there but not used_by used_by gets
 * the label. Returns 1 when it changed the lock, 0 when the entry was there
 * as it is; the errors of tdx_deb_resolve() prefixed with the package,
 * -ENOMEM. */
int lock_pin_deb(tdx_lock *lock, const char *name, const char *arch, const char *used_by,
                 const tdx_deb_options *o, tdx_error *err);

/* Gives a lock that was never resolved (no recipe digest: a new one) the
 * recipe's name, digest and section digests, but none of its inputs, so it
 * can be saved and read back; `tdxctl lock` adds the inputs, and
 * tdx_lock_check() reports them missing until then. 0 or a negative errno
 * of inputs_collect(). A lock with a digest is left as it is. */
int lock_adopt_recipe(tdx_lock *lock, const tdx_image *image, const char *recipe_dir,
                      tdx_error *err);

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

/* Moves in's recipe name, digest and section digests into the lock,
 * replacing its own. */
void lock_take_recipe(tdx_lock *lock, struct inputs *in);

/* The directory source paths are relative to: opts->recipe_dir, else the
 * directory of opts->recipe_file (in buf), else NULL (the cwd). */
int lock_recipe_dir(const tdx_lock_options *opts, char buf[PATH_MAX], const char **dir,
                    tdx_error *err);

#endif
