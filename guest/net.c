/* SPDX-License-Identifier: MIT */
#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-core.h"
#include "dhcp.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "strbuf.h"

static const char *ip_str(uint32_t a, char buf[16])
{
    return inet_ntop(AF_INET, &a, buf, 16);
}

static uint32_t prefix_to_mask(unsigned prefix)
{
    return htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
}

static int ifreq_for(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    if (strlen(name) >= sizeof(ifr->ifr_name))
        return -EINVAL;
    memcpy(ifr->ifr_name, name, strlen(name));
    return 0;
}

static int link_up(int fd, const char *name)
{
    struct ifreq ifr;
    if (ifreq_for(&ifr, name) < 0)
        return -EINVAL;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int set_addr(int fd, const char *name, unsigned long req, uint32_t addr)
{
    struct ifreq ifr;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = addr };
    if (ifreq_for(&ifr, name) < 0)
        return -EINVAL;
    memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
    return ioctl(fd, req, &ifr) < 0 ? -errno : 0;
}

static int add_default_route(int fd, const char *name, uint32_t gateway)
{
    struct rtentry rt;
    struct sockaddr_in any = { .sin_family = AF_INET }, gw = any;
    char dev[IFNAMSIZ];

    snprintf(dev, sizeof(dev), "%s", name);
    gw.sin_addr.s_addr = gateway;
    memset(&rt, 0, sizeof(rt));
    memcpy(&rt.rt_dst, &any, sizeof(any));
    memcpy(&rt.rt_genmask, &any, sizeof(any));
    memcpy(&rt.rt_gateway, &gw, sizeof(gw));
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = dev;
    if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int write_resolv(const uint32_t *dns, size_t n)
{
    strbuf sb = STRBUF_INIT;
    char ip[16];
    int r;

    if (n == 0)
        return 0;
    strbuf_puts(&sb, "# written by tdx-agent init\n");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sb, "nameserver %s\n", ip_str(dns[i], ip));
    r = strbuf_error(&sb);
    if (r >= 0)
        r = write_file_atomic(NET_RESOLV_CONF, sb.data, sb.len, 0644);
    strbuf_free(&sb);
    if (r < 0)
        log_error("init: cannot write %s: %s", NET_RESOLV_CONF, strerror(-r));
    return r;
}

/* The configured interface, or the first (by name) that is not "lo", once
 * it exists: its driver may still be probing after the module loaded. */
static int find_interface(const char *want, char out[IFNAMSIZ])
{
    uint64_t deadline = now_ms() + NET_LINK_WAIT_MS;
    for (;;) {
        struct dirent **ents;
        int n = scandir("/sys/class/net", &ents, NULL, alphasort);
        bool found = false;
        for (int i = 0; i < n; i++) {
            const char *d = ents[i]->d_name;
            if (!found && d[0] != '.' && !streq(d, "lo") && (!want || streq(d, want)) &&
                strlen(d) < IFNAMSIZ) {
                snprintf(out, IFNAMSIZ, "%s", d);
                found = true;
            }
            free(ents[i]);
        }
        if (n >= 0)
            free(ents);
        if (found)
            return 0;
        if (now_ms() >= deadline) {
            log_error("init: network: %s%s%s did not appear within %d s (is its driver's "
                      "module in init.modules?)", want ? "interface \"" : "no interface other "
                      "than lo", want ? want : "", want ? "\"" : "", NET_LINK_WAIT_MS / 1000);
            return -ENODEV;
        }
        poll(NULL, 0, 100);
    }
}

static int configure(int fd, const char *name, uint32_t addr, unsigned prefix, uint32_t gateway)
{
    char a[16], g[16];
    int r = set_addr(fd, name, SIOCSIFADDR, addr);
    if (r >= 0)
        r = set_addr(fd, name, SIOCSIFNETMASK, prefix_to_mask(prefix));
    if (r >= 0)
        r = link_up(fd, name);
    if (r < 0) {
        log_error("init: network: cannot set %s/%u on %s: %s", ip_str(addr, a), prefix, name,
                  strerror(-r));
        return r;
    }
    if (gateway && (r = add_default_route(fd, name, gateway)) < 0) {
        log_error("init: network: cannot add the default route via %s: %s", ip_str(gateway, g),
                  strerror(-r));
        return r;
    }
    log_info("init: network: %s %s/%u%s%s", name, ip_str(addr, a), prefix,
             gateway ? " via " : "", gateway ? ip_str(gateway, g) : "");
    return 0;
}

static int hwaddr(int fd, const char *name, uint8_t mac[6], int *ifindex)
{
    struct ifreq ifr;
    if (ifreq_for(&ifr, name) < 0)
        return -EINVAL;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return -errno;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
        return -errno;
    *ifindex = ifr.ifr_ifindex;
    return 0;
}

/* Waits up to timeout_ms for a reply of type want (or a NAK). */
static int await(int pfd, uint32_t xid, const uint8_t mac[6], int want, int timeout_ms,
                 struct dhcp_lease *lease)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint8_t buf[DHCP_PACKET_MAX + 512];
        struct pollfd p = { pfd, POLLIN, 0 };
        uint64_t now = now_ms();
        ssize_t n;
        int t;

        if (now >= deadline)
            return -ETIMEDOUT;
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        n = recv(pfd, buf, sizeof(buf), MSG_TRUNC);
        if (n < 0 || (size_t)n > sizeof(buf))
            continue;
        t = dhcp_parse(buf, (size_t)n, xid, mac, lease);
        if (t == -EINVAL)
            log_warning("init: dhcp: ignoring a malformed reply");
        if (t == want || t == DHCP_NAK)
            return t;
    }
}

static int send_msg(int pfd, int ifindex, enum dhcp_type type, uint32_t xid, const uint8_t mac[6],
                    uint32_t requested, uint32_t server_id)
{
    uint8_t buf[DHCP_PACKET_MAX];
    struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = ifindex, .sll_halen = 6 };
    size_t n = dhcp_build(buf, sizeof(buf), type, xid, mac, requested, server_id);
    memset(to.sll_addr, 0xff, 6);
    if (sendto(pfd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return -errno;
    return 0;
}

static int dhcp(int fd, const char *name, struct dhcp_lease *lease)
{
    struct sockaddr_ll me = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
    uint8_t mac[6];
    int ifindex = 0, pfd, r;

    r = hwaddr(fd, name, mac, &ifindex);
    if (r >= 0)
        r = link_up(fd, name);
    if (r < 0) {
        log_error("init: dhcp: cannot bring up %s: %s", name, strerror(-r));
        return r;
    }
    pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    me.sll_ifindex = ifindex;
    if (pfd < 0 || bind(pfd, (struct sockaddr *)&me, sizeof(me)) < 0) {
        r = -errno;
        log_error("init: dhcp: cannot open a packet socket on %s: %s", name, strerror(-r));
        if (pfd >= 0)
            close(pfd);
        return r;
    }
    r = -ETIMEDOUT;
    for (int round = 0; round < NET_DHCP_ROUNDS && r < 0; round++) {
        int timeout = 1000 << (round < 3 ? round : 3);   /* 1, 2, 4, 8 s */
        struct dhcp_lease offer;
        uint32_t xid;
        int t;

        if (getrandom(&xid, sizeof(xid), 0) != sizeof(xid))
            xid = (uint32_t)now_ms() ^ (uint32_t)getpid();
        log_info("init: dhcp: DISCOVER on %s (attempt %d of %d)", name, round + 1,
                 NET_DHCP_ROUNDS);
        if ((t = send_msg(pfd, ifindex, DHCP_DISCOVER, xid, mac, 0, 0)) < 0) {
            log_warning("init: dhcp: cannot send: %s", strerror(-t));
            poll(NULL, 0, timeout);
            continue;
        }
        if (await(pfd, xid, mac, DHCP_OFFER, timeout, &offer) != DHCP_OFFER)
            continue;
        if ((t = send_msg(pfd, ifindex, DHCP_REQUEST, xid, mac, offer.address,
                          offer.server_id)) < 0)
            continue;
        t = await(pfd, xid, mac, DHCP_ACK, timeout, lease);
        if (t == DHCP_NAK)
            log_warning("init: dhcp: the server refused the offered address (NAK)");
        else if (t == DHCP_ACK)
            r = 0;
    }
    close(pfd);
    if (r < 0)
        log_error("init: dhcp: no lease on %s after %d attempts", name, NET_DHCP_ROUNDS);
    return r;
}

int net_setup(const struct init_network *n)
{
    char name[IFNAMSIZ];
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

    if (fd < 0) {
        log_error("init: network: cannot open a socket: %m");
        return -errno;
    }
    r = link_up(fd, "lo");
    if (r < 0)
        log_warning("init: network: cannot bring up lo: %s", strerror(-r));
    r = 0;
    if (n->mode == INIT_NET_NONE) {
        log_info("init: network: none (loopback only)");
    } else if ((r = find_interface(n->interface, name)) >= 0) {
        if (n->mode == INIT_NET_STATIC) {
            r = configure(fd, name, n->address, n->prefix, n->gateway);
            if (r >= 0)
                r = write_resolv(n->dns, n->n_dns);
        } else {
            struct dhcp_lease lease;
            r = dhcp(fd, name, &lease);
            if (r >= 0) {
                log_info("init: dhcp: lease for %u s", lease.lease_s);
                r = configure(fd, name, lease.address, lease.prefix, lease.router);
            }
            if (r >= 0)
                r = write_resolv(lease.dns, lease.n_dns);
        }
    }
    close(fd);
    return r;
}
