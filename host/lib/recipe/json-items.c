/* SPDX-License-Identifier: MIT */
/* Recipe sections that list named things: repositories, files, skeleton
 * files, templates, users, services, secrets and builds. */
#include <stdint.h>
#include <stdio.h>

#include "json-loader.h"
#include "strv.h"

/* Room for an integer given as text. */
#define NUMBER_TEXT 32

static int repository_one(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_repository_options o = TDX_REPOSITORY_OPTIONS_INIT;
    _cleanup_free_ const char **components = NULL;
    const char *name = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("name", "url", "suite", "components", "keyring"))) < 0 ||
        (r = jr_string(R, v, path, "name", JR_REQUIRED, NULL, &name)) < 0 ||
        (r = jr_string(R, v, path, "url", JR_REQUIRED, NULL, &o.url)) < 0 ||
        (r = jr_string(R, v, path, "suite", JR_REQUIRED, NULL, &o.suite)) < 0 ||
        (r = jr_string(R, v, path, "keyring", JR_REQUIRED, NULL, &o.keyring)) < 0 ||
        (r = jr_strv(R, v, path, "components", 0, 0, LIST_MAX, NULL, &components)) < 0)
        return r;
    o.components = components;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_repository(L->image, name, &o, L->err));
}

int sec_repositories(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, repository_one);
}

static int file_like(struct loader *L, json_t *v, const char *path, bool skeleton)
{
    struct json_reader *R = &L->R;
    tdx_file_options o = TDX_FILE_OPTIONS_INIT;
    const char *dest = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("dest", "content", "src", "mode", "owner", "group"))) < 0 ||
        (r = jr_string(R, v, path, "dest", JR_REQUIRED, NULL, &dest)) < 0 ||
        (r = jr_string(R, v, path, "content", 0, NULL, &o.content)) < 0 ||
        (r = jr_string(R, v, path, "src", 0, NULL, &o.src)) < 0 ||
        (r = jr_mode(R, v, path, "mode", 0, &o.mode)) < 0 ||
        (r = jr_string(R, v, path, "owner", 0, NULL, &o.owner)) < 0 ||
        (r = jr_string(R, v, path, "group", 0, NULL, &o.group)) < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, skeleton ? tdx_image_add_skeleton(L->image, dest, &o, L->err)
                                   : tdx_image_add_file(L->image, dest, &o, L->err));
}

static int file_one(struct loader *L, json_t *v, const char *path)
{
    return file_like(L, v, path, false);
}

static int skeleton_one(struct loader *L, json_t *v, const char *path)
{
    return file_like(L, v, path, true);
}

int sec_files(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, file_one);
}

int sec_skeleton(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, skeleton_one);
}

/* A template variable or unit setting may be a string, an integer or a
 * boolean; integers are written into buf (NUMBER_TEXT bytes). */
static int scalar_text(struct loader *L, json_t *v, const char *path, char *buf,
                       const char **out)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *out = json_string_value(v);
        return 0;
    case JSON_INTEGER:
        snprintf(buf, NUMBER_TEXT, "%lld", (long long)json_integer_value(v));
        *out = buf;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = json_is_true(v) ? "true" : "false";
        return 0;
    default:
        return jr_fail(&L->R, path, "expected a string, an integer or a boolean, got %s",
                       jr_type_name(v));
    }
}

static int template_one(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_template_options o = TDX_TEMPLATE_OPTIONS_INIT;
    _cleanup_free_ tdx_template_var *vars = NULL;
    _cleanup_free_ char *numbers = NULL;
    const char *dest = NULL, *src = NULL, *key;
    json_t *jv = NULL, *e;
    size_t n = 0;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("dest", "src", "vars", "mode", "owner", "group"))) < 0 ||
        (r = jr_string(R, v, path, "dest", JR_REQUIRED, NULL, &dest)) < 0 ||
        (r = jr_string(R, v, path, "src", JR_REQUIRED, NULL, &src)) < 0 ||
        (r = jr_mode(R, v, path, "mode", 0, &o.mode)) < 0 ||
        (r = jr_string(R, v, path, "owner", 0, NULL, &o.owner)) < 0 ||
        (r = jr_string(R, v, path, "group", 0, NULL, &o.group)) < 0 ||
        (r = jr_object(R, v, path, "vars", 0, 1024, &jv)) < 0)
        return r;
    if (jv) {
        char where[JR_PATH_MAX], ew[JR_PATH_MAX];
        jr_path_key(where, path, "vars");
        vars = calloc(json_object_size(jv) + 1, sizeof(*vars));
        numbers = calloc(json_object_size(jv) + 1, NUMBER_TEXT);
        if (!vars || !numbers)
            return jr_oom(R);
        json_object_foreach(jv, key, e) {
            r = scalar_text(L, e, jr_path_key(ew, where, key), numbers + NUMBER_TEXT * n,
                            &vars[n].value);
            if (r < 0)
                return r;
            vars[n++].name = key;
        }
    }
    o.vars = vars;
    o.n_vars = n;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_template(L->image, dest, src, &o, L->err));
}

int sec_templates(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, template_one);
}

static int user_one(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_user_options o = TDX_USER_OPTIONS_INIT;
    _cleanup_free_ const char **groups = NULL;
    const char *name = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("name", "system", "uid", "home", "shell", "groups"))) < 0 ||
        (r = jr_string(R, v, path, "name", JR_REQUIRED, NULL, &name)) < 0 ||
        (r = jr_bool(R, v, path, "system", 0, &o.system)) < 0 ||
        (r = jr_int(R, v, path, "uid", 0, 1, 60000, &o.uid)) < 0 ||
        (r = jr_string(R, v, path, "home", 0, NULL, &o.home)) < 0 ||
        (r = jr_string(R, v, path, "shell", 0, NULL, &o.shell)) < 0 ||
        (r = jr_strv(R, v, path, "groups", 0, 0, LIST_MAX, NULL, &groups)) < 0)
        return r;
    o.groups = groups;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_user(L->image, name, &o, L->err));
}

int sec_users(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, user_one);
}

#define UNIT_SETTINGS_MAX 256

/* "unit": {"Service": {"MemoryMax": "8G", "Environment": ["A=1", "B=2"]}}
 * into list (room for UNIT_SETTINGS_MAX) and numbers (as many NUMBER_TEXT). */
static int unit_settings(struct loader *L, json_t *unit, const char *path, tdx_unit_setting *list,
                         char *numbers, size_t *n_out)
{
    struct json_reader *R = &L->R;
    const char *section, *key;
    json_t *sv, *kv;
    size_t n = 0;
    int r;

    if ((r = jr_keys(R, unit, path, ALLOWED("Unit", "Service", "Install"))) < 0)
        return r;
    json_object_foreach(unit, section, sv) {
        char sw[JR_PATH_MAX], kw[JR_PATH_MAX], ew[JR_PATH_MAX];
        jr_path_key(sw, path, section);
        if ((r = jr_object(R, sv, sw, NULL, JR_REQUIRED, SIZE_MAX, &sv)) < 0)
            return r;
        json_object_foreach(sv, key, kv) {
            json_t *items = json_is_array(kv) ? kv : NULL;
            size_t count = items ? json_array_size(items) : 1;
            jr_path_key(kw, sw, key);
            for (size_t i = 0; i < count; i++) {
                if (n >= UNIT_SETTINGS_MAX)
                    return jr_fail(R, path, "expected at most %d settings", UNIT_SETTINGS_MAX);
                list[n].section = section;
                list[n].key = key;
                r = scalar_text(L, items ? json_array_get(items, i) : kv,
                                items ? jr_path_index(ew, kw, i) : kw, numbers + NUMBER_TEXT * n,
                                &list[n].value);
                if (r < 0)
                    return r;
                n++;
            }
        }
    }
    *n_out = n;
    return 0;
}

static int service_one(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_service_options o = TDX_SERVICE_OPTIONS_INIT;
    _cleanup_free_ const char **after = NULL, **requires = NULL, **wants = NULL, **wanted_by = NULL;
    _cleanup_free_ tdx_unit_setting *extra = NULL;
    _cleanup_free_ char *numbers = NULL;
    const char *name = NULL;
    json_t *unit = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("name", "exec", "description", "type", "after",
                                         "requires", "wants", "wanted_by", "restart", "user",
                                         "group", "unit"))) < 0 ||
        (r = jr_string(R, v, path, "name", JR_REQUIRED, NULL, &name)) < 0 ||
        (r = jr_string(R, v, path, "exec", 0, NULL, &o.exec)) < 0 ||
        (r = jr_string(R, v, path, "description", 0, NULL, &o.description)) < 0 ||
        (r = jr_string(R, v, path, "type", 0, NULL, &o.type)) < 0 ||
        (r = jr_strv(R, v, path, "after", 0, 0, LIST_MAX, NULL, &after)) < 0 ||
        (r = jr_strv(R, v, path, "requires", 0, 0, LIST_MAX, NULL, &requires)) < 0 ||
        (r = jr_strv(R, v, path, "wants", 0, 0, LIST_MAX, NULL, &wants)) < 0 ||
        (r = jr_strv(R, v, path, "wanted_by", 0, 0, LIST_MAX, NULL, &wanted_by)) < 0 ||
        (r = jr_string(R, v, path, "restart", 0, NULL, &o.restart)) < 0 ||
        (r = jr_string(R, v, path, "user", 0, NULL, &o.user)) < 0 ||
        (r = jr_string(R, v, path, "group", 0, NULL, &o.group)) < 0 ||
        (r = jr_object(R, v, path, "unit", 0, SIZE_MAX, &unit)) < 0)
        return r;
    if (unit) {
        char where[JR_PATH_MAX];
        extra = calloc(UNIT_SETTINGS_MAX, sizeof(*extra));
        numbers = calloc(UNIT_SETTINGS_MAX, NUMBER_TEXT);
        if (!extra || !numbers)
            return jr_oom(R);
        r = unit_settings(L, unit, jr_path_key(where, path, "unit"), extra, numbers, &o.n_extra);
        if (r < 0)
            return r;
        o.extra = extra;
    }
    o.after = after;
    o.requires = requires;
    o.wants = wants;
    o.wanted_by = wanted_by;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_service(L->image, name, &o, L->err));
}

int sec_services(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, service_one);
}

static int secret_schema(struct loader *L, json_t *schema, const char *path, tdx_secret_options *o)
{
    static const char *const kinds[] = { "string", "hex", "base64", "json", NULL };
    struct json_reader *R = &L->R;
    int r;

    if ((r = jr_keys(R, schema, path, ALLOWED("kind", "min_length", "max_length", "pattern"))) < 0 ||
        (r = jr_enum(R, schema, path, "kind", 0, kinds, &o->kind)) < 0 ||
        (r = jr_int(R, schema, path, "min_length", 0, 0, 1048576, &o->min_length)) < 0 ||
        (r = jr_int(R, schema, path, "max_length", 0, 1, 1048576, &o->max_length)) < 0 ||
        (r = jr_string(R, schema, path, "pattern", 0, NULL, &o->pattern)) < 0)
        return r;
    return 0;
}

/* targets: [{"file": PATH} | {"env": NAME, "scope": SCOPE}]: the file (at
 * most one; dest is its shorthand) into o->dest, the rest into env. */
static int secret_targets(struct loader *L, json_t *v, const char *path, tdx_secret_options *o,
                          tdx_secret_env *env)
{
    struct json_reader *R = &L->R;
    char base[JR_PATH_MAX], where[JR_PATH_MAX];
    json_t *list, *e;
    size_t i;
    int r;

    if ((r = jr_array(R, v, path, "targets", 0, 1, 17, &list)) <= 0)
        return r;
    jr_path_key(base, path, "targets");
    json_array_foreach(list, i, e) {
        const char *file = NULL;
        jr_path_index(where, base, i);
        if ((r = jr_object(R, e, where, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
            (r = jr_keys(R, e, where, ALLOWED("file", "env", "scope"))) < 0 ||
            (r = jr_string(R, e, where, "file", 0, NULL, &file)) < 0 ||
            (r = jr_string(R, e, where, "env", 0, NULL, &env[o->n_env].name)) < 0 ||
            (r = jr_string(R, e, where, "scope", 0, NULL, &env[o->n_env].scope)) < 0)
            return r;
        if (!file == !env[o->n_env].name)
            return jr_fail(R, where, "expected either \"file\" or \"env\"");
        if (file && env[o->n_env].scope)
            return jr_fail(R, where, "scope: only for an \"env\" target");
        if (file && o->dest)
            return jr_fail(R, where, "file: a secret has one file (dest is its shorthand); "
                           "deliver another secret for a second file");
        if (file)
            o->dest = file;
        else if (o->n_env == 16)
            return jr_fail(R, where, "expected at most 16 environment targets");
        else
            o->n_env++;
    }
    o->env = env;
    return 1;
}

static int secret_one(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_secret_options o = TDX_SECRET_OPTIONS_INIT;
    tdx_secret_env env[17] = { { NULL, NULL } };
    const char *name = NULL;
    json_t *schema = NULL;
    char where[JR_PATH_MAX];
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("name", "dest", "owner", "group", "mode", "required",
                                         "description", "schema", "dir_mode", "dir_owner",
                                         "dir_group", "targets"))) < 0 ||
        (r = jr_string(R, v, path, "name", JR_REQUIRED, NULL, &name)) < 0 ||
        (r = jr_string(R, v, path, "dest", 0, NULL, &o.dest)) < 0 ||
        (r = jr_string(R, v, path, "owner", 0, NULL, &o.owner)) < 0 ||
        (r = jr_string(R, v, path, "group", 0, NULL, &o.group)) < 0 ||
        (r = jr_mode(R, v, path, "mode", 0, &o.mode)) < 0 ||
        (r = jr_bool(R, v, path, "required", 0, &o.required)) < 0 ||
        (r = jr_string(R, v, path, "description", 0, NULL, &o.description)) < 0 ||
        (r = jr_mode(R, v, path, "dir_mode", 0, &o.dir_mode)) < 0 ||
        (r = jr_string(R, v, path, "dir_owner", 0, NULL, &o.dir_owner)) < 0 ||
        (r = jr_string(R, v, path, "dir_group", 0, NULL, &o.dir_group)) < 0 ||
        (r = jr_object(R, v, path, "schema", 0, SIZE_MAX, &schema)) < 0 ||
        (r = secret_targets(L, v, path, &o, env)) < 0)
        return r;
    if (schema && (r = secret_schema(L, schema, jr_path_key(where, path, "schema"), &o)) < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_secret(L->image, name, &o, L->err));
}

int sec_secrets(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, secret_one);
}

#define ARTIFACTS_MAX 256

/* "artifacts": {"build/path": "/image/path"} */
static int build_artifacts(struct loader *L, json_t *arts, const char *path,
                           tdx_build_artifact **out, size_t *n_out)
{
    char ew[JR_PATH_MAX];
    const char *key;
    json_t *e;
    size_t n = 0;
    int r;

    *out = calloc(json_object_size(arts) + 1, sizeof(**out));
    if (!*out)
        return jr_oom(&L->R);
    json_object_foreach(arts, key, e) {
        if ((r = jr_string(&L->R, e, jr_path_key(ew, path, key), NULL, JR_REQUIRED, NULL,
                           &(*out)[n].to)) < 0)
            return r;
        (*out)[n++].from = key;
    }
    *n_out = n;
    return 0;
}

/* "env": {"NAME": value} as NAME=value strings. */
static int build_env(struct loader *L, json_t *jenv, const char *path, char ***env)
{
    char ew[JR_PATH_MAX], num[NUMBER_TEXT], *a;
    const char *key, *val;
    json_t *e;
    int r;

    *env = calloc(1, sizeof(char *));
    if (!*env)
        return jr_oom(&L->R);
    json_object_foreach(jenv, key, e) {
        if ((r = scalar_text(L, e, jr_path_key(ew, path, key), num, &val)) < 0)
            return r;
        if (asprintf(&a, "%s=%s", key, val) < 0 || strv_push_take(env, a) < 0)
            return jr_oom(&L->R);
    }
    return 0;
}

static int build_one(struct loader *L, json_t *v, const char *path)
{
    static const char *const kinds[] = { "go", "rust", "dotnet", "c", "script", NULL };
    struct json_reader *R = &L->R;
    tdx_build_options o = TDX_BUILD_OPTIONS_INIT;
    _cleanup_free_ const char **features = NULL, **deps = NULL;
    _cleanup_free_ tdx_build_artifact *artifacts = NULL;
    _cleanup_strv_free_ char **env = NULL;
    json_t *tc = NULL, *arts = NULL, *jenv = NULL;
    char where[JR_PATH_MAX];
    const char *name = NULL;
    int r, kind = 0;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("name", "kind", "src", "toolchain", "output", "target",
                                         "ldflags", "features", "self_contained", "build_script",
                                         "artifacts", "build_deps", "env", "reproducible"))) < 0 ||
        (r = jr_string(R, v, path, "name", JR_REQUIRED, NULL, &name)) < 0 ||
        (r = jr_enum(R, v, path, "kind", JR_REQUIRED, kinds, &kind)) < 0 ||
        (r = jr_string(R, v, path, "src", 0, NULL, &o.src)) < 0 ||
        (r = jr_string(R, v, path, "output", 0, NULL, &o.output)) < 0 ||
        (r = jr_string(R, v, path, "target", 0, NULL, &o.target)) < 0 ||
        (r = jr_string(R, v, path, "ldflags", 0, NULL, &o.ldflags)) < 0 ||
        (r = jr_strv(R, v, path, "features", 0, 0, LIST_MAX, NULL, &features)) < 0 ||
        (r = jr_bool(R, v, path, "self_contained", 0, &o.self_contained)) < 0 ||
        (r = jr_string(R, v, path, "build_script", 0, NULL, &o.build_script)) < 0 ||
        (r = jr_strv(R, v, path, "build_deps", 0, 0, LIST_MAX, NULL, &deps)) < 0 ||
        (r = jr_bool(R, v, path, "reproducible", 0, &o.reproducible)) < 0 ||
        (r = jr_object(R, v, path, "toolchain", 0, SIZE_MAX, &tc)) < 0 ||
        (r = jr_object(R, v, path, "artifacts", 0, ARTIFACTS_MAX, &arts)) < 0 ||
        (r = jr_object(R, v, path, "env", 0, LIST_MAX, &jenv)) < 0)
        return r;
    if (tc) {
        jr_path_key(where, path, "toolchain");
        if ((r = jr_keys(R, tc, where, ALLOWED("version", "url", "sha256"))) < 0 ||
            (r = jr_string(R, tc, where, "version", 0, NULL, &o.toolchain_version)) < 0 ||
            (r = jr_string(R, tc, where, "url", 0, NULL, &o.toolchain_url)) < 0 ||
            (r = jr_string(R, tc, where, "sha256", 0, NULL, &o.toolchain_sha256)) < 0)
            return r;
    }
    if (arts && (r = build_artifacts(L, arts, jr_path_key(where, path, "artifacts"), &artifacts,
                                     &o.n_artifacts)) < 0)
        return r;
    if (jenv && (r = build_env(L, jenv, jr_path_key(where, path, "env"), &env)) < 0)
        return r;
    o.features = features;
    o.build_deps = deps;
    o.artifacts = artifacts;
    o.env = (const char *const *)env;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_build(L->image, name, (tdx_build_kind)(kind + 1), &o,
                                              L->err));
}

int sec_builds(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, build_one);
}
