/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/staging.h
 * @brief Removing half-written output when the program is interrupted.
 *
 * Functions that write a directory (tdx_emit_mkosi(), tdx_deb_extract(),
 * tdx_sim_pki_create()) write it into a hidden sibling
 * `.NAME.tmp-PID-XXXXXX` first and rename it into place, so a failure
 * never leaves half a tree. A signal that ends the process in the middle
 * would still leave that sibling (hundreds of MiB for a large recipe). The
 * library installs no signal handlers of its own: a program that wants
 * them gone on SIGINT or SIGTERM calls tdx_staging_cleanup() from its
 * handler (tdxctl does). Whatever is left anyway (SIGKILL, a crash) is
 * removed by the next write into the same parent directory, once the
 * process named by PID is gone.
 */
#ifndef TDXHOST_STAGING_H
#define TDXHOST_STAGING_H

#include "common.h"

TDX_BEGIN_DECLS

/**
 * Removes every staging directory the library is writing at this moment,
 * in any thread. Async-signal-safe (it uses only openat, getdents64,
 * unlinkat and close): call it from a SIGINT/SIGTERM handler, then end the
 * process; the interrupted function must not be continued afterwards. It
 * is the one piece of global state of the library: a fixed table of the
 * directories being written, updated with atomic operations.
 */
TDX_EXTERN void tdx_staging_cleanup(void);

TDX_END_DECLS

#endif
