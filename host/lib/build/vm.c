/* SPDX-License-Identifier: MIT */
/*
 * vm.json, the VM shape a build's measurements assume, and the measurements
 * recomputed from an output directory alone (`tdxctl measure BUILD_DIR`).
 * The build measures through tdx_build_measure_dir() too, so a directory
 * left as written always gives its measurements.json back.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "json-text.h"
#include "measure/measurements.h"

#define VM_JSON_MAX (64 * 1024)
#define CMDLINE_MAX 4096

struct vm_shape {
    uint64_t memory_mib;
    int cpus;
    const char *page_order, *kernel_header, *event_layout;
    const char *firmware, *kernel, *initrd, *cmdline_file;
    bool disk_boot;                /* "boot": "disk": disk and uki instead */
    const char *disk, *uki;
};

const char *vm_event_layout(const char *ovmf_version)
{
    int y = 0, m = 0;
    const char *v = ovmf_version ? strchr(ovmf_version, ':') : NULL;
    v = v ? v + 1 : ovmf_version;
    if (!v || sscanf(v, "%d.%d", &y, &m) != 2)
        return "pre-202411";
    return y * 100 + m >= 202411 ? "202411" : "pre-202411";
}

char *vm_json_render(uint64_t memory_mib, int cpus, const char *event_layout, const char *network,
                     bool test_provider, char *const *listen, const char *initrd)
{
    json_t *l = json_array(), *root;
    char *text;
    STRV_FOREACH(a, listen)
        json_array_append_new(l, json_string(*a));
    root = json_pack("{s:i, s:I, s:i, s:s, s:s, s:s, s:s,"
                     " s:{s:s, s:s, s:s},"
                     " s:{s:s, s:s, s:b, s:b, s:b},"
                     " s:{s:i, s:o}, s:b, s:s, s:s}",
                     "format", 1, "memory_mib", (json_int_t)memory_mib, "cpus", cpus,
                     "firmware", "OVMF.fd", "kernel", "vmlinuz", "initrd", initrd,
                     "cmdline_file", "cmdline",
                     "qemu", "page_order", "per-page", "min_version", BUILD_QEMU_MIN_VERSION,
                     "kernel_header", "patched",
                     "machine", "type", "q35", "kernel_irqchip", "split", "smm", 0, "pic", 0,
                     "hpet", 0,
                     "agent", "port", 1050, "listen", l, "test_provider", test_provider,
                     "network", network, "firmware_event_layout", event_layout);
    if (!root)
        return NULL;
    text = json_canonical_text(root);
    json_decref(root);
    return text;
}

char *vm_json_render_files(uint64_t memory_mib, int cpus, const char *event_layout,
                           const char *kernel, const char *initrd, const char *network,
                           bool test_provider, char *const *listen)
{
    _cleanup_free_ char *base = vm_json_render(memory_mib, cpus, event_layout, network,
                                               test_provider, listen, initrd ? initrd : "");
    json_t *root = base ? json_loads(base, 0, NULL) : NULL;
    char *text;

    if (!root)
        return NULL;
    json_object_set_new(root, "kernel", json_string(kernel));
    json_object_set_new(root, "initrd", initrd ? json_string(initrd) : json_null());
    text = json_canonical_text(root);
    json_decref(root);
    return text;
}

/* A disk boot: the firmware starts the UKI from the disk's ESP, so there is
 * no kernel, initrd or command line for QEMU to hand over. */
char *vm_json_render_disk(uint64_t memory_mib, int cpus, const char *event_layout,
                          const char *disk, const char *uki, const char *network,
                          bool test_provider, char *const *listen)
{
    _cleanup_free_ char *base = vm_json_render(memory_mib, cpus, event_layout, network,
                                               test_provider, listen, "");
    json_t *root = base ? json_loads(base, 0, NULL) : NULL;
    char *text = NULL;

    if (!root)
        return NULL;
    if (json_object_del(root, "kernel") == 0 && json_object_del(root, "initrd") == 0 &&
        json_object_del(root, "cmdline_file") == 0 &&
        json_object_set_new(root, "boot", json_string("disk")) == 0 &&
        json_object_set_new(root, "disk", json_string(disk)) == 0 &&
        json_object_set_new(root, "uki", json_string(uki)) == 0)
        text = json_canonical_text(root);
    json_decref(root);
    return text;
}

static int bad(tdx_error *err, const char *file, const char *path, const char *what)
{
    return tdx_err(err, -EINVAL, "%s: %s: %s", file, path, what);
}

static bool plain_name(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int parse_vm(json_t *root, const char *file, struct vm_shape *vm, tdx_error *err)
{
    json_t *qemu = json_object_get(root, "qemu"), *v;
    static const char *const names[] = { "firmware", "kernel", "initrd", "cmdline_file" };
    static const char *const disk_names[] = { "firmware", "disk", "uki" };
    const char **outs[] = { &vm->firmware, &vm->kernel, &vm->initrd, &vm->cmdline_file };
    const char **disk_outs[] = { &vm->firmware, &vm->disk, &vm->uki };
    const char *boot;

    if (!json_is_object(root))
        return bad(err, file, "$", "expected an object");
    v = json_object_get(root, "format");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return bad(err, file, "format", "expected 1");
    v = json_object_get(root, "memory_mib");
    if (!json_is_integer(v) || json_integer_value(v) < 16 || json_integer_value(v) > (1 << 24))
        return bad(err, file, "memory_mib", "expected an integer from 16 to 16777216");
    vm->memory_mib = (uint64_t)json_integer_value(v);
    v = json_object_get(root, "cpus");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4096)
        return bad(err, file, "cpus", "expected an integer from 1 to 4096");
    vm->cpus = (int)json_integer_value(v);
    /* A disk boot (mkosi Format=disk): OVMF starts the UKI from the ESP. */
    boot = json_string_value(json_object_get(root, "boot"));
    if (json_object_get(root, "boot") && !streq_ptr(boot, "disk") && !streq_ptr(boot, "kernel"))
        return bad(err, file, "boot", "expected \"kernel\" or \"disk\"");
    vm->disk_boot = streq_ptr(boot, "disk");
    for (size_t i = 0; vm->disk_boot && i < ELEMENTSOF(disk_names); i++) {
        *disk_outs[i] = json_string_value(json_object_get(root, disk_names[i]));
        if (!plain_name(*disk_outs[i]))
            return bad(err, file, disk_names[i], "expected a file name in the directory");
    }
    for (size_t i = 0; !vm->disk_boot && i < ELEMENTSOF(names); i++) {
        v = json_object_get(root, names[i]);
        *outs[i] = json_string_value(v);
        /* A kernel that carries its initrd: "initrd": null. */
        if (streq(names[i], "initrd") && json_is_null(v))
            continue;
        if (!plain_name(*outs[i]))
            return bad(err, file, names[i], "expected a file name in the directory");
    }
    if (!json_is_object(qemu))
        return bad(err, file, "qemu", "expected an object");
    vm->page_order = json_string_value(json_object_get(qemu, "page_order"));
    if (!vm->page_order || (strcmp(vm->page_order, "per-page") && strcmp(vm->page_order, "two-pass")))
        return bad(err, file, "qemu.page_order", "expected \"per-page\" or \"two-pass\"");
    vm->kernel_header = json_string_value(json_object_get(qemu, "kernel_header"));
    if (!vm->kernel_header)
        vm->kernel_header = "patched";
    if (strcmp(vm->kernel_header, "patched") && strcmp(vm->kernel_header, "unpatched"))
        return bad(err, file, "qemu.kernel_header", "expected \"patched\" or \"unpatched\"");
    vm->event_layout = json_string_value(json_object_get(root, "firmware_event_layout"));
    if (!vm->event_layout)
        vm->event_layout = "pre-202411";
    if (strcmp(vm->event_layout, "pre-202411") && strcmp(vm->event_layout, "202411"))
        return bad(err, file, "firmware_event_layout", "expected \"pre-202411\" or \"202411\"");
    return 0;
}

static int read_cmdline(const char *path, char **out, tdx_error *err)
{
    size_t len;
    int r = read_file_bounded(path, CMDLINE_MAX, out, &len);
    if (r < 0)
        return tdx_err(err, r, "%s: %s", path, r == -EFBIG ? "longer than 4096 bytes" : strerror(-r));
    if (strlen(*out) != len || strchr(*out, '\n')) {
        free(*out);
        *out = NULL;
        return tdx_err(err, -EINVAL, "%s: expected one line without a newline", path);
    }
    return 0;
}

int tdx_build_measure_dir(const char *dir, tdx_measurements **out, tdx_error *err)
{
    tdx_measure_options mo = TDX_MEASURE_OPTIONS_INIT;
    _cleanup_free_ char *text = NULL, *cmdline = NULL;
    char file[PATH_MAX], fw[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], cmd[PATH_MAX];
    char disk[PATH_MAX], uki[PATH_MAX];
    char tables[PATH_MAX], rsdp[PATH_MAX], loader[PATH_MAX];
    struct vm_shape vm;
    json_error_t jerr;
    json_t *root;
    struct stat st;
    size_t len;
    int r;

    tdx_check_arg(dir, err);
    tdx_check_arg(out, err);
    snprintf(file, sizeof(file), "%s/vm.json", dir);
    r = read_file_bounded(file, VM_JSON_MAX, &text, &len);
    if (r < 0)
        return tdx_err(err, r, "%s: %s", file, r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s: line %d: %s", file, jerr.line, jerr.text);
    r = parse_vm(root, file, &vm, err);
    if (r >= 0) {
        snprintf(fw, sizeof(fw), "%s/%s", dir, vm.firmware);
        if (vm.disk_boot) {
            snprintf(disk, sizeof(disk), "%s/%s", dir, vm.disk);
            snprintf(uki, sizeof(uki), "%s/%s", dir, vm.uki);
        } else {
            snprintf(kernel, sizeof(kernel), "%s/%s", dir, vm.kernel);
            if (vm.initrd)
                snprintf(initrd, sizeof(initrd), "%s/%s", dir, vm.initrd);
            snprintf(cmd, sizeof(cmd), "%s/%s", dir, vm.cmdline_file);
        }
        mo.memory = vm.memory_mib << 20;
        mo.cpus = vm.cpus;
        mo.qemu_version = BUILD_QEMU_VERSION;
        mo.mrtd_order = strcmp(vm.page_order, "per-page") == 0 ? TDX_MRTD_PER_PAGE
                                                                : TDX_MRTD_TWO_PASS;
        if (!vm.disk_boot)
            mo.kernel_header = strcmp(vm.kernel_header, "patched") == 0
                                   ? TDX_KERNEL_HEADER_PATCHED : TDX_KERNEL_HEADER_UNPATCHED;
        mo.event_layout = strcmp(vm.event_layout, "202411") == 0 ? TDX_EVENT_LAYOUT_202411
                                                                  : TDX_EVENT_LAYOUT_PRE_202411;
    }
    if (r >= 0 && !vm.disk_boot)
        r = read_cmdline(cmd, &cmdline, err);
    if (r < 0) {
        json_decref(root);
        return r;
    }
    mo.cmdline = cmdline;
    mo.initrd = vm.initrd && !vm.disk_boot ? initrd : NULL;
    /* RTMR0 needs QEMU's ACPI tables for this VM shape: `tdxctl acpi capture`
     * puts them into acpi/. */
    snprintf(tables, sizeof(tables), "%s/acpi/etc-acpi-tables", dir);
    snprintf(rsdp, sizeof(rsdp), "%s/acpi/etc-acpi-rsdp", dir);
    snprintf(loader, sizeof(loader), "%s/acpi/etc-table-loader", dir);
    if (stat(tables, &st) == 0) {
        mo.acpi_tables = tables;
        mo.acpi_rsdp = rsdp;
        mo.acpi_loader = loader;
    }
    /* Events name the files as the directory does, not where it is. */
    {
        char strip[PATH_MAX];
        snprintf(strip, sizeof(strip), "%s/", dir);
        r = vm.disk_boot ? measure_uki_disk_boot_labelled(out, fw, disk, uki, strip, &mo, NULL, err)
                         : measure_direct_boot_labelled(out, fw, kernel, strip, &mo, err);
    }
    json_decref(root);   /* after: vm's names are borrowed from it */
    return r < 0 ? tdx_err_prefix(err, r, "%s", dir) : r;
}
