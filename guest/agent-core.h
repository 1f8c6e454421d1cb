/* SPDX-License-Identifier: MIT */
/* What the request handlers share: settings, the quote provider, the
 * manifest, and what info reports. */
#ifndef TDX_AGENT_AGENT_CORE_H
#define TDX_AGENT_AGENT_CORE_H

#include <stdint.h>

#include "config.h"

struct quote_provider;
struct manifest;
struct secrets;

struct agent {
    const struct agent_config *config;
    struct quote_provider *provider;
    struct manifest *manifest;       /* NULL without --manifest */
    struct secrets *secrets;         /* delivery state; NULL without a manifest */
    uint64_t started_ms;             /* monotonic */
    char **listeners;                /* addresses being served (strv), for info */
};

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);

#endif
