/* SPDX-License-Identifier: MIT */
/* Rendering values into shell scripts, INI-style files and templates. */
#ifndef TDXHOST_EMIT_TEXT_H
#define TDXHOST_EMIT_TEXT_H

#include <stdbool.h>

#include "strbuf.h"
#include "tdxhost/common.h"

/* Appends s as one shell word: bare when it is made of safe characters,
 * else single-quoted (a ' becomes '\''). Survives spaces, quotes, $, \ and
 * newlines. */
void sh_quote(strbuf *sb, const char *s);

/* Appends a path pattern as one shell word in which only * ? [ ] stay
 * active as globs; every other character is quoted. */
void sh_quote_glob(strbuf *sb, const char *s);

/* Appends "#!/bin/sh", a generated-by comment naming what, and "set -eu". */
void sh_header(strbuf *sb, const char *what);

/* Appends `name=<quoted value>\n`. */
void sh_assign(strbuf *sb, const char *name, const char *value);

/* Appends s with every % doubled (mkosi and systemd expand % specifiers). */
void percent_escape(strbuf *sb, const char *s);

/*
 * Appends s as one field of a tmpfiles.d or sysusers.d line: bare when it
 * is made of letters, digits and /._-+@:,=~, else double-quoted with " and
 * \ backslash-escaped and % doubled (both tools unquote a field, then
 * expand % specifiers in it). Control characters are refused earlier, at
 * validation (check_abs_path()).
 */
void systemd_word(strbuf *sb, const char *s);

/*
 * Replaces every `{{ name }}` (spaces optional) in text with the variable's
 * value. Any other text, including lone braces, is copied as is.
 * Returns 0, or -EINVAL with "line N: undefined variable \"x\"" in err.
 */
int template_render(const char *text, size_t len, char *const *names, char *const *values,
                    size_t n_vars, strbuf *out, tdx_error *err);

#endif
