/* SPDX-License-Identifier: MIT */
/*
 * Direct-boot measurements: TDVF metadata, MRTD, the TD HOB (against
 * oasisprotocol/cli's vectors and the dstack event log), RTMR0-3 event by
 * event, the options, and the output formats.
 */
#include <cbor.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-builder.h"
#include "measure-helpers.h"
#include "measure/digest.h"
#include "measure/tdvf.h"
#include "tdxhost/tdxhost.h"

#define MIB (1024ULL * 1024)

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                  */

static uint8_t bfv[0x4000], cfv[0x2000];

/* Debian 12's OVMF.fd TDVF layout (and oasis' test layout), with small volumes. */
static struct synth_section debian_layout[] = {
    { 0, 1, 0xffe20000, 0x4000, bfv, sizeof(bfv) },
    { 1, 0, 0xffe00000, 0x2000, cfv, sizeof(cfv) },
    { 3, 0, 0x810000, 0x10000, NULL, 0 },
    { 3, 0, 0x80b000, 0x2000, NULL, 0 },
    { 2, 0, 0x809000, 0x2000, NULL, 0 },
    { 3, 0, 0x800000, 0x6000, NULL, 0 },
};

/* The layout of the firmware in dstack's ccel.bin sample: Debian's, with the
 * first TempMem at 0x811000+0xf000 instead of 0x810000+0x10000. */
static struct synth_section dstack_layout[6];

static char *dir;

static void setup(void)
{
    for (size_t i = 0; i < sizeof(bfv); i++)
        bfv[i] = (uint8_t)(i * 31 + 7);
    ib_empty_varstore(cfv, sizeof(cfv));
    memcpy(dstack_layout, debian_layout, sizeof(dstack_layout));
    dstack_layout[2].address = 0x811000;
    dstack_layout[2].size = 0xf000;
    dir = tmpdir_new();
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

static char *write_file(const char *name, const void *data, size_t size)
{
    return save_file(dir, name, data, size);
}

static char *firmware_file(const struct synth_section *layout, size_t n)
{
    size_t size;
    uint8_t *fw = ib_tdvf(layout, n, &size);
    char *path;

    ck_assert_ptr_nonnull(fw);
    path = write_file("OVMF.fd", fw, size);
    free(fw);
    return path;
}

static char *kernel_file(const char *version, uint8_t **copy, size_t *size)
{
    uint8_t *k = ib_bzimage(version, 0x3000, 0, size);
    char *path = write_file("vmlinuz", k, *size);
    if (copy)
        *copy = k;
    else
        free(k);
    return path;
}

static void parse_layout(const struct synth_section *layout, size_t n, struct tdvf *md, uint8_t **fw, size_t *size)
{
    tdx_error err = TDX_ERROR_INIT;
    *fw = ib_tdvf(layout, n, size);
    ck_assert_msg(tdvf_parse(*fw, *size, "fw", md, &err) == 0, "%s", err.message);
}

static void td_hob_digest(const struct synth_section *layout, size_t n, uint64_t mib, char *hex)
{
    struct tdvf md;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *fw, *hob, d[48];
    size_t size, len;
    uint64_t addr;

    parse_layout(layout, n, &md, &fw, &size);
    ck_assert_msg(td_hob_build(&md, mib * MIB, &hob, &len, &addr, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(addr, 0x809000);
    ck_assert_int_eq(digest_buf(TDX_HASH_SHA384, hob, len, d, &err), 0);
    to_hex(d, 48, hex);
    free(hob);
    free(fw);
    tdvf_free(&md);
}

/* The digest of event `index` of a register. */
static const char *event_digest(const tdx_measurements *m, const char *reg, size_t index, char *hex)
{
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurement_event e;
        tdx_measurements_event(m, i, &e);
        if (strcmp(e.register_name, reg) == 0 && index-- == 0)
            return to_hex(e.digest, e.digest_size, hex);
    }
    return "(none)";
}

static size_t event_count(const tdx_measurements *m, const char *reg)
{
    size_t n = 0;
    for (size_t i = 0; i < tdx_measurements_event_count(m); i++) {
        tdx_measurement_event e;
        tdx_measurements_event(m, i, &e);
        n += strcmp(e.register_name, reg) == 0;
    }
    return n;
}

static const char *reg_hex(const tdx_measurements *m, const char *name, char *hex)
{
    const uint8_t *v;
    size_t n;
    if (tdx_measurements_register(m, name, 0, &v, &n, NULL) != 0)
        return "(unknown)";
    return to_hex(v, n, hex);
}

static void sha384_hex(const void *data, size_t size, char *hex)
{
    uint8_t d[48];
    ck_assert_int_eq(digest_buf(TDX_HASH_SHA384, data, size, d, NULL), 0);
    to_hex(d, 48, hex);
}

/* The 2048 MiB etc/acpi/tables blob with its PCI32 window moved for another
 * memory size, as oasis' generator does; checked against oasis' vectors. */
static char *acpi_tables_for(uint64_t mib)
{
    static const uint8_t window2048[16] = { 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xdf, 0, 0, 0, 0, 0, 0, 0, 0x60 };
    char *data, *path, name[32];
    size_t size;
    uint8_t *p;
    uint32_t mem = (uint32_t)(mib * MIB);

    data = read_text(TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-tables"), &size);
    ck_assert_ptr_nonnull(data);
    p = memmem(data, size, window2048, sizeof(window2048));
    ck_assert_ptr_nonnull(p);
    ib_le32(p, mib >= 2816 ? 0x80000000u : mem);
    ib_le32(p + 12, mib >= 2816 ? 0x60000000u : 0xe0000000u - mem);
    snprintf(name, sizeof(name), "tables-%llu", (unsigned long long)mib);
    path = write_file(name, data, size);
    free(data);
    return path;
}

/* ------------------------------------------------------------------------ */
/* TD HOB                                                                    */

/* oasisprotocol/cli build/measurement/tdx_qemu_test.go, "as computed by OVMF". */
START_TEST(td_hob_matches_oasis_vectors)
{
    static const struct { uint64_t mib; const char *sha384; } v[] = {
        { 512, "00934f9ff0a0f65e41109afb9a7c5a0719f567f32514aeaef4c23c8535793f7064a2c69738a2000500ffae6ba349a153" },
        { 640, "62f2fe0fb274f5e0530e5cefd0e547321f19e5989a73711853ddd9e4b3feb1474d6ed46ba4f3a362d01096643665a537" },
        { 1024, "1055c9b9a1fc534e688560e2304e18c8597b7261818cf61fb163d40c130547309b750575947a4dcaedbdce4b8d0535f2" },
        { 2048, "0b8772e5b0b41b83e6044a68397e02f49fb47066b4fbe4917ea2c45c64f323fdacbb37948f821ebaf8bc9c938ba8a749" },
        { 2064, "149c7f16b4a8fd0f45c908eec2cb8bb55b557a0bb7265f5e90055649599511a5d7219b59f8b1c2eca42eb861de19b160" },
        { 2560, "e05c12e2a65d57b3ff1f70abd2ae689c7e9096558dc28122befbcecad4a9d6d4569652e5c0298ee381bee5febeecbaa6" },
        { 2624, "190cd2f908ac59d9ca2236d69e5e2d8c0b58648229d970331c53c329239f592efa6d437716b6e96f3467bb234c83f37a" },
        { 2688, "7386292d589c0cada5ed97b0738e3606eb7fa9920e588d75b68118ec7e4ec7538dd3f6cdf531368d03f0713064b45197" },
        { 2815, "51d4fd91da99cc87d6826bd6177fe8c74790b01b6a315d7ca2639d9d1df9e7835a2251b8e69ecef132b6b0302040f25e" },
        { 2816, "8eb1a02074362aa0761541cdb4dc3f1788dfeb4538803b241477848e26de294dbe917ab56c5628732679b3abc168c2de" },
        { 3072, "798f84285da30f6c295fbb73e3c093cf13164b6ad9d547a123b8d4d305f87a027caaba88e4cfd684ed7b424f37811a2e" },
        { 4096, "5b684faf8d02a733945f821d9cdd170802e72103977acf66949c9382500283adc90cbec57f8e7653f8bee1cab83689de" },
        { 5120, "757f23ac59db87c10d7d01cd92792f9dde979862da0b750ff22e2b61a1cd7e3456f55a41d3e3bcb52ee2007e59b8b0a1" },
        { 8192, "2e070cda358b5aa00f27cca25c47381bb564f4be3a84d059805a73cbbde764ed8341f7e09915b5e7b370f9c08a743fbd" },
        { 16384, "cd2312a0d87ef3c4a928df87088969a80b33d7bf3fc584bdde637b09ed808a8d821a56b78a13a6eb506db7578444abbe" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char hex[97];
        td_hob_digest(debian_layout, 6, v[i].mib, hex);
        ck_assert_msg(strcmp(hex, v[i].sha384) == 0, "%llu MiB: %s", (unsigned long long)v[i].mib, hex);
    }
}
END_TEST

/* The TD HOB event of dstack's ccel.bin (1 vCPU, 1 GiB, its own TempMem layout). */
START_TEST(td_hob_matches_dstack_log)
{
    char hex[97];
    td_hob_digest(dstack_layout, 6, 1024, hex);
    ck_assert_str_eq(hex, "2b630fa1d8fa9b6e8c6507d2256803ed227888f7d1f62ca5cfbddfe495338b1c6a0fc339ea64700f0835c0897a662789");
}
END_TEST

START_TEST(td_hob_needs_room_for_the_sections)
{
    struct tdvf md;
    tdx_error err = TDX_ERROR_INIT;
    uint8_t *fw, *hob = NULL;
    size_t size, len;
    uint64_t addr;

    parse_layout(debian_layout, 6, &md, &fw, &size);
    ck_assert_int_eq(td_hob_build(&md, 8 * MIB, &hob, &len, &addr, &err), -EINVAL);
    ck_assert_contains(err.message, "does not lie inside the guest RAM of 8 MiB");
    free(fw);
    tdvf_free(&md);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* TDVF metadata                                                             */

struct corruption {
    const char *what;
    long offset;        /* from the descriptor (>= 0) or from the end of the image (< 0) */
    size_t width;
    uint64_t value;
    const char *message;
};

START_TEST(tdvf_rejects_corrupt_metadata)
{
    static const struct corruption c[] = {
        { "footer GUID", -48, 1, 0x00, "footer GUID 96b582de" },
        { "table length", -50, 2, 0xffff, "OVMF GUID table length" },
        { "entry length", -68, 2, 3, "entry length 3" },
        { "metadata offset", -72, 4, 0x7fffffff, "points outside the image" },
        { "metadata GUID", -16, 1, 0x00, "TDX metadata GUID e9eaf9f3" },
        { "signature", 0, 1, 'X', "no \"TDVF\" signature" },
        { "version", 8, 4, 2, "metadata version 2" },
        { "section count", 12, 4, 0, "lists 0 sections" },
        { "length", 4, 4, 99, "does not match 6 sections" },
        { "BFV data offset", 16, 4, 0x7ffffff0, "data (offset 0x7ffffff0" },
        { "BFV size", 16 + 16, 8, 0x4001, "multiples of 4 KiB" },
        { "BFV huge", 16 + 16, 8, 0x40000000, "MemoryDataSize 0x40000000 is larger than any firmware section" },
        { "TempMem huge", 16 + 64 + 16, 8, 0x100000000ULL, "MemoryDataSize 0x100000000" },
        { "CFV raw size", 16 + 32 + 4, 4, 0x3000, "RawDataSize 0x3000 exceeds MemoryDataSize" },
        { "section type", 16 + 24, 4, 9, "unknown type 9" },
        { "attributes", 16 + 28, 4, 0x10, "unknown attributes 0x10" },
        { "TempMem MR.EXTEND", 16 + 64 + 28, 4, 1, "must carry no data and no MR.EXTEND" },
        { "second TD_HOB", 16 + 64 + 24, 4, 2, "2 TD_HOB sections" },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct tdvf md;
        tdx_error err = TDX_ERROR_INIT;
        size_t size = 0, desc = sizeof(bfv) + sizeof(cfv) + 16, at;
        uint8_t *fw = ib_tdvf(debian_layout, 6, &size);

        at = c[i].offset >= 0 ? desc + (size_t)c[i].offset : size - (size_t)(-c[i].offset);
        if (c[i].offset == -16)
            at = desc - 16;
        for (size_t k = 0; k < c[i].width; k++)
            fw[at + k] = (uint8_t)(c[i].value >> (8 * k));
        ck_assert_msg(tdvf_parse(fw, size, "fw", &md, &err) == -EINVAL, "%s accepted", c[i].what);
        ck_assert_msg(strstr(err.message, c[i].message), "%s: %s", c[i].what, err.message);
        free(fw);
    }
}
END_TEST

START_TEST(tdvf_rejects_images_without_metadata)
{
    tdx_error err = TDX_ERROR_INIT;
    struct tdvf md;
    uint8_t junk[256] = { 0 };

    ck_assert_int_eq(tdvf_parse(junk, 10, "tiny", &md, &err), -EINVAL);
    ck_assert_contains(err.message, "too small");
    ck_assert_int_eq(tdvf_parse(junk, sizeof(junk), "zeros", &md, &err), -EINVAL);
    ck_assert_contains(err.message, "no OVMF GUID table");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* MRTD                                                                      */

static void mrtd_hex(const struct synth_section *layout, size_t n, tdx_mrtd_order order, char *hex)
{
    struct tdvf md;
    uint8_t *fw, out[48];
    size_t size;

    parse_layout(layout, n, &md, &fw, &size);
    ck_assert_int_eq(tdvf_mrtd(fw, &md, order, out, NULL), 0);
    to_hex(out, 48, hex);
    free(fw);
    tdvf_free(&md);
}

START_TEST(mrtd_order_and_attributes_matter)
{
    struct synth_section s[6];
    char a[97], b[97], c[97];

    memcpy(s, debian_layout, sizeof(s));
    mrtd_hex(s, 6, TDX_MRTD_PER_PAGE, a);
    mrtd_hex(s, 6, TDX_MRTD_TWO_PASS, b);
    ck_assert_str_ne(a, b);
    /* Single-page extended sections are the same in both orders. */
    s[0].size = 0x1000;
    s[0].data_size = 0x1000;
    mrtd_hex(s, 1, TDX_MRTD_PER_PAGE, a);
    mrtd_hex(s, 1, TDX_MRTD_TWO_PASS, b);
    ck_assert_str_eq(a, b);
    /* A PAGE.AUG section adds no pages. */
    memcpy(s, debian_layout, sizeof(s));
    mrtd_hex(s, 1, TDX_MRTD_PER_PAGE, a);
    s[1] = (struct synth_section){ 3, 2, 0x900000, 0x4000, NULL, 0 };
    mrtd_hex(s, 2, TDX_MRTD_PER_PAGE, b);
    ck_assert_str_eq(a, b);
    /* Memory past the raw data is extended as zeros. */
    s[1] = debian_layout[0];
    s[1].address = 0xffd00000;
    s[1].size = 0x5000;
    mrtd_hex(s, 2, TDX_MRTD_PER_PAGE, c);
    {
        static uint8_t padded[0x5000];
        memcpy(padded, bfv, sizeof(bfv));
        s[1].data = padded;
        s[1].data_size = sizeof(padded);
        mrtd_hex(s, 2, TDX_MRTD_PER_PAGE, b);
    }
    ck_assert_str_eq(b, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Direct boot                                                               */

static int measure(tdx_measurements **m, const char *fw, const char *kernel, const tdx_measure_options *o,
                   tdx_error *err)
{
    return tdx_measure_direct_boot(m, fw, kernel, o, err);
}

START_TEST(rtmr0_is_null_without_acpi_blobs)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    const char *reason = NULL;

    ck_assert_msg(measure(&m, fw, k, NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_register_count(m), 5);
    ck_assert_str_eq(tdx_measurements_register_name(m, 0), "mrtd");
    ck_assert_str_eq(tdx_measurements_register_name(m, 4), "rtmr3");
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, NULL, NULL, &reason), -ENODATA);
    ck_assert_contains(reason, "ACPI blobs");
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr1", 0, NULL, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr4", 0, NULL, NULL, NULL), -ENOENT);
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

/* The firmware-side RTMR0 events against the ones in dstack's ccel.bin:
 * every digest equal except the CFV (that firmware's 4 MiB variable store;
 * check-measure-debian.sh reproduces the whole register with it). */
START_TEST(rtmr0_events_match_the_dstack_log)
{
    char *fw = firmware_file(dstack_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    char *tables = acpi_tables_for(1024), hex[97], expected[97];
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL, *log = NULL;
    tdx_eventlog *el = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *report = NULL;

    o.memory = 1024 * MIB;
    o.event_layout = TDX_EVENT_LAYOUT_202411;
    o.acpi_tables = tables;
    o.acpi_rsdp = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-rsdp");
    o.acpi_loader = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-table-loader");
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_eventlog_load_file(&el, TESTDATA("eventlogs/dstack_ccel.bin"), NULL, &err), 0);
    ck_assert_int_eq(tdx_eventlog_replay(el, &log, &err), 0);
    ck_assert_uint_eq(event_count(m, "rtmr0"), event_count(log, "rtmr0"));
    for (size_t i = 0; i < event_count(log, "rtmr0"); i++) {
        event_digest(log, "rtmr0", i, expected);
        if (i == 1)
            ck_assert_str_ne(event_digest(m, "rtmr0", i, hex), expected);
        else
            ck_assert_msg(strcmp(event_digest(m, "rtmr0", i, hex), expected) == 0, "rtmr0 event %zu: %s", i, hex);
    }
    /* RTMR1 has the same shape; only the kernel differs. */
    ck_assert_uint_eq(event_count(m, "rtmr1"), event_count(log, "rtmr1"));
    for (size_t i = 1; i < event_count(log, "rtmr1"); i++)
        ck_assert_str_eq(event_digest(m, "rtmr1", i, hex), event_digest(log, "rtmr1", i, expected));
    /* A diff names the CFV as where RTMR0 parts. */
    ck_assert_int_eq(tdx_measurements_compare(log, m, &report, &err), 1);
    ck_assert_contains(report, "mrtd: not compared: event logs do not carry MRTD");
    ck_assert_contains(report, "rtmr0: differs");
    ck_assert_contains(report, "first divergent event is #2 of rtmr0");
    ck_assert_contains(report, "EV_EFI_PLATFORM_FIRMWARE_BLOB2");
    tdx_free(report);
    tdx_measurements_free(m);
    tdx_measurements_free(log);
    tdx_eventlog_free(el);
    free(fw);
    free(k);
    free(tables);
}
END_TEST

/* oasisprotocol/cli TestMeasureLog, third case: a 14-event RTMR0 for 2815 MiB
 * and 1 vCPU ending in the separator of edk2 before 202411. Every event but
 * the CFV (their 4 MiB variable store) must come out the same. */
START_TEST(rtmr0_events_match_oasis_pre_202411_vector)
{
    static const char *const v[] = {
        "51d4fd91da99cc87d6826bd6177fe8c74790b01b6a315d7ca2639d9d1df9e7835a2251b8e69ecef132b6b0302040f25e",
        "344bc51c980ba621aaa00da3ed7436f7d6e549197dfe699515dfa2c6583d95e6412af21c097d473155875ffd561d6790",
        "9dc3a1f80bcec915391dcda5ffbb15e7419f77eab462bbf72b42166fb70d50325e37b36f93537a863769bcf9bedae6fb",
        "6f2e3cbc14f9def86980f5f66fd85e99d63e69a73014ed8a5633ce56eca5b64b692108c56110e22acadcef58c3250f1b",
        "d607c0efb41c0d757d69bca0615c3a9ac0b1db06c557d992e906c6b7dee40e0e031640c7bfd7bcd35844ef9edeadc6f9",
        "08a74f8963b337acb6c93682f934496373679dd26af1089cb4eaf0c30cf260a12e814856385ab8843e56a9acea19e127",
        "18cc6e01f0c6ea99aa23f8a280423e94ad81d96d0aeb5180504fc0f7a40cb3619dd39bd6a95ec1680a86ed6ab0f9828d",
        "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9effc60e1ad9f1289f0",
        "68cd79315e70aecd4afe7c1b23a5ed7b3b8e51a477e1739f111b3156def86bbc56ebf239dcd4591bc7a9fff90023f481",
        "6bc203b3843388cc4918459c3f5c6d1300a796fb594781b7ecfaa3ae7456975f095bfcc1156c9f2d25e8b8bc1b520f66",
        "a7ced2dba0b7c273b8f6ea58dfaebf0663cd4dff2fe821e4a5019fa1bc96f02d5616b4fd5c473cbce1651f88b640146f",
        "1dd6f7b457ad880d840d41c961283bab688e94e4b59359ea45686581e90feccea3c624b1226113f824f315eb60ae0a7c",
        "23ada07f5261f12f34a0bd8e46760962d6b4d576a416f1fea1c64bc656b1d28eacf7047ae6e967c58fd2a98bfa74c298",
        "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9effc60e1ad9f1289f0",
    };
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    char *tables = acpi_tables_for(2815), hex[97];
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;

    o.memory = 2815 * MIB;
    o.acpi_tables = tables;
    o.acpi_rsdp = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-rsdp");
    o.acpi_loader = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-table-loader");
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(event_count(m, "rtmr0"), 14);
    for (size_t i = 0; i < 14; i++)
        if (i != 1)
            ck_assert_msg(strcmp(event_digest(m, "rtmr0", i, hex), v[i]) == 0, "event %zu: %s", i, hex);
    /* ... and RTMR1 of that layout has no separator. */
    ck_assert_uint_eq(event_count(m, "rtmr1"), 4);
    tdx_measurements_free(m);
    free(fw);
    free(k);
    free(tables);
}
END_TEST

/* QEMU <= 10.1 rewrites the setup header (x86_load_linux()); the kernel
 * event must be the Authenticode digest of the file with exactly those
 * bytes changed. The expected bytes are written here from QEMU's rules. */
START_TEST(rtmr1_kernel_is_measured_as_qemu_serves_it)
{
    char *fw = firmware_file(debian_layout, 6), *k, *initrd, hex[97], expected[97];
    uint8_t *kernel, *initrd_data, d[48];
    size_t ksize, isize = 123457;
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    uint32_t initrd_max, addr;

    k = kernel_file("6.10.0-test", &kernel, &ksize);
    initrd_data = calloc(1, isize);
    initrd = write_file("initrd", initrd_data, isize);
    o.initrd = initrd;
    o.cmdline = "console=hvc0 vga=0x317";
    o.memory = 2560 * MIB;
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);

    kernel[0x1fa] = 0x17;                   /* vid_mode from vga=0x317 */
    kernel[0x1fb] = 0x03;
    kernel[0x210] = 0xb0;                   /* type_of_loader */
    kernel[0x211] |= 0x80;                  /* CAN_USE_HEAP */
    ib_le32(kernel + 0x224, 0xfe00);        /* heap_end_ptr = cmdline - real - 0x200 */
    ib_le32(kernel + 0x228, 0x20000);       /* cmd_line_ptr */
    initrd_max = 2560u * 1024 * 1024 - 0x28000 - 1;  /* below 4 GiB minus ACPI data */
    addr = (initrd_max - (uint32_t)isize) & ~4095u;
    ib_le32(kernel + 0x218, addr);
    ib_le32(kernel + 0x21c, (uint32_t)isize);
    ck_assert_int_eq(tdx_pe_authenticode_buffer(kernel, ksize, "k", TDX_HASH_SHA384, d, sizeof(d), &err), 48);
    ck_assert_str_eq(event_digest(m, "rtmr1", 0, hex), to_hex(d, 48, expected));
    tdx_measurements_free(m);

    /* QEMU 10.2 serves the file unchanged. */
    o.qemu_version = "10.2";
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_pe_authenticode(k, TDX_HASH_SHA384, d, sizeof(d), &err), 48);
    ck_assert_str_eq(event_digest(m, "rtmr1", 0, hex), to_hex(d, 48, expected));
    tdx_measurements_free(m);
    free(kernel);
    free(initrd_data);
    free(fw);
    free(k);
    free(initrd);
}
END_TEST

START_TEST(rtmr1_and_rtmr0_follow_the_event_layout)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 }), hex[97];
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;

    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    ck_assert_uint_eq(event_count(m, "rtmr1"), 4);
    ck_assert_str_eq(event_digest(m, "rtmr1", 1, hex),
                     "77a0dab2312b4e1e57a84d865a21e5b2ee8d677a21012ada819d0a98988078d3d740f6346bfe0abaa938ca20439a8d71");
    tdx_measurements_free(m);
    o.event_layout = TDX_EVENT_LAYOUT_202411;
    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    ck_assert_uint_eq(event_count(m, "rtmr1"), 5);
    ck_assert_str_eq(event_digest(m, "rtmr1", 2, hex),
                     "394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9effc60e1ad9f1289f0");
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(rtmr2_holds_cmdline_and_initrd)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 }), *initrd;
    static const char cmdline[] = "root=/dev/vda ro";
    char hex[97], expected[97];
    uint8_t utf16[2 * sizeof(cmdline) + 2 * 15], data[4096];
    size_t n = 0;
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    const char *full = "root=/dev/vda ro initrd=initrd";

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    initrd = write_file("initrd", data, sizeof(data));
    for (const char *p = full; *p; p++) {
        utf16[n++] = (uint8_t)*p;
        utf16[n++] = 0;
    }
    utf16[n++] = 0;
    utf16[n++] = 0;
    o.cmdline = cmdline;
    o.initrd = initrd;
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(event_count(m, "rtmr2"), 2);
    sha384_hex(utf16, n, expected);
    ck_assert_str_eq(event_digest(m, "rtmr2", 0, hex), expected);
    sha384_hex(data, sizeof(data), expected);
    ck_assert_str_eq(event_digest(m, "rtmr2", 1, hex), expected);
    tdx_measurements_free(m);
    free(k);

    /* A kernel older than 6.9 measures nothing there, and says so. */
    k = kernel_file("6.1.0-54-amd64", NULL, &(size_t){ 0 });
    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    ck_assert_uint_eq(event_count(m, "rtmr2"), 0);
    ck_assert_str_eq(reg_hex(m, "rtmr2", hex), "000000000000000000000000000000000000000000000000"
                                               "000000000000000000000000000000000000000000000000");
    {
        char *json = NULL;
        ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &json, NULL, NULL), 0);
        ck_assert_contains(json, "predates Linux 6.9");
        tdx_free(json);
        ck_assert_uint_eq(tdx_measurements_warning_count(m), 1);
        ck_assert_contains(tdx_measurements_warning(m, 0), "kernel 6.1.0-54-amd64 predates Linux 6.9");
        ck_assert_ptr_null(tdx_measurements_warning(m, 1));
    }
    tdx_measurements_free(m);
    o.kernel_measures_rtmr2 = 1;
    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    ck_assert_uint_eq(event_count(m, "rtmr2"), 2);
    tdx_measurements_free(m);
    free(fw);
    free(k);
    free(initrd);
}
END_TEST

START_TEST(rtmr3_folds_runtime_events)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    static const uint8_t payload[] = { 0xde, 0xad, 0xbe, 0xef };
    tdx_runtime_event ev[2] = { { 0, "app-id", payload, sizeof(payload) }, { 0, "system-ready", NULL, 0 } };
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    uint8_t rec[64], reg[48] = { 0 }, d[48];
    char hex[97], expected[97];
    size_t n;

    o.runtime_events = ev;
    o.n_runtime_events = 2;
    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    for (int i = 0; i < 2; i++) {
        ib_le32(rec, 0x08000001);
        n = 4;
        rec[n++] = ':';
        memcpy(rec + n, ev[i].name, strlen(ev[i].name));
        n += strlen(ev[i].name);
        rec[n++] = ':';
        if (ev[i].payload_size)
            memcpy(rec + n, ev[i].payload, ev[i].payload_size);
        n += ev[i].payload_size;
        ck_assert_int_eq(digest_buf(TDX_HASH_SHA384, rec, n, d, NULL), 0);
        ck_assert_int_eq(digest_extend(TDX_HASH_SHA384, reg, d, NULL), 0);
    }
    ck_assert_str_eq(reg_hex(m, "rtmr3", hex), to_hex(reg, 48, expected));
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(options_pick_qemu_defaults_and_are_checked)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 }), *json = NULL;
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;

    o.qemu_version = "8.2.2";
    ck_assert_int_eq(measure(&m, fw, k, &o, NULL), 0);
    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &json, NULL, NULL), 0);
    ck_assert_contains(json, "\"mrtd_order\": \"two-pass\"");
    ck_assert_contains(json, "\"kernel_header\": \"patched");
    tdx_free(json);
    tdx_measurements_free(m);

    static const struct { const char *qemu; uint64_t memory; const char *msg; } bad[] = {
        { "7.2", 0, "QEMU before 8.0" },
        { "9.x", 0, "expected MAJOR.MINOR" },
        { "9.2.1.1", 0, "expected MAJOR.MINOR" },
        { "9.2", 2 * MIB + 1, "multiple of 4 KiB" },
        { "9.2", 4 * MIB, "at least 16 MiB" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.qemu_version = bad[i].qemu;
        o.memory = bad[i].memory;
        ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
        ck_assert_msg(strstr(err.message, bad[i].msg), "%s: %s", bad[i].qemu, err.message);
    }
    o = (tdx_measure_options)TDX_MEASURE_OPTIONS_INIT;
    o.acpi_tables = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-tables");
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "give all three");
    o.version = 99;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_measure_direct_boot: unsupported options version 99");
    ck_assert_int_eq(measure(&m, NULL, k, NULL, &err), -EINVAL);
    free(fw);
    free(k);
}
END_TEST

START_TEST(acpi_blobs_are_checked)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    const char *tables = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-tables");
    const char *rsdp = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-rsdp");
    const char *loader = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-table-loader");
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char hex[97];

    o.acpi_tables = tables;
    o.acpi_rsdp = rsdp;
    o.acpi_loader = loader;
    ck_assert_msg(measure(&m, fw, k, &o, &err) == 0, "%s", err.message);
    /* oasisprotocol/cli TestMeasureTdxQemuAcpiTables, 1 vCPU, >= 2 GiB */
    ck_assert_str_eq(event_digest(m, "rtmr0", 8, hex), "68cd79315e70aecd4afe7c1b23a5ed7b3b8e51a477e1739f111b3156def86bbc56ebf239dcd4591bc7a9fff90023f481");
    ck_assert_str_eq(event_digest(m, "rtmr0", 9, hex), "6bc203b3843388cc4918459c3f5c6d1300a796fb594781b7ecfaa3ae7456975f095bfcc1156c9f2d25e8b8bc1b520f66");
    ck_assert_str_eq(event_digest(m, "rtmr0", 10, hex), "ec9e8622a100c399d71062a945f95d8e4cdb7294e8b1c6d17a6a8d37b5084444000a78b007ef533f290243421256d25c");
    tdx_measurements_free(m);

    o.cpus = 2;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "the MADT lists 1 enabled vCPUs, but 2 were given");
    o.cpus = TDX_UNSET;
    o.acpi_tables = rsdp;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "this is an RSDP");
    o.acpi_tables = loader;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "no ACPI table signature at offset 0x0");
    o.acpi_tables = tables;
    o.acpi_rsdp = tables;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "etc-acpi-tables: not an RSDP");
    o.acpi_rsdp = rsdp;
    o.acpi_loader = rsdp;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EINVAL);
    ck_assert_contains(err.message, "not a QEMU table loader");
    free(fw);
    free(k);
}
END_TEST

START_TEST(initrd_must_fit_below_4g)
{
    char *fw = firmware_file(debian_layout, 6), *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 }), *initrd;
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    int fd;

    initrd = write_file("big-initrd", "", 0);
    fd = open(initrd, O_WRONLY);
    ck_assert_int_eq(ftruncate(fd, 100 * MIB), 0);   /* sparse: nothing is read before the check */
    close(fd);
    o.initrd = initrd;
    o.memory = 64 * MIB;
    ck_assert_int_eq(measure(&m, fw, k, &o, &err), -EFBIG);
    ck_assert_contains(err.message, "does not fit below");
    free(fw);
    free(k);
    free(initrd);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

static tdx_measurements *sample(char **fw, char **k)
{
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    *fw = firmware_file(debian_layout, 6);
    *k = kernel_file("6.10.0-test", NULL, &(size_t){ 0 });
    ck_assert_msg(measure(&m, *fw, *k, NULL, &err) == 0, "%s", err.message);
    return m;
}

START_TEST(json_has_the_registers_shape)
{
    char *fw, *k, *text = NULL, hex[97];
    tdx_measurements *m = sample(&fw, &k);
    json_t *root, *regs;
    const char *key;
    json_t *value;
    size_t i = 0;
    static const char *const order[] = { "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &text, NULL, NULL), 0);
    root = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(root);
    regs = json_object_get(root, "registers");
    ck_assert_uint_eq(json_object_size(regs), 5);
    json_object_foreach(regs, key, value) {
        ck_assert_str_eq(key, order[i++]);
        if (!strcmp(key, "rtmr0"))
            ck_assert(json_is_null(value));
        else
            ck_assert_str_eq(json_string_value(value), reg_hex(m, key, hex));
    }
    ck_assert(json_is_object(json_object_get(root, "assumptions")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(root, "assumptions"), "qemu_version")), "9.2");
    ck_assert_uint_eq(json_array_size(json_object_get(root, "events")), tdx_measurements_event_count(m));
    json_decref(root);
    {
        /* ... and so does the quote verifier (issue 4), "registers" only. */
        tdx_expected *e = NULL;
        tdx_error err = TDX_ERROR_INIT;
        ck_assert_msg(tdx_expected_load_buffer(&e, "m.json", text, strlen(text), &err) == 0, "%s", err.message);
        tdx_expected_free(e);
    }
    tdx_free(text);
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(cbor_carries_digests_as_bytes)
{
    char *fw, *k, *data = NULL;
    size_t size;
    tdx_measurements *m = sample(&fw, &k);
    struct cbor_load_result res;
    cbor_item_t *root;
    const uint8_t *mrtd;

    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_CBOR, NULL, &data, &size, NULL), 0);
    root = cbor_load((const unsigned char *)data, size, &res);
    ck_assert_int_eq(res.error.code, CBOR_ERR_NONE);
    ck_assert_uint_eq(res.read, size);
    ck_assert(cbor_isa_map(root));
    ck_assert_int_eq(tdx_measurements_register(m, "mrtd", 0, &mrtd, NULL, NULL), 0);
    for (size_t i = 0; i < cbor_map_size(root); i++) {
        struct cbor_pair *p = cbor_map_handle(root) + i;
        if (cbor_string_length(p->key) != 9 || memcmp(cbor_string_handle(p->key), "registers", 9))
            continue;
        struct cbor_pair *r = cbor_map_handle(p->value);
        ck_assert_uint_eq(cbor_map_size(p->value), 5);
        ck_assert_uint_eq(cbor_bytestring_length(r[0].value), 48);
        ck_assert_mem_eq(cbor_bytestring_handle(r[0].value), mrtd, 48);
        ck_assert(cbor_is_null(r[1].value));
    }
    cbor_decref(&root);
    tdx_free(data);
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(verifier_formats)
{
    char *fw, *k, *text = NULL, hex[97];
    tdx_measurements *m = sample(&fw, &k);
    tdx_serialize_options so = TDX_SERIALIZE_OPTIONS_INIT;
    json_t *root, *ms;

    so.measurement_id = "image-v1";
    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_CVM_REVERSE_PROXY, &so, &text, NULL, NULL), 0);
    root = json_loads(text, 0, NULL);
    ck_assert(json_is_array(root));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(root, 0), "attestation_type")), "dcap-tdx");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(root, 0), "measurement_id")), "image-v1");
    ms = json_object_get(json_array_get(root, 0), "measurements");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ms, "0"), "expected")), reg_hex(m, "mrtd", hex));
    ck_assert_ptr_null(json_object_get(ms, "1"));     /* RTMR0 unknown: left out */
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ms, "2"), "expected")), reg_hex(m, "rtmr1", hex));
    ck_assert_ptr_nonnull(json_object_get(ms, "4"));
    json_decref(root);
    {
        /* The quote verifier (issue 4) takes this list as expected values. */
        tdx_expected *e = NULL;
        tdx_error err = TDX_ERROR_INIT;
        ck_assert_msg(tdx_expected_load_buffer(&e, "cvm.json", text, strlen(text), &err) == 0, "%s", err.message);
        tdx_expected_free(e);
    }
    tdx_free(text);

    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_DSTACK, NULL, &text, NULL, NULL), 0);
    root = json_loads(text, 0, NULL);
    ck_assert_uint_eq(json_object_size(root), 4);
    ck_assert(json_is_null(json_object_get(root, "rtmr0")));
    ck_assert_str_eq(json_string_value(json_object_get(root, "rtmr2")), reg_hex(m, "rtmr2", hex));
    json_decref(root);
    tdx_free(text);
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(json_round_trips_and_compares)
{
    char *fw, *k, *path, *text = NULL, *report = NULL, *edited;
    tdx_measurements *m = sample(&fw, &k), *back = NULL;
    tdx_error err = TDX_ERROR_INIT;
    struct stat st;
    size_t size;

    ck_assert(asprintf(&path, "%s/expected.json", dir) > 0);
    ck_assert_int_eq(tdx_measurements_write_file(m, TDX_FORMAT_JSON, NULL, path, &err), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    ck_assert_msg(tdx_measurements_load_json(&back, path, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_compare(m, back, &report, &err), 0);
    ck_assert_contains(report, "rtmr0: not compared");
    ck_assert_contains(report, "rtmr1: matches");
    tdx_free(report);
    tdx_measurements_free(back);

    /* Change the second RTMR1 event and its register: the diff names it. */
    text = read_text(path, &size);
    edited = strstr(text, "77a0dab2312b4e1e");
    ck_assert_ptr_nonnull(edited);
    edited[0] = '6';
    edited = strstr(strstr(text, "\"rtmr1\": \""), ": \"") + 3;
    edited[0] = edited[0] == '0' ? '1' : '0';
    write_text(dir, "edited.json", text);
    free(text);
    free(path);
    ck_assert(asprintf(&path, "%s/edited.json", dir) > 0);
    ck_assert_msg(tdx_measurements_load_json(&back, path, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_compare(m, back, &report, &err), 1);
    ck_assert_contains(report, "rtmr1: differs");
    ck_assert_contains(report, "first divergent event is #2 of rtmr1");
    ck_assert_contains(report, "Calling EFI Application from Boot Option");
    tdx_free(report);
    tdx_measurements_free(back);

    /* Writing into a missing directory fails and leaves nothing behind. */
    free(path);
    ck_assert(asprintf(&path, "%s/missing/out.json", dir) > 0);
    ck_assert_int_lt(tdx_measurements_write_file(m, TDX_FORMAT_JSON, NULL, path, &err), 0);
    ck_assert_contains(err.message, "cannot write");
    free(path);
    tdx_measurements_free(m);
    free(fw);
    free(k);
}
END_TEST

START_TEST(load_json_reports_where)
{
    static const struct { const char *json, *msg; } bad[] = {
        { "[]", ": expected a JSON object at the top level, got an array" },
        { "{\"registers\": []}", ": registers: expected an object, got an array" },
        { "{\"registers\": {\"rtmr9\": null}}", ": registers: unknown register \"rtmr9\" (expected mrtd, rtmr0..rtmr3 or pcr0..pcr23)" },
        { "{\"registers\": {\"rtmr1\": \"abcd\"}}", ": registers.rtmr1: expected 96 hex digits" },
        { "{\"registers\": {\"rtmr1\": null, \"pcr4\": null}}", ": registers: mixes TDX registers and vTPM PCRs" },
        { "{\"registers\": {\"pcr4\": null}, \"events\": [{\"register\": \"pcr9\"}]}", ": events[0]: \"register\" is \"pcr9\", not one of the registers" },
        { "{\"registers\": {\"pcr4\": null}, \"events\": [7]}", ": events[0]: expected an object, got an integer" },
        { "{\"registers\": {\"pcr4\": null}, \"bank\": \"md5\"}", ": bank: expected one of \"sha1\", \"sha256\", \"sha384\", \"sha512\"; got \"md5\"" },
        { "{\"registers\": {\"rtmr1\": null}, \"events\": [{\"register\": \"rtmr1\", \"type\": \"EV_BOGUS\"}]}",
          ": events[0]: unknown event type \"EV_BOGUS\"" },
        { "{\"registers\": {}", ":1:16: unexpected end of text" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tdx_measurements *m = NULL;
        tdx_error err = TDX_ERROR_INIT;
        char *path;
        write_text(dir, "bad.json", bad[i].json);
        ck_assert(asprintf(&path, "%s/bad.json", dir) > 0);
        ck_assert_int_eq(tdx_measurements_load_json(&m, path, &err), -EINVAL);
        /* The file, then where and what. */
        ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0 && strcmp(err.message + strlen(path), bad[i].msg) == 0,
                      "%s: %s", bad[i].json, err.message);
        free(path);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("measure");
    TCase *tc = tcase_create("measure");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, td_hob_matches_oasis_vectors);
    tcase_add_test(tc, td_hob_matches_dstack_log);
    tcase_add_test(tc, td_hob_needs_room_for_the_sections);
    tcase_add_test(tc, tdvf_rejects_corrupt_metadata);
    tcase_add_test(tc, tdvf_rejects_images_without_metadata);
    tcase_add_test(tc, mrtd_order_and_attributes_matter);
    tcase_add_test(tc, rtmr0_is_null_without_acpi_blobs);
    tcase_add_test(tc, rtmr0_events_match_the_dstack_log);
    tcase_add_test(tc, rtmr0_events_match_oasis_pre_202411_vector);
    tcase_add_test(tc, rtmr1_kernel_is_measured_as_qemu_serves_it);
    tcase_add_test(tc, rtmr1_and_rtmr0_follow_the_event_layout);
    tcase_add_test(tc, rtmr2_holds_cmdline_and_initrd);
    tcase_add_test(tc, rtmr3_folds_runtime_events);
    tcase_add_test(tc, options_pick_qemu_defaults_and_are_checked);
    tcase_add_test(tc, acpi_blobs_are_checked);
    tcase_add_test(tc, initrd_must_fit_below_4g);
    tcase_add_test(tc, json_has_the_registers_shape);
    tcase_add_test(tc, cbor_carries_digests_as_bytes);
    tcase_add_test(tc, verifier_formats);
    tcase_add_test(tc, json_round_trips_and_compares);
    tcase_add_test(tc, load_json_reports_where);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
