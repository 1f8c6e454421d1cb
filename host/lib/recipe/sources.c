/* SPDX-License-Identifier: MIT */
#include "sources.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "macro.h"
#include "model.h"
#include "op.h"

/* The host path an operation reads and the field that named it; NULL when
 * the operation reads none. */
static const char *op_source(const struct op *op, const char **field)
{
    switch (op->kind) {
    case OP_FILE:
    case OP_SKELETON:
        *field = "src";
        return op->u.file.src;
    case OP_BUILD:
        *field = "src";
        return op->u.build.src;
    case OP_REPOSITORY:
        *field = "keyring";
        return op->u.repo.keyring;
    case OP_SCRIPT:
    case OP_ON_BOOT:
        *field = "file";
        return op->u.script.file;
    case OP_KERNEL:
        *field = "config_file";
        return op->u.kernel.config_file;
    case OP_FIRMWARE:
        /* "ovmf" names the packaged firmware; anything else is a host file. */
        *field = op->origin_is_path ? NULL : "firmware";
        return op->u.str && !streq(op->u.str, "ovmf") ? op->u.str : NULL;
    default:
        return NULL;
    }
}

static bool below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (streq(dir, "/"))
        return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int check_profile(const tdx_image *image, size_t p, tdx_error *err)
{
    const struct profile *prof = image->profiles.items[p];

    for (size_t i = 0; i < prof->ops.n; i++) {
        const struct op *op = prof->ops.items[i];
        const char *field = NULL, *src = op_source(op, &field);
        char real[PATH_MAX], root[PATH_MAX], shown[128];

        if (!src || !op->source_root)
            continue;
        if (!realpath(op->source_root, root))
            return op_err(op, err, -errno, field, "cannot resolve the recipe's directory %s: %s",
                          op->source_root, strerror(errno));
        show_value(src, shown, sizeof(shown));
        if (!realpath(src, real))
            return op_err(op, err, -errno, field, "cannot resolve \"%s\": %s", shown,
                          strerror(errno));
        if (!below(real, root))
            return op_err(op, err, -EACCES, field,
                          "\"%s\" is outside the recipe's directory %s (it resolves to %.200s); "
                          "a recipe may only copy files from below its own directory unless "
                          "the caller allows it (--allow-outside-src)", shown, root, real);
    }
    return 0;
}

int recipe_check_sources(const tdx_image *image, size_t profile, bool allow_outside,
                         tdx_error *err)
{
    int r;

    if (allow_outside)
        return 0;
    /* A profile's effective recipe is the default profile's operations
     * followed by its own. */
    r = check_profile(image, 0, err);
    if (r >= 0 && profile != 0)
        r = check_profile(image, profile, err);
    return r;
}
