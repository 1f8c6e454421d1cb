/* SPDX-License-Identifier: MIT */
/*
 * Event logs: every log in tests/data/testdata/eventlogs replays; the known
 * registers (dstack's sample, the COS 113 quote's RTMRs) come out; records
 * that lie about their lengths are errors that name the record and offset.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "measure-helpers.h"
#include "tdxhost/tdxhost.h"

static const char *reg_hex(const tdx_measurements *m, const char *name, char *hex)
{
    const uint8_t *v;
    size_t n;
    if (tdx_measurements_register(m, name, 0, &v, &n, NULL) != 0)
        return "(unknown)";
    return to_hex(v, n, hex);
}

static tdx_measurements *replay_file(const char *path, const char *table, tdx_eventlog **logp)
{
    tdx_eventlog_options o = TDX_EVENTLOG_OPTIONS_INIT;
    tdx_eventlog *log = NULL;
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;

    o.ccel_table = table;
    ck_assert_msg(tdx_eventlog_load_file(&log, path, &o, &err) == 0, "%s", err.message);
    ck_assert_msg(tdx_eventlog_replay(log, &m, &err) == 0, "%s", err.message);
    if (logp)
        *logp = log;
    else
        tdx_eventlog_free(log);
    return m;
}

START_TEST(every_shared_log_replays)
{
    static const struct { const char *file; tdx_eventlog_kind kind; size_t records; } logs[] = {
        { "eventlogs/dstack_ccel.bin", TDX_EVENTLOG_CC, 18 },
        { "eventlogs/dstack_gcp_vtpm_tcg2.bin", TDX_EVENTLOG_TPM, 45 },
        { "eventlogs/gotdx_cos113_ccel_data.bin", TDX_EVENTLOG_CC, 43 },
        { "eventlogs/trustee_gcp_ccel.bin", TDX_EVENTLOG_CC, 21 },
        { "eventlogs/trustee_gke_ccel.bin", TDX_EVENTLOG_CC, 35 },
        { "eventlogs/trustee_grub_ccel.bin", TDX_EVENTLOG_CC, 37 },
        { "eventlogs/trustee_ovmf_ccel.bin", TDX_EVENTLOG_CC, 20 },
        { "eventlogs/trustee_tdshim_ccel.bin", TDX_EVENTLOG_CC, 5 },
        { "eventlogs/ovmf_swtpm_disk_uki_optionrom.bin", TDX_EVENTLOG_TPM, 42 },
        { "eventlogs/ovmf_swtpm_disk_uki.bin", TDX_EVENTLOG_TPM, 40 },
    };
    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        tdx_eventlog *log = NULL;
        tdx_measurements *m;

        m = replay_file(testdata_path(logs[i].file), NULL, &log);
        ck_assert_msg(tdx_eventlog_get_kind(log) == logs[i].kind, "%s", logs[i].file);
        ck_assert_msg(tdx_eventlog_count(log) == logs[i].records, "%s: %zu records", logs[i].file,
                      tdx_eventlog_count(log));
        ck_assert_uint_gt(tdx_measurements_event_count(m), 0);
        tdx_measurements_free(m);
        tdx_eventlog_free(log);
    }
}
END_TEST

START_TEST(dstack_sample_gives_known_rtmrs)
{
    char hex[97];
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/dstack_ccel.bin"), NULL, NULL);

    /* tests/data/testdata/SOURCES.md, from the reference notes */
    ck_assert_str_eq(reg_hex(m, "rtmr0", hex), "274c2344116db7c663470693b5ba62b8621eac28cb41d2f816ddf188f9f423f900a1c44d32386fd3c993dc814e62af9d");
    ck_assert_str_eq(reg_hex(m, "rtmr1", hex), "bdcf4ee0f7fdfe7c73fbb19ded73193aee23a6726b86d3b282ea097cf4c9ed7a0db21b5c1ccd513e410d90e310836b26");
    ck_assert_str_eq(reg_hex(m, "rtmr2", hex), "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
    ck_assert_str_eq(reg_hex(m, "rtmr3", hex), "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(tdx_measurements_register(m, "mrtd", 0, NULL, NULL, NULL), -ENOENT);
    tdx_measurements_free(m);
}
END_TEST

/* The COS 113 log, read through its CCEL table, replays to the RTMRs in the
 * quote the same VM produced. The RTMRs are read from the quote body at the
 * TDX v4 offsets (header 48 bytes, RTMR0 at body offset 328); the full quote
 * parser is another part of the library. */
START_TEST(cos113_replay_equals_the_quote)
{
    size_t qsize;
    char *quote = read_text(TESTDATA("quotes/gotdx_v4_cos113_zeropad.dat"), &qsize);
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/gotdx_cos113_ccel_data.bin"),
                                      TESTDATA("eventlogs/gotdx_cos113_ccel_table.bin"), NULL);
    const uint8_t *q = (const uint8_t *)quote;

    ck_assert_ptr_nonnull(quote);
    ck_assert_uint_ge(qsize, 48 + 584);
    ck_assert_uint_eq(q[0] | q[1] << 8, 4);             /* version 4 */
    ck_assert_uint_eq(q[4] | q[5] << 8, 0x81);          /* TEE type TDX */
    for (int i = 0; i < 4; i++) {
        char name[8], hex[97], expected[97];
        snprintf(name, sizeof(name), "rtmr%d", i);
        ck_assert_str_eq(reg_hex(m, name, hex), to_hex(q + 48 + 328 + 48 * i, 48, expected));
    }
    tdx_measurements_free(m);
    free(quote);
}
END_TEST

/* Issue 4's verifier reads our JSON's "registers" as expected values: the
 * COS 113 replay must pass its measurement step for the COS 113 quote, and
 * dstack's replay must fail it, naming RTMR0. */
static const char *verify_measurements(const tdx_measurements *m, char *json_out, size_t size)
{
    static char msg[TDX_ERROR_MESSAGE_SIZE];
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_expected *e = NULL;
    tdx_quote *q = NULL;
    tdx_verifier *v = NULL;
    tdx_verification *res = NULL;
    char *doc = NULL, *json = NULL;
    size_t n;

    ck_assert_int_eq(tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &doc, &n, NULL), 0);
    ck_assert_msg(tdx_expected_load_buffer(&e, "replay.json", doc, n, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_quote_load_file(&q, TESTDATA("quotes/gotdx_v4_cos113_zeropad.dat"), &err), 0);
    ck_assert_int_eq(tdx_verifier_new(&v, NULL, &err), 0);
    o.expected = e;
    tdx_verifier_verify(v, q, &o, &res, &err);
    ck_assert_ptr_nonnull(res);
    snprintf(msg, sizeof(msg), "%s", err.message);
    ck_assert_int_eq(tdx_verification_to_json(res, &json, NULL), 0);
    snprintf(json_out, size, "%s", json);
    tdx_free(json);
    tdx_free(doc);
    tdx_verification_free(res);
    tdx_verifier_free(v);
    tdx_quote_free(q);
    tdx_expected_free(e);
    return msg;
}

START_TEST(replay_feeds_the_quote_verifier)
{
    char json[8192];
    const char *msg;
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/gotdx_cos113_ccel_data.bin"),
                                      TESTDATA("eventlogs/gotdx_cos113_ccel_table.bin"), NULL);

    verify_measurements(m, json, sizeof(json));
    ck_assert_contains(json, "\"measurements\":\"passed\"");
    tdx_measurements_free(m);

    m = replay_file(TESTDATA("eventlogs/dstack_ccel.bin"), NULL, NULL);
    msg = verify_measurements(m, json, sizeof(json));
    ck_assert_contains(json, "\"measurements\":\"failed\"");
    ck_assert_contains(msg, "rtmr0");
    tdx_measurements_free(m);
}
END_TEST

/* The bytes a record takes in the log. */
static size_t record_size(const tdx_eventlog_event *e)
{
    size_t n = 12 + 4 + e->data_size;
    for (size_t k = 0; k < e->n_digests; k++)
        n += 2 + tdx_hash_alg_size(e->algs[k]);
    return n;
}

/* GKE logs carry EV_NO_ACTION records (index 0) mid-log: they are listed,
 * never replayed. Dropping them from the file changes nothing. */
START_TEST(no_action_records_are_skipped_anywhere)
{
    tdx_eventlog *log = NULL, *stripped = NULL;
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/trustee_gke_ccel.bin"), NULL, &log), *m2 = NULL;
    size_t size, out, dropped = 0;
    char *data = read_text(TESTDATA("eventlogs/trustee_gke_ccel.bin"), &size), *copy = malloc(size), *report = NULL;
    tdx_eventlog_event e;

    ck_assert_int_eq(tdx_eventlog_event_get(log, 0, &e), 0);
    ck_assert_uint_eq(e.type, 3);
    ck_assert_ptr_null(e.register_name);
    ck_assert_contains(e.description, "SP800-155");
    memcpy(copy, data, e.offset);   /* the Spec ID header */
    out = e.offset;
    for (size_t i = 0; i < tdx_eventlog_count(log); i++) {
        tdx_eventlog_event_get(log, i, &e);
        if (e.type == 3) {
            dropped++;
            continue;
        }
        memcpy(copy + out, data + e.offset, record_size(&e));
        out += record_size(&e);
    }
    ck_assert_uint_eq(dropped, 2);
    ck_assert_int_eq(tdx_eventlog_parse(&stripped, "stripped", copy, out, TDX_UNSET, NULL), 0);
    ck_assert_uint_eq(tdx_eventlog_count(stripped), tdx_eventlog_count(log) - 2);
    ck_assert_int_eq(tdx_eventlog_replay(stripped, &m2, NULL), 0);
    ck_assert_int_eq(tdx_measurements_compare(m2, m, &report, NULL), 0);
    tdx_free(report);
    tdx_measurements_free(m);
    tdx_measurements_free(m2);
    tdx_eventlog_free(log);
    tdx_eventlog_free(stripped);
    free(data);
    free(copy);
}
END_TEST

START_TEST(vtpm_log_replays_every_bank)
{
    tdx_eventlog *log = NULL;
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/dstack_gcp_vtpm_tcg2.bin"), NULL, &log);
    const uint8_t *v;
    size_t n;

    ck_assert_int_eq(tdx_eventlog_get_kind(log), TDX_EVENTLOG_TPM);
    ck_assert_int_eq(tdx_measurements_bank(m), TDX_HASH_SHA256);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr11", TDX_HASH_SHA384, &v, &n, NULL), 0);
    ck_assert_uint_eq(n, 48);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr11", TDX_HASH_SHA1, &v, &n, NULL), 0);
    ck_assert_uint_eq(n, 20);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr8", 0, NULL, NULL, NULL), -ENOENT);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr14", 0, NULL, NULL, NULL), -ENOENT);
    tdx_measurements_free(m);
    tdx_eventlog_free(log);
}
END_TEST

/* A real boot: Debian's OVMF with swtpm (banks sha256 and sha384) booting
 * the mkosi disk build's UKI (tdxctl run --vtpm). Replaying its PCR 4 and 9
 * gives what tdx_measure_uki_tpm() computed from the UKI alone
 * (ovmf_swtpm_disk_uki_optionrom.tpm-model.json): two independent paths to
 * the same registers. */
START_TEST(swtpm_boot_replays_to_the_uki_model)
{
    static const struct { const char *reg; tdx_hash_alg alg; const char *hex; } want[] = {
        { "pcr4", TDX_HASH_SHA256, "84609ec97a0e5937a59fe5b59e8a460202938b10dfde6ea9898ed00adacd5663" },
        { "pcr9", TDX_HASH_SHA256, "b19f0a37081a9db36d6e4a816a9b161a28d5eb96e87f385abe6db87495dd754a" },
        { "pcr4", TDX_HASH_SHA384, "ae71daa28193c5fbdaacad27cf8094c2f3b6ab63067823e5a4763d92fd59f267"
                                   "88f21d794a2e20f258781c8e6a186e34" },
        { "pcr9", TDX_HASH_SHA384, "5accd59406896a62a893a163f0477fccf77efeb493bf6cc359caf2c251b2cfe7"
                                   "b53dc95aadf4e6266465bf9bf4b1e42f" },
    };
    tdx_eventlog *log = NULL;
    tdx_eventlog_event e;
    tdx_measurements *m = replay_file(TESTDATA("eventlogs/ovmf_swtpm_disk_uki_optionrom.bin"),
                                      NULL, &log);
    char hex[2 * TDX_DIGEST_MAX + 1];
    const uint8_t *v;
    size_t n;

    ck_assert_int_eq(tdx_eventlog_get_kind(log), TDX_EVENTLOG_TPM);
    ck_assert_int_eq(tdx_eventlog_event_get(log, 27, &e), 0);
    ck_assert_str_eq(e.type_name, "EV_EFI_GPT_EVENT");
    ck_assert_str_eq(e.register_name, "pcr5");
    ck_assert_uint_eq(e.n_digests, 2);
    ck_assert_uint_eq(e.algs[0], TDX_HASH_SHA256);
    ck_assert_uint_eq(e.algs[1], TDX_HASH_SHA384);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_int_eq(tdx_measurements_register(m, want[i].reg, want[i].alg, &v, &n, NULL), 0);
        hex_encode(v, n, hex);
        ck_assert_msg(strcmp(hex, want[i].hex) == 0, "%s/%d: %s", want[i].reg, want[i].alg, hex);
    }
    /* No SHA-1 bank: swtpm_setup --pcr-banks sha256,sha384. */
    ck_assert_int_eq(tdx_measurements_register(m, "pcr4", TDX_HASH_SHA1, &v, &n, NULL), -ENOENT);
    tdx_measurements_free(m);
    tdx_eventlog_free(log);
}
END_TEST

START_TEST(records_are_described)
{
    tdx_eventlog *log = NULL;
    tdx_eventlog_event e;

    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), NULL, NULL), 0);
    tdx_eventlog_event_get(log, 1, &e);
    ck_assert_contains(e.description, "0x84000 bytes at 0xffc00000");
    tdx_eventlog_event_get(log, 11, &e);
    ck_assert_str_eq(e.register_name, "rtmr1");
    ck_assert_str_eq(e.type_name, "EV_EFI_BOOT_SERVICES_APPLICATION");
    ck_assert_contains(e.description, "VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7)");
    ck_assert_contains(e.description, "path kernel");
    tdx_eventlog_event_get(log, 13, &e);
    ck_assert_contains(e.description, "Boot0000 (62 bytes");
    tdx_eventlog_event_get(log, 17, &e);
    ck_assert_str_eq(e.description, "Exit Boot Services Returned with Success");
    ck_assert_int_eq(tdx_eventlog_event_get(log, 18, &e), -ENOENT);
    tdx_eventlog_free(log);
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/trustee_ovmf_ccel.bin"), NULL, NULL), 0);
    tdx_eventlog_event_get(log, 16, &e);
    ck_assert_str_eq(e.description, "tag 0x8f3b22ed: LOADED_IMAGE::LoadOptions");
    tdx_eventlog_free(log);
}
END_TEST

/* Each cut of the dstack log is either a shorter valid log or an error
 * naming an offset; with ASan/valgrind this also proves no read past the end. */
START_TEST(truncated_logs)
{
    size_t size;
    char *data = read_text(TESTDATA("eventlogs/dstack_ccel.bin"), &size);

    for (size_t cut = 0; cut < 2600; cut++) {
        tdx_eventlog *log = NULL;
        tdx_error err = TDX_ERROR_INIT;
        int r = tdx_eventlog_parse(&log, "cut", data, cut, TDX_UNSET, &err);
        if (r == 0)
            tdx_eventlog_free(log);
        else
            ck_assert_msg(r == -EINVAL && strstr(err.message, "cut: offset 0x"), "%zu: %d %s", cut, r, err.message);
    }
    free(data);
}
END_TEST

struct lie {
    size_t offset;
    uint32_t value;
    const char *message;
};

START_TEST(lying_lengths)
{
    /* dstack_ccel.bin: header 65 bytes, record 0 at 0x41: index, type, count, alg, 48-byte digest, size. */
    static const struct lie lies[] = {
        { 28, 0xffffff, "Spec ID event size is out of range" },
        { 32 + 24, 99, "lists 99 algorithms" },
        { 32 + 28 + 2, 64, "algorithm 0x000c has digest size 64" },
        { 0x41 + 8, 2, "record 0: digest count 2 (1 to 1)" },
        { 0x41 + 12, 0x000b, "digest algorithm 0x000b is not in the Spec ID event" },
        { 0x41 + 14 + 48, 0x7fffffff, "record 0: event size 2147483647 runs past the end" },
        { 4, 1, "the first record is not EV_NO_ACTION" },
    };
    size_t size;
    char *data = read_text(TESTDATA("eventlogs/dstack_ccel.bin"), &size);

    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        char *copy = malloc(size);
        tdx_eventlog *log = NULL;
        tdx_error err = TDX_ERROR_INIT;
        uint8_t *p;

        memcpy(copy, data, size);
        p = (uint8_t *)copy + lies[i].offset;
        if (lies[i].offset == 32 + 28 + 2 || lies[i].offset == 0x41 + 12) {
            p[0] = (uint8_t)lies[i].value;
            p[1] = (uint8_t)(lies[i].value >> 8);
        } else {
            for (int b = 0; b < 4; b++)
                p[b] = (uint8_t)(lies[i].value >> (8 * b));
        }
        ck_assert_int_eq(tdx_eventlog_parse(&log, "log", copy, size, TDX_UNSET, &err), -EINVAL);
        ck_assert_msg(strstr(err.message, lies[i].message), "%zu: %s", i, err.message);
        free(copy);
    }
    free(data);
}
END_TEST

START_TEST(ccel_table_is_checked)
{
    char *dir = tmpdir_new(), *path;
    size_t size;
    char *table = read_text(TESTDATA("eventlogs/gotdx_cos113_ccel_table.bin"), &size);
    tdx_eventlog_options o = TDX_EVENTLOG_OPTIONS_INIT;
    tdx_eventlog *log = NULL;
    tdx_error err = TDX_ERROR_INIT;
    FILE *f;

    ck_assert(asprintf(&path, "%s/CCEL", dir) > 0);
    table[20] ^= 1;     /* checksum */
    f = fopen(path, "w");
    fwrite(table, 1, size, f);
    fclose(f);
    o.ccel_table = path;
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/gotdx_cos113_ccel_data.bin"), &o, &err), -EINVAL);
    ck_assert_contains(err.message, "checksum");
    /* The dstack log (64 KiB) is shorter than this table's LAML (256 KiB). */
    table[20] ^= 1;
    f = fopen(path, "w");
    fwrite(table, 1, size, f);
    fclose(f);
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), &o, &err), -EINVAL);
    ck_assert_contains(err.message, "gives a log area of 262144 bytes");
    o.ccel_table = TESTDATA("acpi/qemu-q35-1cpu-2048M/etc-acpi-rsdp");
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), &o, &err), -EINVAL);
    ck_assert_contains(err.message, "not a CCEL ACPI table");
    o.ccel_table = TESTDATA("eventlogs/dstack_ccel.bin");
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), &o, &err), -EFBIG);
    o.version = 7;
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), &o, &err), -EINVAL);
    free(table);
    free(path);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(kind_can_be_forced)
{
    tdx_eventlog_options o = TDX_EVENTLOG_OPTIONS_INIT;
    tdx_eventlog *log = NULL;
    tdx_measurements *m = NULL;

    o.kind = TDX_EVENTLOG_TPM;
    ck_assert_int_eq(tdx_eventlog_load_file(&log, TESTDATA("eventlogs/dstack_ccel.bin"), &o, NULL), 0);
    ck_assert_int_eq(tdx_eventlog_replay(log, &m, NULL), 0);
    ck_assert_int_eq(tdx_measurements_bank(m), TDX_HASH_SHA384);
    ck_assert_int_eq(tdx_measurements_register(m, "pcr1", 0, NULL, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(m, "rtmr0", 0, NULL, NULL, NULL), -ENOENT);
    tdx_measurements_free(m);
    tdx_eventlog_free(log);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("eventlog");
    TCase *tc = tcase_create("eventlog");

    tcase_add_test(tc, every_shared_log_replays);
    tcase_add_test(tc, dstack_sample_gives_known_rtmrs);
    tcase_add_test(tc, cos113_replay_equals_the_quote);
    tcase_add_test(tc, replay_feeds_the_quote_verifier);
    tcase_add_test(tc, no_action_records_are_skipped_anywhere);
    tcase_add_test(tc, vtpm_log_replays_every_bank);
    tcase_add_test(tc, swtpm_boot_replays_to_the_uki_model);
    tcase_add_test(tc, records_are_described);
    tcase_add_test(tc, truncated_logs);
    tcase_add_test(tc, lying_lengths);
    tcase_add_test(tc, ccel_table_is_checked);
    tcase_add_test(tc, kind_can_be_forced);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
