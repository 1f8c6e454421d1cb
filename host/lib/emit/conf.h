/* SPDX-License-Identifier: MIT */
/* An mkosi configuration file as data: ordered settings, rendering, and the
 * difference a profile layer must express. */
#ifndef TDXHOST_EMIT_CONF_H
#define TDXHOST_EMIT_CONF_H

#include <stdbool.h>

#include "ptrvec.h"
#include "strbuf.h"
#include "tdxhost/common.h"

enum conf_kind {
    CONF_SCALAR,   /* later assignments override */
    CONF_LIST,     /* assignments append; order matters */
    CONF_SET,      /* assignments append; order does not matter */
};

struct conf_setting {
    char *section, *key;
    enum conf_kind kind;
    bool reset;        /* write "Key=" (clear) before the values */
    char **values;     /* scalars have exactly one value unless reset */
};

struct conf {
    ptrvec settings;   /* struct conf_setting*, in insertion order */
};

#define CONF_INIT { PTRVEC_INIT }

int conf_scalar(struct conf *c, const char *section, const char *key, const char *value);
int conf_list(struct conf *c, const char *section, const char *key, enum conf_kind kind,
              char *const *values);
/* A reset ("Key=") followed by values (may be empty). */
int conf_replace(struct conf *c, const char *section, const char *key, enum conf_kind kind,
                 char *const *values);

const struct conf_setting *conf_find(const struct conf *c, const char *section, const char *key);

/* Renders sections in mkosi's documented order. Values must not contain '#'
 * or newlines (-EINVAL naming the key); '%' is escaped. */
int conf_render(const struct conf *c, const char *header, strbuf *out, tdx_error *err);

/* Settings that turn `base` into `profile` when parsed after it (mkosi's
 * rules: scalars override, lists append, an empty assignment resets). */
int conf_diff(const struct conf *base, const struct conf *profile, struct conf *layer);

void conf_free(struct conf *c);

#endif
