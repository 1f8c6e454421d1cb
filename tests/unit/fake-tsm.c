/* SPDX-License-Identifier: MIT */
#include "fake-tsm.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "helpers.h"
#include "macro.h"

static void put_attr(const char *dir, const char *name, const void *data, size_t n)
{
    char path[4300];
    int fd;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static unsigned long get_generation(const char *dir)
{
    char path[4300], buf[32] = "";
    FILE *f;
    snprintf(path, sizeof(path), "%s/generation", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    return strtoul(buf, NULL, 10);
}

static void set_generation(const char *dir, unsigned long g)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lu\n", g);
    put_attr(dir, "generation", buf, (size_t)n);
}

static int f_mkdir(void *ctx, const char *path, mode_t mode)
{
    struct fake_tsm *f = ctx;
    if (f->mkdir_errno) {
        errno = f->mkdir_errno;
        return -1;
    }
    if (mkdir(path, mode) < 0)
        return -1;
    f->mkdirs++;
    if (f->provider)
        put_attr(path, "provider", f->provider, strlen(f->provider));
    set_generation(path, 0);
    put_attr(path, "inblob", "", 0);
    put_attr(path, "outblob", "", 0);
    return 0;
}

static int f_rmdir(void *ctx, const char *path)
{
    struct fake_tsm *f = ctx;
    const char *slash = strrchr(path, '/');
    int parent;
    /* configfs removes a report's attributes with it. */
    char dir[4200];
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return -1;
    int r = rm_rf_at(parent, slash + 1);
    close(parent);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    f->rmdirs++;
    return 0;
}

static int f_open(void *ctx, const char *path, int flags)
{
    struct fake_tsm *f = ctx;
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0 && endswith(path, "/inblob") && (flags & O_ACCMODE) == O_WRONLY) {
        f->inblob_fd = fd;
        f->written = 0;
        snprintf(f->inblob_dir, sizeof(f->inblob_dir), "%.*s", (int)(strlen(path) - 7), path);
    } else if (fd >= 0 && endswith(path, "/outblob")) {
        f->outblob_fd = fd;
    }
    return fd;
}

static ssize_t f_read(void *ctx, int fd, void *buf, size_t n)
{
    struct fake_tsm *f = ctx;
    if (fd == f->outblob_fd && f->outblob_errno) {
        errno = f->outblob_errno;
        return -1;
    }
    if (fd == f->outblob_fd && f->busy_reads) {
        f->busy_reads--;
        errno = EBUSY;
        return -1;
    }
    return read(fd, buf, n);
}

static ssize_t f_write(void *ctx, int fd, const void *buf, size_t n)
{
    struct fake_tsm *f = ctx;
    ssize_t w;
    if (fd == f->inblob_fd && f->busy_writes) {
        f->busy_writes--;
        errno = EBUSY;
        return -1;
    }
    w = write(fd, buf, n);
    if (fd == f->inblob_fd && w > 0)
        f->written += (size_t)w;
    return w;
}

/* The kernel applies the inblob when the file is released. */
static void commit(struct fake_tsm *f)
{
    uint8_t quote[FAKE_TSM_QUOTE_SIZE] = { 4, 0, 2, 0, 0x81 };
    char path[4300];
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/inblob", f->inblob_dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    n = read(fd, f->inblob, sizeof(f->inblob));
    close(fd);
    ck_assert_int_ge(n, 0);
    f->inblob_len = (size_t)n;
    f->commits++;
    memcpy(quote + 568, f->inblob, f->inblob_len < 64 ? f->inblob_len : 64);
    put_attr(f->inblob_dir, "outblob", quote, f->empty_outblob ? 0 : sizeof(quote));
    if (f->stuck_generation)
        return;
    set_generation(f->inblob_dir, get_generation(f->inblob_dir) + 1);
    if (f->interfere) {
        f->interfere--;   /* another process wrote the same report meanwhile */
        set_generation(f->inblob_dir, get_generation(f->inblob_dir) + 1);
    }
}

static int f_close(void *ctx, int fd)
{
    struct fake_tsm *f = ctx;
    int r = close(fd);
    if (fd == f->inblob_fd) {
        f->inblob_fd = -1;
        if (f->written)
            commit(f);
    } else if (fd == f->outblob_fd) {
        f->outblob_fd = -1;
    }
    return r;
}

struct fake_tsm *fake_tsm_new(void)
{
    struct fake_tsm *f = calloc(1, sizeof(*f));
    ck_assert_ptr_nonnull(f);
    f->root = tmpdir_new();
    f->provider = "tdx_guest\n";
    f->inblob_fd = f->outblob_fd = -1;
    return f;
}

void fake_tsm_free(struct fake_tsm *f)
{
    if (!f)
        return;
    tmpdir_remove(f->root);
    free(f);
}

struct tsm_fs fake_tsm_fs(struct fake_tsm *f)
{
    return (struct tsm_fs){ f_mkdir, f_rmdir, f_open, f_read, f_write, f_close, f };
}

int fake_tsm_leftovers(const struct fake_tsm *f)
{
    DIR *d = opendir(f->root);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}
