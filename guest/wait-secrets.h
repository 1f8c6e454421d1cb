/* SPDX-License-Identifier: MIT */
/*
 * `tdx-agent wait-secrets`: what tdx-secrets-wait.service runs, so that
 * secrets-ready.target (and every unit ordered after it) is reached only
 * once the agent has every required secret. It returns when the agent's
 * ready file exists and every required destination is a regular file.
 */
#ifndef TDX_AGENT_WAIT_SECRETS_H
#define TDX_AGENT_WAIT_SECRETS_H

#include "config.h"

/* Returns the exit status: 0 ready, 1 timed out (timeout_s > 0) or the
 * manifest cannot be read. */
int wait_secrets(const struct agent_config *c, unsigned timeout_s);

#endif
