/* SPDX-License-Identifier: MIT */
/* The Debian parsers: versions, deb822, Release, Packages, apt sources.
 * Resolution against a signed archive is tests/scripts/check-deb.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb-internal.h"
#include "helpers.h"
#include "strv.h"

static const struct { const char *a, *b; int sign; } versions[] = {
    { "1.0", "1.0", 0 },          { "1.0", "1.1", -1 },        { "1.10", "1.9", 1 },
    { "1.0~rc1", "1.0", -1 },     { "1.0~rc1-1", "1.0-1", -1 }, { "1.0~~", "1.0~", -1 },
    { "1:0.1", "2.0", 1 },        { "0:1.0", "1.0", 0 },       { "1.0-1", "1.0-2", -1 },
    { "1.0-1", "1.0", 1 },        { "1.0a", "1.0", 1 },        { "1.0a", "1.0+", -1 },
    { "1.001", "1.1", 0 },        { "2022.11-6+deb12u2", "2022.11-6", 1 },
    { "6.1.176-1", "6.1.140-1", 1 }, { "1.0+b1", "1.0", 1 },   { "1.0.", "1.0", 1 },
};

START_TEST(versions_order_like_dpkg)
{
    int r = deb_version_compare(versions[_i].a, versions[_i].b);
    int sign = r < 0 ? -1 : r > 0;
    ck_assert_msg(sign == versions[_i].sign, "%s vs %s: got %d, want %d", versions[_i].a,
                  versions[_i].b, sign, versions[_i].sign);
    r = deb_version_compare(versions[_i].b, versions[_i].a);
    ck_assert_int_eq(r < 0 ? -1 : r > 0, -versions[_i].sign);
}
END_TEST

static const char release_text[] =
    "Origin: Debian\n"
    "Suite: oldstable\n"
    "Codename: bookworm\n"
    "Date: Sat, 11 Jul 2026 10:16:37 UTC\n"
    "Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC\n"
    "Acquire-By-Hash: yes\n"
    "Architectures: all amd64 arm64\n"
    "Components: main contrib\n"
    "Description: test\n"
    "MD5Sum:\n"
    " 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all\n"
    "SHA256:\n"
    " 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 main/binary-amd64/Packages\n"
    " 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 main/binary-amd64/Packages.xz\n";

START_TEST(release_files_are_parsed)
{
    struct release r;
    tdx_error err = TDX_ERROR_INIT;
    const struct release_file *f;
    time_t t;

    ck_assert_int_eq(release_parse(release_text, strlen(release_text), "Release", &r, &err), 0);
    ck_assert_str_eq(r.suite, "oldstable");
    ck_assert_str_eq(r.codename, "bookworm");
    ck_assert(r.by_hash);
    ck_assert_uint_eq(strv_length(r.architectures), 3);
    ck_assert_uint_eq(r.n_files, 2);
    f = release_find(&r, "main/binary-amd64/Packages.xz");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->size, 8790396);
    ck_assert_str_eq(f->sha256, "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5");
    ck_assert_ptr_null(release_find(&r, "contrib/Contents-all"));
    ck_assert_int_eq(release_parse_date(r.valid_until, &t), 0);
    ck_assert_int_eq((long long)t, 1784369797LL);
    release_free(&r);

    ck_assert_int_eq(release_parse("Suite: x\n", 9, "R", &r, &err), -EBADMSG);
    ck_assert_contains(err.message, "R: no SHA256 field");
    ck_assert_int_eq(release_parse("Suite: x\nSHA256:\n zz 1 a\n", 24, "R", &r, &err), -EBADMSG);
    ck_assert_contains(err.message, "SHA256 line 1");
    ck_assert_int_eq(release_parse("\n\n", 2, "R", &r, &err), -EBADMSG);
    ck_assert_int_eq(release_parse_date("yesterday", &t), -EINVAL);
    ck_assert_int_eq(release_parse_date("Sat, 11 Jul 2026 10:16:37 CEST", &t), -EINVAL);
}
END_TEST

static const char packages_text[] =
    "Package: b\nVersion: 1.0\nArchitecture: amd64\nFilename: pool/b_1.0.deb\n\n"
    "Package: a\nVersion: 2.0\nArchitecture: arm64\n\n"
    "Package: a\nVersion: 1.5\nArchitecture: all\nDescription: multi\n line\n\n"
    "Package: a\nVersion: 1:0.1\nArchitecture: amd64\n\n"
    "Package: a\nVersion: 1.9\nArchitecture: amd64\n\n"
    "Package: meta\nVersion: 3\nArchitecture: amd64\nDepends: real-3 (= 3.0-1)\n\n"
    "Package: alt\nVersion: 3\nArchitecture: amd64\nDepends: x | y\n\n"
    "Package: two\nVersion: 3\nArchitecture: amd64\nDepends: x (= 1), y\n\n"
    "Package: ge\nVersion: 3\nArchitecture: amd64\nDepends: x (>= 1)\n";

START_TEST(packages_pick_the_highest_version_for_the_arch)
{
    struct packages p;
    tdx_error err = TDX_ERROR_INIT;
    const struct pkg_entry *e;
    char *name = NULL, *version = NULL, *text = strdup(packages_text);
    const char *v;
    size_t n;

    ck_assert_int_eq(packages_index(text, strlen(text), "P", &p, &err), 0);
    ck_assert_uint_eq(p.n, 9);
    e = packages_best(&p, "a", "amd64");
    ck_assert_ptr_nonnull(e);
    ck_assert(deb822_get(e->stanza, e->len, "Version", &v, &n));
    ck_assert_int_eq(strncmp(v, "1:0.1", n), 0);
    e = packages_best(&p, "a", "arm64");
    ck_assert(deb822_get(e->stanza, e->len, "version", &v, &n));
    ck_assert_int_eq(strncmp(v, "2.0", n), 0);
    ck_assert_ptr_null(packages_best(&p, "b", "arm64"));
    ck_assert_ptr_null(packages_best(&p, "c", "amd64"));
    ck_assert_ptr_null(packages_best(&p, "", "amd64"));

    e = packages_best(&p, "meta", "amd64");
    ck_assert(packages_single_exact_depends(e, &name, &version));
    ck_assert_str_eq(name, "real-3");
    ck_assert_str_eq(version, "3.0-1");
    free(name);
    free(version);
    ck_assert(!packages_single_exact_depends(packages_best(&p, "alt", "amd64"), &name, &version));
    ck_assert(!packages_single_exact_depends(packages_best(&p, "two", "amd64"), &name, &version));
    ck_assert(!packages_single_exact_depends(packages_best(&p, "ge", "amd64"), &name, &version));
    ck_assert(!packages_single_exact_depends(packages_best(&p, "b", "amd64"), &name, &version));
    packages_free(&p);
}
END_TEST

START_TEST(deb822_continuations_and_filenames)
{
    const char s[] = "Description: first\n second\n third\nOther:   x  \n";
    const char *v;
    size_t n;

    ck_assert(deb822_get(s, strlen(s), "description", &v, &n));
    ck_assert_int_eq((int)n, (int)strlen("first\n second\n third"));
    ck_assert(deb822_get(s, strlen(s), "Other", &v, &n));
    ck_assert_int_eq(strncmp(v, "x", n), 0);
    ck_assert(!deb822_get(s, strlen(s), "Othe", &v, &n));
    ck_assert(!deb822_get(s, strlen(s), "second", &v, &n));

    ck_assert(deb_filename_safe("pool/main/e/edk2/ovmf_2022.11-6+deb12u2_all.deb"));
    ck_assert(!deb_filename_safe("/pool/x.deb"));
    ck_assert(!deb_filename_safe("pool/../x.deb"));
    ck_assert(!deb_filename_safe("pool//x.deb"));
    ck_assert(!deb_filename_safe("pool/x.deb/"));
    ck_assert(!deb_filename_safe("pool/x?.deb"));
    ck_assert(!deb_filename_safe("pool/x .deb"));
    ck_assert(!deb_filename_safe(".."));
    ck_assert(!deb_filename_safe(""));
}
END_TEST

START_TEST(apt_sources_give_the_mirror_and_keyring)
{
    char *dir = tmpdir_new(), *uri = NULL, *keyring = NULL;
    tdx_error err = TDX_ERROR_INIT;

    write_text(dir, "sources.list",
               "# comment\n"
               "deb-src http://src.example/debian bookworm main\n"
               "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://one.example/debian bookworm-updates main\n");
    write_text(dir, "sources.list.d/a.sources",
               "Types: deb\nURIs: http://two.example/debian\nSuites: bookworm bookworm-updates\n"
               "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
               "Types: deb\nURIs: http://off.example/debian\nSuites: trixie\nEnabled: no\n");
    write_text(dir, "sources.list.d/b.list.disabled", "deb http://never.example/debian trixie main\n");

    ck_assert_int_eq(apt_sources_find(dir, "bookworm", &uri, &keyring, &err), 0);
    ck_assert_str_eq(uri, "http://two.example/debian");
    ck_assert_str_eq(keyring, "/usr/share/keyrings/debian-archive-keyring.gpg");
    free(uri);
    free(keyring);
    ck_assert_int_eq(apt_sources_find(dir, "bookworm-updates", &uri, &keyring, &err), 0);
    ck_assert_str_eq(uri, "https://one.example/debian");
    ck_assert_str_eq(keyring, "/usr/share/keyrings/x.gpg");
    free(uri);
    free(keyring);
    /* Backports live in the base release's archive. */
    ck_assert_int_eq(apt_sources_find(dir, "bookworm-backports", &uri, &keyring, &err), 0);
    ck_assert_str_eq(uri, "http://two.example/debian");
    free(uri);
    free(keyring);
    ck_assert_int_eq(apt_sources_find(dir, "trixie", &uri, &keyring, &err), -ENOENT);
    ck_assert_contains(err.message, "lists release \"trixie\"");
    tmpdir_remove(dir);
}
END_TEST

START_TEST(bad_options_are_refused_before_any_network)
{
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    tdx_deb_package *p = NULL;
    tdx_error err = TDX_ERROR_INIT;

    o.release = "../etc";
    ck_assert_int_eq(tdx_deb_resolve("ovmf", &o, &p, &err), -EINVAL);
    ck_assert_contains(err.message, "release \"../etc\"");
    o.release = NULL;
    o.snapshot = "2024";
    ck_assert_int_eq(tdx_deb_resolve("ovmf", &o, &p, &err), -EINVAL);
    ck_assert_contains(err.message, "YYYYMMDDTHHMMSSZ");
    o.snapshot = NULL;
    o.mirror = "ftp://x";
    ck_assert_int_eq(tdx_deb_resolve("ovmf", &o, &p, &err), -EINVAL);
    o.mirror = "http://127.0.0.1:1/debian";
    o.keyring = "/nonexistent/keyring.gpg";
    ck_assert_int_eq(tdx_deb_resolve("ovmf", &o, &p, &err), -ENOENT);
    ck_assert_contains(err.message, "keyring /nonexistent/keyring.gpg");
    o.version = 7;
    ck_assert_int_eq(tdx_deb_resolve("ovmf", &o, &p, &err), -EINVAL);
    ck_assert_ptr_null(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deb");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, versions_order_like_dpkg, 0, (int)(sizeof(versions) / sizeof(versions[0])));
    tcase_add_test(tc, release_files_are_parsed);
    tcase_add_test(tc, packages_pick_the_highest_version_for_the_arch);
    tcase_add_test(tc, deb822_continuations_and_filenames);
    tcase_add_test(tc, apt_sources_give_the_mirror_and_keyring);
    tcase_add_test(tc, bad_options_are_refused_before_any_network);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
