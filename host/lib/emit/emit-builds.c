/* SPDX-License-Identifier: MIT */
/*
 * Build scripts for the recipe's builders and for a kernel built from
 * source. They run inside the build overlay (".chroot"), download pinned
 * toolchains with their SHA-256 checked, and set the reproducibility flags.
 * Sources are copied into the tree (sources/NAME/), so the tree alone is the
 * build input and does not depend on where the recipe lives.
 */
#include <stdio.h>

#include "emit-internal.h"
#include "error.h"
#include "recipe/source-urls.h"

static const char *const kind_names[] = { "", "go", "rust", "dotnet", "c", "script" };

/* Toolchains and compiler caches live in $BUILDDIR, which mkosi sets only
 * with BuildDirectory= (tdxctl build passes one outside the tree, kept
 * between builds). Without it they would go to a directory of the build
 * sandbox and be downloaded again every build. */
static const char need_builddir_sh[] =
    ": \"${BUILDDIR:?is not set: give mkosi a build directory outside the tree (tdxctl build does; "
    "by hand: mkosi --build-directory DIR) so toolchains and caches persist}\"\n";

/* Shell that leaves an unpacked, verified archive at "$toolchain". The cache
 * is keyed by the archive's SHA-256, so a changed pin never reuses it. */
static const char fetch_toolchain_sh[] =
    "cache=\"$BUILDDIR/tdx-toolchains\"\n"
    "toolchain=\"$cache/$toolchain_sha256\"\n"
    "if [ ! -d \"$toolchain\" ]; then\n"
    "    mkdir -p \"$cache\"\n"
    "    tmp=$(mktemp -d \"$cache/.fetch.XXXXXX\")\n"
    "    curl --fail --location --silent --show-error --proto =https,http \\\n"
    "        --output \"$tmp/archive\" \"$toolchain_url\"\n"
    "    if ! echo \"$toolchain_sha256  $tmp/archive\" | sha256sum --check --status; then\n"
    "        echo \"SHA-256 mismatch for $toolchain_url (expected $toolchain_sha256)\" >&2\n"
    "        rm -rf \"$tmp\"\n"
    "        exit 1\n"
    "    fi\n"
    "    mkdir \"$tmp/tree\"\n"
    "    tar -xf \"$tmp/archive\" -C \"$tmp/tree\"\n"
    "%s"
    "    mv \"$tmp/tree\" \"$toolchain\"\n"
    "    rm -rf \"$tmp\"\n"
    "fi\n";

static const char rust_install_sh[] =
    "    set -- \"$tmp\"/tree/*/install.sh\n"
    "    \"$1\" --prefix=\"$tmp/root\" --disable-ldconfig >/dev/null\n"
    "    rm -rf \"$tmp/tree\"\n"
    "    mv \"$tmp/root\" \"$tmp/tree\"\n";

static int push_packages(struct emit_ctx *c, const char *const *list)
{
    return strv_extend(&c->build_packages, list) < 0 ? emit_oom(c) : 0;
}

static void export_env(strbuf *sb, char *const *env)
{
    STRV_FOREACH(e, env) {
        const char *eq = strchr(*e, '=');
        strbuf_printf(sb, "export %.*s=", (int)(eq - *e), *e);
        sh_quote(sb, eq + 1);
        if (!eq[1])
            strbuf_puts(sb, "''");
        strbuf_putc(sb, '\n');
    }
}

static void copy_artifacts(strbuf *sb, const struct build_spec *b)
{
    for (size_t i = 0; i < b->n_artifacts; i++) {
        strbuf_puts(sb, "dest=\"$DESTDIR\"");
        sh_quote(sb, b->artifacts[i].to);
        strbuf_puts(sb, "\nmkdir -p \"$(dirname \"$dest\")\"\ncp -R --preserve=mode \"$src\"/");
        sh_quote(sb, b->artifacts[i].from);
        strbuf_puts(sb, " \"$dest\"\n");
    }
}

static int emit_build(struct emit_ctx *c, const struct op *op)
{
    const struct build_spec *b = &op->u.build;
    bool download = b->toolchain_version || b->toolchain_url;
    char path[300], prefix[300], label[512], what[700], url[512];
    strbuf sb = STRBUF_INIT;
    int rc;

    snprintf(prefix, sizeof(prefix), "sources/%s", b->name);
    rc = tree_add_dir_copy(&c->out->tree, prefix, b->src, c->err);
    if (rc < 0)
        return rc;

    origin_label(op, label, sizeof(label));
    snprintf(what, sizeof(what), "build \"%s\" (%s) from %s", b->name, kind_names[b->kind], label);
    sh_header(&sb, what);
    strbuf_puts(&sb, need_builddir_sh);
    if (b->reproducible)
        strbuf_puts(&sb, "export SOURCE_DATE_EPOCH=\"${SOURCE_DATE_EPOCH:-0}\"\n");
    strbuf_printf(&sb, "src=\"$SRCDIR/sources/%s\"\n", b->name);
    if (b->output)
        sh_assign(&sb, "output", b->output);
    if (download) {
        recipe_toolchain_url(b, url, sizeof(url));
        sh_assign(&sb, "toolchain_url", url);
        sh_assign(&sb, "toolchain_sha256", b->toolchain_sha256);
        strbuf_printf(&sb, fetch_toolchain_sh, b->kind == TDX_BUILD_RUST ? rust_install_sh : "");
        c->with_network = true;
    }
    export_env(&sb, b->env);

    switch (b->kind) {
    case TDX_BUILD_GO:
        c->with_network = true;
        rc = push_packages(c, download ? (const char *const[]){ "ca-certificates", "curl", "tar",
                                                                "gzip", NULL }
                                       : (const char *const[]){ "golang-go", "ca-certificates",
                                                                NULL });
        sh_assign(&sb, "target", b->target ? b->target : ".");
        sh_assign(&sb, "ldflags", b->ldflags ? b->ldflags : "");
        if (download)
            strbuf_puts(&sb, "export PATH=\"$toolchain/go/bin:$PATH\"\n");
        strbuf_puts(&sb, "export GOTOOLCHAIN=local CGO_ENABLED=\"${CGO_ENABLED:-0}\"\n"
                         "export GOCACHE=\"$BUILDDIR/tdx-go/cache\" "
                         "GOMODCACHE=\"$BUILDDIR/tdx-go/mod\"\n"
                         "cd \"$src\"\n");
        if (b->reproducible)
            strbuf_puts(&sb, "go build -trimpath -buildvcs=false -ldflags \"-buildid= $ldflags\" "
                             "-o \"$DESTDIR$output\" \"$target\"\n");
        else
            strbuf_puts(&sb, "go build -ldflags \"$ldflags\" -o \"$DESTDIR$output\" \"$target\"\n");
        break;
    case TDX_BUILD_RUST: {
        c->with_network = true;
        rc = push_packages(c, download ? (const char *const[]){ "ca-certificates", "curl", "tar",
                                                                "xz-utils", "gcc", "libc6-dev", NULL }
                                       : (const char *const[]){ "cargo", "rustc", "gcc",
                                                                "libc6-dev", "ca-certificates",
                                                                NULL });
        sh_assign(&sb, "bin", b->target ? b->target : b->name);
        if (b->features) {
            strbuf_puts(&sb, "features=");
            strbuf_putc(&sb, '\'');
            for (size_t i = 0; b->features[i]; i++)
                strbuf_printf(&sb, "%s%s", i ? "," : "", b->features[i]);
            strbuf_puts(&sb, "'\n");
        }
        if (download)
            strbuf_puts(&sb, "export PATH=\"$toolchain/bin:$PATH\"\n");
        strbuf_puts(&sb, "export CARGO_HOME=\"$BUILDDIR/tdx-cargo\" CARGO_INCREMENTAL=0\n");
        if (b->reproducible)
            strbuf_puts(&sb, "export RUSTFLAGS=\"${RUSTFLAGS:-} --remap-path-prefix=$src=/build "
                             "--remap-path-prefix=$CARGO_HOME=/cargo -C link-arg=-Wl,--build-id=none\"\n");
        strbuf_puts(&sb, "cd \"$src\"\n");
        strbuf_printf(&sb, "cargo build --release --locked --bin \"$bin\"%s\n",
                      b->features ? " --features \"$features\"" : "");
        strbuf_puts(&sb, "install -D -m 0755 \"target/release/$bin\" \"$DESTDIR$output\"\n");
        break;
    }
    case TDX_BUILD_DOTNET:
        c->with_network = true;
        rc = push_packages(c, (const char *const[]){ "ca-certificates", "curl", "tar", "gzip", NULL });
        sh_assign(&sb, "project", b->target ? b->target : ".");
        strbuf_puts(&sb, "export DOTNET_ROOT=\"$toolchain\" PATH=\"$toolchain:$PATH\"\n"
                         "export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 "
                         "DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1\n"
                         "export NUGET_PACKAGES=\"$BUILDDIR/tdx-nuget\"\n"
                         "cd \"$src\"\n"
                         "dotnet publish \"$project\" -c Release -o \"$DESTDIR$output\"");
        if (b->reproducible)
            strbuf_puts(&sb, " -p:Deterministic=true -p:ContinuousIntegrationBuild=true "
                             "\"-p:PathMap=$src=/build\"");
        if (b->self_contained)
            strbuf_puts(&sb, " --self-contained true -r linux-x64");
        strbuf_putc(&sb, '\n');
        break;
    case TDX_BUILD_C:
    case TDX_BUILD_SCRIPT:
        if (b->kind == TDX_BUILD_C) {
            rc = push_packages(c, (const char *const[]){ "build-essential", NULL });
            if (b->reproducible)
                strbuf_puts(&sb, "export CFLAGS=\"${CFLAGS:-} -ffile-prefix-map=$src=/build\"\n"
                                 "export CXXFLAGS=\"${CXXFLAGS:-} -ffile-prefix-map=$src=/build\"\n");
        }
        strbuf_puts(&sb, "cd \"$src\"\n\n# build_script\n");
        strbuf_puts(&sb, b->build_script);
        if (!endswith(b->build_script, "\n"))
            strbuf_putc(&sb, '\n');
        strbuf_puts(&sb, "\n# artifacts\ncd \"$src\"\n");
        copy_artifacts(&sb, b);
        break;
    }
    if (rc >= 0)
        rc = push_packages(c, (const char *const *)b->build_deps);
    if (rc < 0) {
        strbuf_free(&sb);
        return rc;
    }
    snprintf(path, sizeof(path), "mkosi.build.d/20-build-%s.sh.chroot", b->name);
    return add_tree_text(c, path, &sb, 0755);
}

static int emit_kernel(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    const struct embedded_file *frag;
    char config[300], url[512];
    strbuf sb = STRBUF_INIT;

    if (!r->kernel.source_version)
        return 0;
    c->with_network = true;
    if (push_packages(c, (const char *const[]){ "bc", "bison", "build-essential", "ca-certificates",
                                                "cpio", "curl", "flex", "kmod", "libelf-dev",
                                                "libssl-dev", "tar", "xz-utils", NULL }) < 0)
        return emit_oom(c);

    if (r->kernel.config_file) {
        snprintf(config, sizeof(config), "kernel/%s.config",
                 tdx_image_profile_name(r->image, r->kernel.config_profile));
        if (tree_add_copy(&c->out->tree, config, r->kernel.config_file, 0644) < 0)
            return emit_oom(c);
    } else {
        snprintf(config, sizeof(config), "kernel/tdx-guest.config");
        frag = embedded_get("tdx-guest.config");
        if (!frag || tree_add_data(&c->out->tree, config, frag->data, frag->size, 0644) < 0)
            return emit_oom(c);
    }
    recipe_kernel_source_url(r, url, sizeof(url));

    sh_header(&sb, "build the kernel from source (kernel.version)");
    strbuf_puts(&sb, need_builddir_sh);
    strbuf_puts(&sb, "export SOURCE_DATE_EPOCH=\"${SOURCE_DATE_EPOCH:-0}\"\n");
    sh_assign(&sb, "version", r->kernel.source_version);
    sh_assign(&sb, "toolchain_url", url);
    sh_assign(&sb, "toolchain_sha256", r->kernel.source_sha256);
    strbuf_printf(&sb, "config=\"$SRCDIR/%s\"\n", config);
    strbuf_printf(&sb, fetch_toolchain_sh, "");
    strbuf_puts(&sb, "work=\"$BUILDDIR/tdx-kernel\"\n"
                     "rm -rf \"$work\"\n"
                     "mkdir -p \"$work\"\n"
                     "cp -R \"$toolchain\"/linux-* \"$work/linux\"\n"
                     "cd \"$work/linux\"\n");
    if (r->kernel.config_file)
        strbuf_puts(&sb, "cp \"$config\" .config\n");
    else
        strbuf_puts(&sb, "make x86_64_defconfig\n"
                         "scripts/kconfig/merge_config.sh -m .config \"$config\"\n");
    strbuf_puts(&sb, "make olddefconfig\n"
                     "KBUILD_BUILD_TIMESTAMP=\"$(date -u -d \"@$SOURCE_DATE_EPOCH\")\"\n"
                     "export KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER=tdx KBUILD_BUILD_HOST=tdx\n"
                     "make -j\"$(nproc)\" bzImage modules\n"
                     "kver=$(make -s kernelrelease)\n"
                     "make INSTALL_MOD_PATH=\"$DESTDIR/usr\" INSTALL_MOD_STRIP=1 modules_install\n"
                     "install -D -m 0644 arch/x86/boot/bzImage \"$DESTDIR/usr/lib/modules/$kver/vmlinuz\"\n");
    return add_tree_text(c, "mkosi.build.d/10-kernel.sh.chroot", &sb, 0755);
}

int emit_builds(struct emit_ctx *c)
{
    int rc = emit_kernel(c);
    for (size_t i = 0; rc >= 0 && i < c->r->builds.n; i++)
        rc = emit_build(c, c->r->builds.items[i]);
    return rc;
}
