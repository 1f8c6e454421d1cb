/* SPDX-License-Identifier: MIT */
/* A client for the agent's protocol that sends whatever a test wants, well
 * formed or not, and reads replies as parsed JSON. */
#ifndef TDX_TESTS_RAW_CLIENT_H
#define TDX_TESTS_RAW_CLIENT_H

#include <jansson.h>
#include <stddef.h>

int raw_connect_unix(const char *path);
void raw_send(int fd, const void *data, size_t n);
/* Sends json (any text) as one frame. */
void raw_request(int fd, const char *json);
/* The next reply frame, parsed; NULL when the agent closed the connection.
 * Fails the test after timeout_ms. */
json_t *raw_reply(int fd, int timeout_ms);
/* error.code of a reply, or NULL. */
const char *raw_error_code(json_t *reply);
/* The next reply is an error with this code and a message containing
 * fragment (NULL: any). */
void raw_expect_error(int fd, const char *code, const char *fragment);
/* The agent closes the connection (after any reply still due). */
void raw_expect_closed(int fd);

#endif
