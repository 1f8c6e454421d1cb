/* SPDX-License-Identifier: MIT */
/*
 * Compiling an effective recipe into a "flat" mkosi tree: every file the
 * tree holds plus the settings of its mkosi.conf. Scripts live at mkosi's
 * implicit locations (mkosi.<phase>.d/), trees at mkosi.extra/,
 * mkosi.skeleton/, mkosi.sandbox/ and mkosi.repart/, so mkosi.conf names
 * none of them. Profile trees are made by comparing two flat trees (layer.c).
 */
#ifndef TDXHOST_EMIT_INTERNAL_H
#define TDXHOST_EMIT_INTERNAL_H

#include "conf.h"
#include "recipe/model.h"
#include "recipe/paths.h"
#include "strbuf.h"
#include "text.h"
#include "tree.h"

struct flat {
    struct tree tree;
    struct conf conf;
};

#define FLAT_INIT { TREE_INIT, CONF_INIT }

struct emit_ctx {
    const struct recipe *r;
    const char *agent_binary;   /* host path or NULL */
    struct flat *out;
    tdx_error *err;
    char **packages;            /* Packages= beyond the recipe's own */
    char **build_packages;      /* BuildPackages= */
    char **keep_units;          /* units debloat must keep, beyond the recipe's list */
    char **default_target_wants;/* units our minimal.target pulls in */
    bool with_network;          /* build scripts download toolchains or sources */
};

void flat_free(struct flat *f);

/* Compiles r into out (which must be FLAT_INIT). */
int emit_flat(const struct recipe *r, const char *agent_binary, struct flat *out, tdx_error *err);

/* Parts, called in this order by emit_flat(). */
int emit_files(struct emit_ctx *c);
int emit_units(struct emit_ctx *c);
int emit_builds(struct emit_ctx *c);
int emit_scripts(struct emit_ctx *c);
int emit_repart(struct emit_ctx *c);
int emit_conf(struct emit_ctx *c);

/* Merges a profile's flat tree into the default tree as mkosi.profiles/<name>/. */
int emit_layered(const struct flat *base, const struct flat *prof, const char *profile,
                 struct tree *out, tdx_error *err);

/* Helpers shared by the parts. */

/* The image's mkosi Seed= (output.seed, else derived from the name). */
int emit_image_seed(const struct recipe *r, char out[37]);

/* Whether emit_repart() writes its mkfs wrapper into EMIT_REPART_BIN_DIR,
 * which mkosi.conf then names in ExtraSearchPaths=. */
#define EMIT_REPART_BIN_DIR "mkosi.tdx-bin"
bool emit_repart_search_path(const struct recipe *r);

/* Tree path of an image path inside mkosi.extra/ (or another overlay). */
int overlay_path(char *buf, size_t size, const char *overlay, const char *image_path);

/* Adds a generated text file to the image (mkosi.extra). Takes sb's contents. */
int add_image_text(struct emit_ctx *c, const char *image_path, strbuf *sb, unsigned mode);

/* Adds a generated file at a tree path. Takes sb's contents. */
int add_tree_text(struct emit_ctx *c, const char *tree_path, strbuf *sb, unsigned mode);

/* "recipe.json: services[2]" (the file's base name only, so trees do not
 * depend on where the recipe was loaded from), or the API call. */
void origin_label(const struct op *op, char *buf, size_t size);

/* Name of the profile an op belongs to. */
const char *op_profile_name(const struct recipe *r, const struct op *op);

/* The parent directories of the secrets' destinations (the manifest's),
 * sorted and unique; *out may be NULL when there are none. */
int manifest_dirs(const struct recipe *r, char ***out);

/* The effective group of a file or secret. */
const char *effective_group(const char *owner, const char *group);

/* Returns c->err's code after an allocation failure in a strbuf. */
int emit_oom(struct emit_ctx *c);

/* Embedded source files (units/, emit data). */
struct embedded_file {
    const char *name;
    const unsigned char *data;
    size_t size;
};
extern const struct embedded_file embedded_files[];
const struct embedded_file *embedded_get(const char *name);

/* Replaces @KEY@ in an embedded unit template with values (NULL-terminated
 * key/value pairs); "@@" stands for a literal "@" (SystemCallFilter=@set).
 * Unknown @KEY@ markers are an internal error. */
int render_embedded(const char *name, const char *const *kv, strbuf *out, tdx_error *err);

#endif
