/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 messages (RFC 2131, options RFC 2132) for init mode's client:
 * built and parsed as whole IPv4/UDP packets, the way an AF_PACKET
 * SOCK_DGRAM socket sends and receives them (the interface has no address
 * yet, so the kernel's UDP stack cannot be used). Parsing takes untrusted
 * bytes from the network: every length is checked
 * (tests/fuzz/fuzz-dhcp-reply.c).
 */
#ifndef TDX_AGENT_DHCP_H
#define TDX_AGENT_DHCP_H

#include <stddef.h>
#include <stdint.h>

enum dhcp_type { DHCP_DISCOVER = 1, DHCP_OFFER = 2, DHCP_REQUEST = 3, DHCP_ACK = 5, DHCP_NAK = 6 };

#define DHCP_MAX_DNS 3
#define DHCP_PACKET_MAX 1500   /* what we send and what we accept */
#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67

/* Addresses in network byte order; 0 when the reply did not carry it. */
struct dhcp_lease {
    uint32_t address;      /* yiaddr */
    unsigned prefix;       /* from the subnet mask (option 1), else the address class */
    uint32_t router;       /* option 3's first address, 0 when not on the subnet */
    uint32_t server_id;    /* option 54 */
    uint32_t dns[DHCP_MAX_DNS];
    size_t n_dns;
    uint32_t lease_s;      /* option 51 */
};

/*
 * Writes a DISCOVER or REQUEST from 0.0.0.0:68 to 255.255.255.255:67 with
 * the broadcast flag, client hardware address mac and transaction xid; a
 * REQUEST carries requested (option 50) and server_id (54). Returns the
 * packet's length, or 0 when cap is too small (DHCP_PACKET_MAX suffices).
 */
size_t dhcp_build(uint8_t *buf, size_t cap, enum dhcp_type type, uint32_t xid,
                  const uint8_t mac[6], uint32_t requested, uint32_t server_id);

/*
 * Parses an IPv4 packet. Returns the DHCP message type (> 0) of a reply to
 * us (UDP 67 → 68, BOOTREPLY, our xid and hardware address, valid IP
 * header checksum and, when present, UDP checksum), filling *lease for
 * OFFER and ACK; -ENOMSG for a packet that is not such a reply; -EINVAL
 * for a reply to us that is malformed (options running past the end, an
 * OFFER/ACK without a usable address, a non-contiguous subnet mask).
 */
int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
               struct dhcp_lease *lease);

/* The one's complement sum of RFC 1071 over data, folded, not inverted. */
uint16_t dhcp_csum_add(uint32_t sum, const uint8_t *data, size_t len);

#endif
