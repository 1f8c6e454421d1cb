/* SPDX-License-Identifier: MIT */
/* The recipe model through the C API: profiles, scoping, conflicts, merge
 * rules, option versions and argument checks. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static tdx_image *new_image(void)
{
    tdx_image_options o = TDX_IMAGE_OPTIONS_INIT;
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    o.name = "test";
    ck_assert_int_eq(tdx_image_new(&image, &o, &err), 0);
    return image;
}

static json_t *effective(tdx_image *image, const char *profile)
{
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    json_t *j;
    int r = tdx_image_effective_json(image, profile, &text, &err);
    ck_assert_msg(r == 0, "effective json: %s", err.message);
    j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    tdx_free(text);
    return j;
}

static bool json_array_has_string(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return true;
    return false;
}

static bool files_have_dest(json_t *files, const char *dest)
{
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
        if (!strcmp(json_string_value(json_object_get(v, "dest")), dest))
            return true;
    return false;
}

START_TEST(new_image_defaults)
{
    tdx_image *image = new_image();
    json_t *e = effective(image, NULL);

    ck_assert_str_eq(tdx_image_name(image), "test");
    ck_assert_uint_eq(tdx_image_profile_count(image), 1);
    ck_assert_str_eq(tdx_image_profile_name(image, 0), "default");
    ck_assert_ptr_null(tdx_image_profile_name(image, 1));
    ck_assert_str_eq(json_string_value(json_object_get(e, "distribution")), "debian");
    ck_assert_str_eq(json_string_value(json_object_get(e, "release")), "bookworm");
    ck_assert_str_eq(json_string_value(json_object_get(e, "default_target")), "minimal.target");
    ck_assert(json_is_false(json_object_get(json_object_get(e, "debloat"), "enabled")));
    ck_assert(json_array_has_string(json_object_get(json_object_get(e, "secret_delivery"), "listen"),
                                    "vsock:1050"));
    json_decref(e);
    tdx_image_free(image);
    tdx_image_free(NULL);
}
END_TEST

START_TEST(profiles_scope_operations)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_file_options f = TDX_FILE_OPTIONS_INIT;
    json_t *d, *dev, *gcp;

    ck_assert_int_eq(tdx_image_install(image, (const char *[]){ "ca-certificates", NULL }, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "dev", &err), 0);
    ck_assert_str_eq(tdx_image_current_profile(image), "dev");
    ck_assert_int_eq(tdx_image_install(image, (const char *[]){ "strace", NULL }, &err), 0);
    f.content = "dev\n";
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/motd", &f, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, NULL, &err), 0);
    /* Operations after a profile block still reach every profile. */
    ck_assert_int_eq(tdx_image_install(image, (const char *[]){ "curl", NULL }, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "gcp", &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "default", &err), 0);
    ck_assert_str_eq(tdx_image_current_profile(image), "default");

    d = effective(image, NULL);
    dev = effective(image, "dev");
    gcp = effective(image, "gcp");
    ck_assert(json_array_has_string(json_object_get(d, "install"), "ca-certificates"));
    ck_assert(json_array_has_string(json_object_get(d, "install"), "curl"));
    ck_assert(!json_array_has_string(json_object_get(d, "install"), "strace"));
    ck_assert(!files_have_dest(json_object_get(d, "files"), "/etc/motd"));
    ck_assert(json_array_has_string(json_object_get(dev, "install"), "ca-certificates"));
    ck_assert(json_array_has_string(json_object_get(dev, "install"), "curl"));
    ck_assert(json_array_has_string(json_object_get(dev, "install"), "strace"));
    ck_assert(files_have_dest(json_object_get(dev, "files"), "/etc/motd"));
    ck_assert(!json_array_has_string(json_object_get(gcp, "install"), "strace"));
    ck_assert(json_array_has_string(json_object_get(gcp, "install"), "curl"));
    ck_assert_str_eq(json_string_value(json_object_get(dev, "image_id")), "test-dev");
    json_decref(d);
    json_decref(dev);
    json_decref(gcp);

    ck_assert_int_eq(tdx_image_effective_json(image, "nope", &(char *){ NULL }, &err), -ENOENT);
    ck_assert_int_eq(tdx_image_profile(image, "bad name", &err), -EINVAL);
    ck_assert_contains(err.message, "profile name");
    tdx_image_free(image);
}
END_TEST

START_TEST(conflicts_name_both_operations)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_file_options f = TDX_FILE_OPTIONS_INIT;
    tdx_user_options u = TDX_USER_OPTIONS_INIT;

    f.content = "x";
    ck_assert_int_eq(tdx_image_profile(image, "dev", &err), 0);
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/app.conf", &f, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "gcp", &err), 0);
    /* Different profiles may use the same destination. */
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/app.conf", &f, &err), 0);
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/app.conf", &f, &err), -EEXIST);
    ck_assert_str_eq(err.message, "tdx_image_add_file(\"/etc/app.conf\") in profile \"gcp\": dest: "
                                  "destination \"/etc/app.conf\" is also declared by "
                                  "tdx_image_add_file(\"/etc/app.conf\") in profile \"gcp\"");
    /* A default operation conflicts with every profile's. */
    ck_assert_int_eq(tdx_image_profile(image, NULL, &err), 0);
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/app.conf", &f, &err), -EEXIST);
    ck_assert_contains(err.message, "in profile \"dev\"");

    ck_assert_int_eq(tdx_image_add_user(image, "app", &u, &err), 0);
    ck_assert_int_eq(tdx_image_add_user(image, "app", &u, &err), -EEXIST);
    ck_assert_contains(err.message, "user \"app\" is also declared by");
    /* A service's unit file claims its path too. */
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/systemd/system/web.service", &f, &err), 0);
    {
        tdx_service_options s = TDX_SERVICE_OPTIONS_INIT;
        s.exec = "/bin/true";
        ck_assert_int_eq(tdx_image_add_service(image, "web", &s, &err), -EEXIST);
        ck_assert_contains(err.message, "/etc/systemd/system/web.service");
    }
    /* Generated paths are not the recipe's to write. */
    ck_assert_int_eq(tdx_image_add_file(image, "/etc/tdx-agent/secrets.json", &f, &err), -EINVAL);
    ck_assert_contains(err.message, "reserves");
    ck_assert_int_eq(tdx_image_add_file(image, "/usr/sbin/tdx-agent", &f, &err), -EINVAL);
    ck_assert_contains(err.message, "generated by the image generator");
    tdx_image_free(image);
}
END_TEST

START_TEST(failed_operations_leave_the_image_unchanged)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_service_options s = TDX_SERVICE_OPTIONS_INIT;
    json_t *e;

    s.exec = "/bin/true";
    s.restart = "sometimes";
    ck_assert_int_eq(tdx_image_add_service(image, "web", &s, &err), -EINVAL);
    ck_assert_str_eq(err.message, "tdx_image_add_service(\"web\"): restart: expected one of \"no\", "
                                  "\"always\", \"on-failure\"; got \"sometimes\"");
    s.restart = "always";
    ck_assert_int_eq(tdx_image_add_service(image, "web", &s, &err), 0);
    e = effective(image, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(e, "services")), 1);
    json_decref(e);
    tdx_image_free(image);
}
END_TEST

START_TEST(option_versions_and_arguments_are_checked)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_user_options u = TDX_USER_OPTIONS_INIT;

    u.version = 99;
    ck_assert_int_eq(tdx_image_add_user(image, "app", &u, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_image_add_user: unsupported options version 99");
    u.version = 0;
    ck_assert_int_eq(tdx_image_add_user(image, "app", &u, &err), -EINVAL);
    ck_assert_int_eq(tdx_image_add_user(NULL, "app", NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "invalid argument");
    ck_assert_int_eq(tdx_image_add_user(image, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(tdx_image_new(NULL, NULL, &err), -EINVAL);
    tdx_image_free(image);
}
END_TEST

START_TEST(debloat_edits_merge_in_order)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_debloat_options d = TDX_DEBLOAT_OPTIONS_INIT;
    json_t *e, *dev, *paths;

    ck_assert_int_eq(tdx_image_debloat(image, NULL, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "dev", &err), 0);
    d.paths_skip = (const char *[]){ "/usr/share/bash-completion", NULL };
    d.paths_remove_extra = (const char *[]){ "/usr/share/fonts", NULL };
    d.systemd_units_keep_extra = (const char *[]){ "systemd-resolved.service", NULL };
    ck_assert_int_eq(tdx_image_debloat(image, &d, &err), 0);

    e = effective(image, NULL);
    dev = effective(image, "dev");
    paths = json_object_get(json_object_get(e, "debloat"), "paths");
    ck_assert(json_is_true(json_object_get(json_object_get(e, "debloat"), "enabled")));
    ck_assert(json_array_has_string(paths, "/usr/share/bash-completion"));
    ck_assert(json_array_has_string(paths, "/usr/share/doc"));
    /* Kept: modular kernels need their modules (see resolve.c). */
    ck_assert(!json_array_has_string(paths, "/usr/lib/modules"));
    paths = json_object_get(json_object_get(dev, "debloat"), "paths");
    ck_assert(!json_array_has_string(paths, "/usr/share/bash-completion"));
    ck_assert(json_array_has_string(paths, "/usr/share/fonts"));
    ck_assert(json_array_has_string(json_object_get(json_object_get(dev, "debloat"), "units_keep"),
                                    "systemd-resolved.service"));
    json_decref(e);
    json_decref(dev);

    d = (tdx_debloat_options)TDX_DEBLOAT_OPTIONS_INIT;
    d.enabled = 0;
    ck_assert_int_eq(tdx_image_debloat(image, &d, &err), 0);
    dev = effective(image, "dev");
    ck_assert(json_is_false(json_object_get(json_object_get(dev, "debloat"), "enabled")));
    json_decref(dev);

    d = (tdx_debloat_options)TDX_DEBLOAT_OPTIONS_INIT;
    d.paths_remove_extra = (const char *[]){ "/usr", NULL };
    ck_assert_int_eq(tdx_image_debloat(image, &d, &err), -EINVAL);
    ck_assert_contains(err.message, "paths_remove_extra[0]");
    tdx_image_free(image);
}
END_TEST

START_TEST(kernel_settings_merge)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_kernel_options k = TDX_KERNEL_OPTIONS_INIT;
    char *text = NULL;
    json_t *e;

    k.cmdline = "console=ttyS0";
    ck_assert_int_eq(tdx_image_set_kernel(image, &k, &err), 0);
    ck_assert_int_eq(tdx_image_profile(image, "src", &err), 0);
    k = (tdx_kernel_options)TDX_KERNEL_OPTIONS_INIT;
    k.source_version = "6.12.8";
    ck_assert_int_eq(tdx_image_set_kernel(image, &k, &err), 0);
    /* The version alone is not enough: the tarball must be pinned. */
    ck_assert_int_eq(tdx_image_effective_json(image, "src", &text, &err), -EINVAL);
    ck_assert_str_eq(err.message, "tdx_image_set_kernel() in profile \"src\": sha256: required with "
                                  "a kernel built from source (version 6.12.8)");
    k = (tdx_kernel_options)TDX_KERNEL_OPTIONS_INIT;
    k.source_sha256 = "dea9ca38a0b852a74e81c26134671af7c0fbe65d81b0dc1c5bfe22cf7d4c8858";
    ck_assert_int_eq(tdx_image_set_kernel(image, &k, &err), 0);
    e = effective(image, "src");
    ck_assert(json_is_null(json_object_get(json_object_get(e, "kernel"), "package")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "kernel"), "cmdline")),
                     "console=ttyS0");
    json_decref(e);
    e = effective(image, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "kernel"), "package")),
                     "linux-image-amd64");
    json_decref(e);
    tdx_image_free(image);
}
END_TEST

START_TEST(cross_field_rules)
{
    tdx_image *image = new_image();
    tdx_error err = TDX_ERROR_INIT;
    tdx_partition parts[] = { { "/", "ext4", "2G" } };
    tdx_output_options o = TDX_OUTPUT_OPTIONS_INIT;
    tdx_ssh_options ssh = TDX_SSH_OPTIONS_INIT;
    tdx_secret_options sec = TDX_SECRET_OPTIONS_INIT;
    char *text = NULL;

    ck_assert_int_eq(tdx_image_set_partitions(image, parts, 1, &err), 0);
    ck_assert_int_eq(tdx_image_effective_json(image, NULL, &text, &err), -EINVAL);
    ck_assert_contains(err.message, "partitions need output format \"disk\"");
    o.format = "disk";
    ck_assert_int_eq(tdx_image_set_output(image, &o, &err), 0);
    ck_assert_int_eq(tdx_image_effective_json(image, NULL, &text, &err), 0);
    tdx_free(text);

    ck_assert_int_eq(tdx_image_set_ssh(image, &ssh, &err), 0);
    sec.dest = "/root/.ssh/authorized_keys";
    ck_assert_int_eq(tdx_image_add_secret(image, "keys", &sec, &err), 0);
    ck_assert_int_eq(tdx_image_effective_json(image, NULL, &text, &err), -EINVAL);
    ck_assert_contains(err.message, "receives the SSH keys secret");
    tdx_image_free(image);
}
END_TEST


/* A path component longer than NAME_MAX is refused where it enters (the
 * recipe), not first by the file system when emit writes the tree. */
START_TEST(path_components_are_bounded_where_they_enter)
{
    tdx_file_options f = TDX_FILE_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = new_image(), *loaded;
    char dest[400], json[600];

    memcpy(dest, "/etc/", 5);
    memset(dest + 5, 'a', 255);
    dest[5 + 255] = '\0';
    f.content = "x";
    ck_assert_msg(tdx_image_add_file(image, dest, &f, &err) == 0, "%s", err.message);
    memset(dest + 5, 'b', 300);
    dest[5 + 300] = '\0';
    ck_assert_int_eq(tdx_image_add_file(image, dest, &f, &err), -EINVAL);
    ck_assert_contains(err.message, "expected path components of at most 255 bytes");
    ck_assert_int_eq(tdx_image_add_file(image, dest, &f, NULL), -EINVAL);
    tdx_image_free(image);

    snprintf(json, sizeof(json), "{\"files\": [{\"dest\": \"%s\", \"content\": \"x\"}]}", dest);
    loaded = load_json(json, NULL, &err);
    ck_assert_ptr_null(loaded);
    ck_assert_contains(err.message, "files[0].dest");
    ck_assert_contains(err.message, "at most 255 bytes");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recipe");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, new_image_defaults);
    tcase_add_test(tc, path_components_are_bounded_where_they_enter);
    tcase_add_test(tc, profiles_scope_operations);
    tcase_add_test(tc, conflicts_name_both_operations);
    tcase_add_test(tc, failed_operations_leave_the_image_unchanged);
    tcase_add_test(tc, option_versions_and_arguments_are_checked);
    tcase_add_test(tc, debloat_edits_merge_in_order);
    tcase_add_test(tc, kernel_settings_merge);
    tcase_add_test(tc, cross_field_rules);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
