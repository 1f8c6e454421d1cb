/* SPDX-License-Identifier: MIT */
/*
 * A fake configfs-tsm behind a real temporary directory. The configfs
 * provider makes its system calls through a struct tsm_fs; this one does
 * them on the directory and adds what the kernel would do (drivers/virt/
 * coco/guest/report.c, tdx-guest.c, as summarised in
 * ../shared/reference/agent.md §1): mkdir creates the attributes, closing a
 * written inblob bumps the generation and produces the outblob, rmdir takes
 * the attributes with it. The knobs below make it misbehave the ways a real
 * kernel and host can; the counters say what the provider did.
 */
#ifndef TDX_TESTS_FAKE_TSM_H
#define TDX_TESTS_FAKE_TSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quote-provider.h"

#define FAKE_TSM_QUOTE_SIZE 1020   /* v4 header + body + padding: what the fake returns */

struct fake_tsm {
    char *root;                 /* the report directory (created by fake_tsm_new) */
    /* Behaviour. */
    const char *provider;       /* content of "provider"; NULL: no such attribute */
    int mkdir_errno;            /* mkdir fails with this */
    unsigned busy_writes;       /* this many inblob writes fail with EBUSY */
    unsigned busy_reads;        /* this many outblob reads fail with EBUSY */
    int outblob_errno;          /* every outblob read fails with this */
    unsigned interfere;         /* this many requests see another writer bump the generation */
    bool empty_outblob;         /* the host's quote service returns nothing */
    bool stuck_generation;      /* closing inblob does not advance the generation */
    /* Observations. */
    unsigned mkdirs, rmdirs, commits;
    size_t inblob_len;          /* bytes of the last committed inblob */
    uint8_t inblob[128];
    /* Internal. */
    int inblob_fd, outblob_fd;
    char inblob_dir[4200];
    size_t written;
};

struct fake_tsm *fake_tsm_new(void);
void fake_tsm_free(struct fake_tsm *f);
struct tsm_fs fake_tsm_fs(struct fake_tsm *f);

/* Entries left in the report directory (0 when every request cleaned up). */
int fake_tsm_leftovers(const struct fake_tsm *f);

#endif
