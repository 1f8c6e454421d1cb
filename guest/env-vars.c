/* SPDX-License-Identifier: MIT */
#include "env-vars.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "macro.h"
#include "manifest.h"
#include "root-fs.h"

static int push(const char *key, const char *value, void *userdata)
{
    struct env_vars *vars = userdata;
    size_t len = strlen(value);
    struct env_var *v = (struct env_var *)env_vars_find(vars, key), *grown;

    if (!v) {
        grown = realloc(vars->v, (vars->n + 1) * sizeof(*vars->v));
        if (!grown)
            return -ENOMEM;
        vars->v = grown;
        v = &vars->v[vars->n];
        *v = (struct env_var){ strdup(key), NULL, 0 };
        if (!v->name)
            return -ENOMEM;
        vars->n++;
    } else {
        explicit_bzero(v->value, v->len);
        free(v->value);
    }
    /* A later assignment replaces an earlier one, as systemd reads it. */
    v->value = malloc(len + 1);
    if (!v->value)
        return -ENOMEM;
    memcpy(v->value, value, len + 1);
    v->len = len;
    return 0;
}

int env_vars_load(const struct root_fs *r, const char *scope, struct env_vars *out)
{
    char path[4096], msg[300], *text = NULL;
    size_t len = 0;
    int k;

    *out = (struct env_vars){ NULL, 0 };
    if ((k = manifest_env_file(scope, path, sizeof(path))) < 0)
        return k;
    k = root_fs_read_file(r, path, ENV_FILE_MAX, &text, &len);
    if (k == -ENOENT)
        return 0;
    if (k < 0)
        return k;
    k = env_file_parse(text, len, push, out, msg, sizeof(msg));
    explicit_bzero(text, len);
    free(text);
    if (k < 0)
        env_vars_free(out);
    return k;
}

const struct env_var *env_vars_find(const struct env_vars *vars, const char *name)
{
    for (size_t i = 0; i < vars->n; i++)
        if (vars->v[i].name && streq(vars->v[i].name, name))
            return &vars->v[i];
    return NULL;
}

void env_vars_free(struct env_vars *vars)
{
    for (size_t i = 0; i < vars->n; i++) {
        if (vars->v[i].value)
            explicit_bzero(vars->v[i].value, vars->v[i].len);
        free(vars->v[i].value);
        free(vars->v[i].name);
    }
    free(vars->v);
    *vars = (struct env_vars){ NULL, 0 };
}
