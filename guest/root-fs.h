/* SPDX-License-Identifier: MIT */
/*
 * The one way the agent reaches a file of the image it serves.
 *
 * Why: the agent writes secrets, reads account files and creates its ready
 * file in a tree it does not own outright: with --root-dir a staged tree,
 * and in a guest a root file system whose writable parts the host may have
 * shaped. A symbolic link planted anywhere on such a path must not make the
 * agent read, create, chmod or chown anything outside the root. So every
 * path is resolved here, as if the root were "/" (openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: absolute links and ".." stay
 * inside the root), and callers then work on the descriptors they got:
 * modes and owners are set with fchmod()/fchown() on an open descriptor,
 * never on a name that could be swapped for a link.
 *
 * Where openat2 is missing (ENOSYS: kernels before 5.6, valgrind; EPERM:
 * seccomp filters) the path is walked one component at a time with
 * O_NOFOLLOW | O_DIRECTORY, which refuses every link (-ELOOP): stricter,
 * but never outside the root.
 */
#ifndef TDX_AGENT_ROOT_FS_H
#define TDX_AGENT_ROOT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Flags for root_fs_open(). */
enum {
    /* No symbolic link anywhere on a path, not even one that stays inside
     * (openat2 RESOLVE_NO_SYMLINKS): for files whose path is fixed by the
     * configuration, like the ready file. */
    ROOT_FS_NO_SYMLINKS = 1 << 0,
};

struct root_fs {
    const char *path;   /* borrowed: "/" or the directory given */
    int fd;             /* O_PATH descriptor of path */
    unsigned flags;
};

/* Opens path (NULL means "/") as a root. Returns 0 or a negative errno. */
int root_fs_open(struct root_fs *r, const char *path, unsigned flags);
void root_fs_close(struct root_fs *r);

/*
 * Opens the absolute image path below the root with open(2) flags (mode
 * when O_CREAT is set). O_CLOEXEC is always added. Returns a descriptor or
 * a negative errno: -ELOOP for a link that is refused, -EXDEV when a path
 * would leave the root (openat2), -EINVAL for a relative path or a "." or
 * ".." component the walk cannot take.
 */
int root_fs_openat(const struct root_fs *r, const char *path, int flags, mode_t mode);

/* How a directory that has to be created is made. */
struct root_fs_dir {
    unsigned mode;
    uid_t uid;
    gid_t gid;
};

/*
 * Opens directory dir (O_RDONLY | O_DIRECTORY). With create set, missing
 * components are made: dir itself as last says, the ones above it root
 * 0755. A directory is given its owner and mode only when this call made
 * it, on a descriptor opened with O_NOFOLLOW right after mkdirat(); an
 * existing one (or a link standing where a component goes) is never
 * changed. The owner is set only when running as root. Returns a
 * descriptor or a negative errno.
 */
int root_fs_open_dir(const struct root_fs *r, const char *dir, bool create,
                     const struct root_fs_dir *last);

/* Reads a regular file below the root (as read_file_bounded()). */
int root_fs_read_file(const struct root_fs *r, const char *path, size_t max, char **ret,
                      size_t *ret_len);

/*
 * Replaces name in the open directory dirfd atomically: a temporary file
 * made with O_EXCL | O_NOFOLLOW, written, given mode with fchmod(), synced
 * and renamed over name (a link there is replaced, not followed). On
 * failure name is unchanged and no temporary file is left.
 */
int root_fs_write_atomic(int dirfd, const char *name, const void *data, size_t n, unsigned mode);

/* The directory part of absolute path into out ("/" for "/x"); -ENAMETOOLONG
 * when it does not fit. */
int root_fs_dir_of(const char *path, char *out, size_t size);

#endif
