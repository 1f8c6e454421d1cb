/* SPDX-License-Identifier: MIT */
#include "dhcp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define IP_HDR 20
#define UDP_HDR 8
#define BOOTP_FIXED 236     /* op .. file */
#define BOOTP_MIN 300       /* what RFC 1542 servers expect at least */
#define OPT_OFFSET (BOOTP_FIXED + 4)

static const uint8_t magic[4] = { 99, 130, 83, 99 };

enum {
    OPT_PAD = 0, OPT_SUBNET = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_REQUESTED = 50,
    OPT_LEASE = 51, OPT_TYPE = 53, OPT_SERVER_ID = 54, OPT_PARAMS = 55, OPT_MAX_SIZE = 57,
    OPT_CLIENT_ID = 61, OPT_END = 255,
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t dhcp_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(data + i);
    if (len & 1)
        sum += (uint32_t)data[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

size_t dhcp_build(uint8_t *buf, size_t cap, enum dhcp_type type, uint32_t xid,
                  const uint8_t mac[6], uint32_t requested, uint32_t server_id)
{
    static const uint8_t params[] = { OPT_SUBNET, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_SERVER_ID };
    size_t total = IP_HDR + UDP_HDR + BOOTP_MIN;
    uint8_t *ip = buf, *udp = buf + IP_HDR, *b = udp + UDP_HDR, *o = b + OPT_OFFSET;

    if (cap < total)
        return 0;
    memset(buf, 0, total);
    /* BOOTP */
    b[0] = 1;   /* BOOTREQUEST */
    b[1] = 1;   /* Ethernet */
    b[2] = 6;
    memcpy(b + 4, &xid, 4);
    put16(b + 10, 0x8000);   /* broadcast: we cannot receive unicast yet */
    memcpy(b + 28, mac, 6);
    memcpy(b + BOOTP_FIXED, magic, 4);
    *o++ = OPT_TYPE, *o++ = 1, *o++ = (uint8_t)type;
    *o++ = OPT_CLIENT_ID, *o++ = 7, *o++ = 1;
    memcpy(o, mac, 6), o += 6;
    *o++ = OPT_MAX_SIZE, *o++ = 2;
    put16(o, DHCP_PACKET_MAX), o += 2;
    *o++ = OPT_PARAMS, *o++ = sizeof(params);
    memcpy(o, params, sizeof(params)), o += sizeof(params);
    if (type == DHCP_REQUEST) {
        *o++ = OPT_REQUESTED, *o++ = 4;
        memcpy(o, &requested, 4), o += 4;
        *o++ = OPT_SERVER_ID, *o++ = 4;
        memcpy(o, &server_id, 4), o += 4;
    }
    *o = OPT_END;
    /* UDP, without a checksum (optional over IPv4) */
    put16(udp, DHCP_CLIENT_PORT);
    put16(udp + 2, DHCP_SERVER_PORT);
    put16(udp + 4, (uint16_t)(UDP_HDR + BOOTP_MIN));
    /* IPv4 from 0.0.0.0 to 255.255.255.255 */
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)total);
    ip[8] = 64;
    ip[9] = 17;
    memset(ip + 16, 0xff, 4);
    put16(ip + 10, (uint16_t)~dhcp_csum_add(0, ip, IP_HDR));
    return total;
}

static unsigned mask_prefix(uint32_t mask_host, bool *contiguous)
{
    unsigned n = 0;
    while (n < 32 && (mask_host & (0x80000000u >> n)))
        n++;
    *contiguous = n == 32 || (mask_host << n) == 0;
    return n;
}

static unsigned class_prefix(uint32_t addr_host)
{
    return addr_host < 0x80000000u ? 8 : addr_host < 0xc0000000u ? 16 : 24;
}

struct options {
    int type;
    bool has_mask;
    uint32_t mask, router, server_id, lease_s;
    uint32_t dns[DHCP_MAX_DNS];
    size_t n_dns;
};

static int parse_options(const uint8_t *o, size_t n, struct options *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t code = o[i++], len;
        const uint8_t *v;
        if (code == OPT_PAD)
            continue;
        if (code == OPT_END)
            return 0;
        if (i >= n)
            return -EINVAL;
        len = o[i++];
        if (len > n - i)
            return -EINVAL;
        v = o + i;
        i += len;
        switch (code) {
        case OPT_TYPE:
            if (len != 1)
                return -EINVAL;
            out->type = v[0];
            break;
        case OPT_SUBNET:
            if (len != 4)
                return -EINVAL;
            out->mask = get32(v);
            out->has_mask = true;
            break;
        case OPT_ROUTER:
            if (len < 4 || len % 4)
                return -EINVAL;
            memcpy(&out->router, v, 4);
            break;
        case OPT_DNS:
            if (len < 4 || len % 4)
                return -EINVAL;
            out->n_dns = 0;
            for (size_t k = 0; k < len / 4 && k < DHCP_MAX_DNS; k++)
                memcpy(&out->dns[out->n_dns++], v + 4 * k, 4);
            break;
        case OPT_SERVER_ID:
            if (len != 4)
                return -EINVAL;
            memcpy(&out->server_id, v, 4);
            break;
        case OPT_LEASE:
            if (len != 4)
                return -EINVAL;
            out->lease_s = get32(v);
            break;
        default:
            break;   /* not asked for */
        }
    }
    return 0;   /* no end option: tolerated, every length was in bounds */
}

int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
               struct dhcp_lease *lease)
{
    size_t ihl, total, ulen;
    const uint8_t *udp, *b;
    struct options opt = { 0 };
    uint32_t addr_host;
    int r;

    if (len < IP_HDR || pkt[0] >> 4 != 4)
        return -ENOMSG;
    ihl = (size_t)(pkt[0] & 0x0f) * 4;
    total = get16(pkt + 2);
    if (ihl < IP_HDR || total < ihl + UDP_HDR || total > len || pkt[9] != 17)
        return -ENOMSG;
    if (get16(pkt + 6) & 0x3fff)   /* a fragment: DHCP replies we ask for fit in one */
        return -ENOMSG;
    if (dhcp_csum_add(0, pkt, ihl) != 0xffff)
        return -ENOMSG;
    udp = pkt + ihl;
    ulen = get16(udp + 4);
    if (get16(udp) != DHCP_SERVER_PORT || get16(udp + 2) != DHCP_CLIENT_PORT ||
        ulen < UDP_HDR || ulen > total - ihl)
        return -ENOMSG;
    if (get16(udp + 6) != 0) {
        uint8_t pseudo[12];
        memcpy(pseudo, pkt + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = 17;
        put16(pseudo + 10, (uint16_t)ulen);
        if (dhcp_csum_add(dhcp_csum_add(0, pseudo, sizeof(pseudo)), udp, ulen) != 0xffff)
            return -ENOMSG;
    }
    b = udp + UDP_HDR;
    ulen -= UDP_HDR;
    if (ulen < BOOTP_FIXED || b[0] != 2 || b[1] != 1 || b[2] != 6 || memcmp(b + 4, &xid, 4) ||
        memcmp(b + 28, mac, 6))
        return -ENOMSG;
    /* A reply to us from here on: what is wrong with it is an error. */
    if (ulen < OPT_OFFSET || memcmp(b + BOOTP_FIXED, magic, 4))
        return -EINVAL;
    r = parse_options(b + OPT_OFFSET, ulen - OPT_OFFSET, &opt);
    if (r < 0)
        return r;
    if (opt.type < 1 || opt.type > 8)
        return -EINVAL;
    if (opt.type != DHCP_OFFER && opt.type != DHCP_ACK)
        return opt.type;
    *lease = (struct dhcp_lease){ .server_id = opt.server_id, .lease_s = opt.lease_s };
    memcpy(&lease->address, b + 16, 4);
    addr_host = get32(b + 16);
    if (addr_host == 0 || addr_host >= 0xe0000000u || (addr_host >> 24) == 127)
        return -EINVAL;
    if (opt.has_mask) {
        bool contiguous;
        lease->prefix = mask_prefix(opt.mask, &contiguous);
        if (!contiguous || lease->prefix == 0)
            return -EINVAL;
    } else {
        lease->prefix = class_prefix(addr_host);
    }
    {
        uint32_t m = lease->prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> lease->prefix);
        uint8_t rb[4];
        memcpy(rb, &opt.router, 4);
        if (opt.router && (get32(rb) & m) == (addr_host & m) && opt.router != lease->address)
            lease->router = opt.router;
    }
    memcpy(lease->dns, opt.dns, sizeof(opt.dns));
    lease->n_dns = opt.n_dns;
    return opt.type;
}
