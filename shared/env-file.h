/* SPDX-License-Identifier: MIT */
/*
 * systemd's EnvironmentFile= syntax (systemd.exec(5)), parsed the way
 * systemd's src/basic/env-file.c parses it, byte for byte: KEY=VALUE lines,
 * '#' or ';' comments, whitespace around keys and unquoted values dropped,
 * 'single' quotes literal, "double" quotes with \" \\ \` \$ unescaped (any
 * other backslash kept), a backslash outside quotes taking the next byte
 * literally, backslash-newline joining lines, no variable expansion. The
 * text ends at its first NUL byte, as systemd's does.
 *
 * The agent reads what the secrets helper writes at
 * /run/tdx-secrets/env/<scope>.env with it; the host's tests check those
 * files with the same code.
 */
#ifndef TDX_SHARED_ENV_FILE_H
#define TDX_SHARED_ENV_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define ENV_FILE_MAX (1024 * 1024)   /* bytes of one file */
#define ENV_FILE_MAX_VARS 4096

/* Called once per assignment in file order (a key may come again: the
 * later one wins). key and value are NUL-terminated and valid UTF-8; a key
 * is whatever systemd takes as one and may still be an invalid variable
 * name (see env_name_valid()). Return a negative errno to stop. */
typedef int (*env_file_push_fn)(const char *key, const char *value, void *userdata);

/*
 * Parses text[0..len). Returns 0, the negative errno push returned, -ENOMEM,
 * -EINVAL (a key or value that is not UTF-8: systemd refuses such a file
 * too) or -E2BIG (more than ENV_FILE_MAX_VARS assignments), with a one-line
 * message ("line N: ...") in msg.
 */
int env_file_parse(const char *text, size_t len, env_file_push_fn push, void *userdata,
                   char *msg, size_t msg_size);

/* What systemd passes on to a process (its env_assignment_is_valid()):
 * a name of ASCII letters, digits and '_' not starting with a digit; a
 * value without control characters other than tab and newline. systemd
 * drops assignments that fail these before it executes a service. */
bool env_name_valid(const char *name);
bool env_value_valid(const char *value);

/*
 * Appends `name="value"\n` so that env_file_parse() (and systemd) read
 * value back byte for byte: double quotes, with " \ ` $ backslash-escaped
 * and every other byte as it is. -EINVAL when name fails env_name_valid()
 * or value (len bytes) holds a NUL or fails env_value_valid(): such a
 * value would not reach a service intact.
 */
struct strbuf;
int env_file_append(struct strbuf *out, const char *name, const char *value, size_t len);

#endif
