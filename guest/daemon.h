/* SPDX-License-Identifier: MIT */
/*
 * The systemd service protocols the agent speaks: socket activation
 * ($LISTEN_FDS, $LISTEN_PID, $LISTEN_FDNAMES), readiness and status
 * ($NOTIFY_SOCKET) and the watchdog ($WATCHDOG_USEC, $WATCHDOG_PID).
 * The static agent implements them from systemd's documentation
 * (daemon-native.c; they are documented as stable and reimplementable);
 * built with -Dagent-static=false it calls libsystemd (daemon-libsystemd.c).
 */
#ifndef TDX_AGENT_DAEMON_H
#define TDX_AGENT_DAEMON_H

#include <stdint.h>

#define DAEMON_LISTEN_FDS_START 3

/*
 * Takes the sockets systemd passed: returns their number (0 when none were
 * passed to this process) and, when there are any, a heap array of names
 * in *names (strv; "unknown" where systemd gave none). Marks them
 * close-on-exec and removes the variables from the environment, so hooks
 * and children do not see them. Negative errno on a malformed environment.
 */
int daemon_listen_fds(char ***names);

/* Sends a state ("READY=1", "STATUS=...", "WATCHDOG=1") to $NOTIFY_SOCKET.
 * Returns 1 when sent, 0 when there is no notification socket, else a
 * negative errno. */
int daemon_notify(const char *state);

/* Returns 1 and the interval in *usec when systemd expects keep-alives
 * from this process, 0 when not, negative errno on malformed variables. */
int daemon_watchdog(uint64_t *usec);

#endif
