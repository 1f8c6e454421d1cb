/* SPDX-License-Identifier: MIT */
/*
 * The tree of a profile P: the default tree, plus mkosi.profiles/P/ holding
 * what P adds or changes, selected by `[Config] Profiles=P`.
 *
 * mkosi parses a profile directory like the top directory: first its
 * implicit paths (mkosi.extra/, mkosi.<phase>.d/, ...), which append to the
 * settings they feed, then its mkosi.conf, where an empty assignment resets a
 * list. So for each such group of files:
 *   - nothing differs: nothing in the layer;
 *   - P only adds (overlays: new or changed files, all default files still
 *     there; scripts: the default scripts first, unchanged): the layer holds
 *     the additions and mkosi appends them;
 *   - otherwise: the layer's mkosi.conf resets the setting and lists P's
 *     whole group, reusing unchanged default scripts in place.
 * Files outside these groups (sources/, kernel/) have names that cannot
 * clash between profiles and go to the top directory.
 */
#include <stdio.h>

#include "emit-internal.h"
#include "error.h"
#include "tdxhost/emit.h"

enum group_kind { GROUP_OVERLAY, GROUP_DIRECTORY, GROUP_SCRIPTS };

static const struct group {
    const char *dir, *section, *key;
    enum group_kind kind;
} groups[] = {
    { "mkosi.skeleton", "Content", "SkeletonTrees", GROUP_OVERLAY },
    { "mkosi.extra", "Content", "ExtraTrees", GROUP_OVERLAY },
    { "mkosi.sandbox", "Build", "SandboxTrees", GROUP_OVERLAY },
    { "mkosi.repart", "Output", "RepartDirectories", GROUP_DIRECTORY },
    /* Not a path mkosi picks up by itself: mkosi.conf names it, and a
     * profile whose tools tree differs names its own copy. */
    { "mkosi.tools-sandbox", "Build", "ToolsTreeSandboxTrees", GROUP_DIRECTORY },
    /* The same: emit_repart()'s mkfs wrapper, named by ExtraSearchPaths=. */
    { EMIT_REPART_BIN_DIR, "Build", "ExtraSearchPaths", GROUP_DIRECTORY },
    { "mkosi.sync.d", "Content", "SyncScripts", GROUP_SCRIPTS },
    { "mkosi.prepare.d", "Content", "PrepareScripts", GROUP_SCRIPTS },
    { "mkosi.build.d", "Content", "BuildScripts", GROUP_SCRIPTS },
    { "mkosi.postinst.d", "Content", "PostInstallationScripts", GROUP_SCRIPTS },
    { "mkosi.finalize.d", "Content", "FinalizeScripts", GROUP_SCRIPTS },
    { "mkosi.postoutput.d", "Content", "PostOutputScripts", GROUP_SCRIPTS },
    { "mkosi.clean.d", "Output", "CleanScripts", GROUP_SCRIPTS },
};

static const struct group *group_of(const char *path)
{
    for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
        size_t n = strlen(groups[i].dir);
        if (strncmp(path, groups[i].dir, n) == 0 && path[n] == '/')
            return &groups[i];
    }
    return NULL;
}

/* Entries of one group, in path order (trees are sorted). */
static int collect(const struct tree *t, const struct group *g, ptrvec *out)
{
    for (size_t i = 0; i < t->entries.n; i++) {
        const struct tree_entry *e = t->entries.items[i];
        if (group_of(e->path) == g && ptrvec_push(out, (void *)e) < 0)
            return -ENOMEM;
    }
    return 0;
}

struct layer {
    struct tree *out;
    struct conf conf;
    const char *profile;
    tdx_error *err;
};

static int add_layer_entry(struct layer *L, const struct tree_entry *e)
{
    char path[4300];
    snprintf(path, sizeof(path), "mkosi.profiles/%s/%s", L->profile, e->path);
    return tree_add_entry_as(L->out, e, path) < 0 ? tdx_err_oom(L->err) : 0;
}

static int reset_and_list(struct layer *L, const struct group *g, char **values)
{
    return conf_replace(&L->conf, g->section, g->key, CONF_LIST, values) < 0
               ? tdx_err_oom(L->err) : 0;
}

static int layer_overlay(struct layer *L, const struct group *g, ptrvec *d, ptrvec *p,
                         const struct tree *ptree)
{
    bool differs = d->n != p->n, append;
    int r;

    for (size_t i = 0; i < d->n && !differs; i++)
        differs = !tree_entry_equal(d->items[i], p->items[i]);
    if (!differs)
        return 0;

    /* Overlays are copied over each other, so additions and changed files
     * suffice as long as no default file disappears. A repart directory is
     * a set of definitions: replace it unless the default has none. */
    append = d->n == 0;
    if (g->kind == GROUP_OVERLAY) {
        append = true;
        for (size_t i = 0; i < d->n && append; i++)
            append = tree_find(ptree, ((const struct tree_entry *)d->items[i])->path) != NULL;
    }

    if (append) {
        for (size_t i = 0; i < p->n; i++) {
            const struct tree_entry *pe = p->items[i];
            const struct tree_entry *de = NULL;
            for (size_t j = 0; j < d->n && !de; j++)
                if (streq(((const struct tree_entry *)d->items[j])->path, pe->path))
                    de = d->items[j];
            if (de && tree_entry_equal(de, pe))
                continue;
            if ((r = add_layer_entry(L, pe)) < 0)
                return r;
        }
        return 0;
    }

    for (size_t i = 0; i < p->n; i++)
        if ((r = add_layer_entry(L, p->items[i])) < 0)
            return r;
    {
        char *values[2] = { (char *)g->dir, NULL };
        return reset_and_list(L, g, p->n ? values : values + 1);
    }
}

static int layer_scripts(struct layer *L, const struct group *g, ptrvec *d, ptrvec *p)
{
    bool prefix = d->n <= p->n;
    char **list = NULL;
    int r = 0;

    for (size_t i = 0; i < d->n && prefix; i++) {
        const struct tree_entry *de = d->items[i], *pe = p->items[i];
        prefix = streq(de->path, pe->path) && tree_entry_equal(de, pe);
    }
    if (prefix) {
        for (size_t i = d->n; i < p->n; i++)
            if ((r = add_layer_entry(L, p->items[i])) < 0)
                return r;
        return 0;
    }

    list = calloc(1, sizeof(char *));
    if (!list)
        return tdx_err_oom(L->err);
    for (size_t i = 0; i < p->n && r >= 0; i++) {
        const struct tree_entry *pe = p->items[i];
        bool same = false;
        char *ref;
        for (size_t j = 0; j < d->n; j++) {
            const struct tree_entry *de = d->items[j];
            same |= streq(de->path, pe->path) && tree_entry_equal(de, pe);
        }
        if (same)
            r = asprintf(&ref, "../../%s", pe->path) < 0 ? -ENOMEM : 0;
        else if ((r = add_layer_entry(L, pe)) >= 0)
            r = (ref = strdup(pe->path)) ? 0 : -ENOMEM;
        if (r >= 0)
            r = strv_push_take(&list, ref);
    }
    if (r >= 0)
        r = reset_and_list(L, g, list);
    strv_free(list);
    return r == -ENOMEM ? tdx_err_oom(L->err) : r;
}

static int render_conf(struct tree *out, const char *path, const struct conf *conf,
                       const char *header, tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    size_t len;
    char *data;
    int r = conf_render(conf, header, &sb, err);
    if (r < 0) {
        strbuf_free(&sb);
        return r;
    }
    data = strbuf_steal(&sb, &len);
    if (!data || tree_add_take(out, path, data, len, 0644) < 0)
        return tdx_err_oom(err);
    return 0;
}

int emit_layered(const struct flat *base, const struct flat *prof, const char *profile,
                 struct tree *out, tdx_error *err)
{
    struct layer L = { out, CONF_INIT, profile, err };
    struct conf root = CONF_INIT;
    char header[512], path[300];
    char *profiles[2] = { (char *)profile, NULL };
    int r = 0;

    /* The top directory: the default tree, plus files that only P has outside
     * the groups (named so they cannot clash). */
    for (size_t i = 0; i < base->tree.entries.n && r >= 0; i++)
        r = tree_add_entry_as(out, base->tree.entries.items[i],
                              ((const struct tree_entry *)base->tree.entries.items[i])->path);
    for (size_t i = 0; i < prof->tree.entries.n && r >= 0; i++) {
        const struct tree_entry *pe = prof->tree.entries.items[i];
        const struct tree_entry *de = tree_find(&base->tree, pe->path);
        if (group_of(pe->path))
            continue;
        if (de && !tree_entry_equal(de, pe)) {
            r = tdx_err(err, -EINVAL, "internal error: profile \"%s\" changes \"%s\"", profile,
                        pe->path);
            goto out;
        }
        if (!de)
            r = tree_add_entry_as(out, pe, pe->path);
    }
    if (r < 0) {
        r = tdx_err_oom(err);
        goto out;
    }

    for (size_t gi = 0; gi < ELEMENTSOF(groups) && r >= 0; gi++) {
        const struct group *g = &groups[gi];
        ptrvec d = PTRVEC_INIT, p = PTRVEC_INIT;
        if (collect(&base->tree, g, &d) < 0 || collect(&prof->tree, g, &p) < 0)
            r = tdx_err_oom(err);
        else if (g->kind == GROUP_SCRIPTS)
            r = layer_scripts(&L, g, &d, &p);
        else
            r = layer_overlay(&L, g, &d, &p, &prof->tree);
        ptrvec_free(&d);
        ptrvec_free(&p);
    }
    if (r < 0)
        goto out;

    if (conf_diff(&base->conf, &prof->conf, &L.conf) < 0) {
        r = tdx_err_oom(err);
        goto out;
    }
    for (size_t i = 0; i < base->conf.settings.n; i++) {
        const struct conf_setting *s = base->conf.settings.items[i];
        if (conf_list(&root, s->section, s->key, s->kind, s->values) < 0) {
            r = tdx_err_oom(err);
            goto out;
        }
    }
    if (conf_list(&root, "Config", "Profiles", CONF_LIST, profiles) < 0) {
        r = tdx_err_oom(err);
        goto out;
    }

    snprintf(header, sizeof(header),
             TREE_SIGNATURE " for profile \"%s\".\n"
             "# Do not edit: change the recipe and emit the tree again. Needs mkosi %d or newer.\n"
             "# The default profile's settings; mkosi.profiles/%s/ adds the profile's own.\n",
             profile, TDX_MKOSI_MINIMUM_VERSION, profile);
    r = render_conf(out, "mkosi.conf", &root, header, err);
    if (r < 0)
        goto out;
    snprintf(header, sizeof(header),
             "# Generated by tdxctl (libtdxhost): what profile \"%s\" adds to or changes in\n"
             "# the default profile. An empty assignment (Key=) resets a setting first.\n",
             profile);
    snprintf(path, sizeof(path), "mkosi.profiles/%s/mkosi.conf", profile);
    r = render_conf(out, path, &L.conf, header, err);
out:
    conf_free(&L.conf);
    conf_free(&root);
    return r;
}
