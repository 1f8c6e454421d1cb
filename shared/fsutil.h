/* SPDX-License-Identifier: MIT */
/*
 * The file-system helpers every module uses: recursive removal, mkdir -p and
 * a sorted directory listing. libc only, so the agent and the future native
 * builder can link them too. All return 0 or a negative errno and never
 * follow a symlink they did not get as the starting directory.
 */
#ifndef TDX_SHARED_FSUTIL_H
#define TDX_SHARED_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "ptrvec.h"

/* Removes name (a file, a symlink or a whole directory tree) below the
 * directory parent (a descriptor or AT_FDCWD), without following symlinks.
 * A missing name is not an error. Keeps going after a failure and returns
 * the first error. */
int rm_rf_at(int parent, const char *name);

/*
 * mkdir -p below dirfd (a descriptor or AT_FDCWD): creates path and each
 * missing parent with mode (before the umask). Existing directories are
 * fine; an existing non-directory gives -ENOTDIR or -EEXIST. A path of
 * PATH_MAX bytes or more is refused with -ENAMETOOLONG (never truncated), an
 * empty one with -EINVAL. When made is not NULL, each directory created is
 * pushed onto it as a heap copy of its path (as given, relative to dirfd),
 * parents before children; the caller frees them.
 */
int mkdir_p_at(int dirfd, const char *path, mode_t mode, ptrvec *made);

/* mkdir_p_at(AT_FDCWD, path, mode, NULL). */
int mkdir_p(const char *path, mode_t mode);

/* As mkdir_p_at() for the directories leading to path's last component
 * (nothing for a path without '/'). */
int mkdir_parents_at(int dirfd, const char *path, mode_t mode, ptrvec *made);

/*
 * The names in directory path, without "." and "..", sorted bytewise
 * (strcmp), so what is built from them does not depend on readdir order.
 * Names listed in skip (NULL-terminated, may be NULL) are left out. At most
 * max names; more gives -EFBIG. *names is a heap array of heap strings,
 * freed with dir_names_free().
 */
int dir_list_sorted(const char *path, const char *const *skip, size_t max, char ***names,
                    size_t *n);
void dir_names_free(char **names, size_t n);

/* Splits path into its parent directory ("." when it has none, "/" for a
 * child of the root) and its last component, ignoring trailing slashes.
 * Both are heap strings; -ENOMEM. */
int path_split(const char *path, char **parent, char **base);

/* 1 if directory path is empty, 0 if not, negative errno. */
int dir_is_empty(const char *path);

#endif
