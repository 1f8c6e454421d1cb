/* SPDX-License-Identifier: MIT */
/*
 * The JSON recipe loader's internals (docs/recipe.md), shared by its files:
 * json-load.c (files, buffers, the section table), json-include.c (include
 * and profiles), json-sections.c (settings of the whole image) and
 * json-items.c (lists of named things). Values are read with the shared JSON
 * reader (json-reader.h), so messages read "recipe.json: services[2].restart:
 * ...".
 */
#ifndef TDXHOST_RECIPE_JSON_LOADER_H
#define TDXHOST_RECIPE_JSON_LOADER_H

#include <jansson.h>
#include <stdbool.h>

#include "json-error.h"
#include "model.h"

#define RECIPE_FILE_MAX (16 * 1024 * 1024)
#define INCLUDE_DEPTH_MAX 16
#define LIST_MAX 65536

/* One file of an include chain, on the stack of the file that includes it. */
struct include_frame {
    const char *real;                   /* its resolved path; NULL for a buffer */
    const char *name;                   /* as the user named it, for messages */
    const struct include_frame *parent; /* the file that included it, or NULL */
    unsigned depth;                     /* 1 for the first file */
};

struct loader {
    struct json_reader R;   /* R.file: the file's name as shown in messages */
    tdx_image *image;
    const char *dir;        /* directory relative paths resolve against */
    tdx_error *err;
    const struct include_frame *frame;
    bool in_profile;        /* applying a profile block (no nested profiles) */
    bool top;               /* the file that created the image (may set "name") */
};

typedef int (*section_fn)(struct loader *L, json_t *v, const char *path);

#define ALLOWED(...) (const char *const[]){ __VA_ARGS__, NULL }

/* The origin ("recipe.json: services[2]") of the next operation. */
void loader_set_origin(struct loader *L, const char *path);
/* Runs after every API call, with its result: a call that failed before
 * creating its operation must not leave the origin for the next one. */
int loader_done(struct loader *L, int r);
/* Calls fn for each element of the array v (at most LIST_MAX). */
int loader_each(struct loader *L, json_t *v, const char *path,
                int (*fn)(struct loader *, json_t *, const char *));
/* Applies the members of a recipe object (a file, or a profile's body). */
int loader_apply_object(struct loader *L, json_t *root, const char *path);
/* Parses and applies the text of an included file (frame->real, shown as
 * display) with the including loader's image and profile. */
int loader_apply_file(struct loader *parent, const struct include_frame *frame,
                      const char *display, const char *data, size_t size);

/* The sections, in json-sections.c ... */
int sec_base(struct loader *L, json_t *v, const char *path);
int sec_mirror(struct loader *L, json_t *v, const char *path);
int sec_init(struct loader *L, json_t *v, const char *path);
int sec_default_target(struct loader *L, json_t *v, const char *path);
int sec_firmware(struct loader *L, json_t *v, const char *path);
int sec_kernel(struct loader *L, json_t *v, const char *path);
int sec_output(struct loader *L, json_t *v, const char *path);
int sec_install(struct loader *L, json_t *v, const char *path);
int sec_secret_delivery(struct loader *L, json_t *v, const char *path);
int sec_debloat(struct loader *L, json_t *v, const char *path);
int sec_partitions(struct loader *L, json_t *v, const char *path);
int sec_encryption(struct loader *L, json_t *v, const char *path);
int sec_network(struct loader *L, json_t *v, const char *path);
int sec_ssh(struct loader *L, json_t *v, const char *path);
/* ... json-native.c: the keys of tdx_image_set_native(); loader_native_keys()
 * reads the given keys of object v into one tdx_image_set_native(). */
int sec_native(struct loader *L, json_t *v, const char *path);
int sec_agent(struct loader *L, json_t *v, const char *path);
int loader_native_keys(struct loader *L, json_t *v, const char *path, const char *const *keys);
int sec_scripts(struct loader *L, json_t *v, const char *path);
int sec_on_boot(struct loader *L, json_t *v, const char *path);
/* ... json-items.c ... */
int sec_repositories(struct loader *L, json_t *v, const char *path);
int sec_files(struct loader *L, json_t *v, const char *path);
int sec_skeleton(struct loader *L, json_t *v, const char *path);
int sec_templates(struct loader *L, json_t *v, const char *path);
int sec_users(struct loader *L, json_t *v, const char *path);
int sec_services(struct loader *L, json_t *v, const char *path);
int sec_secrets(struct loader *L, json_t *v, const char *path);
int sec_builds(struct loader *L, json_t *v, const char *path);
/* ... and json-include.c. */
int sec_include(struct loader *L, json_t *v, const char *path);
int sec_profiles(struct loader *L, json_t *v, const char *path);

#endif
