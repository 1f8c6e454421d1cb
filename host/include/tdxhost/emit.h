/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/emit.h
 * @brief Compiling a recipe into an mkosi configuration tree.
 */
#ifndef TDXHOST_EMIT_H
#define TDXHOST_EMIT_H

#include "common.h"
#include "recipe.h"

TDX_BEGIN_DECLS

/** Oldest mkosi release the emitted trees are written for (MinimumVersion=). */
#define TDX_MKOSI_MINIMUM_VERSION 25

/** Debian release of the tools tree the emitted trees ask for (ToolsTreeRelease=):
 *  it brings ukify and systemd-repart >= 254, which Debian 12 hosts lack. */
#define TDX_MKOSI_TOOLS_RELEASE "trixie"

#define TDX_EMIT_OPTIONS_VERSION 2
typedef struct tdx_emit_options {
    unsigned int version;
    /** Profile to emit; NULL or the default profile's name for the default tree. */
    const char *profile;
    /** Replace @p outdir if it exists and is not empty; TDX_UNSET or 0: refuse. */
    int force;
    /** The tdx-agent binary to place in the image at /usr/sbin/tdx-agent. When
     *  NULL the tree is complete except for it, and the build fails with a
     *  message saying so until it is added. */
    const char *agent_binary;
    /** Version 2. 1: copy host files a recipe names from anywhere. TDX_UNSET or
     *  0: a path a recipe file names (src, keyring, script file, kernel
     *  config_file, firmware) must resolve, symlinks followed, to below that
     *  recipe file's directory, else -EACCES (docs/recipe.md: the trust
     *  boundary of recipes from other people). Paths given through the API
     *  are never checked. */
    int allow_outside_src;
} tdx_emit_options;
#define TDX_EMIT_OPTIONS_INIT { TDX_EMIT_OPTIONS_VERSION, NULL, TDX_UNSET, NULL, TDX_UNSET }

/**
 * Writes the mkosi tree of a profile into @p outdir.
 *
 * The default profile's tree is self-contained. The tree of another profile P
 * is the default tree plus `mkosi.profiles/P/` (selected by `[Config]
 * Profiles=P` in mkosi.conf), which holds exactly what P adds or changes.
 * The same recipe always gives byte-identical trees; files get mtime
 * SourceDateEpoch. The tree is written to a temporary sibling directory and
 * renamed into place, so a failure leaves @p outdir as it was.
 *
 * @param image the recipe; not modified.
 * @param outdir directory to create (its parent must exist).
 * @param opts options, or NULL for defaults.
 * @return 0; -EEXIST (outdir not empty and not forced); -ENOENT (no such
 *         profile, or a source file vanished); -EINVAL (the recipe cannot be
 *         expressed, e.g. a template variable is undefined); -EFBIG (a source
 *         file over the size limit); -EACCES (a recipe names a host file
 *         outside its directory, see allow_outside_src); other negative errno
 *         from the file system.
 */
TDX_EXTERN int tdx_emit_mkosi(const tdx_image *image, const char *outdir,
                              const tdx_emit_options *opts, tdx_error *err);

/**
 * The secrets manifest the image of @p profile (NULL: default) carries at
 * /etc/tdx-agent/secrets.json, as tdx_emit_mkosi() writes it
 * (docs/secrets-manifest.md): every secret's name, destination, owner,
 * group, mode, required flag and schema. No values: a recipe has none.
 * @param[out] out receives the JSON text; free it with tdx_free().
 * @return 0, -ENOENT (no such profile), -EINVAL (recipe inconsistent), -ENOMEM.
 */
TDX_EXTERN int tdx_image_secrets_manifest(const tdx_image *image, const char *profile,
                                          char **out, tdx_error *err);

TDX_END_DECLS

#endif
