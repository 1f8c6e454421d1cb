/* SPDX-License-Identifier: MIT */
/* daemon.h on top of libsystemd, for the dynamically linked agent. */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "strv.h"

int daemon_listen_fds(char ***names)
{
    char **list = NULL;
    int n = sd_listen_fds_with_names(1, &list);

    *names = NULL;
    if (n <= 0) {
        strv_free(list);
        return n;
    }
    if (!list) {
        for (int i = 0; i < n; i++)
            if (strv_push(&list, "unknown") < 0) {
                strv_free(list);
                return -ENOMEM;
            }
    }
    *names = list;
    return n;
}

int daemon_notify(const char *state)
{
    return sd_notify(0, state);
}

int daemon_watchdog(uint64_t *usec)
{
    return sd_watchdog_enabled(0, usec);
}
