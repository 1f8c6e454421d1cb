/* SPDX-License-Identifier: MIT */
/*
 * The firmware's part of a TD boot with OVMF/TDVF (see firmware-boot.h),
 * shared by the direct kernel boot and the boot of a UKI from a disk. The
 * sources of each event are in docs/measurement.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "error.h"
#include "firmware-boot.h"
#include "linux-boot.h"
#include "read-input.h"
#include "uefi.h"

#define EV_PLATFORM_CONFIG_FLAGS 0x0000000a
#define EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001
#define EV_EFI_ACTION 0x80000007
#define EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000a
#define EV_EFI_HANDOFF_TABLES2 0x8000000b
#define DSTACK_RUNTIME_EVENT 0x08000001
#define ACPI_BLOB_MAX (16 * 1024 * 1024)
#define DEFAULT_MEMORY (2ULL << 30)

static const uint8_t separator[4] = { 0, 0, 0, 0 };

static int parse_qemu_version(struct boot *b, const char *v)
{
    unsigned major, minor, patch;
    int n = 0, k = 0;

    if (!(*v >= '0' && *v <= '9') || sscanf(v, "%u.%u%n", &major, &minor, &n) != 2 ||
        (v[n] && (sscanf(v + n, ".%u%n", &patch, &k) != 1 || v[n + k] != '\0')))
        return tdx_err(b->err, -EINVAL, "qemu_version \"%s\": expected MAJOR.MINOR or MAJOR.MINOR.PATCH", v);
    if (major < 8)
        return tdx_err(b->err, -EINVAL, "qemu_version %s: QEMU before 8.0 has no TDX support", v);
    b->qemu_major = major;
    b->qemu_minor = minor;
    return 0;
}

int boot_resolve_options(struct boot *b, const tdx_measure_options *opts)
{
    static const tdx_measure_options defaults = TDX_MEASURE_OPTIONS_INIT;
    tdx_measure_options *o = &b->o;
    int r;

    *o = defaults;
    if (opts)
        *o = *opts;
    b->qemu_version = o->qemu_version ? o->qemu_version : "9.2";
    r = parse_qemu_version(b, b->qemu_version);
    if (r < 0)
        return r;
    if (o->memory == 0)
        o->memory = DEFAULT_MEMORY;
    if (o->memory % 4096 || o->memory < (16ULL << 20))
        return tdx_err(b->err, -EINVAL, "memory of %" PRIu64 " bytes: expected a multiple of 4 KiB, at least 16 MiB",
                       o->memory);
    if (o->mrtd_order == TDX_UNSET)
        o->mrtd_order = b->qemu_major == 8 ? TDX_MRTD_TWO_PASS : TDX_MRTD_PER_PAGE;
    if (o->kernel_header == TDX_UNSET)
        o->kernel_header = b->qemu_major < 10 || (b->qemu_major == 10 && b->qemu_minor <= 1)
                               ? TDX_KERNEL_HEADER_PATCHED : TDX_KERNEL_HEADER_UNPATCHED;
    if (o->event_layout == TDX_UNSET)
        o->event_layout = TDX_EVENT_LAYOUT_PRE_202411;
    if (o->mrtd_order < 0 || o->mrtd_order > TDX_MRTD_TWO_PASS)
        return tdx_err(b->err, -EINVAL, "mrtd_order %d is not a tdx_mrtd_order", o->mrtd_order);
    if (o->kernel_header < 0 || o->kernel_header > TDX_KERNEL_HEADER_UNPATCHED)
        return tdx_err(b->err, -EINVAL, "kernel_header %d is not a tdx_kernel_header", o->kernel_header);
    if (o->event_layout < 0 || o->event_layout > TDX_EVENT_LAYOUT_202411)
        return tdx_err(b->err, -EINVAL, "event_layout %d is not a tdx_event_layout", o->event_layout);
    if (o->cpus != TDX_UNSET && (o->cpus < 1 || o->cpus > 4096))
        return tdx_err(b->err, -EINVAL, "cpus %d: expected 1 to 4096", o->cpus);
    if (!!o->acpi_tables + !!o->acpi_rsdp + !!o->acpi_loader == 1 ||
        !!o->acpi_tables + !!o->acpi_rsdp + !!o->acpi_loader == 2)
        return tdx_err(b->err, -EINVAL, "ACPI blobs: give all three of tables, rsdp and loader, or none");
    if (o->n_runtime_events && !o->runtime_events)
        return tdx_err(b->err, -EINVAL, "runtime_events is NULL but n_runtime_events is %zu", o->n_runtime_events);
    if (!o->cmdline)
        o->cmdline = "";
    return 0;
}

/* --- MRTD ---------------------------------------------------------------- */

static int load_firmware(struct boot *b)
{
    char *data = NULL;
    int r = read_input(b->firmware, TDVF_FIRMWARE_MAX, &data, &b->fw_size, b->err);

    if (r < 0)
        return r;
    b->fw = (uint8_t *)data;
    return tdvf_parse(b->fw, b->fw_size, b->firmware, &b->md, b->err);
}

int boot_mrtd(struct boot *b)
{
    struct mreg *reg;
    int r = meas_reg_get(b->m, "mrtd", &reg, b->err);
    if (r < 0)
        return r;
    return tdvf_mrtd(b->fw, &b->md, (tdx_mrtd_order)b->o.mrtd_order, reg->value[0], b->err);
}

/* --- RTMR0: firmware ----------------------------------------------------- */

static const struct tdvf_section *cfv_section(const struct boot *b)
{
    for (uint32_t i = 0; i < b->md.n; i++)
        if (b->md.sections[i].type == TDVF_CFV)
            return &b->md.sections[i];
    return NULL;
}

static int td_hob_event(struct boot *b)
{
    _cleanup_free_ uint8_t *hob = NULL;
    size_t size;
    uint64_t addr;
    int r = td_hob_build(&b->md, b->o.memory, &hob, &size, &addr, b->err);

    if (r < 0)
        return tdx_err_prefix(b->err, r, "%s", b->firmware);
    return meas_extend_data(b->m, "rtmr0", EV_EFI_HANDOFF_TABLES2, hob, size, b->err,
                            "TD HOB (TdxTable at 0x%" PRIx64 "): %zu bytes describing %" PRIu64 " MiB of RAM",
                            addr, size, b->o.memory >> 20);
}

static int secure_boot_events(struct boot *b, const struct tdvf_section *cfv)
{
    static const struct {
        const char *name;
        const efi_guid *guid;
    } vars[] = {
        { "PK", &efi_global_variable_guid },
        { "KEK", &efi_global_variable_guid },
        { "db", &efi_image_security_database_guid },
        { "dbx", &efi_image_security_database_guid },
    };
    static const efi_guid secure_boot_enable_guid =
        EFI_GUID(0xf0a30bc7, 0xaf08, 0x4556, 0x99, 0xc4, 0x00, 0x10, 0x09, 0xc9, 0x3a, 0x44);
    struct varstore vs;
    struct uefi_var v[ELEMENTSOF(vars)], enable;
    uint8_t secure_boot;
    bool any = false;
    int r;

    r = varstore_open(&vs, b->fw + cfv->data_offset, cfv->raw_size, b->firmware, b->err);
    for (size_t i = 0; i < ELEMENTSOF(vars) && r >= 0; i++) {
        r = varstore_get(&vs, vars[i].guid, vars[i].name, &v[i], b->firmware, b->err);
        any |= v[i].found;
    }
    if (r >= 0)
        r = varstore_get(&vs, &secure_boot_enable_guid, "SecureBootEnable", &enable, b->firmware, b->err);
    if (r < 0)
        return r;

    /* OVMF sets SecureBoot when a PK is enrolled, unless SecureBootEnable is 0;
     * without a PK the variable does not exist and is measured empty. */
    secure_boot = !(enable.found && enable.size == 1 && enable.data[0] == 0);
    for (size_t i = 0; i <= ELEMENTSOF(vars) && r >= 0; i++) {
        const char *name = i == 0 ? "SecureBoot" : vars[i - 1].name;
        const efi_guid *guid = i == 0 ? &efi_global_variable_guid : vars[i - 1].guid;
        const void *data = i == 0 ? &secure_boot : v[i - 1].data;
        size_t size = i == 0 ? (v[0].found ? 1 : 0) : v[i - 1].size;
        strbuf sb = STRBUF_INIT;

        r = uefi_variable_data(&sb, guid, name, data, size);
        if (r < 0) {
            strbuf_free(&sb);
            return tdx_err_oom(b->err);
        }
        r = meas_extend_data(b->m, "rtmr0", EV_EFI_VARIABLE_DRIVER_CONFIG, sb.data, sb.len, b->err,
                             "%s variable (%zu bytes%s)", name, size,
                             size ? " from the firmware's variable store" : ", not set");
        strbuf_free(&sb);
    }
    if (r < 0)
        return r;
    r = meas_assume(b->m, "secure_boot", b->err, "%s",
                    any ? "variables PK/KEK/db/dbx read from the firmware's variable store"
                        : "off: the firmware's variable store holds no PK, KEK, db or dbx");
    if (r < 0)
        return r;
    return meas_extend_data(b->m, "rtmr0", EV_SEPARATOR, separator, sizeof(separator), b->err,
                            "separator after the Secure Boot configuration");
}

static int rtmr0_firmware(struct boot *b)
{
    const struct tdvf_section *cfv = cfv_section(b);
    int r;

    if (!cfv)
        return tdx_err(b->err, -EINVAL, "%s: the TDVF metadata has no CFV section", b->firmware);
    r = td_hob_event(b);
    if (r < 0)
        return r;
    r = meas_extend_data(b->m, "rtmr0", EV_EFI_PLATFORM_FIRMWARE_BLOB2, b->fw + cfv->data_offset, cfv->raw_size,
                         b->err, "CFV (configuration volume): 0x%" PRIx32 " bytes at firmware offset 0x%" PRIx32
                         ", loaded at 0x%" PRIx64, cfv->raw_size, cfv->data_offset, cfv->address);
    if (r < 0)
        return r;
    return secure_boot_events(b, cfv);
}

/* --- RTMR0: ACPI --------------------------------------------------------- */

const char *boot_shown(const struct boot *b, const char *path)
{
    size_t n = b->strip ? strlen(b->strip) : 0;
    return n && strncmp(path, b->strip, n) == 0 && path[n] ? path + n : path;
}

static int acpi_event(struct boot *b, const char *path, const char *fwcfg, unsigned *cpus)
{
    _cleanup_free_ char *data = NULL;
    size_t size;
    int r = read_input(path, ACPI_BLOB_MAX, &data, &size, b->err);

    if (r < 0)
        return r;
    if (streq(fwcfg, "etc/acpi/tables"))
        r = acpi_check_tables((uint8_t *)data, size, path, cpus, b->err);
    else if (streq(fwcfg, "etc/acpi/rsdp"))
        r = acpi_check_rsdp((uint8_t *)data, size, path, b->err);
    else
        r = acpi_check_loader((uint8_t *)data, size, path, b->err);
    if (r < 0)
        return r;
    return meas_extend_data(b->m, "rtmr0", EV_PLATFORM_CONFIG_FLAGS, data, size, b->err,
                            "ACPI DATA: QEMU fw_cfg %s (%zu bytes from %s)", fwcfg, size,
                            boot_shown(b, path));
}

static int rtmr0_acpi(struct boot *b)
{
    unsigned cpus = 0;
    int r;

    if (!b->o.acpi_tables) {
        if (b->o.cpus == TDX_UNSET)
            b->o.cpus = 1;
        r = meas_assume_int(b->m, "cpus", b->o.cpus, b->err);
        if (r >= 0)
            r = meas_assume(b->m, "acpi", b->err, "not given: RTMR0 is unknown");
        if (r < 0)
            return r;
        return meas_unknown(b->m, "rtmr0", b->err,
                            "QEMU's ACPI blobs (etc/acpi/tables, etc/acpi/rsdp, etc/table-loader) were not "
                            "given; they depend on the VM's configuration (vCPUs, memory, devices, QEMU "
                            "version), so RTMR0 is not guessed");
    }
    /* OVMF measures them in the order its loader fetches them. */
    r = acpi_event(b, b->o.acpi_loader, "etc/table-loader", NULL);
    if (r >= 0)
        r = acpi_event(b, b->o.acpi_rsdp, "etc/acpi/rsdp", NULL);
    if (r >= 0)
        r = acpi_event(b, b->o.acpi_tables, "etc/acpi/tables", &cpus);
    if (r < 0)
        return r;
    if (b->o.cpus != TDX_UNSET && (unsigned)b->o.cpus != cpus)
        return tdx_err(b->err, -EINVAL, "%s: the MADT lists %u enabled vCPUs, but %d were given",
                       b->o.acpi_tables, cpus, b->o.cpus);
    b->o.cpus = (int)cpus;
    r = meas_assume_int(b->m, "cpus", b->o.cpus, b->err);
    if (r < 0)
        return r;
    return meas_assume(b->m, "acpi", b->err, "QEMU fw_cfg blobs from %s, %s, %s (%u vCPUs in the MADT)",
                       boot_shown(b, b->o.acpi_tables), boot_shown(b, b->o.acpi_rsdp),
                       boot_shown(b, b->o.acpi_loader), cpus);
}


int boot_action(struct boot *b, const char *reg, const char *text)
{
    return meas_extend_data(b->m, reg, EV_EFI_ACTION, text, strlen(text), b->err, "%s", text);
}

int boot_ready_to_boot(struct boot *b)
{
    int r = boot_action(b, "rtmr1", "Calling EFI Application from Boot Option");
    if (r < 0)
        return r;
    if (b->o.event_layout == TDX_EVENT_LAYOUT_PRE_202411)
        return meas_extend_data(b->m, "rtmr0", EV_SEPARATOR, separator, sizeof(separator), b->err,
                                "separator at ReadyToBoot (edk2 before 202411 puts it into RTMR0)");
    return meas_extend_data(b->m, "rtmr1", EV_SEPARATOR, separator, sizeof(separator), b->err,
                            "separator at ReadyToBoot");
}


int boot_decide_rtmr2(struct boot *b)
{
    unsigned major = 0, minor = 0;
    int r = linux_kernel_version(&b->kernel, b->kernel_version, sizeof(b->kernel_version), b->err);
    bool parsed;

    if (r < 0)
        return r;
    parsed = sscanf(b->kernel_version, "%u.%u", &major, &minor) == 2;
    r = meas_assume(b->m, "kernel_version", b->err, "%s", parsed ? b->kernel_version : "unknown");
    if (r < 0)
        return r;
    if (b->o.kernel_measures_rtmr2 != TDX_UNSET) {
        b->rtmr2_measured = b->o.kernel_measures_rtmr2 != 0;
        return meas_assume(b->m, "rtmr2", b->err, "%s (as requested)",
                           b->rtmr2_measured ? "the kernel's EFI stub measures the command line and initrd"
                                             : "nothing measured: the kernel's EFI stub does not measure into RTMR2");
    }
    if (!parsed) {
        b->rtmr2_measured = true;
        return meas_assume(b->m, "rtmr2", b->err,
                           "the kernel has no readable version; assumed to measure the command line and initrd (Linux >= 6.9)");
    }
    b->rtmr2_measured = major > 6 || (major == 6 && minor >= 9);
    if (!b->rtmr2_measured) {
        r = meas_warn(b->m, b->err, "kernel %s predates Linux 6.9, whose EFI stub first measures the command line "
                      "and initrd into RTMR2: RTMR2 is expected to stay zero (if it carries a backport, say "
                      "--kernel-measures-rtmr2 yes, or set kernel_measures_rtmr2)", b->kernel_version);
        if (r < 0)
            return r;
    }
    if (b->rtmr2_measured)
        return meas_assume(b->m, "rtmr2", b->err, "kernel %s measures the command line and initrd (Linux >= 6.9)",
                           b->kernel_version);
    return meas_assume(b->m, "rtmr2", b->err, "nothing measured: kernel %s predates Linux 6.9", b->kernel_version);
}


/* --- RTMR3 ---------------------------------------------------------------- */

int boot_rtmr3(struct boot *b)
{
    for (size_t i = 0; i < b->o.n_runtime_events; i++) {
        const tdx_runtime_event *ev = &b->o.runtime_events[i];
        uint32_t type = ev->type ? ev->type : DSTACK_RUNTIME_EVENT;
        uint8_t t[4] = { (uint8_t)type, (uint8_t)(type >> 8), (uint8_t)(type >> 16), (uint8_t)(type >> 24) };
        strbuf sb = STRBUF_INIT;
        int r;

        if (!ev->name || (ev->payload_size && !ev->payload))
            return tdx_err(b->err, -EINVAL, "runtime event %zu: name and payload are required", i);
        strbuf_append(&sb, t, 4);
        strbuf_putc(&sb, ':');
        strbuf_puts(&sb, ev->name);
        strbuf_putc(&sb, ':');
        strbuf_append(&sb, ev->payload, ev->payload_size);
        if (strbuf_error(&sb) < 0) {
            strbuf_free(&sb);
            return tdx_err_oom(b->err);
        }
        r = meas_extend_data(b->m, "rtmr3", type, sb.data, sb.len, b->err, "runtime event \"%s\" (%zu bytes of payload)",
                             ev->name, ev->payload_size);
        strbuf_free(&sb);
        if (r < 0)
            return r;
    }
    return 0;
}


/* --- Assumptions ---------------------------------------------------------- */

/* What the options resolved to, first in the document. */
int boot_assumptions(struct boot *b)
{
    tdx_measurements *m = b->m;
    tdx_error *err = b->err;
    strbuf sb = STRBUF_INIT;
    int r;

    for (uint32_t i = 0; i < b->md.n; i++) {
        const struct tdvf_section *s = &b->md.sections[i];
        strbuf_printf(&sb, "%s%s 0x%" PRIx64 "+0x%" PRIx64 "%s%s", i ? ", " : "", tdvf_type_name(s->type),
                      s->address, s->size, s->attributes & TDVF_ATTR_MR_EXTEND ? " MR.EXTEND" : "",
                      s->attributes & TDVF_ATTR_PAGE_AUG ? " PAGE.AUG" : "");
    }
    if (strbuf_error(&sb) < 0) {
        strbuf_free(&sb);
        return tdx_err_oom(err);
    }
    r = meas_assume(m, "boot", err, "%s", b->boot);
    if (r >= 0)
        r = meas_assume(m, "qemu_version", err, "%s", b->qemu_version);
    if (r >= 0)
        r = meas_assume_int(m, "memory_bytes", (long long)b->o.memory, err);
    if (r >= 0)
        r = meas_assume_int(m, "memory_mib", (long long)(b->o.memory >> 20), err);
    if (r >= 0)
        r = meas_assume(m, "mrtd_order", err, "%s", b->o.mrtd_order == TDX_MRTD_TWO_PASS ? "two-pass" : "per-page");
    if (r >= 0 && b->direct)
        r = meas_assume(m, "kernel_header", err, "%s", b->o.kernel_header == TDX_KERNEL_HEADER_PATCHED
                        ? "patched (QEMU <= 10.1 rewrites the setup header)"
                        : "unpatched (QEMU >= 10.2 serves the file as is)");
    if (r >= 0)
        r = meas_assume(m, "event_layout", err, "%s", b->o.event_layout == TDX_EVENT_LAYOUT_202411
                        ? "202411 (ReadyToBoot separator in RTMR1)"
                        : "pre-202411 (ReadyToBoot separator in RTMR0)");
    if (r >= 0)
        r = meas_assume(m, "tdvf_sections", err, "%s", strbuf_str(&sb));
    if (r >= 0 && b->direct)
        r = meas_assume(m, "cmdline", err, "%s", b->o.cmdline);
    if (r >= 0 && b->direct)
        r = meas_assume(m, "initrd", err, "%s", b->o.initrd ? b->initrd.name : "none");
    if (r >= 0)
        r = meas_assume_int(m, "runtime_events", (long long)b->o.n_runtime_events, err);
    strbuf_free(&sb);
    return r;
}


int boot_rtmr0(struct boot *b)
{
    int r = rtmr0_firmware(b);
    return r < 0 ? r : rtmr0_acpi(b);
}

int boot_exit_boot_services(struct boot *b)
{
    int r = boot_action(b, "rtmr1", "Exit Boot Services Invocation");
    return r < 0 ? r : boot_action(b, "rtmr1", "Exit Boot Services Returned with Success");
}

int boot_begin(struct boot *b)
{
    static const tdx_hash_alg sha384 = TDX_HASH_SHA384;
    int r = meas_new(&b->m, MEAS_TDX, &sha384, 1, b->err);

    if (r >= 0)
        r = load_firmware(b);
    for (const char *const *n = (const char *const[]){ "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", NULL }; r >= 0 && *n; n++)
        r = meas_reg_get(b->m, *n, NULL, b->err);
    return r;
}

void boot_free(struct boot *b)
{
    tdvf_free(&b->md);
    free(b->fw);
    b->fw = NULL;
}
