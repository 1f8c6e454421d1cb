/* SPDX-License-Identifier: MIT */
/* Recipe sections that set something of the whole image: base, kernel,
 * output, packages, secret delivery, debloat, partitions, encryption,
 * network, ssh, scripts and boot commands. */
#include <stdint.h>

#include "json-loader.h"

static int scalar(struct loader *L, json_t *v, const char *path,
                  int (*fn)(tdx_image *, const char *, tdx_error *))
{
    const char *s = NULL;
    int r = jr_string(&L->R, v, path, NULL, JR_REQUIRED, NULL, &s);
    if (r < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, fn(L->image, s, L->err));
}

int sec_base(struct loader *L, json_t *v, const char *path)
{
    return scalar(L, v, path, tdx_image_set_base);
}

int sec_mirror(struct loader *L, json_t *v, const char *path)
{
    return scalar(L, v, path, tdx_image_set_mirror);
}

int sec_init(struct loader *L, json_t *v, const char *path)
{
    return scalar(L, v, path, tdx_image_set_init);
}

int sec_default_target(struct loader *L, json_t *v, const char *path)
{
    return scalar(L, v, path, tdx_image_set_default_target);
}

int sec_firmware(struct loader *L, json_t *v, const char *path)
{
    return scalar(L, v, path, tdx_image_set_firmware);
}

int sec_kernel(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_kernel_options o = TDX_KERNEL_OPTIONS_INIT;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("package", "suite", "version", "url", "sha256",
                                         "config_file", "cmdline", "modules"))) < 0 ||
        (r = jr_string(R, v, path, "package", 0, NULL, &o.package)) < 0 ||
        (r = jr_string(R, v, path, "suite", 0, NULL, &o.suite)) < 0 ||
        (r = jr_string(R, v, path, "version", 0, NULL, &o.source_version)) < 0 ||
        (r = jr_string(R, v, path, "url", 0, NULL, &o.source_url)) < 0 ||
        (r = jr_string(R, v, path, "sha256", 0, NULL, &o.source_sha256)) < 0 ||
        (r = jr_string(R, v, path, "config_file", 0, NULL, &o.config_file)) < 0 ||
        (r = jr_string(R, v, path, "cmdline", 0, NULL, &o.cmdline)) < 0)
        return r;
    loader_set_origin(L, path);
    if ((r = loader_done(L, tdx_image_set_kernel(L->image, &o, L->err))) < 0)
        return r;
    return loader_native_keys(L, v, path, ALLOWED("modules"));
}

int sec_output(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_output_options o = TDX_OUTPUT_OPTIONS_INIT;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("format", "image_version", "seed", "source_date_epoch",
                                         "docs", "tools_tree"))) < 0 ||
        (r = jr_string(R, v, path, "format", 0, NULL, &o.format)) < 0 ||
        (r = jr_string(R, v, path, "image_version", 0, NULL, &o.image_version)) < 0 ||
        (r = jr_string(R, v, path, "seed", 0, NULL, &o.seed)) < 0 ||
        (r = jr_int(R, v, path, "source_date_epoch", 0, 0, 253402300799LL,
                    &o.source_date_epoch)) < 0 ||
        (r = jr_bool(R, v, path, "docs", 0, &o.docs)) < 0 ||
        (r = jr_bool(R, v, path, "tools_tree", 0, &o.tools_tree)) < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_set_output(L->image, &o, L->err));
}

int sec_install(struct loader *L, json_t *v, const char *path)
{
    _cleanup_free_ const char **list = NULL;
    int r = jr_strv(&L->R, v, path, NULL, JR_REQUIRED, 0, LIST_MAX, NULL, &list);
    if (r < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_install(L->image, list, L->err));
}

/* secret_delivery.senders: [{name, public_key, secrets}] into senders
 * (calloc'd, one slot more; each secrets array is calloc'd too). */
static int delivery_senders(struct loader *L, json_t *v, const char *path,
                            tdx_secret_sender **out, size_t *n)
{
    struct json_reader *R = &L->R;
    json_t *list, *e;
    size_t i;
    int r;

    if ((r = jr_array(R, v, path, "senders", 0, 0, 64, &list)) <= 0)
        return r;
    *out = calloc(json_array_size(list) + 1, sizeof(**out));
    if (!*out)
        return jr_oom(R);
    *n = json_array_size(list);
    json_array_foreach(list, i, e) {
        char base[JR_PATH_MAX], where[JR_PATH_MAX];
        const char **secrets = NULL;
        jr_path_index(where, jr_path_key(base, path, "senders"), i);
        if ((r = jr_object(R, e, where, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
            (r = jr_keys(R, e, where, ALLOWED("name", "public_key", "secrets"))) < 0 ||
            (r = jr_string(R, e, where, "name", JR_REQUIRED, NULL, &(*out)[i].name)) < 0 ||
            (r = jr_string(R, e, where, "public_key", JR_REQUIRED, NULL,
                           &(*out)[i].public_key)) < 0 ||
            (r = jr_strv(R, e, where, "secrets", 0, 1, 4096, NULL, &secrets)) < 0)
            return r;
        (*out)[i].secrets = secrets;
    }
    return 1;
}

int sec_secret_delivery(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_secret_delivery_options o = TDX_SECRET_DELIVERY_OPTIONS_INIT;
    _cleanup_free_ const char **listen = NULL;
    tdx_secret_sender *senders = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("listen", "wait_timeout", "insecure_allow_unattested",
                                         "senders", "replace"))) < 0 ||
        (r = jr_strv(R, v, path, "listen", 0, 0, LIST_MAX, NULL, &listen)) < 0 ||
        (r = jr_int(R, v, path, "wait_timeout", 0, 0, 31536000, &o.wait_timeout)) < 0 ||
        (r = jr_bool(R, v, path, "insecure_allow_unattested", 0,
                     &o.insecure_allow_unattested)) < 0 ||
        (r = jr_string(R, v, path, "replace", 0, NULL, &o.replace)) < 0 ||
        (r = delivery_senders(L, v, path, &senders, &o.n_senders)) < 0)
        goto out;
    o.listen = listen;
    o.senders = senders;
    loader_set_origin(L, path);
    r = loader_done(L, tdx_image_set_secret_delivery(L->image, &o, L->err));
out:
    for (size_t i = 0; senders && i < o.n_senders; i++)
        free((void *)senders[i].secrets);
    free(senders);
    return r;
}

int sec_debloat(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_debloat_options o = TDX_DEBLOAT_OPTIONS_INIT;
    _cleanup_free_ const char **skip = NULL, **extra = NULL, **units = NULL, **bins = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("enabled", "systemd_minimize", "paths_skip",
                                         "paths_remove_extra", "systemd_units_keep_extra",
                                         "systemd_bins_keep_extra"))) < 0 ||
        (r = jr_bool(R, v, path, "enabled", 0, &o.enabled)) < 0 ||
        (r = jr_bool(R, v, path, "systemd_minimize", 0, &o.systemd_minimize)) < 0 ||
        (r = jr_strv(R, v, path, "paths_skip", 0, 0, LIST_MAX, NULL, &skip)) < 0 ||
        (r = jr_strv(R, v, path, "paths_remove_extra", 0, 0, LIST_MAX, NULL, &extra)) < 0 ||
        (r = jr_strv(R, v, path, "systemd_units_keep_extra", 0, 0, LIST_MAX, NULL, &units)) < 0 ||
        (r = jr_strv(R, v, path, "systemd_bins_keep_extra", 0, 0, LIST_MAX, NULL, &bins)) < 0)
        return r;
    o.paths_skip = skip;
    o.paths_remove_extra = extra;
    o.systemd_units_keep_extra = units;
    o.systemd_bins_keep_extra = bins;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_debloat(L->image, &o, L->err));
}

int sec_partitions(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    _cleanup_free_ tdx_partition *parts = NULL;
    json_t *e;
    size_t i;
    int r;

    if ((r = jr_array(R, v, path, NULL, JR_REQUIRED, 0, 16, &v)) < 0)
        return r;
    parts = calloc(json_array_size(v) + 1, sizeof(*parts));
    if (!parts)
        return jr_oom(R);
    json_array_foreach(v, i, e) {
        char where[JR_PATH_MAX];
        jr_path_index(where, path, i);
        if ((r = jr_object(R, e, where, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
            (r = jr_keys(R, e, where, ALLOWED("mountpoint", "fs", "size"))) < 0 ||
            (r = jr_string(R, e, where, "mountpoint", JR_REQUIRED, NULL, &parts[i].mountpoint)) < 0 ||
            (r = jr_string(R, e, where, "fs", JR_REQUIRED, NULL, &parts[i].fs)) < 0 ||
            (r = jr_string(R, e, where, "size", 0, NULL, &parts[i].size)) < 0)
            return r;
    }
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_set_partitions(L->image, parts, json_array_size(v), L->err));
}

int sec_encryption(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_encryption_options o = TDX_ENCRYPTION_OPTIONS_INIT;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("type", "key_source"))) < 0 ||
        (r = jr_string(R, v, path, "type", 0, NULL, &o.type)) < 0 ||
        (r = jr_string(R, v, path, "key_source", 0, NULL, &o.key_source)) < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_set_encryption(L->image, &o, L->err));
}

int sec_network(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_network_options o = TDX_NETWORK_OPTIONS_INIT;
    _cleanup_free_ const char **firewall = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("vsock", "firewall", "mode", "interface", "address",
                                         "gateway", "dns"))) < 0 ||
        (r = jr_bool(R, v, path, "vsock", 0, &o.vsock)) < 0 ||
        (r = jr_strv(R, v, path, "firewall", 0, 0, LIST_MAX, NULL, &firewall)) < 0)
        return r;
    o.firewall = firewall;
    loader_set_origin(L, path);
    if ((r = loader_done(L, tdx_image_set_network(L->image, &o, L->err))) < 0)
        return r;
    return loader_native_keys(L, v, path, ALLOWED("mode", "interface", "address", "gateway", "dns"));
}

int sec_ssh(struct loader *L, json_t *v, const char *path)
{
    struct json_reader *R = &L->R;
    tdx_ssh_options o = TDX_SSH_OPTIONS_INIT;
    _cleanup_free_ const char **keys = NULL;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, ALLOWED("enabled", "key_delivery", "authorized_keys"))) < 0 ||
        (r = jr_bool(R, v, path, "enabled", 0, &o.enabled)) < 0 ||
        (r = jr_string(R, v, path, "key_delivery", 0, NULL, &o.key_delivery)) < 0 ||
        (r = jr_strv(R, v, path, "authorized_keys", 0, 0, LIST_MAX, NULL, &keys)) < 0)
        return r;
    o.authorized_keys = keys;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_set_ssh(L->image, &o, L->err));
}

/* A script: a string of commands, or an object. */
static int script_one(struct loader *L, json_t *v, const char *path, tdx_phase phase)
{
    struct json_reader *R = &L->R;
    tdx_script_options o = TDX_SCRIPT_OPTIONS_INIT;
    int r;

    if (json_is_string(v)) {
        o.commands = json_string_value(v);
    } else if (!json_is_object(v)) {
        return jr_fail(R, path, "expected a string of commands or an object, got %s",
                       jr_type_name(v));
    } else if ((r = jr_keys(R, v, path, ALLOWED("commands", "file", "chroot"))) < 0 ||
               (r = jr_string(R, v, path, "commands", 0, NULL, &o.commands)) < 0 ||
               (r = jr_string(R, v, path, "file", 0, NULL, &o.file)) < 0 ||
               (r = jr_bool(R, v, path, "chroot", 0, &o.chroot)) < 0) {
        return r;
    }
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_add_script(L->image, phase, &o, L->err));
}

int sec_scripts(struct loader *L, json_t *v, const char *path)
{
    static const char *const phases[] = { "sync", "prepare", "build", "postinst", "finalize",
                                           "postoutput", "clean", NULL };
    struct json_reader *R = &L->R;
    int r;

    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(R, v, path, phases)) < 0)
        return r;
    /* Phases in execution order, whatever the file's key order. */
    for (int p = 0; phases[p]; p++) {
        char where[JR_PATH_MAX], ew[JR_PATH_MAX];
        json_t *list = NULL, *e;
        size_t i;

        if ((r = jr_array(R, v, path, phases[p], 0, 0, LIST_MAX, &list)) < 0)
            return r;
        if (r == 0)
            continue;
        jr_path_key(where, path, phases[p]);
        json_array_foreach(list, i, e) {
            r = script_one(L, e, jr_path_index(ew, where, i), (tdx_phase)p);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int on_boot_one(struct loader *L, json_t *v, const char *path)
{
    const char *commands = NULL;
    int r = jr_string(&L->R, v, path, NULL, JR_REQUIRED, NULL, &commands);
    if (r < 0)
        return r;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_on_boot(L->image, commands, L->err));
}

int sec_on_boot(struct loader *L, json_t *v, const char *path)
{
    return loader_each(L, v, path, on_boot_one);
}
