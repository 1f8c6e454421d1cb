/* SPDX-License-Identifier: MIT */
/*
 * Threads that run blocking operations (quotes, event log reads) so the
 * event loop never waits on a device. Finished jobs are handed back
 * through an eventfd the loop polls. The loop bounds how many jobs exist
 * (max_inflight); the pool itself never refuses one.
 */
#ifndef TDX_AGENT_WORKERS_H
#define TDX_AGENT_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct agent;
struct op_def;

struct job {
    struct job *next;
    void *owner;                 /* the connection that asked */
    const struct op_def *op;
    struct wire_request req;     /* freed by the worker once it has run */
    uint8_t *reply;              /* the encoded reply frame, set by the worker */
    size_t reply_len;
    int status;                  /* 0, -ENOMEM, or -ECANCELED when never run */
};

struct workers;

int workers_new(struct agent *a, unsigned n, struct workers **out);

/* Readable when finished jobs wait in workers_done(). */
int workers_fd(const struct workers *w);

void workers_submit(struct workers *w, struct job *j);

/* Detaches the list of finished jobs (oldest first). */
struct job *workers_done(struct workers *w);

/* Stops and joins the threads (after the jobs they are running); queued
 * jobs are finished with -ECANCELED. Then frees everything, giving every
 * unclaimed finished job to free_job. */
void workers_free(struct workers *w, void (*free_job)(struct job *j));

#endif
