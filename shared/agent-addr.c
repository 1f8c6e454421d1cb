/* SPDX-License-Identifier: MIT */
#include "agent-addr.h"

#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "checks.h"
#include "macro.h"

static const char *parse_vsock(const char *a, int mode, struct agent_addr *out)
{
    const char *msg = mode == AGENT_ADDR_LISTEN
                          ? "expected \"vsock:PORT\" or \"vsock:CID:PORT\" (PORT 1 to 4294967294)"
                          : "expected \"vsock:CID:PORT\" (PORT 1 to 4294967294)";
    const char *colon = strchr(a, ':');
    unsigned long long cid = VMADDR_CID_ANY, port;
    struct sockaddr_vm *vm = (struct sockaddr_vm *)&out->sa;

    if (colon) {
        if (!parse_decimal(a, (size_t)(colon - a), 0xffffffffULL, &cid))
            return msg;
        a = colon + 1;
    } else if (mode == AGENT_ADDR_CONNECT) {
        return msg;
    }
    if (!parse_decimal(a, strlen(a), 0xfffffffeULL, &port) || port == 0)
        return msg;
    out->kind = AGENT_ADDR_VSOCK;
    out->cid = (unsigned int)cid;
    out->port = (unsigned int)port;
    vm->svm_family = AF_VSOCK;
    vm->svm_cid = out->cid;
    vm->svm_port = out->port;
    out->sa_len = sizeof(*vm);
    return NULL;
}

static const char *parse_tcp(const char *a, int mode, struct agent_addr *out)
{
    const char *msg = mode == AGENT_ADDR_LISTEN
                          ? "expected \"tcp:ADDRESS:PORT\" with a numeric IPv4 or [IPv6] address "
                            "and PORT 1 to 65535"
                          : "expected \"tcp:HOST:PORT\" (an IPv6 address in brackets) and PORT 1 "
                            "to 65535";
    const char *colon = strrchr(a, ':');
    unsigned long long port;
    size_t n;

    if (!colon || !parse_decimal(colon + 1, strlen(colon + 1), 65535, &port) || port == 0)
        return msg;
    n = (size_t)(colon - a);
    if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
        a++;
        n -= 2;
    } else if (memchr(a, ':', n)) {
        return msg;   /* an IPv6 address needs brackets, or the port is ambiguous */
    }
    if (n == 0 || n >= sizeof(out->host))
        return msg;
    memcpy(out->host, a, n);
    out->host[n] = '\0';
    out->kind = AGENT_ADDR_TCP;
    out->port = (unsigned int)port;

    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
    if (inet_pton(AF_INET, out->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        out->sa_len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, out->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->sa_len = sizeof(*in6);
    } else if (mode == AGENT_ADDR_LISTEN || has_control_chars(out->host) ||
               !chars_all_in(out->host, ".-_", true)) {
        return msg;
    }
    return NULL;
}

static const char *parse_unix(const char *path, int mode, struct agent_addr *out)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
    size_t n = strlen(path);

    if (mode == AGENT_ADDR_LISTEN ? check_abs_path(path) != NULL
                                  : n == 0 || has_control_chars(path))
        return mode == AGENT_ADDR_LISTEN
                   ? "expected \"unix:/PATH\" with an absolute path of at most 107 bytes"
                   : "expected \"unix:PATH\" with a path of at most 107 bytes";
    if (n >= sizeof(un->sun_path))
        return "expected a unix socket path of at most 107 bytes";
    out->kind = AGENT_ADDR_UNIX;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    out->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return NULL;
}

const char *agent_addr_parse(const char *s, int mode, struct agent_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (startswith(s, "vsock:"))
        return parse_vsock(s + 6, mode, out);
    if (startswith(s, "tcp:"))
        return parse_tcp(s + 4, mode, out);
    if (startswith(s, "unix:"))
        return parse_unix(s + 5, mode, out);
    return mode == AGENT_ADDR_LISTEN
               ? "expected \"vsock:PORT\", \"vsock:CID:PORT\", \"tcp:ADDRESS:PORT\" or "
                 "\"unix:/PATH\""
               : "expected \"vsock:CID:PORT\", \"tcp:HOST:PORT\" or \"unix:PATH\"";
}

void agent_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];

    switch (len >= sizeof(sa_family_t) ? sa->sa_family : AF_UNSPEC) {
    case AF_VSOCK: {
        const struct sockaddr_vm *vm = (const struct sockaddr_vm *)sa;
        snprintf(buf, size, "vsock:%u:%u", vm->svm_cid, vm->svm_port);
        return;
    }
    case AF_INET: {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof(ip));
        snprintf(buf, size, "tcp:%s:%u", ip, ntohs(in4->sin_port));
        return;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(buf, size, "tcp:[%s]:%u", ip, ntohs(in6->sin6_port));
        return;
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (n == 0 || un->sun_path[0] == '\0')
            snprintf(buf, size, "unix:(unnamed)");
        else
            snprintf(buf, size, "unix:%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
        return;
    }
    default:
        snprintf(buf, size, "(unknown address family)");
    }
}
