/* SPDX-License-Identifier: MIT */
/*
 * Secret files on disk: writing a delivery all at once, and finding out at
 * start which secrets an earlier run already wrote.
 *
 * Paths are the manifest's destinations below root ("/" normally; a staged
 * tree or a test directory with --root-dir), all reached through
 * root-fs.h: symbolic links resolve inside the root, so a link in the tree
 * cannot send a secret, a mode or an owner outside it.
 */
#ifndef TDX_AGENT_SECRETS_STORE_H
#define TDX_AGENT_SECRETS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct manifest;
struct manifest_secret;
struct secret_value;

#define STORE_DIGEST_SIZE 32   /* SHA-256 */

/* One file of a delivery: a secret's destination, or a scope's
 * environment file. Strings are borrowed. */
struct store_entry {
    const char *what;       /* for messages: "secret \"jwt\"", never a value */
    const char *dest;
    const char *data;
    size_t len;
    unsigned mode;
    const char *owner, *group;
    unsigned dir_mode;
    const char *dir_owner, *dir_group;
    uint8_t sha256[STORE_DIGEST_SIZE];   /* set by store_write() */
};

/* The entry that writes value to secret s's destination (s->dest set);
 * what must outlive the entry (at least 80 bytes). */
void store_entry_for_secret(struct store_entry *e, const struct manifest_secret *s,
                            const struct secret_value *value, char *what, size_t what_size);

/*
 * Writes every entry or none. Owners and groups are resolved and every
 * destination checked first; then each value goes to a temporary file in
 * its destination's directory (mode 0600, written, fsync'd, chown'd,
 * chmod'd), the existing files are kept as hard links, and the temporary
 * files are renamed over the destinations. If a rename fails, the ones
 * done are undone from the kept links. A missing destination directory is
 * created with the manifest's dir_mode, dir_owner and dir_group (default
 * 0755 root:root), missing ones above it root-owned 0755; existing
 * directories are never changed. Returns 0, or a negative errno with a one-line
 * message naming the secret (never its value); on failure no destination
 * has changed.
 */
int store_write(const char *root, struct store_entry *entries, size_t n, char *msg,
                size_t msg_size);

/*
 * Removes what an interrupted store_write() may have left in the
 * destinations' directories (temporary files and kept links), then marks
 * present[i] for each secret of m whose destination is a regular file
 * whose contents pass the secret's schema. Logs why a file does not count.
 */
void store_scan(const char *root, const struct manifest *m, bool *present);

/* The same check without removing or logging anything: for readers other
 * than the agent (wait-secrets, which asks every second), so they count
 * exactly what the agent counts. */
void store_check(const char *root, const struct manifest *m, bool *present);

/* The rename that commits a delivery: renameat(2), swapped by tests to
 * make a commit fail half-way. */
extern int (*store_renameat)(int olddirfd, const char *oldpath, int newdirfd,
                             const char *newpath);

#endif
