/* SPDX-License-Identifier: MIT */
/*
 * The agent's event loop: one epoll set over the listeners, every
 * connection, the workers' completion eventfd and the signal descriptor.
 * Sockets are non-blocking; each connection has a deadline (idle, frame,
 * write), the number of connections, of requests in flight and of bytes
 * buffered are capped, and nothing a client sends can stop the loop.
 */
#ifndef TDX_AGENT_SERVER_H
#define TDX_AGENT_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct agent;
struct server;

/* Creates the loop and starts the worker threads: block the signals the
 * process handles (server_watch_signals) before calling this. */
int server_new(struct agent *a, struct server **out, char *msg, size_t msg_size);

/* Serves fd (a listening socket, taken over). unlink_path: a unix socket
 * file to remove when the server is freed, or NULL. */
int server_add_listener(struct server *s, int fd, const char *unlink_path, char *msg,
                        size_t msg_size);

/* Stops the loop when sfd (a signalfd) becomes readable. Taken over. */
int server_watch_signals(struct server *s, int sfd);

/* Sends WATCHDOG=1 every usec/2 while the loop runs. */
void server_set_watchdog(struct server *s, uint64_t usec);

/* Runs until server_stop() or a watched signal. 0, or a negative errno if
 * the loop itself failed. */
int server_run(struct server *s);

/* Asks a running loop to return; safe from other threads. */
void server_stop(struct server *s);

/* Open connections (for tests). */
size_t server_connections(const struct server *s);

void server_free(struct server *s);

#endif
