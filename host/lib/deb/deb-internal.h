/* SPDX-License-Identifier: MIT */
/*
 * Internals of the Debian resolver. The parsers take untrusted bytes (the
 * signed text of an InRelease, a Packages file, a .deb) and are fuzzed.
 */
#ifndef TDXHOST_DEB_INTERNAL_H
#define TDXHOST_DEB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tdxhost/deb.h"

#define RELEASE_MAX (16u << 20)        /* InRelease bytes */
#define PACKAGES_MAX (1024u << 20)     /* uncompressed Packages bytes */
#define STANZA_MAX (1u << 20)
#define PACKAGES_ENTRIES_MAX 2000000

/* ------------------------------------------------------------------------ */
/* deb822 ("Field: value" stanzas separated by blank lines)                 */

/* Next stanza at or after *pos; returns false at the end. */
bool deb822_next(const char *buf, size_t len, size_t *pos, const char **stanza, size_t *slen);

/* Value of a field (name compared without case), continuation lines
 * included, surrounding white space trimmed. */
bool deb822_get(const char *stanza, size_t len, const char *field, const char **value,
                size_t *vlen);

/* A heap copy of a field's value, or NULL when absent (or out of memory:
 * *oom is set). */
char *deb822_dup(const char *stanza, size_t len, const char *field, bool *oom);

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */

/* dpkg's ordering: <0, 0, >0 as a is older, equal, newer than b. */
int deb_version_compare(const char *a, const char *b);

/* ------------------------------------------------------------------------ */
/* Release files                                                            */

struct release_file {
    char *path;
    char sha256[65];
    uint64_t size;
};

struct release {
    char *suite, *codename, *date, *valid_until;
    bool by_hash;
    char **architectures, **components;
    struct release_file *files;
    size_t n_files;
};

/* Parses the signed text of an InRelease (label names it in messages). */
int release_parse(const char *text, size_t len, const char *label, struct release *out,
                  tdx_error *err);
void release_free(struct release *r);
const struct release_file *release_find(const struct release *r, const char *path);

/* Checks the clearsigned file with gpgv against keyring; *text receives the
 * signed content as gpgv extracted it (never the unsigned parts). */
int release_verify(const char *inrelease, const char *keyring, const char *workdir,
                   const char *label, char **text, size_t *len, tdx_error *err);

/* RFC 2822 date as used in Release files ("Sat, 11 Jul 2026 10:16:37 UTC"). */
int release_parse_date(const char *s, time_t *out);

/* ------------------------------------------------------------------------ */
/* Packages files                                                           */

struct pkg_entry {
    const char *stanza;
    size_t len;
    const char *name;
    size_t name_len;
};

struct packages {
    char *text;          /* owned */
    size_t len;
    struct pkg_entry *entries;   /* sorted by name, then file order */
    size_t n;
};

/* Indexes text (taking ownership, even on failure). */
int packages_index(char *text, size_t len, const char *label, struct packages *out,
                   tdx_error *err);
void packages_free(struct packages *p);

/* The entry with the highest version of name for arch (or "all"), or NULL. */
const struct pkg_entry *packages_best(const struct packages *p, const char *name,
                                      const char *arch);

/* For a metapackage: when Depends is exactly one package with "(= VERSION)",
 * returns true and copies its name and version. */
bool packages_single_exact_depends(const struct pkg_entry *e, char **name, char **version);

/* Decompresses a Packages file (xz, gzip or plain) into memory. */
int packages_read(const char *path, const char *label, char **text, size_t *len,
                  tdx_error *err);

/* True when a Filename: value is a safe relative path to put after a mirror URL. */
bool deb_filename_safe(const char *s);

/* ------------------------------------------------------------------------ */
/* apt sources                                                              */

/* The first http(s) "deb" source listing release (else its base release, the
 * part before '-'); *keyring gets its Signed-By file or NULL. */
int apt_sources_find(const char *apt_dir, const char *release, char **uri, char **keyring,
                     tdx_error *err);

/* ------------------------------------------------------------------------ */
/* .deb reading                                                             */

struct archive;

struct deb_member {
    const char *path;       /* normalised: relative, no ".", "..", "//" */
    char type;              /* 'f' file, 'd' directory, 'l' symlink, 'h' hard link */
    unsigned mode;          /* permission bits */
    int64_t size;
    const char *link;       /* symlink target (as stored) or hard link target (normalised) */
    time_t mtime;
};

/* Called for every member of data.tar; read the file's data from `data`. */
typedef int (*deb_visit_fn)(void *ctx, struct archive *data, const struct deb_member *m,
                            tdx_error *err);

/* Walks a .deb opened as `outer` (see deb_open_*): debian-binary first, then
 * the data.tar member; label names the file in messages. */
int deb_walk(struct archive *outer, const char *label, deb_visit_fn visit, void *ctx,
             tdx_error *err);
int deb_open_file(const char *path, struct archive **out, tdx_error *err);
int deb_open_memory(const void *data, size_t size, struct archive **out, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* The index's parts, for the closure (index.c), and the closure (closure.c)  */

const char *deb_index_arch(const tdx_deb_index *x);
size_t deb_index_component_count(const tdx_deb_index *x);
const struct packages *deb_index_packages(const tdx_deb_index *x, size_t i);
/* The highest version of name for the index's architecture (or "all") in the
 * first component that has it; NULL when none. */
const struct pkg_entry *deb_index_best(const tdx_deb_index *x, const char *name);

/* An index of one component made from a Packages index (taken in all
 * cases), without a release: for tests and fuzzing. */
int deb_index_from_packages(tdx_deb_index **out, struct packages *pk, const char *arch);

/* The Depends/Pre-Depends closure of roots, without the roots and without
 * anything in exclude: *out is a sorted list of package names. -ENOENT names
 * a dependency nothing satisfies. */
int deb_closure(const tdx_deb_index *x, char *const *roots, char *const *exclude, char ***out,
                tdx_error *err);

#endif
