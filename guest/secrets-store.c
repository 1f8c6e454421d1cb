/* SPDX-License-Identifier: MIT */
#include "secrets-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts.h"
#include "env-vars.h"
#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "macro.h"
#include "manifest.h"
#include "msg.h"
#include "root-fs.h"
#include "secret-set.h"
#include "strv.h"

#define TMP_PREFIX ".tdx-secret-"
#define OLD_PREFIX ".tdx-old-"
#define PATH_MAX_LEN 4096

int (*store_renameat)(int, const char *, int, const char *) = renameat;

static void random_name(const char *prefix, char *out, size_t size)
{
    uint8_t b[8];
    char hex[17];
    if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
        /* Never expected; the name still has to be unique in the directory. */
        static unsigned counter;
        uint64_t v = ((uint64_t)getpid() << 32) ^ (uint64_t)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        memcpy(b, &v, sizeof(b));
    }
    hex_encode(b, sizeof(b), hex);
    snprintf(out, size, "%s%s", prefix, hex);
}

static int sha256(const void *data, size_t len, uint8_t out[STORE_DIGEST_SIZE])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == STORE_DIGEST_SIZE
               ? 0 : -EIO;
}

struct work {
    int dir;                  /* index into dirs */
    const char *base;         /* the destination's last component */
    char tmp[40], old[40];
    bool tmp_made, has_old, renamed;
    uid_t uid;
    gid_t gid;
};

struct dirs {
    char (*paths)[PATH_MAX_LEN];
    int *fds;
    size_t n;
};

static int dirs_get(struct dirs *d, const struct root_fs *r, const char *path,
                    const struct root_fs_dir *how)
{
    int fd;
    for (size_t i = 0; i < d->n; i++)
        if (streq(d->paths[i], path))
            return (int)i;
    fd = root_fs_open_dir(r, path, true, how);
    if (fd < 0)
        return fd;
    snprintf(d->paths[d->n], PATH_MAX_LEN, "%s", path);
    d->fds[d->n] = fd;
    return (int)d->n++;
}

void store_entry_for_secret(struct store_entry *e, const struct manifest_secret *s,
                            const struct secret_value *value, char *what, size_t what_size)
{
    snprintf(what, what_size, "secret \"%s\"", s->name);
    *e = (struct store_entry){ .what = what, .dest = s->dest, .data = value->value,
                               .len = value->len, .mode = s->mode, .owner = s->owner,
                               .group = s->group, .dir_mode = s->dir_mode,
                               .dir_owner = s->dir_owner, .dir_group = s->dir_group };
}

/* Everything that can be checked before a byte is written. */
static int prepare(const struct root_fs *r, struct store_entry *e, size_t n, struct work *w,
                   struct dirs *d, char *msg, size_t msg_size)
{
    char why[300], dir[PATH_MAX_LEN];
    struct stat st;
    int k;

    for (size_t i = 0; i < n; i++) {
        const struct store_entry *s = &e[i];
        for (size_t j = 0; j < i; j++)
            if (streq(e[j].dest, s->dest))
                return msgf(msg, msg_size, -EINVAL, "%s and %s share the destination %s",
                            e[j].what, s->what, s->dest);
        struct root_fs_dir how = { s->dir_mode, 0, 0 };
        if (accounts_user(r->path, s->owner, &w[i].uid, why, sizeof(why)) < 0 ||
            accounts_group(r->path, s->group, &w[i].gid, why, sizeof(why)) < 0 ||
            accounts_user(r->path, s->dir_owner, &how.uid, why, sizeof(why)) < 0 ||
            accounts_group(r->path, s->dir_group, &how.gid, why, sizeof(why)) < 0)
            return msgf(msg, msg_size, -ENOENT, "%s: %s", s->what, why);
        if (root_fs_dir_of(s->dest, dir, sizeof(dir)) < 0)
            return msgf(msg, msg_size, -ENAMETOOLONG, "%s: %s is too long", s->what, s->dest);
        k = dirs_get(d, r, dir, &how);
        if (k < 0)
            return msgf(msg, msg_size, k, "%s: cannot open or create %s: %s", s->what, dir,
                        strerror(-k));
        w[i].dir = k;
        w[i].base = strrchr(s->dest, '/') + 1;
        if (fstatat(d->fds[k], w[i].base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISDIR(st.st_mode))
                return msgf(msg, msg_size, -EISDIR, "%s: %s is a directory", s->what, s->dest);
            w[i].has_old = true;   /* a link to it is made before the renames */
        } else if (errno != ENOENT) {
            return msgf(msg, msg_size, -errno, "%s: %s: %s", s->what, s->dest, strerror(errno));
        }
    }
    return 0;
}

static int write_temp(int dirfd, struct store_entry *e, struct work *w)
{
    int fd, r = 0;

    random_name(TMP_PREFIX, w->tmp, sizeof(w->tmp));
    fd = openat(dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    w->tmp_made = true;
    r = write_all(fd, e->data, e->len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && fchown(fd, w->uid, w->gid) < 0)
        r = -errno;
    if (r == 0 && fchmod(fd, e->mode) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0)
        r = sha256(e->data, e->len, e->sha256);
    return r;
}

/* Puts back what was there before: the kept links over renamed files,
 * renamed files removed where there was nothing; temporary files and kept
 * links removed. */
static void undo(struct store_entry *e, size_t n, struct work *w, const struct dirs *d)
{
    for (size_t i = 0; i < n; i++) {
        int fd = d->fds[w[i].dir];
        if (w[i].renamed && w[i].old[0]) {
            if (renameat(fd, w[i].old, fd, w[i].base) == 0) {
                w[i].old[0] = '\0';
            } else {
                /* The kept link is all that is left of the old value. */
                log_error("%s: could not restore %s after a failed delivery (%m); "
                          "the previous value is in %s", e[i].what, e[i].dest,
                          w[i].old);
                continue;
            }
        } else if (w[i].renamed) {
            (void)unlinkat(fd, w[i].base, 0);
        } else if (w[i].tmp_made) {
            (void)unlinkat(fd, w[i].tmp, 0);
        }
        if (w[i].old[0])
            (void)unlinkat(fd, w[i].old, 0);
    }
}

int store_write(const char *root_path, struct store_entry *entries, size_t n, char *msg,
                size_t msg_size)
{
    struct root_fs root = { "/", -1, 0 };
    struct dirs d = { 0 };
    struct work *w = calloc(n ? n : 1, sizeof(*w));
    int r;

    d.paths = calloc(n ? n : 1, sizeof(*d.paths));
    d.fds = calloc(n ? n : 1, sizeof(*d.fds));
    if (!w || !d.paths || !d.fds) {
        r = msgf(msg, msg_size, -ENOMEM, "out of memory");
        goto out;
    }
    r = root_fs_open(&root, root_path, 0);
    if (r < 0) {
        msgf(msg, msg_size, r, "cannot open the root directory %s: %s", root_path, strerror(-r));
        goto out;
    }
    r = prepare(&root, entries, n, w, &d, msg, msg_size);
    for (size_t i = 0; r == 0 && i < n; i++) {
        r = write_temp(d.fds[w[i].dir], &entries[i], &w[i]);
        if (r < 0)
            msgf(msg, msg_size, r, "%s: cannot write a temporary file beside %s: %s",
                 entries[i].what, entries[i].dest, strerror(-r));
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        int fd = d.fds[w[i].dir];
        if (!w[i].has_old)
            continue;
        random_name(OLD_PREFIX, w[i].old, sizeof(w[i].old));
        if (linkat(fd, w[i].base, fd, w[i].old, 0) < 0) {
            r = -errno;
            w[i].old[0] = '\0';
            msgf(msg, msg_size, r, "%s: cannot keep the current %s while replacing it: %s",
                 entries[i].what, entries[i].dest, strerror(-r));
        }
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        int fd = d.fds[w[i].dir];
        if (store_renameat(fd, w[i].tmp, fd, w[i].base) < 0) {
            r = -errno;
            msgf(msg, msg_size, r, "%s: cannot rename into %s: %s (nothing changed)",
                 entries[i].what, entries[i].dest, strerror(-r));
        } else {
            w[i].renamed = true;
        }
    }
    if (r < 0) {
        undo(entries, n, w, &d);
    } else {
        for (size_t i = 0; i < n; i++)
            if (w[i].old[0])
                (void)unlinkat(d.fds[w[i].dir], w[i].old, 0);
    }
    for (size_t i = 0; i < d.n; i++)
        if (fsync(d.fds[i]) < 0 && r == 0)
            log_warning("%s: fsync of the directory failed (%m): the new secrets may not "
                        "survive a crash", d.paths[i]);
out:
    for (size_t i = 0; d.fds && i < d.n; i++)
        close(d.fds[i]);
    free(d.paths);
    free(d.fds);
    free(w);
    root_fs_close(&root);
    return r;
}

/* ------------------------------------------------------------------------ */

static void remove_leftovers(const struct root_fs *r, const char *dir)
{
    int fd = root_fs_open_dir(r, dir, false, NULL), dfd;
    struct dirent *de;
    DIR *dp;

    if (fd < 0)
        return;
    dfd = dup(fd);
    dp = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dp) {
        if (dfd >= 0)
            close(dfd);
        close(fd);
        return;
    }
    while ((de = readdir(dp)))
        if ((startswith(de->d_name, TMP_PREFIX) || startswith(de->d_name, OLD_PREFIX)) &&
            unlinkat(fd, de->d_name, 0) == 0)
            log_notice("removed %s%s%s, left by an interrupted delivery", dir,
                       streq(dir, "/") ? "" : "/", de->d_name);
    closedir(dp);
    close(fd);
}

/* Reads and checks one destination: 1 when it counts as delivered. */
/* Why a file does not count, unless the caller only wants the answer. */
#define say(quiet, ...)              \
    do {                             \
        if (!(quiet))                \
            log_warning(__VA_ARGS__); \
    } while (0)

static int check_one(const struct root_fs *r, const struct manifest_secret *s, bool quiet)
{
    char why[300], *buf = NULL;
    struct stat st;
    size_t got = 0;
    int fd, ok = 0;

    fd = root_fs_openat(r, s->dest, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0) {
        say(quiet, "secret \"%s\": %s cannot be opened (%s): counted as missing", s->name,
                    s->dest, strerror(-fd));
        return 0;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        say(quiet, "secret \"%s\": %s is not a regular file: counted as missing", s->name,
                    s->dest);
    } else if ((size_t)st.st_size > s->max_length) {
        say(quiet, "secret \"%s\": %s holds %lld bytes, more than its schema's %zu: counted as "
                    "missing", s->name, s->dest, (long long)st.st_size, s->max_length);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        log_error("out of memory");
    } else {
        ssize_t k;
        while (got < (size_t)st.st_size &&
               (k = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
            got += (size_t)k;
        buf[got] = '\0';
        if (got != (size_t)st.st_size)
            say(quiet, "secret \"%s\": %s changed size while read: counted as missing", s->name,
                        s->dest);
        else if (manifest_check_value(s, buf, got, why, sizeof(why)) < 0)
            say(quiet, "%s (in %s): counted as missing", why, s->dest);
        else
            ok = 1;
    }
    secret_buffer_free(buf, got + 1);
    close(fd);
    return ok;
}

/* Every environment target of s holds a value that passes its schema. */
static int check_env(const struct root_fs *r, const struct manifest_secret *s, bool quiet)
{
    char why[300];
    int ok = 1;

    for (size_t i = 0; i < s->n_env && ok; i++) {
        struct env_vars vars;
        const struct env_var *v;
        int k = env_vars_load(r, s->env[i].scope, &vars);
        if (k < 0) {
            say(quiet, "secret \"%s\": the environment file of %s cannot be read (%s): counted "
                "as missing", s->name, s->env[i].scope, strerror(-k));
            return 0;
        }
        v = env_vars_find(&vars, s->env[i].name);
        if (!v) {
            ok = 0;
        } else if (manifest_check_value(s, v->value, v->len, why, sizeof(why)) < 0) {
            say(quiet, "%s (in %s of %s): counted as missing", why, s->env[i].name,
                s->env[i].scope);
            ok = 0;
        }
        env_vars_free(&vars);
    }
    return ok;
}

static void check_all(const struct root_fs *r, const struct manifest *m, bool *present,
                      bool quiet)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct manifest_secret *s = &m->secrets[i];
        present[i] = (!s->dest || check_one(r, s, quiet)) && check_env(r, s, quiet);
    }
}

/* The root, or nothing present when it cannot be opened. */
static int open_root_for_check(struct root_fs *root, const char *root_path,
                               const struct manifest *m, bool *present)
{
    int r = root_fs_open(root, root_path, 0);
    if (r < 0) {
        log_warning("cannot open the root directory %s: %s; no secret counts as delivered",
                    root_path, strerror(-r));
        memset(present, 0, m->n * sizeof(*present));
    }
    return r;
}

void store_check(const char *root_path, const struct manifest *m, bool *present)
{
    struct root_fs root;

    if (open_root_for_check(&root, root_path, m, present) < 0)
        return;
    check_all(&root, m, present, true);
    root_fs_close(&root);
}

void store_scan(const char *root_path, const struct manifest *m, bool *present)
{
    char dir[PATH_MAX_LEN], **dirs = NULL;
    struct root_fs root;

    if (open_root_for_check(&root, root_path, m, present) < 0)
        return;
    for (size_t i = 0; i < m->n; i++) {
        const char *dest = m->secrets[i].dest;
        if (m->secrets[i].n_env && !strv_contains(dirs, MANIFEST_ENV_DIR) &&
            strv_push(&dirs, MANIFEST_ENV_DIR) >= 0)
            remove_leftovers(&root, MANIFEST_ENV_DIR);
        if (dest && root_fs_dir_of(dest, dir, sizeof(dir)) == 0 &&
            !strv_contains(dirs, dir) && strv_push(&dirs, dir) >= 0)
            remove_leftovers(&root, dir);
    }
    strv_free(dirs);
    check_all(&root, m, present, false);
    root_fs_close(&root);
}
