/* SPDX-License-Identifier: MIT */
/*
 * Agent addresses, as the agent listens on them and the host connects to
 * them: "vsock:PORT" (listen only: any CID), "vsock:CID:PORT",
 * "tcp:ADDRESS:PORT" (IPv4, or IPv6 in brackets; the host may also name a
 * host), "unix:PATH".
 */
#ifndef TDX_SHARED_AGENT_ADDR_H
#define TDX_SHARED_AGENT_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum agent_addr_kind {
    AGENT_ADDR_VSOCK,
    AGENT_ADDR_TCP,
    AGENT_ADDR_UNIX,
};

/* Parsing modes. */
#define AGENT_ADDR_LISTEN 0   /* numeric TCP addresses, absolute unix paths, CID optional */
#define AGENT_ADDR_CONNECT 1  /* host names allowed, relative unix paths allowed, CID required */

struct agent_addr {
    enum agent_addr_kind kind;
    struct sockaddr_storage sa;
    socklen_t sa_len;        /* 0 for a TCP host name that still needs resolving */
    char host[256];          /* tcp: the address or host name, without brackets */
    unsigned int port;       /* tcp and vsock */
    unsigned int cid;        /* vsock */
};

/* Parses s. Returns NULL, or a static phrase saying what was expected. */
const char *agent_addr_parse(const char *s, int mode, struct agent_addr *out);

/* Formats a socket address the way agent_addr_parse() reads it
 * ("vsock:CID:PORT", "tcp:[::1]:80", "unix:/run/x.sock"). */
void agent_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif
