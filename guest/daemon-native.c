/* SPDX-License-Identifier: MIT */
/* systemd's daemon protocols without libsystemd (see daemon.h), written
 * from sd_listen_fds(3), sd_notify(3) and sd_watchdog_enabled(3). */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "checks.h"
#include "macro.h"
#include "strv.h"

/* $NAME as a decimal no larger than max; -ENOENT when unset. */
static int env_number(const char *name, unsigned long long max, unsigned long long *out)
{
    const char *v = getenv(name);
    if (!v)
        return -ENOENT;
    return parse_decimal(v, strlen(v), max, out) ? 0 : -EINVAL;
}

static int env_pid_is_us(const char *name)
{
    unsigned long long pid;
    int r = env_number(name, 0x7fffffff, &pid);
    if (r < 0)
        return r;
    return (pid_t)pid == getpid();
}

int daemon_listen_fds(char ***names)
{
    unsigned long long n;
    char **list = NULL;
    int r;

    *names = NULL;
    r = env_pid_is_us("LISTEN_PID");
    if (r <= 0) {
        r = r == -ENOENT || r == 0 ? 0 : r;
        goto out;
    }
    r = env_number("LISTEN_FDS", 4096, &n);
    if (r < 0) {
        r = r == -ENOENT ? 0 : r;
        goto out;
    }
    const char *fdnames = getenv("LISTEN_FDNAMES");
    for (unsigned long long i = 0; i < n; i++) {
        int fd = DAEMON_LISTEN_FDS_START + (int)i;
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
            r = -errno;
            goto out;
        }
    }
    for (unsigned long long i = 0; i < n; i++) {
        const char *colon = fdnames ? strchr(fdnames, ':') : NULL;
        size_t len = fdnames ? (colon ? (size_t)(colon - fdnames) : strlen(fdnames)) : 0;
        char *name = len ? strndup(fdnames, len) : strdup("unknown");
        if (!name || strv_push_take(&list, name) < 0) {
            r = -ENOMEM;
            goto out;
        }
        fdnames = colon ? colon + 1 : NULL;
    }
    *names = TAKE_PTR(list);
    r = (int)n;
out:
    strv_free(list);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return r;
}

/* "vsock:CID:PORT" and its "vsock-stream:", "vsock-dgram:", "vsock-seqpacket:" forms. */
static int vsock_target(const char *addr, struct sockaddr_vm *vm, int *type)
{
    static const struct { const char *prefix; int type; } forms[] = {
        { "vsock:", 0 }, { "vsock-dgram:", SOCK_DGRAM }, { "vsock-stream:", SOCK_STREAM },
        { "vsock-seqpacket:", SOCK_SEQPACKET },
    };
    unsigned long long cid, port;

    for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
        if (!startswith(addr, forms[i].prefix))
            continue;
        const char *a = addr + strlen(forms[i].prefix), *colon = strchr(a, ':');
        if (!colon || !parse_decimal(a, (size_t)(colon - a), 0xfffffffeULL, &cid) ||
            !parse_decimal(colon + 1, strlen(colon + 1), 0xffffffffULL, &port))
            return -EINVAL;
        memset(vm, 0, sizeof(*vm));
        vm->svm_family = AF_VSOCK;
        vm->svm_cid = (unsigned int)cid;
        vm->svm_port = (unsigned int)port;
        *type = forms[i].type;
        return 0;
    }
    return -EINVAL;
}

static int send_on(int type, const struct sockaddr *sa, socklen_t len, const char *state)
{
    _cleanup_close_ int fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, sa, len) < 0)
        return -errno;
    /* Never block the event loop on a manager that is not reading. */
    if (send(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        return -errno;
    return 1;
}

int daemon_notify(const char *state)
{
    const char *addr = getenv("NOTIFY_SOCKET");
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    struct sockaddr_vm vm;
    size_t n;
    int type, r;

    if (isempty(addr))
        return 0;
    if (addr[0] == '/' || addr[0] == '@') {
        n = strlen(addr);
        if (n >= sizeof(un.sun_path))
            return -EINVAL;
        memcpy(un.sun_path, addr, n);
        if (addr[0] == '@')
            un.sun_path[0] = '\0';   /* abstract namespace: no trailing NUL counts */
        return send_on(SOCK_DGRAM, (struct sockaddr *)&un,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                                   (addr[0] == '/')),
                       state);
    }
    if (vsock_target(addr, &vm, &type) < 0)
        return -EINVAL;
    if (type)
        return send_on(type, (struct sockaddr *)&vm, sizeof(vm), state);
    /* Plain "vsock:": datagrams, or sequenced packets where the transport
     * has no datagrams (sd_notify(3)). */
    r = send_on(SOCK_DGRAM, (struct sockaddr *)&vm, sizeof(vm), state);
    if (r < 0)
        r = send_on(SOCK_SEQPACKET, (struct sockaddr *)&vm, sizeof(vm), state);
    return r;
}

int daemon_watchdog(uint64_t *usec)
{
    unsigned long long v;
    int r = env_number("WATCHDOG_USEC", UINT64_MAX, &v);

    if (r == -ENOENT)
        return 0;
    if (r < 0 || v == 0)
        return -EINVAL;
    r = env_pid_is_us("WATCHDOG_PID");
    if (r == 0)
        return 0;   /* meant for another process */
    if (r < 0 && r != -ENOENT)
        return r;
    *usec = v;
    return 1;
}
