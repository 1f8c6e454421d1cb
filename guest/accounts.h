/* SPDX-License-Identifier: MIT */
/*
 * User and group names to numbers, read from a root's /etc/passwd and
 * /etc/group files. The agent does not ask NSS: it is linked statically
 * (glibc's NSS would load shared modules), and with --root-dir the names
 * must come from the staged tree, not the machine running the agent. The
 * files are opened through root-fs.h, so links in them resolve inside the
 * root.
 */
#ifndef TDX_AGENT_ACCOUNTS_H
#define TDX_AGENT_ACCOUNTS_H

#include <stddef.h>
#include <sys/types.h>

#define ACCOUNTS_FILE_MAX (4 * 1024 * 1024)

/* root: the directory holding etc/ ("/" for the system). Returns 0, -ENOENT
 * (no such name; msg says which file was searched), or the negative errno
 * of reading the file, with a one-line message. */
int accounts_user(const char *root, const char *name, uid_t *uid, char *msg, size_t msg_size);
int accounts_group(const char *root, const char *name, gid_t *gid, char *msg, size_t msg_size);

/* The user's uid, primary gid and home directory (into home, home_size
 * bytes), as accounts_user(). */
int accounts_user_entry(const char *root, const char *name, uid_t *uid, gid_t *gid, char *home,
                        size_t home_size, char *msg, size_t msg_size);

#endif
