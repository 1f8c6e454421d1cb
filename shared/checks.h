/* SPDX-License-Identifier: MIT */
/*
 * Value checks the host (recipe validation) and the agent (manifest and
 * configuration loading) apply alike, so an image's manifest means the same
 * thing on both sides. Each returns NULL when the value is acceptable, else
 * a static phrase saying what was expected.
 */
#ifndef TDX_SHARED_CHECKS_H
#define TDX_SHARED_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

/* Canonical absolute path: "/a/b", no empty, "." or ".." components, no
 * trailing slash, no control characters, at most 4095 bytes, not "/". */
const char *check_abs_path(const char *s);
/* Absolute path that may contain the globs * ? [ ] (debloat lists). */
const char *check_glob_path(const char *s);

const char *check_user_name(const char *s);   /* users and groups */
const char *check_secret_name(const char *s);
const char *check_mode(long long mode);
/* An agent address the agent can listen on (agent-addr.h, AGENT_ADDR_LISTEN). */
const char *check_listen(const char *s);

/* Every character of s is an ASCII letter or digit (when alnum) or in extra. */
bool chars_all_in(const char *s, const char *extra, bool alnum);
bool has_control_chars(const char *s);

/* Parses exactly n characters of s as a decimal number without sign or
 * leading zeros, at most max. */
bool parse_decimal(const char *s, size_t n, unsigned long long max, unsigned long long *ret);

#endif
