/* SPDX-License-Identifier: MIT */
/*
 * "include" (fragments applied in place) and "profiles" (named variants).
 * An include chain is a stack of frames, one per file being loaded, so a
 * cycle or a chain too deep is reported with every file in it:
 * "a.json → b.json → c.json → b.json: include cycle".
 */
#include <limits.h>
#include <stdio.h>

#include "error.h"
#include "fileio.h"
#include "json-loader.h"

/* The names of the chain from the first file to f, then next. */
static void chain_text(const struct include_frame *f, const char *next, char *buf, size_t size)
{
    const struct include_frame *list[INCLUDE_DEPTH_MAX + 1];
    size_t n = 0, used = 0;
    int k;

    for (; f && n < ELEMENTSOF(list); f = f->parent)
        list[n++] = f;
    buf[0] = '\0';
    while (n > 0 && used < size) {
        k = snprintf(buf + used, size - used, "%s → ", list[--n]->name);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used < size)
        snprintf(buf + used, size - used, "%s", next);
}

/* Where an included name is found, and how it is shown: relative names are
 * relative to the including file. */
static int locate(struct loader *L, const char *name, char **display, char **full)
{
    const char *slash = strrchr(L->R.file, '/');

    if (name[0] == '/') {
        *display = strdup(name);
        *full = strdup(name);
    } else {
        if (slash) {
            if (asprintf(display, "%.*s/%s", (int)(slash - L->R.file), L->R.file, name) < 0)
                *display = NULL;
        } else {
            *display = strdup(name);
        }
        if (asprintf(full, "%s/%s", L->dir, name) < 0)
            *full = NULL;
    }
    return *display && *full ? 0 : jr_oom(&L->R);
}

static int include_one(struct loader *L, const char *where, const char *name)
{
    _cleanup_free_ char *display = NULL, *full = NULL, *real = NULL, *data = NULL;
    char chain[TDX_ERROR_MESSAGE_SIZE];
    struct include_frame frame;
    size_t size;
    int r;

    if ((r = locate(L, name, &display, &full)) < 0)
        return r;
    real = realpath(full, NULL);
    if (!real) {
        r = -errno;
        return jr_fail_code(&L->R, r, where, "cannot read \"%s\": %s", name, strerror(-r));
    }
    for (const struct include_frame *f = L->frame; f; f = f->parent)
        if (f->real && streq(f->real, real)) {
            chain_text(L->frame, name, chain, sizeof(chain));
            return tdx_err(L->err, -ELOOP, "%s: include cycle", chain);
        }
    if (L->frame && L->frame->depth >= INCLUDE_DEPTH_MAX) {
        chain_text(L->frame, name, chain, sizeof(chain));
        return tdx_err(L->err, -ELOOP, "%s: includes nested more than %d deep", chain,
                       INCLUDE_DEPTH_MAX);
    }
    r = read_file_bounded(real, RECIPE_FILE_MAX, &data, &size);
    if (r == -EFBIG)
        return jr_fail_code(&L->R, r, where, "\"%s\" is larger than %d bytes", name,
                            RECIPE_FILE_MAX);
    if (r < 0)
        return jr_fail_code(&L->R, r, where, "cannot read \"%s\": %s", name, strerror(-r));
    frame = (struct include_frame){ real, name, L->frame, L->frame ? L->frame->depth + 1 : 1 };
    return loader_apply_file(L, &frame, display, data, size);
}

int sec_include(struct loader *L, json_t *v, const char *path)
{
    _cleanup_free_ const char **names = NULL;
    char where[JR_PATH_MAX];
    int r;

    r = jr_strv(&L->R, v, path, NULL, JR_REQUIRED | JR_NONEMPTY | JR_ONE_LINE, 0, LIST_MAX,
                NULL, &names);
    if (r < 0)
        return r;
    for (size_t i = 0; names[i]; i++)
        if ((r = include_one(L, jr_path_index(where, path, i), names[i])) < 0)
            return r;
    return 0;
}

int sec_profiles(struct loader *L, json_t *v, const char *path)
{
    size_t saved = L->image->current;
    const char *name;
    json_t *body;
    int r;

    if (L->in_profile)
        return jr_fail(&L->R, path, "profiles cannot be nested");
    if ((r = jr_object(&L->R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0)
        return r;
    json_object_foreach(v, name, body) {
        char where[JR_PATH_MAX];
        jr_path_key(where, path, name);
        if ((r = jr_object(&L->R, body, where, NULL, JR_REQUIRED, SIZE_MAX, &body)) < 0)
            return r;
        r = tdx_image_profile(L->image, name, L->err);
        if (r < 0)
            return tdx_err_prefix(L->err, r, "%s: %s", L->R.file, where);
        if (L->image->current == 0)
            return jr_fail(&L->R, where, "is the default profile; put its settings at the top "
                           "level");
        L->in_profile = true;
        r = loader_apply_object(L, body, where);
        L->in_profile = false;
        L->image->current = saved;
        if (r < 0)
            return r;
    }
    return 0;
}
