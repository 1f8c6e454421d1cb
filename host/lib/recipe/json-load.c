/* SPDX-License-Identifier: MIT */
/*
 * JSON recipe files (docs/recipe.md) mapped onto the C API.
 *
 * Every operation gets the JSON location it came from as its origin, so API
 * validation errors read "recipe.json: services[2].restart: ...". Keys are
 * applied in a fixed order (the table below), not in file order, so that a
 * recipe means the same thing however its keys are arranged.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"
#include "fileio.h"
#include "model.h"
#include "validate.h"
#include "wire.h"

#define RECIPE_FILE_MAX (16 * 1024 * 1024)
#define INCLUDE_DEPTH_MAX 16
#define LIST_MAX 65536

struct loader {
    tdx_image *image;
    const char *file;   /* file name as shown in messages */
    const char *dir;    /* directory relative paths resolve against */
    tdx_error *err;
    bool in_profile;    /* applying a profile block (no nested profiles) */
    bool top;           /* the file that created the image (may set "name") */
};

typedef int (*section_fn)(struct loader *L, json_t *v, const char *path);

static int lerr(struct loader *L, int code, const char *path, const char *fmt, ...)
    _printf_(4, 5);
static int lerr(struct loader *L, int code, const char *path, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (isempty(path))
        return tdx_err(L->err, code, "%s: %s", L->file, msg);
    return tdx_err(L->err, code, "%s: %s: %s", L->file, path, msg);
}

static int expect(struct loader *L, json_t *v, json_type t, const char *what, const char *path)
{
    if (json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v)))
        return 0;
    return lerr(L, -EINVAL, path, "expected %s, got %s", what, wire_type_name(v));
}

/* JSON paths are cut at the buffer size; messages stay one line anyway. */
static void join(char *buf, size_t size, const char *path, const char *key)
{
    int n = isempty(path) ? snprintf(buf, size, "%s", key)
                          : snprintf(buf, size, "%.400s.%.100s", path, key);
    (void)n;
}

static void joini(char *buf, size_t size, const char *path, size_t i)
{
    snprintf(buf, size, "%s[%zu]", path, i);
}

/* Edit distance, for "did you mean" on unknown keys. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static int check_keys(struct loader *L, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) {
        char where[512], choices[300];
        size_t best = 99;
        const char *hint = NULL;

        if (string_index(key, allowed) >= 0)
            continue;
        for (size_t i = 0; allowed[i]; i++) {
            size_t d = distance(key, allowed[i]);
            if (d < best) {
                best = d;
                hint = allowed[i];
            }
        }
        join(where, sizeof(where), path, key);
        if (hint && best <= 2)
            return lerr(L, -EINVAL, where, "unknown key; did you mean \"%s\"?", hint);
        format_choices(allowed, choices, sizeof(choices));
        return lerr(L, -EINVAL, where, "unknown key; expected %s", choices);
    }
    return 0;
}

/* Optional typed members. Missing or null leaves the output untouched. */
static int opt_string(struct loader *L, json_t *obj, const char *key, const char *path,
                      const char **out)
{
    json_t *v = json_object_get(obj, key);
    char where[512];
    if (!v || json_is_null(v))
        return 0;
    join(where, sizeof(where), path, key);
    if (expect(L, v, JSON_STRING, "a string", where) < 0)
        return -EINVAL;
    *out = json_string_value(v);
    return 0;
}

static int req_string(struct loader *L, json_t *obj, const char *key, const char *path,
                      const char **out)
{
    char where[512];
    *out = NULL;
    if (opt_string(L, obj, key, path, out) < 0)
        return -EINVAL;
    if (!*out) {
        join(where, sizeof(where), path, key);
        return lerr(L, -EINVAL, where, "required");
    }
    return 0;
}

static int opt_bool(struct loader *L, json_t *obj, const char *key, const char *path, int *out)
{
    json_t *v = json_object_get(obj, key);
    char where[512];
    if (!v || json_is_null(v))
        return 0;
    join(where, sizeof(where), path, key);
    if (!json_is_boolean(v))
        return lerr(L, -EINVAL, where, "expected a boolean, got %s", wire_type_name(v));
    *out = json_is_true(v);
    return 0;
}

static int opt_int(struct loader *L, json_t *obj, const char *key, const char *path,
                   long long min, long long max, long long *out)
{
    json_t *v = json_object_get(obj, key);
    char where[512];
    if (!v || json_is_null(v))
        return 0;
    join(where, sizeof(where), path, key);
    if (!json_is_integer(v))
        return lerr(L, -EINVAL, where, "expected an integer, got %s", wire_type_name(v));
    if (json_integer_value(v) < min || json_integer_value(v) > max)
        return lerr(L, -EINVAL, where, "expected an integer from %lld to %lld, got %lld", min,
                    max, (long long)json_integer_value(v));
    *out = json_integer_value(v);
    return 0;
}

static int opt_mode(struct loader *L, json_t *obj, const char *key, const char *path, int *out)
{
    json_t *v = json_object_get(obj, key);
    char where[512];
    const char *s;
    long m = 0;
    if (!v || json_is_null(v))
        return 0;
    join(where, sizeof(where), path, key);
    if (!json_is_string(v))
        return lerr(L, -EINVAL, where, "expected a string of octal digits such as \"0644\", got %s",
                    wire_type_name(v));
    s = json_string_value(v);
    if (strlen(s) < 3 || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
        return lerr(L, -EINVAL, where, "expected 3 or 4 octal digits such as \"0644\"; got \"%.16s\"",
                    s);
    for (const char *p = s; *p; p++)
        m = m * 8 + (*p - '0');
    *out = (int)m;
    return 0;
}

/* A JSON array of strings as a NULL-terminated array of borrowed pointers
 * (free the array only). */
static int array_strv(struct loader *L, json_t *v, const char *where, const char ***out)
{
    char ewhere[540];
    const char **list;
    json_t *e;
    size_t i;

    if (expect(L, v, JSON_ARRAY, "an array of strings", where) < 0)
        return -EINVAL;
    if (json_array_size(v) > LIST_MAX)
        return lerr(L, -EINVAL, where, "more than %d entries", LIST_MAX);
    list = calloc(json_array_size(v) + 1, sizeof(char *));
    if (!list)
        return tdx_err_oom(L->err);
    json_array_foreach(v, i, e) {
        joini(ewhere, sizeof(ewhere), where, i);
        if (expect(L, e, JSON_STRING, "a string", ewhere) < 0) {
            free(list);
            return -EINVAL;
        }
        list[i] = json_string_value(e);
    }
    *out = list;
    return 0;
}

/* Optional string-list member; missing or null gives NULL. */
static int opt_strv(struct loader *L, json_t *obj, const char *key, const char *path,
                    const char ***out)
{
    json_t *v = json_object_get(obj, key);
    char where[512];

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    join(where, sizeof(where), path, key);
    return array_strv(L, v, where, out);
}

static void set_origin(struct loader *L, const char *path)
{
    free(L->image->next_origin);
    if (asprintf(&L->image->next_origin, "%s: %s", L->file, path) < 0)
        L->image->next_origin = NULL;
}

/* Runs after every API call: a call that failed before creating its op must
 * not leave the origin for the next one. */
static int done(struct loader *L, int r)
{
    free(L->image->next_origin);
    L->image->next_origin = NULL;
    return r;
}

#define ALLOWED(...) (const char *const[]){ __VA_ARGS__, NULL }

/* ------------------------------------------------------------------------ */

static int load_scalar(struct loader *L, json_t *v, const char *path,
                       int (*fn)(tdx_image *, const char *, tdx_error *))
{
    if (expect(L, v, JSON_STRING, "a string", path) < 0)
        return -EINVAL;
    set_origin(L, path);
    return done(L, fn(L->image, json_string_value(v), L->err));
}

static int sec_base(struct loader *L, json_t *v, const char *path)
{
    return load_scalar(L, v, path, tdx_image_set_base);
}

static int sec_mirror(struct loader *L, json_t *v, const char *path)
{
    return load_scalar(L, v, path, tdx_image_set_mirror);
}

static int sec_init(struct loader *L, json_t *v, const char *path)
{
    return load_scalar(L, v, path, tdx_image_set_init);
}

static int sec_default_target(struct loader *L, json_t *v, const char *path)
{
    return load_scalar(L, v, path, tdx_image_set_default_target);
}

static int sec_firmware(struct loader *L, json_t *v, const char *path)
{
    return load_scalar(L, v, path, tdx_image_set_firmware);
}

/* Native-image keys that live in other sections (kernel.modules, network.mode,
 * ...) and the "native" and "agent" sections: all go to tdx_image_set_native().
 * Only the keys in @p keys (NULL-terminated) are read from object v. */
static int native_keys_v(struct loader *L, json_t *v, const char *path, const char *const *keys)
{
    tdx_native_options o = TDX_NATIVE_OPTIONS_INIT;
    _cleanup_free_ const char **modules = NULL, **exclude = NULL, **dns = NULL;
    bool any = false;

    for (const char *const *k = keys; *k; k++)
        if (json_object_get(v, *k))
            any = true;
    if (!any)
        return 0;
    for (const char *const *k = keys; *k; k++) {
        int r = 0;
        if (streq(*k, "modules"))
            r = opt_strv(L, v, "modules", path, &modules);
        else if (streq(*k, "exclude"))
            r = opt_strv(L, v, "exclude", path, &exclude);
        else if (streq(*k, "dns"))
            r = opt_strv(L, v, "dns", path, &dns);
        else if (streq(*k, "compression"))
            r = opt_string(L, v, "compression", path, &o.compression);
        else if (streq(*k, "test_provider"))
            r = opt_bool(L, v, "test_provider", path, &o.test_provider);
        else if (streq(*k, "mode"))
            r = opt_string(L, v, "mode", path, &o.network_mode);
        else if (streq(*k, "interface"))
            r = opt_string(L, v, "interface", path, &o.network_interface);
        else if (streq(*k, "address"))
            r = opt_string(L, v, "address", path, &o.network_address);
        else if (streq(*k, "gateway"))
            r = opt_string(L, v, "gateway", path, &o.network_gateway);
        if (r < 0)
            return -EINVAL;
    }
    o.modules = modules;
    o.exclude = exclude;
    o.network_dns = dns;
    set_origin(L, path);
    return done(L, tdx_image_set_native(L->image, &o, L->err));
}
#define native_keys(L, v, path, ...) native_keys_v(L, v, path, ALLOWED(__VA_ARGS__))

static int sec_native(struct loader *L, json_t *v, const char *path)
{
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("exclude", "compression")) < 0)
        return -EINVAL;
    return native_keys(L, v, path, "exclude", "compression");
}

static int sec_agent(struct loader *L, json_t *v, const char *path)
{
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("test_provider")) < 0)
        return -EINVAL;
    return native_keys(L, v, path, "test_provider");
}

static int sec_kernel(struct loader *L, json_t *v, const char *path)
{
    tdx_kernel_options o = TDX_KERNEL_OPTIONS_INIT;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("package", "suite", "version", "url", "sha256",
                                       "config_file", "cmdline", "modules")) < 0 ||
        opt_string(L, v, "package", path, &o.package) < 0 ||
        opt_string(L, v, "suite", path, &o.suite) < 0 ||
        opt_string(L, v, "version", path, &o.source_version) < 0 ||
        opt_string(L, v, "url", path, &o.source_url) < 0 ||
        opt_string(L, v, "sha256", path, &o.source_sha256) < 0 ||
        opt_string(L, v, "config_file", path, &o.config_file) < 0 ||
        opt_string(L, v, "cmdline", path, &o.cmdline) < 0)
        return -EINVAL;
    set_origin(L, path);
    if (done(L, tdx_image_set_kernel(L->image, &o, L->err)) < 0)
        return -EINVAL;
    return native_keys(L, v, path, "modules");
}

static int sec_output(struct loader *L, json_t *v, const char *path)
{
    tdx_output_options o = TDX_OUTPUT_OPTIONS_INIT;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("format", "image_version", "seed", "source_date_epoch",
                                       "docs", "tools_tree")) < 0 ||
        opt_string(L, v, "format", path, &o.format) < 0 ||
        opt_string(L, v, "image_version", path, &o.image_version) < 0 ||
        opt_string(L, v, "seed", path, &o.seed) < 0 ||
        opt_int(L, v, "source_date_epoch", path, 0, 253402300799LL, &o.source_date_epoch) < 0 ||
        opt_bool(L, v, "docs", path, &o.docs) < 0 ||
        opt_bool(L, v, "tools_tree", path, &o.tools_tree) < 0)
        return -EINVAL;
    set_origin(L, path);
    return done(L, tdx_image_set_output(L->image, &o, L->err));
}

static int sec_install(struct loader *L, json_t *v, const char *path)
{
    _cleanup_free_ const char **list = NULL;
    int r = array_strv(L, v, path, &list);
    if (r < 0)
        return r;
    set_origin(L, path);
    return done(L, tdx_image_install(L->image, list, L->err));
}

/* Calls fn for each element of an array section, with its path. */
static int each(struct loader *L, json_t *v, const char *path, const char *what,
                int (*fn)(struct loader *, json_t *, const char *))
{
    char where[512];
    json_t *e;
    size_t i;
    int r;

    if (expect(L, v, JSON_ARRAY, what, path) < 0)
        return -EINVAL;
    if (json_array_size(v) > LIST_MAX)
        return lerr(L, -EINVAL, path, "more than %d entries", LIST_MAX);
    json_array_foreach(v, i, e) {
        joini(where, sizeof(where), path, i);
        r = fn(L, e, where);
        if (r < 0)
            return r;
    }
    return 0;
}

static int repository_one(struct loader *L, json_t *v, const char *path)
{
    tdx_repository_options o = TDX_REPOSITORY_OPTIONS_INIT;
    _cleanup_free_ const char **components = NULL;
    const char *name;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("name", "url", "suite", "components", "keyring")) < 0 ||
        req_string(L, v, "name", path, &name) < 0 ||
        req_string(L, v, "url", path, &o.url) < 0 ||
        req_string(L, v, "suite", path, &o.suite) < 0 ||
        req_string(L, v, "keyring", path, &o.keyring) < 0 ||
        opt_strv(L, v, "components", path, &components) < 0)
        return -EINVAL;
    o.components = components;
    set_origin(L, path);
    return done(L, tdx_image_add_repository(L->image, name, &o, L->err));
}

static int sec_repositories(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of repositories", repository_one);
}

static int file_like(struct loader *L, json_t *v, const char *path, bool skeleton)
{
    tdx_file_options o = TDX_FILE_OPTIONS_INIT;
    const char *dest;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("dest", "content", "src", "mode", "owner", "group")) < 0 ||
        req_string(L, v, "dest", path, &dest) < 0 ||
        opt_string(L, v, "content", path, &o.content) < 0 ||
        opt_string(L, v, "src", path, &o.src) < 0 ||
        opt_mode(L, v, "mode", path, &o.mode) < 0 ||
        opt_string(L, v, "owner", path, &o.owner) < 0 ||
        opt_string(L, v, "group", path, &o.group) < 0)
        return -EINVAL;
    set_origin(L, path);
    return done(L, skeleton ? tdx_image_add_skeleton(L->image, dest, &o, L->err)
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

static int sec_files(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of files", file_one);
}

static int sec_skeleton(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of files", skeleton_one);
}

/* Scalars a template variable or unit value may be given as, as text. */
static int scalar_text(struct loader *L, json_t *v, const char *path, char *buf, size_t size,
                       const char **out)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *out = json_string_value(v);
        return 0;
    case JSON_INTEGER:
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        *out = buf;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = json_is_true(v) ? "true" : "false";
        return 0;
    default:
        return lerr(L, -EINVAL, path, "expected a string, an integer or a boolean, got %s",
                    wire_type_name(v));
    }
}

static int template_one(struct loader *L, json_t *v, const char *path)
{
    tdx_template_options o = TDX_TEMPLATE_OPTIONS_INIT;
    _cleanup_free_ tdx_template_var *vars = NULL;
    _cleanup_free_ char *numbers = NULL;
    const char *dest, *src, *key;
    json_t *jv, *e;
    size_t n = 0;
    int r;

    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("dest", "src", "vars", "mode", "owner", "group")) < 0 ||
        req_string(L, v, "dest", path, &dest) < 0 ||
        req_string(L, v, "src", path, &src) < 0 ||
        opt_mode(L, v, "mode", path, &o.mode) < 0 ||
        opt_string(L, v, "owner", path, &o.owner) < 0 ||
        opt_string(L, v, "group", path, &o.group) < 0)
        return -EINVAL;
    jv = json_object_get(v, "vars");
    if (jv && !json_is_null(jv)) {
        char where[512];
        join(where, sizeof(where), path, "vars");
        if (expect(L, jv, JSON_OBJECT, "an object", where) < 0)
            return -EINVAL;
        if (json_object_size(jv) > 1024)
            return lerr(L, -EINVAL, where, "more than 1024 variables");
        vars = calloc(json_object_size(jv) + 1, sizeof(*vars));
        numbers = calloc(json_object_size(jv) + 1, 32);
        if (!vars || !numbers)
            return tdx_err_oom(L->err);
        json_object_foreach(jv, key, e) {
            char ew[600];
            join(ew, sizeof(ew), where, key);
            r = scalar_text(L, e, ew, numbers + 32 * n, 32, &vars[n].value);
            if (r < 0)
                return r;
            vars[n++].name = key;
        }
    }
    o.vars = vars;
    o.n_vars = n;
    set_origin(L, path);
    return done(L, tdx_image_add_template(L->image, dest, src, &o, L->err));
}

static int sec_templates(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of templates", template_one);
}

static int user_one(struct loader *L, json_t *v, const char *path)
{
    tdx_user_options o = TDX_USER_OPTIONS_INIT;
    _cleanup_free_ const char **groups = NULL;
    const char *name;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("name", "system", "uid", "home", "shell", "groups")) < 0 ||
        req_string(L, v, "name", path, &name) < 0 ||
        opt_bool(L, v, "system", path, &o.system) < 0 ||
        opt_int(L, v, "uid", path, 1, 60000, &o.uid) < 0 ||
        opt_string(L, v, "home", path, &o.home) < 0 ||
        opt_string(L, v, "shell", path, &o.shell) < 0 ||
        opt_strv(L, v, "groups", path, &groups) < 0)
        return -EINVAL;
    o.groups = groups;
    set_origin(L, path);
    return done(L, tdx_image_add_user(L->image, name, &o, L->err));
}

static int sec_users(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of users", user_one);
}

/* "unit": {"Service": {"MemoryMax": "8G", "Environment": ["A=1", "B=2"]}} */
static int unit_settings(struct loader *L, json_t *unit, const char *path,
                         tdx_unit_setting **out, size_t *n_out, char **numbers_out)
{
    tdx_unit_setting *list = NULL;
    char *numbers = NULL;
    size_t n = 0, cap = 0;
    const char *section, *key;
    json_t *sv, *kv;

    if (expect(L, unit, JSON_OBJECT, "an object of sections", path) < 0)
        return -EINVAL;
    if (check_keys(L, unit, path, ALLOWED("Unit", "Service", "Install")) < 0)
        return -EINVAL;
    numbers = calloc(257, 32);
    if (!numbers)
        return tdx_err_oom(L->err);
    json_object_foreach(unit, section, sv) {
        char sw[540];
        join(sw, sizeof(sw), path, section);
        if (expect(L, sv, JSON_OBJECT, "an object of settings", sw) < 0)
            goto fail;
        json_object_foreach(sv, key, kv) {
            char kw[600];
            json_t *items = json_is_array(kv) ? kv : NULL, *e;
            size_t count = items ? json_array_size(items) : 1;
            join(kw, sizeof(kw), sw, key);
            for (size_t i = 0; i < count; i++) {
                char ew[620];
                e = items ? json_array_get(items, i) : kv;
                if (items)
                    joini(ew, sizeof(ew), kw, i);
                else
                    snprintf(ew, sizeof(ew), "%s", kw);
                if (n >= 256) {
                    lerr(L, -EINVAL, path, "more than 256 settings");
                    goto fail;
                }
                if (n == cap) {
                    tdx_unit_setting *nl;
                    cap = cap ? cap * 2 : 8;
                    nl = realloc(list, cap * sizeof(*list));
                    if (!nl) {
                        tdx_err_oom(L->err);
                        goto fail;
                    }
                    list = nl;
                }
                list[n].section = section;
                list[n].key = key;
                if (scalar_text(L, e, ew, numbers + 32 * n, 32, &list[n].value) < 0)
                    goto fail;
                n++;
            }
        }
    }
    *out = list;
    *n_out = n;
    *numbers_out = numbers;
    return 0;
fail:
    free(list);
    free(numbers);
    return L->err ? L->err->code : -EINVAL;
}

static int service_one(struct loader *L, json_t *v, const char *path)
{
    tdx_service_options o = TDX_SERVICE_OPTIONS_INIT;
    _cleanup_free_ const char **after = NULL, **requires = NULL, **wants = NULL, **wanted_by = NULL;
    _cleanup_free_ tdx_unit_setting *extra = NULL;
    _cleanup_free_ char *numbers = NULL;
    const char *name;
    json_t *unit;

    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("name", "exec", "description", "type", "after",
                                       "requires", "wants", "wanted_by", "restart", "user",
                                       "group", "unit")) < 0 ||
        req_string(L, v, "name", path, &name) < 0 ||
        opt_string(L, v, "exec", path, &o.exec) < 0 ||
        opt_string(L, v, "description", path, &o.description) < 0 ||
        opt_string(L, v, "type", path, &o.type) < 0 ||
        opt_strv(L, v, "after", path, &after) < 0 ||
        opt_strv(L, v, "requires", path, &requires) < 0 ||
        opt_strv(L, v, "wants", path, &wants) < 0 ||
        opt_strv(L, v, "wanted_by", path, &wanted_by) < 0 ||
        opt_string(L, v, "restart", path, &o.restart) < 0 ||
        opt_string(L, v, "user", path, &o.user) < 0 ||
        opt_string(L, v, "group", path, &o.group) < 0)
        return -EINVAL;
    unit = json_object_get(v, "unit");
    if (unit && !json_is_null(unit)) {
        char where[512];
        int r;
        join(where, sizeof(where), path, "unit");
        r = unit_settings(L, unit, where, &extra, &o.n_extra, &numbers);
        if (r < 0)
            return r;
        o.extra = extra;
    }
    o.after = after;
    o.requires = requires;
    o.wants = wants;
    o.wanted_by = wanted_by;
    set_origin(L, path);
    return done(L, tdx_image_add_service(L->image, name, &o, L->err));
}

static int sec_services(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of services", service_one);
}

static int secret_one(struct loader *L, json_t *v, const char *path)
{
    static const char *const kinds[] = { "string", "hex", "base64", "json", NULL };
    tdx_secret_options o = TDX_SECRET_OPTIONS_INIT;
    const char *name, *kind = NULL;
    int required = TDX_UNSET;
    json_t *schema;

    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("name", "dest", "owner", "group", "mode", "required",
                                       "description", "schema", "dir_mode", "dir_owner",
                                       "dir_group")) < 0 ||
        req_string(L, v, "name", path, &name) < 0 ||
        opt_string(L, v, "dest", path, &o.dest) < 0 ||
        opt_string(L, v, "owner", path, &o.owner) < 0 ||
        opt_string(L, v, "group", path, &o.group) < 0 ||
        opt_mode(L, v, "mode", path, &o.mode) < 0 ||
        opt_bool(L, v, "required", path, &required) < 0 ||
        opt_string(L, v, "description", path, &o.description) < 0 ||
        opt_mode(L, v, "dir_mode", path, &o.dir_mode) < 0 ||
        opt_string(L, v, "dir_owner", path, &o.dir_owner) < 0 ||
        opt_string(L, v, "dir_group", path, &o.dir_group) < 0)
        return -EINVAL;
    o.required = required;
    schema = json_object_get(v, "schema");
    if (schema && !json_is_null(schema)) {
        char where[512];
        join(where, sizeof(where), path, "schema");
        if (expect(L, schema, JSON_OBJECT, "an object", where) < 0 ||
            check_keys(L, schema, where, ALLOWED("kind", "min_length", "max_length", "pattern")) < 0 ||
            opt_string(L, schema, "kind", where, &kind) < 0 ||
            opt_int(L, schema, "min_length", where, 0, 1048576, &o.min_length) < 0 ||
            opt_int(L, schema, "max_length", where, 1, 1048576, &o.max_length) < 0 ||
            opt_string(L, schema, "pattern", where, &o.pattern) < 0)
            return -EINVAL;
        if (kind) {
            int k = string_index(kind, kinds);
            if (k < 0) {
                char kw[540];
                join(kw, sizeof(kw), where, "kind");
                return lerr(L, -EINVAL, kw, "expected one of \"string\", \"hex\", \"base64\", "
                            "\"json\"; got \"%.32s\"", kind);
            }
            o.kind = k;
        }
    }
    set_origin(L, path);
    return done(L, tdx_image_add_secret(L->image, name, &o, L->err));
}

static int sec_secrets(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of secrets", secret_one);
}

static int sec_secret_delivery(struct loader *L, json_t *v, const char *path)
{
    tdx_secret_delivery_options o = TDX_SECRET_DELIVERY_OPTIONS_INIT;
    _cleanup_free_ const char **listen = NULL;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("listen", "wait_timeout", "insecure_allow_unattested")) < 0 ||
        opt_strv(L, v, "listen", path, &listen) < 0 ||
        opt_int(L, v, "wait_timeout", path, 0, 31536000, &o.wait_timeout) < 0 ||
        opt_bool(L, v, "insecure_allow_unattested", path, &o.insecure_allow_unattested) < 0)
        return -EINVAL;
    o.listen = listen;
    set_origin(L, path);
    return done(L, tdx_image_set_secret_delivery(L->image, &o, L->err));
}

static int sec_debloat(struct loader *L, json_t *v, const char *path)
{
    tdx_debloat_options o = TDX_DEBLOAT_OPTIONS_INIT;
    _cleanup_free_ const char **skip = NULL, **extra = NULL, **units = NULL, **bins = NULL;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("enabled", "systemd_minimize", "paths_skip",
                                       "paths_remove_extra", "systemd_units_keep_extra",
                                       "systemd_bins_keep_extra")) < 0 ||
        opt_bool(L, v, "enabled", path, &o.enabled) < 0 ||
        opt_bool(L, v, "systemd_minimize", path, &o.systemd_minimize) < 0 ||
        opt_strv(L, v, "paths_skip", path, &skip) < 0 ||
        opt_strv(L, v, "paths_remove_extra", path, &extra) < 0 ||
        opt_strv(L, v, "systemd_units_keep_extra", path, &units) < 0 ||
        opt_strv(L, v, "systemd_bins_keep_extra", path, &bins) < 0)
        return -EINVAL;
    o.paths_skip = skip;
    o.paths_remove_extra = extra;
    o.systemd_units_keep_extra = units;
    o.systemd_bins_keep_extra = bins;
    set_origin(L, path);
    return done(L, tdx_image_debloat(L->image, &o, L->err));
}

static int sec_partitions(struct loader *L, json_t *v, const char *path)
{
    _cleanup_free_ tdx_partition *parts = NULL;
    json_t *e;
    size_t i;

    if (expect(L, v, JSON_ARRAY, "an array of partitions", path) < 0)
        return -EINVAL;
    if (json_array_size(v) > 16)
        return lerr(L, -EINVAL, path, "at most 16 partitions");
    parts = calloc(json_array_size(v) + 1, sizeof(*parts));
    if (!parts)
        return tdx_err_oom(L->err);
    json_array_foreach(v, i, e) {
        char where[512];
        joini(where, sizeof(where), path, i);
        if (expect(L, e, JSON_OBJECT, "an object", where) < 0 ||
            check_keys(L, e, where, ALLOWED("mountpoint", "fs", "size")) < 0 ||
            req_string(L, e, "mountpoint", where, &parts[i].mountpoint) < 0 ||
            req_string(L, e, "fs", where, &parts[i].fs) < 0 ||
            opt_string(L, e, "size", where, &parts[i].size) < 0)
            return -EINVAL;
    }
    set_origin(L, path);
    return done(L, tdx_image_set_partitions(L->image, parts, json_array_size(v), L->err));
}

static int sec_encryption(struct loader *L, json_t *v, const char *path)
{
    tdx_encryption_options o = TDX_ENCRYPTION_OPTIONS_INIT;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("type", "key_source")) < 0 ||
        opt_string(L, v, "type", path, &o.type) < 0 ||
        opt_string(L, v, "key_source", path, &o.key_source) < 0)
        return -EINVAL;
    set_origin(L, path);
    return done(L, tdx_image_set_encryption(L->image, &o, L->err));
}

static int sec_network(struct loader *L, json_t *v, const char *path)
{
    tdx_network_options o = TDX_NETWORK_OPTIONS_INIT;
    _cleanup_free_ const char **firewall = NULL;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("vsock", "firewall", "mode", "interface", "address",
                                       "gateway", "dns")) < 0 ||
        opt_bool(L, v, "vsock", path, &o.vsock) < 0 ||
        opt_strv(L, v, "firewall", path, &firewall) < 0)
        return -EINVAL;
    o.firewall = firewall;
    set_origin(L, path);
    if (done(L, tdx_image_set_network(L->image, &o, L->err)) < 0)
        return -EINVAL;
    return native_keys(L, v, path, "mode", "interface", "address", "gateway", "dns");
}

static int sec_ssh(struct loader *L, json_t *v, const char *path)
{
    tdx_ssh_options o = TDX_SSH_OPTIONS_INIT;
    _cleanup_free_ const char **keys = NULL;
    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("enabled", "key_delivery", "authorized_keys")) < 0 ||
        opt_bool(L, v, "enabled", path, &o.enabled) < 0 ||
        opt_string(L, v, "key_delivery", path, &o.key_delivery) < 0 ||
        opt_strv(L, v, "authorized_keys", path, &keys) < 0)
        return -EINVAL;
    o.authorized_keys = keys;
    set_origin(L, path);
    return done(L, tdx_image_set_ssh(L->image, &o, L->err));
}

static int build_one(struct loader *L, json_t *v, const char *path)
{
    static const char *const kinds[] = { "go", "rust", "dotnet", "c", "script", NULL };
    tdx_build_options o = TDX_BUILD_OPTIONS_INIT;
    _cleanup_free_ const char **features = NULL, **deps = NULL;
    _cleanup_free_ tdx_build_artifact *artifacts = NULL;
    _cleanup_strv_free_ char **env = NULL;
    const char *name, *kind, *key;
    json_t *tc, *arts, *jenv, *e;
    size_t n_art = 0;
    int k;

    if (expect(L, v, JSON_OBJECT, "an object", path) < 0 ||
        check_keys(L, v, path, ALLOWED("name", "kind", "src", "toolchain", "output", "target",
                                       "ldflags", "features", "self_contained", "build_script",
                                       "artifacts", "build_deps", "env", "reproducible")) < 0 ||
        req_string(L, v, "name", path, &name) < 0 ||
        req_string(L, v, "kind", path, &kind) < 0 ||
        opt_string(L, v, "src", path, &o.src) < 0 ||
        opt_string(L, v, "output", path, &o.output) < 0 ||
        opt_string(L, v, "target", path, &o.target) < 0 ||
        opt_string(L, v, "ldflags", path, &o.ldflags) < 0 ||
        opt_strv(L, v, "features", path, &features) < 0 ||
        opt_bool(L, v, "self_contained", path, &o.self_contained) < 0 ||
        opt_string(L, v, "build_script", path, &o.build_script) < 0 ||
        opt_strv(L, v, "build_deps", path, &deps) < 0 ||
        opt_bool(L, v, "reproducible", path, &o.reproducible) < 0)
        return -EINVAL;
    k = string_index(kind, kinds);
    if (k < 0) {
        char where[512];
        join(where, sizeof(where), path, "kind");
        return lerr(L, -EINVAL, where, "expected one of \"go\", \"rust\", \"dotnet\", \"c\", "
                    "\"script\"; got \"%.32s\"", kind);
    }
    tc = json_object_get(v, "toolchain");
    if (tc && !json_is_null(tc)) {
        char where[512];
        join(where, sizeof(where), path, "toolchain");
        if (expect(L, tc, JSON_OBJECT, "an object", where) < 0 ||
            check_keys(L, tc, where, ALLOWED("version", "url", "sha256")) < 0 ||
            opt_string(L, tc, "version", where, &o.toolchain_version) < 0 ||
            opt_string(L, tc, "url", where, &o.toolchain_url) < 0 ||
            opt_string(L, tc, "sha256", where, &o.toolchain_sha256) < 0)
            return -EINVAL;
    }
    arts = json_object_get(v, "artifacts");
    if (arts && !json_is_null(arts)) {
        char where[512];
        join(where, sizeof(where), path, "artifacts");
        if (expect(L, arts, JSON_OBJECT, "an object mapping build paths to image paths", where) < 0)
            return -EINVAL;
        if (json_object_size(arts) > 256)
            return lerr(L, -EINVAL, where, "more than 256 artifacts");
        artifacts = calloc(json_object_size(arts) + 1, sizeof(*artifacts));
        if (!artifacts)
            return tdx_err_oom(L->err);
        json_object_foreach(arts, key, e) {
            char ew[600];
            join(ew, sizeof(ew), where, key);
            if (expect(L, e, JSON_STRING, "a string (the path in the image)", ew) < 0)
                return -EINVAL;
            artifacts[n_art].from = key;
            artifacts[n_art++].to = json_string_value(e);
        }
    }
    jenv = json_object_get(v, "env");
    if (jenv && !json_is_null(jenv)) {
        char where[512];
        join(where, sizeof(where), path, "env");
        if (expect(L, jenv, JSON_OBJECT, "an object of variables", where) < 0)
            return -EINVAL;
        env = calloc(1, sizeof(char *));
        if (!env)
            return tdx_err_oom(L->err);
        json_object_foreach(jenv, key, e) {
            char ew[600], num[32], *a;
            const char *val;
            join(ew, sizeof(ew), where, key);
            if (scalar_text(L, e, ew, num, sizeof(num), &val) < 0)
                return -EINVAL;
            if (asprintf(&a, "%s=%s", key, val) < 0 || strv_push_take(&env, a) < 0)
                return tdx_err_oom(L->err);
        }
    }
    o.features = features;
    o.build_deps = deps;
    o.artifacts = artifacts;
    o.n_artifacts = n_art;
    o.env = (const char *const *)env;
    set_origin(L, path);
    return done(L, tdx_image_add_build(L->image, name, (tdx_build_kind)(k + 1), &o, L->err));
}

static int sec_builds(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of builds", build_one);
}

static int script_one(struct loader *L, json_t *v, const char *path, tdx_phase phase)
{
    tdx_script_options o = TDX_SCRIPT_OPTIONS_INIT;
    if (json_is_string(v)) {
        o.commands = json_string_value(v);
    } else {
        if (expect(L, v, JSON_OBJECT, "a string of commands or an object", path) < 0 ||
            check_keys(L, v, path, ALLOWED("commands", "file", "chroot")) < 0 ||
            opt_string(L, v, "commands", path, &o.commands) < 0 ||
            opt_string(L, v, "file", path, &o.file) < 0 ||
            opt_bool(L, v, "chroot", path, &o.chroot) < 0)
            return -EINVAL;
    }
    set_origin(L, path);
    return done(L, tdx_image_add_script(L->image, phase, &o, L->err));
}

static int sec_scripts(struct loader *L, json_t *v, const char *path)
{
    static const char *const phases[] = { "sync", "prepare", "build", "postinst", "finalize",
                                           "postoutput", "clean", NULL };
    if (expect(L, v, JSON_OBJECT, "an object of phases", path) < 0 ||
        check_keys(L, v, path, phases) < 0)
        return -EINVAL;
    /* Phases in execution order, whatever the file's key order. */
    for (int p = 0; phases[p]; p++) {
        json_t *list = json_object_get(v, phases[p]), *e;
        char where[512];
        size_t i;
        if (!list)
            continue;
        join(where, sizeof(where), path, phases[p]);
        if (expect(L, list, JSON_ARRAY, "an array of scripts", where) < 0)
            return -EINVAL;
        json_array_foreach(list, i, e) {
            char ew[540];
            int r;
            joini(ew, sizeof(ew), where, i);
            r = script_one(L, e, ew, (tdx_phase)p);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int on_boot_one(struct loader *L, json_t *v, const char *path)
{
    if (expect(L, v, JSON_STRING, "a string of commands", path) < 0)
        return -EINVAL;
    set_origin(L, path);
    return done(L, tdx_image_on_boot(L->image, json_string_value(v), L->err));
}

static int sec_on_boot(struct loader *L, json_t *v, const char *path)
{
    return each(L, v, path, "an array of command strings", on_boot_one);
}

/* ------------------------------------------------------------------------ */

static int load_file(tdx_image *image, const char *display, const char *realpath_hint,
                     bool top, bool in_profile, tdx_error *err);
static int apply_object(struct loader *L, json_t *root, const char *path);

static int sec_include(struct loader *L, json_t *v, const char *path)
{
    json_t *e;
    size_t i;

    if (expect(L, v, JSON_ARRAY, "an array of file names", path) < 0)
        return -EINVAL;
    json_array_foreach(v, i, e) {
        _cleanup_free_ char *display = NULL, *full = NULL;
        char where[512];
        const char *name;
        int r;

        joini(where, sizeof(where), path, i);
        if (expect(L, e, JSON_STRING, "a string", where) < 0)
            return -EINVAL;
        name = json_string_value(e);
        if (isempty(name) || strlen(name) > 4095 || strpbrk(name, "\n\r"))
            return lerr(L, -EINVAL, where, "expected a file name");
        if (name[0] == '/') {
            display = strdup(name);
            full = strdup(name);
        } else {
            const char *slash = strrchr(L->file, '/');
            if (slash && asprintf(&display, "%.*s/%s", (int)(slash - L->file), L->file, name) < 0)
                display = NULL;
            else if (!slash)
                display = strdup(name);
            if (asprintf(&full, "%s/%s", L->dir, name) < 0)
                full = NULL;
        }
        if (!display || !full)
            return tdx_err_oom(L->err);
        r = load_file(L->image, display, full, false, L->in_profile, L->err);
        if (r < 0) {
            /* Say which include led here, unless the message already names it. */
            if (L->err && !strstr(L->err->message, display))
                tdx_err_prefix(L->err, r, "%s: %s", L->file, where);
            return r;
        }
    }
    return 0;
}

static int sec_profiles(struct loader *L, json_t *v, const char *path)
{
    const char *name;
    json_t *body;
    size_t saved = L->image->current;

    if (L->in_profile)
        return lerr(L, -EINVAL, path, "profiles cannot be nested");
    if (expect(L, v, JSON_OBJECT, "an object mapping profile names to recipes", path) < 0)
        return -EINVAL;
    json_object_foreach(v, name, body) {
        char where[512];
        int r;
        join(where, sizeof(where), path, name);
        if (expect(L, body, JSON_OBJECT, "an object", where) < 0)
            return -EINVAL;
        r = tdx_image_profile(L->image, name, L->err);
        if (r < 0)
            return tdx_err_prefix(L->err, r, "%s: %s", L->file, where);
        if (L->image->current == 0)
            return lerr(L, -EINVAL, where, "is the default profile; put its settings at the top "
                        "level");
        L->in_profile = true;
        r = apply_object(L, body, where);
        L->in_profile = false;
        L->image->current = saved;
        if (r < 0)
            return r;
    }
    return 0;
}

static const struct section {
    const char *key;
    section_fn fn;
} sections[] = {
    { "include", sec_include },
    { "base", sec_base },
    { "mirror", sec_mirror },
    { "kernel", sec_kernel },
    { "init", sec_init },
    { "default_target", sec_default_target },
    { "firmware", sec_firmware },
    { "output", sec_output },
    { "repositories", sec_repositories },
    { "install", sec_install },
    { "skeleton", sec_skeleton },
    { "files", sec_files },
    { "templates", sec_templates },
    { "users", sec_users },
    { "services", sec_services },
    { "secrets", sec_secrets },
    { "secret_delivery", sec_secret_delivery },
    { "debloat", sec_debloat },
    { "partitions", sec_partitions },
    { "encryption", sec_encryption },
    { "network", sec_network },
    { "ssh", sec_ssh },
    { "native", sec_native },
    { "agent", sec_agent },
    { "builds", sec_builds },
    { "scripts", sec_scripts },
    { "on_boot", sec_on_boot },
    { "profiles", sec_profiles },
};

static int apply_object(struct loader *L, json_t *root, const char *path)
{
    const char *allowed[ELEMENTSOF(sections) + 3];
    size_t n = 0;
    json_t *name;

    if (!L->in_profile)
        allowed[n++] = "name";
    for (size_t i = 0; i < ELEMENTSOF(sections); i++)
        if (!(L->in_profile && streq(sections[i].key, "profiles")))
            allowed[n++] = sections[i].key;
    allowed[n] = NULL;
    if (check_keys(L, root, path, allowed) < 0)
        return -EINVAL;

    name = json_object_get(root, "name");
    if (name && !L->top)
        return lerr(L, -EINVAL, "name", "only the main recipe file may set the image name");

    for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
        json_t *v = json_object_get(root, sections[i].key);
        char where[512];
        int r;
        if (!v)
            continue;
        join(where, sizeof(where), path, sections[i].key);
        r = sections[i].fn(L, v, where);
        if (r < 0)
            return r;
    }
    return 0;
}

static int load_json(struct loader *L, const char *data, size_t size, json_t **ret)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tdx_err_lib(L->err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s:%d:%d: %s", L->file, jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return lerr(L, -EINVAL, NULL, "expected a JSON object at the top level");
    }
    *ret = root;
    return 0;
}

static int apply_buffer(tdx_image *image, const char *display, const char *dir, const char *data,
                        size_t size, bool top, bool in_profile, tdx_error *err)
{
    struct loader L = { image, display, dir, err, in_profile, top };
    char *saved_base = image->base_dir;
    json_t *root = NULL;
    int r;

    r = load_json(&L, data, size, &root);
    if (r < 0)
        return r;
    image->base_dir = (char *)dir;
    r = apply_object(&L, root, "");
    image->base_dir = saved_base;
    json_decref(root);
    return r;
}

static int load_file(tdx_image *image, const char *display, const char *path, bool top,
                     bool in_profile, tdx_error *err)
{
    _cleanup_free_ char *data = NULL, *real = NULL, *dir = NULL;
    size_t size;
    int r;

    real = realpath(path, NULL);
    if (!real)
        return tdx_err(err, -errno, "%s: cannot open: %s", display, strerror(errno));
    for (size_t i = 0; i < image->loading.n; i++)
        if (streq(image->loading.items[i], real))
            return tdx_err(err, -ELOOP, "%s: included again while it is being loaded (include "
                           "cycle)", display);
    if (image->loading.n >= INCLUDE_DEPTH_MAX)
        return tdx_err(err, -ELOOP, "%s: includes nested more than %d deep", display,
                       INCLUDE_DEPTH_MAX);

    r = read_file_bounded(real, RECIPE_FILE_MAX, &data, &size);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: larger than %d bytes", display, RECIPE_FILE_MAX);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", display, strerror(-r));

    dir = strdup(real);
    if (!dir || ptrvec_push(&image->loading, real) < 0)
        return tdx_err_oom(err);
    *strrchr(dir, '/') = '\0';
    if (!*dir)
        strcpy(dir, "/");
    real = NULL; /* owned by image->loading now */

    r = apply_buffer(image, display, dir, data, size, top, in_profile, err);
    free(image->loading.items[--image->loading.n]);
    return r;
}

/* "name" is read before anything else: it creates the image. */
static int image_from_root(const char *display, const char *data, size_t size, tdx_image **out,
                           tdx_error *err)
{
    tdx_image_options o = TDX_IMAGE_OPTIONS_INIT;
    struct loader L = { NULL, display, NULL, err, false, true };
    json_t *root = NULL, *name;
    int r;

    r = load_json(&L, data, size, &root);
    if (r < 0)
        return r;
    name = json_object_get(root, "name");
    if (name && !json_is_string(name)) {
        r = lerr(&L, -EINVAL, "name", "expected a string, got %s", wire_type_name(name));
        json_decref(root);
        return r;
    }
    o.name = name ? json_string_value(name) : NULL;
    r = tdx_image_new(out, &o, err);
    if (r < 0)
        tdx_err_prefix(err, r, "%s: name", display);
    json_decref(root);
    return r;
}

int tdx_image_load_file(tdx_image **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    tdx_image *image = NULL;
    size_t size;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    r = read_file_bounded(path, RECIPE_FILE_MAX, &data, &size);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: larger than %d bytes", path, RECIPE_FILE_MAX);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    r = image_from_root(path, data, size, &image, err);
    if (r < 0)
        return r;
    r = load_file(image, path, path, true, false, err);
    if (r < 0) {
        tdx_image_free(image);
        return r;
    }
    *out = image;
    return 0;
}

int tdx_image_apply_file(tdx_image *image, const char *path, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(path, err);
    return load_file(image, path, path, false, image->current != 0, err);
}

int tdx_image_load_buffer(tdx_image **out, const char *name, const char *data, size_t size,
                          const char *base_dir, tdx_error *err)
{
    _cleanup_free_ char *dir = NULL;
    tdx_image *image = NULL;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(name, err);
    tdx_check_arg(data || size == 0, err);
    if (size > RECIPE_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", name, RECIPE_FILE_MAX);
    if (base_dir)
        dir = strdup(base_dir);
    else
        dir = getcwd(NULL, 0);
    if (!dir)
        return tdx_err_oom(err);
    r = image_from_root(name, data ? data : "", size, &image, err);
    if (r < 0)
        return r;
    r = apply_buffer(image, name, dir, data ? data : "", size, true, false, err);
    if (r < 0) {
        tdx_image_free(image);
        return r;
    }
    *out = image;
    return 0;
}
