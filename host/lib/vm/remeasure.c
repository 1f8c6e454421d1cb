/* SPDX-License-Identifier: MIT */
/*
 * Measurements of a build for a given shape (memory, vCPUs): the same
 * computation as `tdxctl measure`, with the build's own assumptions (QEMU
 * version, MRTD page order, kernel header, event layout, RTMR2) read back
 * from its measurements.json when it has one, so that only the shape
 * changes, and with acpi/ (RTMR0) when it was captured for that shape.
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

static void build_assumptions(const char *file, tdx_measure_options *mo, char *qv, size_t qv_size)
{
    _cleanup_free_ char *text = NULL;
    const char *s;
    size_t len;
    json_t *doc;

    if (read_file_bounded(file, 16u << 20, &text, &len) < 0 ||
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

/* capture.json of dir says it was captured for this shape. */
static bool capture_for_shape(const char *dir, uint64_t mib, int cpus)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    size_t len;
    json_t *doc;
    bool same;

    if (asprintf(&path, "%s/capture.json", dir) < 0 ||
        read_file_bounded(path, 1u << 20, &text, &len) < 0 ||
        !(doc = json_loadb(text, len, 0, NULL)))
        return false;
    same = json_integer_value(json_object_get(doc, "memory_mib")) == (json_int_t)mib &&
           json_integer_value(json_object_get(doc, "cpus")) == cpus;
    json_decref(doc);
    return same;
}

static int measure_shape(const struct vm_config *cfg, const char *assumptions_file, uint64_t mib,
                         int cpus, tdx_measurements **out, tdx_error *err)
{
    tdx_measure_options mo = TDX_MEASURE_OPTIONS_INIT;
    _cleanup_free_ char *tables = NULL, *rsdp = NULL, *loader = NULL, *acpi = NULL;
    char qv[32];

    build_assumptions(assumptions_file, &mo, qv, sizeof(qv));
    if (!cfg->disk) {
        mo.initrd = cfg->initrd;
        mo.cmdline = cfg->cmdline;
    } else {
        /* The UKI carries its command line and initrd; QEMU loads no kernel. */
        mo.kernel_header = TDX_UNSET;
    }
    mo.memory = mib << 20;
    mo.cpus = cpus;
    if (cfg->page_order)
        mo.mrtd_order = streq(cfg->page_order, "two-pass") ? TDX_MRTD_TWO_PASS : TDX_MRTD_PER_PAGE;
    if (!(acpi = vm_acpi_dir(cfg, mib, cpus)))
        return tdx_err_oom(err);
    if (capture_for_shape(acpi, mib, cpus)) {
        if (asprintf(&tables, "%s/etc-acpi-tables", acpi) < 0 ||
            asprintf(&rsdp, "%s/etc-acpi-rsdp", acpi) < 0 ||
            asprintf(&loader, "%s/etc-table-loader", acpi) < 0)
            return tdx_err_oom(err);
        mo.acpi_tables = tables;
        mo.acpi_rsdp = rsdp;
        mo.acpi_loader = loader;
    }
    if (cfg->disk)
        return tdx_measure_uki_disk_boot(out, cfg->firmware, cfg->disk, cfg->uki, &mo, NULL, err);
    return tdx_measure_direct_boot(out, cfg->firmware, cfg->kernel, &mo, err);
}

int tdx_vm_remeasure(tdx_vm *vm, const char *path, tdx_error *err)
{
    tdx_measurements *m = NULL;
    char *copy;
    int r;

    tdx_check_arg(vm && path, err);
    r = measure_shape(&vm->cfg, vm->measurements, vm->memory_mib, vm->cpus, &m, err);
    if (r == 0)
        r = tdx_measurements_write_file(m, TDX_FORMAT_JSON, NULL, path, err);
    tdx_measurements_free(m);
    if (r < 0)
        return r;
    if (!(copy = strdup(path)))
        return tdx_err_oom(err);
    free(vm->measurements);
    vm->measurements = copy;
    return 0;
}

char *vm_acpi_dir(const struct vm_config *cfg, uint64_t mib, int cpus)
{
    char *out;
    int n = mib == cfg->memory_mib && cpus == cfg->cpus
                ? asprintf(&out, "%s/acpi", cfg->build_dir)
                : asprintf(&out, "%s/acpi-%llum-%dc", cfg->build_dir, (unsigned long long)mib, cpus);
    return n < 0 ? NULL : out;
}
