/* SPDX-License-Identifier: MIT */
#include "conf.h"

#include "error.h"
#include "strv.h"
#include "text.h"

static const char *const section_order[] = { "Config", "Distribution", "Output", "Content",
                                              "Validation", "Build", NULL };

static void setting_free(void *v)
{
    struct conf_setting *s = v;
    free(s->section);
    free(s->key);
    strv_free(s->values);
    free(s);
}

void conf_free(struct conf *c)
{
    ptrvec_free_all(&c->settings, setting_free);
}

static int add(struct conf *c, const char *section, const char *key, enum conf_kind kind,
               bool reset, char *const *values)
{
    struct conf_setting *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->section = strdup(section);
    s->key = strdup(key);
    s->kind = kind;
    s->reset = reset;
    s->values = strv_copy((const char *const *)values);
    if (!s->section || !s->key || !s->values || ptrvec_push(&c->settings, s) < 0) {
        setting_free(s);
        return -ENOMEM;
    }
    return 0;
}

int conf_scalar(struct conf *c, const char *section, const char *key, const char *value)
{
    char *v[2] = { (char *)value, NULL };
    return add(c, section, key, CONF_SCALAR, false, v);
}

int conf_list(struct conf *c, const char *section, const char *key, enum conf_kind kind,
              char *const *values)
{
    return add(c, section, key, kind, false, values);
}

int conf_replace(struct conf *c, const char *section, const char *key, enum conf_kind kind,
                 char *const *values)
{
    return add(c, section, key, kind, true, values);
}

const struct conf_setting *conf_find(const struct conf *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->settings.n; i++) {
        const struct conf_setting *s = c->settings.items[i];
        if (streq(s->section, section) && streq(s->key, key))
            return s;
    }
    return NULL;
}

static int render_value(strbuf *out, const struct conf_setting *s, const char *v, tdx_error *err)
{
    if (strpbrk(v, "#\n\r"))
        return tdx_err(err, -EINVAL, "mkosi.conf: %s=: value \"%.64s\" contains '#' or a newline, "
                       "which mkosi cannot read", s->key, v);
    percent_escape(out, v);
    return 0;
}

int conf_render(const struct conf *c, const char *header, strbuf *out, tdx_error *err)
{
    int r;

    strbuf_puts(out, header);
    for (size_t sec = 0; section_order[sec]; sec++) {
        bool opened = false;
        for (size_t i = 0; i < c->settings.n; i++) {
            const struct conf_setting *s = c->settings.items[i];
            size_t indent = strlen(s->key) + 1;
            if (!streq(s->section, section_order[sec]))
                continue;
            if (!opened) {
                strbuf_printf(out, "\n[%s]\n", s->section);
                opened = true;
            }
            if (s->reset)
                strbuf_printf(out, "%s=\n", s->key);
            for (size_t v = 0; s->values[v]; v++) {
                if (v == 0)
                    strbuf_printf(out, "%s=", s->key);
                else
                    strbuf_printf(out, "%*s", (int)indent, "");
                r = render_value(out, s, s->values[v], err);
                if (r < 0)
                    return r;
                strbuf_putc(out, '\n');
            }
        }
    }
    for (size_t i = 0; i < c->settings.n; i++) {
        const struct conf_setting *s = c->settings.items[i];
        bool known = false;
        for (size_t sec = 0; section_order[sec]; sec++)
            known |= streq(s->section, section_order[sec]);
        if (!known)
            return tdx_err(err, -EINVAL, "mkosi.conf: unknown section [%s]", s->section);
    }
    r = strbuf_error(out);
    return r < 0 ? tdx_err_oom(err) : 0;
}

static bool is_prefix(char *const *prefix, char *const *list)
{
    size_t i;
    for (i = 0; prefix[i]; i++)
        if (!list[i] || !streq(prefix[i], list[i]))
            return false;
    return true;
}

static bool is_subset(char *const *sub, char *const *set)
{
    STRV_FOREACH(s, sub)
        if (!strv_contains(set, *s))
            return false;
    return true;
}

int conf_diff(const struct conf *base, const struct conf *profile, struct conf *layer)
{
    int r = 0;

    for (size_t i = 0; i < profile->settings.n && r >= 0; i++) {
        const struct conf_setting *p = profile->settings.items[i];
        const struct conf_setting *b = conf_find(base, p->section, p->key);

        if (!b) {
            r = add(layer, p->section, p->key, p->kind, false, p->values);
        } else if (p->kind == CONF_SCALAR) {
            if (!streq_ptr(b->values[0], p->values[0]))
                r = add(layer, p->section, p->key, p->kind, false, p->values);
        } else if (strv_length(b->values) == strv_length(p->values) &&
                   is_prefix(b->values, p->values)) {
            continue;
        } else if (p->kind == CONF_LIST && is_prefix(b->values, p->values)) {
            r = add(layer, p->section, p->key, p->kind, false, p->values + strv_length(b->values));
        } else if (p->kind == CONF_SET && is_subset(b->values, p->values)) {
            char **extra = calloc(1, sizeof(char *));
            if (!extra)
                return -ENOMEM;
            STRV_FOREACH(v, p->values)
                if (!strv_contains(b->values, *v) && strv_push(&extra, *v) < 0) {
                    strv_free(extra);
                    return -ENOMEM;
                }
            r = add(layer, p->section, p->key, p->kind, false, extra);
            strv_free(extra);
        } else {
            r = add(layer, p->section, p->key, p->kind, true, p->values);
        }
    }
    for (size_t i = 0; i < base->settings.n && r >= 0; i++) {
        const struct conf_setting *b = base->settings.items[i];
        if (!conf_find(profile, b->section, b->key)) {
            char *none[1] = { NULL };
            r = add(layer, b->section, b->key, b->kind, true, none);
        }
    }
    return r;
}
