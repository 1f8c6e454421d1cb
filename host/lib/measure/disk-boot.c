/* SPDX-License-Identifier: MIT */
/*
 * MRTD and RTMR0-3 of a TD whose OVMF/TDVF boots a unified kernel image from
 * the ESP of a GPT disk (\EFI\BOOT\BOOTX64.EFI, no boot loader), in boot
 * order. The firmware's part is firmware-boot.c, the UKI's uki.c; here is the
 * order edk2 and systemd-stub give them in a TD, where every measurement
 * goes through the CC measurement protocol:
 *
 *   ReadyToBoot (TdTcg2Dxe OnReadyToBoot): boot variables to RTMR0, "Calling
 *     EFI Application from Boot Option" to RTMR1, the separator;
 *   LoadImage of the UKI (DxeTpm2MeasureBootLib): the GPT once per boot
 *     (PCR 5), then the UKI's Authenticode (PCR 4), both RTMR1;
 *   systemd-stub >= 256: the UKI's sections (PCR 11 -> RTMR2); 252..257
 *     start the kernel with LoadImage (its Authenticode, RTMR1);
 *   the kernel's EFI stub (Linux >= 6.9): LoadOptions and initrd (PCR 9 ->
 *     RTMR2);
 *   ExitBootServices (RTMR1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "firmware-boot.h"
#include "gpt-event.h"
#include "uki.h"

/* systemd-stub releases whose measurements into the CC protocol are
 * modelled: 256 is the first that measures there without a TPM (systemd PR
 * #30996, tpm_log_event() falls back to EFI_CC_MEASUREMENT_PROTOCOL); 261
 * adds SMBIOS objects and separators (PRs #42233, #42851). */
#define STUB_CC_FIRST 256
#define STUB_CC_LAST 260

struct disk_boot {
    struct boot b;
    struct uki u;
    const char *disk;               /* as events name it */
    struct source disk_src;
    struct gpt_event gpt;
};

static int check_options(const tdx_measure_options *opts, const tdx_uki_options *uo, tdx_error *err)
{
    int r;

    if (opts && (r = tdx_check_options_version(opts->version, TDX_MEASURE_OPTIONS_VERSION,
                                               "tdx_measure_uki_disk_boot", err)) < 0)
        return r;
    if (uo && (r = tdx_check_options_version(uo->version, TDX_UKI_OPTIONS_VERSION,
                                             "tdx_measure_uki_disk_boot", err)) < 0)
        return r;
    if (opts && (opts->initrd || opts->cmdline))
        return tdx_err(err, -EINVAL, "tdx_measure_uki_disk_boot: %s does not apply to a disk boot (the UKI "
                       "carries its own)", opts->initrd ? "initrd" : "cmdline");
    if (opts && opts->kernel_header != TDX_UNSET)
        return tdx_err(err, -EINVAL, "tdx_measure_uki_disk_boot: kernel_header does not apply to a disk boot "
                       "(QEMU does not load the kernel)");
    if (uo && uo->banks != TDX_UNSET && uo->banks != 0 && uo->banks != TDX_BANK_SHA384)
        return tdx_err(err, -EINVAL, "tdx_measure_uki_disk_boot: banks 0x%x: RTMRs have only TDX_BANK_SHA384",
                       uo->banks);
    if (uo && uo->boot_loader)
        return tdx_err(err, -EINVAL, "tdx_measure_uki_disk_boot: a boot loader before the UKI is not modelled");
    if (uo && uo->stub_version != TDX_UNSET && uo->stub_version < 1)
        return tdx_err(err, -EINVAL, "stub_version %d is not a systemd version", uo->stub_version);
    return 0;
}

static int open_inputs(struct disk_boot *d, const char *disk, const char *uki)
{
    const struct pe_section *linux_sec;
    int r = source_open(&d->disk_src, disk, d->b.err);

    if (r < 0)
        return r;
    d->disk_src.name = d->disk;
    r = gpt_event_build(&d->disk_src, &d->gpt, d->b.err);
    if (r >= 0)
        r = uki_open(&d->u, uki);
    if (r < 0)
        return r;
    /* The kernel's version says whether its EFI stub measures into RTMR2. */
    linux_sec = pe_find_section(&d->u.pe, ".linux");
    r = pe_check_memory_size(&d->u.src, linux_sec, d->b.err);
    if (r < 0)
        return r;
    source_window(&d->b.kernel, &d->u.src, linux_sec->raw_offset, linux_sec->raw_size, linux_sec->virtual_size,
                  "the UKI's .linux section");
    return 0;
}

/* OVMF measures BootOrder and the Boot#### it lists at ReadyToBoot. For a
 * disk they are the options its boot manager enumerates (the disk, network
 * boot per NIC with its MAC address, UiApp, maybe a shell), numbered in
 * discovery order with device paths of the VM's PCI layout: not derivable
 * from the firmware and the image, so RTMR0 is not guessed. */
static int boot_variables(struct disk_boot *d)
{
    static const char why[] =
        "OVMF's BootOrder and Boot#### variables for a disk boot (measured at ReadyToBoot) depend on the VM's "
        "devices (PCI slots, NIC MAC addresses) and the firmware's build (network boot, shell), which the "
        "firmware and the image do not say; the ACPI capture does not cover them";
    const struct mreg *reg = meas_find(d->b.m, "rtmr0");

    if (reg && !reg->known)
        return meas_unknown(d->b.m, "rtmr0", d->b.err, "%s; also, %s", reg->reason, why);
    return meas_unknown(d->b.m, "rtmr0", d->b.err, "%s", why);
}

static int gpt_event(struct disk_boot *d)
{
    return meas_extend_data(d->b.m, "rtmr1", EV_EFI_GPT_EVENT, d->gpt.data, d->gpt.size, d->b.err,
                            "GPT of %s: UEFI_GPT_DATA, the primary header and %" PRIu64 " of %" PRIu32
                            " entries (%zu bytes)", d->disk, d->gpt.used, d->gpt.entries, d->gpt.size);
}

static int stub_events(struct disk_boot *d)
{
    struct uki *u = &d->u;

    if (u->stub < STUB_CC_FIRST)
        return meas_assume(d->b.m, "rtmr2_stub", d->b.err, "none: systemd-stub %d predates %d, the first release "
                           "that measures into the CC protocol", u->stub, STUB_CC_FIRST);
    if (u->stub > STUB_CC_LAST)
        return meas_unknown(d->b.m, "rtmr2", d->b.err, "systemd-stub %d: releases after %d measure more into the "
                            "CC protocol (SMBIOS objects, separators) than is modelled", u->stub, STUB_CC_LAST);
    return meas_assume(d->b.m, "rtmr2_stub", d->b.err, "systemd-stub %d measures the UKI's sections (name, "
                       "data) into the CC protocol", u->stub);
}

static int kernel_events(struct disk_boot *d)
{
    int r = boot_decide_rtmr2(&d->b);

    if (r < 0 || !d->b.rtmr2_measured)
        return r;
    /* systemd-stub turns these sections into cpio archives it appends to the
     * initrd it serves, so the kernel measures bytes this model does not build. */
    if (pe_find_section(&d->u.pe, ".pcrsig") || pe_find_section(&d->u.pe, ".pcrpkey"))
        return meas_unknown(d->b.m, "rtmr2", d->b.err, "%s has .pcrsig or .pcrpkey: systemd-stub appends them "
                            "to the initrd the kernel measures as cpio archives, which are not modelled", d->u.path);
    return uki_kernel_events(&d->u);
}

static int run(struct disk_boot *d, const char *disk, const char *uki)
{
    struct boot *b = &d->b;
    int r = boot_begin(b);

    d->u.m = b->m;
    if (r >= 0)
        r = open_inputs(d, disk, uki);
    if (r >= 0)
        r = boot_assumptions(b);
    if (r >= 0)
        r = meas_assume(b->m, "disk", b->err, "%s: GPT of %" PRIu32 " entries of %" PRIu32 " bytes, %" PRIu64
                        " in use", d->disk, d->gpt.entries, d->gpt.entry_size, d->gpt.used);
    if (r >= 0)
        r = meas_assume(b->m, "uki", b->err, "%s (\\EFI\\BOOT\\BOOTX64.EFI on the disk's ESP)", d->u.path);
    if (r >= 0)
        r = uki_stub_version(&d->u);
    if (r >= 0)
        r = boot_mrtd(b);
    if (r >= 0)
        r = boot_rtmr0(b);
    if (r >= 0)
        r = boot_variables(d);
    if (r >= 0)
        r = boot_ready_to_boot(b);
    if (r >= 0)
        r = gpt_event(d);
    if (r >= 0)
        r = uki_boot_images(&d->u);
    if (r >= 0)
        r = stub_events(d);
    if (r >= 0 && d->u.stub >= STUB_CC_FIRST && d->u.stub <= STUB_CC_LAST)
        r = uki_stub_sections(&d->u);
    if (r >= 0)
        r = kernel_events(d);
    if (r >= 0)
        r = boot_exit_boot_services(b);
    if (r >= 0)
        r = boot_rtmr3(b);
    return r;
}

int tdx_measure_uki_disk_boot(tdx_measurements **out, const char *firmware, const char *disk, const char *uki,
                              const tdx_measure_options *opts, const tdx_uki_options *uki_opts, tdx_error *err)
{
    return measure_uki_disk_boot_labelled(out, firmware, disk, uki, NULL, opts, uki_opts, err);
}

int measure_uki_disk_boot_labelled(tdx_measurements **out, const char *firmware, const char *disk,
                                   const char *uki, const char *strip, const tdx_measure_options *opts,
                                   const tdx_uki_options *uki_opts, tdx_error *err)
{
    static const tdx_uki_options uki_defaults = TDX_UKI_OPTIONS_INIT;
    struct disk_boot d = { .b = BOOT_INIT(err, strip), .disk_src = SOURCE_INIT };
    int r;

    tdx_check_arg(out && firmware && disk && uki, err);
    r = check_options(opts, uki_opts, err);
    if (r < 0)
        return r;
    d.b.firmware = firmware;
    d.b.boot = "OVMF/TDVF boots the UKI from the ESP of a GPT disk (no -kernel, no boot loader, no TPM)";
    d.disk = boot_shown(&d.b, disk);
    d.u = (struct uki){ .path = boot_shown(&d.b, uki), .src = SOURCE_INIT, .o = uki_opts ? *uki_opts : uki_defaults,
                        .err = err, .reg_boot = "rtmr1", .reg_kernel = "rtmr2", .reg_stub = "rtmr2" };
    r = boot_resolve_options(&d.b, opts);
    if (r >= 0)
        r = run(&d, disk, uki);
    d.b.kernel = (struct source)SOURCE_INIT;   /* a window on the UKI: closed with it */
    uki_close(&d.u);
    source_close(&d.disk_src);
    gpt_event_free(&d.gpt);
    boot_free(&d.b);
    if (r < 0) {
        tdx_measurements_free(d.b.m);
        return r;
    }
    *out = d.b.m;
    return 0;
}
