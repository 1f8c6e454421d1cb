/* SPDX-License-Identifier: MIT */
/* The kernel command line flags init mode honours ("tdx.capture=acpi"). */
#ifndef TDX_AGENT_KCMDLINE_H
#define TDX_AGENT_KCMDLINE_H

#include <stdbool.h>

#define KCMDLINE_PATH "/proc/cmdline"

/* Whether the command line text holds the word key=value (whitespace-
 * separated words; a later key=other does not undo an earlier match, as
 * the flag is meant to be given once). */
bool kcmdline_has(const char *text, const char *key, const char *value);

#endif
