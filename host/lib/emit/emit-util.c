/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "emit-internal.h"
#include "error.h"

void flat_free(struct flat *f)
{
    tree_free(&f->tree);
    conf_free(&f->conf);
}

int overlay_path(char *buf, size_t size, const char *overlay, const char *image_path)
{
    int n = snprintf(buf, size, "%s%s", overlay, image_path);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int emit_oom(struct emit_ctx *c)
{
    return tdx_err_oom(c->err);
}

int add_tree_text(struct emit_ctx *c, const char *tree_path, strbuf *sb, unsigned mode)
{
    size_t len;
    char *data;

    if (strbuf_error(sb) < 0) {
        strbuf_free(sb);
        return emit_oom(c);
    }
    data = strbuf_steal(sb, &len);
    if (!data || tree_add_take(&c->out->tree, tree_path, data, len, mode) < 0)
        return emit_oom(c);
    return 0;
}

int add_image_text(struct emit_ctx *c, const char *image_path, strbuf *sb, unsigned mode)
{
    char path[4200];
    if (overlay_path(path, sizeof(path), "mkosi.extra", image_path) < 0) {
        strbuf_free(sb);
        return tdx_err(c->err, -ENAMETOOLONG, "path too long: %s", image_path);
    }
    return add_tree_text(c, path, sb, mode);
}

void origin_label(const struct op *op, char *buf, size_t size)
{
    const char *o = op->origin, *sep, *start = o;

    if (op->origin_is_path && (sep = strstr(o, ": "))) {
        for (const char *p = o; p < sep; p++)
            if (*p == '/')
                start = p + 1;
        snprintf(buf, size, "%s", start);
        return;
    }
    snprintf(buf, size, "%s", o);
}

const char *op_profile_name(const struct recipe *r, const struct op *op)
{
    return tdx_image_profile_name(r->image, op->profile);
}

const char *effective_group(const char *owner, const char *group)
{
    if (group)
        return group;
    return owner ? owner : "root";
}

const struct embedded_file *embedded_get(const char *name)
{
    for (const struct embedded_file *f = embedded_files; f->name; f++)
        if (streq(f->name, name))
            return f;
    return NULL;
}

int render_embedded(const char *name, const char *const *kv, strbuf *out, tdx_error *err)
{
    const struct embedded_file *f = embedded_get(name);
    const char *p, *end;

    if (!f)
        return tdx_err(err, -ENOENT, "internal error: no embedded file \"%s\"", name);
    p = (const char *)f->data;
    end = p + f->size;
    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p)), *close;
        const char *value = NULL;
        size_t klen;

        if (!at) {
            strbuf_append(out, p, (size_t)(end - p));
            break;
        }
        strbuf_append(out, p, (size_t)(at - p));
        close = memchr(at + 1, '@', (size_t)(end - at - 1));
        if (!close)
            return tdx_err(err, -EINVAL, "internal error: %s: unterminated @ marker", name);
        klen = (size_t)(close - at - 1);
        if (klen == 0) {
            strbuf_putc(out, '@');
            p = close + 1;
            continue;
        }
        for (size_t i = 0; kv[i]; i += 2)
            if (strlen(kv[i]) == klen && memcmp(kv[i], at + 1, klen) == 0)
                value = kv[i + 1];
        if (!value)
            return tdx_err(err, -EINVAL, "internal error: %s: no value for @%.*s@", name,
                           (int)klen, at + 1);
        /* An empty value on a line of its own removes the line. */
        if (!*value && (at == (const char *)f->data || at[-1] == '\n') && close + 1 < end &&
            close[1] == '\n') {
            p = close + 2;
            continue;
        }
        strbuf_puts(out, value);
        p = close + 1;
    }
    return strbuf_error(out) < 0 ? tdx_err_oom(err) : 0;
}
