/* SPDX-License-Identifier: MIT */
/*
 * A UKI booted by OVMF from a GPT disk's ESP: each RTMR recomputed here from
 * the bytes the test laid out (the GPT, the action strings, the sections,
 * the command line as UTF-16) and folded independently, for the stub
 * versions whose rules differ; and the inputs the function refuses.
 */
#include <errno.h>
#include <stdlib.h>

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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
