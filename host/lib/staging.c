/* SPDX-License-Identifier: MIT */
#include "staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "macro.h"
#include "tdxhost/staging.h"

/* Enough for every writer of a process at once; beyond it a staging
 * directory is only cleaned by the next run. */
#define STAGING_SLOTS 64
#define CLEANUP_DEPTH_MAX 128

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE, SLOT_CLEANING, SLOT_PROTECTED };

struct slot {
    int state;
    int parent_fd;
    char name[NAME_MAX + 1];
};

static struct slot slots[STAGING_SLOTS];

static int slot_claim(int parent_fd, const char *name)
{
    if (strlen(name) > NAME_MAX)
        return -1;
    for (int i = 0; i < STAGING_SLOTS; i++) {
        int expected = SLOT_FREE;
        if (__atomic_compare_exchange_n(&slots[i].state, &expected, SLOT_CLAIMED, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            slots[i].parent_fd = parent_fd;
            strcpy(slots[i].name, name);
            __atomic_store_n(&slots[i].state, SLOT_LIVE, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

/* false when a signal handler is cleaning the slot: the process is ending,
 * and the descriptor must stay open for it. */
static bool slot_release(int i)
{
    int live = SLOT_LIVE, protected = SLOT_PROTECTED;
    return __atomic_compare_exchange_n(&slots[i].state, &live, SLOT_FREE, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
           __atomic_compare_exchange_n(&slots[i].state, &protected, SLOT_FREE, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* rm -rf with async-signal-safe calls only: no malloc, no stdio, no DIR. */
static void remove_tree_sigsafe(int parent_fd, const char *name, int depth)
{
    char buf[1024] __attribute__((aligned(8)));
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        unlinkat(parent_fd, name, 0);
        return;
    }
    /* Entries removed while reading may shift what a read returns; passes
     * repeat until a pass finds nothing left. */
    for (int pass = 0; pass < 16; pass++) {
        bool any = false;
        ssize_t n;
        lseek(fd, 0, SEEK_SET);
        while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
            for (ssize_t off = 0; off < n;) {
                struct dirent64 *d = (struct dirent64 *)(buf + off);
                off += d->d_reclen;
                if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                    continue;
                any = true;
                if ((d->d_type == DT_DIR || d->d_type == DT_UNKNOWN) && depth < CLEANUP_DEPTH_MAX) {
                    if (unlinkat(fd, d->d_name, 0) < 0)
                        remove_tree_sigsafe(fd, d->d_name, depth + 1);
                } else {
                    unlinkat(fd, d->d_name, 0);
                }
            }
        }
        if (!any)
            break;
    }
    close(fd);
    unlinkat(parent_fd, name, AT_REMOVEDIR);
}

void tdx_staging_cleanup(void)
{
    int saved = errno;
    for (int i = 0; i < STAGING_SLOTS; i++) {
        int expected = SLOT_LIVE;
        if (__atomic_compare_exchange_n(&slots[i].state, &expected, SLOT_CLEANING, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            remove_tree_sigsafe(slots[i].parent_fd, slots[i].name, 0);
    }
    errno = saved;
}

/* The PID in ".BASE.tmp-PID-XXXXXX", or 0 if name is not of that form. */
static pid_t staging_pid(const char *name, const char *base)
{
    size_t n = strlen(base);
    const char *p;
    long long pid = 0;

    if (name[0] != '.' || strncmp(name + 1, base, n) != 0 || strncmp(name + 1 + n, ".tmp-", 5))
        return 0;
    p = name + 1 + n + 5;
    if (*p < '1' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((pid = pid * 10 + (*p - '0')) > INT32_MAX)
            return 0;
    return *p == '-' ? (pid_t)pid : 0;
}

int staging_remove_stale(int parent_fd, const char *base)
{
    int fd = dup(parent_fd), removed = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((de = readdir(d))) {
        pid_t pid = staging_pid(de->d_name, base);
        char marker[NAME_MAX + sizeof(STAGING_KEEP_MARKER) + 2];
        if (pid <= 0 || pid == getpid())
            continue;
        /* Files someone else owns are in it: never removed automatically. */
        snprintf(marker, sizeof(marker), "%s/%s", de->d_name, STAGING_KEEP_MARKER);
        if (faccessat(parent_fd, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        if (kill(pid, 0) < 0 && errno == ESRCH && rm_rf_at(parent_fd, de->d_name) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int staging_create(struct staging *s, const char *parent, const char *base, tdx_error *err)
{
    _cleanup_free_ char *full = NULL;
    char *made;

    *s = (struct staging)STAGING_INIT;
    s->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->parent_fd < 0)
        return tdx_err(err, -errno, "cannot open directory %s: %s", parent, strerror(errno));
    staging_remove_stale(s->parent_fd, base);
    if (asprintf(&full, "%s/.%s.tmp-%ld-XXXXXX", parent, base, (long)getpid()) < 0) {
        full = NULL;
        staging_done(s);
        return tdx_err_oom(err);
    }
    made = mkdtemp(full);
    if (!made) {
        int r = tdx_err(err, -errno, "cannot create a directory in %s: %s", parent,
                        strerror(errno));
        staging_done(s);
        return r;
    }
    s->name = strdup(strrchr(made, '/') + 1);
    if (!s->name) {
        rmdir(made);
        staging_done(s);
        return tdx_err_oom(err);
    }
    s->slot = slot_claim(s->parent_fd, s->name);
    return 0;
}

void staging_done(struct staging *s)
{
    bool may_close = true;
    if (s->slot >= 0)
        may_close = slot_release(s->slot);
    if (s->parent_fd >= 0 && may_close)
        close(s->parent_fd);
    free(s->name);
    *s = (struct staging)STAGING_INIT;
}

void staging_remove(struct staging *s)
{
    if (s->name && s->parent_fd >= 0)
        rm_rf_at(s->parent_fd, s->name);
    staging_done(s);
}

int staging_protect(struct staging *s, int tree_fd, sigset_t *saved)
{
    int expected = SLOT_LIVE, fd;
    sigset_t block;

    fd = openat(tree_fd, STAGING_KEEP_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    close(fd);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, saved);
    if (s->slot >= 0)
        __atomic_compare_exchange_n(&slots[s->slot].state, &expected, SLOT_PROTECTED, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return 0;
}

void staging_unprotect(struct staging *s, int tree_fd)
{
    int expected = SLOT_PROTECTED;
    unlinkat(tree_fd, STAGING_KEEP_MARKER, 0);
    if (s->slot >= 0)
        __atomic_compare_exchange_n(&slots[s->slot].state, &expected, SLOT_LIVE, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void staging_test_pause(void)
{
    if (secure_getenv("TDX_TEST_STAGING_PAUSE"))
        pause();
}
