/* SPDX-License-Identifier: MIT */
/*
 * JSON recipe files (docs/recipe.md) mapped onto the C API.
 *
 * Every operation gets the JSON location it came from as its origin, so API
 * validation errors read "recipe.json: services[2].restart: ...". Keys are
 * applied in a fixed order (the table below), not in file order, so that a
 * recipe means the same thing however its keys are arranged.
 */
#include <limits.h>
#include <stdio.h>

#include "error.h"
#include "fileio.h"
#include "json-loader.h"

/* A recipe is a few hundred values; these bound what a hostile file can
 * make the parser build (16 MiB of "[[[[" or "0,0,0,"). */
#define RECIPE_DEPTH_MAX 64
#define RECIPE_VALUES_MAX (1024 * 1024)

void loader_set_origin(struct loader *L, const char *path)
{
    free(L->image->next_origin);
    if (asprintf(&L->image->next_origin, "%s: %s", L->R.file, path) < 0)
        L->image->next_origin = NULL;
}

int loader_done(struct loader *L, int r)
{
    free(L->image->next_origin);
    L->image->next_origin = NULL;
    return r;
}

int loader_each(struct loader *L, json_t *v, const char *path,
                int (*fn)(struct loader *, json_t *, const char *))
{
    char where[JR_PATH_MAX];
    json_t *e;
    size_t i;
    int r;

    if ((r = jr_array(&L->R, v, path, NULL, JR_REQUIRED, 0, LIST_MAX, &v)) < 0)
        return r;
    json_array_foreach(v, i, e) {
        r = fn(L, e, jr_path_index(where, path, i));
        if (r < 0)
            return r;
    }
    return 0;
}

static const struct section {
    const char *key;
    section_fn fn;
} sections[] = {
    { "include", sec_include },
    { "base", sec_base },
    { "mirror", sec_mirror },
    { "kernel", sec_kernel },
    { "init", sec_init },
    { "default_target", sec_default_target },
    { "firmware", sec_firmware },
    { "output", sec_output },
    { "repositories", sec_repositories },
    { "install", sec_install },
    { "skeleton", sec_skeleton },
    { "files", sec_files },
    { "templates", sec_templates },
    { "users", sec_users },
    { "services", sec_services },
    { "secrets", sec_secrets },
    { "secret_delivery", sec_secret_delivery },
    { "debloat", sec_debloat },
    { "partitions", sec_partitions },
    { "encryption", sec_encryption },
    { "network", sec_network },
    { "ssh", sec_ssh },
    { "native", sec_native },
    { "agent", sec_agent },
    { "builds", sec_builds },
    { "scripts", sec_scripts },
    { "on_boot", sec_on_boot },
    { "profiles", sec_profiles },
};

int loader_apply_object(struct loader *L, json_t *root, const char *path)
{
    const char *allowed[ELEMENTSOF(sections) + 3];
    size_t n = 0;
    int r;

    if (!L->in_profile)
        allowed[n++] = "name";
    for (size_t i = 0; i < ELEMENTSOF(sections); i++)
        if (!(L->in_profile && streq(sections[i].key, "profiles")))
            allowed[n++] = sections[i].key;
    allowed[n] = NULL;
    if ((r = jr_keys(&L->R, root, path, allowed)) < 0)
        return r;
    if (json_object_get(root, "name") && !L->top)
        return jr_fail(&L->R, "name", "only the main recipe file may set the image name");

    for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
        json_t *v = json_object_get(root, sections[i].key);
        char where[JR_PATH_MAX];
        if (!v || json_is_null(v))
            continue;
        r = sections[i].fn(L, v, jr_path_key(where, path, sections[i].key));
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse(const char *display, const char *data, size_t size, tdx_error *err,
                 json_t **root)
{
    struct json_reader R;

    if (size > RECIPE_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", display, RECIPE_FILE_MAX);
    jr_init_err(&R, display, err);
    return jr_parse(&R, data, size, RECIPE_DEPTH_MAX, RECIPE_VALUES_MAX, root);
}

/* The directory of a resolved path, which relative paths in it resolve against. */
static char *dir_of(const char *real)
{
    char *dir = strdup(real), *slash = dir ? strrchr(dir, '/') : NULL;

    if (slash == dir && dir)
        dir[1] = '\0';     /* a file in / */
    else if (slash)
        *slash = '\0';
    return dir;
}

static int apply_root(tdx_image *image, const struct include_frame *frame, const char *display,
                      const char *dir, json_t *root, bool top, bool in_profile, tdx_error *err)
{
    struct loader L = { .image = image, .dir = dir, .err = err, .frame = frame,
                        .in_profile = in_profile, .top = top };
    char *saved_base = image->base_dir;
    int r;

    jr_init_err(&L.R, display, err);
    image->base_dir = (char *)dir;
    r = loader_apply_object(&L, root, "");
    image->base_dir = saved_base;
    return r;
}

int loader_apply_file(struct loader *parent, const struct include_frame *frame,
                      const char *display, const char *data, size_t size)
{
    _cleanup_free_ char *dir = dir_of(frame->real);
    json_t *root = NULL;
    int r;

    if (!dir)
        return jr_oom(&parent->R);
    r = parse(display, data, size, parent->err, &root);
    if (r < 0)
        return r;
    r = apply_root(parent->image, frame, display, dir, root, false, parent->in_profile,
                   parent->err);
    json_decref(root);
    return r;
}

/* The top file: resolved (*real, and its directory *dir), read and parsed;
 * *frame is the first of its include chain. */
static int read_top(const char *path, char **real, char **dir, struct include_frame *frame,
                    json_t **root, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t size;
    int r;

    *real = realpath(path, NULL);
    if (!*real) {
        r = -errno;
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    }
    *frame = (struct include_frame){ *real, path, NULL, 1 };
    r = read_file_bounded(*real, RECIPE_FILE_MAX, &data, &size);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: larger than %d bytes", path, RECIPE_FILE_MAX);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    *dir = dir_of(*real);
    if (!*dir)
        return tdx_err_oom(err);
    return parse(path, data, size, err, root);
}

/* "name" is read before anything else: it creates the image. */
static int image_from_root(const char *display, json_t *root, tdx_image **out, tdx_error *err)
{
    tdx_image_options o = TDX_IMAGE_OPTIONS_INIT;
    struct json_reader R;
    int r;

    jr_init_err(&R, display, err);
    if ((r = jr_string(&R, root, "", "name", 0, NULL, &o.name)) < 0)
        return r;
    r = tdx_image_new(out, &o, err);
    if (r < 0)
        tdx_err_prefix(err, r, "%s: name", display);
    return r;
}

/* The image a top file or buffer describes, in *out; consumes root. */
static int image_from(json_t *root, const struct include_frame *frame, const char *dir,
                      tdx_image **out, tdx_error *err)
{
    tdx_image *image = NULL;
    int r = dir ? image_from_root(frame->name, root, &image, err) : tdx_err_oom(err);

    if (r >= 0)
        r = apply_root(image, frame, frame->name, dir, root, true, false, err);
    json_decref(root);
    if (r < 0) {
        tdx_image_free(image);
        return r;
    }
    *out = image;
    return 0;
}

int tdx_image_load_file(tdx_image **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *real = NULL, *dir = NULL;
    struct include_frame frame;
    json_t *root = NULL;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    r = read_top(path, &real, &dir, &frame, &root, err);
    return r < 0 ? r : image_from(root, &frame, dir, out, err);
}

/* A file applied to an image that exists: into its current profile. */
int tdx_image_apply_file(tdx_image *image, const char *path, tdx_error *err)
{
    _cleanup_free_ char *real = NULL, *dir = NULL;
    struct include_frame frame;
    json_t *root = NULL;
    int r;

    tdx_check_arg(image, err);
    tdx_check_arg(path, err);
    r = read_top(path, &real, &dir, &frame, &root, err);
    if (r >= 0)
        r = apply_root(image, &frame, path, dir, root, false, image->current != 0, err);
    json_decref(root);
    return r;
}

int tdx_image_load_buffer(tdx_image **out, const char *name, const char *data, size_t size,
                          const char *base_dir, tdx_error *err)
{
    _cleanup_free_ char *dir = NULL;
    struct include_frame frame = { NULL, name, NULL, 1 };
    json_t *root = NULL;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(name, err);
    tdx_check_arg(data || size == 0, err);
    r = parse(name, data ? data : "", size, err, &root);
    if (r < 0)
        return r;
    dir = base_dir ? strdup(base_dir) : getcwd(NULL, 0);
    return image_from(root, &frame, dir, out, err);
}
