/* SPDX-License-Identifier: MIT */
/*
 * The mkosi emitter: determinism, profile scoping, profile layers checked
 * against a model of mkosi's configuration rules, setting kinds against
 * mkosi's own table, safe replacement of output directories, and values
 * surviving into scripts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit/emit-internal.h"
#include "fsutil.h"
#include "helpers.h"
#include "macro.h"
#include "strbuf.h"
#include "strv.h"

static const char *const example_files[] = { "examples/minimal.json", "examples/node.json" };

static tdx_image *load_example(const char *rel)
{
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_msg(tdx_image_load_file(&image, src_path(rel), &err) == 0, "%s", err.message);
    return image;
}

static tdx_image *new_image_with_file(const char *dest, const char *content)
{
    tdx_file_options f = TDX_FILE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = NULL;
    ck_assert_int_eq(tdx_image_new(&image, NULL, &err), 0);
    f.content = content;
    ck_assert_msg(tdx_image_add_file(image, dest, &f, &err) == 0, "%s", err.message);
    return image;
}

static char *emit_to(const tdx_image *image, const char *profile, const char *parent, const char *name)
{
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out, "%s/%s", parent, name), 0);
    o.profile = profile;
    ck_assert_msg(tdx_emit_mkosi(image, out, &o, &err) == 0, "emit %s: %s", profile ? profile : "default",
                  err.message);
    return out;
}

static void flat_of(const tdx_image *image, size_t profile, struct flat *out)
{
    struct recipe *r = NULL;
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_msg(recipe_resolve(image, profile, &r, &err) == 0, "%s", err.message);
    ck_assert_msg(emit_flat(r, NULL, out, &err) == 0, "%s", err.message);
    recipe_free(r);
}

/* Bytes an entry of a flat tree stands for. */
static char *entry_bytes(const struct tree_entry *e, size_t *len)
{
    if (e->kind == TREE_FILE) {
        char *d = malloc(e->size + 1);
        memcpy(d, e->data, e->size);
        *len = e->size;
        return d;
    }
    if (e->kind == TREE_COPY)
        return read_text(e->src, len);
    *len = strlen(e->target);
    return strdup(e->target);
}

/* Bytes of a file (or link target) on disk. */
static char *disk_bytes(const char *path, size_t *len, bool *is_link, unsigned *mode)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return NULL;
    *mode = st.st_mode & 07777;
    *is_link = S_ISLNK(st.st_mode);
    if (*is_link) {
        char buf[4096];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        *len = strlen(buf);
        return strdup(buf);
    }
    return read_text(path, len);
}

static void assert_disk_matches(const char *path, const struct tree_entry *e, const char *what)
{
    size_t dl = 0, el = 0;
    bool link = false;
    unsigned mode = 0;
    char *d = disk_bytes(path, &dl, &link, &mode), *x = entry_bytes(e, &el);
    ck_assert_msg(d != NULL, "%s: %s missing", what, path);
    ck_assert_msg(link == (e->kind == TREE_SYMLINK), "%s: %s kind differs", what, path);
    ck_assert_msg(dl == el && memcmp(d, x, dl) == 0, "%s: %s content differs", what, path);
    if (!link)
        ck_assert_msg(mode == e->mode, "%s: %s mode %o, expected %o", what, path, mode, e->mode);
    free(d);
    free(x);
}

/* ------------------------------------------------------------------------ */
/* A small model of how mkosi reads a config directory (mkosi/config.py):
 * implicit paths append first, then mkosi.conf, where "Key=" resets. */

struct assign {
    char *section, *key, *value;
};

static size_t parse_conf(const char *path, struct assign *out, size_t max)
{
    size_t len, n = 0;
    char *text = read_text(path, &len), *save = NULL, section[64] = "";
    if (!text)
        return 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (!*line)
            continue;
        if (line[0] == ' ') {
            char *v;
            ck_assert_uint_gt(n, 0);
            while (*line == ' ')
                line++;
            ck_assert_int_ge(asprintf(&v, "%s\n%s", out[n - 1].value, line), 0);
            free(out[n - 1].value);
            out[n - 1].value = v;
            continue;
        }
        if (line[0] == '[') {
            snprintf(section, sizeof(section), "%.*s", (int)(strlen(line) - 2), line + 1);
            continue;
        }
        ck_assert_uint_lt(n, max);
        {
            char *eq = strchr(line, '=');
            ck_assert_ptr_nonnull(eq);
            *eq = '\0';
            out[n].section = strdup(section);
            out[n].key = strdup(line);
            out[n].value = strdup(eq + 1);
            n++;
        }
    }
    free(text);
    return n;
}

/* Effective values of one setting after the root and the profile conf. */
static char **effective_values(struct assign *a, size_t n, const char *section, const char *key,
                               bool list, bool *set)
{
    char **v = calloc(1, sizeof(char *));
    *set = false;
    for (size_t i = 0; i < n; i++) {
        char *copy, *save = NULL;
        if (strcmp(a[i].section, section) || strcmp(a[i].key, key))
            continue;
        *set = true;
        if (!*a[i].value || !list) {
            strv_free(v);
            v = calloc(1, sizeof(char *));
        }
        copy = strdup(a[i].value);
        /* mkosi unescapes %% and splits lists on whitespace here. */
        for (char *w = strtok_r(copy, list ? " \n" : "\n", &save); w; w = strtok_r(NULL, list ? " \n" : "\n", &save)) {
            strbuf sb = STRBUF_INIT;
            for (const char *p = w; *p; p++)
                if (!(p[0] == '%' && p[1] == '%'))
                    strbuf_putc(&sb, *p);
            strv_push_take(&v, strbuf_steal(&sb, NULL));
        }
        free(copy);
    }
    return v;
}

static const char *const overlay_groups[][3] = {
    { "mkosi.skeleton", "Content", "SkeletonTrees" },
    { "mkosi.extra", "Content", "ExtraTrees" },
    { "mkosi.sandbox", "Build", "SandboxTrees" },
    { "mkosi.repart", "Output", "RepartDirectories" },
};

static const char *const script_groups[][3] = {
    { "mkosi.sync.d", "Content", "SyncScripts" },
    { "mkosi.prepare.d", "Content", "PrepareScripts" },
    { "mkosi.build.d", "Content", "BuildScripts" },
    { "mkosi.postinst.d", "Content", "PostInstallationScripts" },
    { "mkosi.finalize.d", "Content", "FinalizeScripts" },
    { "mkosi.postoutput.d", "Content", "PostOutputScripts" },
    { "mkosi.clean.d", "Output", "CleanScripts" },
};

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void list_files(const char *root, const char *rel, char ***out)
{
    char path[4096];
    struct dirent **ents;
    int n;
    snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
    n = scandir(path, &ents, NULL, alphasort);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        char sub[4096], full[4200];
        struct stat st;
        if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
            snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", ents[i]->d_name);
            snprintf(full, sizeof(full), "%s/%s", root, sub);
            lstat(full, &st);
            if (S_ISDIR(st.st_mode))
                list_files(root, sub, out);
            else
                strv_push(out, sub);
        }
        free(ents[i]);
    }
    free(ents);
}

/* The directories (absolute) a group resolves to, in mkosi's order. */
static char **group_dirs(const char *tree, const char *layer, const char *dir,
                         struct assign *lay, size_t nlay, const char *section, const char *key)
{
    char **dirs = calloc(1, sizeof(char *)), path[4096];
    bool set;
    char **explicit_values;

    snprintf(path, sizeof(path), "%s/%s", tree, dir);
    if (is_dir(path))
        strv_push(&dirs, path);
    snprintf(path, sizeof(path), "%s/%s", layer, dir);
    if (is_dir(path))
        strv_push(&dirs, path);
    explicit_values = effective_values(lay, nlay, section, key, true, &set);
    if (set) {
        /* The layer's conf reset the list (our emitter always resets first). */
        strv_free(dirs);
        dirs = calloc(1, sizeof(char *));
        STRV_FOREACH(v, explicit_values) {
            snprintf(path, sizeof(path), "%s/%s", layer, *v);
            strv_push(&dirs, path);
        }
    }
    strv_free(explicit_values);
    return dirs;
}

static void check_layered_tree(const struct flat *expected, const char *tree, const char *profile)
{
    struct assign root[256], lay[256];
    char layer[4096], path[4096];
    size_t nroot, nlay;

    snprintf(path, sizeof(path), "%s/mkosi.conf", tree);
    nroot = parse_conf(path, root, 256);
    snprintf(layer, sizeof(layer), "%s/mkosi.profiles/%s", tree, profile);
    snprintf(path, sizeof(path), "%s/mkosi.conf", layer);
    nlay = parse_conf(path, lay, 256);
    ck_assert_uint_gt(nroot, 0);

    /* Settings: root then layer, with mkosi's append and reset rules. */
    {
        struct assign all[512];
        size_t n = 0;
        bool set;
        char **profiles;
        for (size_t i = 0; i < nroot; i++)
            all[n++] = root[i];
        for (size_t i = 0; i < nlay; i++)
            all[n++] = lay[i];
        profiles = effective_values(all, n, "Config", "Profiles", true, &set);
        ck_assert_msg(set && strv_length(profiles) == 1 && !strcmp(profiles[0], profile),
                      "%s: mkosi.conf does not select profile %s", tree, profile);
        strv_free(profiles);
        for (size_t i = 0; i < expected->conf.settings.n; i++) {
            const struct conf_setting *s = expected->conf.settings.items[i];
            char **got = effective_values(all, n, s->section, s->key, s->kind != CONF_SCALAR, &set);
            char **want = strv_copy((const char *const *)s->values);
            if (s->kind == CONF_SET) {
                strv_sort_uniq(got);
                strv_sort_uniq(want);
            }
            ck_assert_msg(strv_length(got) == strv_length(want), "%s %s=: %zu values, expected %zu",
                          profile, s->key, strv_length(got), strv_length(want));
            for (size_t v = 0; want[v]; v++)
                ck_assert_msg(!strcmp(got[v], want[v]), "%s %s=: \"%s\", expected \"%s\"", profile,
                              s->key, got[v], want[v]);
            strv_free(got);
            strv_free(want);
        }
    }

    /* Overlays: copy the effective directories over each other in order. */
    for (size_t g = 0; g < sizeof(overlay_groups) / sizeof(overlay_groups[0]); g++) {
        const char *dir = overlay_groups[g][0];
        char **dirs = group_dirs(tree, layer, dir, lay, nlay, overlay_groups[g][1], overlay_groups[g][2]);
        size_t prefix = strlen(dir) + 1, expected_n = 0;
        char **seen = calloc(1, sizeof(char *));

        for (size_t i = 0; i < expected->tree.entries.n; i++) {
            const struct tree_entry *e = expected->tree.entries.items[i];
            char *found = NULL;
            if (strncmp(e->path, dir, prefix - 1) || e->path[prefix - 1] != '/')
                continue;
            expected_n++;
            /* The last directory holding the file wins. */
            STRV_FOREACH(d, dirs) {
                snprintf(path, sizeof(path), "%s/%s", *d, e->path + prefix);
                if (access(path, F_OK) == 0 || (readlink(path, (char[8]){ 0 }, 8) >= 0)) {
                    free(found);
                    found = strdup(path);
                }
            }
            ck_assert_msg(found != NULL, "%s: %s is not provided by any %s", profile, e->path, dir);
            assert_disk_matches(found, e, profile);
            free(found);
        }
        /* Nothing beyond what the profile's flat tree holds. */
        STRV_FOREACH(d, dirs) {
            char **files = calloc(1, sizeof(char *));
            list_files(*d, "", &files);
            STRV_FOREACH(f, files)
                if (!strv_contains(seen, *f))
                    strv_push(&seen, *f);
            strv_free(files);
        }
        ck_assert_msg(strv_length(seen) == expected_n, "%s: %s resolves to %zu files, expected %zu",
                      profile, dir, strv_length(seen), expected_n);
        strv_free(seen);
        strv_free(dirs);
    }

    /* Scripts: implicit root files, implicit layer files, or the explicit list. */
    for (size_t g = 0; g < sizeof(script_groups) / sizeof(script_groups[0]); g++) {
        const char *dir = script_groups[g][0];
        char **scripts = calloc(1, sizeof(char *)), **explicit_values;
        size_t k = 0, prefix = strlen(dir) + 1;
        bool set;

        for (int side = 0; side < 2; side++) {
            char **files = calloc(1, sizeof(char *));
            snprintf(path, sizeof(path), "%s/%s", side ? layer : tree, dir);
            list_files(path, "", &files);
            STRV_FOREACH(f, files) {
                char full[4200];
                snprintf(full, sizeof(full), "%s/%s", path, *f);
                strv_push(&scripts, full);
            }
            strv_free(files);
        }
        explicit_values = effective_values(lay, nlay, script_groups[g][1], script_groups[g][2], true, &set);
        if (set) {
            strv_free(scripts);
            scripts = calloc(1, sizeof(char *));
            STRV_FOREACH(v, explicit_values) {
                snprintf(path, sizeof(path), "%s/%s", layer, *v);
                strv_push(&scripts, path);
            }
        }
        strv_free(explicit_values);
        for (size_t i = 0; i < expected->tree.entries.n; i++) {
            const struct tree_entry *e = expected->tree.entries.items[i];
            const char *base;
            if (strncmp(e->path, dir, prefix - 1) || e->path[prefix - 1] != '/')
                continue;
            ck_assert_msg(k < strv_length(scripts), "%s: script %s missing from %s", profile,
                          e->path, dir);
            base = strrchr(scripts[k], '/') + 1;
            ck_assert_msg(!strcmp(base, e->path + prefix), "%s: %s[%zu] is %s, expected %s",
                          profile, dir, k, base, e->path + prefix);
            assert_disk_matches(scripts[k], e, profile);
            k++;
        }
        ck_assert_msg(k == strv_length(scripts), "%s: %s has %zu scripts, expected %zu", profile, dir,
                      strv_length(scripts), k);
        strv_free(scripts);
    }

    /* Support files (sources/, kernel/) sit at the top. */
    for (size_t i = 0; i < expected->tree.entries.n; i++) {
        const struct tree_entry *e = expected->tree.entries.items[i];
        if (strncmp(e->path, "sources/", 8) && strncmp(e->path, "kernel/", 7))
            continue;
        snprintf(path, sizeof(path), "%s/%s", tree, e->path);
        assert_disk_matches(path, e, profile);
    }

    for (size_t i = 0; i < nroot; i++) {
        free(root[i].section);
        free(root[i].key);
        free(root[i].value);
    }
    for (size_t i = 0; i < nlay; i++) {
        free(lay[i].section);
        free(lay[i].key);
        free(lay[i].value);
    }
}

/* Emits every profile of image and checks its layered tree. */
static void check_every_profile(tdx_image *image)
{
    char *dir = tmpdir_new();
    for (size_t p = 1; p < tdx_image_profile_count(image); p++) {
        const char *name = tdx_image_profile_name(image, p);
        struct flat flat = FLAT_INIT;
        char *tree = emit_to(image, name, dir, name);
        flat_of(image, p, &flat);
        check_layered_tree(&flat, tree, name);
        flat_free(&flat);
        free(tree);
    }
    tmpdir_remove(dir);
}

START_TEST(profile_layers_resolve_to_the_profile)
{
    tdx_image *image = load_example(example_files[_i]);
    check_every_profile(image);
    tdx_image_free(image);
}
END_TEST

/* Extra profiles that exercise the reset paths of layering. */
START_TEST(profile_layers_that_replace)
{
    const char *json =
        "{\"name\": \"lay\", \"debloat\": {}, \"users\": [{\"name\": \"app\", \"home\": \"/var/lib/app\"}],"
        " \"files\": [{\"dest\": \"/etc/a\", \"content\": \"a\", \"owner\": \"app\", \"mode\": \"0600\"}],"
        " \"kernel\": {\"cmdline\": \"console=ttyS0 quiet\"},"
        " \"scripts\": {\"postinst\": [\"echo default\"], \"finalize\": [\"echo f\"]},"
        " \"output\": {\"format\": \"disk\"}, \"partitions\": [{\"mountpoint\": \"/\", \"fs\": \"ext4\"}],"
        " \"profiles\": {"
        "  \"more\": {\"users\": [{\"name\": \"extra\"}], \"files\": [{\"dest\": \"/etc/b\", \"content\": \"b\","
        "             \"owner\": \"extra\"}], \"kernel\": {\"cmdline\": \"console=hvc0\"},"
        "             \"debloat\": {\"enabled\": false}, \"scripts\": {\"postinst\": [\"echo more\"]},"
        "             \"install\": [\"jq\"]},"
        "  \"bigger\": {\"partitions\": [{\"mountpoint\": \"/\", \"fs\": \"ext4\", \"size\": \"8G\"},"
        "             {\"mountpoint\": \"/var\", \"fs\": \"xfs\"}], \"encryption\": {\"type\": \"luks2\","
        "             \"key_source\": \"tpm\"}, \"output\": {\"source_date_epoch\": 1700000000}},"
        "  \"plain\": {\"output\": {\"format\": \"uki\"}, \"partitions\": []}"
        " }}";
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(json, NULL, &err);

    ck_assert_msg(image != NULL, "%s", err.message);
    check_every_profile(image);
    tdx_image_free(image);
}
END_TEST

START_TEST(profiles_scope_the_trees)
{
    tdx_image *image = load_example(example_files[_i]);
    char *dir = tmpdir_new();
    char *def = emit_to(image, NULL, dir, "default");
    struct flat dflat = FLAT_INIT;

    flat_of(image, 0, &dflat);
    for (size_t p = 1; p < tdx_image_profile_count(image); p++) {
        const char *name = tdx_image_profile_name(image, p);
        struct flat pflat = FLAT_INIT;
        char *tree = emit_to(image, name, dir, name);
        char path[4096];

        flat_of(image, p, &pflat);
        /* Everything of the default tree is in the profile tree, unchanged. */
        for (size_t i = 0; i < dflat.tree.entries.n; i++) {
            const struct tree_entry *e = dflat.tree.entries.items[i];
            snprintf(path, sizeof(path), "%s/%s", tree, e->path);
            assert_disk_matches(path, e, name);
        }
        /* Nothing the profile adds or changes reaches the default tree. */
        for (size_t i = 0; i < pflat.tree.entries.n; i++) {
            const struct tree_entry *e = pflat.tree.entries.items[i];
            const struct tree_entry *d = tree_find(&dflat.tree, e->path);
            size_t dl = 0, el = 0;
            bool link;
            unsigned mode;
            char *disk, *want;
            if (d && tree_entry_equal(d, e))
                continue;
            snprintf(path, sizeof(path), "%s/%s", def, e->path);
            disk = disk_bytes(path, &dl, &link, &mode);
            want = entry_bytes(e, &el);
            ck_assert_msg(!disk || dl != el || memcmp(disk, want, dl),
                          "profile %s's %s appears in the default tree", name, e->path);
            free(disk);
            free(want);
        }
        flat_free(&pflat);
        free(tree);
    }
    {
        /* The default tree has no layers at all. */
        char path[4096];
        snprintf(path, sizeof(path), "%s/mkosi.profiles", def);
        ck_assert(!is_dir(path));
    }
    flat_free(&dflat);
    free(def);
    tmpdir_remove(dir);
    tdx_image_free(image);
}
END_TEST

START_TEST(dev_operations_stay_in_dev)
{
    tdx_image *image = load_example("examples/node.json");
    char *dir = tmpdir_new();
    char *def = emit_to(image, NULL, dir, "default"), *dev = emit_to(image, "dev", dir, "dev");
    char path[4096];
    char *conf, *layer;

    snprintf(path, sizeof(path), "%s/mkosi.conf", def);
    conf = read_text(path, NULL);
    ck_assert(!strstr(conf, "strace"));
    ck_assert(!strstr(conf, "openssh-server"));
    free(conf);
    snprintf(path, sizeof(path), "%s/mkosi.extra/etc/motd", def);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/mkosi.profiles/dev/mkosi.conf", dev);
    layer = read_text(path, NULL);
    ck_assert_contains(layer, "strace");
    ck_assert_contains(layer, "ImageId=node-dev");
    free(layer);
    snprintf(path, sizeof(path), "%s/mkosi.profiles/dev/mkosi.extra/etc/motd", dev);
    ck_assert_int_eq(access(path, F_OK), 0);
    free(def);
    free(dev);
    tmpdir_remove(dir);
    tdx_image_free(image);
}
END_TEST

START_TEST(trees_are_byte_identical)
{
    tdx_image *image = load_example(example_files[_i]);
    char *d1 = tmpdir_new(), *d2 = tmpdir_new();
    for (size_t p = 0; p < tdx_image_profile_count(image); p++) {
        const char *name = tdx_image_profile_name(image, p);
        char *a = emit_to(image, p ? name : NULL, d1, "first");
        char *b, *diff;
        /* A second image from the same file, and a different output path. */
        tdx_image *again = load_example(example_files[_i]);
        b = emit_to(again, p ? name : NULL, d2, "second-tree");
        diff = tree_diff(a, b);
        ck_assert_msg(diff == NULL, "profile %s differs: %s", name, diff);
        tmpdir_remove(a);
        tmpdir_remove(b);
        tdx_image_free(again);
    }
    tmpdir_remove(d1);
    tmpdir_remove(d2);
    tdx_image_free(image);
}
END_TEST

static void load_settings(char ***names)
{
    size_t len;
    char *text = read_text(src_path("tests/data/mkosi-settings.tsv"), &len), *save = NULL;
    ck_assert_ptr_nonnull(text);
    *names = calloc(1, sizeof(char *));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            strv_push(names, line);
    free(text);
}

START_TEST(settings_exist_in_mkosi_with_their_kind)
{
    tdx_image *image = load_example(example_files[_i]);
    char **settings = NULL;
    load_settings(&settings);
    for (size_t p = 0; p < tdx_image_profile_count(image); p++) {
        struct flat flat = FLAT_INIT;
        flat_of(image, p, &flat);
        for (size_t i = 0; i < flat.conf.settings.n; i++) {
            const struct conf_setting *s = flat.conf.settings.items[i];
            char row[256];
            snprintf(row, sizeof(row), "%s\t%s\t%s", s->section, s->key,
                     s->kind == CONF_SCALAR ? "scalar" : "list");
            ck_assert_msg(strv_contains(settings, row), "[%s] %s= (%s) is not that in mkosi 25/26",
                          s->section, s->key, s->kind == CONF_SCALAR ? "scalar" : "list");
        }
        flat_free(&flat);
    }
    strv_free(settings);
    tdx_image_free(image);
}
END_TEST

START_TEST(output_directories_are_replaced_safely)
{
    tdx_image *image = load_example("examples/minimal.json");
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *dir = tmpdir_new(), path[4096], *conf;

    /* Not empty and not ours: refused even with force. */
    write_text(dir, "precious/notes.txt", "keep me");
    snprintf(path, sizeof(path), "%s/precious", dir);
    ck_assert_int_eq(tdx_emit_mkosi(image, path, &o, &err), -EEXIST);
    ck_assert_contains(err.message, "--force");
    o.force = 1;
    ck_assert_int_eq(tdx_emit_mkosi(image, path, &o, &err), -EEXIST);
    ck_assert_contains(err.message, "not a tree emitted by tdxctl");
    snprintf(path, sizeof(path), "%s/precious/notes.txt", dir);
    ck_assert_int_eq(access(path, F_OK), 0);

    /* An empty directory is used; an emitted tree is replaced with force. */
    snprintf(path, sizeof(path), "%s/empty", dir);
    mkdir(path, 0755);
    o.force = TDX_UNSET;
    ck_assert_int_eq(tdx_emit_mkosi(image, path, &o, &err), 0);
    ck_assert_int_eq(tdx_emit_mkosi(image, path, &o, &err), -EEXIST);
    o.force = 1;
    ck_assert_int_eq(tdx_emit_mkosi(image, path, &o, &err), 0);

    /* A failing emit leaves the previous tree as it was, and no temp dirs. */
    {
        tdx_image *broken = NULL;
        char tmpl[4096], *before, *after;
        struct dirent **ents;
        int n;
        snprintf(tmpl, sizeof(tmpl), "%s/t.tmpl", dir);
        write_text(dir, "t.tmpl", "{{ defined }}");
        write_text(dir, "broken.json", "{\"templates\": [{\"dest\": \"/etc/t\", \"src\": \"t.tmpl\"}]}");
        snprintf(path, sizeof(path), "%s/broken.json", dir);
        ck_assert_int_eq(tdx_image_load_file(&broken, path, &err), 0);
        snprintf(path, sizeof(path), "%s/empty/mkosi.conf", dir);
        before = read_text(path, NULL);
        snprintf(path, sizeof(path), "%s/empty", dir);
        ck_assert_int_eq(tdx_emit_mkosi(broken, path, &o, &err), -EINVAL);
        ck_assert_contains(err.message, "undefined variable \"defined\"");
        ck_assert_contains(err.message, "t.tmpl");
        snprintf(path, sizeof(path), "%s/empty/mkosi.conf", dir);
        after = read_text(path, NULL);
        ck_assert_str_eq(before, after);
        free(before);
        free(after);
        n = scandir(dir, &ents, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            ck_assert_msg(!strstr(ents[i]->d_name, ".tmp-"), "left behind: %s", ents[i]->d_name);
            free(ents[i]);
        }
        free(ents);
        tdx_image_free(broken);
    }
    snprintf(path, sizeof(path), "%s/missing-parent/tree", dir);
    ck_assert_int_lt(tdx_emit_mkosi(image, path, &o, &err), 0);
    ck_assert_int_eq(tdx_emit_mkosi(image, dir, &(tdx_emit_options){ 1, "nope", 0, NULL, TDX_UNSET }, &err), -ENOENT);
    ck_assert_contains(err.message, "unknown profile \"nope\"; profiles: default");
    (void)conf;
    tmpdir_remove(dir);
    tdx_image_free(image);
}
END_TEST

/* network.mode in a systemd image: the default debloat list's
 * /etc/systemd/network is dropped so networkd's file stays; the recipe
 * asking for its removal itself is refused, naming the file. */
START_TEST(network_mode_keeps_networkd_config)
{
    const char *ok_json = "{\"debloat\": {}, \"network\": {\"mode\": \"dhcp\"}}";
    const char *bad_json = "{\"debloat\": {\"paths_remove_extra\": [\"/etc/systemd/network\"]},"
                           " \"network\": {\"mode\": \"dhcp\"}}";
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(ok_json, NULL, &err);
    char *dir = tmpdir_new(), path[4096], file[4200], *text;

    ck_assert_ptr_nonnull(image);
    snprintf(path, sizeof(path), "%s/t", dir);
    ck_assert_int_eq(tdx_emit_mkosi(image, path, NULL, &err), 0);
    snprintf(file, sizeof(file), "%s/mkosi.extra/etc/systemd/network/80-tdx.network", path);
    text = read_text(file, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_contains(text, "[Match]\nType=ether\n\n[Network]\nDHCP=ipv4\n");
    free(text);
    snprintf(file, sizeof(file), "%s/mkosi.finalize.d/90-debloat.sh", path);
    text = read_text(file, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(!strstr(text, "/etc/systemd/network'"), "debloat removes /etc/systemd/network");
    free(text);
    tdx_image_free(image);

    image = load_json(bad_json, NULL, &err);
    ck_assert_ptr_nonnull(image);
    snprintf(path, sizeof(path), "%s/u", dir);
    ck_assert_int_eq(tdx_emit_mkosi(image, path, NULL, &err), -EINVAL);
    ck_assert_str_eq(err.message, "debloat: removing \"/etc/systemd/network\" would delete "
                                  "\"/etc/systemd/network/80-tdx.network\" (from the image generator); "
                                  "add the path to debloat.paths_skip or move the file");
    tdx_image_free(image);
    tmpdir_remove(dir);
    /* networkd reads Name= as a pattern: one name only. */
    expect_load_error("{\"network\": {\"mode\": \"dhcp\", \"interface\": \"en*\"}}",
                      "network.interface", "expected one network interface name", NULL);
    expect_load_error("{\"network\": {\"mode\": \"dhcp\", \"interface\": \"!eth0\"}}",
                      "expected one network interface name", NULL);
}
END_TEST

START_TEST(debloat_never_deletes_recipe_files)
{
    const char *json = "{\"debloat\": {}, \"files\": [{\"dest\": \"/etc/systemd/network/80-dhcp.network\","
                       " \"content\": \"[Match]\\nName=en*\\n\"}]}";
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(json, NULL, &err);
    char *dir = tmpdir_new(), path[4096];

    ck_assert_ptr_nonnull(image);
    snprintf(path, sizeof(path), "%s/t", dir);
    ck_assert_int_eq(tdx_emit_mkosi(image, path, NULL, &err), -EINVAL);
    ck_assert_str_eq(err.message, "debloat: removing \"/etc/systemd/network\" would delete "
                                  "\"/etc/systemd/network/80-dhcp.network\" (from recipe.json: files[0]); "
                                  "add the path to debloat.paths_skip or move the file");
    tdx_image_free(image);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(awkward_values_survive_into_scripts)
{
    static const char *const values[] = { "a b", "it's", "\"q\"", "$HOME ${X} $(id)", "back\\slash",
                                          "two\nlines", "*?[]", "" };
    char *dir = tmpdir_new(), path[4096], *script, *out;
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_build_options b = TDX_BUILD_OPTIONS_INIT;
    char *env[16];
    strbuf check = STRBUF_INIT;

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        ck_assert_int_ge(asprintf(&env[i], "V%zu=%s", i, values[i]), 0);
    env[sizeof(values) / sizeof(values[0])] = NULL;
    ck_assert_int_eq(tdx_image_new(&image, NULL, &err), 0);
    b.src = src_path("tests/data/recipe-inputs/src/app");
    b.build_script = "true";
    b.env = (const char *const *)env;
    ck_assert_msg(tdx_image_add_build(image, "app", TDX_BUILD_SCRIPT, &b, &err) == 0, "%s", err.message);
    snprintf(path, sizeof(path), "%s/t", dir);
    ck_assert_msg(tdx_emit_mkosi(image, path, NULL, &err) == 0, "%s", err.message);
    snprintf(path, sizeof(path), "%s/t/mkosi.build.d/20-build-app.sh.chroot", dir);
    script = read_text(path, NULL);
    ck_assert_ptr_nonnull(script);

    /* Run the script's export lines and print what the shell got. */
    for (char *p = strstr(script, "export V"); p; p = strstr(p + 1, "export V")) {
        char *end;
        /* An export ends at the first newline outside quotes; outside
         * quotes a backslash escapes the next character (as in '\''). */
        bool quoted = false;
        for (end = p; *end && (quoted || *end != '\n'); end++) {
            if (*end == '\'')
                quoted = !quoted;
            else if (!quoted && *end == '\\' && end[1])
                end++;
        }
        strbuf_append(&check, p, (size_t)(end - p));
        strbuf_putc(&check, '\n');
    }
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        strbuf_printf(&check, "printf '%%s|' \"$V%zu\"\n", i);
    out = sh_output(strbuf_str(&check));
    {
        strbuf want = STRBUF_INIT;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
            strbuf_printf(&want, "%s|", values[i]);
        ck_assert_str_eq(out, strbuf_str(&want));
        strbuf_free(&want);
    }
    free(out);
    free(script);
    strbuf_free(&check);
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    tdx_image_free(image);
    tmpdir_remove(dir);
}
END_TEST


/* The trust boundary of a recipe from someone else: its host files come from
 * below its own directory, symlinks resolved, unless the caller allows more. */

static void assert_file(const char *dir, const char *rel, const char *text)
{
    char path[4096], *got;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    got = read_text(path, NULL);
    ck_assert_msg(got != NULL, "%s is gone", rel);
    ck_assert_str_eq(got, text);
    free(got);
}

static bool exists(const char *dir, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return access(path, F_OK) == 0;
}

/* Entries of dir that look like staging directories (".NAME.tmp-"). */
static int count_staging(const char *dir)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), found = 0;
    for (int i = 0; i < n; i++) {
        found += ents[i]->d_name[0] == '.' && strstr(ents[i]->d_name, ".tmp-") != NULL;
        free(ents[i]);
    }
    free(ents);
    return found;
}

/* --force replaces what emit wrote (the tree's record says what) and keeps
 * what a build or the user put there; it refuses, naming them, when the new
 * tree would write over such files. */
START_TEST(force_replaces_only_what_emit_wrote)
{
    tdx_image *a = new_image_with_file("/etc/stale", "old"), *b = new_image_with_file("/etc/fresh", "new");
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *dir = tmpdir_new(), out[4096], *record;

    snprintf(out, sizeof(out), "%s/tree", dir);
    o.force = 1;
    ck_assert_msg(tdx_emit_mkosi(a, out, &o, &err) == 0, "%s", err.message);
    ck_assert(exists(out, "mkosi.extra/etc/stale"));
    {
        char rec[4200];
        snprintf(rec, sizeof(rec), "%s/.tdx-emitted", out);
        record = read_text(rec, NULL);
    }
    ck_assert_ptr_nonnull(record);
    ck_assert_contains(record, "\nmkosi.conf\n");
    ck_assert_contains(record, "\nmkosi.extra/etc/stale\n");
    free(record);
    /* What an mkosi build and its user leave in the tree. */
    write_text(out, "mkosi.local.conf", "[Build]\nIncremental=yes\n");
    write_text(out, "mkosi.output/image.raw", "image");
    write_text(out, "mkosi.cache/debian/pkg.deb", "deb");
    write_text(out, "mkosi.extra/etc/mine", "user's own");

    ck_assert_msg(tdx_emit_mkosi(b, out, &o, &err) == 0, "%s", err.message);
    ck_assert(!exists(out, "mkosi.extra/etc/stale"));   /* emit's, no longer written */
    assert_file(out, "mkosi.extra/etc/fresh", "new");
    assert_file(out, "mkosi.local.conf", "[Build]\nIncremental=yes\n");
    assert_file(out, "mkosi.output/image.raw", "image");
    assert_file(out, "mkosi.cache/debian/pkg.deb", "deb");
    assert_file(out, "mkosi.extra/etc/mine", "user's own");
    ck_assert_int_eq(count_staging(dir), 0);

    /* The new tree would write where the user's file is: refused, named. */
    write_text(out, "mkosi.extra/etc/stale", "user's now");
    ck_assert_int_eq(tdx_emit_mkosi(a, out, &o, &err), -EEXIST);
    ck_assert_contains(err.message, "mkosi.extra/etc/stale");
    ck_assert_contains(err.message, "move them away first");
    assert_file(out, "mkosi.extra/etc/stale", "user's now");
    assert_file(out, "mkosi.extra/etc/fresh", "new");

    /* A tree from an emit that kept no record: replaced only when nothing
     * in it would be lost. */
    snprintf(out, sizeof(out), "%s/tree/.tdx-emitted", dir);
    ck_assert_int_eq(unlink(out), 0);
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_int_eq(tdx_emit_mkosi(b, out, &o, &err), -EEXIST);
    ck_assert_contains(err.message, "kept no record");
    ck_assert_contains(err.message, "mkosi.cache");
    assert_file(out, "mkosi.output/image.raw", "image");
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_int_eq(rm_rf_at(AT_FDCWD, out), 0);
    ck_assert_int_eq(tdx_emit_mkosi(b, out, &o, &err), 0);
    snprintf(out, sizeof(out), "%s/tree/.tdx-emitted", dir);
    ck_assert_int_eq(unlink(out), 0);
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_msg(tdx_emit_mkosi(b, out, &o, &err) == 0, "%s", err.message);
    tdx_image_free(a);
    tdx_image_free(b);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(recipe_sources_stay_in_the_recipe_directory)
{
    static const char *const recipes[][2] = {
        { "{\"files\": [{\"dest\": \"/etc/x\", \"src\": \"../outside.txt\"}]}", "files[0].src" },
        { "{\"files\": [{\"dest\": \"/etc/x\", \"src\": \"link.txt\"}]}", "files[0].src" },
        { NULL, "templates[0].src" },   /* an absolute path, made below */
        { "{\"profiles\": {\"p\": {\"files\": [{\"dest\": \"/etc/x\", \"src\": \"link.txt\"}]}}}",
          "files[0].src" },
    };
    char *dir = tmpdir_new(), rdir[600], path[700], json[800], out[700];
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;

    write_text(dir, "outside.txt", "secret");
    write_text(dir, "recipe/inside.txt", "fine");
    snprintf(rdir, sizeof(rdir), "%s/recipe", dir);
    snprintf(path, sizeof(path), "%s/outside.txt", dir);
    snprintf(json, sizeof(json), "%s/link.txt", rdir);
    ck_assert_int_eq(symlink(path, json), 0);
    for (size_t i = 0; i < ELEMENTSOF(recipes); i++) {
        tdx_image *image;
        if (recipes[i][0])
            snprintf(json, sizeof(json), "%s", recipes[i][0]);
        else
            snprintf(json, sizeof(json), "{\"templates\": [{\"dest\": \"/etc/x\", \"src\": "
                     "\"%s/outside.txt\"}]}", dir);
        write_text(rdir, "recipe.json", json);
        snprintf(path, sizeof(path), "%s/recipe.json", rdir);
        ck_assert_msg(tdx_image_load_file(&image, path, &err) == 0, "%s", err.message);
        snprintf(out, sizeof(out), "%s/out%zu", dir, i);
        o.profile = strstr(json, "profiles") ? "p" : NULL;
        o.allow_outside_src = TDX_UNSET;
        ck_assert_int_eq(tdx_emit_mkosi(image, out, &o, &err), -EACCES);
        ck_assert_contains(err.message, recipes[i][1]);
        ck_assert_contains(err.message, "is outside the recipe's directory");
        ck_assert_contains(err.message, "--allow-outside-src");
        ck_assert_int_ne(access(out, F_OK), 0);
        /* Old callers (version 1, no such field) get the boundary too. */
        o.version = 1;
        ck_assert_int_eq(tdx_emit_mkosi(image, out, &o, NULL), -EACCES);
        o.version = TDX_EMIT_OPTIONS_VERSION;
        o.allow_outside_src = 1;
        ck_assert_msg(tdx_emit_mkosi(image, out, &o, &err) == 0, "%s", err.message);
        tdx_image_free(image);
    }
    /* Inside is fine, and API-made operations are the caller's own choice. */
    {
        tdx_image *image;
        tdx_file_options f = TDX_FILE_OPTIONS_INIT;
        write_text(rdir, "recipe.json", "{\"files\": [{\"dest\": \"/etc/x\", \"src\": \"inside.txt\"}]}");
        snprintf(path, sizeof(path), "%s/recipe.json", rdir);
        ck_assert_int_eq(tdx_image_load_file(&image, path, &err), 0);
        snprintf(path, sizeof(path), "%s/outside.txt", dir);
        f.src = path;
        ck_assert_msg(tdx_image_add_file(image, "/etc/y", &f, &err) == 0, "%s", err.message);
        o.allow_outside_src = TDX_UNSET;
        o.profile = NULL;
        snprintf(out, sizeof(out), "%s/inside", dir);
        ck_assert_msg(tdx_emit_mkosi(image, out, &o, &err) == 0, "%s", err.message);
        tdx_image_free(image);
    }
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("emit");
    TCase *tc = tcase_create("trees");
    int n = (int)(sizeof(example_files) / sizeof(example_files[0]));

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, profile_layers_resolve_to_the_profile, 0, n);
    tcase_add_test(tc, profile_layers_that_replace);
    tcase_add_loop_test(tc, profiles_scope_the_trees, 0, n);
    tcase_add_test(tc, dev_operations_stay_in_dev);
    tcase_add_loop_test(tc, trees_are_byte_identical, 0, n);
    tcase_add_loop_test(tc, settings_exist_in_mkosi_with_their_kind, 0, n);
    tcase_add_test(tc, output_directories_are_replaced_safely);
    tcase_add_test(tc, recipe_sources_stay_in_the_recipe_directory);
    tcase_add_test(tc, force_replaces_only_what_emit_wrote);
    tcase_add_test(tc, debloat_never_deletes_recipe_files);
    tcase_add_test(tc, network_mode_keeps_networkd_config);
    tcase_add_test(tc, awkward_values_survive_into_scripts);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
