/* SPDX-License-Identifier: MIT */
/* JSON recipes: every validation rule has a case here that checks the
 * message, which must name the JSON path and say what was expected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct bad {
    const char *json;
    const char *msg1, *msg2;
};

static const struct bad bad[] = {
    /* The example from the issue, to the letter. */
    { "{\"services\": [{\"name\": \"a\", \"exec\": \"/bin/a\"}, {\"name\": \"b\", \"exec\": \"/bin/b\"},"
      " {\"name\": \"c\", \"exec\": \"/bin/c\", \"restart\": \"sometimes\"}]}",
      "recipe.json: services[2].restart: expected one of \"no\", \"always\", \"on-failure\"; got "
      "\"sometimes\"", NULL },
    /* Syntax, types, unknown keys */
    { "{\"install\": [\"a\",]}", "recipe.json:1:", NULL },
    { "[]", "recipe.json: expected a JSON object at the top level", NULL },
    { "", "recipe.json:1:", NULL },
    { "{\"install\": \"curl\"}", "recipe.json: install: expected an array of strings, got a string", NULL },
    { "{\"install\": [\"curl\", 3]}", "recipe.json: install[1]: expected a string, got an integer", NULL },
    { "{\"base\": 12}", "recipe.json: base: expected a string, got an integer", NULL },
    { "{\"instal\": [\"curl\"]}", "recipe.json: instal: unknown key; did you mean \"install\"?", NULL },
    { "{\"zzzzzz\": 1}", "recipe.json: zzzzzz: unknown key; expected one of \"name\"", NULL },
    { "{\"services\": [{\"name\": \"a\", \"exec\": \"/bin/a\", \"restrat\": \"no\"}]}",
      "recipe.json: services[0].restrat: unknown key; did you mean \"restart\"?", NULL },
    { "{\"base\": \"debian/bookworm\", \"base\": \"ubuntu/noble\"}", "recipe.json:1:34: duplicate member name near '\"base\"'", NULL },
    { "{\"files\": [{\"dest\": \"/etc/a\", \"content\": \"a\\u0000b\"}]}", "recipe.json:1:51: NUL byte in string", NULL },
    { "{\"users\": [{\"name\": \"app\", \"system\": \"yes\"}]}",
      "recipe.json: users[0].system: expected a boolean, got a string", NULL },
    { "{\"users\": [{\"name\": \"app\", \"uid\": 1.5}]}",
      "recipe.json: users[0].uid: expected an integer, got a number", NULL },
    { "{\"users\": [{\"name\": \"app\", \"uid\": 70000}]}",
      "recipe.json: users[0].uid: expected an integer from 1 to 60000, got 70000", NULL },
    /* Required fields */
    { "{\"services\": [{\"name\": \"web\"}]}", "recipe.json: services[0].exec: required", NULL },
    { "{\"files\": [{\"content\": \"x\"}]}", "recipe.json: files[0].dest: required", NULL },
    { "{\"files\": [{\"dest\": \"/etc/x\"}]}",
      "recipe.json: files[0]: expected exactly one of \"content\" and \"src\"", NULL },
    { "{\"secrets\": [{\"name\": \"jwt\"}]}", "recipe.json: secrets[0].dest: required", NULL },
    { "{\"repositories\": [{\"name\": \"ms\", \"url\": \"https://x\", \"suite\": \"b\"}]}",
      "recipe.json: repositories[0].keyring: required", NULL },
    /* Paths */
    { "{\"files\": [{\"dest\": \"etc/motd\", \"content\": \"x\"}]}",
      "recipe.json: files[0].dest: expected an absolute path", "got \"etc/motd\"" },
    { "{\"files\": [{\"dest\": \"/etc/../shadow\", \"content\": \"x\"}]}",
      "recipe.json: files[0].dest: expected an absolute path without \".\" or \"..\"", NULL },
    { "{\"files\": [{\"dest\": \"/etc/a\\nb\", \"content\": \"x\"}]}",
      "recipe.json: files[0].dest: expected a path without control characters", "\\n" },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/proc/self/k\"}]}",
      "recipe.json: secrets[0].dest: \"/proc/self/k\" is inside /proc", NULL },
    { "{\"files\": [{\"dest\": \"/etc/x\", \"src\": \"missing.txt\"}]}",
      "recipe.json: files[0].src: cannot use \"missing.txt\": No such file or directory", NULL },
    { "{\"files\": [{\"dest\": \"/etc/x\", \"src\": \"recipe-inputs\"}]}",
      "recipe.json: files[0].src: \"recipe-inputs\" is not a regular file", NULL },
    { "{\"files\": [{\"dest\": \"/etc/x\", \"content\": \"x\", \"mode\": 644}]}",
      "recipe.json: files[0].mode: expected a string of octal digits such as \"0644\", got an integer", NULL },
    { "{\"files\": [{\"dest\": \"/etc/x\", \"content\": \"x\", \"mode\": \"0999\"}]}",
      "recipe.json: files[0].mode: expected 3 or 4 octal digits", NULL },
    { "{\"debloat\": {\"paths_remove_extra\": [\"/usr/share/a b\"]}}",
      "recipe.json: debloat.paths_remove_extra[0]: expected a path pattern", NULL },
    /* Names */
    { "{\"users\": [{\"name\": \"Bad User\"}]}",
      "recipe.json: users[0].name: expected a user name matching [a-z_][a-z0-9_-]*", "got \"Bad User\"" },
    { "{\"users\": [{\"name\": \"root\"}]}", "recipe.json: users[0].name: expected a user other than root", NULL },
    { "{\"services\": [{\"name\": \"web service\", \"exec\": \"/bin/a\"}]}",
      "recipe.json: services[0].name: expected a unit name", NULL },
    { "{\"services\": [{\"name\": \"web.service\", \"exec\": \"/bin/a\"}]}",
      "recipe.json: services[0].name: expected a unit name", "without the \".service\" suffix" },
    { "{\"services\": [{\"name\": \"web\", \"exec\": \"/bin/a\", \"after\": [\"network\"]}]}",
      "recipe.json: services[0].after[0]: expected a systemd unit name", NULL },
    { "{\"services\": [{\"name\": \"web\", \"exec\": \"/bin/a\\nExecStartPre=/bin/evil\"}]}",
      "recipe.json: services[0].exec: expected a single line", NULL },
    { "{\"services\": [{\"name\": \"web\", \"exec\": \"/bin/a\", \"unit\": {\"Servce\": {}}}]}",
      "recipe.json: services[0].unit.Servce: unknown key; did you mean \"Service\"?", NULL },
    { "{\"services\": [{\"name\": \"web\", \"exec\": \"/bin/a\", \"unit\": {\"Service\": {\"Bad-Key\": \"1\"}}}]}",
      "recipe.json: services[0].unit.Service: expected a setting name", NULL },
    { "{\"secrets\": [{\"name\": \"1abc\", \"dest\": \"/run/a\"}]}",
      "recipe.json: secrets[0].name: expected a secret name", NULL },
    { "{\"builds\": [{\"name\": \"App\", \"kind\": \"c\", \"src\": \"recipe-inputs/src/app\"}]}",
      "recipe.json: builds[0].name: expected a name matching [a-z0-9]", NULL },
    { "{\"install\": [\"curl; rm -rf /\"]}", "recipe.json: install[0]: expected a Debian package name", NULL },
    { "{\"base\": \"alpine/3.20\"}", "recipe.json: base: expected \"debian/RELEASE\" or \"ubuntu/RELEASE\"", NULL },
    { "{\"profiles\": {\"bad name\": {}}}", "recipe.json: profiles.bad name: profile name: expected a name", NULL },
    { "{\"profiles\": {\"default\": {}}}", "recipe.json: profiles.default: is the default profile", NULL },
    { "{\"profiles\": {\"dev\": {\"profiles\": {}}}}",
      "recipe.json: profiles.dev.profiles: unknown key", NULL },
    { "{\"profiles\": {\"dev\": {\"name\": \"x\"}}}", "recipe.json: profiles.dev.name: unknown key", NULL },
    /* Secrets schema */
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"schema\": {\"kind\": \"uuid\"}}]}",
      "recipe.json: secrets[0].schema.kind: expected one of \"string\", \"hex\", \"base64\", \"json\"; got \"uuid\"", NULL },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"schema\": {\"min_length\": 10, \"max_length\": 5}}]}",
      "recipe.json: secrets[0].schema.min_length: 10 is larger than max_length 5", NULL },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"schema\": {\"pattern\": \"a(b\"}}]}",
      "recipe.json: secrets[0].schema.pattern:", "got \"a(b\"" },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"schema\": {\"pattern\": \"^[0-9a-f]++$\"}}]}",
      "recipe.json: secrets[0].schema.pattern: expected no stacked repetitions", NULL },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"schema\": {\"max_length\": 2000000}}]}",
      "recipe.json: secrets[0].schema.max_length: expected an integer from 1 to 1048576", NULL },
    /* Other fields */
    { "{\"secret_delivery\": {\"listen\": [\"tcp:localhost:80\"]}}",
      "recipe.json: secret_delivery.listen[0]: expected \"tcp:ADDRESS:PORT\" with a numeric IPv4", NULL },
    { "{\"network\": {\"firewall\": [\"ALLOW tcp 22\"]}}",
      "recipe.json: network.firewall[0]: expected \"ACTION [PROTO [PORT[-PORT]]]\"", NULL },
    { "{\"partitions\": [{\"mountpoint\": \"/data\", \"fs\": \"ext4\"}]}",
      "recipe.json: partitions[0].mountpoint: expected one of \"/\"", NULL },
    { "{\"partitions\": [{\"mountpoint\": \"/var\", \"fs\": \"ext4\"}]}",
      "recipe.json: partitions: expected a partition for \"/\"", NULL },
    { "{\"kernel\": {\"cmdline\": \"quiet # comment\"}}",
      "recipe.json: kernel.cmdline: expected a value without '#'", NULL },
    { "{\"kernel\": {\"package\": \"linux-image-amd64\", \"version\": \"6.12.8\"}}",
      "recipe.json: kernel.version: a kernel built from source and a kernel package exclude each other", NULL },
    { "{\"output\": {\"format\": \"qcow2\"}}",
      "recipe.json: output.format: expected one of \"uki\", \"disk\"", NULL },
    { "{\"output\": {\"seed\": \"not-a-uuid\"}}", "recipe.json: output.seed: expected a UUID", NULL },
    { "{\"encryption\": {\"type\": \"luks2\"}}",
      "recipe.json: encryption.key_source: required with type \"luks2\"", NULL },
    { "{\"ssh\": {\"key_delivery\": \"http\"}}",
      "recipe.json: ssh.key_delivery: expected one of \"secret\", \"image\"; got \"http\"", NULL },
    { "{\"scripts\": {\"postinst\": [\"   \"]}}",
      "recipe.json: scripts.postinst[0]: expected commands; got only white space", NULL },
    { "{\"scripts\": {\"postoutput\": [{\"commands\": \"true\", \"chroot\": true}]}}",
      "recipe.json: scripts.postoutput[0].chroot: mkosi cannot run postoutput scripts inside the image", NULL },
    { "{\"scripts\": {\"preinst\": []}}", "recipe.json: scripts.preinst: unknown key", NULL },
    /* Builders */
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"go\", \"src\": \"recipe-inputs/src/app\", \"output\": \"/usr/bin/p\","
      " \"toolchain\": {\"version\": \"1.24.0\"}}]}",
      "recipe.json: builds[0].toolchain.sha256: required: every downloaded toolchain is pinned", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"zig\", \"src\": \"recipe-inputs/src/app\"}]}",
      "recipe.json: builds[0].kind: expected one of \"go\", \"rust\"", "got \"zig\"" },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"go\", \"src\": \"recipe-inputs/src/app\"}]}",
      "recipe.json: builds[0].output: required for go builds", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"c\", \"src\": \"recipe-inputs/src/app\", \"build_script\": \"make\"}]}",
      "recipe.json: builds[0].artifacts: at least one required for c builds", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"c\", \"src\": \"recipe-inputs/src/app\", \"build_script\": \"make\","
      " \"artifacts\": {\"../x\": \"/usr/bin/x\"}}]}",
      "recipe.json: builds[0].artifacts[0].from: expected a relative path without \"..\"", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"rust\", \"src\": \"recipe-inputs/src/app\", \"output\": \"/b\","
      " \"ldflags\": \"-s\"}]}",
      "recipe.json: builds[0].ldflags: only for go builds", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"dotnet\", \"src\": \"recipe-inputs/src/app\", \"output\": \"/opt/p\"}]}",
      "recipe.json: builds[0].toolchain.version: required for dotnet builds", NULL },
    { "{\"builds\": [{\"name\": \"p\", \"kind\": \"script\", \"src\": \"recipe-inputs/motd.txt\", \"build_script\": \"x\"}]}",
      "recipe.json: builds[0].src: \"recipe-inputs/motd.txt\" is not a directory", NULL },
    /* Templates */
    { "{\"templates\": [{\"dest\": \"/etc/a\", \"src\": \"recipe-inputs/app.toml.tmpl\", \"vars\": {\"9x\": \"1\"}}]}",
      "recipe.json: templates[0].vars: expected a variable name", NULL },
    { "{\"templates\": [{\"dest\": \"/etc/a\", \"src\": \"recipe-inputs/app.toml.tmpl\", \"vars\": {\"a\": [1]}}]}",
      "recipe.json: templates[0].vars.a: expected a string, an integer or a boolean, got an array", NULL },
    /* Duplicates within one effective recipe name both places */
    { "{\"files\": [{\"dest\": \"/etc/a\", \"content\": \"1\"}, {\"dest\": \"/etc/a\", \"content\": \"2\"}]}",
      "recipe.json: files[1].dest: destination \"/etc/a\" is also declared by recipe.json: files[0]", NULL },
    { "{\"files\": [{\"dest\": \"/etc/a\", \"content\": \"1\"}], \"profiles\": {\"dev\": {\"templates\": "
      "[{\"dest\": \"/etc/a\", \"src\": \"recipe-inputs/app.toml.tmpl\"}]}}}",
      "recipe.json: profiles.dev.templates[0].dest: destination \"/etc/a\" is also declared by recipe.json: files[0]", NULL },
    { "{\"users\": [{\"name\": \"app\"}], \"profiles\": {\"dev\": {\"users\": [{\"name\": \"app\"}]}}}",
      "recipe.json: profiles.dev.users[0].name: user \"app\" is also declared by recipe.json: users[0]", NULL },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/etc/a\"}], \"files\": [{\"dest\": \"/etc/a\", \"content\": \"1\"}]}",
      "recipe.json: secrets[0].dest: destination \"/etc/a\" is also declared by recipe.json: files[0]", NULL },
    { "{\"secrets\": [{\"name\": \"k\", \"dest\": \"/etc/a\"}, {\"name\": \"k\", \"dest\": \"/etc/b\"}]}",
      "recipe.json: secrets[1].name: secret \"k\" is also declared by recipe.json: secrets[0]", NULL },
    /* Includes */
    { "{\"include\": [\"no-such-fragment.json\"]}", "recipe.json: include[0]: cannot read \"no-such-fragment.json\": No such file or directory", NULL },
    { "{\"include\": \"x.json\"}", "recipe.json: include: expected an array of strings, got a string", NULL },
    { "{\"name\": 3}", "recipe.json: name: expected a string, got an integer", NULL },
    { "{\"name\": \"bad name\"}", "recipe.json: name: image name: expected a name", NULL },
};

START_TEST(bad_recipes_are_rejected_with_located_messages)
{
    const struct bad *b = &bad[_i];
    if (b->msg2)
        expect_load_error(b->json, b->msg1, b->msg2, NULL);
    else
        expect_load_error(b->json, b->msg1, NULL);
}
END_TEST

START_TEST(includes_apply_in_order_and_name_both_sources)
{
    char *dir = tmpdir_new();
    char path[512];
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;

    write_text(dir, "modules/base.json", "{\"install\": [\"curl\"], \"files\": [{\"dest\": \"/etc/a\", \"content\": \"1\"}]}");
    write_text(dir, "modules/dev.json", "{\"install\": [\"strace\"]}");
    write_text(dir, "main.json", "{\"name\": \"m\", \"include\": [\"modules/base.json\"], \"install\": [\"jq\"],"
                                 " \"profiles\": {\"dev\": {\"include\": [\"modules/dev.json\"]}}}");
    snprintf(path, sizeof(path), "%s/main.json", dir);
    ck_assert_msg(tdx_image_load_file(&image, path, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_image_effective_json(image, NULL, &text, &err), 0);
    ck_assert_contains(text, "\"curl\"");
    ck_assert_contains(text, "\"jq\"");
    ck_assert(!strstr(text, "strace"));
    tdx_free(text);
    ck_assert_int_eq(tdx_image_effective_json(image, "dev", &text, &err), 0);
    ck_assert_contains(text, "\"strace\"");
    tdx_free(text);
    tdx_image_free(image);

    /* A conflict between the main file and a fragment names both files. */
    write_text(dir, "clash.json", "{\"include\": [\"modules/base.json\"], \"files\": [{\"dest\": \"/etc/a\", \"content\": \"2\"}]}");
    snprintf(path, sizeof(path), "%s/clash.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -EEXIST);
    ck_assert_contains(err.message, "clash.json: files[0].dest: destination \"/etc/a\" is also declared by");
    ck_assert_contains(err.message, "modules/base.json: files[0]");

    /* Errors inside a fragment name the fragment's path. */
    write_text(dir, "modules/broken.json", "{\"users\": [{\"name\": \"X\"}]}");
    write_text(dir, "uses-broken.json", "{\"include\": [\"modules/broken.json\"]}");
    snprintf(path, sizeof(path), "%s/uses-broken.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -EINVAL);
    ck_assert_contains(err.message, "modules/broken.json: users[0].name");

    /* Fragments may not rename the image. */
    write_text(dir, "modules/named.json", "{\"name\": \"other\"}");
    write_text(dir, "uses-named.json", "{\"include\": [\"modules/named.json\"]}");
    snprintf(path, sizeof(path), "%s/uses-named.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -EINVAL);
    ck_assert_contains(err.message, "only the main recipe file may set the image name");

    /* Cycles and runaway nesting stop with -ELOOP. */
    write_text(dir, "a.json", "{\"include\": [\"b.json\"]}");
    write_text(dir, "b.json", "{\"include\": [\"a.json\"]}");
    snprintf(path, sizeof(path), "%s/a.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -ELOOP);
    ck_assert_contains(err.message, "include cycle");
    tmpdir_remove(dir);
}
END_TEST

/* A cycle or a chain too deep names every file of the chain, in order. */
START_TEST(include_chains_are_printed_whole)
{
    char *dir = tmpdir_new();
    char path[512], name[32], text[64], expect[512];
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    size_t used;

    write_text(dir, "a.json", "{\"include\": [\"b.json\"]}");
    write_text(dir, "b.json", "{\"include\": [\"c.json\"]}");
    write_text(dir, "c.json", "{\"include\": [\"b.json\"]}");
    snprintf(path, sizeof(path), "%s/a.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -ELOOP);
    snprintf(expect, sizeof(expect), "%s → b.json → c.json → b.json: include cycle", path);
    ck_assert_str_eq(err.message, expect);
    /* The same with err == NULL: the return value alone carries the code. */
    ck_assert_int_eq(tdx_image_load_file(&image, path, NULL), -ELOOP);

    /* d0 → d1 → ... → d19: the 17th file is one too many. */
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "d%d.json", i);
        snprintf(text, sizeof(text), "{\"include\": [\"d%d.json\"]}", i + 1);
        write_text(dir, name, i == 19 ? "{}" : text);
    }
    snprintf(path, sizeof(path), "%s/d0.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -ELOOP);
    used = (size_t)snprintf(expect, sizeof(expect), "%s", path);
    for (int i = 1; i <= 16; i++)
        used += (size_t)snprintf(expect + used, sizeof(expect) - used, " → d%d.json", i);
    snprintf(expect + used, sizeof(expect) - used, ": includes nested more than 16 deep");
    ck_assert_str_eq(err.message, expect);

    /* A fragment's own errors name the fragment, an unreadable one the include. */
    write_text(dir, "bad.json", "{\"include\": [\"d19.json\", \"gone.json\"]}");
    snprintf(path, sizeof(path), "%s/bad.json", dir);
    ck_assert_int_eq(tdx_image_load_file(&image, path, &err), -ENOENT);
    snprintf(expect, sizeof(expect), "%s: include[1]: cannot read \"gone.json\": No such file or directory", path);
    ck_assert_str_eq(err.message, expect);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(key_order_in_the_file_does_not_matter)
{
    const char *a = "{\"name\": \"k\", \"install\": [\"curl\"], \"scripts\": {\"finalize\": [\"echo f\"],"
                    " \"postinst\": [\"echo p\"]}, \"on_boot\": [\"echo b\"], \"base\": \"debian/trixie\"}";
    const char *b = "{\"on_boot\": [\"echo b\"], \"base\": \"debian/trixie\", \"scripts\": {\"postinst\":"
                    " [\"echo p\"], \"finalize\": [\"echo f\"]}, \"install\": [\"curl\"], \"name\": \"k\"}";
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *ia = load_json(a, NULL, &err), *ib = load_json(b, NULL, &err);
    char *ta = NULL, *tb = NULL;

    ck_assert_ptr_nonnull(ia);
    ck_assert_ptr_nonnull(ib);
    ck_assert_int_eq(tdx_image_effective_json(ia, NULL, &ta, &err), 0);
    ck_assert_int_eq(tdx_image_effective_json(ib, NULL, &tb, &err), 0);
    ck_assert_str_eq(ta, tb);
    tdx_free(ta);
    tdx_free(tb);
    tdx_image_free(ia);
    tdx_image_free(ib);
}
END_TEST

START_TEST(examples_load_and_resolve)
{
    const char *files[] = { "examples/minimal.json", "examples/node.json" };
    for (size_t f = 0; f < 2; f++) {
        tdx_image *image = NULL;
        tdx_error err = TDX_ERROR_INIT;
        ck_assert_msg(tdx_image_load_file(&image, src_path(files[f]), &err) == 0, "%s", err.message);
        for (size_t p = 0; p < tdx_image_profile_count(image); p++) {
            char *text = NULL;
            ck_assert_msg(tdx_image_effective_json(image, tdx_image_profile_name(image, p), &text, &err) == 0,
                          "%s", err.message);
            tdx_free(text);
        }
        tdx_image_free(image);
    }
}
END_TEST

START_TEST(oversized_recipes_are_refused)
{
    size_t n = 17 * 1024 * 1024;
    char *big = malloc(n);
    tdx_image *image = NULL;
    tdx_error err = TDX_ERROR_INIT;
    memset(big, ' ', n);
    ck_assert_int_eq(tdx_image_load_buffer(&image, "big.json", big, n, NULL, &err), -EFBIG);
    ck_assert_contains(err.message, "big.json: larger than");
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("recipes");
    tcase_add_loop_test(tc, bad_recipes_are_rejected_with_located_messages, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, includes_apply_in_order_and_name_both_sources);
    tcase_add_test(tc, include_chains_are_printed_whole);
    tcase_add_test(tc, key_order_in_the_file_does_not_matter);
    tcase_add_test(tc, examples_load_and_resolve);
    tcase_add_test(tc, oversized_recipes_are_refused);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
