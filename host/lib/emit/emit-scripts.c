/* SPDX-License-Identifier: MIT */
/*
 * Scripts in mkosi's phase directories. Names order them within a phase:
 *   05-  checks          10-  users            20-  builds, permissions
 *   50-NNN-PROFILE       the recipe's own scripts, in effective order
 *   90-  debloat: systemd units last in postinst, paths last in finalize
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>

#include "emit-internal.h"
#include "error.h"

static const char *phase_dir(tdx_phase p)
{
    static const char *const dirs[RECIPE_PHASE_COUNT] = {
        "mkosi.sync.d",     "mkosi.prepare.d",    "mkosi.build.d",  "mkosi.postinst.d",
        "mkosi.finalize.d", "mkosi.postoutput.d", "mkosi.clean.d",
    };
    return dirs[p];
}

/* "harden" from "/x/scripts/harden.sh": a readable suffix for script names. */
static void script_stem(const char *file, char *buf, size_t size)
{
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t o = 0;
    for (const char *p = base; *p && o + 1 < size && o < 40; p++) {
        if (endswith(p, ".sh") && strlen(p) == 3)
            break;
        buf[o++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_') ? *p : '_';
    }
    buf[o] = '\0';
}

static int emit_recipe_scripts(struct emit_ctx *c)
{
    const struct recipe *r = c->r;

    for (int p = 0; p < RECIPE_PHASE_COUNT; p++) {
        for (size_t i = 0; i < r->scripts[p].n; i++) {
            const struct op *op = r->scripts[p].items[i];
            const struct script_spec *s = &op->u.script;
            char path[512], stem[64] = "", label[512], what[600];
            int rc;

            if (s->file)
                script_stem(s->file, stem, sizeof(stem));
            snprintf(path, sizeof(path), "%s/50-%03zu-%s%s%s.sh%s", phase_dir((tdx_phase)p), i,
                     op_profile_name(r, op), *stem ? "-" : "", stem, s->chroot ? ".chroot" : "");
            if (s->file) {
                if (tree_add_copy(&c->out->tree, path, s->file, 0755) < 0)
                    return emit_oom(c);
                continue;
            }
            {
                strbuf sb = STRBUF_INIT;
                origin_label(op, label, sizeof(label));
                snprintf(what, sizeof(what), "%s script from %s", tdx_phase_name((tdx_phase)p),
                         label);
                sh_header(&sb, what);
                strbuf_puts(&sb, s->commands);
                if (!endswith(s->commands, "\n"))
                    strbuf_putc(&sb, '\n');
                rc = add_tree_text(c, path, &sb, 0755);
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

static int emit_agent_check(struct emit_ctx *c)
{
    strbuf sb = STRBUF_INIT;
    sh_header(&sb, "check that the tdx-agent binary is in the image");
    strbuf_puts(&sb, "if [ ! -x \"$BUILDROOT" IMG_AGENT_BINARY "\" ]; then\n"
                     "    echo \"tdx-agent is missing from the image: emit the tree again with "
                     "tdxctl emit --agent-binary PATH\" >&2\n"
                     "    exit 1\n"
                     "fi\n");
    return add_tree_text(c, "mkosi.postinst.d/05-tdx-agent.sh", &sb, 0755);
}

static int emit_users_script(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    strbuf sb = STRBUF_INIT;
    bool homes = false;

    if (r->users.n == 0)
        return 0;
    for (size_t i = 0; i < r->users.n; i++)
        homes |= ((const struct op *)r->users.items[i])->u.user.home != NULL;
    sh_header(&sb, "create the recipe's users now, so that later scripts and file ownership "
                   "can use them");
    strbuf_puts(&sb, "systemd-sysusers " IMG_SYSUSERS "\n");
    if (homes)
        strbuf_puts(&sb, "systemd-tmpfiles --create " IMG_TMPFILES "\n");
    return add_tree_text(c, "mkosi.postinst.d/10-users.sh.chroot", &sb, 0755);
}

/* Files keep their mode in the tree, but a tree that travels through git
 * keeps only 0644/0755, and ownership never travels: set both in the image. */
static void permission_lines(strbuf *sb, const ptrvec *files, bool *any)
{
    for (size_t i = 0; i < files->n; i++) {
        const struct file_spec *f = &((const struct op *)files->items[i])->u.file;
        const char *owner = f->owner ? f->owner : "root";
        const char *group = effective_group(f->owner, f->group);
        bool plain_mode = f->mode == 0644 || f->mode == 0755;

        if (streq(owner, "root") && streq(group, "root") && plain_mode)
            continue;
        *any = true;
        strbuf_printf(sb, "chown %s:%s ", owner, group);
        sh_quote(sb, f->dest);
        strbuf_printf(sb, "\nchmod %04o ", (unsigned)f->mode);
        sh_quote(sb, f->dest);
        strbuf_putc(sb, '\n');
    }
}

static int emit_permissions(struct emit_ctx *c)
{
    strbuf sb = STRBUF_INIT;
    bool any = false;

    sh_header(&sb, "owners and modes of the recipe's files");
    permission_lines(&sb, &c->r->skeleton, &any);
    permission_lines(&sb, &c->r->files, &any);
    if (c->r->ssh.enabled && streq(c->r->ssh.key_delivery, "image")) {
        strbuf_puts(&sb, "chmod 0700 /root/.ssh\nchmod 0600 " IMG_SSH_AUTHORIZED_KEYS "\n");
        any = true;
    }
    if (!any) {
        strbuf_free(&sb);
        return 0;
    }
    return add_tree_text(c, "mkosi.postinst.d/20-permissions.sh.chroot", &sb, 0755);
}

/* Which recipe item put an image path there, for messages. */
static const char *path_owner(const struct recipe *r, const char *image_path, char *buf,
                              size_t size)
{
    const ptrvec *lists[] = { &r->files, &r->skeleton };
    for (size_t l = 0; l < ELEMENTSOF(lists); l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            const struct op *op = lists[l]->items[i];
            if (streq(op->u.file.dest, image_path)) {
                origin_label(op, buf, size);
                return buf;
            }
        }
    return "the image generator";
}

static bool debloat_hits(const char *pattern, const char *path)
{
    return fnmatch(pattern, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0;
}

/* Debloat runs last and would silently delete what the recipe added under a
 * removed path; refuse instead, naming both. */
static int check_debloat(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    STRV_FOREACH(pattern, r->debloat.paths) {
        for (size_t i = 0; i < c->out->tree.entries.n; i++) {
            const struct tree_entry *e = c->out->tree.entries.items[i];
            const char *image_path;
            char owner[512];
            if (startswith(e->path, "mkosi.extra/"))
                image_path = e->path + strlen("mkosi.extra");
            else if (startswith(e->path, "mkosi.skeleton/"))
                image_path = e->path + strlen("mkosi.skeleton");
            else
                continue;
            if (debloat_hits(*pattern, image_path))
                return tdx_err(c->err, -EINVAL, "debloat: removing \"%s\" would delete \"%s\" "
                               "(from %s); add the path to debloat.paths_skip or move the file",
                               *pattern, image_path, path_owner(r, image_path, owner,
                                                                sizeof(owner)));
        }
        for (size_t i = 0; i < r->builds.n; i++) {
            const struct op *op = r->builds.items[i];
            const struct build_spec *b = &op->u.build;
            char label[512];
            for (size_t a = 0; a <= b->n_artifacts; a++) {
                const char *to = a < b->n_artifacts ? b->artifacts[a].to : b->output;
                if (to && debloat_hits(*pattern, to)) {
                    origin_label(op, label, sizeof(label));
                    return tdx_err(c->err, -EINVAL, "debloat: removing \"%s\" would delete "
                                   "\"%s\" (built by %s); add the path to debloat.paths_skip",
                                   *pattern, to, label);
                }
            }
        }
    }
    return 0;
}

/* A kept unit keeps the program it runs when the systemd package installs
 * that in /bin (the others live in /lib/systemd, which debloat leaves). */
static int collect_keep_bins(struct emit_ctx *c, char *const *units, char ***ret)
{
    static const char *const unit_bins[][2] = {
        { "systemd-tmpfiles-setup.service", "systemd-tmpfiles" },
    };
    char **bins = strv_copy((const char *const *)c->r->debloat.bins);

    for (size_t i = 0; bins && i < ELEMENTSOF(unit_bins); i++)
        if (strv_contains(units, unit_bins[i][0]) && strv_push(&bins, unit_bins[i][1]) < 0) {
            bins = strv_free(bins);
            break;
        }
    if (!bins)
        return emit_oom(c);
    strv_sort_uniq(bins);
    *ret = bins;
    return 0;
}

static int collect_keep_units(struct emit_ctx *c, char ***ret)
{
    const struct recipe *r = c->r;
    char **keep = strv_copy((const char *const *)r->debloat.units);

    if (!keep || strv_extend(&keep, (const char *const *)c->keep_units) < 0 ||
        strv_push(&keep, r->default_target) < 0)
        goto oom;
    /* Units the recipe's services refer to must keep working. */
    for (size_t i = 0; i < r->services.n; i++) {
        const struct service_spec *s = &((const struct op *)r->services.items[i])->u.service;
        if (strv_extend(&keep, (const char *const *)s->after) < 0 ||
            strv_extend(&keep, (const char *const *)s->requires) < 0 ||
            strv_extend(&keep, (const char *const *)s->wants) < 0 ||
            strv_extend(&keep, (const char *const *)s->wanted_by) < 0)
            goto oom;
    }
    strv_sort_uniq(keep);
    *ret = keep;
    return 0;
oom:
    strv_free(keep);
    return emit_oom(c);
}

static void word_list(strbuf *sb, const char *name, char *const *words)
{
    strbuf_printf(sb, "%s=' ", name);
    STRV_FOREACH(w, words)
        strbuf_printf(sb, "%s ", *w);
    strbuf_puts(sb, "'\n");
}

static int emit_debloat_paths(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    strbuf sb = STRBUF_INIT;

    sh_header(&sb, "debloat: strip documentation, caches and other unneeded paths from the image "
                   "($BUILDROOT)");
    strbuf_puts(&sb, "root=$BUILDROOT\n\n");
    STRV_FOREACH(p, r->debloat.paths) {
        strbuf_puts(&sb, "rm -rf -- \"$root\"");
        sh_quote_glob(&sb, *p);
        strbuf_putc(&sb, '\n');
    }
    strbuf_puts(&sb, "\n# Logs and caches: files go, directories stay.\n"
                     "for dir in \"$root/var/log\" \"$root/var/cache\"; do\n"
                     "    if [ -d \"$dir\" ]; then\n"
                     "        find \"$dir\" -type f -delete\n"
                     "    fi\n"
                     "done\n"
                     "\n# systemd needs /etc/machine-id to exist: on a read-only /etc a missing\n"
                     "# file stops the boot. Empty, it means \"no identity yet\" and systemd\n"
                     "# makes one per boot, so the image itself carries none.\n"
                     "rm -f -- \"$root/etc/machine-id\"\n"
                     ": >\"$root/etc/machine-id\"\n"
                     "chmod 0444 \"$root/etc/machine-id\"\n");
    return add_tree_text(c, "mkosi.finalize.d/90-debloat.sh", &sb, 0755);
}

/* Which units to mask needs the systemd package's file list, and mkosi
 * deletes the package database (CleanPackageMetadata=) before finalize
 * scripts run: so the list is made last in postinst, in a file outside the
 * image's paths. The masks themselves are made in finalize, after mkosi's
 * presets: masked before, every unit a preset names failed with "Failed to
 * preset unit ... is masked" (about 150 lines per build). */
static int emit_debloat_systemd(struct emit_ctx *c)
{
    const struct recipe *r = c->r;
    _cleanup_strv_free_ char **keep = NULL, **bins = NULL;
    strbuf sb = STRBUF_INIT;
    int rc;

    if (!r->debloat.systemd_minimize)
        return 0;
    rc = collect_keep_units(c, &keep);
    if (rc >= 0)
        rc = collect_keep_bins(c, keep, &bins);
    if (rc < 0)
        return rc;
    sh_header(&sb, "debloat: mask every unit the systemd package ships except these, and remove "
                   "its binaries except these ($BUILDROOT)");
    strbuf_puts(&sb, "root=$BUILDROOT\n");
    word_list(&sb, "keep_units", keep);
    word_list(&sb, "keep_bins", bins);
    strbuf_puts(&sb,
        "list=\"$root/var/lib/dpkg/info/systemd.list\"\n"
        "if [ ! -f \"$list\" ]; then\n"
        "    echo \"debloat: $list is missing: cannot tell which units the systemd package ships\" >&2\n"
        "    exit 1\n"
        "fi\n"
        "plan=\"$root/.tdx-debloat-mask\"\n"
        ": >\"$plan\"\n"
        "masked=0\n"
        "removed=0\n"
        "while IFS= read -r path; do\n"
        "    name=${path##*/}\n"
        "    case \"$path\" in\n"
        "    */system/*.wants/* | */system/*.requires/*)\n"
        "        ;;\n"
        "    /lib/systemd/system/* | /usr/lib/systemd/system/*)\n"
        "        case \"$name\" in\n"
        "        *.service | *.socket | *.target | *.timer | *.path | *.mount | *.automount | *.slice | *.swap) ;;\n"
        "        *) continue ;;\n"
        "        esac\n"
        "        case \"$keep_units\" in *\" $name \"*) continue ;; esac\n"
        "        unit=\"$root/etc/systemd/system/$name\"\n"
        "        if [ -e \"$unit\" ] || [ -L \"$unit\" ]; then\n"
        "            continue\n"
        "        fi\n"
        "        echo \"$name\" >>\"$plan\"\n"
        "        masked=$((masked + 1))\n"
        "        ;;\n"
        "    /bin/* | /usr/bin/*)\n"
        "        case \"$keep_bins\" in *\" $name \"*) continue ;; esac\n"
        "        if [ -e \"$root$path\" ] || [ -L \"$root$path\" ]; then\n"
        "            rm -f -- \"$root$path\"\n"
        "            removed=$((removed + 1))\n"
        "        fi\n"
        "        ;;\n"
        "    esac\n"
        "done <\"$list\"\n"
        "echo \"debloat: $masked systemd units to mask (in finalize), removed $removed systemd binaries\"\n");
    rc = add_tree_text(c, "mkosi.postinst.d/90-debloat-systemd.sh", &sb, 0755);
    if (rc < 0)
        return rc;
    sh_header(&sb, "debloat: mask the systemd units postinst listed, now that mkosi's presets ran "
                   "($BUILDROOT)");
    strbuf_puts(&sb,
        "root=$BUILDROOT\n"
        "plan=\"$root/.tdx-debloat-mask\"\n"
        "if [ ! -f \"$plan\" ]; then\n"
        "    echo \"debloat: $plan is missing: the postinst debloat did not run\" >&2\n"
        "    exit 1\n"
        "fi\n"
        "mkdir -p \"$root/etc/systemd/system\"\n"
        "masked=0\n"
        "while IFS= read -r name; do\n"
        "    unit=\"$root/etc/systemd/system/$name\"\n"
        "    if [ -e \"$unit\" ] || [ -L \"$unit\" ]; then\n"
        "        continue\n"
        "    fi\n"
        "    ln -s /dev/null \"$unit\"\n"
        "    masked=$((masked + 1))\n"
        "done <\"$plan\"\n"
        "rm -f -- \"$plan\"\n"
        "echo \"debloat: masked $masked systemd units\"\n");
    return add_tree_text(c, "mkosi.finalize.d/91-debloat-mask.sh", &sb, 0755);
}

static int emit_debloat(struct emit_ctx *c)
{
    int rc;

    if (!c->r->debloat.enabled)
        return 0;
    rc = check_debloat(c);
    if (rc >= 0)
        rc = emit_debloat_paths(c);
    if (rc >= 0)
        rc = emit_debloat_systemd(c);
    return rc;
}

int emit_scripts(struct emit_ctx *c)
{
    int rc;
    if ((rc = emit_recipe_scripts(c)) < 0 || (rc = emit_agent_check(c)) < 0 ||
        (rc = emit_users_script(c)) < 0 || (rc = emit_permissions(c)) < 0)
        return rc;
    return emit_debloat(c);
}
