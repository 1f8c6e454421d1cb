/* SPDX-License-Identifier: MIT */
/*
 * Boot hooks: `tdx-agent run-hooks DIR` runs the executables in DIR in
 * lexical (byte) order, each in its own process group with a timeout,
 * logging every line it prints under its name.
 */
#ifndef TDX_AGENT_HOOKS_H
#define TDX_AGENT_HOOKS_H

#include "config.h"

#define HOOK_KILL_GRACE_MS 5000

/* Returns the process exit status: 0 when the policy is satisfied, 1 when
 * a hook failed (and the policy counts it), 1 when DIR cannot be read. */
int hooks_run(const char *dir, unsigned timeout_s, enum hook_policy policy);

#endif
