/* SPDX-License-Identifier: MIT */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

int rm_rf_at(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    int r = 0;

    if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        return errno == ENOENT ? 0 : -errno;
    }
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
            int q = rm_rf_at(dirfd(d), de->d_name);
            if (q < 0 && r == 0)
                r = q;
        } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && r == 0) {
            r = -errno;
        }
    }
    closedir(d);
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0 && errno != ENOENT)
        r = -errno;
    return r;
}

/* Creates the first len bytes of path's components (len == strlen: all). */
static int mkdir_prefix_at(int dirfd, const char *path, size_t len, mode_t mode, ptrvec *made)
{
    char buf[PATH_MAX];
    struct stat st;

    if (len == 0)
        return -EINVAL;
    if (len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len);
    buf[len] = '\0';
    /* Component by component; "a//b" and a trailing '/' are harmless. */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdirat(dirfd, buf, mode) == 0) {
            if (made) {
                char *copy = strdup(buf);
                if (!copy || ptrvec_push(made, copy) < 0) {
                    free(copy);
                    return -ENOMEM;
                }
            }
        } else if (errno != EEXIST) {
            return -errno;
        } else if (fstatat(dirfd, buf, &st, 0) < 0) {
            return -errno;
        } else if (!S_ISDIR(st.st_mode)) {
            return -ENOTDIR;
        }
        buf[i] = c;
    }
    return 0;
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode, ptrvec *made)
{
    return mkdir_prefix_at(dirfd, path, strlen(path), mode, made);
}

int mkdir_p(const char *path, mode_t mode)
{
    return mkdir_p_at(AT_FDCWD, path, mode, NULL);
}

int mkdir_parents_at(int dirfd, const char *path, mode_t mode, ptrvec *made)
{
    const char *slash = strrchr(path, '/');
    size_t n = strlen(path);

    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    if (!slash || slash == path)
        return 0;
    return mkdir_prefix_at(dirfd, path, (size_t)(slash - path), mode, made);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int skipped(const char *name, const char *const *skip)
{
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return 1;
    for (; skip && *skip; skip++)
        if (!strcmp(name, *skip))
            return 1;
    return 0;
}

void dir_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int dir_list_sorted(const char *path, const char *const *skip, size_t max, char ***names,
                    size_t *count)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = opendir(path);
    int r = 0;

    if (!d)
        return -errno;
    while ((errno = 0, de = readdir(d))) {
        if (skipped(de->d_name, skip))
            continue;
        if (n == max) {
            r = -EFBIG;
            break;
        }
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(char *));
            if (!nv) {
                r = -ENOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    if (r == 0 && errno)
        r = -errno;
    closedir(d);
    if (r < 0) {
        dir_names_free(v, n);
        return r;
    }
    if (n > 1)
        qsort(v, n, sizeof(char *), cmp_name);
    *names = v;
    *count = n;
    return 0;
}

int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int r = 1;

    if (!d)
        return -errno;
    while ((de = readdir(d)))
        if (!skipped(de->d_name, NULL)) {
            r = 0;
            break;
        }
    closedir(d);
    return r;
}

int path_split(const char *path, char **parent, char **base)
{
    char *copy = strdup(path), *slash;
    size_t n;

    *parent = *base = NULL;
    if (!copy)
        return -ENOMEM;
    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    slash = strrchr(copy, '/');
    if (!slash) {
        *parent = strdup(".");
        *base = strdup(copy);
    } else {
        *base = strdup(slash + 1);
        *slash = '\0';
        *parent = strdup(slash == copy ? "/" : copy);
    }
    free(copy);
    if (!*parent || !*base) {
        free(*parent);
        free(*base);
        *parent = *base = NULL;
        return -ENOMEM;
    }
    return 0;
}
