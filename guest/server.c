/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-core.h"
#include "daemon.h"
#include "frame.h"
#include "listen.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "strv.h"
#include "wire.h"
#include "workers.h"

#define SWEEP_MS 100
#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 250
#define READS_PER_EVENT 4

enum src_type { SRC_LISTENER, SRC_CONN, SRC_WORKERS, SRC_WAKE, SRC_SIGNAL };

struct src {
    enum src_type type;
    int fd;
};

struct listener {
    struct src src;
    char *unlink_path;
    struct listener *next;
};

enum conn_state {
    CONN_READING,   /* collecting a request frame */
    CONN_WAITING,   /* a worker runs its request; not reading */
    CONN_WRITING,   /* sending a reply */
};

struct conn {
    struct src src;
    struct conn *prev, *next;
    enum conn_state state;
    struct frame_reader rd;
    uint8_t *out;
    size_t out_len, out_off;
    size_t reserved;        /* bytes of the memory budget held */
    uint64_t since;         /* start of the current deadline */
    uint32_t events;        /* epoll interest */
    bool close_after;       /* close once the reply is out */
    bool dead;              /* closed while its job runs: freed when the job returns */
    char peer[80];
};

struct server {
    struct agent *agent;
    const struct agent_config *cfg;
    int epfd;
    struct src wake, workers_src, signals;
    struct workers *workers;
    struct listener *listeners;
    struct conn *conns;         /* open connections */
    struct conn *graveyard;     /* closed during this batch of events, freed after it */
    size_t nconns;
    size_t inflight;
    size_t budget_used;
    uint64_t listeners_paused_until;
    uint64_t watchdog_ms;
    uint8_t *busy_frame;        /* canned reply for connections over the cap */
    size_t busy_len;
    atomic_bool stop;
};

static int ep_add(struct server *s, struct src *src, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = src };
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0 ? -errno : 0;
}

static void set_events(struct server *s, struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = &c->src };
    if (c->events == events)
        return;
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->src.fd, &ev) < 0)
        log_error("epoll_ctl: %m");
    c->events = events;
}

static bool reserve(struct server *s, struct conn *c, size_t n)
{
    if (n > s->cfg->memory_budget - s->budget_used)
        return false;
    s->budget_used += n;
    c->reserved += n;
    return true;
}

static void release(struct server *s, struct conn *c, size_t n)
{
    s->budget_used -= n;
    c->reserved -= n;
}

static void conn_close(struct server *s, struct conn *c)
{
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
    close(c->src.fd);
    c->src.fd = -1;
    frame_reader_reset(&c->rd);
    free(c->out);
    c->out = NULL;
    s->budget_used -= c->reserved;
    c->reserved = 0;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    if (c->state == CONN_WAITING) {
        c->dead = true;   /* the job still points here */
        return;
    }
    c->next = s->graveyard;
    s->graveyard = c;
}

static void conn_write(struct server *s, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->src.fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_events(s, c, EPOLLOUT);
            return;
        }
        if (n < 0) {
            log_debug("%s: send: %m", c->peer);
            conn_close(s, c);
            return;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    release(s, c, c->out_len);
    if (c->close_after) {
        conn_close(s, c);
        return;
    }
    c->state = CONN_READING;
    c->since = now_ms();
    set_events(s, c, EPOLLIN | EPOLLRDHUP);
}

/* Sends frame (taken over) as the connection's reply. */
static void queue_reply(struct server *s, struct conn *c, uint8_t *frame, size_t len,
                        bool close_after)
{
    if (!reserve(s, c, len)) {
        struct wire_error e;
        free(frame);
        wire_errorf(&e, WIRE_E_BUSY, "the agent's memory budget is exhausted; retry later");
        if (wire_reply_error(NULL, &e, &frame, &len) < 0 || !reserve(s, c, len)) {
            free(frame);
            conn_close(s, c);
            return;
        }
    }
    c->out = frame;
    c->out_len = len;
    c->out_off = 0;
    c->close_after = c->close_after || close_after;
    c->state = CONN_WRITING;
    c->since = now_ms();
    conn_write(s, c);
}

static void reply_error(struct server *s, struct conn *c, struct json_t *id,
                        const struct wire_error *e, bool close_after)
{
    uint8_t *frame;
    size_t len;
    if (wire_reply_error(id, e, &frame, &len) < 0) {
        conn_close(s, c);
        return;
    }
    queue_reply(s, c, frame, len, close_after);
}

static void handle_frame(struct server *s, struct conn *c, uint8_t *payload, size_t len)
{
    struct wire_request req;
    struct wire_error e;
    const struct op_def *op;
    uint8_t *frame;
    size_t flen;
    int r = wire_parse_request(payload, len, &req, &e);

    free(payload);
    release(s, c, len + 1);
    if (r < 0) {
        /* The envelope is broken: say why, then hang up (docs/protocol.md). */
        log_client("%s: %s: %s", c->peer, e.code, e.message);
        reply_error(s, c, req.id, &e, true);
        wire_request_done(&req);
        return;
    }
    op = ops_find(req.op);
    if (!op) {
        wire_errorf(&e, WIRE_E_UNKNOWN_OP, "unknown op \"%.64s\"", req.op);
        reply_error(s, c, req.id, &e, false);
        wire_request_done(&req);
        return;
    }
    if (op->blocking) {
        struct job *j;
        if (s->inflight >= s->cfg->max_inflight || !(j = calloc(1, sizeof(*j)))) {
            wire_errorf(&e, WIRE_E_BUSY, "%zu requests in flight, the most this agent takes; "
                                         "retry later", s->inflight);
            reply_error(s, c, req.id, &e, false);
            wire_request_done(&req);
            return;
        }
        j->owner = c;
        j->op = op;
        j->req = req;   /* the worker frees it */
        s->inflight++;
        c->state = CONN_WAITING;
        set_events(s, c, 0);
        workers_submit(s->workers, j);
        return;
    }
    r = ops_reply(s->agent, op, &req, &frame, &flen);
    wire_request_done(&req);
    if (r < 0) {
        conn_close(s, c);
        return;
    }
    queue_reply(s, c, frame, flen, false);
}

static void frame_refused(struct server *s, struct conn *c, int rc)
{
    struct wire_error e;
    if (rc == -EMSGSIZE)
        wire_errorf(&e, WIRE_E_TOO_LARGE, "frame of %u bytes exceeds the limit of %u bytes",
                    c->rd.length, FRAME_MAX);
    else
        wire_errorf(&e, WIRE_E_BAD_FRAME, "zero-length frame");
    log_client("%s: %s: %s", c->peer, e.code, e.message);
    frame_reader_reset(&c->rd);
    reply_error(s, c, NULL, &e, true);
}

static void conn_read(struct server *s, struct conn *c)
{
    for (int i = 0; i < READS_PER_EVENT && c->state == CONN_READING; i++) {
        size_t want;
        uint8_t *buf = frame_reader_buf(&c->rd, &want);
        bool started = frame_reader_in_frame(&c->rd);
        ssize_t n = recv(c->src.fd, buf, want, MSG_DONTWAIT);
        int rc;

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            if (n == 0 && started)
                log_client("%s: connection closed in the middle of a frame", c->peer);
            conn_close(s, c);
            return;
        }
        if (!started)
            c->since = now_ms();   /* the frame deadline starts with its first byte */
        rc = frame_reader_advance(&c->rd, (size_t)n);
        if (rc == FRAME_HEADER_DONE) {
            size_t need = (size_t)c->rd.length + 1;
            bool held = reserve(s, c, need);
            if (!held || frame_reader_alloc(&c->rd) < 0) {
                struct wire_error e;
                if (held)
                    release(s, c, need);
                frame_reader_reset(&c->rd);
                wire_errorf(&e, WIRE_E_BUSY, "the agent's memory budget is exhausted; retry later");
                reply_error(s, c, NULL, &e, true);
                return;
            }
        } else if (rc == FRAME_COMPLETE) {
            size_t len;
            uint8_t *payload = frame_reader_take(&c->rd, &len);
            handle_frame(s, c, payload, len);
            return;
        } else if (rc < 0) {
            frame_refused(s, c, rc);
            return;
        }
    }
}

static void pause_listeners(struct server *s, bool pause)
{
    for (struct listener *l = s->listeners; l; l = l->next) {
        struct epoll_event ev = { .events = pause ? 0 : EPOLLIN, .data.ptr = &l->src };
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, l->src.fd, &ev);
    }
}

static void accept_some(struct server *s, struct listener *l)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(l->src.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: stop accepting for a moment rather than spin. */
                log_client("cannot accept connections: %m; pausing for %d ms", ACCEPT_PAUSE_MS);
                s->listeners_paused_until = now_ms() + ACCEPT_PAUSE_MS;
                pause_listeners(s, true);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                       errno != ECONNABORTED) {
                log_warning("accept: %m");
            }
            return;
        }
        if (s->nconns >= s->cfg->max_connections || !(c = calloc(1, sizeof(*c)))) {
            char peer[80];
            socket_describe(fd, true, peer, sizeof(peer));
            log_client("%s: refused: %zu connections open, the most this agent takes", peer,
                       s->nconns);
            if (send(fd, s->busy_frame, s->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                log_debug("%s: cannot send the busy reply: %m", peer);
            close(fd);
            continue;
        }
        c->src = (struct src){ SRC_CONN, fd };
        c->rd = (struct frame_reader)FRAME_READER_INIT(FRAME_MAX);
        c->state = CONN_READING;
        c->since = now_ms();
        c->events = EPOLLIN | EPOLLRDHUP;
        socket_describe(fd, true, c->peer, sizeof(c->peer));
        if (ep_add(s, &c->src, c->events) < 0) {
            log_warning("epoll_ctl: %m");
            close(fd);
            free(c);
            continue;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        log_debug("%s: connected (%zu open)", c->peer, s->nconns);
    }
}

static void jobs_done(struct server *s)
{
    struct job *j = workers_done(s->workers), *next;
    for (; j; j = next) {
        struct conn *c = j->owner;
        next = j->next;
        s->inflight--;
        if (c->dead) {
            free(j->reply);
            c->next = s->graveyard;
            s->graveyard = c;
        } else if (j->status < 0 || !j->reply) {
            c->state = CONN_READING;
            conn_close(s, c);
        } else {
            queue_reply(s, c, j->reply, j->reply_len, false);
        }
        free(j);
    }
}

static void sweep(struct server *s, uint64_t now)
{
    const struct agent_config *cfg = s->cfg;
    struct conn *c, *next;

    for (c = s->conns; c; c = next) {
        next = c->next;
        if (c->state == CONN_READING && frame_reader_in_frame(&c->rd)) {
            if (now - c->since >= cfg->frame_timeout_ms) {
                struct wire_error e;
                wire_errorf(&e, WIRE_E_TIMEOUT, "frame not completed within %u ms",
                            cfg->frame_timeout_ms);
                log_client("%s: %s", c->peer, e.message);
                frame_reader_reset(&c->rd);
                release(s, c, c->reserved);
                reply_error(s, c, NULL, &e, true);
            }
        } else if (c->state == CONN_READING) {
            if (now - c->since >= cfg->idle_timeout_ms) {
                log_debug("%s: idle for %u ms, closing", c->peer, cfg->idle_timeout_ms);
                conn_close(s, c);
            }
        } else if (c->state == CONN_WRITING && now - c->since >= cfg->write_timeout_ms) {
            log_client("%s: reply not taken within %u ms, closing", c->peer, cfg->write_timeout_ms);
            conn_close(s, c);
        }
    }
}

static void conn_event(struct server *s, struct conn *c, uint32_t ev)
{
    if (c->src.fd < 0)
        return;   /* closed earlier in this batch */
    if (ev & EPOLLERR) {
        conn_close(s, c);
        return;
    }
    switch (c->state) {
    case CONN_READING:
        conn_read(s, c);
        break;
    case CONN_WRITING:
        conn_write(s, c);
        break;
    case CONN_WAITING:
        if (ev & EPOLLHUP)
            conn_close(s, c);
        break;
    }
}

static void bury(struct server *s)
{
    while (s->graveyard) {
        struct conn *c = s->graveyard;
        s->graveyard = c->next;
        free(c);
    }
}

int server_run(struct server *s)
{
    struct epoll_event evs[64];
    uint64_t now = now_ms(), next_sweep = now + SWEEP_MS;
    uint64_t next_dog = s->watchdog_ms ? now : UINT64_MAX;

    while (!atomic_load(&s->stop)) {
        uint64_t wake = next_sweep < next_dog ? next_sweep : next_dog;
        int n;

        now = now_ms();
        n = epoll_wait(s->epfd, evs, (int)ELEMENTSOF(evs), wake > now ? (int)(wake - now) : 0);
        if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n; i++) {
            struct src *src = evs[i].data.ptr;
            switch (src->type) {
            case SRC_LISTENER:
                accept_some(s, (struct listener *)src);
                break;
            case SRC_CONN:
                conn_event(s, (struct conn *)src, evs[i].events);
                break;
            case SRC_WORKERS:
                jobs_done(s);
                break;
            case SRC_WAKE: {
                uint64_t v;
                if (read(src->fd, &v, sizeof(v)) < 0)
                    log_debug("wake: %m");
                break;
            }
            case SRC_SIGNAL: {
                struct signalfd_siginfo si;
                if (read(src->fd, &si, sizeof(si)) == sizeof(si))
                    log_info("received signal %u, stopping", si.ssi_signo);
                atomic_store(&s->stop, true);
                break;
            }
            }
        }
        bury(s);
        now = now_ms();
        if (now >= next_sweep) {
            sweep(s, now);
            bury(s);
            next_sweep = now + SWEEP_MS;
            if (s->listeners_paused_until && now >= s->listeners_paused_until) {
                s->listeners_paused_until = 0;
                pause_listeners(s, false);
            }
        }
        if (now >= next_dog) {
            daemon_notify("WATCHDOG=1");
            next_dog = now + s->watchdog_ms / 2;
        }
    }
    return 0;
}

void server_stop(struct server *s)
{
    uint64_t one = 1;
    atomic_store(&s->stop, true);
    if (write(s->wake.fd, &one, sizeof(one)) < 0)
        log_debug("wake: %m");
}

int server_new(struct agent *a, struct server **out, char *msg, size_t msg_size)
{
    struct server *s = calloc(1, sizeof(*s));
    struct wire_error e;
    int r;

    if (!s) {
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    s->agent = a;
    s->cfg = a->config;
    s->wake = (struct src){ SRC_WAKE, -1 };
    s->signals = (struct src){ SRC_SIGNAL, -1 };
    s->workers_src = (struct src){ SRC_WORKERS, -1 };
    atomic_init(&s->stop, false);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->wake.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    wire_errorf(&e, WIRE_E_BUSY, "%u connections open, the most this agent takes; retry later",
                s->cfg->max_connections);
    r = s->epfd < 0 || s->wake.fd < 0 ? -errno : wire_reply_error(NULL, &e, &s->busy_frame,
                                                                  &s->busy_len);
    if (r >= 0)
        r = ep_add(s, &s->wake, EPOLLIN);
    if (r >= 0)
        r = workers_new(a, s->cfg->workers, &s->workers);
    if (r >= 0) {
        s->workers_src.fd = workers_fd(s->workers);
        r = ep_add(s, &s->workers_src, EPOLLIN);
    }
    if (r < 0) {
        msgf(msg, msg_size, r, "cannot set up the event loop: %s", strerror(-r));
        server_free(s);
        return r;
    }
    *out = s;
    return 0;
}

int server_add_listener(struct server *s, int fd, const char *unlink_path, char *msg,
                        size_t msg_size)
{
    struct listener *l = calloc(1, sizeof(*l));
    char where[160];
    int r;

    socket_describe(fd, false, where, sizeof(where));
    if (!l || (unlink_path && !(l->unlink_path = strdup(unlink_path))) ||
        strv_push(&s->agent->listeners, where) < 0) {
        if (l)
            free(l->unlink_path);
        free(l);
        close(fd);
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    l->src = (struct src){ SRC_LISTENER, fd };
    l->next = s->listeners;
    s->listeners = l;
    r = ep_add(s, &l->src, EPOLLIN);
    if (r < 0)
        return msgf(msg, msg_size, r, "%s: cannot watch: %s", where, strerror(-r));
    return r;
}

int server_watch_signals(struct server *s, int sfd)
{
    s->signals.fd = sfd;
    return ep_add(s, &s->signals, EPOLLIN);
}

void server_set_watchdog(struct server *s, uint64_t usec)
{
    s->watchdog_ms = usec / 1000 ? usec / 1000 : 1;
}

size_t server_connections(const struct server *s)
{
    return s->nconns;
}

static void free_job(struct job *j)
{
    struct conn *c = j->owner;
    free(j->reply);
    if (c->dead)
        free(c);
    free(j);
}

void server_free(struct server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s, s->conns);   /* connections waiting on a job become dead */
    workers_free(s->workers, free_job);
    bury(s);
    while (s->listeners) {
        struct listener *l = s->listeners;
        s->listeners = l->next;
        close(l->src.fd);
        if (l->unlink_path)
            unlink(l->unlink_path);
        free(l->unlink_path);
        free(l);
    }
    if (s->signals.fd >= 0)
        close(s->signals.fd);
    if (s->wake.fd >= 0)
        close(s->wake.fd);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s->busy_frame);
    free(s);
}
