/* SPDX-License-Identifier: MIT */
/*
 * Authenticode and UKI vTPM PCRs: flashbots/measured-boot's fixture and
 * vectors, the digests a real GCP UKI boot logged, and every way a PE
 * header can lie about where its data is.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "image-builder.h"
#include "measure-helpers.h"
#include "measure/digest.h"
#include "measure/pe.h"
#include "strbuf.h"
#include "tdxhost/tdxhost.h"

#define UKI TESTDATA("pe/measured-boot_uki.efi")

static char *dir;

static void setup(void)
{
    dir = tmpdir_new();
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

static char *save(const char *name, const void *data, size_t size)
{
    return save_file(dir, name, data, size);
}

static uint8_t *load(const char *path, size_t *size)
{
    uint8_t *p = (uint8_t *)read_text(path, size);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int auth(const uint8_t *p, size_t n, tdx_hash_alg alg, char *hex, tdx_error *err)
{
    uint8_t d[64];
    int r = tdx_pe_authenticode_buffer(p, n, "pe", alg, d, sizeof(d), err);
    if (r > 0)
        to_hex(d, (size_t)r, hex);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Authenticode                                                              */

/* measured-boot's fixture has a gap between its headers and first section;
 * the PE rule hashes from SizeOfHeaders + raw sizes to the end, which covers
 * the last sections twice. measured-boot's vector (d343be62...) does so. */
START_TEST(fixture_uki_matches_measured_boot)
{
    uint8_t d[48];
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(tdx_pe_authenticode(UKI, TDX_HASH_SHA256, d, sizeof(d), &err), 32);
    ck_assert_hex(d, 32, "d343be6265eb3e23f78b0ae096bff334e37a760ae830736283f9b0268ecedcf2");
    ck_assert_int_eq(tdx_pe_authenticode(UKI, TDX_HASH_SHA384, d, sizeof(d), &err), 48);
    ck_assert_int_eq(tdx_pe_authenticode(UKI, TDX_HASH_SHA384, d, 32, &err), -EINVAL);
    ck_assert_contains(err.message, "too small");
}
END_TEST

/* measured-boot extract_test.go: SHA-256 of each section as loaded. */
START_TEST(fixture_sections_match_measured_boot)
{
    static const struct { const char *name, *sha256; } v[] = {
        { ".linux", "01e5cee2d18eaace36b5bc394f7031aae1668e4a7f7cc0e949525ea65c40f795" },
        { ".osrel", "6583801da29b3b740f0eb0c427d5b8520bfbf7ff6369c22ef2f4c480f0ea99fc" },
        { ".cmdline", "f047d03a36f0de1f77916c2aab8877a9d880acf917683cc77b7c01df18b131c7" },
        { ".initrd", "4e50306a0784471f02de7e54d90fdca10e8e12eccc2d7a9d9702f6e738e1c2ca" },
        { ".uname", "32d59d990e9c1f7da554cb888e3238ac6193e5e7230f99b197138dd723c0ebb6" },
        { ".sbat", "6630fb7d5baf9d6cd51c9ac95410e68aa3fedb4addd42b340e4711e23cccd4b2" },
        { ".pcrsig", "cc41a548bd0203174939f50c3df17759b813b531b0563e9120556cf72501a326" },
    };
    struct source s;
    struct pe_image pe;
    tdx_hash_alg alg = TDX_HASH_SHA256;

    ck_assert_int_eq(source_open(&s, UKI, NULL), 0);
    ck_assert_int_eq(pe_parse(&s, &pe, NULL), 0);
    ck_assert_uint_eq(pe.n_sections, 17);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct hashset hs;
        uint8_t d[1][TDX_DIGEST_MAX];
        const struct pe_section *sec = pe_find_section(&pe, v[i].name);
        ck_assert_ptr_nonnull(sec);
        ck_assert_int_eq(hashset_init(&hs, &alg, 1, NULL), 0);
        ck_assert_int_eq(pe_hash_section_memory(&s, sec, &hs, NULL), 0);
        ck_assert_int_eq(hashset_final(&hs, d, NULL), 0);
        hashset_free(&hs);
        ck_assert_hex(d[0], 32, v[i].sha256);
    }
    pe_image_free(&pe);
    source_close(&s);
}
END_TEST

START_TEST(excluded_and_trailing_bytes)
{
    size_t n;
    uint8_t *k = ib_bzimage("6.10.0", 0x2000, 0, &n), *longer;
    char a[129], b[129];

    ck_assert_int_eq(auth(k, n, TDX_HASH_SHA256, a, NULL), 32);
    /* CheckSum is not hashed. */
    k[0x58 + 64] ^= 0xff;
    ck_assert_int_eq(auth(k, n, TDX_HASH_SHA256, b, NULL), 32);
    ck_assert_str_eq(a, b);
    /* Data after the last section is hashed when there is no certificate table... */
    longer = calloc(1, n + 13);
    memcpy(longer, k, n);
    ck_assert_int_eq(auth(longer, n + 13, TDX_HASH_SHA256, b, NULL), 32);
    ck_assert_str_ne(a, b);
    longer[n + 5] = 1;
    ck_assert_int_eq(auth(longer, n + 13, TDX_HASH_SHA256, a, NULL), 32);
    ck_assert_str_ne(a, b);
    free(longer);
    free(k);

    /* ... and the certificate table at the end is not. */
    k = ib_bzimage("6.10.0", 0x2000, 0x40, &n);
    ck_assert_int_eq(auth(k, n, TDX_HASH_SHA384, a, NULL), 48);
    k[n - 1] ^= 0xff;
    ck_assert_int_eq(auth(k, n, TDX_HASH_SHA384, b, NULL), 48);
    ck_assert_str_eq(a, b);
    /* Without the table, the digest is that of the file cut before it. */
    ck_assert_int_eq(auth(k, n - 0x40, TDX_HASH_SHA384, b, NULL), -EINVAL);  /* the entry now points past the end */
    free(k);
}
END_TEST

struct lie {
    const char *what;
    size_t offset, width;
    uint64_t value;
    const char *message;
};

START_TEST(lying_headers_are_errors)
{
    static const struct lie lies[] = {
        { "MZ", 0, 1, 'X', "no \"MZ\" signature" },
        { "e_lfanew", 0x3c, 4, 0x7fffff00, "e_lfanew at 0x3c" },
        { "PE signature", 0x40, 1, 'X', "no \"PE\\0\\0\" signature" },
        { "SizeOfOptionalHeader", 0x54, 2, 1000, "SizeOfOptionalHeader 1000" },
        { "magic", 0x58, 2, 0x30b, "neither PE32" },
        { "NumberOfRvaAndSizes", 0x58 + 108, 4, 17, "NumberOfRvaAndSizes 17" },
        { "SizeOfHeaders", 0x58 + 60, 4, 0x7fffffff, "SizeOfHeaders 0x7fffffff" },
        { "SizeOfHeaders small", 0x58 + 60, 4, 0x10, "must cover the optional header" },
        { "NumberOfSections", 0x46, 2, 5000, "NumberOfSections 5000" },
        { "SizeOfRawData", 0x58 + 160 + 40 + 16, 4, 0x7fffffff, "section 1 \".text\": raw data" },
        { "PointerToRawData", 0x58 + 160 + 20, 4, 0xfffffff0, "section 0 \".setup\": raw data" },
        { "certificate table", 0x58 + 112 + 36, 4, 0x10000000, "certificate table (data directory 4)" },
        { "overlapping sections", 0x58 + 160 + 16, 4, 0x3000, "they overlap" },
    };
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        size_t n;
        uint8_t *k = ib_bzimage("6.10.0", 0x2000, 0x40, &n);
        tdx_error err = TDX_ERROR_INIT;
        char hex[129];

        for (size_t b = 0; b < lies[i].width; b++)
            k[lies[i].offset + b] = (uint8_t)(lies[i].value >> (8 * b));
        ck_assert_msg(auth(k, n, TDX_HASH_SHA256, hex, &err) == -EINVAL, "%s accepted", lies[i].what);
        ck_assert_msg(strstr(err.message, lies[i].message), "%s: %s", lies[i].what, err.message);
        free(k);
    }
}
END_TEST

/* Every prefix of the fixture is refused with a message, never read past. */
START_TEST(truncated_images_are_errors)
{
    size_t n;
    uint8_t *p = load(UKI, &n);
    for (size_t cut = 0; cut < n; cut += cut < 0x800 ? 1 : 97) {
        tdx_error err = TDX_ERROR_INIT;
        char hex[129];
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, p, cut);
        ck_assert_msg(auth(copy, cut, TDX_HASH_SHA256, hex, &err) == -EINVAL, "prefix of %zu bytes accepted", cut);
        ck_assert_msg(strstr(err.message, "pe: "), "%s", err.message);
        free(copy);
    }
    free(p);
}
END_TEST

START_TEST(pe_hash_file_errors)
{
    uint8_t d[64];
    tdx_error err = TDX_ERROR_INIT;
    char *missing;

    ck_assert(asprintf(&missing, "%s/none.efi", dir) > 0);
    ck_assert_int_eq(tdx_pe_authenticode(missing, TDX_HASH_SHA256, d, sizeof(d), &err), -ENOENT);
    ck_assert_contains(err.message, "none.efi: cannot open");
    ck_assert_int_eq(tdx_pe_authenticode(dir, TDX_HASH_SHA256, d, sizeof(d), &err), -EISDIR);
    ck_assert_int_eq(tdx_pe_authenticode(UKI, 0x99, d, sizeof(d), &err), -EINVAL);
    ck_assert_contains(err.message, "unknown hash algorithm");
    free(missing);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* UKI: vTPM PCRs                                                            */

static size_t pcr_events(const tdx_measurements *m, const char *reg, const char **desc, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurement_event e;
        tdx_measurements_event(m, i, &e);
        if (!strcmp(e.register_name, reg) && n < max)
            desc[n++] = e.description;
    }
    return n;
}

START_TEST(uki_needs_a_stub_version)
{
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;

    /* The fixture's .sdmagic is "fake-loader", not systemd-stub. */
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "fake-loader");
    ck_assert_contains(err.message, "--stub-version");
}
END_TEST

START_TEST(uki_pcr11_follows_the_stub_version)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    const char *d[32];
    size_t n;

    o.stub_version = 254;
    ck_assert_msg(tdx_measure_uki_tpm(&m, UKI, &o, &err) == 0, "%s", err.message);
    n = pcr_events(m, "pcr11", d, 32);
    /* 8 sections (name + data), then 4 phase words; ".pcrkey" is not a section systemd knows. */
    ck_assert_uint_eq(n, 8 * 2 + 4);
    static const char *const order[] = { ".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".uname", ".sbat" };
    for (size_t i = 0; i < 8; i++) {
        ck_assert_msg(!strncmp(d[2 * i], order[i], strlen(order[i])) && d[2 * i][strlen(order[i])] == ' ',
                      "event %zu: %s", 2 * i, d[2 * i]);
    }
    ck_assert_contains(d[16], "enter-initrd");
    ck_assert_contains(d[19], "ready");
    tdx_measurements_free(m);

    o.stub_version = 252;
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, &err), 0);
    ck_assert_uint_eq(pcr_events(m, "pcr11", d, 32), 6 * 2 + 4);
    tdx_measurements_free(m);

    o.stub_version = 250;
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, &err), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr11", 0, NULL, NULL, NULL), -ENODATA);
    tdx_measurements_free(m);
}
END_TEST

/* Digests a real GCP UKI boot logged (dstack's tpm_eventlog.bin): the
 * boot-attempt action and separator in PCR 4, the ".linux" name in PCR 11. */
START_TEST(uki_events_match_a_real_boot_log)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_measurement_event e;
    size_t pcr4 = 0;

    o.stub_version = 255;
    o.banks = TDX_BANK_SHA256 | TDX_BANK_SHA384;
    ck_assert_msg(tdx_measure_uki_tpm(&m, UKI, &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_bank(m), TDX_HASH_SHA256);
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurements_event(m, i, &e);
        if (!strcmp(e.register_name, "pcr4") && pcr4++ < 2)
            ck_assert_hex(e.digest, 32, pcr4 == 1 ? "3d6772b4f84ed47595d72a2c4c5ffd15f5bb72c7507fe26f2aaee2c69d5633ba"
                                                  : "df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119");
    }
    /* action, separator, UKI; stubs 252..257 would add the embedded kernel,
     * but the fixture's is a PE header cut short, which firmware refuses. */
    ck_assert_uint_eq(pcr4, 3);
    {
        const char *reason = NULL;
        ck_assert_int_eq(tdx_measurements_register(m, "pcr4", 0, NULL, NULL, &reason), -ENODATA);
        ck_assert_contains(reason, "LoadImage()");
        ck_assert_contains(reason, "SizeOfHeaders");
    }
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurements_event(m, i, &e);
        if (!strcmp(e.register_name, "pcr11")) {
            ck_assert_hex(e.digest, 32, "0da293e37ad5511c59be47993769aacb91b243f7d010288e118dc90e95aaef5a");
            break;
        }
    }
    ck_assert_int_eq(tdx_measurements_register(m, "pcr11", TDX_HASH_SHA384, NULL, NULL, NULL), 0);
    tdx_measurements_free(m);

    o.stub_version = 258;   /* calls the kernel directly: no LoadImage() measurement */
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, &err), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr4", 0, NULL, NULL, NULL), 0);
    pcr4 = 0;
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurements_event(m, i, &e);
        pcr4 += !strcmp(e.register_name, "pcr4");
    }
    ck_assert_uint_eq(pcr4, 3);
    tdx_measurements_free(m);
}
END_TEST

/* PCR 9: what the kernel's stub measures: LoadOptions (.cmdline, trailing
 * whitespace dropped, UTF-16 with NUL) and the initrd. */
START_TEST(uki_pcr9_is_cmdline_and_initrd)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    size_t n;
    uint8_t *p = load(UKI, &n), reg[32] = { 0 }, d[32];
    strbuf u16 = STRBUF_INIT;
    struct source s;
    struct pe_image pe;
    const struct pe_section *c, *i;
    const uint8_t *v;
    char expected[65];

    source_buffer(&s, "uki", p, n);
    ck_assert_int_eq(pe_parse(&s, &pe, NULL), 0);
    c = pe_find_section(&pe, ".cmdline");
    i = pe_find_section(&pe, ".initrd");
    for (size_t k = 0; k < c->virtual_size && p[c->raw_offset + k]; k++) {
        strbuf_putc(&u16, (char)p[c->raw_offset + k]);
        strbuf_putc(&u16, 0);
    }
    strbuf_append(&u16, "\0\0", 2);
    ck_assert_int_eq(digest_buf(TDX_HASH_SHA256, u16.data, u16.len, d, NULL), 0);
    ck_assert_int_eq(digest_extend(TDX_HASH_SHA256, reg, d, NULL), 0);
    ck_assert_int_eq(digest_buf(TDX_HASH_SHA256, p + i->raw_offset, i->virtual_size, d, NULL), 0);
    ck_assert_int_eq(digest_extend(TDX_HASH_SHA256, reg, d, NULL), 0);

    o.stub_version = 254;
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr9", 0, &v, NULL, NULL), 0);
    ck_assert_hex(v, 32, to_hex(reg, 32, expected));
    tdx_measurements_free(m);
    strbuf_free(&u16);
    pe_image_free(&pe);
    free(p);
}
END_TEST

START_TEST(uki_refuses_what_it_cannot_model)
{
    static const uint8_t huge[4] = { 0, 0, 0, 0x40 };  /* VirtualSize 1 GiB */
    size_t n;
    uint8_t *p = load(UKI, &n);
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *path;
    uint8_t *name;

    o.stub_version = 257;
    /* Rename .dtb and .splash to .profile: two profiles. */
    name = memmem(p, 0x600, ".dtb\0\0\0\0", 8);
    memcpy(name, ".profile", 8);
    name = memmem(p, 0x600, ".splash\0", 8);
    memcpy(name, ".profile", 8);
    path = save("multi.efi", p, n);
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, path, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "multi-profile");
    free(path);
    free(p);
    /* No .linux: not a UKI. */
    p = load(UKI, &n);
    name = memmem(p, 0x600, ".linux\0\0", 8);
    memcpy(name, ".linuy\0\0", 8);
    path = save("nolinux.efi", p, n);
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, path, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "not a unified kernel image");
    free(path);
    free(p);
    /* A section claiming far more memory than data would be hashed as zeros. */
    p = load(UKI, &n);
    name = memmem(p, 0x600, ".osrel\0\0", 8);
    memcpy(name + 8, huge, 4);
    path = save("huge.efi", p, n);
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, path, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "VirtualSize 0x40000000 exceeds its raw data");
    free(path);
    free(p);
    o.banks = 0x10;
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, &err), -EINVAL);
}
END_TEST

START_TEST(uki_output_formats)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    json_t *root;

    o.stub_version = 254;
    ck_assert_int_eq(tdx_measure_uki_tpm(&m, UKI, &o, NULL), 0);
    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_CVM_REVERSE_PROXY, NULL, &text, NULL, NULL), 0);
    root = json_loads(text, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(root, 0), "attestation_type")), "azure-tdx");
    /* PCR 4 is unknown (see above), so only 9 and 11 are listed. */
    ck_assert_uint_eq(json_object_size(json_object_get(json_array_get(root, 0), "measurements")), 2);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(json_array_get(root, 0), "measurements"), "11"));
    json_decref(root);
    tdx_free(text);
    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_DSTACK, NULL, &text, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "not vTPM PCRs");
    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &text, NULL, NULL), 0);
    root = json_loads(text, 0, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(root, "phases")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(root, "phases"), 4), "phase")),
                     "enter-initrd:leave-initrd:sysinit:ready");
    json_decref(root);
    tdx_free(text);
    tdx_measurements_free(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pe");
    TCase *tc = tcase_create("pe");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fixture_uki_matches_measured_boot);
    tcase_add_test(tc, fixture_sections_match_measured_boot);
    tcase_add_test(tc, excluded_and_trailing_bytes);
    tcase_add_test(tc, lying_headers_are_errors);
    tcase_add_test(tc, truncated_images_are_errors);
    tcase_add_test(tc, pe_hash_file_errors);
    tcase_add_test(tc, uki_needs_a_stub_version);
    tcase_add_test(tc, uki_pcr11_follows_the_stub_version);
    tcase_add_test(tc, uki_events_match_a_real_boot_log);
    tcase_add_test(tc, uki_pcr9_is_cmdline_and_initrd);
    tcase_add_test(tc, uki_refuses_what_it_cannot_model);
    tcase_add_test(tc, uki_output_formats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
