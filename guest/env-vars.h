/* SPDX-License-Identifier: MIT */
/*
 * The variables of one scope's environment file (env-file.h), read back
 * through the root's resolver: what an earlier delivery put there, kept
 * when a later delivery rewrites the file, and checked at start.
 */
#ifndef TDX_AGENT_ENV_VARS_H
#define TDX_AGENT_ENV_VARS_H

#include <stddef.h>

struct root_fs;

struct env_var {
    char *name, *value;
    size_t len;
};

struct env_vars {
    struct env_var *v;
    size_t n;
};

/* Reads the scope's file below r into *out (empty when there is none).
 * 0, or a negative errno (the file unreadable, -ENOMEM). */
int env_vars_load(const struct root_fs *r, const char *scope, struct env_vars *out);
const struct env_var *env_vars_find(const struct env_vars *vars, const char *name);
/* Wipes the values. */
void env_vars_free(struct env_vars *vars);

#endif
