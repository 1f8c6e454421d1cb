/* SPDX-License-Identifier: MIT */
/* The lockfile: strict reading, canonical round trip, the recipe digest,
 * resolve/check/frozen with downloads from a local HTTP server. Debian
 * entries against a signed archive: tests/scripts/check-lock.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch/fetch-internal.h"
#include "helpers.h"

static const char sample[] =
    "{\n"
    "  \"debian\": [\n"
    "    {\n"
    "      \"arch\": \"amd64\",\n"
    "      \"architecture\": \"all\",\n"
    "      \"component\": \"main\",\n"
    "      \"inrelease_date\": \"Sat, 11 Jul 2026 10:16:37 UTC\",\n"
    "      \"inrelease_sha256\": \"77737fa4b34f2693e982cc9ee35736816c35a7778fc2d326cc1bbf5b301fe1aa\",\n"
    "      \"inrelease_url\": \"http://deb.debian.org/debian/dists/bookworm/InRelease\",\n"
    "      \"mirror\": \"http://deb.debian.org/debian\",\n"
    "      \"name\": \"ovmf\",\n"
    "      \"path\": \"pool/main/e/edk2/ovmf_2022.11-6+deb12u2_all.deb\",\n"
    "      \"release\": \"bookworm\",\n"
    "      \"requested\": \"ovmf\",\n"
    "      \"resolved_at\": \"2026-11-21T04:21:41Z\",\n"
    "      \"sha256\": \"e73d3d1a8799f7f6fc16b73501d913edcdd86237556fbff30693e747e6dc262e\",\n"
    "      \"size\": 7683456,\n"
    "      \"url\": \"http://deb.debian.org/debian/pool/main/e/edk2/ovmf_2022.11-6+deb12u2_all.deb\",\n"
    "      \"used_by\": [\n"
    "        \"default: firmware\"\n"
    "      ],\n"
    "      \"version\": \"2022.11-6+deb12u2\"\n"
    "    }\n"
    "  ],\n"
    "  \"fetch\": [\n"
    "    {\n"
    "      \"resolved_at\": \"2026-01-01T00:00:00Z\",\n"
    "      \"sha256\": \"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\",\n"
    "      \"size\": 6,\n"
    "      \"url\": \"https://example.org/a.tar.gz\",\n"
    "      \"used_by\": [\n"
    "        \"default: kernel.url\"\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"git\": [\n"
    "    {\n"
    "      \"commit\": \"0123456789abcdef0123456789abcdef01234567\",\n"
    "      \"resolved_at\": \"2026-01-01T00:00:00Z\",\n"
    "      \"tag\": \"v1\",\n"
    "      \"tree_sha256\": \"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\",\n"
    "      \"url\": \"https://example.org/repo.git\"\n"
    "    }\n"
    "  ],\n"
    "  \"lock_version\": 1,\n"
    "  \"modules\": [\n"
    "    {\n"
    "      \"path\": \"src/app\",\n"
    "      \"tree_sha256\": \"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\",\n"
    "      \"used_by\": [\n"
    "        \"default: builds.app.src\"\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"recipe\": {\n"
    "    \"digest\": \"8f52f1ade1a657422a4d8b9c958b1312e41b63b3935645485481720015e94282\",\n"
    "    \"name\": \"minimal\",\n"
    "    \"profiles\": {\n"
    "      \"default\": {\n"
    "        \"install\": \"f1b4f6da0d0005a6cab74a346d5e6cf07a8bbb9e5f6e0e258abf9dc7a75672a0\"\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

START_TEST(lockfile_round_trips_canonically)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL, *again = NULL;
    char *text = NULL, *text2 = NULL, *dir = tmpdir_new(), path[512], *disk;

    ck_assert_msg(tdx_lock_load_buffer(&lock, "tdx.lock", sample, strlen(sample), &err) == 0, "%s",
                  err.message);
    ck_assert_int_eq(tdx_lock_to_json(lock, &text, &err), 0);
    ck_assert_str_eq(text, sample);
    snprintf(path, sizeof(path), "%s/tdx.lock", dir);
    ck_assert_int_eq(tdx_lock_save(lock, path, &err), 0);
    disk = read_text(path, NULL);
    ck_assert_str_eq(disk, sample);
    ck_assert_int_eq(tdx_lock_load(&again, path, &err), 0);
    ck_assert_int_eq(tdx_lock_to_json(again, &text2, &err), 0);
    ck_assert_str_eq(text2, sample);
    free(disk);
    tdx_free(text);
    tdx_free(text2);
    tdx_lock_free(lock);
    tdx_lock_free(again);
    tmpdir_remove(dir);
}
END_TEST

static void expect_bad(const char *from, const char *to, const char *fragment)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL;
    char *copy = malloc(strlen(sample) + strlen(to) + 1), *at = strstr(sample, from);
    ck_assert_ptr_nonnull(at);
    memcpy(copy, sample, (size_t)(at - sample));
    strcpy(copy + (at - sample), to);
    strcat(copy, at + strlen(from));
    ck_assert_int_eq(tdx_lock_load_buffer(&lock, "x.lock", copy, strlen(copy), &err), -EINVAL);
    ck_assert_ptr_null(lock);
    ck_assert_contains(err.message, fragment);
    free(copy);
}

START_TEST(lockfile_errors_name_the_json_path)
{
    expect_bad("\"lock_version\": 1", "\"lock_version\": 2", "x.lock: lock_version: 2 is newer than this tdxctl understands (1)");
    expect_bad("\"lock_version\": 1", "\"lock_version\": \"1\"", "x.lock: lock_version: expected an integer, got a string");
    expect_bad("\"size\": 6", "\"size\": -6", "x.lock: fetch[0].size: expected an integer from 0 to 9223372036854775807, got -6");
    expect_bad("\"url\": \"https://example.org/a.tar.gz\"", "\"url\": \"ftp://x\"",
               "x.lock: fetch[0].url: expected an https://, http:// or file:// URL, got \"ftp://x\"");
    expect_bad("\"name\": \"ovmf\"", "\"nam\": \"ovmf\"", "x.lock: debian[0].nam: unknown key; did you mean \"name\"?");
    expect_bad("\"sha256\": \"e73d", "\"sha256\": \"E73d", "x.lock: debian[0].sha256: expected 64 lowercase hexadecimal digits, got \"E73d");
    expect_bad("\"resolved_at\": \"2026-01-01T00:00:00Z\",\n      \"sha256\"",
               "\"resolved_at\": \"yesterday\",\n      \"sha256\"", "x.lock: fetch[0].resolved_at: expected a UTC time like 2026-01-31T12:00:00Z, got \"yesterday\"");
    expect_bad("\"lock_version\": 1,", "\"lock_version\": 1, \"extra\": 1,", "x.lock: extra: unknown key; expected one of \"lock_version\", \"recipe\", \"fetch\", \"debian\", \"git\", \"modules\"");
    expect_bad("\"recipe\": {", "\"recipe\": {\"digest\": \"x\", ", "x.lock:56:12: duplicate member name near '\"digest\"'");
    expect_bad("\"path\": \"src/app\",", "", "x.lock: modules[0].path: required");
}
END_TEST

/* A recipe directory below the served root: sources, a "toolchain" and a
 * "kernel tarball" served by the test HTTP server. */
static char *root;
static int port;
static pid_t server;

struct fixture {
    char *dir;
    const char *name;
    char recipe[4096];
    char go_sha[65], kernel_sha[65];
};

static void make_fixture(struct fixture *f, const char *extra)
{
    static int count;
    char path[600];
    f->dir = malloc(600);
    snprintf(f->dir, 600, "%s/f%d", root, ++count);
    mkdir(f->dir, 0755);
    f->name = strrchr(f->dir, '/') + 1;
    write_text(f->dir, "src/app/main.go", "package main\nfunc main() {}\n");
    write_text(f->dir, "fw/OVMF.fd", "firmware");
    write_text(f->dir, "dl/go.tar.gz", "a go toolchain");
    write_text(f->dir, "dl/linux.tar.xz", "a kernel");
    snprintf(path, sizeof(path), "%s/dl/go.tar.gz", f->dir);
    ck_assert_int_eq(sha256_file(path, f->go_sha, NULL, NULL), 0);
    snprintf(path, sizeof(path), "%s/dl/linux.tar.xz", f->dir);
    ck_assert_int_eq(sha256_file(path, f->kernel_sha, NULL, NULL), 0);
    snprintf(f->recipe, sizeof(f->recipe),
             "{\"name\": \"locktest\", \"firmware\": \"fw/OVMF.fd\",\n"
             " \"kernel\": {\"version\": \"6.12.8\", \"url\": \"http://127.0.0.1:%d/%s/dl/linux.tar.xz\", \"sha256\": \"%s\"},\n"
             " \"builds\": [{\"name\": \"app\", \"kind\": \"go\", \"src\": \"src/app\", \"output\": \"/usr/bin/app\",\n"
             "   \"toolchain\": {\"url\": \"http://127.0.0.1:%d/%s/dl/go.tar.gz\", \"sha256\": \"%s\"}}],\n"
             " \"profiles\": {\"dev\": {\"install\": [\"strace\"]%s}}}\n",
             port, f->name, f->kernel_sha, port, f->name, f->go_sha, extra);
}

static tdx_image *load(const struct fixture *f, const char *json)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(json ? json : f->recipe, f->dir, &err);
    ck_assert_msg(image != NULL, "%s", err.message);
    return image;
}

static tdx_lock_options lock_opts(const struct fixture *f, tdx_fetch_options *fo, char *cache)
{
    tdx_lock_options o = TDX_LOCK_OPTIONS_INIT;
    *fo = (tdx_fetch_options)TDX_FETCH_OPTIONS_INIT;
    snprintf(cache, 600, "%s/cache", f->dir);
    fo->cache_dir = cache;
    o.recipe_dir = f->dir;
    o.now = 1767225600;   /* 2026-01-01T00:00:00Z */
    o.fetch = fo;
    return o;
}

static bool has_change(const tdx_lock *lock, const char *fragment)
{
    for (const char *const *c = tdx_lock_changes(lock); *c; c++)
        if (strstr(*c, fragment))
            return true;
    return false;
}

START_TEST(recipe_digest_ignores_the_checkout_location)
{
    struct fixture a, b;
    tdx_error err = TDX_ERROR_INIT;
    char *da = NULL, *db = NULL, *dc = NULL;
    tdx_image *ia, *ib;

    make_fixture(&a, "");
    make_fixture(&b, "");
    /* Same recipe apart from where it lives (the URLs name their directory). */
    ia = load(&a, NULL);
    {
        char *moved = strdup(a.recipe);
        tdx_image *im = load_json(moved, b.dir, &err);
        ck_assert_ptr_nonnull(im);
        ck_assert_int_eq(tdx_recipe_digest(ia, &da, &err), 0);
        ck_assert_int_eq(tdx_recipe_digest(im, &db, &err), 0);
        ck_assert_str_eq(da, db);
        tdx_image_free(im);
        free(moved);
    }
    /* A source file's content counts. */
    write_text(b.dir, "src/app/main.go", "package main\nfunc main() { println() }\n");
    ib = load_json(a.recipe, b.dir, &err);
    ck_assert_int_eq(tdx_recipe_digest(ib, &dc, &err), 0);
    ck_assert_str_ne(da, dc);
    tdx_free(da);
    tdx_free(db);
    tdx_free(dc);
    tdx_image_free(ia);
    tdx_image_free(ib);
    free(a.dir);
    free(b.dir);
}
END_TEST

/* The returned code alone says what failed: callers may pass err == NULL. */
START_TEST(failures_return_their_code_without_an_error_struct)
{
    struct fixture f;
    char path[700], *digest = NULL;
    tdx_lock *lock = NULL;
    tdx_image *image;

    ck_assert_int_eq(tdx_lock_load_buffer(&lock, "x.lock", "{", 1, NULL), -EINVAL);
    ck_assert_int_eq(tdx_lock_load_buffer(&lock, "x.lock", "{\"lock_version\": 0}", 19, NULL), -EINVAL);
    ck_assert_int_eq(tdx_lock_load(&lock, "/nonexistent/tdx.lock", NULL), -ENOENT);
    make_fixture(&f, "");
    image = load(&f, NULL);
    /* The firmware the recipe names goes away before its digest is taken. */
    snprintf(path, sizeof(path), "%s/fw/OVMF.fd", f.dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(tdx_recipe_digest(image, &digest, NULL), -ENOENT);
    ck_assert_ptr_null(digest);
    {
        tdx_error err = TDX_ERROR_INIT;
        ck_assert_int_eq(tdx_recipe_digest(image, &digest, &err), -ENOENT);
        ck_assert_int_eq(err.code, -ENOENT);
        /* From the source hashing, after the effective recipe was made. */
        strcat(path, ": No such file or directory");
        ck_assert_str_eq(err.message, path);
    }
    tdx_image_free(image);
    free(f.dir);
}
END_TEST

START_TEST(resolve_check_and_frozen_access)
{
    struct fixture f;
    tdx_fetch_options fo;
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL;
    tdx_image *image, *changed;
    char cache[600], *json = NULL, *path = NULL, url[700], *again = NULL;
    tdx_lock_options o;

    make_fixture(&f, "");
    o = lock_opts(&f, &fo, cache);
    image = load(&f, NULL);
    ck_assert_int_eq(tdx_lock_new(&lock, &err), 0);
    ck_assert_int_eq(tdx_lock_check(lock, image, &o, &err), -ENODATA);

    /* Dry run: the changes, nothing downloaded. */
    o.dry_run = 1;
    ck_assert_int_eq(tdx_lock_resolve(lock, image, &o, &err), 4);
    ck_assert(has_change(lock, "+ recipe locktest"));
    ck_assert(has_change(lock, "+ module src/app"));
    ck_assert_int_ne(access(cache, F_OK), 0);
    tdx_lock_free(lock);
    ck_assert_int_eq(tdx_lock_new(&lock, &err), 0);
    o.dry_run = TDX_UNSET;

    ck_assert_msg(tdx_lock_resolve(lock, image, &o, &err) == 4, "%s", err.message);
    ck_assert_int_eq(tdx_lock_to_json(lock, &json, &err), 0);
    ck_assert_contains(json, f.go_sha);
    ck_assert_contains(json, "\"size\": 14");
    ck_assert_contains(json, "\"resolved_at\": \"2026-01-01T00:00:00Z\"");
    ck_assert_contains(json, "\"default: builds.app.toolchain\"");
    ck_assert_contains(json, "\"dev: kernel.url\"");
    ck_assert_contains(json, "\"path\": \"src/app\"");
    ck_assert_contains(json, "\"debian\": []");
    ck_assert_int_eq(tdx_lock_check(lock, image, &o, &err), 0);

    /* Up to date: nothing changes, first-resolved times stay. */
    o.now = 1800000000;
    ck_assert_int_eq(tdx_lock_resolve(lock, image, &o, &err), 0);
    ck_assert_int_eq(tdx_lock_to_json(lock, &again, &err), 0);
    ck_assert_str_eq(again, json);
    tdx_free(again);

    /* Frozen access: locked entries only. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/dl/go.tar.gz", port, f.name);
    ck_assert_int_eq(tdx_lock_fetch_url(lock, url, &fo, &path, &err), 1);
    tdx_free(path);
    ck_assert_int_eq(tdx_lock_fetch_url(lock, "https://example.org/other", &fo, &path, &err), -ENOENT);
    ck_assert_contains(err.message, "frozen: https://example.org/other is not in the lock");
    ck_assert_int_eq(tdx_lock_fetch_deb(lock, "ovmf", "bookworm", NULL, &fo, &path, &err), -ENOENT);
    ck_assert_contains(err.message, "Debian package ovmf (bookworm/amd64) is not in the lock");
    ck_assert_int_eq(tdx_lock_fetch_all(lock, &fo, &err), 2);

    /* Stale: a source changes, the recipe changes, a pin changes. */
    write_text(f.dir, "src/app/extra.go", "package main\n");
    ck_assert_int_eq(tdx_lock_check(lock, image, &o, &err), -ESTALE);
    ck_assert_contains(err.message, "the lock is stale: recipe profile default changed: builds");
    ck_assert(has_change(lock, "module src/app changed: the lock has sha256:"));
    unlink(strcat(strcpy(url, f.dir), "/src/app/extra.go"));
    ck_assert_int_eq(tdx_lock_check(lock, image, &o, &err), 0);

    {
        char *edited = strdup(f.recipe);
        char *at = strstr(edited, f.go_sha);
        /* Not in the cache, so it must be downloaded (a cached hash would be a hit). */
        memset(at, 'a', 64);
        changed = load(&f, edited);
        free(edited);
    }
    ck_assert_int_eq(tdx_lock_check(lock, changed, &o, &err), -ESTALE);
    ck_assert(has_change(lock, "the recipe pins sha256:"));
    ck_assert(has_change(lock, "recipe profile dev changed: builds"));
    /* Resolving it fails: the file does not match the new pin; the lock's file is untouched. */
    ck_assert_int_eq(tdx_lock_resolve(lock, changed, &o, &err), -EBADMSG);
    ck_assert_contains(err.message, "default: builds.app.toolchain: hash mismatch for http://");
    tdx_image_free(changed);

    tdx_free(json);
    tdx_lock_free(lock);
    tdx_image_free(image);
    free(f.dir);
}
END_TEST

START_TEST(removed_and_added_inputs_are_named)
{
    struct fixture f;
    tdx_fetch_options fo;
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL;
    tdx_image *image, *more;
    char cache[600];
    tdx_lock_options o;

    make_fixture(&f, ", \"builds\": [{\"name\": \"tool\", \"kind\": \"c\", \"src\": \"src/app\", "
                     "\"build_script\": \"make\", \"artifacts\": {\"a\": \"/usr/bin/a\"}}]");
    o = lock_opts(&f, &fo, cache);
    image = load(&f, NULL);
    ck_assert_int_eq(tdx_lock_new(&lock, &err), 0);
    ck_assert_int_eq(tdx_lock_resolve(lock, image, &o, &err), 4);
    {
        char *json = NULL;
        ck_assert_int_eq(tdx_lock_to_json(lock, &json, &err), 0);
        /* One module, used by two builds. */
        ck_assert_contains(json, "\"default: builds.app.src\",\n        \"dev: builds.app.src\",\n"
                                 "        \"dev: builds.tool.src\"");
        tdx_free(json);
    }
    more = load(&f, "{\"name\": \"locktest\", \"firmware\": \"ovmf\"}");
    ck_assert_int_eq(tdx_lock_check(lock, more, &o, &err), -ESTALE);
    ck_assert(has_change(lock, "Debian package linux-image-amd64 (bookworm/amd64, default: kernel.package) is not in the lock"));
    ck_assert(has_change(lock, "Debian package ovmf (bookworm/amd64, default: firmware) is not in the lock"));
    ck_assert(has_change(lock, "which the recipe no longer uses"));
    ck_assert(has_change(lock, "profile dev was removed"));
    ck_assert_contains(err.message, "more)");
    tdx_image_free(more);
    tdx_image_free(image);
    tdx_lock_free(lock);
    free(f.dir);
}
END_TEST

/* tdx_lock_update(): the lock file beside the recipe, written when something
 * changed or there was none, never on a dry run, an up-to-date one untouched. */
START_TEST(update_decides_where_and_when_to_write)
{
    struct fixture f;
    tdx_fetch_options fo;
    tdx_error err = TDX_ERROR_INIT;
    tdx_lock *lock = NULL;
    tdx_image *image;
    char cache[600], recipe[700], expected[700], *path = NULL, *before, *after;
    struct stat st1, st2;
    int written = -1;
    tdx_lock_options o;

    make_fixture(&f, "");
    o = lock_opts(&f, &fo, cache);
    o.recipe_dir = NULL;
    write_text(f.dir, "recipe.json", f.recipe);
    snprintf(recipe, sizeof(recipe), "%s/recipe.json", f.dir);
    snprintf(expected, sizeof(expected), "%s/tdx.lock", f.dir);
    o.recipe_file = recipe;
    image = load(&f, NULL);

    ck_assert_int_eq(tdx_lock_file_path(&o, &path, &err), 0);
    ck_assert_str_eq(path, expected);
    ck_assert_int_eq(tdx_lock_open(&lock, &o, &err), -ENOENT);

    o.dry_run = 1;
    ck_assert_msg(tdx_lock_update(&lock, image, &o, &written, &err) == 4, "%s", err.message);
    ck_assert_int_eq(written, 0);
    ck_assert_int_ne(access(expected, F_OK), 0);
    tdx_lock_free(lock);

    o.dry_run = TDX_UNSET;
    ck_assert_msg(tdx_lock_update(&lock, image, &o, &written, &err) == 4, "%s", err.message);
    ck_assert_int_eq(written, 1);
    /* Source paths relative to the recipe's directory, found from recipe_file. */
    ck_assert(has_change(lock, "+ module src/app"));
    tdx_lock_free(lock);
    ck_assert_int_eq(stat(expected, &st1), 0);
    before = read_text(expected, NULL);

    ck_assert_msg(tdx_lock_update(&lock, image, &o, &written, &err) == 0, "%s", err.message);
    ck_assert_int_eq(written, 0);
    tdx_lock_free(lock);
    ck_assert_int_eq(stat(expected, &st2), 0);
    after = read_text(expected, NULL);
    ck_assert_str_eq(before, after);
    ck_assert(st1.st_ino == st2.st_ino && st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec &&
              st1.st_mtim.tv_sec == st2.st_mtim.tv_sec);

    /* The check finds the same directory from recipe_file alone. */
    ck_assert_int_eq(tdx_lock_open(&lock, &o, &err), 0);
    ck_assert_msg(tdx_lock_check(lock, image, &o, &err) == 0, "%s", err.message);
    tdx_lock_free(lock);

    /* An explicit lock file wins; an empty one is refused, with or without err. */
    tdx_free(path);
    snprintf(expected, sizeof(expected), "%s/other.lock", f.dir);
    o.lockfile = expected;
    ck_assert_int_eq(tdx_lock_file_path(&o, &path, &err), 0);
    ck_assert_str_eq(path, expected);
    ck_assert_int_eq(tdx_lock_update(&lock, image, &o, NULL, &err), 4);
    tdx_lock_free(lock);
    ck_assert_int_eq(access(expected, F_OK), 0);
    o.lockfile = "";
    ck_assert_int_eq(tdx_lock_update(&lock, image, &o, &written, NULL), -EINVAL);
    ck_assert_int_eq(tdx_lock_update(&lock, image, &o, &written, &err), -EINVAL);
    ck_assert_contains(err.message, "lockfile: empty path");

    /* A version 1 struct has neither field: its lock file is ./tdx.lock. */
    o.version = 1;
    tdx_free(path);
    ck_assert_int_eq(tdx_lock_file_path(&o, &path, &err), 0);
    ck_assert_str_eq(path, "tdx.lock");
    o.version = TDX_LOCK_OPTIONS_VERSION + 1;
    ck_assert_int_eq(tdx_lock_file_path(&o, &path, NULL), -EINVAL);

    tdx_free(path);
    free(before);
    free(after);
    tdx_image_free(image);
    free(f.dir);
}
END_TEST

static void server_setup(void)
{
    root = tmpdir_new();
    server = http_server_start(root, NULL, &port);
}

static void server_teardown(void)
{
    http_server_stop(server);
    tmpdir_remove(root);
}

int main(void)
{
    Suite *s = suite_create("lock");
    TCase *tc = tcase_create("core");

    if (!have_program("python3")) {
        printf("SKIP: python3 is not installed (the test HTTP server needs it)\n");
        return 77;
    }
    tcase_add_unchecked_fixture(tc, server_setup, server_teardown);
    tcase_add_test(tc, lockfile_round_trips_canonically);
    tcase_add_test(tc, lockfile_errors_name_the_json_path);
    tcase_add_test(tc, recipe_digest_ignores_the_checkout_location);
    tcase_add_test(tc, failures_return_their_code_without_an_error_struct);
    tcase_add_test(tc, resolve_check_and_frozen_access);
    tcase_add_test(tc, removed_and_added_inputs_are_named);
    tcase_add_test(tc, update_decides_where_and_when_to_write);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
