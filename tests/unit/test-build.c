/* SPDX-License-Identifier: MIT */
/* The native backend's parts: modinfo, module resolution, the initramfs
 * writer, exec lines, the fields it refuses, the recipe keys it adds. */
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build-internal.h"
#include "deb/deb-internal.h"
#include "helpers.h"

/* A minimal ELF64 with a section name table and a .modinfo section holding
 * the given NUL-separated strings (len bytes). */
static size_t make_module(uint8_t *out, const char *modinfo, size_t len)
{
    static const char names[] = "\0.shstrtab\0.modinfo\0";
    size_t shoff = 64, data = shoff + 3 * 64, names_off = data, mi_off = data + sizeof(names);
    memset(out, 0, mi_off + len);
    memcpy(out, "\177ELF", 4);
    out[4] = 2;
    out[5] = 1;
    out[40] = (uint8_t)shoff;
    out[58] = 64;
    out[60] = 3;     /* shnum */
    out[62] = 1;     /* shstrndx */
    /* section 1: .shstrtab */
    out[shoff + 64 + 0] = 1;
    out[shoff + 64 + 4] = 3;
    out[shoff + 64 + 24] = (uint8_t)names_off;
    out[shoff + 64 + 25] = (uint8_t)(names_off >> 8);
    out[shoff + 64 + 32] = sizeof(names);
    /* section 2: .modinfo */
    out[shoff + 128 + 0] = 11;
    out[shoff + 128 + 4] = 1;
    out[shoff + 128 + 24] = (uint8_t)mi_off;
    out[shoff + 128 + 25] = (uint8_t)(mi_off >> 8);
    out[shoff + 128 + 32] = (uint8_t)len;
    memcpy(out + names_off, names, sizeof(names));
    memcpy(out + mi_off, modinfo, len);
    return mi_off + len;
}

START_TEST(modinfo_reads_name_and_depends)
{
    static const char mi[] = "license=GPL\0depends=vsock,vmw_vsock_virtio_transport_common\0"
                             "\0\0name=vmw_vsock_virtio_transport\0";
    uint8_t buf[1024];
    size_t n = make_module(buf, mi, sizeof(mi));
    tdx_error err = TDX_ERROR_INIT;
    char *name = NULL, **deps = NULL;

    ck_assert_msg(modinfo_parse(buf, n, "m.ko", &name, &deps, &err) == 0, "%s", err.message);
    ck_assert_str_eq(name, "vmw_vsock_virtio_transport");
    ck_assert_uint_eq(strv_length(deps), 2);
    ck_assert_str_eq(deps[0], "vsock");
    ck_assert_str_eq(deps[1], "vmw_vsock_virtio_transport_common");
    free(name);
    strv_free(deps);

    /* Empty depends= is no dependency. */
    n = make_module(buf, "depends=\0name=x\0", 16);
    ck_assert_int_eq(modinfo_parse(buf, n, "x.ko", &name, &deps, &err), 0);
    ck_assert_uint_eq(strv_length(deps), 0);
    free(name);
    strv_free(deps);
}
END_TEST

START_TEST(modinfo_refuses_malformed_modules)
{
    static const char mi[] = "depends=a\0name=x";   /* no final NUL */
    uint8_t buf[1024];
    size_t n = make_module(buf, mi, sizeof(mi) - 1);
    tdx_error err = TDX_ERROR_INIT;
    char *name = NULL, **deps = NULL;

    ck_assert_int_eq(modinfo_parse(buf, n, "x.ko", &name, &deps, &err), -EBADMSG);
    ck_assert_contains(err.message, "x.ko");
    ck_assert_int_eq(modinfo_parse("\177ELF", 4, "short.ko", &name, &deps, &err), -EBADMSG);
    n = make_module(buf, "name=x\0", 7);
    buf[40] = 0xf0;   /* section headers beyond the end */
    ck_assert_int_eq(modinfo_parse(buf, n, "y.ko", &name, &deps, &err), -EBADMSG);
    ck_assert_contains(err.message, "outside the file");
    n = make_module(buf, "name=x\0", 7);
    ck_assert_int_eq(modinfo_parse(buf, n - 1, "z.ko", &name, &deps, &err), -EBADMSG);
    ck_assert_ptr_null(name);
}
END_TEST

static void write_module(const char *dir, const char *rel, const char *modinfo, size_t len,
                         bool xz)
{
    uint8_t buf[1024];
    size_t n = make_module(buf, modinfo, len);
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    write_text(dir, rel, "");
    if (!xz) {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
        fclose(f);
        return;
    }
    {
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        ck_assert_int_eq(archive_write_add_filter_xz(a), ARCHIVE_OK);
        ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
        ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "m");
        archive_entry_set_size(e, (la_int64_t)n);
        ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
        ck_assert_int_eq(archive_write_data(a, buf, n), (la_ssize_t)n);
        archive_write_free(a);
        archive_entry_free(e);
    }
}

START_TEST(modules_resolve_in_dependency_order)
{
    char *d = tmpdir_new();
    struct img img = IMG_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char **order = NULL, **warn = NULL;
    const struct img_entry *e;
    struct kmod_want want[] = {
        { "top-mod", NULL, false, "kernel.modules" },
        { "old_name", "builtin-one", false, "default" },
        { "absent", NULL, true, "default" },
    };

    write_module(d, "kernel/a/top_mod.ko", "depends=mid\0name=top_mod\0", 25, false);
    write_module(d, "kernel/b/mid.ko.xz", "depends=base,builtin_one\0name=mid\0", 34, true);
    write_module(d, "kernel/c/base.ko.xz", "name=base\0", 10, true);
    write_text(d, "modules.builtin", "kernel/d/builtin-one.ko\n");

    ck_assert_msg(kmod_resolve(d, "6.12.0-test", want, 3, &img, &order, &warn, &err) == 0, "%s",
                  err.message);
    ck_assert_uint_eq(strv_length(order), 3);
    ck_assert_str_eq(order[0], "/lib/modules/6.12.0-test/kernel/c/base.ko");
    ck_assert_str_eq(order[1], "/lib/modules/6.12.0-test/kernel/b/mid.ko");
    ck_assert_str_eq(order[2], "/lib/modules/6.12.0-test/kernel/a/top_mod.ko");
    ck_assert_uint_eq(strv_length(warn), 1);
    ck_assert_contains(warn[0], "absent");
    e = img_find(&img, order[1]);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(e->data && e->size > 4 && memcmp(e->data, "\177ELF", 4) == 0,
                  "the xz module is decompressed");
    strv_free(order);
    strv_free(warn);
    img_free(&img);

    want[2].optional = false;
    ck_assert_int_eq(kmod_resolve(d, "6.12.0-test", want, 3, &img, &order, &warn, &err), -ENOENT);
    ck_assert_contains(err.message, "kernel module \"absent\"");
    img_free(&img);

    /* A missing dependency names who needed it. */
    write_module(d, "kernel/e/needy.ko", "depends=ghost\0name=needy\0", 25, false);
    want[0].name = "needy";
    ck_assert_int_eq(kmod_resolve(d, "6.12.0-test", want, 1, &img, &order, &warn, &err), -ENOENT);
    ck_assert_contains(err.message, "\"ghost\" (needed by needy)");
    img_free(&img);
    tmpdir_remove(d);
}
END_TEST

static void make_image(struct img *img, const char *dir, bool reverse)
{
    tdx_error err = TDX_ERROR_INIT;
    char src[1024];
    snprintf(src, sizeof(src), "%s/host-file", dir);
    write_text(dir, "host-file", "from the host\n");
    chmod(src, 0600);
    if (reverse) {
        ck_assert_int_eq(img_add_symlink(img, "/bin/sh", "busybox", &err), 0);
        ck_assert_int_eq(img_add_copy(img, "/etc/copied", src, 0640, 999, 998, &err), 0);
        ck_assert_int_eq(img_add_data(img, "/init", "agent", 5, 0755, 0, 0, &err), 0);
        ck_assert_int_eq(img_add_dir(img, "/tmp", 01777, 0, 0, &err), 0);
    } else {
        ck_assert_int_eq(img_add_dir(img, "/tmp", 01777, 0, 0, &err), 0);
        ck_assert_int_eq(img_add_data(img, "/init", "agent", 5, 0755, 0, 0, &err), 0);
        ck_assert_int_eq(img_add_copy(img, "/etc/copied", src, 0640, 999, 998, &err), 0);
        ck_assert_int_eq(img_add_symlink(img, "/bin/sh", "busybox", &err), 0);
    }
}

START_TEST(initramfs_is_deterministic_newc)
{
    char *d = tmpdir_new(), a[1024], b[1024];
    struct img x = IMG_INIT, y = IMG_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *da, *db;
    size_t la, lb;
    struct archive *ar;
    struct archive_entry *e;
    const char *want[] = { "bin", "bin/sh", "etc", "etc/copied", "init", "tmp" };
    size_t i = 0;

    make_image(&x, d, false);
    make_image(&y, d, true);
    snprintf(a, sizeof(a), "%s/a.cpio.gz", d);
    snprintf(b, sizeof(b), "%s/b.cpio.gz", d);
    ck_assert_msg(initramfs_write(&x, a, "gzip", 1700000000, &err) == 0, "%s", err.message);
    ck_assert_int_eq(initramfs_write(&y, b, "gzip", 1700000000, &err), 0);
    da = read_text(a, &la);
    db = read_text(b, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(memcmp(da, db, la) == 0, "same entries in any order give the same bytes");
    /* gzip -n: no FNAME flag, MTIME zero. */
    ck_assert_int_eq((unsigned char)da[0], 0x1f);
    ck_assert_int_eq((unsigned char)da[1], 0x8b);
    ck_assert_int_eq(da[3] & 0x08, 0);
    ck_assert_int_eq(da[4] | da[5] | da[6] | da[7], 0);

    ar = archive_read_new();
    archive_read_support_filter_gzip(ar);
    archive_read_support_format_cpio(ar);
    ck_assert_int_eq(archive_read_open_memory(ar, da, la), ARCHIVE_OK);
    while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
        ck_assert_uint_lt(i, 6);
        ck_assert_str_eq(archive_entry_pathname(e), want[i]);
        ck_assert_int_eq(archive_entry_ino(e), (la_int64_t)(i + 1));
        ck_assert_int_eq(archive_entry_mtime(e), 1700000000);
        if (strcmp(want[i], "etc/copied") == 0) {
            ck_assert_int_eq(archive_entry_uid(e), 999);
            ck_assert_int_eq(archive_entry_gid(e), 998);
            ck_assert_int_eq(archive_entry_perm(e), 0640);
            ck_assert_int_eq(archive_entry_size(e), 14);
        } else {
            ck_assert_int_eq(archive_entry_uid(e), 0);
        }
        if (strcmp(want[i], "tmp") == 0)
            ck_assert_int_eq(archive_entry_perm(e), 01777);
        if (strcmp(want[i], "bin/sh") == 0)
            ck_assert_str_eq(archive_entry_symlink(e), "busybox");
        i++;
    }
    ck_assert_uint_eq(i, 6);
    archive_read_free(ar);
    free(da);
    free(db);

    /* zstd and uncompressed work too. */
    snprintf(a, sizeof(a), "%s/c.cpio.zst", d);
    ck_assert_int_eq(initramfs_write(&x, a, "zstd", 0, &err), 0);
    ck_assert_int_eq(initramfs_write(&x, a, "lz4", 0, &err), -EINVAL);
    ck_assert_contains(err.message, "lz4");
    img_free(&x);
    img_free(&y);
    tmpdir_remove(d);
}
END_TEST

/* A tar.gz holding go/bin/go with text. */
static void make_toolchain_archive(const char *path, const char *text)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    archive_entry_set_pathname(e, "go/bin/go");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, (la_int64_t)strlen(text));
    ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
    archive_entry_free(e);
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

START_TEST(toolchain_tree_is_checked_before_use)
{
    char *d = tmpdir_new(), archive[1024], extract[1024], go[1024];
    const char *sha = "1111111111111111111111111111111111111111111111111111111111111111";
    tdx_error err = TDX_ERROR_INIT;
    char *tree = NULL, *text;
    FILE *f;

    snprintf(archive, sizeof(archive), "%s/go.tar.gz", d);
    snprintf(extract, sizeof(extract), "%s/extract", d);
    ck_assert_int_eq(mkdir(extract, 0755), 0);
    make_toolchain_archive(archive, "#!/bin/sh\necho real go\n");
    ck_assert_msg(toolchain_tree(archive, sha, extract, &tree, &err) == 0, "%s", err.message);
    snprintf(go, sizeof(go), "%s/go/bin/go", tree);
    free(tree);
    tree = NULL;

    /* A file of the unpacked tree changed: the tree is unpacked again. */
    ck_assert_ptr_nonnull(f = fopen(go, "w"));
    fputs("#!/bin/sh\necho planted\n", f);
    fclose(f);
    ck_assert_msg(toolchain_tree(archive, sha, extract, &tree, &err) == 0, "%s", err.message);
    free(tree);
    tree = NULL;
    text = read_text(go, NULL);
    ck_assert_str_eq(text, "#!/bin/sh\necho real go\n");
    free(text);

    /* A file added to it, or a tree without its hashes: unpacked again too. */
    snprintf(go, sizeof(go), "%s/go/bin/gofmt", sha);
    write_text(extract, go, "extra\n");
    ck_assert_msg(toolchain_tree(archive, sha, extract, &tree, &err) == 0, "%s", err.message);
    free(tree);
    tree = NULL;
    snprintf(go, sizeof(go), "%s/%s/go/bin/gofmt", extract, sha);
    ck_assert_int_ne(access(go, F_OK), 0);
    snprintf(go, sizeof(go), "%s/%s.sums", extract, sha);
    ck_assert_int_eq(unlink(go), 0);
    snprintf(go, sizeof(go), "%s/%s/go/bin/go", extract, sha);
    ck_assert_ptr_nonnull(f = fopen(go, "w"));
    fputs("planted without hashes\n", f);
    fclose(f);
    ck_assert_msg(toolchain_tree(archive, sha, extract, &tree, &err) == 0, "%s", err.message);
    free(tree);
    text = read_text(go, NULL);
    ck_assert_str_eq(text, "#!/bin/sh\necho real go\n");
    free(text);
    tmpdir_remove(d);
}
END_TEST

START_TEST(image_paths_are_checked)
{
    struct img img = IMG_INIT;
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_int_eq(img_add_data(&img, "/etc/../x", "", 0, 0644, 0, 0, &err), -EINVAL);
    ck_assert_contains(err.message, "/etc/../x");
    ck_assert_int_eq(img_add_data(&img, "/", "", 0, 0644, 0, 0, &err), -EINVAL);
    ck_assert_int_eq(img_add_data(&img, "/etc/f", "a", 1, 0644, 0, 0, &err), 0);
    ck_assert_int_eq(img_add_data(&img, "/etc/f/g", "a", 1, 0644, 0, 0, &err), -ENOTDIR);
    ck_assert_int_eq(img_add_data(&img, "//etc//f", "bb", 2, 0600, 0, 0, &err), 0);
    ck_assert_uint_eq(img_find(&img, "etc/f")->size, 2);
    img_remove(&img, "/etc");
    ck_assert_ptr_null(img_find(&img, "etc/f"));
    img_free(&img);
}
END_TEST

START_TEST(exec_lines_split_like_systemd)
{
    char **v = NULL;
    ck_assert_int_eq(exec_split("/bin/app  --name 'a b' \"c \\\"d\\\"\" e\\ f", &v), 0);
    ck_assert_uint_eq(strv_length(v), 5);
    ck_assert_str_eq(v[0], "/bin/app");
    ck_assert_str_eq(v[2], "a b");
    ck_assert_str_eq(v[3], "c \"d\"");
    ck_assert_str_eq(v[4], "e f");
    strv_free(v);
    ck_assert_int_eq(exec_split("/bin/app 'open", &v), -EINVAL);
    ck_assert_int_eq(exec_split("   ", &v), -EINVAL);
}
END_TEST

/* Debian's ovmf version decides where the ReadyToBoot separator goes, for
 * both backends' vm.json; a firmware that is not Debian's package keeps the
 * old layout. */
START_TEST(event_layout_follows_the_ovmf_version)
{
    static const char *const listen[] = { "vsock:1050", NULL };
    const char *const cases[][2] = {
        { "2022.11-6+deb12u2", "pre-202411" }, { "2024.08-1", "pre-202411" },
        { "2024.11-1", "202411" }, { "2025.02-3", "202411" }, { "1:2025.05-1", "202411" },
        { "1:2022.11-6", "pre-202411" }, { "junk", "pre-202411" },
    };
    char *files, *disk;
    json_t *f, *d;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(strcmp(vm_event_layout(cases[i][0]), cases[i][1]) == 0, "%s: %s",
                      cases[i][0], vm_event_layout(cases[i][0]));
    ck_assert_str_eq(vm_event_layout(NULL), "pre-202411");
    files = vm_json_render_files(2048, 1, "202411", "vmlinuz", "initrd.cpio.zst", "none", false,
                                 (char *const *)listen);
    disk = vm_json_render_disk(2048, 1, "202411", "disk.raw", "x.efi", "none", false,
                               (char *const *)listen);
    ck_assert_ptr_nonnull(files);
    ck_assert_ptr_nonnull(disk);
    f = json_loads(files, 0, NULL);
    d = json_loads(disk, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(f, "firmware_event_layout")), "202411");
    ck_assert_str_eq(json_string_value(json_object_get(d, "firmware_event_layout")), "202411");
    ck_assert_str_eq(json_string_value(json_object_get(f, "kernel")), "vmlinuz");
    ck_assert_str_eq(json_string_value(json_object_get(d, "boot")), "disk");
    json_decref(f);
    json_decref(d);
    free(files);
    free(disk);
}
END_TEST

START_TEST(native_refuses_what_it_cannot_honour)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *img = load_json("{\"name\":\"u\",\"init\":\"tdx-agent\",\"debloat\":{},"
                               "\"ssh\":{},\"repositories\":[{\"name\":\"r\",\"url\":"
                               "\"https://example.org/d\",\"suite\":\"s\",\"keyring\":\"k.gpg\"}],"
                               "\"services\":[{\"name\":\"s\",\"exec\":\"/bin/s\",\"unit\":"
                               "{\"Service\":{\"Nice\":\"5\"}}}]}",
                               NULL, &err);
    char *text = NULL;
    if (!img) {
        /* The keyring must exist for the loader: make it. */
        char *d = tmpdir_new();
        write_text(d, "k.gpg", "x");
        img = load_json("{\"name\":\"u\",\"init\":\"tdx-agent\",\"debloat\":{},"
                        "\"ssh\":{},\"repositories\":[{\"name\":\"r\",\"url\":"
                        "\"https://example.org/d\",\"suite\":\"s\",\"keyring\":\"k.gpg\"}],"
                        "\"services\":[{\"name\":\"s\",\"exec\":\"/bin/s\",\"unit\":"
                        "{\"Service\":{\"Nice\":\"5\"}}}]}",
                        d, &err);
        tmpdir_remove(d);
    }
    ck_assert_msg(img != NULL, "%s", err.message);
    ck_assert_int_eq(tdx_build_native_problems(img, NULL, &text, &err), 1);
    ck_assert_contains(text, "debloat: ");
    ck_assert_contains(text, "ssh: ");
    ck_assert_contains(text, "repositories[0]");
    ck_assert_contains(text, "services[0].unit");
    for (char *p = text; (p = strchr(p, '\n')); p++)
        ck_assert_msg(strncmp(p - strlen("use --backend mkosi"), "use --backend mkosi",
                              strlen("use --backend mkosi")) == 0, "every line says the way out");
    tdx_free(text);
    tdx_image_free(img);

    img = load_json("{\"name\":\"ok\",\"init\":\"tdx-agent\"}", NULL, &err);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(tdx_build_native_problems(img, NULL, &text, &err), 0);
    ck_assert_ptr_null(text);
    tdx_image_free(img);
    img = load_json("{\"name\":\"sd\"}", NULL, &err);
    ck_assert_int_eq(tdx_build_native_problems(img, NULL, &text, &err), 1);
    ck_assert_contains(text, "init: ");
    tdx_free(text);
    tdx_image_free(img);
}
END_TEST

START_TEST(native_recipe_keys)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *img;
    char *json = NULL;

    expect_load_error("{\"agent\":{\"test_provider\":true}}", "agent.test_provider",
                      "never in the default profile", NULL);
    expect_load_error("{\"network\":{\"mode\":\"static\"}}", "network.address",
                      "required with mode \"static\"", NULL);
    expect_load_error("{\"network\":{\"mode\":\"static\",\"address\":\"10.0.2.256/24\"}}",
                      "network.address", NULL);
    expect_load_error("{\"kernel\":{\"modules\":[\"bad/name\"]}}", "kernel.modules", NULL);
    expect_load_error("{\"native\":{\"compression\":\"lz4\"}}", "native.compression", NULL);
    expect_load_error("{\"native\":{\"exclude\":[\"Bad\"]}}", "native.exclude", NULL);

    img = load_json("{\"name\":\"n\",\"init\":\"tdx-agent\",\"kernel\":{\"modules\":[\"virtio_blk\"]},"
                    "\"native\":{\"exclude\":[\"libc6\"],\"compression\":\"zstd\"},"
                    "\"profiles\":{\"dev\":{\"agent\":{\"test_provider\":true},"
                    "\"network\":{\"mode\":\"dhcp\"}}}}",
                    NULL, &err);
    ck_assert_msg(img != NULL, "%s", err.message);
    ck_assert_int_eq(tdx_image_effective_json(img, "dev", &json, &err), 0);
    ck_assert_contains(json, "\"test_provider\": true");
    ck_assert_contains(json, "\"virtio_blk\"");
    ck_assert_contains(json, "\"mode\": \"dhcp\"");
    ck_assert_contains(json, "\"compression\": \"zstd\"");
    tdx_free(json);
    ck_assert_int_eq(tdx_image_effective_json(img, NULL, &json, &err), 0);
    ck_assert_contains(json, "\"test_provider\": false");
    tdx_free(json);
    tdx_image_free(img);
}
END_TEST

START_TEST(build_options_are_checked)
{
    tdx_build_image_options o = TDX_BUILD_IMAGE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *img = load_json("{\"name\":\"x\",\"init\":\"tdx-agent\"}", NULL, &err);
    ck_assert_ptr_nonnull(img);
    ck_assert_int_eq(tdx_build(img, NULL, NULL, &err), -EINVAL);
    /* The mkosi backend checks its mkosi before anything is written. */
    o.backend = TDX_BUILD_BACKEND_MKOSI;
    o.mkosi = "/nonexistent/mkosi";
    ck_assert_int_eq(tdx_build(img, &o, NULL, &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent/mkosi");
    o.mkosi = NULL;
    o.backend = TDX_UNSET;
    o.version = 99;
    ck_assert_int_eq(tdx_build(img, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "unsupported options version 99");
    tdx_image_free(img);
}
END_TEST

/* The src boundary holds before anything is fetched; a version 1 caller
 * has no allow_outside_src, so the boundary holds for it whatever it sets. */
START_TEST(build_holds_the_src_boundary)
{
    tdx_build_image_options o = TDX_BUILD_IMAGE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char *d = tmpdir_new(), base[1024];
    tdx_image *img;

    write_text(d, "outside.sh", "#!/bin/sh\n");
    write_text(d, "r/inside.sh", "#!/bin/sh\n");
    snprintf(base, sizeof(base), "%s/r", d);
    img = load_json("{\"name\":\"x\",\"init\":\"tdx-agent\",\"files\":[{\"dest\":\"/x\","
                    "\"src\":\"../outside.sh\"}]}", base, &err);
    ck_assert_msg(img != NULL, "%s", err.message);
    o.agent = "/bin/true";
    o.cache_dir = d;
    ck_assert_int_eq(tdx_build(img, &o, NULL, &err), -EACCES);
    ck_assert_contains(err.message, "files[0].src");
    ck_assert_contains(err.message, "outside the recipe's directory");
    o.version = 1;
    o.allow_outside_src = 1;
    ck_assert_int_eq(tdx_build(img, &o, NULL, &err), -EACCES);
    tdx_image_free(img);
    tmpdir_remove(d);
}
END_TEST

START_TEST(closure_follows_the_first_satisfiable_alternative)
{
    size_t len;
    char *text = read_text(src_path("tests/fuzz/corpus/deb-closure/01-alternatives.txt"), &len);
    char *roots[] = { "app", NULL }, *exclude[] = { "excluded", NULL }, **deps = NULL, *joined;
    struct packages p;
    tdx_deb_index *x = NULL;
    tdx_error err = TDX_ERROR_INIT;
    strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(packages_index(text, len, "t", &p, &err), 0);
    ck_assert_int_eq(deb_index_from_packages(&x, &p, "amd64"), 0);
    ck_assert_msg(deb_closure(x, roots, exclude, &deps, &err) == 0, "%s", err.message);
    STRV_FOREACH(d, deps)
        strbuf_printf(&sb, "%s ", *d);
    joined = strbuf_steal(&sb, NULL);
    /* lib 1.0 fails ">= 2.0", so hello; virt through provider; excluded (and
     * deep, which only it needs) left out; the cycle back to app is met. */
    ck_assert_str_eq(joined, "cyc hello lib libc6 pre provider ");
    free(joined);
    strv_free(deps);

    roots[0] = "hello";
    exclude[0] = NULL;
    ck_assert_int_eq(deb_closure(x, roots, exclude, &deps, &err), 0);
    ck_assert_uint_eq(strv_length(deps), 1);
    strv_free(deps);
    roots[0] = "excluded";
    ck_assert_int_eq(deb_closure(x, roots, exclude, &deps, &err), -ENOENT);
    ck_assert_contains(err.message, "\"deep\"");
    tdx_deb_index_free(x);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("build");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, modinfo_reads_name_and_depends);
    tcase_add_test(tc, modinfo_refuses_malformed_modules);
    tcase_add_test(tc, modules_resolve_in_dependency_order);
    tcase_add_test(tc, initramfs_is_deterministic_newc);
    tcase_add_test(tc, toolchain_tree_is_checked_before_use);
    tcase_add_test(tc, image_paths_are_checked);
    tcase_add_test(tc, exec_lines_split_like_systemd);
    tcase_add_test(tc, event_layout_follows_the_ovmf_version);
    tcase_add_test(tc, native_refuses_what_it_cannot_honour);
    tcase_add_test(tc, native_recipe_keys);
    tcase_add_test(tc, build_options_are_checked);
    tcase_add_test(tc, build_holds_the_src_boundary);
    tcase_add_test(tc, closure_follows_the_first_satisfiable_alternative);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
