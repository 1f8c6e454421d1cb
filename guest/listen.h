/* SPDX-License-Identifier: MIT */
/* Listening sockets: opened from --listen addresses, or passed by systemd. */
#ifndef TDX_AGENT_LISTEN_H
#define TDX_AGENT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Opens a non-blocking listening socket for address (agent-addr.h, listen
 * form). A unix socket path left by an earlier run is replaced; one a live
 * process still answers on is not. Returns 0 and the descriptor, or a
 * negative errno with a message.
 */
int listen_open(const char *address, int *fd, char *msg, size_t msg_size);

/* Checks that a passed descriptor is a listening stream socket and makes it
 * non-blocking. */
int listen_adopt(int fd, char *msg, size_t msg_size);

/* "vsock:CID:PORT", "tcp:ADDR:PORT", "unix:PATH" of a socket's own
 * address, or of its peer's. */
void socket_describe(int fd, bool peer, char *buf, size_t size);

#endif
