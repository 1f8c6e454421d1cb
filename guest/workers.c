/* SPDX-License-Identifier: MIT */
#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "ops.h"

struct workers {
    struct agent *agent;
    pthread_t *threads;
    unsigned n;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job *queue, **queue_tail;
    struct job *done, **done_tail;
    bool stopping;
    int fd;
};

static void finish(struct workers *w, struct job *j)
{
    uint64_t one = 1;
    j->next = NULL;
    pthread_mutex_lock(&w->lock);
    *w->done_tail = j;
    w->done_tail = &j->next;
    pthread_mutex_unlock(&w->lock);
    /* Cannot fail short of a counter overflow; a lost wake-up only delays. */
    if (write(w->fd, &one, sizeof(one)) < 0)
        log_debug("workers: eventfd write: %m");
}

static void *worker_main(void *arg)
{
    struct workers *w = arg;
    for (;;) {
        struct job *j;
        pthread_mutex_lock(&w->lock);
        while (!w->queue && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->stopping) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        j = w->queue;
        w->queue = j->next;
        if (!w->queue)
            w->queue_tail = &w->queue;
        pthread_mutex_unlock(&w->lock);

        j->status = ops_reply(w->agent, j->op, &j->req, &j->reply, &j->reply_len);
        wire_request_done(&j->req);
        finish(w, j);
    }
}

int workers_new(struct agent *a, unsigned n, struct workers **out)
{
    struct workers *w = calloc(1, sizeof(*w));
    int r;

    if (!w)
        return -ENOMEM;
    w->agent = a;
    w->queue_tail = &w->queue;
    w->done_tail = &w->done;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    w->threads = calloc(n, sizeof(pthread_t));
    if (w->fd < 0 || !w->threads) {
        r = w->fd < 0 ? -errno : -ENOMEM;
        workers_free(w, NULL);
        return r;
    }
    for (; w->n < n; w->n++) {
        r = pthread_create(&w->threads[w->n], NULL, worker_main, w);
        if (r != 0) {
            workers_free(w, NULL);
            return -r;
        }
    }
    *out = w;
    return 0;
}

int workers_fd(const struct workers *w)
{
    return w->fd;
}

void workers_submit(struct workers *w, struct job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&w->lock);
    *w->queue_tail = j;
    w->queue_tail = &j->next;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

struct job *workers_done(struct workers *w)
{
    uint64_t count;
    struct job *list;

    if (read(w->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        log_debug("workers: eventfd read: %m");
    pthread_mutex_lock(&w->lock);
    list = w->done;
    w->done = NULL;
    w->done_tail = &w->done;
    pthread_mutex_unlock(&w->lock);
    return list;
}

void workers_free(struct workers *w, void (*free_job)(struct job *j))
{
    struct job *list, *next;

    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    for (list = w->queue; list; list = next) {
        next = list->next;
        list->status = -ECANCELED;
        wire_request_done(&list->req);
        finish(w, list);
    }
    w->queue = NULL;
    for (list = workers_done(w); list; list = next) {
        next = list->next;
        if (free_job)
            free_job(list);
    }
    if (w->fd >= 0)
        close(w->fd);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->threads);
    free(w);
}
