/* SPDX-License-Identifier: MIT */
/*
 * /etc/passwd and /etc/group of a native image, made at build time (there is
 * no sysusers at boot). Ids are assigned the way they always come out the
 * same: root is 0, users with a uid keep it, system users without one get
 * 999, 998, ... in recipe order; every user has a group of its own name with
 * the same number when it is free; supplementary groups that no user names
 * get the next free number below 1000.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"
#include "strbuf.h"

#define ACCOUNTS_MAX 4096

struct acct_list {
    char **names;
    unsigned *ids;
    size_t n;
};

static bool id_used(const unsigned *ids, size_t n, unsigned id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static unsigned next_free(const unsigned *ids, size_t n, unsigned *cursor)
{
    while (*cursor > 0 && id_used(ids, n, *cursor))
        (*cursor)--;
    return (*cursor)--;
}

static ssize_t index_of(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (streq(names[i], name))
            return (ssize_t)i;
    return -1;
}

void image_accounts_free(struct image_accounts *a)
{
    strv_free(a->user_names);
    strv_free(a->group_names);
    free(a->uids);
    free(a->user_gids);
    free(a->gids);
    memset(a, 0, sizeof(*a));
}

int image_accounts_build(const struct recipe *r, struct image_accounts *out, tdx_error *err)
{
    struct image_accounts a = { 0 };
    size_t nu = r->users.n + 1, ng = 0;
    unsigned cursor = 999;

    /* Groups: one per user plus every supplementary group. */
    for (size_t i = 0; i < r->users.n; i++)
        ng += 1 + strv_length(((const struct op *)r->users.items[i])->u.user.groups);
    ng += 1;
    if (nu > ACCOUNTS_MAX || ng > ACCOUNTS_MAX)
        return tdx_err(err, -E2BIG, "users: more than %d users or groups", ACCOUNTS_MAX);
    a.uids = calloc(nu, sizeof(unsigned));
    a.user_gids = calloc(nu, sizeof(unsigned));
    a.gids = calloc(ng, sizeof(unsigned));
    if (!a.uids || !a.user_gids || !a.gids || strv_push(&a.user_names, "root") < 0 ||
        strv_push(&a.group_names, "root") < 0)
        goto oom;
    a.n_users = a.n_groups = 1;

    /* Fixed uids first, so allocation never takes one of them. */
    for (size_t i = 0; i < r->users.n; i++) {
        const struct user_spec *u = &((const struct op *)r->users.items[i])->u.user;
        if (u->uid == TDX_UNSET)
            continue;
        if (id_used(a.uids, a.n_users, (unsigned)u->uid))
            return image_accounts_free(&a), tdx_err(err, -EINVAL, "users: uid %lld of %s is taken",
                                               u->uid, u->name);
        a.uids[a.n_users++] = (unsigned)u->uid;
        if (strv_push(&a.user_names, u->name) < 0)
            goto oom;
    }
    for (size_t i = 0; i < r->users.n; i++) {
        const struct user_spec *u = &((const struct op *)r->users.items[i])->u.user;
        if (u->uid != TDX_UNSET)
            continue;
        unsigned id = next_free(a.uids, a.n_users, &cursor);
        a.uids[a.n_users++] = id;
        if (strv_push(&a.user_names, u->name) < 0)
            goto oom;
    }
    /* Each user's own group, with its uid as gid. */
    for (size_t i = 1; i < a.n_users; i++) {
        a.gids[a.n_groups++] = a.uids[i];
        a.user_gids[i] = a.uids[i];
        if (strv_push(&a.group_names, a.user_names[i]) < 0)
            goto oom;
    }
    cursor = 999;
    for (size_t i = 0; i < r->users.n; i++) {
        const struct user_spec *u = &((const struct op *)r->users.items[i])->u.user;
        STRV_FOREACH(g, u->groups) {
            if (index_of(a.group_names, a.n_groups, *g) >= 0)
                continue;
            while (id_used(a.gids, a.n_groups, cursor) || id_used(a.uids, a.n_users, cursor))
                cursor--;
            a.gids[a.n_groups++] = cursor--;
            if (strv_push(&a.group_names, *g) < 0)
                goto oom;
        }
    }
    *out = a;
    return 0;
oom:
    image_accounts_free(&a);
    return tdx_err_oom(err);
}

int image_accounts_uid(const struct image_accounts *a, const char *user, unsigned *uid)
{
    ssize_t i = index_of(a->user_names, a->n_users, user);
    if (i < 0)
        return -ENOENT;
    *uid = a->uids[i];
    return 0;
}

int image_accounts_gid(const struct image_accounts *a, const char *group, unsigned *gid)
{
    ssize_t i = index_of(a->group_names, a->n_groups, group);
    if (i < 0)
        return -ENOENT;
    *gid = a->gids[i];
    return 0;
}

/* The recipe's users in accounts order (root first, then fixed uids, then
 * allocated ones) with their home and shell. */
static const struct user_spec *spec_of(const struct recipe *r, const char *name)
{
    for (size_t i = 0; i < r->users.n; i++) {
        const struct user_spec *u = &((const struct op *)r->users.items[i])->u.user;
        if (streq(u->name, name))
            return u;
    }
    return NULL;
}

char *image_accounts_passwd(const struct image_accounts *a, const struct recipe *r)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "root:x:0:0:root:/root:/bin/sh\n");
    for (size_t i = 1; i < a->n_users; i++) {
        const struct user_spec *u = spec_of(r, a->user_names[i]);
        strbuf_printf(&sb, "%s:x:%u:%u:%s:%s:%s\n", a->user_names[i], a->uids[i], a->user_gids[i],
                      a->user_names[i], u && u->home ? u->home : "/",
                      u && u->shell ? u->shell : "/usr/sbin/nologin");
    }
    return strbuf_steal(&sb, NULL);
}

char *image_accounts_group(const struct image_accounts *a, const struct recipe *r)
{
    strbuf sb = STRBUF_INIT;
    for (size_t g = 0; g < a->n_groups; g++) {
        bool first = true;
        strbuf_printf(&sb, "%s:x:%u:", a->group_names[g], a->gids[g]);
        for (size_t i = 0; i < r->users.n; i++) {
            const struct user_spec *u = &((const struct op *)r->users.items[i])->u.user;
            if (strv_contains(u->groups, a->group_names[g])) {
                strbuf_printf(&sb, "%s%s", first ? "" : ",", u->name);
                first = false;
            }
        }
        strbuf_putc(&sb, '\n');
    }
    return strbuf_steal(&sb, NULL);
}
