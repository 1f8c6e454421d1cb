/* SPDX-License-Identifier: MIT */
/* tdx_fetch() against a real HTTP server on 127.0.0.1 (tests/scripts/httpd.py),
 * and tdx_fetch_git() against a repository made here. */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch/fetch-internal.h"
#include "helpers.h"

static char *root;      /* what the server serves */
static pid_t server;
static int port;
static char *cache;     /* a fresh cache per test */
static char hello_sha[65], big_sha[65];

#define BIG_SIZE (1 << 20)
#define SOME_SHA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char *url(const char *path)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 512, "http://127.0.0.1:%d/%s", port, path);
    return b;
}

static tdx_fetch_options opts(void)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    o.cache_dir = cache;
    o.stall_timeout = 5;
    return o;
}

/* Names in the cache directory, temporary files included. */
static int cache_entries(char *names, size_t size)
{
    DIR *d = opendir(cache);
    struct dirent *de;
    int n = 0;
    names[0] = '\0';
    if (!d)
        return 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            n++;
            strncat(names, de->d_name, size - strlen(names) - 2);
            strcat(names, " ");
        }
    closedir(d);
    return n;
}

static void server_setup(void)
{
    char path[512];
    FILE *f;

    root = tmpdir_new();
    write_text(root, "hello.txt", "hello, world\n");
    sha256_buffer_hex("hello, world\n", 13, hello_sha);
    snprintf(path, sizeof(path), "%s/big.bin", root);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    {
        char *data = malloc(BIG_SIZE);
        uint32_t x = 12345;
        for (size_t i = 0; i < BIG_SIZE; i++) {
            x = x * 1103515245u + 12345u;
            data[i] = (char)(x >> 24);
        }
        ck_assert_uint_eq(fwrite(data, 1, BIG_SIZE, f), BIG_SIZE);
        sha256_buffer_hex(data, BIG_SIZE, big_sha);
        free(data);
    }
    fclose(f);
    server = http_server_start(root, NULL, &port);
}

static void server_teardown(void)
{
    http_server_stop(server);
    tmpdir_remove(root);
}

static void cache_setup(void)
{
    cache = tmpdir_new();
}

static void cache_teardown(void)
{
    tmpdir_remove(cache);
    cache = NULL;
}

START_TEST(good_fetch_lands_read_only_in_the_cache)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char *path = NULL, names[512], *text;
    struct stat st;

    ck_assert_int_eq(tdx_fetch(url("hello.txt"), hello_sha, &o, &path, &err), 0);
    ck_assert_contains(path, hello_sha);
    text = read_text(path, NULL);
    ck_assert_str_eq(text, "hello, world\n");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0444);
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 1);
    free(text);
    tdx_free(path);

    /* Upper case and the sha256: prefix name the same file. */
    char upper[80] = "SHA256:";
    for (int i = 0; i < 64; i++)
        upper[7 + i] = (char)toupper((unsigned char)hello_sha[i]);
    upper[71] = '\0';
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), upper, &o, NULL, &err), 1);
}
END_TEST

START_TEST(cache_hit_needs_no_network)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char *path = NULL, *text;
    int p2;
    pid_t own;
    char u[128];

    /* A server of its own, stopped before the second fetch. */
    own = http_server_start(root, NULL, &p2);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/big.bin", p2);
    ck_assert_int_eq(tdx_fetch(u, big_sha, &o, NULL, &err), 0);
    http_server_stop(own);

    o.offline = 1;
    ck_assert_int_eq(tdx_fetch(u, big_sha, &o, &path, &err), 1);
    text = read_text(path, NULL);
    ck_assert_ptr_nonnull(text);
    free(text);
    tdx_free(path);
    o.offline = TDX_UNSET;
    ck_assert_int_eq(tdx_fetch(u, big_sha, &o, NULL, &err), 1);

    /* Not cached and offline: a clear refusal. */
    o.offline = 1;
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), hello_sha, &o, NULL, &err), -ENOENT);
    ck_assert_contains(err.message, "not in the cache");
}
END_TEST

START_TEST(hash_mismatch_names_url_expected_got_and_leaves_nothing)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char names[512];

    ck_assert_int_eq(tdx_fetch(url("hello.txt"), big_sha, &o, NULL, &err), -EBADMSG);
    ck_assert_contains(err.message, url("hello.txt"));
    ck_assert_contains(err.message, big_sha);
    ck_assert_contains(err.message, hello_sha);
    ck_assert_contains(err.message, "expected sha256:");
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 0);
}
END_TEST

START_TEST(http_errors_are_reported)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char names[512];

    ck_assert_int_eq(tdx_fetch(url("missing"), hello_sha, &o, NULL, &err), -ENOENT);
    ck_assert_contains(err.message, "HTTP 404");
    ck_assert_contains(err.message, url("missing"));
    ck_assert_int_eq(err.library, TDX_ERROR_LIBRARY_CURL);

    ck_assert_int_eq(tdx_fetch(url("truncate/big.bin"), big_sha, &o, NULL, &err), -EPROTO);
    ck_assert_contains(err.message, "truncated");

    ck_assert_int_eq(tdx_fetch(url("loop"), big_sha, &o, NULL, &err), -ELOOP);
    ck_assert_contains(err.message, "redirects");
    o.max_redirects = 0;
    ck_assert_int_lt(tdx_fetch(url("redirect/hello.txt"), hello_sha, &o, NULL, &err), 0);
    o.max_redirects = 1;
    ck_assert_int_eq(tdx_fetch(url("redirect/hello.txt"), hello_sha, &o, NULL, &err), 0);

    ck_assert_int_eq(cache_entries(names, sizeof(names)), 1);
}
END_TEST

START_TEST(stalled_server_times_out)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char names[512];
    time_t t0 = time(NULL);

    o.stall_timeout = 1;
    ck_assert_int_eq(tdx_fetch(url("stall/big.bin"), big_sha, &o, NULL, &err), -ETIMEDOUT);
    ck_assert_contains(err.message, "timed out");
    ck_assert_int_le(time(NULL) - t0, 20);
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 0);
}
END_TEST

START_TEST(size_limit_and_bad_arguments)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char names[512];

    o.max_size = 1000;
    ck_assert_int_eq(tdx_fetch(url("big.bin"), big_sha, &o, NULL, &err), -EFBIG);
    ck_assert_contains(err.message, "limit of 1000 bytes");
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 0);
    o.max_size = TDX_UNSET;

    ck_assert_int_eq(tdx_fetch(url("hello.txt"), NULL, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "SHA-256 is required");
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), "", &o, NULL, &err), -EINVAL);
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), "abcd", &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "is not a SHA-256");
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), "sha256:", &o, NULL, &err), -EINVAL);
    ck_assert_int_eq(tdx_fetch("ftp://example.org/x", hello_sha, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "not an https://, http:// or file:// URL");
    ck_assert_int_eq(tdx_fetch(NULL, hello_sha, &o, NULL, &err), -EINVAL);
    o.version = 99;
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), hello_sha, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "version 99");
}
END_TEST

struct racer {
    const char *url;
    int rc;
    char path[512];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char *path = NULL;
    r->rc = tdx_fetch(r->url, big_sha, &o, &path, &err);
    if (path)
        snprintf(r->path, sizeof(r->path), "%s", path);
    tdx_free(path);
    return NULL;
}

START_TEST(concurrent_fetches_of_one_hash)
{
    struct racer r[3];
    pthread_t t[3];
    char names[512], *data;
    char got[65];
    size_t n;

    for (int i = 0; i < 3; i++) {
        r[i].url = url("slow/big.bin");
        ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_ge(r[i].rc, 0);
        ck_assert_str_eq(r[i].path, r[0].path);
    }
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 1);
    data = read_text(r[0].path, &n);
    ck_assert_uint_eq(n, BIG_SIZE);
    sha256_buffer_hex(data, n, got);
    ck_assert_str_eq(got, big_sha);
    free(data);
}
END_TEST

static int progress_calls;
static uint64_t progress_last;

static int count_progress(void *data, const char *what, uint64_t done, uint64_t total)
{
    (void)what;
    progress_calls++;
    progress_last = done;
    if (data && done > 0 && done < total)
        return 1;
    return 0;
}

START_TEST(progress_reports_and_cancels)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char names[512];

    o.progress = count_progress;
    progress_calls = 0;
    ck_assert_int_eq(tdx_fetch(url("big.bin"), big_sha, &o, NULL, &err), 0);
    ck_assert_int_ge(progress_calls, 1);
    ck_assert_uint_eq(progress_last, BIG_SIZE);

    o.progress_data = (void *)1;
    ck_assert_int_eq(tdx_fetch(url("slow/hello.txt"), hello_sha, &o, NULL, &err), 0);
    ck_assert_int_eq(tdx_fetch(url("slow/big.bin"), "sha256:" SOME_SHA, &o, NULL, &err), -ECANCELED);
    ck_assert_int_eq(cache_entries(names, sizeof(names)), 2);
}
END_TEST

START_TEST(output_copy_hash_of_and_verify)
{
    tdx_fetch_options o = opts();
    tdx_error err = TDX_ERROR_INIT;
    char out[600], local[600], *hex = NULL, *path = NULL, *text;
    uint64_t size = 0;
    FILE *f;

    snprintf(out, sizeof(out), "%s/copy.txt", cache);
    o.output = out;
    ck_assert_int_eq(tdx_fetch(url("hello.txt"), hello_sha, &o, NULL, &err), 0);
    text = read_text(out, NULL);
    ck_assert_str_eq(text, "hello, world\n");
    free(text);
    o.output = NULL;

    /* hash_of: a URL is downloaded and cached, a file is read. */
    ck_assert_int_eq(tdx_fetch_hash(url("big.bin"), &o, &hex, &size, &err), 0);
    ck_assert_str_eq(hex, big_sha);
    ck_assert_uint_eq(size, BIG_SIZE);
    tdx_free(hex);
    o.offline = 1;
    ck_assert_int_eq(tdx_fetch(url("big.bin"), big_sha, &o, NULL, &err), 1);
    o.offline = TDX_UNSET;
    snprintf(local, sizeof(local), "%s/hello.txt", root);
    ck_assert_int_eq(tdx_fetch_hash(local, &o, &hex, NULL, &err), 0);
    ck_assert_str_eq(hex, hello_sha);
    tdx_free(hex);
    ck_assert_int_eq(tdx_fetch_hash("/nonexistent/file", &o, &hex, NULL, &err), -ENOENT);

    /* file:// works like http. */
    write_text(cache, "src/local.txt", "hello, world\n");
    snprintf(local, sizeof(local), "file://%s/src/local.txt", cache);
    snprintf(out, sizeof(out), "%s/fresh", cache);
    o.cache_dir = out;
    ck_assert_int_eq(tdx_fetch(local, hello_sha, &o, &path, &err), 0);

    /* A damaged cache entry is trusted unless verify_cached asks. */
    chmod(path, 0644);
    f = fopen(path, "w");
    fputs("damaged", f);
    fclose(f);
    ck_assert_int_eq(tdx_fetch(local, hello_sha, &o, NULL, &err), 1);
    o.verify_cached = 1;
    ck_assert_int_eq(tdx_fetch(local, hello_sha, &o, NULL, &err), 0);
    text = read_text(path, NULL);
    ck_assert_str_eq(text, "hello, world\n");
    free(text);
    tdx_free(path);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* git                                                                      */

static char *make_repo(char commit[41])
{
    char *repo = tmpdir_new(), *out, script[2048];
    write_text(repo, "README", "readme\n");
    write_text(repo, "src/main.c", "int main(void) { return 0; }\n");
    write_text(repo, "run.sh", "#!/bin/sh\necho hi\n");
    snprintf(script, sizeof(script),
             "set -e; cd '%s'; chmod +x run.sh; ln -s src/main.c link\n"
             "export GIT_CONFIG_NOSYSTEM=1 HOME='%s'\n"
             "git init -q . && git add -A\n"
             "git -c user.name=t -c user.email=t@e commit -qm one\n"
             "git tag v1\n"
             "echo changed >> README\n"
             "git -c user.name=t -c user.email=t@e commit -qam two\n"
             "git rev-parse HEAD~1\n", repo, repo);
    out = sh_output(script);
    ck_assert_uint_ge(strlen(out), 40);
    memcpy(commit, out, 40);
    commit[40] = '\0';
    free(out);
    return repo;
}

START_TEST(git_tag_and_commit_are_pinned_by_tree_hash)
{
    tdx_git_options g = TDX_GIT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char commit[41], u[600], *path = NULL, *got = NULL, *tree = NULL, *text, script[700], *want;
    char *repo = make_repo(commit), *plain;

    /* The expected hash: the tree at v1 without .git. */
    plain = tmpdir_new();
    snprintf(script, sizeof(script), "cd '%s' && git archive v1 | tar -x -C '%s'", repo, plain);
    free(sh_output(script));
    ck_assert_int_eq(tdx_tree_hash(plain, &want, &err), 0);

    snprintf(u, sizeof(u), "file://%s", repo);
    g.cache_dir = cache;
    g.tag = "v1";
    ck_assert_int_eq(tdx_fetch_git(u, want, &g, &path, &got, &err), 0);
    ck_assert_str_eq(got, commit);
    ck_assert_int_eq(tdx_tree_hash(path, &tree, &err), 0);
    ck_assert_str_eq(tree, want);
    snprintf(script, sizeof(script), "%s/README", path);
    text = read_text(script, NULL);
    ck_assert_str_eq(text, "readme\n");
    free(text);
    snprintf(script, sizeof(script), "%s/.git", path);
    ck_assert_int_ne(access(script, F_OK), 0);
    tdx_free(path);
    tdx_free(got);
    tdx_free(tree);

    /* The same tree by commit is a cache hit, even offline. */
    g.tag = NULL;
    g.commit = commit;
    g.offline = 1;
    ck_assert_int_eq(tdx_fetch_git(u, want, &g, NULL, &got, &err), 1);
    ck_assert_str_eq(got, commit);
    tdx_free(got);

    /* A wrong pin names both hashes and leaves nothing behind. */
    g.offline = TDX_UNSET;
    g.tag = "v1";
    g.commit = NULL;
    ck_assert_int_eq(tdx_fetch_git(u, hello_sha, &g, NULL, NULL, &err), -EBADMSG);
    ck_assert_contains(err.message, hello_sha);
    ck_assert_contains(err.message, want);
    ck_assert_contains(err.message, "tree hash mismatch");

    /* A lock records the git source and a frozen prefetch uses the cache. */
    {
        tdx_lock *lock = NULL;
        tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
        tdx_git_options dflt = g;
        char *json = NULL;
        /* tdx_lock_fetch_all() uses the default git cache. */
        setenv("XDG_CACHE_HOME", cache, 1);
        dflt.cache_dir = NULL;
        ck_assert_int_eq(tdx_lock_new(&lock, &err), 0);
        ck_assert_msg(tdx_lock_add_git(lock, u, want, &dflt, 1767225600, &err) == 0, "%s", err.message);
        ck_assert_int_eq(tdx_lock_to_json(lock, &json, &err), 0);
        ck_assert_contains(json, commit);
        ck_assert_contains(json, want);
        ck_assert_contains(json, "\"tag\": \"v1\"");
        ck_assert_contains(json, "\"resolved_at\": \"2026-01-01T00:00:00Z\"");
        fo.offline = 1;
        ck_assert_int_eq(tdx_lock_fetch_all(lock, &fo, &err), 1);
        tdx_free(json);
        tdx_lock_free(lock);
        unsetenv("XDG_CACHE_HOME");
    }

    g.tag = "no-such-tag";
    ck_assert_int_eq(tdx_fetch_git(u, hello_sha, &g, NULL, NULL, &err), -EIO);
    ck_assert_contains(err.message, "git clone failed");
    g.tag = "--upload-pack=evil";
    ck_assert_int_eq(tdx_fetch_git(u, hello_sha, &g, NULL, NULL, &err), -EINVAL);
    g.tag = NULL;
    g.commit = "abc";
    ck_assert_int_eq(tdx_fetch_git(u, hello_sha, &g, NULL, NULL, &err), -EINVAL);
    g.commit = NULL;
    ck_assert_int_eq(tdx_fetch_git(u, hello_sha, &g, NULL, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "exactly one of tag and commit");

    tdx_free(want);
    tmpdir_remove(plain);
    tmpdir_remove(repo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc = tcase_create("http");
    TCase *tg = tcase_create("git");

    if (!have_program("python3")) {
        printf("SKIP: python3 is not installed (the test HTTP server needs it)\n");
        return 77;
    }
    if (!have_program("git")) {
        printf("SKIP: git is not installed (tdx_fetch_git needs it)\n");
        return 77;
    }
    tcase_add_unchecked_fixture(tc, server_setup, server_teardown);
    tcase_add_checked_fixture(tc, cache_setup, cache_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, good_fetch_lands_read_only_in_the_cache);
    tcase_add_test(tc, cache_hit_needs_no_network);
    tcase_add_test(tc, hash_mismatch_names_url_expected_got_and_leaves_nothing);
    tcase_add_test(tc, http_errors_are_reported);
    tcase_add_test(tc, stalled_server_times_out);
    tcase_add_test(tc, size_limit_and_bad_arguments);
    tcase_add_test(tc, concurrent_fetches_of_one_hash);
    tcase_add_test(tc, progress_reports_and_cancels);
    tcase_add_test(tc, output_copy_hash_of_and_verify);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(tg, cache_setup, cache_teardown);
    tcase_set_timeout(tg, 120);
    tcase_add_test(tg, git_tag_and_commit_are_pinned_by_tree_hash);
    suite_add_tcase(s, tg);
    return run_suite(s);
}
