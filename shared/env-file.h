/* SPDX-License-Identifier: MIT */
/*
 * Environment files in systemd's EnvironmentFile= syntax: the agent writes
 * one per scope (MANIFEST_ENV_DIR) and reads its own back at start to know
 * which environment targets an earlier run delivered.
 *
 * Writing: every value double-quoted, with " \ ` $ backslash-escaped and
 * every other byte as it is (newlines too), which systemd reads back
 * byte for byte; values must be UTF-8 without NUL (systemd drops a line
 * whose value is not UTF-8).
 *
 * Reading: the state machine of systemd's parse_env_file_internal()
 * (src/basic/env-file.c, as of systemd v254): comments, unquoted values
 * with trailing whitespace chomped and backslash escapes, single quotes,
 * double quotes with \" \\ \` \$ and line continuations; a later assignment
 * of a key replaces an earlier one. (Before v254 a comment ending in a
 * backslash also swallowed the next line; the agent writes no comments.)
 */
#ifndef TDX_SHARED_ENV_FILE_H
#define TDX_SHARED_ENV_FILE_H

#include <stddef.h>

#include "strbuf.h"

#define ENV_FILE_MAX (4 * 1024 * 1024)

/* Appends `name="value"\n`. -EINVAL when value holds a NUL byte or is not
 * UTF-8 (len bytes). */
int env_file_append(strbuf *out, const char *name, const char *value, size_t len);

/* One assignment as the parser found it: value is NUL-terminated, len bytes. */
typedef int (*env_file_push)(const char *key, const char *value, size_t len, void *userdata);

/*
 * Parses text (len bytes; a NUL ends it, as for systemd) and calls push for
 * each assignment in order. Keys and values that are not UTF-8 are skipped,
 * as systemd skips them. Returns 0, push's negative return, or -ENOMEM.
 */
int env_file_parse(const char *text, size_t len, env_file_push push, void *userdata);

#endif
