/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <sys/stat.h>

#include "emit-internal.h"
#include "error.h"
#include "recipe/sources.h"
#include "tdxhost/emit.h"

int emit_flat(const struct recipe *r, const char *agent_binary, struct flat *out, tdx_error *err)
{
    struct emit_ctx c = { r, agent_binary, out, err, NULL, NULL, NULL, NULL, false };
    int rc;

    if (!streq(r->init, "systemd"))
        rc = tdx_err(err, -EINVAL, "init: mkosi trees boot systemd; \"%s\" is only for the native "
                     "backend", r->init);
    else if ((rc = emit_files(&c)) >= 0 && (rc = emit_units(&c)) >= 0 &&
             (rc = emit_builds(&c)) >= 0 && (rc = emit_repart(&c)) >= 0 &&
             (rc = tree_sort(&out->tree, err)) >= 0 && (rc = emit_scripts(&c)) >= 0)
        rc = emit_conf(&c);
    if (rc >= 0)
        rc = tree_sort(&out->tree, err);
    strv_free(c.packages);
    strv_free(c.build_packages);
    strv_free(c.keep_units);
    strv_free(c.default_target_wants);
    return rc;
}

static int flat_for(const tdx_image *image, size_t idx, const char *agent, struct flat *out,
                    long long *sde, tdx_error *err)
{
    _cleanup_recipe_ struct recipe *r = NULL;
    int rc = recipe_resolve(image, idx, &r, err);
    if (rc < 0)
        return rc;
    if (sde)
        *sde = r->output.source_date_epoch;
    return emit_flat(r, agent, out, err);
}

static int check_agent_binary(const char *path, tdx_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return tdx_err(err, -errno, "agent binary \"%s\": %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        return tdx_err(err, -EINVAL, "agent binary \"%s\" is not an executable file", path);
    return 0;
}

int tdx_emit_mkosi(const tdx_image *image, const char *outdir, const tdx_emit_options *opts,
                   tdx_error *err)
{
    struct flat base = FLAT_INIT, prof = FLAT_INIT;
    struct tree layered = TREE_INIT;
    const char *profile = opts ? opts->profile : NULL;
    long long sde = 0;
    size_t idx;
    int rc;

    tdx_check_arg(image, err);
    tdx_check_arg(outdir, err);
    tdx_check_options(opts, TDX_EMIT_OPTIONS_VERSION, err);
    rc = image_profile_index(image, profile, &idx, err);
    if (rc < 0)
        return rc;
    if (opts && opts->agent_binary && (rc = check_agent_binary(opts->agent_binary, err)) < 0)
        return rc;
    /* Version 1 callers have no allow_outside_src: the boundary holds. */
    rc = recipe_check_sources(image, idx, opts && opts->version >= 2 && opts->allow_outside_src == 1,
                              err);
    if (rc < 0)
        return rc;

    rc = flat_for(image, 0, opts ? opts->agent_binary : NULL, &base, &sde, err);
    if (rc < 0)
        goto out;
    if (idx == 0) {
        strbuf sb = STRBUF_INIT;
        char header[512];
        size_t len;
        char *data;
        snprintf(header, sizeof(header),
                 TREE_SIGNATURE " for image \"%s\".\n"
                 "# Do not edit: change the recipe and emit the tree again. Needs mkosi %d or newer.\n",
                 image->name, TDX_MKOSI_MINIMUM_VERSION);
        rc = conf_render(&base.conf, header, &sb, err);
        if (rc < 0) {
            strbuf_free(&sb);
            goto out;
        }
        data = strbuf_steal(&sb, &len);
        if (!data || tree_add_take(&base.tree, "mkosi.conf", data, len, 0644) < 0) {
            rc = tdx_err_oom(err);
            goto out;
        }
        rc = tree_add_record(&base.tree, err);
        if (rc >= 0)
            rc = tree_write(&base.tree, outdir, opts && opts->force == 1, (time_t)sde, err);
        goto out;
    }

    rc = flat_for(image, idx, opts ? opts->agent_binary : NULL, &prof, &sde, err);
    if (rc >= 0)
        rc = emit_layered(&base, &prof, tdx_image_profile_name(image, idx), &layered, err);
    if (rc >= 0)
        rc = tree_add_record(&layered, err);
    if (rc >= 0)
        rc = tree_write(&layered, outdir, opts && opts->force == 1, (time_t)sde, err);
out:
    flat_free(&base);
    flat_free(&prof);
    tree_free(&layered);
    return rc;
}
