/* SPDX-License-Identifier: MIT */
/* The output directory of both build backends (build/output-dir.c): staged
 * beside the output, swapped in whole, the old output intact on failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/build-internal.h"
#include "helpers.h"
#include "tdxhost/staging.h"

static char *path_in(const char *dir, const char *rel)
{
    char *p;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
    return p;
}

static bool exists(const char *dir, const char *rel)
{
    char *p = path_in(dir, rel);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

static void expect_text(const char *dir, const char *rel, const char *want)
{
    char *p = path_in(dir, rel), *got = read_text(p, NULL);
    ck_assert_msg(got != NULL, "%s is missing", p);
    ck_assert_str_eq(got, want);
    free(got);
    free(p);
}

/* The names in dir other than "." and "..", space-separated, sorted. */
static char *listing(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cd '%s' && ls -A | tr '\\n' ' '", dir);
    return sh_output(cmd);
}

static void old_output(const char *out)
{
    write_text(out, "old.txt", "old\n");
    write_text(out, "sub/kept.txt", "kept\n");
}

START_TEST(existing_output_is_replaced_whole)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "out"), *list;
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;
    struct stat st;

    old_output(out);
    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    ck_assert_int_eq(stat(bo.stage, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(stat(bo.work, &st), 0);
    /* A hidden sibling of the output, as staging.h names them. */
    ck_assert_msg(strncmp(bo.staging.name, ".out.tmp-", 9) == 0, "%s", bo.staging.name);
    write_text(bo.stage, "new.txt", "new\n");
    write_text(bo.work, "scratch.txt", "thrown away\n");
    ck_assert_int_eq(build_output_commit(&bo, out, &err), 0);
    expect_text(out, "new.txt", "new\n");
    ck_assert(!exists(out, "old.txt"));
    ck_assert(!exists(out, "sub"));
    /* Swapped, not deleted first: the old tree is where the new one was. */
    expect_text(bo.stage, "old.txt", "old\n");
    build_output_free(&bo);
    list = listing(tmp);
    ck_assert_str_eq(list, "out ");
    free(list);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

START_TEST(missing_output_is_renamed_into_place)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "a/b/out/"), *parent = path_in(tmp, "a/b"),
         *list;
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.stage, "new.txt", "new\n");
    ck_assert_int_eq(build_output_commit(&bo, out, &err), 0);
    build_output_free(&bo);
    expect_text(out, "new.txt", "new\n");
    list = listing(parent);
    ck_assert_str_eq(list, "out ");
    free(list);
    free(parent);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

/* A commit that cannot happen (the staged tree vanished) leaves the old
 * output as it was, through the exchange and through the fallback renames,
 * whose rollback puts the old output back. */
START_TEST(failed_commit_keeps_the_old_output)
{
    for (int by_renames = 0; by_renames < 2; by_renames++) {
        char *tmp = tmpdir_new(), *out = path_in(tmp, "out"), *cmd, *list;
        struct build_output bo = BUILD_OUTPUT_INIT;
        tdx_error err = TDX_ERROR_INIT;
        int r;

        old_output(out);
        ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
        ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", bo.stage), 0);
        ck_assert_int_eq(system(cmd), 0);
        free(cmd);
        r = by_renames ? build_output_commit_by_renames(&bo, out, true, &err)
                       : build_output_commit(&bo, out, &err);
        ck_assert_int_eq(r, -ENOENT);
        ck_assert_int_eq(err.code, -ENOENT);
        ck_assert_contains(err.message, out);
        expect_text(out, "old.txt", "old\n");
        expect_text(out, "sub/kept.txt", "kept\n");
        build_output_free(&bo);
        expect_text(out, "old.txt", "old\n");
        list = listing(tmp);
        ck_assert_str_eq(list, "out ");
        free(list);
        tdx_error_clear(&err);
        free(out);
        tmpdir_remove(tmp);
    }
}
END_TEST

START_TEST(fallback_renames_replace_the_output)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "out"), *list;
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    old_output(out);
    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.stage, "new.txt", "new\n");
    ck_assert_int_eq(build_output_commit_by_renames(&bo, out, true, &err), 0);
    expect_text(out, "new.txt", "new\n");
    ck_assert(!exists(out, "old.txt"));
    build_output_free(&bo);
    ck_assert(exists(tmp, "out/new.txt"));
    /* The old output went with the staging directory. */
    list = listing(tmp);
    ck_assert_str_eq(list, "out ");
    free(list);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

/* The renames after the first fail: the new tree cannot go in, the old one
 * cannot go back. */
static int renames_seen;
static int rename_fails_after_first(int ofd, const char *from, int nfd, const char *to)
{
    if (++renames_seen > 1) {
        errno = EIO;
        return -1;
    }
    return renameat(ofd, from, nfd, to);
}

/* A staging directory name of out's with a PID that is not running. */
static char *dead_staging_name(const char *tmp)
{
    pid_t pid = fork();
    char *p;
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    ck_assert_int_ge(asprintf(&p, "%s/.out.tmp-%ld-kept00", tmp, (long)pid), 0);
    return p;
}

/* The old output, neither replaced nor put back, is kept where the message
 * says, marked so that a later build does not remove it as stale. */
START_TEST(old_output_that_cannot_be_put_back_is_kept)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "out"), *kept, *dead, *control, *cmd, *list;
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    old_output(out);
    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.stage, "new.txt", "new\n");
    write_text(bo.work, "scratch.txt", "x\n");
    renames_seen = 0;
    build_output_renameat = rename_fails_after_first;
    ck_assert_int_eq(build_output_commit_by_renames(&bo, out, true, &err), -EIO);
    build_output_renameat = renameat;
    ck_assert_int_eq(renames_seen, 3);
    kept = path_in(bo.top, "previous");
    ck_assert_contains(err.message, "could not be put back");
    ck_assert_contains(err.message, kept);
    ck_assert(!exists(tmp, "out"));
    expect_text(kept, "old.txt", "old\n");
    expect_text(kept, "sub/kept.txt", "kept\n");
    ck_assert(exists(bo.top, STAGING_KEEP_MARKER));
    ck_assert(!exists(bo.top, "work"));
    /* Neither freeing it nor the signal-time cleanup removes it. */
    build_output_free(&bo);
    tdx_staging_cleanup();
    expect_text(kept, "old.txt", "old\n");

    /* As a dead process's staging directory, beside one without the
     * marker (which a later build does remove, so the PID is dead). */
    dead = dead_staging_name(tmp);
    control = dead_staging_name(tmp);
    ck_assert_int_ge(asprintf(&cmd, "d=$(dirname '%s') && mv \"$d\" '%s' && cp -a '%s' '%s' && "
                              "rm '%s/%s'", kept, dead, dead, control, control,
                              STAGING_KEEP_MARKER), 0);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    tdx_error_clear(&err);
    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.stage, "next.txt", "next\n");
    ck_assert_int_eq(build_output_commit(&bo, out, &err), 0);
    build_output_free(&bo);
    expect_text(out, "next.txt", "next\n");
    expect_text(dead, "previous/old.txt", "old\n");
    expect_text(dead, "previous/sub/kept.txt", "kept\n");
    ck_assert(!exists(control, "."));
    list = listing(tmp);
    ck_assert_int_ge(asprintf(&cmd, "%s out ", strrchr(dead, '/') + 1), 0);
    ck_assert_str_eq(list, cmd);
    free(cmd);
    free(list);
    free(control);
    free(dead);
    free(kept);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

START_TEST(parent_that_is_a_file_is_refused)
{
    char *tmp = tmpdir_new(), *file = path_in(tmp, "somefile"), *out = path_in(tmp, "somefile/out");
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    write_text(tmp, "somefile", "a file\n");
    ck_assert_int_eq(build_output_begin(&bo, out, &err), -ENOTDIR);
    ck_assert_int_eq(err.code, -ENOTDIR);
    ck_assert_contains(err.message, file);
    ck_assert_contains(err.message, strerror(ENOTDIR));
    build_output_free(&bo);
    expect_text(tmp, "somefile", "a file\n");
    tdx_error_clear(&err);
    free(out);
    free(file);
    tmpdir_remove(tmp);
}
END_TEST

START_TEST(output_that_is_not_a_directory_is_refused)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "out");
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    write_text(tmp, "out", "a file\n");
    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.stage, "new.txt", "new\n");
    ck_assert_int_eq(build_output_commit(&bo, out, &err), -ENOTDIR);
    ck_assert_contains(err.message, "exists and is not a directory");
    build_output_free(&bo);
    expect_text(tmp, "out", "a file\n");
    tdx_error_clear(&err);
    ck_assert_int_eq(build_output_begin(&bo, "", &err), -EINVAL);
    ck_assert_contains(err.message, "expected a directory name");
    build_output_free(&bo);
    tdx_error_clear(&err);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

/* The staging directory is registered: the signal-time cleanup removes it. */
START_TEST(staging_is_removed_by_the_cleanup)
{
    char *tmp = tmpdir_new(), *out = path_in(tmp, "out"), *list;
    struct build_output bo = BUILD_OUTPUT_INIT;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(build_output_begin(&bo, out, &err), 0);
    write_text(bo.work, "tree/file", "x\n");
    ck_assert(exists(bo.top, "work/tree/file"));
    tdx_staging_cleanup();
    list = listing(tmp);
    ck_assert_str_eq(list, "");
    free(list);
    build_output_free(&bo);
    free(out);
    tmpdir_remove(tmp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("output-dir");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, existing_output_is_replaced_whole);
    tcase_add_test(tc, missing_output_is_renamed_into_place);
    tcase_add_test(tc, failed_commit_keeps_the_old_output);
    tcase_add_test(tc, fallback_renames_replace_the_output);
    tcase_add_test(tc, old_output_that_cannot_be_put_back_is_kept);
    tcase_add_test(tc, parent_that_is_a_file_is_refused);
    tcase_add_test(tc, output_that_is_not_a_directory_is_refused);
    tcase_add_test(tc, staging_is_removed_by_the_cleanup);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
