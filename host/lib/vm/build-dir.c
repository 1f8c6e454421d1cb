/* SPDX-License-Identifier: MIT */
/*
 * A native build directory's vm.json (docs/build.md): the VM shape the
 * build was measured for and the files QEMU boots. Everything is checked
 * before a command line is built from it: the format number, each member's
 * type and range, file names that stay inside the directory.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "json-bounds.h"
#include "read-input.h"
#include "vm-internal.h"

#define VM_JSON_DEPTH 8
#define VM_JSON_VALUES 4096
#define BUILD_JSON_MAX (4 * 1024 * 1024)

static int bad(tdx_error *err, const char *file, const char *path, const char *what)
{
    return tdx_err(err, -EINVAL, "%s: %s: %s", file, path, what);
}

static int parse_doc(const char *file, const char *text, size_t len, size_t values, json_t **out,
                     tdx_error *err)
{
    json_error_t jerr;
    const char *why;

    why = json_bounds_check(text, len, VM_JSON_DEPTH, values);
    if (why)
        return tdx_err(err, -EINVAL, "%s: %s", file, why);
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s: line %d: %s", file, jerr.line, jerr.text);
    if (!json_is_object(*out)) {
        /* The caller frees *out on failure too: leave nothing to free twice. */
        json_decref(*out);
        *out = NULL;
        return bad(err, file, "$", "expected an object");
    }
    return 0;
}

static int load_doc(const char *file, size_t max, size_t values, json_t **out, tdx_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_input(file, max, &text, &len, err);
    return r < 0 ? r : parse_doc(file, text, len, values, out, err);
}

/* A file of the build: a plain name (no directories, no "..") that exists. */
static int member_file(const char *file, json_t *doc, const char *key, bool required,
                       const char *dir, char **out, tdx_error *err)
{
    json_t *v = json_object_get(doc, key);
    const char *name = json_string_value(v);
    char path[64];
    struct stat st;

    snprintf(path, sizeof(path), "$.%s", key);
    if (!v || json_is_null(v)) {
        if (required)
            return bad(err, file, path, "required");
        *out = NULL;
        return 0;
    }
    if (!name || !*name || strchr(name, '/') || streq(name, "..") || streq(name, ".") ||
        strlen(name) > 255)
        return bad(err, file, path, "expected a file name inside the build directory");
    if (asprintf(out, "%s/%s", dir, name) < 0)
        return tdx_err_oom(err);
    if (stat(*out, &st) < 0 || !S_ISREG(st.st_mode)) {
        int r = tdx_err(err, -ENOENT, "%s: %s: %s is missing", file, path, *out);
        free(*out);
        *out = NULL;
        return r;
    }
    return 0;
}

static int machine_check(const char *file, json_t *m, tdx_error *err)
{
    static const struct { const char *key; const char *want; } strs[] = {
        { "type", "q35" }, { "kernel_irqchip", "split" },
    };
    static const char *const offs[] = { "smm", "pic", "hpet" };
    char path[64];

    if (!m)
        return 0;   /* the defaults are what TDX forces */
    if (!json_is_object(m))
        return bad(err, file, "$.machine", "expected an object");
    for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
        json_t *v = json_object_get(m, strs[i].key);
        snprintf(path, sizeof(path), "$.machine.%s", strs[i].key);
        if (v && !streq_ptr(json_string_value(v), strs[i].want))
            return tdx_err(err, -EINVAL, "%s: %s: expected \"%s\" (what TDX requires)", file,
                           path, strs[i].want);
    }
    for (size_t i = 0; i < ELEMENTSOF(offs); i++) {
        json_t *v = json_object_get(m, offs[i]);
        snprintf(path, sizeof(path), "$.machine.%s", offs[i]);
        if (v && !json_is_false(v))
            return tdx_err(err, -EINVAL, "%s: %s: expected false (what a TD runs with)", file,
                           path);
    }
    return 0;
}

static int read_image_id(struct vm_config *c, tdx_error *err)
{
    _cleanup_free_ char *path = NULL;
    const char *base = strrchr(c->build_dir, '/');
    json_t *doc = NULL, *id;
    tdx_error ignored = TDX_ERROR_INIT;

    if (asprintf(&path, "%s/build.json", c->build_dir) < 0)
        return tdx_err_oom(err);
    /* build.json is informative here; a build without one keeps its dir name. */
    if (access(path, F_OK) == 0 && load_doc(path, BUILD_JSON_MAX, 1u << 20, &doc, &ignored) == 0) {
        id = json_object_get(doc, "image_id");
        if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) <= 64)
            c->image_id = strdup(json_string_value(id));
        json_decref(doc);
    }
    if (!c->image_id)
        c->image_id = strdup(base && base[1] ? base + 1 : c->build_dir);
    if (!c->image_id)
        return tdx_err_oom(err);
    /* It goes into QEMU's -name, where a comma would start a new option. */
    for (char *p = c->image_id; *p; p++)
        if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    return 0;
}

int vm_config_load(struct vm_config *c, const char *build_dir, tdx_error *err)
{
    _cleanup_free_ char *file = NULL, *text = NULL, *dir = NULL;
    struct stat st;
    size_t len;
    int r;

    memset(c, 0, sizeof(*c));
    if (stat(build_dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return tdx_err(err, -ENOENT, "%s: not a build directory", build_dir);
    if (!(dir = realpath(build_dir, NULL)))
        return tdx_err(err, -errno, "%s: %s", build_dir, strerror(errno));
    if (asprintf(&file, "%s/vm.json", dir) < 0)
        return tdx_err_oom(err);
    if (access(file, F_OK) < 0)
        return tdx_err(err, -EINVAL, "%s: no vm.json: not a native build directory (docs/build.md)",
                       build_dir);
    r = read_input(file, VM_JSON_MAX, &text, &len, err);
    if (r < 0)
        return r;
    return vm_config_parse(c, dir, file, text, len, err);
}

int vm_config_parse(struct vm_config *c, const char *dir, const char *file, const char *text,
                    size_t len, tdx_error *err)
{
    json_t *doc = NULL, *v, *agent, *qemu;
    size_t clen;
    bool disk;
    int r;

    memset(c, 0, sizeof(*c));
    c->agent_port = VM_AGENT_PORT_DEFAULT;
    if (!(c->build_dir = strdup(dir)))
        return tdx_err_oom(err);
    r = parse_doc(file, text, len, VM_JSON_VALUES, &doc, err);
    if (r < 0)
        goto fail;
    v = json_object_get(doc, "format");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        r = tdx_err(err, -EINVAL, "%s: $.format: expected 1 (this tdxctl reads build directories "
                    "of format 1), got %s", file, json_is_integer(v) ? "another number" :
                    v ? "a non-number" : "nothing");
        goto fail;
    }
    v = json_object_get(doc, "memory_mib");
    if (!json_is_integer(v) || json_integer_value(v) < 64 ||
        (uint64_t)json_integer_value(v) > VM_MEMORY_MIB_MAX) {
        r = bad(err, file, "$.memory_mib", "expected a number of MiB from 64 to 4194304");
        goto fail;
    }
    c->memory_mib = (uint64_t)json_integer_value(v);
    v = json_object_get(doc, "cpus");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > VM_CPUS_MAX) {
        r = bad(err, file, "$.cpus", "expected a number from 1 to 512");
        goto fail;
    }
    c->cpus = (int)json_integer_value(v);
    /* "boot": "disk": the firmware starts the UKI from the disk's ESP; the
     * command line is the UKI's own. Otherwise QEMU boots the kernel. */
    v = json_object_get(doc, "boot");
    if (v && !streq_ptr(json_string_value(v), "disk") && !streq_ptr(json_string_value(v), "kernel")) {
        r = bad(err, file, "$.boot", "expected \"kernel\" or \"disk\"");
        goto fail;
    }
    disk = streq_ptr(json_string_value(v), "disk");
    if ((r = member_file(file, doc, "firmware", true, c->build_dir, &c->firmware, err)) < 0)
        goto fail;
    if (disk) {
        if ((r = member_file(file, doc, "disk", true, c->build_dir, &c->disk, err)) < 0 ||
            (r = member_file(file, doc, "uki", true, c->build_dir, &c->uki, err)) < 0)
            goto fail;
        if (json_object_get(doc, "kernel")) {
            r = bad(err, file, "$.kernel", "a disk boot has no kernel for QEMU to load");
            goto fail;
        }
    } else {
        if ((r = member_file(file, doc, "kernel", true, c->build_dir, &c->kernel, err)) < 0 ||
            (r = member_file(file, doc, "initrd", false, c->build_dir, &c->initrd, err)) < 0 ||
            (r = member_file(file, doc, "cmdline_file", true, c->build_dir, &c->cmdline_file,
                             err)) < 0)
            goto fail;
        r = read_input(c->cmdline_file, VM_CMDLINE_MAX, &c->cmdline, &clen, err);
        if (r < 0)
            goto fail;
        if (strlen(c->cmdline) != clen || strchr(c->cmdline, '\n')) {
            r = tdx_err(err, -EINVAL, "%s: expected one line of text without a newline",
                        c->cmdline_file);
            goto fail;
        }
    }
    if ((r = machine_check(file, json_object_get(doc, "machine"), err)) < 0)
        goto fail;
    v = json_object_get(doc, "test_provider");
    if (v && !json_is_boolean(v)) {
        r = bad(err, file, "$.test_provider", "expected true or false");
        goto fail;
    }
    c->test_provider = json_is_true(v);
    agent = json_object_get(doc, "agent");
    v = json_object_get(agent, "port");
    if (agent && (!json_is_object(agent) || (v && (!json_is_integer(v) ||
                  json_integer_value(v) < 1 || json_integer_value(v) > 65535)))) {
        r = bad(err, file, "$.agent.port", "expected a port number from 1 to 65535");
        goto fail;
    }
    if (v)
        c->agent_port = (int)json_integer_value(v);
    qemu = json_object_get(doc, "qemu");
    v = json_object_get(qemu, "page_order");
    if (v) {
        if (!streq_ptr(json_string_value(v), "per-page") &&
            !streq_ptr(json_string_value(v), "two-pass")) {
            r = bad(err, file, "$.qemu.page_order", "expected \"per-page\" or \"two-pass\"");
            goto fail;
        }
        if (!(c->page_order = strdup(json_string_value(v)))) {
            r = tdx_err_oom(err);
            goto fail;
        }
    }
    json_decref(doc);
    return read_image_id(c, err);
fail:
    json_decref(doc);
    vm_config_done(c);
    return r;
}

void vm_config_done(struct vm_config *c)
{
    free(c->build_dir);
    free(c->firmware);
    free(c->kernel);
    free(c->initrd);
    free(c->disk);
    free(c->uki);
    free(c->cmdline);
    free(c->cmdline_file);
    free(c->image_id);
    free(c->page_order);
    memset(c, 0, sizeof(*c));
}
