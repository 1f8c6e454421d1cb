/* SPDX-License-Identifier: MIT */
/*
 * Addresses for the agent: a host port for QEMU's forwarding, bound to
 * 127.0.0.1 only, and a vsock guest CID no other VM holds. Both are tested
 * by taking them (bind(), VHOST_VSOCK_SET_GUEST_CID) and letting go, so a
 * taken one is reported before QEMU starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "error.h"
#include "vm-internal.h"

#define CID_ATTEMPTS 64

static int bind_local(int port, int *bound)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    socklen_t len = sizeof(sa);
    int one = 1, r = 0;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* QEMU's forwarder sets SO_REUSEADDR too: a port in TIME_WAIT is free to it. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        r = -errno;
    else if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        r = -errno;
    else
        *bound = ntohs(sa.sin_port);
    return r;
}

int check_tcp_port(int port, tdx_error *err)
{
    int bound, r = bind_local(port, &bound);
    if (r == -EADDRINUSE)
        return tdx_err(err, r, "127.0.0.1:%d is already in use", port);
    if (r < 0)
        return tdx_err(err, r, "cannot bind 127.0.0.1:%d: %s", port, strerror(-r));
    return 0;
}

int free_tcp_port(int *port, tdx_error *err)
{
    int r = bind_local(0, port);
    if (r < 0)
        return tdx_err(err, r, "no free port on 127.0.0.1: %s", strerror(-r));
    return 0;
}

static int try_cid(int fd, uint64_t cid)
{
    return ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0 ? -errno : 0;
}

int free_guest_cid(int *cid, tdx_error *err)
{
    _cleanup_close_ int fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
    int r = 0;

    if (fd < 0)
        return tdx_err(err, -errno, "/dev/vhost-vsock: %s (load vhost_vsock or use user "
                       "networking)", strerror(errno));
    if (*cid >= 0) {
        r = try_cid(fd, (uint64_t)*cid);
        if (r == -EADDRINUSE)
            return tdx_err(err, r, "vsock guest CID %d is already in use", *cid);
        return r < 0 ? tdx_err(err, r, "vsock guest CID %d: %s", *cid, strerror(-r)) : 0;
    }
    /* Random rather than sequential: two runs starting at once rarely collide. */
    for (int i = 0; i < CID_ATTEMPTS; i++) {
        uint32_t v;
        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
            v = (uint32_t)i * 7919u;
        v = 3 + v % 0x7ffffff0u;
        r = try_cid(fd, v);
        if (r == 0) {
            *cid = (int)v;
            return 0;
        }
        if (r != -EADDRINUSE)
            break;
    }
    return tdx_err(err, r, "no free vsock guest CID: %s", strerror(-r));
}
