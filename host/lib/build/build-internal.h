/* SPDX-License-Identifier: MIT */
/*
 * The native backend of tdx_build(): the image as a list of entries, the
 * deterministic initramfs writer, kernel modules, the agent's configuration
 * and the files of the output directory. docs/build.md describes the result.
 */
#ifndef TDXHOST_BUILD_INTERNAL_H
#define TDXHOST_BUILD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fetch/fetch-internal.h"
#include "ptrvec.h"
#include "recipe/model.h"
#include "staging.h"
#include "strv.h"
#include "tdxhost/build.h"
#include "tdxhost/deb.h"
#include "tdxhost/lock.h"

/* ------------------------------------------------------------------------ */
/* The image: what goes into the initramfs                                   */

enum img_kind { IMG_DIR = 'd', IMG_FILE = 'f', IMG_SYMLINK = 'l' };

struct img_entry {
    char *path;            /* relative, no leading '/', normalised */
    enum img_kind kind;
    unsigned mode;         /* permission bits */
    unsigned uid, gid;
    char *src;             /* IMG_FILE from a host file, or NULL */
    char *data;            /* IMG_FILE held in memory (owned) */
    size_t size;
    char *target;          /* IMG_SYMLINK */
};

struct img {
    ptrvec entries;        /* struct img_entry* */
};

#define IMG_INIT { PTRVEC_INIT }

/* Add entries; parent directories are created (0755, root) as needed. A
 * second entry at one path replaces the first unless it is a directory
 * meeting a directory (then the first stays). Paths may start with '/'.
 * Return 0, -EINVAL (bad path, naming it), -ENOMEM. */
int img_add_dir(struct img *img, const char *path, unsigned mode, unsigned uid, unsigned gid,
                tdx_error *err);
int img_add_copy(struct img *img, const char *path, const char *src, unsigned mode, unsigned uid,
                 unsigned gid, tdx_error *err);
/* Takes ownership of data (heap, size bytes) in all cases. */
int img_add_take(struct img *img, const char *path, char *data, size_t size, unsigned mode,
                 unsigned uid, unsigned gid, tdx_error *err);
int img_add_data(struct img *img, const char *path, const void *data, size_t size, unsigned mode,
                 unsigned uid, unsigned gid, tdx_error *err);
int img_add_symlink(struct img *img, const char *path, const char *target, tdx_error *err);
/* Removes an entry and everything below it; no-op when absent. */
void img_remove(struct img *img, const char *path);
const struct img_entry *img_find(const struct img *img, const char *path);
/* Sorts by path (byte order). */
void img_sort(struct img *img);
void img_free(struct img *img);

/* Adds a host directory tree (regular files, directories, symlinks) below
 * prefix, modes as on disk without setuid/setgid, owners root. Paths that
 * match one of the fnmatch patterns in skip (relative to src) are left out. */
int img_add_tree(struct img *img, const char *prefix, const char *src, char *const *skip,
                 tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Deterministic newc cpio (initramfs.c)                                    */

/* Writes the sorted image as newc to path: entries in byte order of their
 * paths, inode numbers 1, 2, ... in that order, nlink 2 for directories and 1
 * otherwise, mtime @p mtime, uid/gid as the entries say, compressed with
 * "gzip" (no name, no time, level 9) or "zstd" (level 19), or "none".
 * Writes through a temporary file and a rename. */
int initramfs_write(struct img *img, const char *path, const char *compression, long long mtime,
                    tdx_error *err);

/* The output file name of an initramfs so compressed: initrd.cpio.gz,
 * initrd.cpio.zst or initrd.cpio ("none"); vm.json's "initrd" names it. */
const char *initramfs_name(const char *compression);

/* vm.json's firmware_event_layout for Debian's ovmf of that version (NULL:
 * not Debian's, e.g. a recipe's firmware file): where the firmware's
 * ReadyToBoot separator goes, which edk2-stable202411 moved
 * (tdx_event_layout). Debian numbers ovmf by edk2 release: 2022.11-6 is
 * "pre-202411", 2025.02-3 "202411". */
const char *vm_event_layout(const char *ovmf_version);

/* vm.json of a native build (docs/build.md), canonical text; initrd is the
 * initramfs's file name. NULL when out of memory. */
char *vm_json_render(uint64_t memory_mib, int cpus, const char *event_layout, const char *network,
                     bool test_provider, char *const *listen, const char *initrd);

/* ------------------------------------------------------------------------ */
/* Decompression (decompress.c)                                             */

/* Reads a file, undoing xz, zstd or gzip compression when it has it (known
 * by its magic bytes), into a heap buffer of at most max bytes. */
int decompress_file(const char *path, size_t max, char **out, size_t *len, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Kernel modules (modinfo.c, kmod.c)                                       */

/* Reads name= and depends= from an ELF64 kernel module's .modinfo section.
 * label names the module in messages. *name and *depends (NULL-terminated,
 * possibly empty) are heap-allocated. -EBADMSG for anything malformed. */
int modinfo_parse(const void *data, size_t size, const char *label, char **name,
                  char ***depends, tdx_error *err);

struct kmod_want {
    const char *name;       /* '-' and '_' alike */
    const char *alt;        /* another name that will do (renamed modules), or NULL */
    bool optional;          /* absent everywhere: a warning, not an error */
    const char *why;        /* "default" or the recipe field, for messages */
};

/* Resolves the modules of moddir (/lib/modules/<kver> of an extracted
 * kernel package) with their dependencies from each module's modinfo;
 * modules listed in moddir/modules.builtin are skipped. Decompressed modules
 * are added to img under lib/modules/<kver>/...; *order receives their image
 * paths ("/lib/modules/..."), dependencies first; *warnings the optional
 * modules that exist nowhere. -ENOENT names a module that exists nowhere. */
int kmod_resolve(const char *moddir, const char *kver, const struct kmod_want *want, size_t n,
                 struct img *img, char ***order, char ***warnings, tdx_error *err);
/* The same, also giving the files it read (paths relative to moddir) in *read. */
int kmod_resolve_read(const char *moddir, const char *kver, const struct kmod_want *want,
                      size_t n, struct img *img, char ***order, char ***warnings, char ***read,
                      tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Results                                                                  */

struct build_input {
    char *kind, *name, *version, *url, *sha256;
};

struct build_artifact {
    char *path, *sha256;
    uint64_t size;
};

struct build_timing {
    char *step;
    uint64_t ms;
};

struct tdx_build_result {
    char *dir, *image_id, *json;
    ptrvec inputs, artifacts, timings;
    tdx_measurements *measurements;
    uint64_t memory_mib;
    int cpus;
};

int build_result_new(tdx_build_result **out);
int build_result_add_input(tdx_build_result *res, const char *kind, const char *name,
                           const char *version, const char *url, const char *sha256);
int build_result_add_timing(tdx_build_result *res, const char *step, uint64_t ms);
int build_result_add_artifact(tdx_build_result *res, const char *path, uint64_t size,
                              const char *sha256);

/* build.json's common part (docs/build.md), the same for every backend:
 * format, backend, image_id, profile, recipe_sha256 and the result's
 * inputs, artifacts and timings_ms. The caller adds its backend's own
 * members and owns the object. NULL when out of memory. */
struct json_t *build_record_json(const tdx_build_result *res, const char *backend,
                                 const char *image_id, const char *profile,
                                 const char *recipe_sha256);

/* ------------------------------------------------------------------------ */
/* What an unpacked package holds (extract-sums.c)                          */

/* Writes the SHA-256 of every regular file below dir to path ("HEX  PATH\n",
 * sorted by path). */
int sums_write(const char *dir, const char *path, tdx_error *err);
/* Checks the files rels (relative paths; NULL: every file, and that there is
 * no other) of dir against path. -EBADMSG names a file that changed, is
 * missing or was added; -ENOENT (no message) when path does not exist. */
int sums_check(const char *dir, const char *path, char *const *rels, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* The output directory, written whole (output-dir.c), for every backend    */

struct build_output {
    struct staging staging;   /* .BASE.tmp-PID-XXXXXX beside the output, registered */
    char *base;               /* the output's name in its parent */
    char *top;                /* the staging directory's path */
    char *stage;              /* top/out: becomes the output */
    char *work;               /* top/work: scratch, removed with top */
};

#define BUILD_OUTPUT_INIT { STAGING_INIT, NULL, NULL, NULL, NULL }

/* Makes the staging directory beside out (its parents created), with out/
 * (mode 0755 whatever the umask) and work/ (0700) in it. Stale staging
 * directories of dead processes next to out are removed first. 0, -EINVAL
 * (out has no directory name), -ENOMEM, -errno of mkdir naming the path
 * (-ENOTDIR: a parent of out is not a directory). */
int build_output_begin(struct build_output *bo, const char *out, tdx_error *err);

/* Puts stage in place of out: onto an existing output in one
 * renameat2(RENAME_EXCHANGE), the old tree then inside the staging
 * directory (removed by build_output_free()); a plain rename when there is
 * none. On failure out is as it was. Stops in staging_test_pause() first.
 * 0; -ENOTDIR (out is not a directory); -errno of the renames. */
int build_output_commit(struct build_output *bo, const char *out, tdx_error *err);

/* The commit without RENAME_EXCHANGE (exists: out is a directory): the old
 * output moved into the staging directory, the new one renamed in, the old
 * one put back when that fails. Should even that fail, the staging
 * directory is left in place with STAGING_KEEP_MARKER in it (so no later
 * build removes it as stale), its work/ removed, and the message names the
 * old output's path, TOP/previous. Used by build_output_commit() where the
 * file system has no RENAME_EXCHANGE; declared for the tests. */
int build_output_commit_by_renames(struct build_output *bo, const char *out, bool exists,
                                   tdx_error *err);

/* The renameat() build_output_commit_by_renames() calls; a test sets its
 * own to make a given rename fail. */
extern int (*build_output_renameat)(int olddirfd, const char *oldpath, int newdirfd,
                                    const char *newpath);

/* Removes the staging directory (what is left in it) and frees bo. */
void build_output_free(struct build_output *bo);

/* ------------------------------------------------------------------------ */
/* The build's lock (build-lock.c), for every backend                        */

/* Its path: o->lock_file, else tdx.lock in recipe_dir (NULL: the cwd), as
 * tdx_lock_file_path() decides for `tdxctl lock`. */
int build_lock_path(const char *recipe_dir, const tdx_build_image_options *o, char **path,
                    tdx_error *err);

/* Reads it; an absent file is a new, empty lock, unless the build is frozen:
 * then -ENOENT "--frozen: no lock file PATH (HINT)". The errors of
 * tdx_lock_load() otherwise. */
int build_lock_load(const char *path, const tdx_build_image_options *o, const char *hint,
                    tdx_lock **out, tdx_error *err);

/* Writes it back (tdx_lock_save()) when the build changed it; never when
 * frozen. */
int build_lock_save(const tdx_lock *lock, const char *path, const tdx_build_image_options *o,
                    bool changed, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* A Debian package through the build's lock (locked-deb.c), for every backend */

struct lock_deb;

/* How the lock decides which .deb a build takes. */
enum locked_deb_use {
    LOCKED_DEB_PREFER,    /* the lock's entry when it has one, else none (the caller asks the index) */
    LOCKED_DEB_PIN,       /* the lock's; resolved through the signed index and pinned first when missing */
    LOCKED_DEB_REQUIRE,   /* the lock's; -ENOENT naming the lock when it pins none (--frozen) */
};

/* The entry a build wants: its identity in the lock, the used_by label a
 * new pin gets ("tool: mkosi", "PROFILE: firmware"), and what a frozen
 * build without it should do ("build once without --frozen to pin it"). */
struct locked_deb_want {
    const char *requested, *release, *arch;
    const char *used_by;
    const char *frozen_hint;
};

/* The lock's entry for w, as use says; lock_name names the lock in
 * messages. LOCKED_DEB_PIN resolves a missing one through the signed index
 * resolve describes (release resolve->release) and adds it, or adds
 * w->used_by to an entry that lacks it (lock_pin_deb()): then it returns 1
 * and the caller saves the lock. *d is NULL only for LOCKED_DEB_PREFER
 * without an entry; it points into lock. 0 or 1; -ENOENT "LOCK: --frozen:
 * the lock pins no NAME (Debian RELEASE); HINT"; the errors of
 * lock_pin_deb() prefixed with the lock. */
int locked_deb_entry(tdx_lock *lock, const char *lock_name, const struct locked_deb_want *w,
                     enum locked_deb_use use, const tdx_deb_options *resolve,
                     const struct lock_deb **d, tdx_error *err);

/* The .deb of d (an entry of lock) by its locked SHA-256: from fo's cache,
 * hashed again, or downloaded (not with fo->offline). *deb is the caller's. */
int locked_deb_fetch(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                     char **deb, tdx_error *err);

/* The unpacked tree of d in the cache of extracted packages
 * (extract_dir/SHA256, so a warm build opens no .deb), unpacked there from
 * the verified .deb when missing. The files rels (NULL: all of them;
 * { NULL }: none) are checked against the hashes taken when it was unpacked
 * (sums_check()); a tree that fails is dropped and unpacked again. *dir is
 * the caller's; NULL on failure. */
int locked_deb_tree(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                    const char *extract_dir, char *const *rels, char **dir, tdx_error *err);
/* Removes such a tree and its hashes, so the next locked_deb_tree()
 * unpacks it again (a tree found changed after it was checked). */
void locked_deb_tree_drop(const char *dir);

/* ------------------------------------------------------------------------ */
/* mkosi (mkosi-install.c)                                                   */

/* How a lock decides which mkosi .deb is installed. */
enum mkosi_lock_use {
    MKOSI_LOCK_PREFER = LOCKED_DEB_PREFER,    /* else the index's (mkosi install --lock) */
    MKOSI_LOCK_PIN = LOCKED_DEB_PIN,
    MKOSI_LOCK_REQUIRE = LOCKED_DEB_REQUIRE,  /* --frozen */
};

/* The mkosi a launcher runs, and the package it came from. */
struct mkosi_installed {
    char *launcher;       /* <cache>/mkosi/<sha256>/bin/mkosi */
    char *version;        /* what it says it is ("25.3") */
    char *deb_version, *deb_sha256, *deb_url;
    bool locked;          /* the .deb came through the lock */
    bool pinned;          /* MKOSI_LOCK_PIN added it to the lock */
};

/* tdx_mkosi_install() with an open lock (NULL: the index, as without
 * lock_file); lock_name names it in messages. On failure *out is untouched
 * and the lock may hold the new pin: do not save it. */
int mkosi_install_locked(const tdx_mkosi_options *opts, tdx_lock *lock, const char *lock_name,
                         enum mkosi_lock_use use, struct mkosi_installed *out, tdx_error *err);
void mkosi_installed_free(struct mkosi_installed *mi);

/* ------------------------------------------------------------------------ */
/* Builders (builders.c)                                                    */

struct builder_ctx {
    const struct recipe *r;
    const char *work;               /* scratch directory, removed after the build */
    long long sde;                  /* SOURCE_DATE_EPOCH */
    struct img *img;
    tdx_build_result *res;          /* inputs are recorded here */
    const tdx_lock *lock;           /* toolchains come only through it */
    const tdx_fetch_options *fo;
    const char *extract_dir;        /* where unpacked toolchains are cached */
    tdx_error *err;
};

/* The unpacked tree of a toolchain archive (tar, any compression), from the
 * cache of extracted inputs under its SHA-256 (unpacked there when missing),
 * with its files' hashes beside it (sums_write()): a tree whose files changed
 * since is removed and unpacked again. archive_path must be verified. */
int toolchain_tree(const char *archive_path, const char *sha256, const char *extract_dir,
                   char **out, tdx_error *err);

/* Runs the recipe's builds on the host and adds what they make to img. */
int native_run_builds(const struct builder_ctx *c);

/* ------------------------------------------------------------------------ */
/* The native build (native.c and its parts)                                 */

/* One line per recipe field the native backend cannot honour ("\n" after
 * each), *out NULL when there is none; -ENOMEM. */
int native_problems(const struct recipe *r, char **out);
/* -EOPNOTSUPP naming the first of them (and how many more) when there is any. */
int native_check_recipe(const struct recipe *r, tdx_error *err);

/* Users and groups of the recipe as /etc/passwd and /etc/group text, and the
 * numeric ids of a user or group for file owners. */
struct image_accounts {
    char **user_names, **group_names;
    unsigned *uids, *user_gids, *gids;
    size_t n_users, n_groups;
};
int image_accounts_build(const struct recipe *r, struct image_accounts *out, tdx_error *err);
int image_accounts_uid(const struct image_accounts *a, const char *user, unsigned *uid);
int image_accounts_gid(const struct image_accounts *a, const char *group, unsigned *gid);
/* Heap text, NULL when out of memory. */
char *image_accounts_passwd(const struct image_accounts *a, const struct recipe *r);
char *image_accounts_group(const struct image_accounts *a, const struct recipe *r);
void image_accounts_free(struct image_accounts *a);

/* /etc/tdx-agent/agent.json: the agent's --config plus the "init" object
 * (docs/build.md). modules are image paths in load order. */
int agent_config_render(const struct recipe *r, char *const *modules, char **out,
                        tdx_error *err);

/* Splits a service's exec line (systemd's syntax: words, "double" and
 * 'single' quotes, backslash escapes) into argv. */
int exec_split(const char *line, char ***argv);

#define BUILD_MEMORY_MIB 2048
#define BUILD_CPUS 1
#define BUILD_QEMU_VERSION "9.2"
#define BUILD_QEMU_MIN_VERSION "9.0"
#define BUILD_DEFAULT_CMDLINE "console=ttyS0"

/* The image paths the contract fixes (docs/build.md). */
#define NATIVE_INIT "init"
#define NATIVE_AGENT_LINK "usr/bin/tdx-agent"
#define NATIVE_AGENT_CONFIG "etc/tdx-agent/agent.json"
#define NATIVE_MANIFEST "etc/tdx-agent/secrets.json"
#define NATIVE_HOOKS_DIR "etc/tdx-agent/hooks.d"

/* tdx_build() with the mkosi backend (mkosi-build.c). */
int mkosi_build(const tdx_image *image, const tdx_build_image_options *o, tdx_build_result **out,
                tdx_error *err);

/* vm.json naming its kernel and initrd (NULL: none); event_layout,
 * network and test_provider as vm_json_render() (vm_event_layout() of the
 * firmware, the recipe's network.mode and agent.test_provider). */
char *vm_json_render_files(uint64_t memory_mib, int cpus, const char *event_layout,
                           const char *kernel, const char *initrd, const char *network,
                           bool test_provider, char *const *listen);

/* The mkosi backend's firmware (mkosi-firmware.c): the recipe's firmware
 * file, or for "ovmf" OVMF.fd of the ovmf package of the recipe's release
 * through the build's lock, as the native backend takes it. */
struct mkosi_firmware {
    char *path;                   /* the OVMF.fd the output gets */
    char *lock_path;              /* the lock it came through; NULL for a file */
    const char *event_layout;     /* vm.json's firmware_event_layout */
};

/* Records the firmware as an input of res (a "deb" or a "file"). For
 * "ovmf": the entry of the lock (build_lock_path()) for ovmf of the
 * recipe's release (identity "ovmf", release, "amd64"; a new pin used_by
 * "PROFILE: firmware", the entry `tdxctl lock` makes), pinned through the
 * signed index and the lock written back unless o->frozen, where a lock
 * without it fails; the .deb from cache/fetch or its URL, unpacked into
 * cache/extract. *fw is the caller's (mkosi_firmware_free()), also on
 * failure. */
int mkosi_firmware(const tdx_image *image, const struct recipe *r,
                   const tdx_build_image_options *o, const char *cache, tdx_build_result *res,
                   struct mkosi_firmware *fw, tdx_error *err);
void mkosi_firmware_free(struct mkosi_firmware *fw);

/* A disk build's images (docs/build.md): the raw disk, Azure's fixed VHD and
 * GCP's import archive of the same bytes. */
#define BUILD_DISK_RAW "disk.raw"
#define BUILD_DISK_VHD "disk.vhd"
#define BUILD_DISK_GCP "disk.tar.gz"

/* vm.json of a disk boot (vm.c): "boot": "disk", the disk image and the UKI
 * its ESP starts, both file names in the directory; no kernel, initrd or
 * command line. */
char *vm_json_render_disk(uint64_t memory_mib, int cpus, const char *event_layout,
                          const char *disk, const char *uki, const char *network,
                          bool test_provider, char *const *listen);

/* The 512-byte fixed-VHD footer for a disk of size bytes (vhd.c). */
void vhd_footer(uint8_t f[512], uint64_t size, long long epoch, const uint8_t id[16]);

/* The cache root: given, else $XDG_CACHE_HOME/tdxhost, else ~/.cache/tdxhost. */
int mkosi_cache_root(const char *given, char **out, tdx_error *err);

#endif
