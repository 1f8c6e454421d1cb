/* SPDX-License-Identifier: MIT */
/* Lifetime of recorded operations, their origins and conflict claims. */
#include "op.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"
#include "json-reader.h"
#include "paths.h"
#include "validate.h"

static void free_file_spec(struct file_spec *f)
{
    free(f->dest);
    free(f->content);
    free(f->src);
    strv_free(f->var_names);
    strv_free(f->var_values);
    free(f->owner);
    free(f->group);
}

void op_free(struct op *op)
{
    if (!op)
        return;
    switch (op->kind) {
    case OP_BASE:
    case OP_MIRROR:
    case OP_INIT:
    case OP_DEFAULT_TARGET:
    case OP_FIRMWARE:
        free(op->u.str);
        break;
    case OP_INSTALL:
        strv_free(op->u.strv);
        break;
    case OP_KERNEL: {
        struct kernel_spec *k = &op->u.kernel;
        free(k->package);
        free(k->suite);
        free(k->source_version);
        free(k->source_url);
        free(k->source_sha256);
        free(k->config_file);
        free(k->cmdline);
        break;
    }
    case OP_OUTPUT:
        free(op->u.output.format);
        free(op->u.output.image_version);
        free(op->u.output.seed);
        break;
    case OP_REPOSITORY:
        free(op->u.repo.name);
        free(op->u.repo.url);
        free(op->u.repo.suite);
        free(op->u.repo.keyring);
        strv_free(op->u.repo.components);
        break;
    case OP_FILE:
    case OP_SKELETON:
        free_file_spec(&op->u.file);
        break;
    case OP_USER:
        free(op->u.user.name);
        free(op->u.user.home);
        free(op->u.user.shell);
        strv_free(op->u.user.groups);
        break;
    case OP_SERVICE: {
        struct service_spec *s = &op->u.service;
        free(s->name);
        free(s->exec);
        free(s->description);
        free(s->type);
        free(s->restart);
        free(s->user);
        free(s->group);
        strv_free(s->after);
        strv_free(s->requires);
        strv_free(s->wants);
        strv_free(s->wanted_by);
        for (size_t i = 0; i < s->n_extra; i++) {
            free(s->extra[i].section);
            free(s->extra[i].key);
            free(s->extra[i].value);
        }
        free(s->extra);
        break;
    }
    case OP_SECRET: {
        struct secret_spec *s = &op->u.secret;
        free(s->name);
        free(s->dest);
        free(s->owner);
        free(s->group);
        free(s->description);
        free(s->pattern);
        free(s->dir_owner);
        for (size_t k = 0; k < s->n_env; k++) {
            free(s->env[k].name);
            free(s->env[k].scope);
        }
        free(s->env);
        free(s->dir_group);
        break;
    }
    case OP_SECRET_DELIVERY:
        strv_free(op->u.delivery.listen);
        for (size_t i = 0; i < op->u.delivery.n_senders; i++) {
            free(op->u.delivery.senders[i].name);
            free(op->u.delivery.senders[i].public_key);
            strv_free(op->u.delivery.senders[i].secrets);
        }
        free(op->u.delivery.senders);
        free(op->u.delivery.replace);
        break;
    case OP_DEBLOAT:
        strv_free(op->u.debloat.paths_skip);
        strv_free(op->u.debloat.paths_remove_extra);
        strv_free(op->u.debloat.units_keep_extra);
        strv_free(op->u.debloat.bins_keep_extra);
        break;
    case OP_PARTITIONS:
        for (size_t i = 0; i < op->u.partitions.n; i++) {
            free(op->u.partitions.items[i].mountpoint);
            free(op->u.partitions.items[i].fs);
            free(op->u.partitions.items[i].size);
        }
        free(op->u.partitions.items);
        break;
    case OP_ENCRYPTION:
        free(op->u.encryption.type);
        free(op->u.encryption.key_source);
        break;
    case OP_NETWORK:
        strv_free(op->u.network.firewall);
        break;
    case OP_SSH:
        free(op->u.ssh.key_delivery);
        strv_free(op->u.ssh.authorized_keys);
        break;
    case OP_BUILD: {
        struct build_spec *b = &op->u.build;
        free(b->name);
        free(b->src);
        free(b->toolchain_version);
        free(b->toolchain_url);
        free(b->toolchain_sha256);
        free(b->output);
        free(b->target);
        free(b->ldflags);
        free(b->build_script);
        strv_free(b->features);
        strv_free(b->build_deps);
        strv_free(b->env);
        for (size_t i = 0; i < b->n_artifacts; i++) {
            free(b->artifacts[i].from);
            free(b->artifacts[i].to);
        }
        free(b->artifacts);
        break;
    }
    case OP_SCRIPT:
    case OP_ON_BOOT:
        free(op->u.script.commands);
        free(op->u.script.file);
        break;
    case OP_NATIVE: {
        struct native_spec *n = &op->u.native;
        strv_free(n->modules);
        strv_free(n->exclude);
        strv_free(n->net_dns);
        free(n->compression);
        free(n->net_mode);
        free(n->net_interface);
        free(n->net_address);
        free(n->net_gateway);
        break;
    }
    }
    for (size_t i = 0; i < op->n_claims; i++)
        free(op->claims[i].key);
    free(op->claims);
    free(op->origin);
    free(op->source_root);
    free(op);
}

struct op *op_new(tdx_image *image, op_kind kind, const char *api_fmt, ...)
{
    struct profile *p = image->profiles.items[image->current];
    struct op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->kind = kind;
    op->profile = image->current;
    if (image->next_origin) {
        op->origin = TAKE_PTR(image->next_origin);
        op->origin_is_path = true;
    } else {
        char call[384];
        va_list ap;
        va_start(ap, api_fmt);
        vsnprintf(call, sizeof(call), api_fmt, ap);
        va_end(ap);
        if (image->current == 0)
            op->origin = strdup(call);
        else if (asprintf(&op->origin, "%s in profile \"%s\"", call, p->name) < 0)
            op->origin = NULL;
        if (!op->origin) {
            free(op);
            return NULL;
        }
    }
    return op;
}

void op_where(const struct op *op, const char *field, char *buf, size_t size)
{
    if (!field)
        snprintf(buf, size, "%s", op->origin);
    else if (op->origin_is_path)
        snprintf(buf, size, "%s%s%s", op->origin, field[0] == '[' ? "" : ".", field);
    else
        snprintf(buf, size, "%s: %s", op->origin, field);
}

void show_value(const char *v, char *buf, size_t size)
{
    size_t o = 0, i;

    for (i = 0; v[i] && o + 8 < size; i++) {
        unsigned char c = (unsigned char)v[i];
        if (i >= 80) {
            o += (size_t)snprintf(buf + o, size - o, "...");
            break;
        }
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
        else if (c == '\n')
            o += (size_t)snprintf(buf + o, size - o, "\\n");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o < size ? o : size - 1] = '\0';
}

int op_err(const struct op *op, tdx_error *err, int code, const char *field, const char *fmt, ...)
{
    char where[384], msg[384];
    va_list ap;

    op_where(op, field, where, sizeof(where));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tdx_err(err, code, "%s: %s", where, msg);
}

int op_bad_value(const struct op *op, tdx_error *err, const char *field, const char *expected,
                 const char *value)
{
    char shown[128];
    show_value(value, shown, sizeof(shown));
    return op_err(op, err, -EINVAL, field, "%s; got \"%s\"", expected, shown);
}

int op_set_str(const struct op *op, tdx_error *err, const char *field, char **dst,
               const char *value, const char *(*check)(const char *))
{
    const char *why;
    if (!value)
        return 0;
    if (check && (why = check(value)))
        return op_bad_value(op, err, field, why, value);
    free(*dst);
    *dst = strdup(value);
    return *dst ? 0 : tdx_err_oom(err);
}

int op_set_choice(const struct op *op, tdx_error *err, const char *field, char **dst,
                  const char *value, const char *const *choices)
{
    char expected[256];
    if (!value)
        return 0;
    if (string_index(value, choices) < 0) {
        memcpy(expected, "expected ", 9);
        jr_choices(choices, expected + 9, sizeof(expected) - 9);
        return op_bad_value(op, err, field, expected, value);
    }
    return op_set_str(op, err, field, dst, value, NULL);
}

int op_set_strv(const struct op *op, tdx_error *err, const char *field, char ***dst,
                const char *const *values, const char *(*check)(const char *))
{
    char **v;
    if (!values)
        return 0;
    v = calloc(1, sizeof(char *));
    if (!v)
        return tdx_err_oom(err);
    for (size_t i = 0; values[i]; i++) {
        const char *why = check ? check(values[i]) : NULL;
        if (why) {
            char f[128];
            snprintf(f, sizeof(f), "%s[%zu]", field, i);
            strv_free(v);
            return op_bad_value(op, err, f, why, values[i]);
        }
        if (strv_push(&v, values[i]) < 0) {
            strv_free(v);
            return tdx_err_oom(err);
        }
    }
    strv_free(*dst);
    *dst = v;
    return 0;
}

int op_resolve_path(const tdx_image *image, struct op *op, tdx_error *err,
                    const char *field, const char *path, bool want_dir, char **ret)
{
    _cleanup_free_ char *abs = NULL;
    char shown[128];
    struct stat st;

    if (isempty(path))
        return op_err(op, err, -EINVAL, field, "expected a file path; got \"\"");
    if (strlen(path) > 4095 || strpbrk(path, "\n\r"))
        return op_bad_value(op, err, field, "expected a path of at most 4095 bytes on one line",
                            path);
    if (path[0] == '/') {
        abs = strdup(path);
    } else if (image->base_dir) {
        if (asprintf(&abs, "%s/%s", image->base_dir, path) < 0)
            abs = NULL;
    } else {
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return op_err(op, err, -errno, field, "cannot resolve \"%s\": %s", path,
                          strerror(errno));
        if (asprintf(&abs, "%s/%s", cwd, path) < 0)
            abs = NULL;
    }
    if (!abs)
        return tdx_err_oom(err);

    /* The directory of the recipe file that names the path: the trust
     * boundary recipe_check_sources() enforces. */
    if (image->base_dir && !op->source_root && !(op->source_root = strdup(image->base_dir)))
        return tdx_err_oom(err);
    show_value(path, shown, sizeof(shown));
    if (stat(abs, &st) < 0)
        return op_err(op, err, -errno, field, "cannot use \"%s\": %s", shown, strerror(errno));
    if (want_dir && !S_ISDIR(st.st_mode))
        return op_err(op, err, -ENOTDIR, field, "\"%s\" is not a directory", shown);
    if (!want_dir && !S_ISREG(st.st_mode))
        return op_err(op, err, -EINVAL, field, "\"%s\" is not a regular file", shown);
    if (!want_dir && (unsigned long long)st.st_size > RECIPE_SOURCE_FILE_MAX)
        return op_err(op, err, -EFBIG, field, "\"%s\" is larger than %llu bytes", shown,
                      (unsigned long long)RECIPE_SOURCE_FILE_MAX);
    *ret = TAKE_PTR(abs);
    return 0;
}

int op_claim(struct op *op, tdx_error *err, const char *field, const char *kind, const char *name)
{
    struct claim *c = realloc(op->claims, (op->n_claims + 1) * sizeof(*c));
    if (!c)
        return tdx_err_oom(err);
    op->claims = c;
    if (asprintf(&c[op->n_claims].key, "%s:%s", kind, name) < 0)
        return tdx_err_oom(err);
    c[op->n_claims].field = field;
    op->n_claims++;
    return 0;
}

static const char *const reserved_paths[] = {
    IMG_AGENT_BINARY,
    IMG_PRESET,
    IMG_SYSUSERS,
    IMG_TMPFILES,
    IMG_SECRETS_TMPFILES,
    IMG_NFTABLES,
    IMG_VSOCK_MODULES,
    IMG_TDX_MODULES,
    IMG_SSHD_CONFIG,
    IMG_SSH_HOSTKEYS_DROPIN,
    IMG_DEFAULT_TARGET_LINK,
    IMG_VENDOR_UNIT_DIR "/" UNIT_AGENT,
    IMG_VENDOR_UNIT_DIR "/" UNIT_AGENT_SOCKET,
    IMG_VENDOR_UNIT_DIR "/" UNIT_SECRETS_READY,
    IMG_VENDOR_UNIT_DIR "/" UNIT_SECRETS_WAIT,
    IMG_VENDOR_UNIT_DIR "/" UNIT_BOOT_HOOKS,
    IMG_VENDOR_UNIT_DIR "/" UNIT_MINIMAL,
    NULL,
};

static const char *const reserved_dirs[] = { IMG_AGENT_DIR, IMG_TDX_LIB_DIR, "/proc", "/sys",
                                             "/dev", NULL };

int op_claim_path(struct op *op, tdx_error *err, const char *field, const char *path)
{
    for (size_t i = 0; reserved_dirs[i]; i++) {
        size_t n = strlen(reserved_dirs[i]);
        if (strncmp(path, reserved_dirs[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return op_err(op, err, -EINVAL, field, "\"%s\" is inside %s, which the image "
                          "generator reserves", path, reserved_dirs[i]);
    }
    if (string_index(path, reserved_paths) >= 0)
        return op_err(op, err, -EINVAL, field, "\"%s\" is generated by the image generator; "
                      "choose another path", path);
    return op_claim(op, err, field, "file", path);
}

static const char *claim_phrase(const char *key)
{
    if (startswith(key, "file:") || startswith(key, "skeleton:"))
        return "destination";
    if (startswith(key, "user:"))
        return "user";
    if (startswith(key, "service:"))
        return "service";
    if (startswith(key, "secret:"))
        return "secret";
    if (startswith(key, "build:"))
        return "build";
    if (startswith(key, "repository:"))
        return "repository";
    return "name";
}

int op_commit(tdx_image *image, struct op *op, tdx_error *err)
{
    struct profile *target = image->profiles.items[op->profile];
    int r;

    /* A default-profile op is part of every effective recipe; a profile op
     * only of its own and shares it with the default profile. */
    for (size_t p = 0; p < image->profiles.n; p++) {
        struct profile *prof = image->profiles.items[p];
        if (op->profile != 0 && p != 0 && p != op->profile)
            continue;
        for (size_t i = 0; i < prof->ops.n; i++) {
            const struct op *other = prof->ops.items[i];
            for (size_t a = 0; a < op->n_claims; a++)
                for (size_t b = 0; b < other->n_claims; b++) {
                    const char *key = op->claims[a].key;
                    if (!streq(key, other->claims[b].key))
                        continue;
                    r = op_err(op, err, -EEXIST, op->claims[a].field,
                               "%s \"%s\" is also declared by %s", claim_phrase(key),
                               strchr(key, ':') + 1, other->origin);
                    op_free(op);
                    return r;
                }
        }
    }

    op->seq = image->next_seq++;
    r = ptrvec_push(&target->ops, op);
    if (r < 0) {
        op_free(op);
        return tdx_err_oom(err);
    }
    return 0;
}

int op_fail(struct op *op, int r)
{
    op_free(op);
    return r;
}
