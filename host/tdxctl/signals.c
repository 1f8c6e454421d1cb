/* SPDX-License-Identifier: MIT */
/* SIGINT/SIGTERM/SIGHUP: remove the staging directories of the write in
 * progress (tdx_staging_cleanup()), then die of the signal as before. The
 * library installs no handlers; a program using it decides. */
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "tdxhost/staging.h"

static void on_signal(int sig)
{
    tdx_staging_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_install_signal_cleanup(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old, sa;
        /* A signal the shell ignores for us (nohup, background jobs) stays
         * ignored. */
        if (sigaction(sigs[i], NULL, &old) < 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
