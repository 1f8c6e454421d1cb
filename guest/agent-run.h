/* SPDX-License-Identifier: MIT */
/*
 * Bringing the agent up and down: quote provider, manifest and secrets
 * state, the server with its listeners and signal handling, the systemd
 * notifications. Shared by the daemon (main.c) and init mode (init.c).
 */
#ifndef TDX_AGENT_AGENT_RUN_H
#define TDX_AGENT_AGENT_RUN_H

#include <signal.h>

#include "agent-core.h"

struct server;

struct agent_run {
    struct agent agent;
    struct server *server;
};

/*
 * Starts everything but the loop. The caller blocks SIGTERM and SIGINT
 * (and whatever else it handles itself) in every thread first; the server
 * stops on SIGTERM and SIGINT. on_ready (may be NULL) is called once every
 * required secret is present. Returns 0, or a negative errno after logging
 * the reason and telling systemd; everything is released on failure.
 */
int agent_run_start(struct agent_run *run, struct agent_config *c, void (*on_ready)(void *),
                    void *userdata);

/* Releases what agent_run_start() made (after server_run() returned). */
void agent_run_stop(struct agent_run *run);

#endif
