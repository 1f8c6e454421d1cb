/* SPDX-License-Identifier: MIT */
/* The public recipe API: each call validates its arguments and records one
 * operation in the current profile. */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>

#include "error.h"
#include "hex.h"
#include "manifest.h"
#include "op.h"
#include "regex-check.h"
#include "sender-key.h"
#include "validate.h"

#define NEW_OP(var, image, kind, err, ...)                \
    struct op *var = op_new((image), (kind), __VA_ARGS__); \
    if (!var)                                              \
        return tdx_err_oom(err)

/* Evaluates a step; on failure frees the op and returns. */
#define TRY(op, expr)              \
    do {                           \
        int _r_ = (expr);          \
        if (_r_ < 0)               \
            return op_fail((op), _r_); \
    } while (0)

static struct profile *profile_new(const char *name)
{
    struct profile *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->name = strdup(name);
    if (!p->name) {
        free(p);
        return NULL;
    }
    return p;
}

static void profile_free(void *v)
{
    struct profile *p = v;
    for (size_t i = 0; i < p->ops.n; i++)
        op_free(p->ops.items[i]);
    ptrvec_free(&p->ops);
    free(p->name);
    free(p);
}

int tdx_image_new(tdx_image **out, const tdx_image_options *opts, tdx_error *err)
{
    const char *name = "image", *def = "default", *why;
    tdx_image *image;
    struct profile *p;

    tdx_check_arg(out, err);
    tdx_check_options(opts, TDX_IMAGE_OPTIONS_VERSION, err);
    if (opts && opts->name)
        name = opts->name;
    if (opts && opts->default_profile)
        def = opts->default_profile;
    if ((why = check_image_name(name)))
        return tdx_err(err, -EINVAL, "image name: %s; got \"%s\"", why, name);
    if ((why = check_profile_name(def)))
        return tdx_err(err, -EINVAL, "default profile: %s; got \"%s\"", why, def);

    image = calloc(1, sizeof(*image));
    if (!image)
        return tdx_err_oom(err);
    image->name = strdup(name);
    p = profile_new(def);
    if (!image->name || !p || ptrvec_push(&image->profiles, p) < 0) {
        if (p)
            profile_free(p);
        tdx_image_free(image);
        return tdx_err_oom(err);
    }
    *out = image;
    return 0;
}

void tdx_image_free(tdx_image *image)
{
    if (!image)
        return;
    ptrvec_free_all(&image->profiles, profile_free);
    free(image->next_origin);
    free(image->base_dir);
    free(image->name);
    free(image);
}

int image_find_profile(const tdx_image *image, const char *name, size_t *ret)
{
    if (isempty(name)) {
        *ret = 0;
        return 0;
    }
    for (size_t i = 0; i < image->profiles.n; i++) {
        const struct profile *p = image->profiles.items[i];
        if (streq(p->name, name)) {
            *ret = i;
            return 0;
        }
    }
    return -ENOENT;
}

int image_profile_index(const tdx_image *image, const char *name, size_t *ret, tdx_error *err)
{
    char names[400] = "";
    size_t used = 0, i;

    if (image_find_profile(image, name, ret) == 0)
        return 0;
    /* The list is cut short rather than the message: err holds one line. */
    for (i = 0; i < image->profiles.n; i++) {
        const struct profile *p = image->profiles.items[i];
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", p->name);
        if (n < 0 || (size_t)n >= sizeof(names) - used) {
            names[used] = '\0';
            break;
        }
        used += (size_t)n;
    }
    return tdx_err(err, -ENOENT, "unknown profile \"%s\"; profiles: %s%s", name, names,
                   i < image->profiles.n ? ", ..." : "");
}

int tdx_image_profile(tdx_image *image, const char *profile, tdx_error *err)
{
    const char *why;
    struct profile *p;
    size_t idx;

    tdx_check_arg(image, err);
    if (image_find_profile(image, profile, &idx) == 0) {
        image->current = idx;
        return 0;
    }
    if ((why = check_profile_name(profile)))
        return tdx_err(err, -EINVAL, "profile name: %s; got \"%s\"", why, profile);
    p = profile_new(profile);
    if (!p || ptrvec_push(&image->profiles, p) < 0) {
        if (p)
            profile_free(p);
        return tdx_err_oom(err);
    }
    image->current = image->profiles.n - 1;
    return 0;
}

const char *tdx_image_current_profile(const tdx_image *image)
{
    if (!image)
        return NULL;
    return ((const struct profile *)image->profiles.items[image->current])->name;
}

const char *tdx_image_name(const tdx_image *image)
{
    return image ? image->name : NULL;
}

size_t tdx_image_profile_count(const tdx_image *image)
{
    return image ? image->profiles.n : 0;
}

const char *tdx_image_profile_name(const tdx_image *image, size_t index)
{
    if (!image || index >= image->profiles.n)
        return NULL;
    return ((const struct profile *)image->profiles.items[index])->name;
}

/* ------------------------------------------------------------------------ */

static const char *check_base(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || (strncmp(s, "debian/", 7) != 0 && strncmp(s, "ubuntu/", 7) != 0) ||
        check_release(slash + 1))
        return "expected \"debian/RELEASE\" or \"ubuntu/RELEASE\"";
    return NULL;
}

static int set_simple(tdx_image *image, op_kind kind, const char *fn, const char *value,
                      const char *(*check)(const char *), tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(value, err);
    NEW_OP(op, image, kind, err, "%s()", fn);
    TRY(op, op_set_str(op, err, op->origin_is_path ? NULL : "value", &op->u.str, value, check));
    return op_commit(image, op, err);
}

int tdx_image_set_base(tdx_image *image, const char *base, tdx_error *err)
{
    return set_simple(image, OP_BASE, "tdx_image_set_base", base, check_base, err);
}

int tdx_image_set_mirror(tdx_image *image, const char *url, tdx_error *err)
{
    return set_simple(image, OP_MIRROR, "tdx_image_set_mirror", url, check_url, err);
}

static const char *check_init(const char *s)
{
    return streq(s, "systemd") || streq(s, "tdx-agent") || streq(s, "busybox")
               ? NULL
               : "expected one of \"systemd\", \"tdx-agent\", \"busybox\"";
}

int tdx_image_set_init(tdx_image *image, const char *init, tdx_error *err)
{
    return set_simple(image, OP_INIT, "tdx_image_set_init", init, check_init, err);
}

static const char *check_target(const char *s)
{
    return check_unit_name(s) || !endswith(s, ".target")
               ? "expected a target unit name such as \"minimal.target\""
               : NULL;
}

int tdx_image_set_default_target(tdx_image *image, const char *unit, tdx_error *err)
{
    return set_simple(image, OP_DEFAULT_TARGET, "tdx_image_set_default_target", unit,
                      check_target, err);
}

int tdx_image_set_firmware(tdx_image *image, const char *firmware, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(firmware, err);
    NEW_OP(op, image, OP_FIRMWARE, err, "tdx_image_set_firmware()");
    if (streq(firmware, "ovmf"))
        TRY(op, op_set_str(op, err, NULL, &op->u.str, firmware, NULL));
    else
        TRY(op, op_resolve_path(image, op, err, op->origin_is_path ? NULL : "firmware",
                                firmware, false, &op->u.str));
    return op_commit(image, op, err);
}

int tdx_image_set_kernel(tdx_image *image, const tdx_kernel_options *opts, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_KERNEL_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_KERNEL, err, "tdx_image_set_kernel()");
    struct kernel_spec *k = &op->u.kernel;
    TRY(op, op_set_str(op, err, "package", &k->package, opts->package, check_package));
    TRY(op, op_set_str(op, err, "suite", &k->suite, opts->suite, check_release));
    TRY(op, op_set_str(op, err, "version", &k->source_version, opts->source_version,
                       check_toolchain_version));
    TRY(op, op_set_str(op, err, "url", &k->source_url, opts->source_url, check_url));
    TRY(op, op_set_str(op, err, "sha256", &k->source_sha256, opts->source_sha256, check_sha256));
    TRY(op, op_set_str(op, err, "cmdline", &k->cmdline, opts->cmdline, check_mkosi_value));
    if (opts->config_file)
        TRY(op, op_resolve_path(image, op, err, "config_file", opts->config_file, false,
                                &k->config_file));
    if (k->package && k->source_version)
        return op_fail(op, op_err(op, err, -EINVAL, "version", "a kernel built from source "
                                  "and a kernel package exclude each other"));
    return op_commit(image, op, err);
}

int tdx_image_set_output(tdx_image *image, const tdx_output_options *opts, tdx_error *err)
{
    static const char *const formats[] = { "uki", "disk", "directory", "tar", "cpio", NULL };
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_OUTPUT_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_OUTPUT, err, "tdx_image_set_output()");
    struct output_spec *o = &op->u.output;
    TRY(op, op_set_choice(op, err, "format", &o->format, opts->format, formats));
    TRY(op, op_set_str(op, err, "image_version", &o->image_version, opts->image_version,
                       check_image_version));
    TRY(op, op_set_str(op, err, "seed", &o->seed, opts->seed, check_uuid));
    if (opts->source_date_epoch != TDX_UNSET &&
        (opts->source_date_epoch < 0 || opts->source_date_epoch > 253402300799LL))
        return op_fail(op, op_err(op, err, -EINVAL, "source_date_epoch",
                                  "expected seconds since 1970 between 0 and 253402300799"));
    o->source_date_epoch = opts->source_date_epoch;
    o->docs = opts->docs == TDX_UNSET ? TDX_UNSET : !!opts->docs;
    o->tools_tree = opts->tools_tree == TDX_UNSET ? TDX_UNSET : !!opts->tools_tree;
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

int tdx_image_install(tdx_image *image, const char *const *packages, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(packages, err);
    NEW_OP(op, image, OP_INSTALL, err, "tdx_image_install()");
    TRY(op, op_set_strv(op, err, op->origin_is_path ? "" : "packages", &op->u.strv, packages,
                        check_package));
    return op_commit(image, op, err);
}

int tdx_image_add_repository(tdx_image *image, const char *name,
                             const tdx_repository_options *opts, tdx_error *err)
{
    static const char *const default_components[] = { "main", NULL };
    tdx_check_arg(image, err);
    tdx_check_arg(name, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_REPOSITORY_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_REPOSITORY, err, "tdx_image_add_repository(\"%.64s\")", name);
    struct repo_spec *r = &op->u.repo;
    TRY(op, op_set_str(op, err, "name", &r->name, name, check_repo_name));
    if (!opts->url || !opts->suite || !opts->keyring)
        return op_fail(op, op_err(op, err, -EINVAL, !opts->url ? "url" : !opts->suite ? "suite"
                                  : "keyring", "required"));
    TRY(op, op_set_str(op, err, "url", &r->url, opts->url, check_url));
    TRY(op, op_set_str(op, err, "suite", &r->suite, opts->suite, check_release));
    TRY(op, op_set_strv(op, err, "components", &r->components,
                        opts->components ? opts->components : default_components, check_release));
    TRY(op, op_resolve_path(image, op, err, "keyring", opts->keyring, false, &r->keyring));
    TRY(op, op_claim(op, err, "name", "repository", name));
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

static int file_common(tdx_image *image, struct op *op, tdx_error *err, const char *dest,
                       int mode, const char *owner, const char *group)
{
    struct file_spec *f = &op->u.file;
    const char *why;

    TRY(op, op_set_str(op, err, "dest", &f->dest, dest, check_abs_path));
    if (mode != TDX_UNSET && (why = check_mode(mode)))
        return op_fail(op, op_err(op, err, -EINVAL, "mode", "%s; got %o", why, (unsigned)mode));
    f->mode = mode == TDX_UNSET ? 0644 : mode;
    TRY(op, op_set_str(op, err, "owner", &f->owner, owner, check_user_name));
    TRY(op, op_set_str(op, err, "group", &f->group, group, check_user_name));
    if (op->kind == OP_SKELETON)
        TRY(op, op_claim(op, err, "dest", "skeleton", dest));
    else
        TRY(op, op_claim_path(op, err, "dest", dest));
    return op_commit(image, op, err);
}

static int add_file(tdx_image *image, op_kind kind, const char *fn, const char *dest,
                    const tdx_file_options *opts, tdx_error *err)
{
    tdx_file_options def = TDX_FILE_OPTIONS_INIT;
    tdx_check_arg(image, err);
    tdx_check_arg(dest, err);
    tdx_check_options(opts, TDX_FILE_OPTIONS_VERSION, err);
    if (!opts)
        opts = &def;
    NEW_OP(op, image, kind, err, "%s(\"%.200s\")", fn, dest);
    struct file_spec *f = &op->u.file;
    if (!!opts->content == !!opts->src)
        return op_fail(op, op_err(op, err, -EINVAL, NULL, "expected exactly one of \"content\" "
                                  "and \"src\""));
    if (opts->content) {
        f->content_len = strlen(opts->content);
        if (f->content_len > RECIPE_SOURCE_FILE_MAX)
            return op_fail(op, op_err(op, err, -EFBIG, "content", "too large"));
        f->content = strdup(opts->content);
        if (!f->content)
            return op_fail(op, tdx_err_oom(err));
    } else {
        TRY(op, op_resolve_path(image, op, err, "src", opts->src, false, &f->src));
    }
    return file_common(image, op, err, dest, opts->mode, opts->owner, opts->group);
}

int tdx_image_add_file(tdx_image *image, const char *dest, const tdx_file_options *opts,
                       tdx_error *err)
{
    return add_file(image, OP_FILE, "tdx_image_add_file", dest, opts, err);
}

int tdx_image_add_skeleton(tdx_image *image, const char *dest, const tdx_file_options *opts,
                           tdx_error *err)
{
    return add_file(image, OP_SKELETON, "tdx_image_add_skeleton", dest, opts, err);
}

int tdx_image_add_template(tdx_image *image, const char *dest, const char *src,
                           const tdx_template_options *opts, tdx_error *err)
{
    tdx_template_options def = TDX_TEMPLATE_OPTIONS_INIT;
    tdx_check_arg(image, err);
    tdx_check_arg(dest, err);
    tdx_check_arg(src, err);
    tdx_check_options(opts, TDX_TEMPLATE_OPTIONS_VERSION, err);
    if (!opts)
        opts = &def;
    tdx_check_arg(opts->n_vars == 0 || opts->vars, err);
    for (size_t i = 0; i < opts->n_vars; i++)
        tdx_check_arg(opts->vars[i].name && opts->vars[i].value, err);
    NEW_OP(op, image, OP_FILE, err, "tdx_image_add_template(\"%.200s\")", dest);
    struct file_spec *f = &op->u.file;
    f->is_template = true;
    TRY(op, op_resolve_path(image, op, err, "src", src, false, &f->src));
    if (opts->n_vars > 1024)
        return op_fail(op, op_err(op, err, -EINVAL, "vars", "at most 1024 variables"));
    f->var_names = calloc(opts->n_vars + 1, sizeof(char *));
    f->var_values = calloc(opts->n_vars + 1, sizeof(char *));
    if (!f->var_names || !f->var_values)
        return op_fail(op, tdx_err_oom(err));
    for (size_t i = 0; i < opts->n_vars; i++) {
        const char *why;
        char field[160];
        snprintf(field, sizeof(field), "vars.%.128s", opts->vars[i].name);
        if ((why = check_template_var(opts->vars[i].name)))
            return op_fail(op, op_bad_value(op, err, "vars", why, opts->vars[i].name));
        for (size_t j = 0; j < i; j++)
            if (streq(f->var_names[j], opts->vars[i].name))
                return op_fail(op, op_err(op, err, -EINVAL, field, "defined twice"));
        if (strlen(opts->vars[i].value) > 1024 * 1024)
            return op_fail(op, op_err(op, err, -EINVAL, field, "longer than 1 MiB"));
        f->var_names[i] = strdup(opts->vars[i].name);
        f->var_values[i] = strdup(opts->vars[i].value);
        f->n_vars = i + 1;
        if (!f->var_names[i] || !f->var_values[i])
            return op_fail(op, tdx_err_oom(err));
    }
    return file_common(image, op, err, dest, opts->mode, opts->owner, opts->group);
}

/* ------------------------------------------------------------------------ */

int tdx_image_add_user(tdx_image *image, const char *name, const tdx_user_options *opts,
                       tdx_error *err)
{
    tdx_user_options def = TDX_USER_OPTIONS_INIT;
    tdx_check_arg(image, err);
    tdx_check_arg(name, err);
    tdx_check_options(opts, TDX_USER_OPTIONS_VERSION, err);
    if (!opts)
        opts = &def;
    NEW_OP(op, image, OP_USER, err, "tdx_image_add_user(\"%.64s\")", name);
    struct user_spec *u = &op->u.user;
    TRY(op, op_set_str(op, err, "name", &u->name, name, check_user_name));
    if (streq(name, "root"))
        return op_fail(op, op_bad_value(op, err, "name", "expected a user other than root", name));
    u->system = opts->system == TDX_UNSET ? true : !!opts->system;
    if (opts->uid != TDX_UNSET && (opts->uid < 1 || opts->uid > 60000))
        return op_fail(op, op_err(op, err, -EINVAL, "uid", "expected a uid between 1 and 60000; "
                                  "got %lld", opts->uid));
    u->uid = opts->uid;
    if (!u->system && u->uid == TDX_UNSET)
        return op_fail(op, op_err(op, err, -EINVAL, "uid", "required when \"system\" is false "
                                  "(regular users need a fixed uid to be reproducible)"));
    TRY(op, op_set_str(op, err, "home", &u->home, opts->home, check_abs_path));
    TRY(op, op_set_str(op, err, "shell", &u->shell, opts->shell, check_abs_path));
    TRY(op, op_set_strv(op, err, "groups", &u->groups, opts->groups, check_user_name));
    TRY(op, op_claim(op, err, "name", "user", name));
    return op_commit(image, op, err);
}

static int copy_unit_list(struct op *op, tdx_error *err, const char *field, char ***dst,
                          const char *const *src)
{
    return op_set_strv(op, err, field, dst, src, check_unit_name);
}

int tdx_image_add_service(tdx_image *image, const char *name, const tdx_service_options *opts,
                          tdx_error *err)
{
    static const char *const restarts[] = { "no", "always", "on-failure", NULL };
    static const char *const types[] = { "simple", "exec", "forking", "oneshot", "notify", NULL };
    static const char *const sections[] = { "Unit", "Service", "Install", NULL };
    tdx_check_arg(image, err);
    tdx_check_arg(name, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_SERVICE_OPTIONS_VERSION, err);
    tdx_check_arg(opts->n_extra == 0 || opts->extra, err);
    for (size_t i = 0; i < opts->n_extra; i++)
        tdx_check_arg(opts->extra[i].section && opts->extra[i].key && opts->extra[i].value, err);
    NEW_OP(op, image, OP_SERVICE, err, "tdx_image_add_service(\"%.64s\")", name);
    struct service_spec *s = &op->u.service;
    char path[300];

    TRY(op, op_set_str(op, err, "name", &s->name, name, check_service_name));
    if (!opts->exec)
        return op_fail(op, op_err(op, err, -EINVAL, "exec", "required"));
    if (isempty(opts->exec) || opts->exec[0] == ' ')
        return op_fail(op, op_bad_value(op, err, "exec", "expected a command line", opts->exec));
    TRY(op, op_set_str(op, err, "exec", &s->exec, opts->exec, check_line_value));
    TRY(op, op_set_str(op, err, "description", &s->description, opts->description,
                       check_line_value));
    TRY(op, op_set_choice(op, err, "type", &s->type, opts->type, types));
    TRY(op, op_set_choice(op, err, "restart", &s->restart, opts->restart, restarts));
    TRY(op, op_set_str(op, err, "user", &s->user, opts->user, check_user_name));
    TRY(op, op_set_str(op, err, "group", &s->group, opts->group, check_user_name));
    TRY(op, copy_unit_list(op, err, "after", &s->after, opts->after));
    TRY(op, copy_unit_list(op, err, "requires", &s->requires, opts->requires));
    TRY(op, copy_unit_list(op, err, "wants", &s->wants, opts->wants));
    TRY(op, copy_unit_list(op, err, "wanted_by", &s->wanted_by, opts->wanted_by));
    if (opts->n_extra > 256)
        return op_fail(op, op_err(op, err, -EINVAL, "unit", "at most 256 extra settings"));
    s->extra = calloc(opts->n_extra ? opts->n_extra : 1, sizeof(*s->extra));
    if (!s->extra)
        return op_fail(op, tdx_err_oom(err));
    for (size_t i = 0; i < opts->n_extra; i++) {
        const tdx_unit_setting *e = &opts->extra[i];
        char field[160];
        snprintf(field, sizeof(field), "unit.%.32s", e->section);
        s->n_extra = i + 1;
        TRY(op, op_set_choice(op, err, "unit", &s->extra[i].section, e->section, sections));
        TRY(op, op_set_str(op, err, field, &s->extra[i].key, e->key, check_unit_key));
        snprintf(field, sizeof(field), "unit.%.32s.%.64s", e->section, e->key);
        TRY(op, op_set_str(op, err, field, &s->extra[i].value, e->value, check_line_value));
    }
    TRY(op, op_claim(op, err, "name", "service", name));
    snprintf(path, sizeof(path), "/etc/systemd/system/%s.service", name);
    TRY(op, op_claim_path(op, err, "name", path));
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

#define SECRET_LENGTH_LIMIT (1024LL * 1024)

/* A secret's environment targets: names and scopes checked as the agent
 * checks them, no variable twice in one scope. */
static int set_secret_env(const struct op *op, struct secret_spec *s, const tdx_secret_env *in,
                          size_t n, tdx_error *err)
{
    if (!in || n == 0)
        return 0;
    if (n > MANIFEST_ENV_MAX)
        return op_err(op, err, -EINVAL, "targets", "expected at most %d environment targets",
                      MANIFEST_ENV_MAX);
    if (!(s->env = calloc(n, sizeof(*s->env))))
        return tdx_err_oom(err);
    for (size_t i = 0; i < n; i++) {
        const char *scope = in[i].scope ? in[i].scope : "global", *why;
        char field[48];
        s->n_env = i + 1;
        snprintf(field, sizeof(field), "targets[%zu].env", i);
        if (!in[i].name || (why = manifest_check_env_name(in[i].name)))
            return op_bad_value(op, err, field, in[i].name ? why : "required",
                                in[i].name ? in[i].name : "");
        snprintf(field, sizeof(field), "targets[%zu].scope", i);
        if ((why = manifest_check_env_scope(scope)))
            return op_bad_value(op, err, field, why, scope);
        for (size_t j = 0; j < i; j++)
            if (streq(s->env[j].name, in[i].name) && streq(s->env[j].scope, scope))
                return op_err(op, err, -EINVAL, field, "%s in %s is listed twice", in[i].name,
                              scope);
        if (!(s->env[i].name = strdup(in[i].name)) || !(s->env[i].scope = strdup(scope)))
            return tdx_err_oom(err);
    }
    return 0;
}

int tdx_image_add_secret(tdx_image *image, const char *name, const tdx_secret_options *opts,
                         tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(name, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_SECRET_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_SECRET, err, "tdx_image_add_secret(\"%.64s\")", name);
    struct secret_spec *s = &op->u.secret;
    const char *why;

    TRY(op, op_set_str(op, err, "name", &s->name, name, check_secret_name));
    if (opts->version >= 2)
        TRY(op, set_secret_env(op, s, opts->env, opts->n_env, err));
    if (!opts->dest && s->n_env == 0)
        return op_fail(op, op_err(op, err, -EINVAL, "dest", "required (or an environment "
                                  "target)"));
    TRY(op, op_set_str(op, err, "dest", &s->dest, opts->dest, check_abs_path));
    TRY(op, op_set_str(op, err, "owner", &s->owner, opts->owner, check_user_name));
    TRY(op, op_set_str(op, err, "group", &s->group, opts->group, check_user_name));
    TRY(op, op_set_str(op, err, "description", &s->description, opts->description,
                       check_line_value));
    if (opts->mode != TDX_UNSET && (why = check_mode(opts->mode)))
        return op_fail(op, op_err(op, err, -EINVAL, "mode", "%s; got %o", why,
                                  (unsigned)opts->mode));
    s->mode = opts->mode == TDX_UNSET ? 0400 : opts->mode;
    if (opts->dir_mode != TDX_UNSET && (why = check_mode(opts->dir_mode)))
        return op_fail(op, op_err(op, err, -EINVAL, "dir_mode", "%s; got %o", why,
                                  (unsigned)opts->dir_mode));
    s->dir_mode = opts->dir_mode;
    TRY(op, op_set_str(op, err, "dir_owner", &s->dir_owner, opts->dir_owner, check_user_name));
    TRY(op, op_set_str(op, err, "dir_group", &s->dir_group, opts->dir_group, check_user_name));
    s->required = opts->required == TDX_UNSET ? true : !!opts->required;
    if (opts->kind != TDX_UNSET && (opts->kind < TDX_SECRET_STRING || opts->kind > TDX_SECRET_JSON))
        return op_fail(op, op_err(op, err, -EINVAL, "schema.kind", "expected one of \"string\", "
                                  "\"hex\", \"base64\", \"json\""));
    s->kind = opts->kind == TDX_UNSET ? TDX_SECRET_STRING : (tdx_secret_kind)opts->kind;
    s->min_length = opts->min_length == TDX_UNSET ? 1 : opts->min_length;
    s->max_length = opts->max_length == TDX_UNSET ? 65536 : opts->max_length;
    if (s->min_length < 0 || s->min_length > SECRET_LENGTH_LIMIT)
        return op_fail(op, op_err(op, err, -EINVAL, "schema.min_length", "expected 0 to %lld; "
                                  "got %lld", SECRET_LENGTH_LIMIT, s->min_length));
    if (s->max_length < 1 || s->max_length > SECRET_LENGTH_LIMIT)
        return op_fail(op, op_err(op, err, -EINVAL, "schema.max_length", "expected 1 to %lld; "
                                  "got %lld", SECRET_LENGTH_LIMIT, s->max_length));
    if (s->min_length > s->max_length)
        return op_fail(op, op_err(op, err, -EINVAL, "schema.min_length", "%lld is larger than "
                                  "max_length %lld", s->min_length, s->max_length));
    if (opts->pattern) {
        regex_t re;
        int rc;
        if (strpbrk(opts->pattern, "\n\r"))
            return op_fail(op, op_bad_value(op, err, "schema.pattern", "expected a regular "
                                            "expression on one line", opts->pattern));
        if ((why = regex_pattern_check(opts->pattern)))
            return op_fail(op, op_bad_value(op, err, "schema.pattern", why, opts->pattern));
        rc = regcomp(&re, opts->pattern, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &re, msg, sizeof(msg));
            return op_fail(op, op_bad_value(op, err, "schema.pattern", msg, opts->pattern));
        }
        regfree(&re);
        TRY(op, op_set_str(op, err, "schema.pattern", &s->pattern, opts->pattern, NULL));
    }
    TRY(op, op_claim(op, err, "name", "secret", name));
    if (opts->dest)
        TRY(op, op_claim_path(op, err, "dest", opts->dest));
    return op_commit(image, op, err);
}

#define SENDERS_MAX 64

/* The senders of a delivery op: names unique, keys parsed to hex and
 * unique, secret names checked (that they exist is checked at resolve). */
static int set_senders(const struct op *op, struct delivery_spec *d, const tdx_secret_sender *in,
                       size_t n, tdx_error *err)
{
    if (!in)
        return 0;
    if (n > SENDERS_MAX)
        return op_err(op, err, -EINVAL, "senders", "expected at most %d senders; got %zu",
                      SENDERS_MAX, n);
    d->senders = calloc(n ? n : 1, sizeof(*d->senders));
    if (!d->senders)
        return tdx_err_oom(err);
    d->senders_set = true;
    for (size_t i = 0; i < n; i++) {
        struct sender_spec *s = &d->senders[i];
        uint8_t key[SENDER_KEY_SIZE];
        char field[64], hex[SENDER_KEY_HEX_LEN + 1];
        const char *why;
        int r;

        d->n_senders = i + 1;   /* freed with the op even when half-filled */
        snprintf(field, sizeof(field), "senders[%zu].name", i);
        if (!in[i].name)
            return op_err(op, err, -EINVAL, field, "required");
        if ((r = op_set_str(op, err, field, &s->name, in[i].name, check_secret_name)) < 0)
            return r;
        snprintf(field, sizeof(field), "senders[%zu].public_key", i);
        if (!in[i].public_key)
            return op_err(op, err, -EINVAL, field, "required");
        if ((why = sender_key_parse(in[i].public_key, key)))
            return op_err(op, err, -EINVAL, field, "%s", why);
        hex_encode(key, sizeof(key), hex);
        if (!(s->public_key = strdup(hex)))
            return tdx_err_oom(err);
        for (size_t j = 0; j < i; j++) {
            if (streq(d->senders[j].name, s->name))
                return op_err(op, err, -EINVAL, field, "sender \"%s\" is listed twice", s->name);
            if (streq(d->senders[j].public_key, s->public_key))
                return op_err(op, err, -EINVAL, field, "the same key as sender \"%s\"",
                              d->senders[j].name);
        }
        snprintf(field, sizeof(field), "senders[%zu].secrets", i);
        if ((r = op_set_strv(op, err, field, &s->secrets, in[i].secrets, check_secret_name)) < 0)
            return r;
    }
    return 0;
}

int tdx_image_set_secret_delivery(tdx_image *image, const tdx_secret_delivery_options *opts,
                                  tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_SECRET_DELIVERY_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_SECRET_DELIVERY, err, "tdx_image_set_secret_delivery()");
    struct delivery_spec *d = &op->u.delivery;
    if (opts->listen && !opts->listen[0])
        return op_fail(op, op_err(op, err, -EINVAL, "listen", "expected at least one address"));
    TRY(op, op_set_strv(op, err, "listen", &d->listen, opts->listen, check_listen));
    if (opts->wait_timeout != TDX_UNSET && (opts->wait_timeout < 0 || opts->wait_timeout > 31536000))
        return op_fail(op, op_err(op, err, -EINVAL, "wait_timeout", "expected 0 (forever) to "
                                  "31536000 seconds; got %lld", opts->wait_timeout));
    d->wait_timeout = opts->wait_timeout;
    d->insecure_allow_unattested = opts->insecure_allow_unattested == TDX_UNSET
                                       ? TDX_UNSET : !!opts->insecure_allow_unattested;
    if (opts->version >= 2) {
        static const char *const replace[] = { "never", "same-sender", "any-sender", NULL };
        TRY(op, op_set_choice(op, err, "replace", &d->replace, opts->replace, replace));
        TRY(op, set_senders(op, d, opts->senders, opts->n_senders, err));
    }
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

int tdx_image_debloat(tdx_image *image, const tdx_debloat_options *opts, tdx_error *err)
{
    tdx_debloat_options def = TDX_DEBLOAT_OPTIONS_INIT;
    tdx_check_arg(image, err);
    tdx_check_options(opts, TDX_DEBLOAT_OPTIONS_VERSION, err);
    if (!opts)
        opts = &def;
    NEW_OP(op, image, OP_DEBLOAT, err, "tdx_image_debloat()");
    struct debloat_spec *d = &op->u.debloat;
    d->enabled = opts->enabled == TDX_UNSET ? 1 : !!opts->enabled;
    d->systemd_minimize = opts->systemd_minimize == TDX_UNSET ? TDX_UNSET : !!opts->systemd_minimize;
    TRY(op, op_set_strv(op, err, "paths_skip", &d->paths_skip, opts->paths_skip, check_glob_path));
    TRY(op, op_set_strv(op, err, "paths_remove_extra", &d->paths_remove_extra,
                        opts->paths_remove_extra, check_glob_path));
    TRY(op, op_set_strv(op, err, "systemd_units_keep_extra", &d->units_keep_extra,
                        opts->systemd_units_keep_extra, check_unit_name));
    TRY(op, op_set_strv(op, err, "systemd_bins_keep_extra", &d->bins_keep_extra,
                        opts->systemd_bins_keep_extra, check_service_name));
    for (size_t i = 0; d->paths_remove_extra && d->paths_remove_extra[i]; i++) {
        static const char *const protected[] = { "/usr", "/etc", "/bin", "/sbin", "/lib",
                                                 "/lib64", "/usr/bin", "/usr/sbin", "/usr/lib",
                                                 "/var", "/boot", "/efi", "/*", NULL };
        if (string_index(d->paths_remove_extra[i], protected) >= 0) {
            char field[64];
            snprintf(field, sizeof(field), "paths_remove_extra[%zu]", i);
            return op_fail(op, op_bad_value(op, err, field, "expected a path below a system "
                                            "directory, not the directory itself",
                                            d->paths_remove_extra[i]));
        }
    }
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

int tdx_image_set_partitions(tdx_image *image, const tdx_partition *parts, size_t n_parts,
                             tdx_error *err)
{
    static const char *const mounts[] = { "/", "/usr", "/var", "/home", "/srv", "/tmp", NULL };
    static const char *const fss[] = { "ext4", "xfs", "btrfs", "vfat", "squashfs", "erofs", NULL };
    bool have_root = false;

    tdx_check_arg(image, err);
    tdx_check_arg(n_parts == 0 || parts, err);
    for (size_t i = 0; i < n_parts; i++)
        tdx_check_arg(parts[i].mountpoint && parts[i].fs, err);
    NEW_OP(op, image, OP_PARTITIONS, err, "tdx_image_set_partitions()");
    struct partitions_spec *ps = &op->u.partitions;
    if (n_parts > 16)
        return op_fail(op, op_err(op, err, -EINVAL, NULL, "at most 16 partitions"));
    ps->items = calloc(n_parts ? n_parts : 1, sizeof(*ps->items));
    if (!ps->items)
        return op_fail(op, tdx_err_oom(err));
    for (size_t i = 0; i < n_parts; i++) {
        char f[64];
        ps->n = i + 1;
        snprintf(f, sizeof(f), "%s[%zu].mountpoint", op->origin_is_path ? "" : "partitions", i);
        TRY(op, op_set_choice(op, err, f, &ps->items[i].mountpoint, parts[i].mountpoint, mounts));
        for (size_t j = 0; j < i; j++)
            if (streq(ps->items[j].mountpoint, parts[i].mountpoint))
                return op_fail(op, op_err(op, err, -EINVAL, f, "\"%s\" appears twice",
                                          parts[i].mountpoint));
        have_root |= streq(parts[i].mountpoint, "/");
        snprintf(f, sizeof(f), "%s[%zu].fs", op->origin_is_path ? "" : "partitions", i);
        TRY(op, op_set_choice(op, err, f, &ps->items[i].fs, parts[i].fs, fss));
        snprintf(f, sizeof(f), "%s[%zu].size", op->origin_is_path ? "" : "partitions", i);
        TRY(op, op_set_str(op, err, f, &ps->items[i].size, parts[i].size, check_size));
    }
    if (n_parts > 0 && !have_root)
        return op_fail(op, op_err(op, err, -EINVAL, NULL, "expected a partition for \"/\""));
    return op_commit(image, op, err);
}

int tdx_image_set_encryption(tdx_image *image, const tdx_encryption_options *opts, tdx_error *err)
{
    static const char *const types[] = { "luks2", "none", NULL };
    static const char *const sources[] = { "tpm", NULL };
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_ENCRYPTION_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_ENCRYPTION, err, "tdx_image_set_encryption()");
    struct encryption_spec *e = &op->u.encryption;
    if (!opts->type)
        return op_fail(op, op_err(op, err, -EINVAL, "type", "required"));
    TRY(op, op_set_choice(op, err, "type", &e->type, opts->type, types));
    if (streq(opts->type, "luks2") && !opts->key_source)
        return op_fail(op, op_err(op, err, -EINVAL, "key_source", "required with type \"luks2\""));
    TRY(op, op_set_choice(op, err, "key_source", &e->key_source, opts->key_source, sources));
    return op_commit(image, op, err);
}

int tdx_image_set_network(tdx_image *image, const tdx_network_options *opts, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_NETWORK_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_NETWORK, err, "tdx_image_set_network()");
    struct network_spec *n = &op->u.network;
    n->vsock = opts->vsock == TDX_UNSET ? TDX_UNSET : !!opts->vsock;
    if (opts->firewall) {
        if (strv_length((char *const *)opts->firewall) > 256)
            return op_fail(op, op_err(op, err, -EINVAL, "firewall", "at most 256 rules"));
        TRY(op, op_set_strv(op, err, "firewall", &n->firewall, opts->firewall,
                            check_firewall_rule));
        n->firewall_set = true;
    }
    return op_commit(image, op, err);
}

int tdx_image_set_ssh(tdx_image *image, const tdx_ssh_options *opts, tdx_error *err)
{
    static const char *const deliveries[] = { "secret", "image", NULL };
    tdx_ssh_options def = TDX_SSH_OPTIONS_INIT;
    tdx_check_arg(image, err);
    tdx_check_options(opts, TDX_SSH_OPTIONS_VERSION, err);
    if (!opts)
        opts = &def;
    NEW_OP(op, image, OP_SSH, err, "tdx_image_set_ssh()");
    struct ssh_spec *s = &op->u.ssh;
    s->enabled = opts->enabled == TDX_UNSET ? 1 : !!opts->enabled;
    TRY(op, op_set_choice(op, err, "key_delivery", &s->key_delivery, opts->key_delivery,
                          deliveries));
    TRY(op, op_set_strv(op, err, "authorized_keys", &s->authorized_keys, opts->authorized_keys,
                        check_line_value));
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

static const char *check_feature(const char *s)
{
    const char *msg = "expected a cargo feature name of letters, digits and _-/";
    if (isempty(s) || strlen(s) > 128)
        return msg;
    for (const char *p = s; *p; p++)
        if (!(isascii((unsigned char)*p) && (isalnum((unsigned char)*p) || strchr("_-/", *p))))
            return msg;
    return NULL;
}

static const char *check_rel_path(const char *s)
{
    const char *msg = "expected a relative path without \"..\" components";
    _cleanup_free_ char *abs = NULL;
    if (isempty(s) || s[0] == '/' || asprintf(&abs, "/%s", s) < 0)
        return msg;
    return check_abs_path(abs) ? msg : NULL;
}

static const char *check_target_arg(const char *s)
{
    const char *msg = "expected a package, binary or project path of letters, digits and ./_-";
    if (isempty(s) || strlen(s) > 256 || s[0] == '-')
        return msg;
    for (const char *p = s; *p; p++)
        if (!(isascii((unsigned char)*p) && (isalnum((unsigned char)*p) || strchr("./_-", *p))))
            return msg;
    return NULL;
}

static const char *build_kind_name(tdx_build_kind k)
{
    static const char *const names[] = { NULL, "go", "rust", "dotnet", "c", "script" };
    return k >= TDX_BUILD_GO && k <= TDX_BUILD_SCRIPT ? names[k] : NULL;
}

int tdx_image_add_build(tdx_image *image, const char *name, tdx_build_kind kind,
                        const tdx_build_options *opts, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(name, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_BUILD_OPTIONS_VERSION, err);
    tdx_check_arg(opts->n_artifacts == 0 || opts->artifacts, err);
    for (size_t i = 0; i < opts->n_artifacts; i++)
        tdx_check_arg(opts->artifacts[i].from && opts->artifacts[i].to, err);
    NEW_OP(op, image, OP_BUILD, err, "tdx_image_add_build(\"%.64s\")", name);
    struct build_spec *b = &op->u.build;
    const char *kname = build_kind_name(kind);
    bool toolchain_kind = kind == TDX_BUILD_GO || kind == TDX_BUILD_RUST || kind == TDX_BUILD_DOTNET;

    TRY(op, op_set_str(op, err, "name", &b->name, name, check_build_name));
    if (!kname)
        return op_fail(op, op_err(op, err, -EINVAL, "kind", "expected one of \"go\", \"rust\", "
                                  "\"dotnet\", \"c\", \"script\""));
    b->kind = kind;
    if (!opts->src)
        return op_fail(op, op_err(op, err, -EINVAL, "src", "required"));
    TRY(op, op_resolve_path(image, op, err, "src", opts->src, true, &b->src));

    if (!toolchain_kind && (opts->toolchain_version || opts->toolchain_url || opts->toolchain_sha256))
        return op_fail(op, op_err(op, err, -EINVAL, "toolchain", "only go, rust and dotnet builds "
                                  "download a toolchain; install compilers with build_deps"));
    TRY(op, op_set_str(op, err, "toolchain.version", &b->toolchain_version,
                       opts->toolchain_version, check_toolchain_version));
    TRY(op, op_set_str(op, err, "toolchain.url", &b->toolchain_url, opts->toolchain_url, check_url));
    TRY(op, op_set_str(op, err, "toolchain.sha256", &b->toolchain_sha256, opts->toolchain_sha256,
                       check_sha256));
    if ((b->toolchain_version || b->toolchain_url) && !b->toolchain_sha256)
        return op_fail(op, op_err(op, err, -EINVAL, "toolchain.sha256", "required: every "
                                  "downloaded toolchain is pinned by its SHA-256"));
    if (b->toolchain_sha256 && !b->toolchain_version && !b->toolchain_url)
        return op_fail(op, op_err(op, err, -EINVAL, "toolchain.version", "required with "
                                  "toolchain.sha256 (or give toolchain.url)"));
    if (kind == TDX_BUILD_DOTNET && !b->toolchain_version && !b->toolchain_url)
        return op_fail(op, op_err(op, err, -EINVAL, "toolchain.version", "required for dotnet "
                                  "builds (Debian has no .NET SDK package)"));

    if (toolchain_kind) {
        if (!opts->output)
            return op_fail(op, op_err(op, err, -EINVAL, "output", "required for %s builds", kname));
        TRY(op, op_set_str(op, err, "output", &b->output, opts->output, check_abs_path));
        TRY(op, op_claim_path(op, err, "output", opts->output));
    } else if (opts->output) {
        return op_fail(op, op_err(op, err, -EINVAL, "output", "not used by %s builds; list "
                                  "\"artifacts\"", kname));
    }
    TRY(op, op_set_str(op, err, "target", &b->target, opts->target, check_target_arg));
    if (opts->target && !toolchain_kind)
        return op_fail(op, op_err(op, err, -EINVAL, "target", "only for go, rust and dotnet builds"));
    if (opts->ldflags && kind != TDX_BUILD_GO)
        return op_fail(op, op_err(op, err, -EINVAL, "ldflags", "only for go builds"));
    TRY(op, op_set_str(op, err, "ldflags", &b->ldflags, opts->ldflags, check_line_value));
    if (opts->features && kind != TDX_BUILD_RUST)
        return op_fail(op, op_err(op, err, -EINVAL, "features", "only for rust builds"));
    TRY(op, op_set_strv(op, err, "features", &b->features, opts->features, check_feature));
    if (opts->self_contained != TDX_UNSET && kind != TDX_BUILD_DOTNET)
        return op_fail(op, op_err(op, err, -EINVAL, "self_contained", "only for dotnet builds"));
    b->self_contained = opts->self_contained == 1;

    if (!toolchain_kind && !opts->build_script)
        return op_fail(op, op_err(op, err, -EINVAL, "build_script", "required for %s builds", kname));
    if (toolchain_kind && opts->build_script)
        return op_fail(op, op_err(op, err, -EINVAL, "build_script", "only for c and script builds"));
    if (opts->build_script) {
        if (strlen(opts->build_script) > 1024 * 1024)
            return op_fail(op, op_err(op, err, -EINVAL, "build_script", "longer than 1 MiB"));
        TRY(op, op_set_str(op, err, "build_script", &b->build_script, opts->build_script, NULL));
    }
    if (kind == TDX_BUILD_C && opts->n_artifacts == 0)
        return op_fail(op, op_err(op, err, -EINVAL, "artifacts", "at least one required for c "
                                  "builds"));
    if (toolchain_kind && opts->n_artifacts)
        return op_fail(op, op_err(op, err, -EINVAL, "artifacts", "only for c and script builds; "
                                  "use \"output\""));
    if (opts->n_artifacts > 256)
        return op_fail(op, op_err(op, err, -EINVAL, "artifacts", "at most 256"));
    b->artifacts = calloc(opts->n_artifacts ? opts->n_artifacts : 1, sizeof(*b->artifacts));
    if (!b->artifacts)
        return op_fail(op, tdx_err_oom(err));
    for (size_t i = 0; i < opts->n_artifacts; i++) {
        char field[64];
        b->n_artifacts = i + 1;
        snprintf(field, sizeof(field), "artifacts[%zu].from", i);
        TRY(op, op_set_str(op, err, field, &b->artifacts[i].from, opts->artifacts[i].from,
                           check_rel_path));
        snprintf(field, sizeof(field), "artifacts[%zu].to", i);
        TRY(op, op_set_str(op, err, field, &b->artifacts[i].to, opts->artifacts[i].to,
                           check_abs_path));
        TRY(op, op_claim_path(op, err, "artifacts", opts->artifacts[i].to));
    }
    TRY(op, op_set_strv(op, err, "build_deps", &b->build_deps, opts->build_deps, check_package));
    /* Values are quoted into the build script, so anything but NUL goes;
     * the bound keeps a script readable. */
    TRY(op, op_set_strv(op, err, "env", &b->env, opts->env, check_env_assignment));
    for (size_t i = 0; b->env && b->env[i]; i++) {
        if (strlen(b->env[i]) > 65536) {
            char field[32];
            snprintf(field, sizeof(field), "env[%zu]", i);
            return op_fail(op, op_err(op, err, -EINVAL, field, "longer than 65536 bytes"));
        }
    }
    b->reproducible = opts->reproducible != 0;
    TRY(op, op_claim(op, err, "name", "build", name));
    return op_commit(image, op, err);
}

/* ------------------------------------------------------------------------ */

const char *tdx_phase_name(tdx_phase phase)
{
    static const char *const names[RECIPE_PHASE_COUNT] = { "sync", "prepare", "build", "postinst",
                                                           "finalize", "postoutput", "clean" };
    return (unsigned)phase < RECIPE_PHASE_COUNT ? names[phase] : NULL;
}

static int fill_script(tdx_image *image, struct op *op, tdx_error *err, const char *commands,
                       const char *file)
{
    struct script_spec *s = &op->u.script;
    if (!!commands == !!file)
        return op_err(op, err, -EINVAL, NULL, "expected exactly one of \"commands\" and \"file\"");
    if (commands) {
        if (strlen(commands) > 1024 * 1024)
            return op_err(op, err, -EINVAL, NULL, "commands longer than 1 MiB");
        if (strspn(commands, " \t\n") == strlen(commands))
            return op_err(op, err, -EINVAL, NULL, "expected commands; got only white space");
        s->commands = strdup(commands);
        return s->commands ? 0 : tdx_err_oom(err);
    }
    return op_resolve_path(image, op, err, "file", file, false, &s->file);
}

int tdx_image_add_script(tdx_image *image, tdx_phase phase, const tdx_script_options *opts,
                         tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_SCRIPT_OPTIONS_VERSION, err);
    if (!tdx_phase_name(phase))
        return tdx_err(err, -EINVAL, "tdx_image_add_script: unknown phase %d", (int)phase);
    NEW_OP(op, image, OP_SCRIPT, err, "tdx_image_add_script(%s)", tdx_phase_name(phase));
    struct script_spec *s = &op->u.script;
    bool chroot_ok = phase == TDX_PHASE_PREPARE || phase == TDX_PHASE_BUILD ||
                     phase == TDX_PHASE_POSTINST || phase == TDX_PHASE_FINALIZE;
    s->phase = phase;
    TRY(op, fill_script(image, op, err, opts->commands, opts->file));
    if (opts->chroot == 1 && !chroot_ok)
        return op_fail(op, op_err(op, err, -EINVAL, "chroot", "mkosi cannot run %s scripts "
                                  "inside the image", tdx_phase_name(phase)));
    if (opts->chroot == TDX_UNSET)
        s->chroot = phase == TDX_PHASE_PREPARE || phase == TDX_PHASE_BUILD ||
                    phase == TDX_PHASE_POSTINST;
    else
        s->chroot = !!opts->chroot;
    return op_commit(image, op, err);
}

int tdx_image_run(tdx_image *image, const char *commands, tdx_error *err)
{
    tdx_script_options o = TDX_SCRIPT_OPTIONS_INIT;
    tdx_check_arg(commands, err);
    o.commands = commands;
    return tdx_image_add_script(image, TDX_PHASE_POSTINST, &o, err);
}

int tdx_image_run_script(tdx_image *image, const char *path, tdx_error *err)
{
    tdx_script_options o = TDX_SCRIPT_OPTIONS_INIT;
    tdx_check_arg(path, err);
    o.file = path;
    return tdx_image_add_script(image, TDX_PHASE_POSTINST, &o, err);
}

int tdx_image_on_boot(tdx_image *image, const char *commands, tdx_error *err)
{
    tdx_check_arg(image, err);
    tdx_check_arg(commands, err);
    NEW_OP(op, image, OP_ON_BOOT, err, "tdx_image_on_boot()");
    TRY(op, fill_script(image, op, err, commands, NULL));
    return op_commit(image, op, err);
}

static const char *check_module_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return "expected a kernel module name of 1 to 64 characters";
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return "expected a kernel module name ([A-Za-z0-9_-])";
    return NULL;
}

static const char *check_exclude(const char *s)
{
    return strpbrk(s, "/=") ? "expected a Debian package name without /SUITE or =VERSION"
                            : check_package(s);
}

/* Dotted-quad IPv4 address, each part 0..255 without leading zeros. */
static bool ipv4_ok(const char *s, const char **end)
{
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        int digits = 0;
        if (part > 0 && *s++ != '.')
            return false;
        while (isdigit((unsigned char)*s) && digits < 4) {
            if (digits == 1 && v == 0)
                return false;
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || v > 255)
            return false;
    }
    *end = s;
    return true;
}

static const char *check_ipv4(const char *s)
{
    const char *end;
    return ipv4_ok(s, &end) && *end == '\0' ? NULL : "expected an IPv4 address (a.b.c.d)";
}

static const char *check_ipv4_cidr(const char *s)
{
    const char *end, *msg = "expected an IPv4 address with prefix length (a.b.c.d/N, N 1..32)";
    char *num_end;
    long len;
    if (!ipv4_ok(s, &end) || *end != '/' || !isdigit((unsigned char)end[1]))
        return msg;
    len = strtol(end + 1, &num_end, 10);
    return *num_end == '\0' && len >= 1 && len <= 32 ? NULL : msg;
}

static const char *check_interface(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || streq(s, ".") || streq(s, ".."))
        return "expected a network interface name of 1 to 15 characters";
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
            return "expected a network interface name without '/', ':' or spaces";
    /* One name, not a pattern: systemd-networkd's Name= reads these as globs
     * and '!' as negation. */
    if (strpbrk(s, "*?[]!"))
        return "expected one network interface name, without '*', '?', '[', ']' or '!'";
    return NULL;
}

int tdx_image_set_native(tdx_image *image, const tdx_native_options *opts, tdx_error *err)
{
    static const char *const compressions[] = { "gzip", "zstd", "none", NULL };
    static const char *const modes[] = { "none", "dhcp", "static", NULL };
    tdx_check_arg(image, err);
    tdx_check_arg(opts, err);
    tdx_check_options(opts, TDX_NATIVE_OPTIONS_VERSION, err);
    NEW_OP(op, image, OP_NATIVE, err, "tdx_image_set_native()");
    struct native_spec *n = &op->u.native;
    n->test_provider = TDX_UNSET;
    if (opts->modules) {
        if (strv_length((char *const *)opts->modules) > 512)
            return op_fail(op, op_err(op, err, -EINVAL, "modules", "at most 512 modules"));
        TRY(op, op_set_strv(op, err, "modules", &n->modules, opts->modules, check_module_name));
        n->modules_set = true;
    }
    if (opts->exclude) {
        TRY(op, op_set_strv(op, err, "exclude", &n->exclude, opts->exclude, check_exclude));
        n->exclude_set = true;
    }
    TRY(op, op_set_choice(op, err, "compression", &n->compression, opts->compression,
                          compressions));
    if (opts->test_provider != TDX_UNSET) {
        if (opts->test_provider && image->current == 0)
            return op_fail(op, op_err(op, err, -EINVAL, "test_provider",
                                      "simulated quotes only in a profile (e.g. \"dev\"), never "
                                      "in the default profile"));
        n->test_provider = !!opts->test_provider;
    }
    TRY(op, op_set_choice(op, err, "mode", &n->net_mode, opts->network_mode, modes));
    TRY(op, op_set_str(op, err, "interface", &n->net_interface, opts->network_interface,
                       check_interface));
    TRY(op, op_set_str(op, err, "address", &n->net_address, opts->network_address,
                       check_ipv4_cidr));
    TRY(op, op_set_str(op, err, "gateway", &n->net_gateway, opts->network_gateway, check_ipv4));
    if (opts->network_dns) {
        if (strv_length((char *const *)opts->network_dns) > 8)
            return op_fail(op, op_err(op, err, -EINVAL, "dns", "at most 8 name servers"));
        TRY(op, op_set_strv(op, err, "dns", &n->net_dns, opts->network_dns, check_ipv4));
        n->net_dns_set = true;
    }
    if (n->net_mode && streq(n->net_mode, "static") && !n->net_address)
        return op_fail(op, op_err(op, err, -EINVAL, "address", "required with mode \"static\""));
    return op_commit(image, op, err);
}
