/* SPDX-License-Identifier: MIT */
/*
 * Init mode's services (init-config.h): started as the configuration says
 * (after the secrets unless after_secrets is false), with their user,
 * group, environment and working directory, their output on the console
 * under their name, restarted by their policy with a bounded exponential
 * backoff. The caller owns the loop: it polls supervisor_poll_fds(), calls
 * supervisor_reap() on SIGCHLD and supervisor_tick() when
 * supervisor_timeout_ms() has passed.
 */
#ifndef TDX_AGENT_SUPERVISOR_H
#define TDX_AGENT_SUPERVISOR_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "init-config.h"

#define SUPERVISOR_BACKOFF_MIN_MS 250
#define SUPERVISOR_BACKOFF_MAX_MS 16000
#define SUPERVISOR_STABLE_MS 10000    /* a run this long resets the backoff */
#define SUPERVISOR_STOP_GRACE_MS 10000

struct supervisor;

/* services: borrowed for the supervisor's life. accounts_root: where
 * etc/passwd and etc/group are ("/" normally). inherit_env: start from the
 * agent's own environment (the legacy `init -- PAYLOAD` form) instead of a
 * clean one. Returns 0 or -ENOMEM. */
int supervisor_new(const struct init_service *services, size_t n, const char *accounts_root,
                   bool inherit_env, struct supervisor **out);
void supervisor_free(struct supervisor *s);

/* Starts what has not been started yet: the services that do not wait for
 * the secrets, and, once secrets_ready, the others. */
void supervisor_start(struct supervisor *s, bool secrets_ready);

/* The output pipes to poll (at most max); returns how many were written. */
size_t supervisor_poll_fds(struct supervisor *s, struct pollfd *p, size_t max);
/* After poll(): reads the pipes p[0..n) that have something. */
void supervisor_output(struct supervisor *s, const struct pollfd *p, size_t n);

/* Reaps every exited child (orphans too, as PID 1) and schedules restarts. */
void supervisor_reap(struct supervisor *s);
/* Starts the restarts that are due. */
void supervisor_tick(struct supervisor *s);
/* Milliseconds until the next restart is due; -1 when none is pending. */
int supervisor_timeout_ms(struct supervisor *s);

/* Every service has run and ended, none is running or waiting to restart. */
bool supervisor_all_ended(struct supervisor *s);
/* 0 when every service's last run exited 0, else the first failing
 * service's exit status (128+N when killed by signal N). */
int supervisor_exit_status(struct supervisor *s);

/* SIGTERM to every running service's process group, SIGKILL after
 * SUPERVISOR_STOP_GRACE_MS; reaps them; no restarts after this. */
void supervisor_stop(struct supervisor *s);

#endif
