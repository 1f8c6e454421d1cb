/* SPDX-License-Identifier: MIT */
/* Folding a profile's operations into its effective recipe. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "manifest.h"
#include "op.h"
#include "paths.h"

/* Which op last set the values that later checks depend on. */
struct setters {
    const struct op *kernel_version, *partitions, *encryption, *ssh, *format;
};

static const char *const default_listen[] = { DEFAULT_AGENT_LISTEN, NULL };

struct recipe *recipe_free(struct recipe *r)
{
    if (!r)
        return NULL;
    free((char *)r->image_id);
    strv_free(r->packages);
    ptrvec_free(&r->repositories);
    ptrvec_free(&r->files);
    ptrvec_free(&r->skeleton);
    ptrvec_free(&r->users);
    ptrvec_free(&r->services);
    ptrvec_free(&r->secrets);
    ptrvec_free(&r->builds);
    ptrvec_free(&r->on_boot);
    for (size_t i = 0; i < RECIPE_PHASE_COUNT; i++)
        ptrvec_free(&r->scripts[i]);
    strv_free(r->debloat.paths);
    strv_free(r->debloat.units);
    strv_free(r->debloat.bins);
    free(r);
    return NULL;
}

static void apply_kernel(struct recipe *r, const struct op *op, struct setters *set)
{
    const struct kernel_spec *k = &op->u.kernel;
    if (k->package) {
        r->kernel.package = k->package;
        r->kernel.source_version = r->kernel.source_url = r->kernel.source_sha256 = NULL;
        set->kernel_version = NULL;
    }
    if (k->source_version) {
        r->kernel.source_version = k->source_version;
        r->kernel.package = r->kernel.suite = NULL;
        set->kernel_version = op;
    }
    if (k->suite)
        r->kernel.suite = k->suite;
    if (k->source_url)
        r->kernel.source_url = k->source_url;
    if (k->source_sha256)
        r->kernel.source_sha256 = k->source_sha256;
    if (k->cmdline)
        r->kernel.cmdline = k->cmdline;
    if (k->config_file) {
        r->kernel.config_file = k->config_file;
        r->kernel.config_profile = op->profile;
    }
}

static void apply_output(struct recipe *r, const struct op *op, struct setters *set)
{
    const struct output_spec *o = &op->u.output;
    if (o->format) {
        r->output.format = o->format;
        set->format = op;
    }
    if (o->image_version)
        r->output.image_version = o->image_version;
    if (o->seed)
        r->output.seed = o->seed;
    if (o->source_date_epoch != TDX_UNSET)
        r->output.source_date_epoch = o->source_date_epoch;
    if (o->docs != TDX_UNSET)
        r->output.docs = o->docs;
    if (o->tools_tree != TDX_UNSET)
        r->output.tools_tree = o->tools_tree;
}

/* The seed's list removes /usr/lib/modules, which suits only monolithic
 * kernels: Debian's kernels, and the ones we build, load vsock and virtio
 * drivers as modules. Keep it unless a recipe asks for it explicitly. */
#define MODULES_DIR "/usr/lib/modules"

static int apply_debloat(struct recipe *r, const struct debloat_spec *d)
{
    r->debloat.enabled = d->enabled;
    if (d->systemd_minimize != TDX_UNSET)
        r->debloat.systemd_minimize = d->systemd_minimize;
    STRV_FOREACH(p, d->paths_skip)
        strv_remove(r->debloat.paths, *p);
    if (strv_extend(&r->debloat.paths, (const char *const *)d->paths_remove_extra) < 0 ||
        strv_extend(&r->debloat.units, (const char *const *)d->units_keep_extra) < 0 ||
        strv_extend(&r->debloat.bins, (const char *const *)d->bins_keep_extra) < 0)
        return -ENOMEM;
    return 0;
}

static void apply_native(struct recipe *r, const struct native_spec *n)
{
    if (n->modules_set)
        r->native.modules = n->modules;
    if (n->exclude_set)
        r->native.exclude = n->exclude;
    if (n->net_dns_set)
        r->native.net_dns = n->net_dns;
    if (n->compression)
        r->native.compression = n->compression;
    if (n->net_mode)
        r->native.net_mode = n->net_mode;
    if (n->net_interface)
        r->native.net_interface = n->net_interface;
    if (n->net_address)
        r->native.net_address = n->net_address;
    if (n->net_gateway)
        r->native.net_gateway = n->net_gateway;
    if (n->test_provider != TDX_UNSET)
        r->native.test_provider = n->test_provider;
    r->native.any = true;
}

static int apply(struct recipe *r, const struct op *op, struct setters *set)
{
    switch (op->kind) {
    case OP_BASE: {
        const char *slash = strchr(op->u.str, '/');
        r->distribution = strncmp(op->u.str, "debian/", 7) == 0 ? "debian" : "ubuntu";
        r->release = slash + 1;
        return 0;
    }
    case OP_MIRROR:
        r->mirror = op->u.str;
        return 0;
    case OP_KERNEL:
        apply_kernel(r, op, set);
        return 0;
    case OP_INIT:
        r->init = op->u.str;
        return 0;
    case OP_DEFAULT_TARGET:
        r->default_target = op->u.str;
        return 0;
    case OP_FIRMWARE:
        r->firmware = op->u.str;
        return 0;
    case OP_OUTPUT:
        apply_output(r, op, set);
        return 0;
    case OP_INSTALL:
        return strv_extend(&r->packages, (const char *const *)op->u.strv);
    case OP_REPOSITORY:
        return ptrvec_push(&r->repositories, (void *)op);
    case OP_FILE:
        return ptrvec_push(&r->files, (void *)op);
    case OP_SKELETON:
        return ptrvec_push(&r->skeleton, (void *)op);
    case OP_USER:
        return ptrvec_push(&r->users, (void *)op);
    case OP_SERVICE:
        return ptrvec_push(&r->services, (void *)op);
    case OP_SECRET:
        return ptrvec_push(&r->secrets, (void *)op);
    case OP_SECRET_DELIVERY:
        if (op->u.delivery.listen)
            r->delivery.listen = op->u.delivery.listen;
        if (op->u.delivery.wait_timeout != TDX_UNSET)
            r->delivery.wait_timeout = op->u.delivery.wait_timeout;
        if (op->u.delivery.insecure_allow_unattested != TDX_UNSET)
            r->delivery.insecure_allow_unattested = op->u.delivery.insecure_allow_unattested;
        if (op->u.delivery.senders_set) {
            r->delivery.senders = op->u.delivery.senders;
            r->delivery.n_senders = op->u.delivery.n_senders;
            r->delivery.senders_op = op;
        }
        if (op->u.delivery.replace)
            r->delivery.replace = op->u.delivery.replace;
        return 0;
    case OP_DEBLOAT:
        return apply_debloat(r, &op->u.debloat);
    case OP_PARTITIONS:
        r->partitions = op->u.partitions.n ? &op->u.partitions : NULL;
        set->partitions = r->partitions ? op : NULL;
        return 0;
    case OP_ENCRYPTION:
        r->encryption.type = op->u.encryption.type;
        r->encryption.key_source = op->u.encryption.key_source;
        set->encryption = streq(op->u.encryption.type, "none") ? NULL : op;
        return 0;
    case OP_NETWORK:
        if (op->u.network.vsock != TDX_UNSET)
            r->network.vsock = op->u.network.vsock;
        if (op->u.network.firewall_set)
            r->network.firewall = op->u.network.firewall;
        return 0;
    case OP_SSH:
        r->ssh.enabled = op->u.ssh.enabled;
        if (op->u.ssh.key_delivery)
            r->ssh.key_delivery = op->u.ssh.key_delivery;
        if (op->u.ssh.authorized_keys)
            r->ssh.authorized_keys = op->u.ssh.authorized_keys;
        set->ssh = op;
        return 0;
    case OP_BUILD:
        return ptrvec_push(&r->builds, (void *)op);
    case OP_SCRIPT:
        return ptrvec_push(&r->scripts[op->u.script.phase], (void *)op);
    case OP_ON_BOOT:
        return ptrvec_push(&r->on_boot, (void *)op);
    case OP_NATIVE:
        apply_native(r, &op->u.native);
        return 0;
    }
    return -EINVAL;
}

static bool same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    return sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

static bool has_dir_settings(const struct secret_spec *s)
{
    return s->dir_mode != TDX_UNSET || s->dir_owner || s->dir_group;
}

/* Secrets that share a directory describe it alike when they describe it;
 * the SSH keys' directory is 0700 root. */
static int check_secret_dirs(const struct recipe *r, tdx_error *err)
{
    bool ssh = r->ssh.enabled && streq(r->ssh.key_delivery, "secret");
    for (size_t i = 0; i < r->secrets.n; i++) {
        const struct op *a = r->secrets.items[i];
        const struct secret_spec *x = &a->u.secret;
        if (!has_dir_settings(x))
            continue;
        if (!x->dest)
            continue;
        if (ssh && same_dir(x->dest, "/root/.ssh/authorized_keys") &&
            (x->dir_mode != SSH_KEYS_DIR_MODE || !streq(strempty(x->dir_owner), "root") ||
             !streq(x->dir_group ? x->dir_group : "root", "root")))
            return op_err(a, err, -EINVAL, "dir_mode", "/root/.ssh is the SSH keys' directory "
                          "(mode 0700, root:root) while ssh.key_delivery is \"secret\"");
        for (size_t j = 0; j < r->secrets.n; j++) {
            const struct secret_spec *y = &((const struct op *)r->secrets.items[j])->u.secret;
            if (j == i || !has_dir_settings(y) || !y->dest || !same_dir(x->dest, y->dest))
                continue;
            if (x->dir_mode != y->dir_mode || !streq_ptr(x->dir_owner, y->dir_owner) ||
                !streq_ptr(x->dir_group, y->dir_group))
                return op_err(a, err, -EINVAL, "dir_mode", "secret \"%s\" describes the "
                              "directory of %s otherwise (dir_mode, dir_owner, dir_group must "
                              "agree)", y->name, x->dest);
        }
    }
    return 0;
}

int recipe_service_env_files(const struct recipe *r, const char *service, char ***out)
{
    char own[256], path[4096];
    bool global = false, mine = false;

    snprintf(own, sizeof(own), "service:%s", service);
    *out = NULL;
    for (size_t i = 0; i < r->secrets.n; i++) {
        const struct secret_spec *s = &((const struct op *)r->secrets.items[i])->u.secret;
        for (size_t k = 0; k < s->n_env; k++) {
            global |= streq(s->env[k].scope, "global");
            mine |= streq(s->env[k].scope, own);
        }
    }
    if (global && (manifest_env_file("global", path, sizeof(path)) < 0 ||
                   strv_push(out, path) < 0))
        return -ENOMEM;
    if (mine && (manifest_env_file(own, path, sizeof(path)) < 0 || strv_push(out, path) < 0)) {
        strv_free(*out);
        *out = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* An environment target's service is a service of the profile, and no
 * variable is targeted twice in one scope. */
static int check_env_targets(const struct recipe *r, tdx_error *err)
{
    for (size_t i = 0; i < r->secrets.n; i++) {
        const struct op *a = r->secrets.items[i];
        const struct secret_spec *s = &a->u.secret;
        for (size_t k = 0; k < s->n_env; k++) {
            const char *scope = s->env[k].scope;
            bool known = !startswith(scope, "service:");
            for (size_t j = 0; j < r->services.n && !known; j++)
                known = streq(((const struct op *)r->services.items[j])->u.service.name,
                              scope + strlen("service:"));
            if (!known)
                return op_err(a, err, -EINVAL, "targets", "scope %s: no such service in this "
                              "profile", scope);
            for (size_t j = 0; j < i; j++) {
                const struct secret_spec *o = &((const struct op *)r->secrets.items[j])->u.secret;
                for (size_t m = 0; m < o->n_env; m++)
                    if (streq(o->env[m].name, s->env[k].name) && streq(o->env[m].scope, scope))
                        return op_err(a, err, -EINVAL, "targets", "%s in %s is also a target of "
                                      "secret \"%s\"", s->env[k].name, scope, o->name);
            }
        }
    }
    return 0;
}

/* A sender's secrets are secrets of the profile. */
static int check_senders(const struct recipe *r, tdx_error *err)
{
    bool ssh = r->ssh.enabled && streq(r->ssh.key_delivery, "secret");
    for (size_t i = 0; i < r->delivery.n_senders; i++)
        STRV_FOREACH(name, r->delivery.senders[i].secrets) {
            bool known = ssh && streq(*name, SSH_KEYS_SECRET_NAME);
            for (size_t j = 0; j < r->secrets.n && !known; j++)
                known = streq(((const struct op *)r->secrets.items[j])->u.secret.name, *name);
            if (!known)
                return op_err(r->delivery.senders_op, err, -EINVAL, "senders", "sender \"%s\": "
                              "no secret \"%s\" in this profile", r->delivery.senders[i].name,
                              *name);
        }
    return 0;
}

static int check(const struct recipe *r, const struct setters *set, tdx_error *err)
{
    if (r->kernel.source_version && !r->kernel.source_sha256)
        return op_err(set->kernel_version, err, -EINVAL, "sha256",
                      "required with a kernel built from source (version %s)",
                      r->kernel.source_version);
    if (set->partitions && !streq(r->output.format, "disk"))
        return op_err(set->partitions, err, -EINVAL, NULL, "partitions need output format "
                      "\"disk\"; the effective format is \"%s\"", r->output.format);
    if (set->encryption && !r->partitions)
        return op_err(set->encryption, err, -EINVAL, NULL, "encryption needs partitions (and "
                      "output format \"disk\")");
    if (r->ssh.enabled && streq(r->ssh.key_delivery, "image") && strv_length(r->ssh.authorized_keys) == 0)
        return op_err(set->ssh, err, -EINVAL, "authorized_keys", "required when key_delivery "
                      "is \"image\"");
    if (r->ssh.enabled && streq(r->ssh.key_delivery, "secret")) {
        for (size_t i = 0; i < r->secrets.n; i++) {
            const struct op *s = r->secrets.items[i];
            if (streq(s->u.secret.name, SSH_KEYS_SECRET_NAME))
                return op_err(s, err, -EINVAL, "name", "\"%s\" is reserved for SSH keys while "
                              "ssh.key_delivery is \"secret\"", SSH_KEYS_SECRET_NAME);
            if (s->u.secret.dest && streq(s->u.secret.dest, "/root/.ssh/authorized_keys"))
                return op_err(s, err, -EINVAL, "dest", "/root/.ssh/authorized_keys receives the "
                              "SSH keys secret while ssh.key_delivery is \"secret\"");
        }
    }
    {
        int rc = check_secret_dirs(r, err);
        if (rc == 0)
            rc = check_env_targets(r, err);
        return rc < 0 ? rc : check_senders(r, err);
    }
}

int recipe_resolve(const tdx_image *image, size_t p, struct recipe **out, tdx_error *err)
{
    struct setters set = { 0 };
    struct recipe *r;
    size_t scopes[2] = { 0, p };
    int rc;

    if (p >= image->profiles.n)
        return tdx_err(err, -ENOENT, "no profile with index %zu", p);

    r = calloc(1, sizeof(*r));
    if (!r)
        return tdx_err_oom(err);
    r->image = image;
    r->profile_index = p;
    r->profile = ((const struct profile *)image->profiles.items[p])->name;
    if (p == 0)
        r->image_id = strdup(image->name);
    else if (asprintf((char **)&r->image_id, "%s-%s", image->name, r->profile) < 0)
        r->image_id = NULL;
    r->distribution = "debian";
    r->release = "bookworm";
    r->kernel.package = "linux-image-amd64";
    r->init = "systemd";
    r->default_target = "minimal.target";
    r->firmware = "ovmf";
    r->output.format = "uki";
    /* UKIs and disks need ukify and systemd-repart >= 254, which Debian 12
     * hosts lack: mkosi brings its own unless the recipe says otherwise. */
    r->output.tools_tree = true;
    r->delivery.listen = (char *const *)default_listen;
    r->delivery.replace = "same-sender";
    r->network.vsock = true;
    r->native.compression = "gzip";
    r->native.net_mode = "none";
    r->ssh.key_delivery = "secret";
    r->encryption.type = "none";
    r->debloat.systemd_minimize = true;
    r->packages = calloc(1, sizeof(char *));
    r->debloat.paths = strv_copy(tdx_debloat_default_paths());
    r->debloat.units = strv_copy(tdx_debloat_default_units());
    r->debloat.bins = strv_copy(tdx_debloat_default_bins());
    if (!r->image_id || !r->packages || !r->debloat.paths || !r->debloat.units || !r->debloat.bins) {
        recipe_free(r);
        return tdx_err_oom(err);
    }

    for (size_t s = 0; s < (p == 0 ? 1u : 2u); s++) {
        const struct profile *prof = image->profiles.items[scopes[s]];
        for (size_t i = 0; i < prof->ops.n; i++) {
            if (apply(r, prof->ops.items[i], &set) < 0) {
                recipe_free(r);
                return tdx_err_oom(err);
            }
        }
    }
    {
        /* Paths the default list removes but these images need, kept unless
         * the recipe lists them in paths_remove_extra itself: then the
         * debloat check refuses what would be deleted, naming it. */
        bool explicit_modules = false, explicit_network = false;
        for (size_t s = 0; s < (p == 0 ? 1u : 2u); s++) {
            const struct profile *prof = image->profiles.items[scopes[s]];
            for (size_t i = 0; i < prof->ops.n; i++) {
                const struct op *op = prof->ops.items[i];
                if (op->kind != OP_DEBLOAT)
                    continue;
                if (strv_contains(op->u.debloat.paths_remove_extra, MODULES_DIR))
                    explicit_modules = true;
                if (strv_contains(op->u.debloat.paths_skip, MODULES_DIR))
                    explicit_modules = false;
                if (strv_contains(op->u.debloat.paths_remove_extra, IMG_NETWORKD_DIR))
                    explicit_network = true;
                if (strv_contains(op->u.debloat.paths_skip, IMG_NETWORKD_DIR))
                    explicit_network = false;
            }
        }
        if (!explicit_modules)
            strv_remove(r->debloat.paths, MODULES_DIR);
        /* networkd's configuration directory holds a systemd image's
         * network.mode (emit_network). */
        if (!explicit_network && recipe_has_network(r) && streq(r->init, "systemd"))
            strv_remove(r->debloat.paths, IMG_NETWORKD_DIR);
    }
    strv_sort_uniq(r->packages);
    strv_sort_uniq(r->debloat.paths);
    strv_sort_uniq(r->debloat.units);
    strv_sort_uniq(r->debloat.bins);

    rc = check(r, &set, err);
    if (rc < 0) {
        recipe_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int recipe_resolve_profile(const tdx_image *image, const char *profile, struct recipe **out,
                           tdx_error *err)
{
    size_t idx;
    int r = image_profile_index(image, profile, &idx, err);
    if (r < 0)
        return r;
    return recipe_resolve(image, idx, out, err);
}

int recipe_resolve_checked(const char *func, const tdx_image *image, bool has_out,
                           const char *profile, struct recipe **r, tdx_error *err)
{
    if (!image)
        return tdx_err(err, -EINVAL, "%s: invalid argument: image", func);
    if (!has_out)
        return tdx_err(err, -EINVAL, "%s: invalid argument: out", func);
    return recipe_resolve_profile(image, profile, r, err);
}
