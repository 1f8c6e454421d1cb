/* SPDX-License-Identifier: MIT */
#include "accounts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "fileio.h"
#include "macro.h"
#include "msg.h"
#include "root-fs.h"

/* Finds name in the first field of a colon-separated file and returns the
 * third field (the uid or gid) as a number. */
/* For /etc/passwd, also the primary group (fourth field) and the home
 * directory (sixth) when asked for. */
struct extra {
    unsigned long *gid;
    char *home;
    size_t home_size;
};

static bool parse_id(const char *s, unsigned long *id)
{
    char *end;
    errno = 0;
    *id = strtoul(s, &end, 10);
    return !errno && end != s && (*end == ':' || *end == '\0') && *id < 0xffffffffUL;
}

static int lookup(const char *root, const char *file, const char *name, unsigned long *id,
                  const struct extra *x, char *msg, size_t msg_size)
{
    char path[4200], *text = NULL, *save = NULL;
    struct root_fs rfs;
    size_t len;
    int r;

    snprintf(path, sizeof(path), "%s%s", streq(root, "/") ? "" : root, file);
    /* Resolved inside the root: an etc/passwd linked to the host's own
     * must not decide whose a secret becomes. */
    r = root_fs_open(&rfs, root, 0);
    if (r == 0) {
        r = root_fs_read_file(&rfs, file, ACCOUNTS_FILE_MAX, &text, &len);
        root_fs_close(&rfs);
    }
    if (r < 0) {
        return msgf(msg, msg_size, r, "cannot read %s: %s", path,
                    r == -EFBIG ? "larger than 4 MiB" : strerror(-r));
    }
    r = -ENOENT;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[7] = { line };
        int n = 1;
        for (char *p = line; *p && n < 7; p++)
            if (*p == ':')
                *p = '\0', f[n++] = p + 1;
        if (n < 4 || !streq(f[0], name))
            continue;
        if (!parse_id(f[2], id) || (x && (n < 7 || !parse_id(f[3], x->gid)))) {
            r = msgf(msg, msg_size, -EINVAL, "%s: \"%s\" has no valid numeric id%s", path, name,
                     x ? ", group or home" : "");
        } else if (x && snprintf(x->home, x->home_size, "%s", f[5]) >= (int)x->home_size) {
            r = msgf(msg, msg_size, -EINVAL, "%s: \"%s\" has a home directory that is too long",
                     path, name);
        } else {
            r = 0;
        }
        break;
    }
    if (r == -ENOENT)
        msgf(msg, msg_size, r, "\"%s\" is not in %s", name, path);
    free(text);
    return r;
}

/* A checked name looked up in one of the root's account files. */
static int lookup_name(const char *root, const char *file, const char *what, const char *name,
                       unsigned long *id, const struct extra *x, char *msg, size_t msg_size)
{
    if (check_user_name(name)) {
        return msgf(msg, msg_size, -EINVAL, "\"%.64s\" is not a %s name", name, what);
    }
    return lookup(root, file, name, id, x, msg, msg_size);
}

int accounts_user(const char *root, const char *name, uid_t *uid, char *msg, size_t msg_size)
{
    unsigned long id;
    int r = lookup_name(root, "/etc/passwd", "user", name, &id, NULL, msg, msg_size);
    if (r == 0)
        *uid = (uid_t)id;
    return r;
}

int accounts_group(const char *root, const char *name, gid_t *gid, char *msg, size_t msg_size)
{
    unsigned long id;
    int r = lookup_name(root, "/etc/group", "group", name, &id, NULL, msg, msg_size);
    if (r == 0)
        *gid = (gid_t)id;
    return r;
}

int accounts_user_entry(const char *root, const char *name, uid_t *uid, gid_t *gid, char *home,
                        size_t home_size, char *msg, size_t msg_size)
{
    unsigned long id, group;
    struct extra x = { &group, home, home_size };
    int r = lookup_name(root, "/etc/passwd", "user", name, &id, &x, msg, msg_size);
    if (r == 0) {
        *uid = (uid_t)id;
        *gid = (gid_t)group;
    }
    return r;
}
