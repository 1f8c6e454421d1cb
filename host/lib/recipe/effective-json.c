/* SPDX-License-Identifier: MIT */
/* The effective recipe of a profile as canonical JSON, for inspection
 * (`tdxctl recipe show`) and comparison. Source files appear as the absolute
 * paths they were resolved to. */
#include <jansson.h>

#include "error.h"
#include "json-text.h"
#include "model.h"

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jstrv(char *const *v)
{
    json_t *a = json_array();
    STRV_FOREACH(s, v)
        json_array_append_new(a, json_string(*s));
    return a;
}

json_t *recipe_senders_json(const struct recipe *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->delivery.n_senders; i++) {
        const struct sender_spec *s = &r->delivery.senders[i];
        json_t *o = json_pack("{s:s, s:s}", "name", s->name, "public_key", s->public_key);
        if (o && s->secrets && json_object_set_new(o, "secrets", jstrv(s->secrets)) < 0) {
            json_decref(o);
            o = NULL;
        }
        if (!o || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *jmode(int mode)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%04o", (unsigned)mode);
    return json_string(buf);
}

static json_t *jfile(const struct op *op)
{
    const struct file_spec *f = &op->u.file;
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:s}", "dest", f->dest, "mode", jmode(f->mode),
                          "owner", jstr(f->owner ? f->owner : "root"), "group",
                          jstr(f->group ? f->group : f->owner ? f->owner : "root"), "src",
                          jstr(f->src), "origin", op->origin);
    if (o && f->content)
        json_object_set_new(o, "content", json_string(f->content));
    if (o && f->is_template) {
        json_t *vars = json_object();
        for (size_t i = 0; i < f->n_vars; i++)
            json_object_set_new(vars, f->var_names[i], json_string(f->var_values[i]));
        json_object_set_new(o, "vars", vars);
    }
    return o;
}

static json_t *jlist(const ptrvec *v, json_t *(*fn)(const struct op *))
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, fn(v->items[i]));
    return a;
}

static json_t *jrepo(const struct op *op)
{
    const struct repo_spec *r = &op->u.repo;
    return json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", r->name, "url", r->url, "suite",
                     r->suite, "components", jstrv(r->components), "keyring", r->keyring);
}

static json_t *juser(const struct op *op)
{
    const struct user_spec *u = &op->u.user;
    return json_pack("{s:s, s:b, s:o, s:o, s:o, s:o}", "name", u->name, "system", u->system,
                     "uid", u->uid == TDX_UNSET ? json_null() : json_integer(u->uid), "home",
                     jstr(u->home), "shell", jstr(u->shell ? u->shell : "/usr/sbin/nologin"),
                     "groups", jstrv(u->groups));
}

static json_t *jservice(const struct op *op)
{
    const struct service_spec *s = &op->u.service;
    json_t *extra = json_array();
    for (size_t i = 0; i < s->n_extra; i++)
        json_array_append_new(extra, json_pack("[s,s,s]", s->extra[i].section, s->extra[i].key,
                                               s->extra[i].value));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
                     s->name, "exec", s->exec, "description", jstr(s->description), "type",
                     jstr(s->type ? s->type : "simple"), "restart", jstr(s->restart ? s->restart : "no"),
                     "user", jstr(s->user), "group", jstr(s->group), "after", jstrv(s->after),
                     "requires", jstrv(s->requires), "wants", jstrv(s->wants), "wanted_by",
                     s->wanted_by ? jstrv(s->wanted_by) : json_null(), "unit", extra, "origin",
                     jstr(op->origin));
}

static json_t *jsecret(const struct op *op)
{
    static const char *const kinds[] = { "string", "hex", "base64", "json" };
    const struct secret_spec *s = &op->u.secret;
    json_t *env = json_array();
    for (size_t i = 0; env && i < s->n_env; i++)
        json_array_append_new(env, json_pack("{s:s, s:s}", "env", s->env[i].name, "scope",
                                             s->env[i].scope));
    return json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:b, s:o, s:{s:s, s:I, s:I, s:o}, s:o, s:o, s:o}",
                     "name", s->name, "dest", jstr(s->dest), "env", env ? env : json_null(),
                     "owner", s->owner ? s->owner : "root",
                     "group", s->group ? s->group : s->owner ? s->owner : "root", "mode",
                     jmode(s->mode), "required", s->required, "description", jstr(s->description),
                     "schema", "kind", kinds[s->kind], "min_length", (json_int_t)s->min_length,
                     "max_length", (json_int_t)s->max_length, "pattern", jstr(s->pattern),
                     "dir_mode", s->dir_mode == TDX_UNSET ? json_null() : jmode(s->dir_mode),
                     "dir_owner", jstr(s->dir_owner), "dir_group", jstr(s->dir_group));
}

static json_t *jbuild(const struct op *op)
{
    static const char *const kinds[] = { "", "go", "rust", "dotnet", "c", "script" };
    const struct build_spec *b = &op->u.build;
    json_t *arts = json_array(), *o;
    for (size_t i = 0; i < b->n_artifacts; i++)
        json_array_append_new(arts, json_pack("[s,s]", b->artifacts[i].from, b->artifacts[i].to));
    o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}",
                  "name", b->name, "kind", kinds[b->kind], "src", b->src, "toolchain_version",
                  jstr(b->toolchain_version), "toolchain_url", jstr(b->toolchain_url),
                  "toolchain_sha256", jstr(b->toolchain_sha256), "output", jstr(b->output),
                  "target", jstr(b->target), "ldflags", jstr(b->ldflags), "features",
                  jstrv(b->features), "build_script", jstr(b->build_script), "artifacts", arts,
                  "build_deps", jstrv(b->build_deps), "env", jstrv(b->env), "self_contained",
                  b->self_contained, "reproducible", b->reproducible);
    return o;
}

static json_t *jscript(const struct op *op)
{
    const struct script_spec *s = &op->u.script;
    return json_pack("{s:o, s:o, s:b, s:s}", "commands", jstr(s->commands), "file", jstr(s->file),
                     "chroot", s->chroot, "origin", op->origin);
}

/* json_object_set_new() drops a NULL value (a failed allocation below)
 * silently; remember it instead. */
static void put(json_t *obj, const char *key, json_t *value, bool *failed)
{
    if (!value || json_object_set_new(obj, key, value) < 0)
        *failed = true;
}

static json_t *render(const struct recipe *r)
{
    json_t *scripts = json_object(), *parts = json_array(), *root;
    bool failed = !scripts || !parts;

    for (int p = 0; p < RECIPE_PHASE_COUNT; p++)
        put(scripts, tdx_phase_name((tdx_phase)p), jlist(&r->scripts[p], jscript), &failed);
    for (size_t i = 0; r->partitions && i < r->partitions->n; i++) {
        const struct partition_spec *ps = &r->partitions->items[i];
        json_array_append_new(parts, json_pack("{s:s, s:s, s:o}", "mountpoint", ps->mountpoint,
                               "fs", ps->fs, "size", jstr(ps->size)));
    }

    root = json_object();
    put(root, "profile", json_string(r->profile), &failed);
    put(root, "image_id", json_string(r->image_id), &failed);
    put(root, "distribution", json_string(r->distribution), &failed);
    put(root, "release", json_string(r->release), &failed);
    put(root, "mirror", jstr(r->mirror), &failed);
    put(root, "kernel",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "package",
                  jstr(r->kernel.package), "suite", jstr(r->kernel.suite),
                  "version", jstr(r->kernel.source_version), "url",
                  jstr(r->kernel.source_url), "sha256",
                  jstr(r->kernel.source_sha256), "config_file",
                  jstr(r->kernel.config_file), "cmdline", jstr(r->kernel.cmdline)), &failed);
    put(root, "init", json_string(r->init), &failed);
    put(root, "default_target", json_string(r->default_target), &failed);
    put(root, "firmware", json_string(r->firmware), &failed);
    put(root, "output",
        json_pack("{s:s, s:o, s:o, s:I, s:b, s:b}", "format", r->output.format,
                  "image_version", jstr(r->output.image_version), "seed",
                  jstr(r->output.seed), "source_date_epoch",
                  (json_int_t)r->output.source_date_epoch, "docs",
                  r->output.docs, "tools_tree", r->output.tools_tree), &failed);
    put(root, "install", jstrv(r->packages), &failed);
    put(root, "repositories", jlist(&r->repositories, jrepo), &failed);
    put(root, "skeleton", jlist(&r->skeleton, jfile), &failed);
    put(root, "files", jlist(&r->files, jfile), &failed);
    put(root, "users", jlist(&r->users, juser), &failed);
    put(root, "services", jlist(&r->services, jservice), &failed);
    put(root, "secrets", jlist(&r->secrets, jsecret), &failed);
    put(root, "secret_delivery",
        json_pack("{s:o, s:I, s:b, s:o*, s:s}", "listen", jstrv(r->delivery.listen),
                  "wait_timeout", (json_int_t)r->delivery.wait_timeout,
                  "insecure_allow_unattested", r->delivery.insecure_allow_unattested,
                  "senders", recipe_senders_json(r), "replace", r->delivery.replace), &failed);
    put(root, "debloat",
        json_pack("{s:b, s:b, s:o, s:o, s:o}", "enabled", r->debloat.enabled,
                  "systemd_minimize", r->debloat.systemd_minimize, "paths",
                  jstrv(r->debloat.paths), "units_keep", jstrv(r->debloat.units),
                  "bins_keep", jstrv(r->debloat.bins)), &failed);
    put(root, "partitions", parts, &failed);
    put(root, "encryption",
        json_pack("{s:s, s:o}", "type", r->encryption.type, "key_source",
                  jstr(r->encryption.key_source)), &failed);
    put(root, "network",
        json_pack("{s:b, s:o}", "vsock", r->network.vsock, "firewall",
                  r->network.firewall ? jstrv(r->network.firewall) : json_null()), &failed);
    /* Only when set, so recipes without native settings keep their text. */
    if (r->native.any)
        put(root, "native",
            json_pack("{s:o, s:o, s:s, s:b, s:{s:s, s:o, s:o, s:o, s:o}}", "modules",
                      jstrv(r->native.modules), "exclude", jstrv(r->native.exclude),
                      "compression", r->native.compression, "test_provider",
                      r->native.test_provider, "network", "mode", r->native.net_mode,
                      "interface", jstr(r->native.net_interface), "address",
                      jstr(r->native.net_address), "gateway", jstr(r->native.net_gateway),
                      "dns", jstrv(r->native.net_dns)), &failed);
    put(root, "ssh",
        json_pack("{s:b, s:s, s:o}", "enabled", r->ssh.enabled, "key_delivery",
                  r->ssh.key_delivery, "authorized_keys",
                  jstrv(r->ssh.authorized_keys)), &failed);
    put(root, "builds", jlist(&r->builds, jbuild), &failed);
    put(root, "scripts", scripts, &failed);
    put(root, "on_boot", jlist(&r->on_boot, jscript), &failed);

    if (failed) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int tdx_image_effective_json(const tdx_image *image, const char *profile, char **out,
                             tdx_error *err)
{
    _cleanup_recipe_ struct recipe *r = NULL;
    json_t *root;
    char *text;
    int rc = recipe_resolve_checked(__func__, image, out != NULL, profile, &r, err);

    if (rc < 0)
        return rc;
    root = render(r);
    if (!root)
        return tdx_err_oom(err);
    text = json_canonical_text(root);
    json_decref(root);
    if (!text)
        return tdx_err_oom(err);
    *out = text;
    return 0;
}
