/* SPDX-License-Identifier: MIT */
/*
 * What the native backend cannot honour. It runs nothing inside the image
 * and has no systemd, so recipe fields that need either fail the build, one
 * line per field, each naming it and the way out (the mkosi backend).
 */
#include <stdio.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"
#include "strbuf.h"

#define MOVE_ON "use --backend mkosi"

static void line(strbuf *sb, const char *field, const char *why)
{
    strbuf_printf(sb, "%s: %s; " MOVE_ON "\n", field, why);
}

static void op_line(strbuf *sb, const struct op *op, const char *field, const char *why)
{
    char where[512];
    op_where(op, field, where, sizeof(where));
    line(sb, where, why);
}

int native_problems(const struct recipe *r, char **out)
{
    strbuf sb = STRBUF_INIT;

    if (!streq(r->init, "tdx-agent"))
        line(&sb, "init", "the native backend boots tdx-agent as PID 1 (set \"init\": "
                          "\"tdx-agent\")");
    if (r->kernel.source_version)
        line(&sb, "kernel.version", "the native backend installs a kernel package, it does not "
                                    "build kernels");
    for (size_t p = 0; p < RECIPE_PHASE_COUNT; p++)
        for (size_t i = 0; i < r->scripts[p].n; i++)
            op_line(&sb, r->scripts[p].items[i], NULL, "scripts run inside the image (apt, "
                    "chroot) or in mkosi's phases, which a native build does not have");
    for (size_t i = 0; i < r->repositories.n; i++)
        op_line(&sb, r->repositories.items[i], NULL, "repositories beyond the signed Debian "
                "archive are not supported");
    if (r->debloat.enabled)
        line(&sb, "debloat", "a native image holds only what the recipe names; there is "
                             "nothing to strip");
    if (r->partitions)
        line(&sb, "partitions", "a native image is an initramfs, it has no disk");
    if (!streq(r->encryption.type, "none"))
        line(&sb, "encryption", "a native image is an initramfs, it has no disk to encrypt");
    if (r->ssh.enabled)
        line(&sb, "ssh", "sshd needs the systemd image");
    if (r->network.firewall)
        line(&sb, "network.firewall", "nftables is not part of a native image");
    for (size_t i = 0; i < r->services.n; i++) {
        const struct op *op = r->services.items[i];
        const struct service_spec *s = &op->u.service;
        if (s->n_extra)
            op_line(&sb, op, "unit", "unit settings need systemd");
        if (s->type && !streq(s->type, "simple") && !streq(s->type, "exec"))
            op_line(&sb, op, "type", "init supervises simple services only");
    }
    STRV_FOREACH(p, r->packages)
        if (strchr(*p, '='))
            line(&sb, "install", "packages pinned with =VERSION are not supported by the native "
                                 "backend (the lock pins them)");
    if (strbuf_error(&sb)) {
        strbuf_free(&sb);
        return -ENOMEM;
    }
    *out = sb.len ? strbuf_steal(&sb, NULL) : NULL;
    return 0;
}

int native_check_recipe(const struct recipe *r, tdx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t n = 0;
    char *nl;

    if (native_problems(r, &text) < 0)
        return tdx_err_oom(err);
    if (!text)
        return 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        n++;
    nl = strchr(text, '\n');
    *nl = '\0';
    if (n == 1)
        return tdx_err(err, -EOPNOTSUPP, "%s", text);
    return tdx_err(err, -EOPNOTSUPP, "%s (and %zu more fields the native backend cannot "
                   "honour: tdxctl build lists them)", text, n - 1);
}

int tdx_build_native_problems(const tdx_image *image, const char *profile, char **out,
                              tdx_error *err)
{
    _cleanup_recipe_ struct recipe *r = NULL;
    int rc = recipe_resolve_checked(__func__, image, out != NULL, profile, &r, err);

    if (rc < 0)
        return rc;
    if (native_problems(r, out) < 0)
        return tdx_err_oom(err);
    return *out ? 1 : 0;
}
