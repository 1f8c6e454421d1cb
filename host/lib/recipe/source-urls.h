/* SPDX-License-Identifier: MIT */
/* Where a recipe's downloads come from: the emitted build scripts fetch
 * these URLs and the lockfile pins them, so both derive them here. */
#ifndef TDXHOST_RECIPE_SOURCE_URLS_H
#define TDXHOST_RECIPE_SOURCE_URLS_H

#include <stddef.h>

#include "model.h"

/* The toolchain archive of a build that downloads one (toolchain_url, else
 * the release URL for toolchain_version). */
void recipe_toolchain_url(const struct build_spec *b, char *buf, size_t size);

/* The source tarball of a kernel built from source (kernel.url, else
 * cdn.kernel.org for kernel.version). */
void recipe_kernel_source_url(const struct recipe *r, char *buf, size_t size);

#endif
