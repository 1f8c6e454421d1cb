/* SPDX-License-Identifier: MIT */
/*
 * A UKI booted by OVMF from a GPT disk's ESP: each RTMR recomputed here from
 * the bytes the test laid out (the GPT, the action strings, the sections,
 * the command line as UTF-16) and folded independently, for the stub
 * versions whose rules differ; and the inputs the function refuses.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "image-builder.h"
#include "macro.h"
#include "measure-helpers.h"
#include "measure/digest.h"
#include "measure/measurements.h"
#include "tdxhost/tdxhost.h"

static uint8_t bfv[0x4000], cfv[0x2000];
static const struct synth_section layout[] = {
    { 0, 1, 0xffe20000, 0x4000, bfv, sizeof(bfv) },
    { 1, 0, 0xffe00000, 0x2000, cfv, sizeof(cfv) },
    { 3, 0, 0x810000, 0x10000, NULL, 0 },
    { 2, 0, 0x809000, 0x2000, NULL, 0 },
    { 3, 0, 0x800000, 0x6000, NULL, 0 },
};
static const struct ib_gpt_part parts[] = {
    { ib_esp_type, 2048, 534527 }, { NULL, 0, 0 }, { ib_root_type, 534528, 2097118 },
};

static const char cmdline[] = "console=ttyS0 systemd.journald.forward_to_console\n";
static const char osrel[] = "ID=debian\nVERSION_ID=13\n";
static const uint8_t initrd[] = "070701 an initrd, not a real one";

static char *dir, *fw, *disk;
static uint8_t *disk_bytes, *kernel;
static size_t disk_size, kernel_size;

static void setup(void)
{
    size_t size;
    uint8_t *f;

    for (size_t i = 0; i < sizeof(bfv); i++)
        bfv[i] = (uint8_t)(i * 13 + 1);
    ib_empty_varstore(cfv, sizeof(cfv));
    dir = tmpdir_new();
    f = ib_tdvf(layout, ELEMENTSOF(layout), &size);
    fw = save_file(dir, "OVMF.fd", f, size);
    free(f);
    disk_bytes = ib_gpt_disk(parts, ELEMENTSOF(parts), 128, 128, &disk_size);
    disk = save_file(dir, "disk.raw", disk_bytes, disk_size);
    kernel = ib_bzimage("6.12.43+deb13-amd64 (debian-kernel@lists.debian.org) #1 SMP", 0x2000, 0, &kernel_size);
}

static void teardown(void)
{
    free(fw);
    free(disk);
    free(disk_bytes);
    free(kernel);
    tmpdir_remove(dir);
}

/* A UKI of systemd-stub `stub` with .osrel, .cmdline, .uname, .initrd, .linux
 * (in file order unlike the canonical one) and optionally .pcrpkey. */
static char *uki_file(int stub, const char *name, bool pcrpkey, uint8_t **bytes, size_t *size)
{
    char sdmagic[80];
    struct ib_section s[7];
    size_t n = 0;
    uint8_t *p;
    char *path;

    snprintf(sdmagic, sizeof(sdmagic), "#### LoaderInfo: systemd-stub %d.1-1 ####", stub);
    s[n++] = (struct ib_section){ ".sdmagic", (const uint8_t *)sdmagic, strlen(sdmagic) + 1 };
    s[n++] = (struct ib_section){ ".osrel", (const uint8_t *)osrel, strlen(osrel) };
    s[n++] = (struct ib_section){ ".cmdline", (const uint8_t *)cmdline, strlen(cmdline) };
    s[n++] = (struct ib_section){ ".uname", (const uint8_t *)"6.12.43+deb13-amd64", 19 };
    s[n++] = (struct ib_section){ ".initrd", initrd, sizeof(initrd) };
    s[n++] = (struct ib_section){ ".linux", kernel, kernel_size };
    if (pcrpkey)
        s[n++] = (struct ib_section){ ".pcrpkey", (const uint8_t *)"-----BEGIN PUBLIC KEY-----", 26 };
    p = ib_pe(s, n, size);
    ck_assert_ptr_nonnull(p);
    path = save_file(dir, name, p, *size);
    if (bytes)
        *bytes = p;
    else
        free(p);
    return path;
}

static void sha384(const void *data, size_t n, uint8_t out[48])
{
    ck_assert_int_eq(digest_buf(TDX_HASH_SHA384, data, n, out, NULL), 0);
}

static void fold(uint8_t reg[48], const uint8_t d[48])
{
    ck_assert_int_eq(digest_extend(TDX_HASH_SHA384, reg, d, NULL), 0);
}

static void fold_data(uint8_t reg[48], const void *data, size_t n)
{
    uint8_t d[48];
    sha384(data, n, d);
    fold(reg, d);
}

static void fold_authenticode(uint8_t reg[48], const uint8_t *pe, size_t n)
{
    uint8_t d[48];
    ck_assert_int_eq(tdx_pe_authenticode_buffer(pe, n, "pe", TDX_HASH_SHA384, d, sizeof(d), NULL), 48);
    fold(reg, d);
}

static void expect_register(const tdx_measurements *m, const char *name, const uint8_t want[48])
{
    const uint8_t *v;
    const char *reason = NULL;
    char a[97], b[97];
    size_t size;

    ck_assert_msg(tdx_measurements_register(m, name, 0, &v, &size, &reason) == 0, "%s unknown: %s", name,
                  reason ? reason : "");
    ck_assert_uint_eq(size, 48);
    ck_assert_str_eq(to_hex(v, 48, a), to_hex(want, 48, b));
}

static size_t count_events(const tdx_measurements *m, const char *reg, uint32_t type)
{
    tdx_measurement_event ev;
    size_t n = 0;

    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        ck_assert_int_eq(tdx_measurements_event(m, i, &ev), 0);
        n += streq(ev.register_name, reg) && (!type || ev.type == type);
    }
    return n;
}

/* RTMR1 as edk2 and systemd-stub make it, from the test's own bytes. */
static void expected_rtmr1(uint8_t reg[48], bool separator, const uint8_t *uki, size_t uki_size, bool linux_image)
{
    static const char *const actions[] = { "Calling EFI Application from Boot Option", "Exit Boot Services Invocation",
                                           "Exit Boot Services Returned with Success" };
    uint8_t gpt[92 + 8 + 2 * 128];

    memset(reg, 0, 48);
    fold_data(reg, actions[0], strlen(actions[0]));
    if (separator)
        fold_data(reg, "\0\0\0\0", 4);
    /* UEFI_GPT_DATA: LBA 1's first 92 bytes, UINT64 2, entries 0 and 2. */
    memcpy(gpt, disk_bytes + 512, 92);
    memcpy(gpt + 92, "\x02\0\0\0\0\0\0\0", 8);
    memcpy(gpt + 100, disk_bytes + 1024, 128);
    memcpy(gpt + 228, disk_bytes + 1024 + 256, 128);
    fold_data(reg, gpt, sizeof(gpt));
    fold_authenticode(reg, uki, uki_size);
    if (linux_image)
        fold_authenticode(reg, kernel, kernel_size);
    fold_data(reg, actions[1], strlen(actions[1]));
    fold_data(reg, actions[2], strlen(actions[2]));
}

/* RTMR2: the stub's sections in canonical order, then the kernel's events. */
static void expected_rtmr2(uint8_t reg[48], bool sections, bool kernel_events)
{
    const struct {
        const char *name;
        const void *data;
        size_t size;
    } s[] = {
        { ".linux", kernel, kernel_size }, { ".osrel", osrel, strlen(osrel) },
        { ".cmdline", cmdline, strlen(cmdline) }, { ".initrd", initrd, sizeof(initrd) },
        { ".uname", "6.12.43+deb13-amd64", 19 },
    };
    /* The stub passes .cmdline with its newline turned into a space and
     * trailing spaces dropped, as UTF-16 with a NUL. */
    const char *c = "console=ttyS0 systemd.journald.forward_to_console";
    uint8_t u16[128];
    size_t n = strlen(c);

    memset(reg, 0, 48);
    for (size_t i = 0; sections && i < ELEMENTSOF(s); i++) {
        fold_data(reg, s[i].name, strlen(s[i].name) + 1);
        fold_data(reg, s[i].data, s[i].size);
    }
    if (!kernel_events)
        return;
    for (size_t i = 0; i < n; i++) {
        u16[2 * i] = (uint8_t)c[i];
        u16[2 * i + 1] = 0;
    }
    u16[2 * n] = u16[2 * n + 1] = 0;
    fold_data(reg, u16, 2 * n + 2);
    fold_data(reg, initrd, sizeof(initrd));
}

START_TEST(registers_of_a_stub_257_boot)
{
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL, *direct = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *uki_bytes, want[48], zero[48] = { 0 };
    const uint8_t *v, *w;
    const char *reason;
    size_t uki_size;
    char *uki = uki_file(257, "uki.efi", false, &uki_bytes, &uki_size), *k = save_file(dir, "vmlinuz", kernel, kernel_size);

    o.event_layout = TDX_EVENT_LAYOUT_202411;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    expected_rtmr1(want, true, uki_bytes, uki_size, true);
    expect_register(m, "rtmr1", want);
    expected_rtmr2(want, true, true);
    expect_register(m, "rtmr2", want);
    expect_register(m, "rtmr3", zero);
    /* RTMR1: action, separator, GPT, UKI, .linux, two EBS actions. */
    ck_assert_uint_eq(count_events(m, "rtmr1", 0), 7);
    ck_assert_uint_eq(count_events(m, "rtmr1", 0x80000006), 1);
    ck_assert_uint_eq(count_events(m, "rtmr2", 0x0d), 10);
    ck_assert_uint_eq(count_events(m, "rtmr2", 0x06), 2);
    /* RTMR0: the firmware's events are there, the boot variables are not guessed. */
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, "BootOrder and Boot####");
    ck_assert_uint_eq(count_events(m, "rtmr0", 0x80000002), 0);
    /* MRTD is the firmware's, as for a direct boot of it. */
    ck_assert_int_eq(tdx_measure_direct_boot(&direct, fw, k, &o, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "mrtd", 0, &v, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(direct, "mrtd", 0, &w, NULL, NULL), 0);
    ck_assert_mem_eq(v, w, 48);
    tdx_measurements_free(direct);
    tdx_measurements_free(m);
    free(uki_bytes);
    free(uki);
    free(k);
}
END_TEST

START_TEST(stub_versions_and_layouts)
{
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_uki_options uo = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *uki_bytes, want[48];
    const char *reason;
    size_t uki_size;
    char *uki = uki_file(258, "uki.efi", false, &uki_bytes, &uki_size);

    /* 258 calls the kernel directly: no LoadImage, no .linux event; edk2
     * before 202411 puts the ReadyToBoot separator into RTMR0. */
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, NULL, &err) == 0, "%s", err.message);
    expected_rtmr1(want, false, uki_bytes, uki_size, false);
    expect_register(m, "rtmr1", want);
    expected_rtmr2(want, true, true);
    expect_register(m, "rtmr2", want);
    tdx_measurements_free(m);
    /* 255 does not measure into the CC protocol: only the kernel's events. */
    uo.stub_version = 255;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, &uo, NULL), 0);
    expected_rtmr2(want, false, true);
    expect_register(m, "rtmr2", want);
    expected_rtmr1(want, false, uki_bytes, uki_size, true);
    expect_register(m, "rtmr1", want);
    tdx_measurements_free(m);
    /* 261 measures more than is modelled. */
    uo.stub_version = 261;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, &uo, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr2", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, "systemd-stub 261");
    tdx_measurements_free(m);
    /* A kernel that does not measure: the stub's sections only. */
    uo.stub_version = TDX_UNSET;
    o.kernel_measures_rtmr2 = 0;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, &uo, NULL), 0);
    expected_rtmr2(want, true, false);
    expect_register(m, "rtmr2", want);
    tdx_measurements_free(m);
    free(uki_bytes);
    free(uki);
}
END_TEST

START_TEST(old_kernels_do_not_measure_into_rtmr2)
{
    tdx_measurements *m = NULL;
    uint8_t want[48];
    char *uki;

    free(kernel);
    kernel = ib_bzimage("6.1.0-41-amd64 (debian-kernel@lists.debian.org)", 0x2000, 0, &kernel_size);
    uki = uki_file(257, "old.efi", false, NULL, &(size_t){ 0 });
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, NULL, NULL), 0);
    expected_rtmr2(want, true, false);
    expect_register(m, "rtmr2", want);
    ck_assert_uint_eq(tdx_measurements_warning_count(m), 1);
    ck_assert_contains(tdx_measurements_warning(m, 0), "predates Linux 6.9");
    tdx_measurements_free(m);
    free(uki);
}
END_TEST

START_TEST(pcr_signature_sections_make_rtmr2_unknown)
{
    tdx_measurements *m = NULL;
    const char *reason;
    char *uki = uki_file(257, "signed.efi", true, NULL, &(size_t){ 0 });

    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr2", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, ".pcrsig or .pcrpkey");
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr1", 0, NULL, NULL, NULL), 0);
    tdx_measurements_free(m);
    free(uki);
}
END_TEST

START_TEST(inputs_and_options_are_checked)
{
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_uki_options uo = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *uki = uki_file(257, "uki.efi", false, NULL, &(size_t){ 0 }), *bad;

    disk_bytes[512 + 60] ^= 1;
    bad = save_file(dir, "bad.raw", disk_bytes, disk_size);
    disk_bytes[512 + 60] ^= 1;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, bad, uki, NULL, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "bad.raw: GPT header CRC32 mismatch");
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, "/nonexistent/disk.raw", uki, NULL, NULL, &err), -ENOENT);
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, NULL, NULL, NULL, &err), -EINVAL);
    /* The UKI must be a UKI. */
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, disk, NULL, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "not a PE image");
    o.initrd = "initrd";
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "initrd does not apply to a disk boot");
    o = (tdx_measure_options)TDX_MEASURE_OPTIONS_INIT;
    o.kernel_header = TDX_KERNEL_HEADER_PATCHED;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    o.kernel_header = TDX_UNSET;
    o.version = 99;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "unsupported options version 99");
    uo.banks = TDX_BANK_SHA256;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, &uo, &err), -EINVAL);
    ck_assert_contains(err.message, "TDX_BANK_SHA384");
    uo.banks = TDX_UNSET;
    uo.boot_loader = uki;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, NULL, &uo, &err), -EINVAL);
    ck_assert_ptr_null(m);
    free(bad);
    free(uki);
}
END_TEST

START_TEST(labelled_paths_are_relative)
{
    tdx_measurements *m = NULL;
    tdx_measurement_event ev;
    char *uki = uki_file(257, "image.efi", false, NULL, &(size_t){ 0 }), strip[4096];

    snprintf(strip, sizeof(strip), "%s/", dir);
    ck_assert_int_eq(measure_uki_disk_boot_labelled(&m, fw, disk, uki, strip, NULL, NULL, NULL), 0);
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        ck_assert_int_eq(tdx_measurements_event(m, i, &ev), 0);
        ck_assert_msg(!strstr(ev.description, dir), "%s", ev.description);
        if (ev.type == 0x80000006)
            ck_assert_contains(ev.description, "GPT of disk.raw");
    }
    tdx_measurements_free(m);
    free(uki);
}
END_TEST

/* --- RTMR0 from captured boot variables ---------------------------------- */

#define ACPI_DIR "acpi/qemu-q35-1cpu-2048M/"

/* EFI_LOAD_OPTIONs laid out here byte by byte: OVMF's UiApp (what QEMU's
 * direct boot gets) and a disk option with a PCI/SCSI path. */
static const uint8_t uiapp[62] = {
    0x09, 0x01, 0x00, 0x00, 0x2c, 0x00, 'U', 0, 'i', 0, 'A', 0, 'p', 0, 'p', 0, 0, 0,
    0x04, 0x07, 0x14, 0x00, 0xc9, 0xbd, 0xb8, 0x7c, 0xeb, 0xf8, 0x34, 0x4f,
    0xaa, 0xea, 0x3e, 0xe4, 0xaf, 0x65, 0x16, 0xa1,
    0x04, 0x06, 0x14, 0x00, 0x21, 0xaa, 0x2c, 0x46, 0x14, 0x76, 0x03, 0x45,
    0x83, 0x6e, 0x8a, 0xb6, 0xf4, 0x66, 0x23, 0x31,
    0x7f, 0xff, 0x04, 0x00,
};
static const uint8_t disk_option[] = {
    0x01, 0x00, 0x00, 0x00, 0x16, 0x00, 'd', 0, 'i', 0, 's', 0, 'k', 0, 0, 0,
    0x02, 0x01, 0x0c, 0x00, 0xd0, 0x41, 0x03, 0x0a, 0x00, 0x00, 0x00, 0x00,   /* PciRoot(0) */
    0x01, 0x01, 0x06, 0x00, 0x00, 0x03,                                       /* Pci(3,0) */
    0x7f, 0xff, 0x04, 0x00,
    'N', 'O',                                                                 /* OptionalData */
};

/* An assumption's text (the test links the internal structure). */
static const char *assumption(const tdx_measurements *m, const char *key)
{
    for (size_t i = 0; i < m->assumptions.n; i++) {
        const struct assumption *a = m->assumptions.items[i];
        if (streq(a->key, key))
            return a->text;
    }
    ck_abort_msg("no assumption %s", key);
    return NULL;
}

static char *boot_vars_dir(const char *name, const uint8_t *order, size_t order_size)
{
    char *d;

    ck_assert(asprintf(&d, "%s/%s", dir, name) > 0);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    if (order)
        free(save_file(d, "BootOrder", order, order_size));
    return d;
}

static void acpi_options(tdx_measure_options *o)
{
    o->acpi_tables = TESTDATA(ACPI_DIR "etc-acpi-tables");
    o->acpi_rsdp = TESTDATA(ACPI_DIR "etc-acpi-rsdp");
    o->acpi_loader = TESTDATA(ACPI_DIR "etc-table-loader");
}

/* RTMR0 folded here from the direct boot's RTMR0 events with its two boot
 * variable events replaced by SHA-384 of each of vars, in order. */
static void expected_rtmr0(const tdx_measurements *direct, const uint8_t *const *vars, const size_t *sizes,
                           size_t n, uint8_t reg[48])
{
    tdx_measurement_event ev;
    bool done = false;

    memset(reg, 0, 48);
    for (size_t i = 0; i < tdx_measurements_event_count(direct); i++) {
        ck_assert_int_eq(tdx_measurements_event(direct, i, &ev), 0);
        if (!streq(ev.register_name, "rtmr0"))
            continue;
        if (ev.type != 0x80000002) {
            ck_assert_uint_eq(ev.digest_size, 48);
            fold(reg, ev.digest);
        } else if (!done) {
            for (size_t j = 0; j < n; j++)
                fold_data(reg, vars[j], sizes[j]);
            done = true;
        }
    }
    ck_assert(done);
}

START_TEST(rtmr0_from_captured_boot_variables)
{
    static const uint8_t direct_order[] = { 0x00, 0x00 }, order[] = { 0x01, 0x00, 0x00, 0x00, 0x03, 0x00 };
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL, *direct = NULL, *m2 = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t want[48];
    const uint8_t *v, *w;
    const char *reason;
    char *uki = uki_file(257, "uki.efi", false, NULL, &(size_t){ 0 }), *k = save_file(dir, "vmlinuz", kernel, kernel_size);
    char *same = boot_vars_dir("same", direct_order, sizeof(direct_order)), *bv = boot_vars_dir("bv", order, sizeof(order));

    free(save_file(same, "Boot0000", uiapp, sizeof(uiapp)));
    free(save_file(bv, "Boot0000", uiapp, sizeof(uiapp)));
    free(save_file(bv, "Boot0001", disk_option, sizeof(disk_option)));
    /* Boot0003 is listed but absent: the firmware skips it. */
    acpi_options(&o);
    ck_assert_msg(tdx_measure_direct_boot(&direct, fw, k, &o, &err) == 0, "%s", err.message);

    /* The variables a direct boot has give the direct boot's RTMR0. */
    o.boot_variables = same;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, &v, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(direct, "rtmr0", 0, &w, NULL, NULL), 0);
    ck_assert_mem_eq(v, w, 48);
    tdx_measurements_free(m);

    o.boot_variables = bv;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    {
        const uint8_t *vars[] = { order, disk_option, uiapp };
        const size_t sizes[] = { sizeof(order), sizeof(disk_option), sizeof(uiapp) };
        expected_rtmr0(direct, vars, sizes, 3, want);
    }
    expect_register(m, "rtmr0", want);
    ck_assert_uint_eq(count_events(m, "rtmr0", 0x80000002), 3);
    ck_assert_contains(assumption(m, "boot_variables"), "BootOrder 0001,0000,0003, 2 option(s)");
    ck_assert_contains(assumption(m, "boot_variables"), "absent (skipped as the firmware does): Boot0003");
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurement_event ev;
        ck_assert_int_eq(tdx_measurements_event(m, i, &ev), 0);
        if (ev.type == 0x80000002 && strstr(ev.description, "Boot0001"))
            ck_assert_contains(ev.description, "\"disk\" (EFI_LOAD_OPTION, attributes 0x1, 40 bytes)");
    }
    /* Without the ACPI blobs RTMR0 stays unknown, the variables recorded. */
    o.acpi_tables = o.acpi_rsdp = o.acpi_loader = NULL;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m2, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_register(m2, "rtmr0", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, "ACPI");
    ck_assert_uint_eq(count_events(m2, "rtmr0", 0x80000002), 3);
    tdx_measurements_free(m2);
    tdx_measurements_free(m);
    tdx_measurements_free(direct);
    free(same);
    free(bv);
    free(uki);
    free(k);
}
END_TEST

/* Guest-supplied files: every bound and every malformed option refused. */
START_TEST(captured_boot_variables_are_checked)
{
    static const uint8_t order[] = { 0x01, 0x00 };
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t big[4097], bad[sizeof(disk_option)];
    const char *reason;
    char *uki = uki_file(257, "uki.efi", false, NULL, &(size_t){ 0 }), *k = save_file(dir, "vmlinuz", kernel, kernel_size);
    char *bv = boot_vars_dir("bv", NULL, 0);
    static const struct { size_t at; uint8_t value; const char *message; } breaks[] = {
        { 4, 0xff, "FilePathListLength 255 does not fit" },
        { 4, 0x02, "FilePathListLength 2 does not fit" },
        { 18, 0x03, "node at offset 16: length 3 outside 4..22" },
        { 30, 0x20, "node at offset 28: length 32 outside 4..10" },
        { 28, 0x7f, "device path ends at offset 32, before the 22 bytes" },
    };

    acpi_options(&o);
    o.boot_variables = bv;
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "bv/BootOrder: missing");
    free(save_file(bv, "BootOrder", order, 1));
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "BootOrder: 1 bytes: expected a non-empty list");
    memset(big, 0, sizeof(big));
    free(save_file(bv, "BootOrder", big, 130));
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "BootOrder: larger than 128 bytes");
    free(save_file(bv, "BootOrder", order, sizeof(order)));
    free(save_file(bv, "Boot0001", big, sizeof(big)));
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "Boot0001: larger than 4096 bytes");
    free(save_file(bv, "Boot0001", disk_option, 7));
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "Boot0001: 7 bytes: shorter than an EFI_LOAD_OPTION");
    free(save_file(bv, "Boot0001", disk_option, 14));
    ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "Boot0001: the description has no NUL");
    for (size_t i = 0; i < ELEMENTSOF(breaks); i++) {
        memcpy(bad, disk_option, sizeof(bad));
        bad[breaks[i].at] = breaks[i].value;
        if (breaks[i].at == 28)   /* an End node where Pci(3,0) was */
            bad[29] = 0xff, bad[30] = 0x04;
        free(save_file(bv, "Boot0001", bad, sizeof(bad)));
        ck_assert_int_eq(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err), -EINVAL);
        ck_assert_msg(strstr(err.message, breaks[i].message), "break %zu: %s", i, err.message);
    }
    ck_assert_ptr_null(m);
    /* A direct boot computes its own. */
    ck_assert_int_eq(tdx_measure_direct_boot(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "boot_variables applies to a disk boot");
    /* A version-1 caller's struct has no such field: it is not read. */
    o.version = 1;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, "BootOrder and Boot####");
    tdx_measurements_free(m);
    free(bv);
    free(uki);
    free(k);
}
END_TEST

/* The variables a capture of a real disk boot gave (tests/data/SOURCES.md):
 * every option passes the checks, is described, and is measured as the
 * SHA-384 of its file; OVMF's own UiApp is the bytes the direct-boot model
 * lays out. */
START_TEST(boot_variables_of_a_real_capture)
{
    static const char *const want[] = {
        "BootOrder = 0000,0001,0002,0003,0004,0005,0006,0007",
        "Boot0000 = \"UiApp\" (EFI_LOAD_OPTION, attributes 0x109, 62 bytes)",
        "Boot0001 = \"UEFI Misc Device\" (EFI_LOAD_OPTION, attributes 0x1, 78 bytes)",
        "Boot0002 = \"UEFI PXEv4 (MAC:525400123456)\" (EFI_LOAD_OPTION, attributes 0x1, 141 bytes)",
        "Boot0003 = \"UEFI PXEv4 (MAC:525400123456) 2\" (EFI_LOAD_OPTION, attributes 0x1, 172 bytes)",
        "Boot0004 = \"UEFI PXEv6 (MAC:525400123456)\" (EFI_LOAD_OPTION, attributes 0x1, 201 bytes)",
        "Boot0005 = \"UEFI HTTPv4 (MAC:525400123456)\" (EFI_LOAD_OPTION, attributes 0x1, 174 bytes)",
        "Boot0006 = \"UEFI HTTPv6 (MAC:525400123456)\" (EFI_LOAD_OPTION, attributes 0x1, 207 bytes)",
        "Boot0007 = \"EFI Internal Shell\" (EFI_LOAD_OPTION, attributes 0x1, 88 bytes)",
    };
    static const char *const files[] = { "BootOrder", "Boot0000", "Boot0001", "Boot0002", "Boot0003",
                                         "Boot0004", "Boot0005", "Boot0006", "Boot0007" };
    const char *bv = src_path("tests/data/boot-variables/ovmf-2022.11-q35-disk");
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_measurement_event ev;
    char *uki = uki_file(257, "uki.efi", false, NULL, &(size_t){ 0 }), path[4200];
    size_t k = 0;

    acpi_options(&o);
    o.boot_variables = bv;
    ck_assert_msg(tdx_measure_uki_disk_boot(&m, fw, disk, uki, &o, NULL, &err) == 0, "%s", err.message);
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        uint8_t d[48];
        size_t size;
        char *data;

        ck_assert_int_eq(tdx_measurements_event(m, i, &ev), 0);
        if (ev.type != 0x80000002)
            continue;
        ck_assert_uint_lt(k, ELEMENTSOF(want));
        ck_assert_str_eq(ev.description, want[k]);
        snprintf(path, sizeof(path), "%s/%s", bv, files[k]);
        data = read_text(path, &size);
        sha384(data, size, d);
        ck_assert_mem_eq(ev.digest, d, 48);
        if (k == 1) {
            ck_assert_uint_eq(size, sizeof(uiapp));
            ck_assert_mem_eq(data, uiapp, sizeof(uiapp));
        }
        free(data);
        k++;
    }
    ck_assert_uint_eq(k, ELEMENTSOF(want));
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, NULL, NULL, NULL), 0);
    tdx_measurements_free(m);
    free(uki);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("disk-boot");
    TCase *tc = tcase_create("disk-boot");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, registers_of_a_stub_257_boot);
    tcase_add_test(tc, stub_versions_and_layouts);
    tcase_add_test(tc, old_kernels_do_not_measure_into_rtmr2);
    tcase_add_test(tc, pcr_signature_sections_make_rtmr2_unknown);
    tcase_add_test(tc, inputs_and_options_are_checked);
    tcase_add_test(tc, labelled_paths_are_relative);
    tcase_add_test(tc, rtmr0_from_captured_boot_variables);
    tcase_add_test(tc, captured_boot_variables_are_checked);
    tcase_add_test(tc, boot_variables_of_a_real_capture);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
