/* SPDX-License-Identifier: MIT */
/* tdx_build_result: what a build made and used. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"

static void input_free(void *p)
{
    struct build_input *i = p;
    free(i->kind);
    free(i->name);
    free(i->version);
    free(i->url);
    free(i->sha256);
    free(i);
}

static void artifact_free(void *p)
{
    struct build_artifact *a = p;
    free(a->path);
    free(a->sha256);
    free(a);
}

static void timing_free(void *p)
{
    struct build_timing *t = p;
    free(t->step);
    free(t);
}

void tdx_build_result_free(tdx_build_result *res)
{
    if (!res)
        return;
    free(res->dir);
    free(res->image_id);
    free(res->json);
    ptrvec_free_all(&res->inputs, input_free);
    ptrvec_free_all(&res->artifacts, artifact_free);
    ptrvec_free_all(&res->timings, timing_free);
    tdx_measurements_free(res->measurements);
    free(res);
}

int build_result_new(tdx_build_result **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *failed = true;
    return d;
}

int build_result_add_input(tdx_build_result *res, const char *kind, const char *name,
                           const char *version, const char *url, const char *sha256)
{
    struct build_input *i = calloc(1, sizeof(*i));
    bool failed = !i;
    if (i) {
        i->kind = dup_or_null(kind, &failed);
        i->name = dup_or_null(name, &failed);
        i->version = dup_or_null(version, &failed);
        i->url = dup_or_null(url, &failed);
        i->sha256 = dup_or_null(sha256, &failed);
    }
    if (failed || ptrvec_push(&res->inputs, i) < 0) {
        if (i)
            input_free(i);
        return -ENOMEM;
    }
    return 0;
}

int build_result_add_timing(tdx_build_result *res, const char *step, uint64_t ms)
{
    struct build_timing *t = calloc(1, sizeof(*t));
    if (!t || !(t->step = strdup(step)) || ptrvec_push(&res->timings, t) < 0) {
        if (t)
            timing_free(t);
        return -ENOMEM;
    }
    t->ms = ms;
    return 0;
}

int build_result_add_artifact(tdx_build_result *res, const char *path, uint64_t size,
                              const char *sha256)
{
    struct build_artifact *a = calloc(1, sizeof(*a));
    if (!a || !(a->path = strdup(path)) || !(a->sha256 = strdup(sha256)) ||
        ptrvec_push(&res->artifacts, a) < 0) {
        if (a)
            artifact_free(a);
        return -ENOMEM;
    }
    a->size = size;
    return 0;
}

const char *tdx_build_result_dir(const tdx_build_result *res)
{
    return res ? res->dir : NULL;
}

const char *tdx_build_result_image_id(const tdx_build_result *res)
{
    return res ? res->image_id : NULL;
}

size_t tdx_build_result_artifact_count(const tdx_build_result *res)
{
    return res ? res->artifacts.n : 0;
}

int tdx_build_result_artifact(const tdx_build_result *res, size_t index, const char **path,
                              uint64_t *size, const char **sha256)
{
    const struct build_artifact *a;
    if (!res || index >= res->artifacts.n)
        return -ENOENT;
    a = res->artifacts.items[index];
    if (path)
        *path = a->path;
    if (size)
        *size = a->size;
    if (sha256)
        *sha256 = a->sha256;
    return 0;
}

const tdx_measurements *tdx_build_result_measurements(const tdx_build_result *res)
{
    return res ? res->measurements : NULL;
}

void tdx_build_result_vm(const tdx_build_result *res, uint64_t *memory_mib, int *cpus)
{
    if (memory_mib)
        *memory_mib = res ? res->memory_mib : 0;
    if (cpus)
        *cpus = res ? res->cpus : 0;
}

size_t tdx_build_result_input_count(const tdx_build_result *res)
{
    return res ? res->inputs.n : 0;
}

int tdx_build_result_input(const tdx_build_result *res, size_t index, const char **kind,
                           const char **name, const char **version, const char **url,
                           const char **sha256)
{
    const struct build_input *i;
    if (!res || index >= res->inputs.n)
        return -ENOENT;
    i = res->inputs.items[index];
    if (kind)
        *kind = i->kind;
    if (name)
        *name = i->name;
    if (version)
        *version = i->version;
    if (url)
        *url = i->url;
    if (sha256)
        *sha256 = i->sha256;
    return 0;
}

size_t tdx_build_result_timing_count(const tdx_build_result *res)
{
    return res ? res->timings.n : 0;
}

int tdx_build_result_timing(const tdx_build_result *res, size_t index, const char **step,
                            uint64_t *ms)
{
    const struct build_timing *t;
    if (!res || index >= res->timings.n)
        return -ENOENT;
    t = res->timings.items[index];
    if (step)
        *step = t->step;
    if (ms)
        *ms = t->ms;
    return 0;
}

const char *tdx_build_result_json(const tdx_build_result *res)
{
    return res ? res->json : NULL;
}

json_t *build_record_json(const tdx_build_result *res, const char *backend, const char *image_id,
                          const char *profile, const char *recipe_sha256)
{
    json_t *inputs = json_array(), *artifacts = json_array(), *timings = json_object();

    for (size_t i = 0; i < res->inputs.n; i++) {
        const struct build_input *in = res->inputs.items[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "kind", in->kind, "name", in->name, "sha256",
                              in->sha256);
        if (o) {
            json_object_set_new(o, "version", in->version ? json_string(in->version) : json_null());
            json_object_set_new(o, "url", in->url ? json_string(in->url) : json_null());
        }
        json_array_append_new(inputs, o);
    }
    for (size_t i = 0; i < res->artifacts.n; i++) {
        const struct build_artifact *a = res->artifacts.items[i];
        json_array_append_new(artifacts, json_pack("{s:s, s:I, s:s}", "path", a->path, "size",
                                                   (json_int_t)a->size, "sha256", a->sha256));
    }
    for (size_t i = 0; i < res->timings.n; i++) {
        const struct build_timing *t = res->timings.items[i];
        json_object_set_new(timings, t->step, json_integer((json_int_t)t->ms));
    }
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "format", 1, "backend", backend,
                     "image_id", image_id, "profile", profile, "recipe_sha256",
                     recipe_sha256, "inputs", inputs, "artifacts", artifacts, "timings_ms",
                     timings);
}
