/* SPDX-License-Identifier: MIT */
/*
 * The GPT event of a disk boot: the primary GPT read from a raw image and
 * laid out as edk2's UEFI_GPT_DATA (92-byte header, UINT64 count, the used
 * entries in table order), and every way the table can be refused.
 */
#include <errno.h>
#include <stdlib.h>

#include "image-builder.h"
#include "measure-helpers.h"
#include "macro.h"
#include "measure/gpt-event.h"

static char *dir;

static void setup(void)
{
    dir = tmpdir_new();
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

static const struct ib_gpt_part esp_root[] = {
    { ib_esp_type, 2048, 534527 },
    { ib_root_type, 534528, 2097118 },
};

/* Builds the event from a buffer; returns the error code and fills err. */
static int build(const uint8_t *disk, size_t size, struct gpt_event *ev, tdx_error *err)
{
    struct source s;

    source_buffer(&s, "disk.raw", disk, size);
    return gpt_event_build(&s, ev, err);
}

static void expect_error(const uint8_t *disk, size_t size, const char *what)
{
    struct gpt_event ev;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(build(disk, size, &ev, &err), -EINVAL);
    ck_assert_int_eq(err.code, -EINVAL);
    ck_assert_msg(strncmp(err.message, "disk.raw: ", 10) == 0, "%s", err.message);
    ck_assert_contains(err.message, what);
}

START_TEST(crc32_is_the_uefi_one)
{
    /* The CRC-32 check value of "123456789" (IEEE 802.3, as UEFI). */
    ck_assert_uint_eq(gpt_crc32((const uint8_t *)"123456789", 9), 0xcbf43926);
    ck_assert_uint_eq(gpt_crc32((const uint8_t *)"", 0), 0);
    ck_assert_uint_eq(gpt_crc32((const uint8_t *)"EFI PART", 8), ib_crc32((const uint8_t *)"EFI PART", 8));
}
END_TEST

START_TEST(event_is_header_count_and_used_entries)
{
    struct gpt_event ev;
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 128, 128, &size);
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_msg(build(disk, size, &ev, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(ev.entries, 128);
    ck_assert_uint_eq(ev.entry_size, 128);
    ck_assert_uint_eq(ev.used, 2);
    ck_assert_uint_eq(ev.size, 92 + 8 + 2 * 128);
    /* The header as on disk (its CRC included), then a little-endian UINT64. */
    ck_assert_mem_eq(ev.data, disk + 512, 92);
    ck_assert_mem_eq(ev.data + 92, "\x02\0\0\0\0\0\0\0", 8);
    ck_assert_mem_eq(ev.data + 100, disk + 1024, 2 * 128);
    gpt_event_free(&ev);
    gpt_event_free(&ev);    /* idempotent */
    free(disk);
}
END_TEST

START_TEST(zero_type_entries_are_skipped)
{
    const struct ib_gpt_part parts[] = {
        { NULL, 0, 0 }, { ib_esp_type, 2048, 4095 }, { NULL, 0, 0 }, { ib_root_type, 4096, 8191 },
    };
    struct gpt_event ev;
    size_t size;
    uint8_t *disk = ib_gpt_disk(parts, 4, 128, 128, &size);

    /* An unused entry with a non-zero unique GUID or name is still unused:
     * only PartitionTypeGUID counts. */
    memset(disk + 1024 + 16, 0xab, 16);
    ib_le32(disk + 512 + 88, ib_crc32(disk + 1024, 128 * 128));
    ib_gpt_fix_header_crc(disk);
    ck_assert_int_eq(build(disk, size, &ev, NULL), 0);
    ck_assert_uint_eq(ev.used, 2);
    ck_assert_uint_eq(ev.size, 92 + 8 + 2 * 128);
    ck_assert_uint_eq(ev.data[92], 2);
    ck_assert_mem_eq(ev.data + 100, disk + 1024 + 128, 128);         /* entry 1 */
    ck_assert_mem_eq(ev.data + 100 + 128, disk + 1024 + 384, 128);   /* entry 3 */
    gpt_event_free(&ev);
    free(disk);
}
END_TEST

START_TEST(larger_entries_are_copied_whole)
{
    struct gpt_event ev;
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 4, 256, &size);

    disk[1024 + 200] = 0x5a;    /* bytes past the 128 UEFI defines belong to the entry */
    ib_le32(disk + 512 + 88, ib_crc32(disk + 1024, 4 * 256));
    ib_gpt_fix_header_crc(disk);
    ck_assert_int_eq(build(disk, size, &ev, NULL), 0);
    ck_assert_uint_eq(ev.size, 92 + 8 + 2 * 256);
    ck_assert_mem_eq(ev.data + 100, disk + 1024, 2 * 256);
    gpt_event_free(&ev);
    free(disk);
}
END_TEST

START_TEST(crc_mismatches_are_errors)
{
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 128, 128, &size);

    disk[512 + 60] ^= 1;        /* the disk GUID, under the header CRC */
    expect_error(disk, size, "GPT header CRC32 mismatch");
    disk[512 + 60] ^= 1;
    disk[1024 + 40] ^= 1;       /* the ESP's last LBA, under the array CRC */
    expect_error(disk, size, "GPT entry array CRC32 mismatch");
    free(disk);
}
END_TEST

START_TEST(header_fields_are_checked)
{
    static const struct {
        size_t off;
        uint32_t value;
        const char *what;
    } c[] = {
        { 12, 91, "GPT header size 91: expected 92 to 512" },
        { 12, 513, "GPT header size 513" },
        { 84, 100, "SizeOfPartitionEntry 100" },
        { 84, 132, "SizeOfPartitionEntry 132: expected a multiple of 8" },
        { 84, 4104, "SizeOfPartitionEntry 4104" },
        { 84, 0, "SizeOfPartitionEntry 0" },
        { 80, 1025, "NumberOfPartitionEntries 1025: more than 1024" },
        { 80, 0xffffffff, "NumberOfPartitionEntries 4294967295" },
        { 72, 1, "lies outside" },
        { 72, 0xffffff, "lies outside" },
        { 24, 2, "MyLBA is 2: not a primary header" },
    };
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 128, 128, &size);

    for (size_t i = 0; i < ELEMENTSOF(c); i++) {
        uint8_t *copy = malloc(size);
        memcpy(copy, disk, size);
        if (c[i].off == 72 || c[i].off == 24)
            ib_le64(copy + 512 + c[i].off, c[i].value);
        else
            ib_le32(copy + 512 + c[i].off, c[i].value);
        ib_gpt_fix_header_crc(copy);
        expect_error(copy, size, c[i].what);
        free(copy);
    }
    memcpy(disk + 512, "EFI PARU", 8);
    expect_error(disk, size, "no GPT: LBA 1 does not start with \"EFI PART\"");
    free(disk);
}
END_TEST

START_TEST(truncated_disks_are_errors)
{
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 128, 128, &size);

    expect_error(disk, 0, "0 bytes: too small for a GPT disk");
    expect_error(disk, 1023, "1023 bytes: too small");
    expect_error(disk, 1024, "lies outside the 1024-byte disk");
    /* One byte short of the entry array. */
    expect_error(disk, 1024 + 128 * 128 - 1, "lies outside");
    free(disk);
}
END_TEST

START_TEST(reads_a_file)
{
    struct source s;
    struct gpt_event ev, from_buffer;
    size_t size;
    uint8_t *disk = ib_gpt_disk(esp_root, 2, 128, 128, &size);
    char *path = save_file(dir, "disk.raw", disk, size);
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(source_open(&s, path, &err), 0);
    ck_assert_msg(gpt_event_build(&s, &ev, &err) == 0, "%s", err.message);
    source_close(&s);
    ck_assert_int_eq(build(disk, size, &from_buffer, NULL), 0);
    ck_assert_uint_eq(ev.size, from_buffer.size);
    ck_assert_mem_eq(ev.data, from_buffer.data, ev.size);
    gpt_event_free(&ev);
    gpt_event_free(&from_buffer);
    free(path);
    free(disk);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gpt");
    TCase *tc = tcase_create("gpt");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, crc32_is_the_uefi_one);
    tcase_add_test(tc, event_is_header_count_and_used_entries);
    tcase_add_test(tc, zero_type_entries_are_skipped);
    tcase_add_test(tc, larger_entries_are_copied_whole);
    tcase_add_test(tc, crc_mismatches_are_errors);
    tcase_add_test(tc, header_fields_are_checked);
    tcase_add_test(tc, truncated_disks_are_errors);
    tcase_add_test(tc, reads_a_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
