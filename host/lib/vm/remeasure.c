/* SPDX-License-Identifier: MIT */
/*
 * Measurements for a run whose shape (memory, vCPUs) differs from the
 * build's: the same computation `tdxctl measure` does, with the build's
 * own assumptions (QEMU version, MRTD page order, kernel header, event
 * layout, RTMR2) read back from its measurements.json so that only the
 * shape changes. RTMR0 is known only when acpi/ was captured for this shape.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "tdxhost/measure.h"
#include "vm-private.h"

static const char *assumption(json_t *doc, const char *key)
{
    return json_string_value(json_object_get(json_object_get(doc, "assumptions"), key));
}

/* The build's choices, so a remeasured file differs only in what the shape changes. */
static void build_assumptions(const tdx_vm *vm, tdx_measure_options *mo, char *qv, size_t qv_size)
{
    _cleanup_free_ char *text = NULL;
    const char *s;
    size_t len;
    json_t *doc;

    if (read_file_bounded(vm->measurements, 16u << 20, &text, &len) < 0 ||
        !(doc = json_loadb(text, len, 0, NULL)))
        return;
    if ((s = assumption(doc, "qemu_version"))) {
        snprintf(qv, qv_size, "%s", s);
        mo->qemu_version = qv;
    }
    if ((s = assumption(doc, "mrtd_order")))
        mo->mrtd_order = streq(s, "two-pass") ? TDX_MRTD_TWO_PASS : TDX_MRTD_PER_PAGE;
    if ((s = assumption(doc, "kernel_header")))
        mo->kernel_header = startswith(s, "unpatched") ? TDX_KERNEL_HEADER_UNPATCHED
                                                       : TDX_KERNEL_HEADER_PATCHED;
    if ((s = assumption(doc, "event_layout")))
        mo->event_layout = startswith(s, "202411") ? TDX_EVENT_LAYOUT_202411
                                                   : TDX_EVENT_LAYOUT_PRE_202411;
    if ((s = assumption(doc, "rtmr2")))
        mo->kernel_measures_rtmr2 = startswith(s, "nothing measured") ? 0 : 1;
    json_decref(doc);
}

/* acpi/ of the build, when capture.json says it was made for this shape. */
static bool acpi_for_shape(const tdx_vm *vm, char **tables, char **rsdp, char **loader)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    size_t len;
    json_t *doc;
    bool same;

    if (asprintf(&path, "%s/acpi/capture.json", vm->cfg.build_dir) < 0 ||
        read_file_bounded(path, 1u << 20, &text, &len) < 0 ||
        !(doc = json_loadb(text, len, 0, NULL)))
        return false;
    same = json_integer_value(json_object_get(doc, "memory_mib")) == (json_int_t)vm->memory_mib &&
           json_integer_value(json_object_get(doc, "cpus")) == vm->cpus;
    json_decref(doc);
    if (!same)
        return false;
    if (asprintf(tables, "%s/acpi/etc-acpi-tables", vm->cfg.build_dir) < 0)
        return false;
    if (asprintf(rsdp, "%s/acpi/etc-acpi-rsdp", vm->cfg.build_dir) < 0) {
        free(*tables);
        return false;
    }
    if (asprintf(loader, "%s/acpi/etc-table-loader", vm->cfg.build_dir) < 0) {
        free(*tables);
        free(*rsdp);
        return false;
    }
    return true;
}

int tdx_vm_remeasure(tdx_vm *vm, const char *path, tdx_error *err)
{
    tdx_measure_options mo = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    char *tables = NULL, *rsdp = NULL, *loader = NULL, *copy;
    char qv[32];
    int r;

    tdx_check_arg(vm && path, err);
    build_assumptions(vm, &mo, qv, sizeof(qv));
    mo.initrd = vm->cfg.initrd;
    mo.cmdline = vm->cfg.cmdline;
    mo.memory = vm->memory_mib << 20;
    mo.cpus = vm->cpus;
    if (vm->cfg.page_order)
        mo.mrtd_order = streq(vm->cfg.page_order, "two-pass") ? TDX_MRTD_TWO_PASS
                                                              : TDX_MRTD_PER_PAGE;
    if (acpi_for_shape(vm, &tables, &rsdp, &loader)) {
        mo.acpi_tables = tables;
        mo.acpi_rsdp = rsdp;
        mo.acpi_loader = loader;
    }
    r = tdx_measure_direct_boot(&m, vm->cfg.firmware, vm->cfg.kernel, &mo, err);
    if (r == 0)
        r = tdx_measurements_write_file(m, TDX_FORMAT_JSON, NULL, path, err);
    tdx_measurements_free(m);
    free(tables);
    free(rsdp);
    free(loader);
    if (r < 0)
        return r;
    if (!(copy = strdup(path)))
        return tdx_err_oom(err);
    free(vm->measurements);
    vm->measurements = copy;
    return 0;
}
