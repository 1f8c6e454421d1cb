/* SPDX-License-Identifier: MIT */
/*
 * The trust boundary of a recipe's host files (docs/recipe.md, "Whose files
 * a recipe may copy"): a recipe someone else wrote may copy into the image
 * only files below its own directory. Every backend that reads the host
 * paths a recipe named (emit, the native builder) checks them here first.
 */
#ifndef TDXHOST_RECIPE_SOURCES_H
#define TDXHOST_RECIPE_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "tdxhost/common.h"
#include "tdxhost/recipe.h"

/*
 * Checks every host path the effective recipe of profile index @p profile
 * reads (file and template src, build src, repository keyring, script file,
 * kernel config_file, firmware): after resolving symlinks it must lie below
 * the directory of the recipe file that named it (an include's own
 * directory for its paths; the base_dir given to tdx_image_load_buffer()).
 * Operations made through the API rather than from a recipe file have no
 * such directory: their caller named each path itself, and they are not
 * checked. With @p allow_outside nothing is checked. Returns 0, -EACCES naming the field, the path and the
 * directory, or the errno of a path that cannot be resolved.
 */
int recipe_check_sources(const tdx_image *image, size_t profile, bool allow_outside,
                         tdx_error *err);

#endif
