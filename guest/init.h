/* SPDX-License-Identifier: MIT */
/*
 * Init mode (`tdx-agent init`): for a minimal initramfs without systemd.
 * As PID 1 it mounts /proc, /sys, /dev, /run and configfs; it runs the
 * boot hooks, serves the protocol, and starts the payload only once every
 * required secret is present; it reaps orphans. When the payload exits the
 * agent stops: as PID 1 it powers the machine off, otherwise it exits with
 * the payload's status.
 */
#ifndef TDX_AGENT_INIT_H
#define TDX_AGENT_INIT_H

#include "config.h"

/* payload: argv of the program to start (NULL-terminated, at least one
 * element); hooks_dir: NULL for none. Returns the exit status. */
int init_run(struct agent_config *c, const char *hooks_dir, char *const *payload);

#endif
