/* SPDX-License-Identifier: MIT */
/* The tree hash: what changes it and what does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "fetch/fetch-internal.h"
#include "helpers.h"

static char *hash_of(const char *dir)
{
    tdx_error err = TDX_ERROR_INIT;
    char *hex = NULL;
    ck_assert_msg(tdx_tree_hash(dir, &hex, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(strlen(hex), 64);
    return hex;
}

static void make_tree(const char *dir, bool reverse)
{
    static const char *const files[][2] = {
        { "a.txt", "alpha\n" }, { "b/c.txt", "gamma\n" }, { "b/d/e", "" }, { "z", "last\n" },
    };
    char path[512];
    for (size_t i = 0; i < 4; i++) {
        size_t k = reverse ? 3 - i : i;
        write_text(dir, files[k][0], files[k][1]);
    }
    snprintf(path, sizeof(path), "%s/link", dir);
    ck_assert_int_eq(symlink("b/c.txt", path), 0);
    snprintf(path, sizeof(path), "%s/.git", dir);
    mkdir(path, 0755);
    write_text(dir, ".git/HEAD", reverse ? "ref: one\n" : "ref: two\n");
}

/* The rule of docs/lockfile.md, computed independently. */
static void expected_hash(char out[65])
{
    static const struct { char type; const char *path, *content; } recs[] = {
        { 'f', "a.txt", "alpha\n" }, { 'f', "b/c.txt", "gamma\n" }, { 'f', "b/d/e", "" },
        { 'l', "link", "b/c.txt" }, { 'f', "z", "last\n" },
    };
    sha256_stream *all = sha256_stream_new();
    for (size_t i = 0; i < 5; i++) {
        sha256_stream *one = sha256_stream_new();
        uint8_t rec[33];
        rec[0] = (uint8_t)recs[i].type;
        sha256_stream_add(one, recs[i].path, strlen(recs[i].path) + 1);
        sha256_stream_add(one, recs[i].content, strlen(recs[i].content));
        sha256_stream_finish(one, rec + 1);
        sha256_stream_add(all, rec, sizeof(rec));
    }
    sha256_stream_finish_hex(all, out);
}

START_TEST(tree_hash_follows_the_documented_rule)
{
    char *a = tmpdir_new(), *b = tmpdir_new(), *ha, *hb, want[65], path[512];
    make_tree(a, false);
    make_tree(b, true);
    /* Different mtimes and creation order, different .git: same hash. */
    snprintf(path, sizeof(path), "%s/a.txt", b);
    struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
    utimensat(AT_FDCWD, path, ts, 0);
    ha = hash_of(a);
    hb = hash_of(b);
    ck_assert_str_eq(ha, hb);
    expected_hash(want);
    ck_assert_str_eq(ha, want);
    /* Empty directories do not count. */
    snprintf(path, sizeof(path), "%s/empty", b);
    mkdir(path, 0755);
    free(hb);
    hb = hash_of(b);
    ck_assert_str_eq(ha, hb);
    free(ha);
    free(hb);
    tmpdir_remove(a);
    tmpdir_remove(b);
}
END_TEST

START_TEST(tree_hash_changes_with_content_path_mode_and_links)
{
    char *d = tmpdir_new(), *base, *h, path[512], to[512];
    make_tree(d, false);
    base = hash_of(d);

    write_text(d, "a.txt", "alpha!\n");
    h = hash_of(d);
    ck_assert_str_ne(h, base);
    free(h);
    write_text(d, "a.txt", "alpha\n");
    h = hash_of(d);
    ck_assert_str_eq(h, base);
    free(h);

    snprintf(path, sizeof(path), "%s/z", d);
    snprintf(to, sizeof(to), "%s/y", d);
    ck_assert_int_eq(rename(path, to), 0);
    h = hash_of(d);
    ck_assert_str_ne(h, base);
    free(h);
    ck_assert_int_eq(rename(to, path), 0);

    ck_assert_int_eq(chmod(path, 0755), 0);
    h = hash_of(d);
    ck_assert_str_ne(h, base);
    free(h);
    ck_assert_int_eq(chmod(path, 0700), 0);   /* any x bit is "executable" */
    char *h2 = hash_of(d);
    ck_assert_int_eq(chmod(path, 0755), 0);
    h = hash_of(d);
    ck_assert_str_eq(h, h2);
    free(h);
    free(h2);
    ck_assert_int_eq(chmod(path, 0600), 0);   /* other bits do not count */
    h = hash_of(d);
    ck_assert_str_eq(h, base);
    free(h);

    snprintf(path, sizeof(path), "%s/link", d);
    unlink(path);
    ck_assert_int_eq(symlink("a.txt", path), 0);
    h = hash_of(d);
    ck_assert_str_ne(h, base);
    free(h);
    /* A symlink is not the file it points to. */
    unlink(path);
    write_text(d, "link", "b/c.txt");
    h = hash_of(d);
    ck_assert_str_ne(h, base);
    free(h);

    free(base);
    tmpdir_remove(d);
}
END_TEST

START_TEST(tree_hash_errors_name_the_directory)
{
    tdx_error err = TDX_ERROR_INIT;
    char *hex = NULL;
    ck_assert_int_eq(tdx_tree_hash("/nonexistent-tdx-dir", &hex, &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent-tdx-dir");
    ck_assert_int_eq(tdx_tree_hash(NULL, &hex, &err), -EINVAL);
    ck_assert_ptr_null(hex);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("treehash");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, tree_hash_follows_the_documented_rule);
    tcase_add_test(tc, tree_hash_changes_with_content_path_mode_and_links);
    tcase_add_test(tc, tree_hash_errors_name_the_directory);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
