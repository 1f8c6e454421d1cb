/* SPDX-License-Identifier: MIT */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-addr.h"
#include "macro.h"
#include "msg.h"

#define BACKLOG 128

/* A unix socket file nobody accepts on any more is stale: remove it. */
static int clear_stale_socket(const struct agent_addr *a, char *msg, size_t n)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
    struct stat st;

    if (lstat(un->sun_path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        return msgf(msg, n, -EEXIST, "%s exists and is not a socket", un->sun_path);
    }
    _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (const struct sockaddr *)&a->sa, a->sa_len) == 0) {
        return msgf(msg, n, -EADDRINUSE, "%s: another process is listening on it", un->sun_path);
    }
    if (unlink(un->sun_path) < 0 && errno != ENOENT) {
        return msgf(msg, n, -errno, "%s: cannot remove the stale socket: %s", un->sun_path,
                    strerror(errno));
    }
    return 0;
}

int listen_open(const char *address, int *out, char *msg, size_t msg_size)
{
    static const int one = 1;
    struct agent_addr a;
    const char *why = agent_addr_parse(address, AGENT_ADDR_LISTEN, &a);
    int r;

    if (why) {
        return msgf(msg, msg_size, -EINVAL, "--listen %s: %s", address, why);
    }
    if (a.kind == AGENT_ADDR_UNIX && (r = clear_stale_socket(&a, msg, msg_size)) < 0)
        return r;
    _cleanup_close_ int fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        r = -errno;
        return msgf(msg, msg_size, r, "%s: cannot create the socket: %s%s", address, strerror(errno),
                    a.kind == AGENT_ADDR_VSOCK && errno == EAFNOSUPPORT
                    ? " (no vsock transport: load vmw_vsock_virtio_transport)" : "");
    }
    if (a.kind == AGENT_ADDR_TCP) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* [::] means IPv6 only; IPv4 takes a listener of its own. */
        if (a.sa.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, (struct sockaddr *)&a.sa, a.sa_len) < 0 || listen(fd, BACKLOG) < 0) {
        r = -errno;
        return msgf(msg, msg_size, r, "%s: cannot listen: %s", address, strerror(errno));
    }
    *out = TAKE_FD(fd);
    return 0;
}

int listen_adopt(int fd, char *msg, size_t msg_size)
{
    int type = 0, listening = 0, flags;
    socklen_t len = sizeof(type);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
        (len = sizeof(listening), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) < 0 ||
        !listening) {
        return msgf(msg, msg_size, -EINVAL, "descriptor %d passed by systemd is not a listening "
                    "stream socket (ListenStream= with Accept=no)", fd);
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return msgf(msg, msg_size, -errno, "descriptor %d: %s", fd, strerror(errno));
    }
    return 0;
}

void socket_describe(int fd, bool peer, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss, &len) < 0)
        snprintf(buf, size, "fd:%d", fd);
    else
        agent_addr_format((struct sockaddr *)&ss, len, buf, size);
}
