/* SPDX-License-Identifier: MIT */
#include "root-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "macro.h"

#define COMPONENT_MAX 256
#define PATH_MAX_LEN 4096

int root_fs_open(struct root_fs *r, const char *path, unsigned flags)
{
    r->path = path && *path ? path : "/";
    r->flags = flags;
    r->fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return r->fd < 0 ? -errno : 0;
}

void root_fs_close(struct root_fs *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

/* One component of path starting at *p into comp; advances *p past it and
 * its slash. Refuses what the walk cannot take safely. */
static int next_component(const char **p, char comp[COMPONENT_MAX], bool *last)
{
    const char *end = strchrnul(*p, '/');
    size_t n = (size_t)(end - *p);

    if (n == 0 || n >= COMPONENT_MAX || (n == 1 && **p == '.') ||
        (n == 2 && (*p)[0] == '.' && (*p)[1] == '.'))
        return n >= COMPONENT_MAX ? -ENAMETOOLONG : -EINVAL;
    memcpy(comp, *p, n);
    comp[n] = '\0';
    *last = !*end;
    *p = *end ? end + 1 : end;
    return 0;
}

/* The walk without openat2: every component opened with O_NOFOLLOW, the
 * ones above the last as directories, so no link is ever followed. */
static int open_walking(int rootfd, const char *path, int flags, mode_t mode)
{
    const char *p = path + 1;
    int cur, next;

    if (!*p) {
        next = openat(rootfd, ".", flags | O_CLOEXEC, mode);
        return next < 0 ? -errno : next;
    }
    cur = dup(rootfd);
    if (cur < 0)
        return -errno;
    for (;;) {
        char comp[COMPONENT_MAX];
        bool last;
        int r = next_component(&p, comp, &last);
        if (r < 0) {
            close(cur);
            return r;
        }
        next = last ? openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode)
                    : openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            struct stat st;
            r = -errno;
            /* O_DIRECTORY on a link says ENOTDIR: say what it is. */
            if (r == -ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                r = -ELOOP;
            close(cur);
            return r;
        }
        close(cur);
        if (last)
            return next;
        cur = next;
    }
}

int root_fs_openat(const struct root_fs *r, const char *path, int flags, mode_t mode)
{
    static atomic_bool no_openat2, said_eperm;
    struct open_how how = { 0 };
    long fd;

    if (!path || path[0] != '/')
        return -EINVAL;
    if (!atomic_load(&no_openat2)) {
        how.flags = (uint64_t)(flags | O_CLOEXEC);
        how.mode = flags & O_CREAT ? mode : 0;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
                      (r->flags & ROOT_FS_NO_SYMLINKS ? RESOLVE_NO_SYMLINKS : 0);
        /* EAGAIN: with RESOLVE_IN_ROOT the kernel gives up a ".." step
         * that raced a rename or mount anywhere; trying again is what
         * openat2(2) asks for. */
        for (int tries = 0;; tries++) {
            fd = syscall(SYS_openat2, r->fd, path[1] ? path + 1 : ".", &how, sizeof(how));
            if (fd >= 0 || errno != EAGAIN || tries == 8)
                break;
        }
        if (fd >= 0)
            return (int)fd;
        if (errno == ENOSYS) {
            atomic_store(&no_openat2, true);
            log_notice("openat2() is not available: symbolic links below %s are refused",
                       r->path);
        } else if (errno == EPERM) {
            /* A seccomp filter, most likely; the walk says whether a plain
             * open is refused too. */
            if (!atomic_exchange(&said_eperm, true))
                log_notice("openat2() is refused (EPERM): symbolic links below %s are refused",
                           r->path);
        } else {
            return -errno;
        }
    }
    return open_walking(r->fd, path, flags, mode);
}

static const struct root_fs_dir default_dir = { 0755, 0, 0 };

/* Makes comp in parent and returns it open, with its owner and mode set on
 * the descriptor; -EEXIST when something (perhaps a link) is already there. */
static int make_dir(int parent, const char *comp, const struct root_fs_dir *how)
{
    int fd;

    if (mkdirat(parent, comp, 0700) < 0)
        return -errno;
    /* Between mkdirat() and this open the name may have been swapped:
     * O_NOFOLLOW | O_DIRECTORY then fails instead of opening the link. */
    fd = openat(parent, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* Owner first, then the mode, whatever the umask. As another user than
     * root the agent can only keep its own. */
    if ((geteuid() == 0 && fchown(fd, how->uid, how->gid) < 0) ||
        fchmod(fd, (mode_t)how->mode) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    (void)fsync(parent);
    return fd;
}

int root_fs_open_dir(const struct root_fs *r, const char *dir, bool create,
                     const struct root_fs_dir *last)
{
    char prefix[PATH_MAX_LEN];
    const char *p = dir + 1;
    int cur, next;

    cur = root_fs_openat(r, dir, O_RDONLY | O_DIRECTORY, 0);
    if (cur != -ENOENT || !create)
        return cur;
    if (strlen(dir) >= sizeof(prefix))
        return -ENAMETOOLONG;
    cur = root_fs_openat(r, "/", O_RDONLY | O_DIRECTORY, 0);
    while (cur >= 0 && *p) {
        char comp[COMPONENT_MAX];
        bool is_last;
        int k = next_component(&p, comp, &is_last);
        if (k < 0) {
            close(cur);
            return k;
        }
        /* The prefix up to and including comp, resolved from the root again
         * so that links already there resolve as they do for every other
         * open (inside the root). */
        memcpy(prefix, dir, (size_t)(p - dir));
        prefix[p - dir - (is_last ? 0 : 1)] = '\0';
        next = root_fs_openat(r, prefix, O_RDONLY | O_DIRECTORY, 0);
        if (next == -ENOENT) {
            next = make_dir(cur, comp, is_last ? last : &default_dir);
            if (next == -EEXIST)   /* a dangling link, or someone else made it: open that */
                next = root_fs_openat(r, prefix, O_RDONLY | O_DIRECTORY, 0);
        }
        close(cur);
        cur = next;
    }
    return cur;
}

int root_fs_read_file(const struct root_fs *r, const char *path, size_t max, char **ret,
                      size_t *ret_len)
{
    int fd = root_fs_openat(r, path, O_RDONLY | O_NONBLOCK, 0), k;
    if (fd < 0)
        return fd;
    k = read_fd_bounded(fd, max, ret, ret_len);
    close(fd);
    return k;
}

int root_fs_write_atomic(int dirfd, const char *name, const void *data, size_t n, unsigned mode)
{
    char tmp[COMPONENT_MAX + 32], hex[17];
    uint8_t b[8];
    int fd, r;

    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        return -EIO;
    hex_encode(b, sizeof(b), hex);
    if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.%s", name, hex) >= sizeof(tmp))
        return -ENAMETOOLONG;
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    r = write_close_synced(fd, data, n, mode);
    if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r < 0)
        (void)unlinkat(dirfd, tmp, 0);
    return r;
}

int root_fs_dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!slash)
        return -EINVAL;
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= size)
        return -ENAMETOOLONG;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}
