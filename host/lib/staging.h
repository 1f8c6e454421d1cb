/* SPDX-License-Identifier: MIT */
/*
 * Staging directories: a hidden sibling .BASE.tmp-PID-XXXXXX of the output
 * being written, registered for tdx_staging_cleanup() while it exists, and
 * the removal of siblings that processes now dead left behind.
 */
#ifndef TDXHOST_LIB_STAGING_H
#define TDXHOST_LIB_STAGING_H

#include <signal.h>
#include <stdbool.h>

#include "tdxhost/common.h"

struct staging {
    int parent_fd;      /* the parent directory (owned) */
    char *name;         /* the staging directory's name in it */
    int slot;           /* registry slot, -1 when not registered */
};

#define STAGING_INIT { -1, NULL, -1 }

/*
 * Removes stale staging siblings of parent/base (those whose PID is dead),
 * then creates parent/.BASE.tmp-PID-XXXXXX (mode 0700) and registers it.
 * The registry is bounded: when it is full the directory is made anyway,
 * without signal-time cleanup.
 */
int staging_create(struct staging *s, const char *parent, const char *base, tdx_error *err);

/* The staging directory was renamed into place: unregister, close, free. */
void staging_done(struct staging *s);

/* Removes what is at the staging name now (the staging tree, or after a
 * RENAME_EXCHANGE the tree it replaced), then as staging_done(). */
void staging_remove(struct staging *s);

/*
 * Removes entries of directory parent_fd named .BASE.tmp-PID-* whose PID is
 * not a running process (kill(PID, 0) fails with ESRCH). Entries of this
 * process and of live ones are kept. Returns how many it removed.
 */
int staging_remove_stale(int parent_fd, const char *base);

/*
 * While a staging tree holds files that are not the library's (emit --force
 * moving a build's files over), neither tdx_staging_cleanup() nor a later
 * run may remove it. staging_protect() creates the marker STAGING_KEEP_MARKER
 * in the tree (open as tree_fd; staging_remove_stale() leaves directories
 * that have one), takes the slot out of the signal-time cleanup and blocks
 * SIGINT, SIGTERM and SIGHUP in the calling thread, saving the old mask in
 * *saved for the caller to restore (pthread_sigmask(SIG_SETMASK, ...)) once
 * the staging is done with. 0 or a negative errno (then nothing changed).
 * staging_unprotect() removes the marker from tree_fd and puts the slot back
 * into the cleanup; staging_done() on a protected staging leaves the marker.
 */
#define STAGING_KEEP_MARKER ".tdx-staging-holds-kept-files"
int staging_protect(struct staging *s, int tree_fd, sigset_t *saved);
void staging_unprotect(struct staging *s, int tree_fd);

/* Test hook (docs/development.md): when TDX_TEST_STAGING_PAUSE is set in
 * the environment, waits for a signal, so a test can interrupt a writer at a
 * known point with its staging directory complete. No-op otherwise. */
void staging_test_pause(void);

#endif
