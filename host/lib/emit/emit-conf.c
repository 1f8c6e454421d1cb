/* SPDX-License-Identifier: MIT */
/* The settings of mkosi.conf. Only keys mkosi 25 and 26 both have
 * (tests/data/mkosi-settings.tsv lists them with their sections). */
#include <openssl/evp.h>
#include <stdio.h>

#include "emit-internal.h"
#include "error.h"
#include "tdxhost/emit.h"

/* A fixed seed per image name: repart's UUIDs and mkosi's other random
 * choices stay the same from build to build. */
static int derive_seed(const char *name, char out[37]);

int emit_image_seed(const struct recipe *r, char out[37])
{
    if (r->output.seed) {
        snprintf(out, 37, "%s", r->output.seed);
        return 0;
    }
    return derive_seed(r->image->name, out);
}

static int derive_seed(const char *name, char out[37])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, "libtdxhost mkosi seed\0", 22) == 1 &&
             EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -EIO;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x40);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11],
             md[12], md[13], md[14], md[15]);
    return 0;
}

int emit_conf(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    struct conf *conf = &c->out->conf;
    _cleanup_strv_free_ char **packages = NULL;
    char buf[128], seed[37];
    int rc = 0;

    packages = strv_copy((const char *const *)r->packages);
    if (!packages || strv_extend(&packages, (const char *const *)c->packages) < 0)
        return emit_oom(c);
    if (streq(r->init, "systemd") &&
        strv_extend(&packages, (const char *const[]){ "systemd", "systemd-sysv", "udev", "kmod",
                                                      NULL }) < 0)
        return emit_oom(c);
    /* mkosi builds UKIs with the systemd stub from the image. */
    if ((streq(r->output.format, "uki") || streq(r->output.format, "disk")) &&
        strv_push(&packages, "systemd-boot-efi") < 0)
        return emit_oom(c);
    if (r->kernel.package) {
        if (r->kernel.suite && !streq(r->kernel.suite, r->release))
            snprintf(buf, sizeof(buf), "%s/%s", r->kernel.package, r->kernel.suite);
        else
            snprintf(buf, sizeof(buf), "%s", r->kernel.package);
        if (strv_push(&packages, buf) < 0)
            return emit_oom(c);
    }
    strv_sort_uniq(packages);
    strv_sort_uniq(c->build_packages);

    if (derive_seed(r->image->name, seed) < 0)
        return tdx_err(c->err, -EIO, "cannot derive the mkosi seed: SHA-256 failed");

    snprintf(buf, sizeof(buf), "%d", TDX_MKOSI_MINIMUM_VERSION);
    rc |= conf_scalar(conf, "Config", "MinimumVersion", buf);
    rc |= conf_scalar(conf, "Distribution", "Distribution", r->distribution);
    rc |= conf_scalar(conf, "Distribution", "Release", r->release);
    rc |= conf_scalar(conf, "Distribution", "Architecture", "x86-64");
    if (r->mirror)
        rc |= conf_scalar(conf, "Distribution", "Mirror", r->mirror);

    rc |= conf_scalar(conf, "Output", "Format", r->output.format);
    rc |= conf_scalar(conf, "Output", "ImageId", r->image_id);
    if (r->output.image_version)
        rc |= conf_scalar(conf, "Output", "ImageVersion", r->output.image_version);
    rc |= conf_list(conf, "Output", "ManifestFormat", CONF_LIST, (char *[]){ "json", NULL });
    rc |= conf_scalar(conf, "Output", "Seed", r->output.seed ? r->output.seed : seed);
    /* emit_repart()'s mke2fs wrapper goes before the tools tree's own. */
    if (emit_repart_search_path(r))
        rc |= conf_list(conf, "Build", "ExtraSearchPaths", CONF_LIST,
                        (char *[]){ EMIT_REPART_BIN_DIR, NULL });

    snprintf(buf, sizeof(buf), "%lld", r->output.source_date_epoch);
    rc |= conf_scalar(conf, "Content", "SourceDateEpoch", buf);
    rc |= conf_scalar(conf, "Content", "WithDocs", r->output.docs ? "yes" : "no");
    rc |= conf_scalar(conf, "Content", "CleanPackageMetadata", "yes");
    if (streq(r->output.format, "disk")) {
        rc |= conf_scalar(conf, "Content", "Bootable", "yes");
        rc |= conf_scalar(conf, "Content", "Bootloader", "uki");
    }
    if (r->kernel.cmdline) {
        /* A list of words for mkosi: a profile that extends the command line
         * appends, one that changes it resets. */
        _cleanup_strv_free_ char **words = calloc(1, sizeof(char *));
        _cleanup_free_ char *copy = strdup(r->kernel.cmdline);
        char *save = NULL;
        if (!words || !copy)
            return emit_oom(c);
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
            if (strv_push(&words, w) < 0)
                return emit_oom(c);
        if (words[0])
            rc |= conf_list(conf, "Content", "KernelCommandLine", CONF_LIST, words);
    }
    rc |= conf_list(conf, "Content", "Packages", CONF_SET, packages);
    if (strv_length(c->build_packages) > 0)
        rc |= conf_list(conf, "Content", "BuildPackages", CONF_SET, c->build_packages);

    if (c->with_network)
        rc |= conf_scalar(conf, "Build", "WithNetwork", "yes");
    /* Builds run in an overlay of the tree: what they write (binaries,
     * objects) is discarded, so a rebuild never picks up a stale one and the
     * tree stays what emit wrote. Caches go to $BUILDDIR (BuildDirectory=,
     * outside the tree, given by tdxctl build). */
    if (r->builds.n > 0)
        rc |= conf_scalar(conf, "Build", "BuildSourcesEphemeral", "yes");
    if (r->output.tools_tree) {
        rc |= conf_scalar(conf, "Build", "ToolsTree", "default");
        rc |= conf_scalar(conf, "Build", "ToolsTreeDistribution", "debian");
        rc |= conf_scalar(conf, "Build", "ToolsTreeRelease", TDX_MKOSI_TOOLS_RELEASE);
        rc |= conf_list(conf, "Build", "ToolsTreeSandboxTrees", CONF_LIST,
                        (char *[]){ "mkosi.tools-sandbox", NULL });
    }
    return rc ? emit_oom(c) : 0;
}
