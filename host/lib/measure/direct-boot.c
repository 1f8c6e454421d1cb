/* SPDX-License-Identifier: MIT */
/*
 * MRTD and RTMR0-3 of a QEMU direct kernel boot with OVMF/TDVF, built as the
 * event sequence the firmware and the kernel's EFI stub produce, in boot
 * order (see docs/measurement.md for the sources of each event). The
 * firmware's own events are in firmware-boot.c; here are QEMU's kernel, its
 * boot variables and the command line and initrd it passes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "firmware-boot.h"
#include "linux-boot.h"
#include "pe.h"
#include "uefi.h"

/* --- RTMR1: the kernel --------------------------------------------------- */

static int kernel_event(struct boot *b)
{
    uint8_t patch[SETUP_PATCH_SIZE];
    char changed[256] = "";
    struct qemu_load load = { b->o.memory, b->o.cmdline, b->o.initrd != NULL, b->initrd.size };
    struct pe_image pe;
    struct hashset hs = HASHSET_INIT;
    tdx_hash_alg alg = TDX_HASH_SHA384;
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];
    int r;

    if (b->o.kernel_header == TDX_KERNEL_HEADER_PATCHED) {
        r = qemu_setup_header_patch(&b->kernel, &load, patch, changed, sizeof(changed), b->err);
        if (r < 0)
            return r;
        b->kernel.patch = patch;
        b->kernel.patch_size = sizeof(patch);
    }
    r = pe_parse(&b->kernel, &pe, b->err);
    if (r < 0)
        return r;
    r = hashset_init(&hs, &alg, 1, b->err);
    if (r >= 0)
        r = pe_authenticode(&b->kernel, &pe, &hs, b->err);
    if (r >= 0)
        r = hashset_final(&hs, d, b->err);
    hashset_free(&hs);
    pe_image_free(&pe);
    b->kernel.patch = NULL;
    if (r < 0)
        return r;
    return meas_extend(b->m, "rtmr1", EV_EFI_BOOT_SERVICES_APPLICATION, (const uint8_t(*)[TDX_DIGEST_MAX])d, b->err,
                       "kernel %s: Authenticode SHA-384 as QEMU serves it (%s%s)", b->kernel.name,
                       b->o.kernel_header == TDX_KERNEL_HEADER_PATCHED ? "setup header patched: " : "file unchanged",
                       changed);
}

/* --- ReadyToBoot ---------------------------------------------------------- */

static int boot_variables(struct boot *b)
{
    static const uint8_t boot_order[2] = { 0, 0 };
    int r = meas_extend_data(b->m, "rtmr0", EV_EFI_VARIABLE_BOOT, boot_order, sizeof(boot_order), b->err,
                             "BootOrder = 0000");
    if (r < 0)
        return r;
    return meas_extend_data(b->m, "rtmr0", EV_EFI_VARIABLE_BOOT, qemu_boot0000, sizeof(qemu_boot0000), b->err,
                            "Boot0000 = UiApp (the boot option OVMF creates for a direct kernel boot)");
}

/* --- RTMR2: the kernel's EFI stub ----------------------------------------- */

static int rtmr2(struct boot *b)
{
    strbuf opts = STRBUF_INIT;
    struct hashset hs = HASHSET_INIT;
    tdx_hash_alg alg = TDX_HASH_SHA384;
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];
    int r;

    if (!b->rtmr2_measured)
        return 0;
    /* OVMF's LoadOptions for QEMU's kernel: the command line (always passed,
     * QEMU gives at least its NUL), " initrd=initrd" with an initrd, widened
     * byte by byte to UTF-16, NUL-terminated. */
    utf16_widen(&opts, b->o.cmdline, strlen(b->o.cmdline));
    if (b->o.initrd)
        utf16_widen(&opts, " initrd=initrd", strlen(" initrd=initrd"));
    strbuf_append(&opts, "\0\0", 2);
    if (strbuf_error(&opts) < 0) {
        strbuf_free(&opts);
        return tdx_err_oom(b->err);
    }
    r = meas_extend_data(b->m, "rtmr2", EV_EVENT_TAG, opts.data, opts.len, b->err,
                         "LOADED_IMAGE::LoadOptions: \"%s%s\" as UTF-16 with NUL", b->o.cmdline,
                         b->o.initrd ? " initrd=initrd" : "");
    strbuf_free(&opts);
    if (r < 0 || !b->o.initrd)
        return r;
    r = hashset_init(&hs, &alg, 1, b->err);
    if (r >= 0)
        r = source_hash(&b->initrd, 0, b->initrd.size, &hs, "initrd", b->err);
    if (r >= 0)
        r = hashset_final(&hs, d, b->err);
    hashset_free(&hs);
    if (r < 0)
        return r;
    return meas_extend(b->m, "rtmr2", EV_EVENT_TAG, (const uint8_t(*)[TDX_DIGEST_MAX])d, b->err,
                       "Linux initrd: %s (%" PRIu64 " bytes)", b->initrd.name, b->initrd.size);
}

static int run(struct boot *b)
{
    int r = boot_begin(b);

    if (r >= 0)
        r = source_open(&b->kernel, b->kernel.name, b->err);
    if (r >= 0 && b->o.initrd)
        r = source_open(&b->initrd, b->o.initrd, b->err);
    if (r < 0)
        return r;
    b->kernel.name = boot_shown(b, b->kernel.name);
    if (b->o.initrd)
        b->initrd.name = boot_shown(b, b->initrd.name);
    r = boot_assumptions(b);
    if (r >= 0)
        r = boot_mrtd(b);
    if (r >= 0)
        r = boot_rtmr0(b);
    if (r >= 0)
        r = kernel_event(b);
    if (r >= 0)
        r = boot_variables(b);
    if (r >= 0)
        r = boot_ready_to_boot(b);
    if (r >= 0)
        r = boot_decide_rtmr2(b);
    if (r >= 0)
        r = rtmr2(b);
    if (r >= 0)
        r = boot_exit_boot_services(b);
    if (r >= 0)
        r = boot_rtmr3(b);
    return r;
}

int tdx_measure_direct_boot(tdx_measurements **out, const char *firmware, const char *kernel,
                            const tdx_measure_options *opts, tdx_error *err)
{
    return measure_direct_boot_labelled(out, firmware, kernel, NULL, opts, err);
}

int measure_direct_boot_labelled(tdx_measurements **out, const char *firmware, const char *kernel,
                                 const char *strip, const tdx_measure_options *opts,
                                 tdx_error *err)
{
    struct boot b = BOOT_INIT(err, strip);
    int r;

    tdx_check_arg(out && firmware && kernel, err);
    if (opts && (r = tdx_check_options_version(opts->version, TDX_MEASURE_OPTIONS_VERSION,
                                               "tdx_measure_direct_boot", err)) < 0)
        return r;
    b.firmware = firmware;
    b.kernel.name = kernel;
    b.boot = "QEMU direct kernel boot (-kernel) with OVMF/TDVF";
    b.direct = true;
    r = boot_resolve_options(&b, opts);
    if (r >= 0)
        r = run(&b);
    source_close(&b.kernel);
    source_close(&b.initrd);
    boot_free(&b);
    if (r < 0) {
        tdx_measurements_free(b.m);
        return r;
    }
    *out = b.m;
    return 0;
}
