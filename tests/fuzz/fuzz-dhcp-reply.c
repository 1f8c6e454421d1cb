/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a packet off the wire as init's DHCP client reads it
 * (guest/dhcp.c). The first 10 bytes choose the transaction id and client
 * MAC the parser compares with, so replies "to us" are reachable; a lease
 * it accepts must be usable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dhcp_lease lease;
    uint32_t xid;
    uint8_t mac[6];
    int t;

    if (size < 10)
        return 0;
    memcpy(&xid, data, 4);
    memcpy(mac, data + 4, 6);
    t = dhcp_parse(data + 10, size - 10, xid, mac, &lease);
    if ((t == DHCP_OFFER || t == DHCP_ACK) &&
        (lease.address == 0 || lease.prefix < 1 || lease.prefix > 32 || lease.n_dns > DHCP_MAX_DNS))
        abort();
    return 0;
}
