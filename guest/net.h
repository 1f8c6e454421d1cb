/* SPDX-License-Identifier: MIT */
/*
 * Init mode's network: loopback, then none, a static IPv4 address, or
 * DHCPv4 (dhcp.h), configured with ioctl()s on an AF_INET socket (address,
 * netmask, flags, default route) and /etc/resolv.conf. No external tools.
 */
#ifndef TDX_AGENT_NET_H
#define TDX_AGENT_NET_H

#include "init-config.h"

#define NET_RESOLV_CONF "/etc/resolv.conf"
#define NET_LINK_WAIT_MS 10000      /* for the interface to appear after its module loads */
#define NET_DHCP_ROUNDS 4

/* Brings up lo and configures the network as n says. Returns 0, or a
 * negative errno after logging what failed. */
int net_setup(const struct init_network *n);

#endif
