/* SPDX-License-Identifier: MIT */
/* The secrets manifest as the agent loads it: what the recipe compiler
 * writes loads; anything else is refused with a message naming the field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "macro.h"
#include "manifest.h"

START_TEST(emitted_manifests_load)
{
    char *dir = tmpdir_new(), out[512], path[600], msg[512];
    tdx_error err = TDX_ERROR_INIT;
    tdx_emit_options opts = TDX_EMIT_OPTIONS_INIT;
    tdx_image *image = NULL;
    struct manifest *m = NULL;
    const struct manifest_secret *s;

    opts.profile = "dev";
    ck_assert_int_eq(tdx_image_load_file(&image, src_path("examples/node.json"), &err), 0);
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_msg(tdx_emit_mkosi(image, out, &opts, &err) == 0, "%s", err.message);
    /* The dev profile adds a secret, so its layer carries its own manifest. */
    snprintf(path, sizeof(path), "%s/mkosi.profiles/dev/mkosi.extra/etc/tdx-agent/secrets.json", out);
    ck_assert_msg(manifest_load(path, &m, msg, sizeof(msg)) == 0, "%s", msg);

    ck_assert_uint_eq(m->n, 4);   /* three secrets and the dev profile's SSH keys */
    ck_assert_uint_eq(m->n_required, 2);
    s = manifest_find(m, "api_token");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->dest, "/etc/node/api-token");
    ck_assert_str_eq(s->owner, "node");
    ck_assert_str_eq(s->group, "node");
    ck_assert_uint_eq(s->mode, 0400);
    ck_assert(!s->required);
    ck_assert_int_eq(s->kind, MANIFEST_KIND_STRING);
    ck_assert_uint_eq(s->min_length, 16);
    ck_assert_uint_eq(s->max_length, 128);
    ck_assert_str_eq(s->pattern, "^tok_[A-Za-z0-9]+$");
    ck_assert_int_eq(regexec(&s->regex, "tok_abc123", 0, NULL, 0), 0);
    ck_assert_int_ne(regexec(&s->regex, "tok_abc 123", 0, NULL, 0), 0);
    s = manifest_find(m, "ssh_authorized_keys");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->dest, "/root/.ssh/authorized_keys");
    ck_assert_uint_eq(s->mode, 0600);
    ck_assert_int_eq(manifest_find(m, "jwt")->kind, MANIFEST_KIND_HEX);
    ck_assert_str_eq(manifest_kind_name(manifest_find(m, "prover_key")->kind), "base64");
    ck_assert_ptr_null(manifest_find(m, "nope"));
    manifest_free(m);
    tdx_image_free(image);
    tmpdir_remove(dir);
}
END_TEST

/* The development escape hatch reaches the manifest only where the recipe
 * sets it: here a profile for VMs without TDX. */
START_TEST(unattested_only_where_set)
{
    char *dir = tmpdir_new(), out[512], path[700], msg[512];
    tdx_error err = TDX_ERROR_INIT;
    tdx_emit_options opts = TDX_EMIT_OPTIONS_INIT;
    tdx_image *image;
    struct manifest *m = NULL;

    image = load_json("{\"name\": \"u\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"k\", \"dest\": \"/run/k\"}], \"profiles\": {\"qemu\": "
                      "{\"secret_delivery\": {\"insecure_allow_unattested\": true}}}}", NULL, &err);
    ck_assert_msg(image != NULL, "%s", err.message);
    opts.profile = "qemu";
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_msg(tdx_emit_mkosi(image, out, &opts, &err) == 0, "%s", err.message);
    snprintf(path, sizeof(path), "%s/mkosi.extra/etc/tdx-agent/secrets.json", out);
    ck_assert_msg(manifest_load(path, &m, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert(!m->insecure_allow_unattested);
    manifest_free(m);
    snprintf(path, sizeof(path), "%s/mkosi.profiles/qemu/mkosi.extra/etc/tdx-agent/secrets.json",
             out);
    ck_assert_msg(manifest_load(path, &m, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert(m->insecure_allow_unattested);
    manifest_free(m);
    expect_load_error("{\"name\": \"u\", \"base\": \"debian/bookworm\", \"secret_delivery\": "
                      "{\"insecure_allow_unattested\": \"yes\"}}",
                      "secret_delivery.insecure_allow_unattested", "boolean", NULL);
    tdx_image_free(image);
    tmpdir_remove(dir);
}
END_TEST

/* Senders go from the recipe (hex or base64 keys) into the manifest (hex),
 * with each one's secrets and the replace policy; mistakes name the field. */
START_TEST(senders_reach_the_manifest)
{
    static const uint8_t key[32] = { 0x4c, 0x42, 0x06, 0x43, 0x5e, 0xe1, 0x29, 0xe1, 0x7c, 0x83,
                                     0x1f, 0x81, 0x6d, 0x96, 0x42, 0xa6, 0x9e, 0x86, 0xd5, 0x26,
                                     0x48, 0xe0, 0x7b, 0x71, 0x29, 0xef, 0x6e, 0xd6, 0x63, 0x0c,
                                     0xa3, 0x13 };
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image;
    struct manifest *m = NULL;
    char *text = NULL, msg[512];
#define RECIPE(delivery) "{\"name\": \"u\", \"base\": \"debian/bookworm\", \"secrets\": [" \
    "{\"name\": \"a\", \"dest\": \"/run/a\"}, {\"name\": \"b\", \"dest\": \"/run/b\"}], " \
    "\"secret_delivery\": " delivery "}"

    image = load_json(RECIPE("{\"replace\": \"any-sender\", \"senders\": ["
                             "{\"name\": \"ops\", \"public_key\": \"TEIGQ17hKeF8gx+BbZZCpp6G1SZI4HtxKe9u1mMMoxM=\"},"
                             "{\"name\": \"ci\", \"public_key\": \"4c4206435ee129e17c831f816d9642a69e86d52648e07b7129ef6ed6630ca314\", "
                             "\"secrets\": [\"b\"]}]}"), NULL, &err);
    ck_assert_msg(image != NULL, "%s", err.message);
    ck_assert_msg(tdx_image_secrets_manifest(image, NULL, &text, &err) == 0, "%s", err.message);
    ck_assert_msg(manifest_parse("m", text, strlen(text), &m, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_uint_eq(m->n_senders, 2);
    ck_assert_str_eq(m->senders[0].name, "ops");
    ck_assert_mem_eq(m->senders[0].public_key, key, 32);
    ck_assert_ptr_null(m->senders[0].may_set);
    ck_assert(manifest_find_sender(m, key) == &m->senders[0]);
    ck_assert(!m->senders[1].may_set[0] && m->senders[1].may_set[1]);
    ck_assert_int_eq(m->replace, MANIFEST_REPLACE_ANY_SENDER);
    manifest_free(m);
    tdx_free(text);
    tdx_image_free(image);

    /* Without senders the manifest is as before (and the agent's default is same-sender). */
    image = load_json(RECIPE("{}"), NULL, &err);
    ck_assert_msg(tdx_image_secrets_manifest(image, NULL, &text, &err) == 0, "%s", err.message);
    ck_assert(!strstr(text, "senders") && !strstr(text, "replace"));
    tdx_free(text);
    tdx_image_free(image);

    expect_load_error(RECIPE("{\"senders\": [{\"name\": \"ops\", \"public_key\": \"zz\"}]}"),
                      "secret_delivery.senders[0].public_key: expected an X25519 public key", NULL);
    expect_load_error(RECIPE("{\"senders\": [{\"name\": \"ops\", \"public_key\": \"4c4206435ee129e17c831f816d9642a69e86d52648e07b7129ef6ed6630ca313\"},"
                             "{\"name\": \"ops\", \"public_key\": \"4c4206435ee129e17c831f816d9642a69e86d52648e07b7129ef6ed6630ca314\"}]}"),
                      "sender \"ops\" is listed twice", NULL);
    expect_load_error(RECIPE("{\"replace\": \"sometimes\"}"), "secret_delivery.replace: expected one of",
                      NULL);
    /* A sender's secrets must be the profile's: checked when it resolves. */
    image = load_json(RECIPE("{\"senders\": [{\"name\": \"ops\", \"public_key\": \"4c4206435ee129e17c831f816d9642a69e86d52648e07b7129ef6ed6630ca313\", "
                             "\"secrets\": [\"zzz\"]}]}"), NULL, &err);
    ck_assert_msg(image != NULL, "%s", err.message);
    ck_assert_int_eq(tdx_image_secrets_manifest(image, NULL, &text, &err), -EINVAL);
    ck_assert_contains(err.message, "sender \"ops\": no secret \"zzz\" in this profile");
    tdx_image_free(image);
#undef RECIPE
}
END_TEST

/* A secret's directory, as the recipe describes it, reaches every secret of
 * that directory in the manifest and the tmpfiles.d line that makes it. */
START_TEST(secret_directories)
{
    char *dir = tmpdir_new(), out[512], path[700], msg[512], *text;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image;
    struct manifest *m = NULL;

    image = load_json("{\"name\": \"d\", \"base\": \"debian/bookworm\", \"users\": [{\"name\": "
                      "\"app\"}], \"secrets\": [{\"name\": \"a\", \"dest\": \"/etc/app/a\", "
                      "\"dir_mode\": \"0750\", \"dir_owner\": \"app\"}, {\"name\": \"b\", \"dest\": "
                      "\"/etc/app/b\"}, {\"name\": \"c\", \"dest\": \"/etc/other/c\"}]}", NULL, &err);
    ck_assert_msg(image != NULL, "%s", err.message);
    snprintf(out, sizeof(out), "%s/tree", dir);
    ck_assert_msg(tdx_emit_mkosi(image, out, NULL, &err) == 0, "%s", err.message);
    snprintf(path, sizeof(path), "%s/mkosi.extra/etc/tdx-agent/secrets.json", out);
    ck_assert_msg(manifest_load(path, &m, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_uint_eq(manifest_find(m, "b")->dir_mode, 0750);
    ck_assert_str_eq(manifest_find(m, "b")->dir_owner, "app");
    ck_assert_str_eq(manifest_find(m, "b")->dir_group, "app");
    ck_assert_uint_eq(manifest_find(m, "c")->dir_mode, 0755);
    ck_assert_str_eq(manifest_find(m, "c")->dir_owner, "root");
    manifest_free(m);
    snprintf(path, sizeof(path), "%s/mkosi.extra/etc/tmpfiles.d/tdx-secrets.conf", out);
    text = read_text(path, NULL);
    ck_assert_contains(text, "\nd /etc/app 0750 app app -\n");
    ck_assert_contains(text, "\nd /etc/other - - - -\n");
    free(text);
    tdx_image_free(image);
    /* Disagreeing secrets are refused when the recipe is resolved. */
    image = load_json("{\"name\": \"d\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"a\", \"dest\": \"/etc/app/a\", \"dir_mode\": \"0750\"}, {\"name\": \"b\", "
                      "\"dest\": \"/etc/app/b\", \"dir_mode\": \"0700\"}]}", NULL, &err);
    ck_assert_ptr_nonnull(image);
    ck_assert_int_eq(tdx_image_effective_json(image, NULL, &text, &err), -EINVAL);
    ck_assert_contains(err.message, "secrets[0]");
    ck_assert_contains(err.message, "secret \"b\" describes the directory of /etc/app/a otherwise");
    tdx_image_free(image);
    expect_load_error("{\"name\": \"d\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"a\", \"dest\": \"/etc/app/a\", \"dir_mode\": \"9\"}]}",
                      "secrets[0].dir_mode", NULL);
    tmpdir_remove(dir);
}
END_TEST

#define ENTRY(extra)                                                                           \
    "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"root\", " \
    "\"group\": \"root\", \"mode\": \"0400\", \"required\": true" extra "}]}"
#define SCHEMA(s) ENTRY(", \"schema\": {" s "}")
#define OK_SCHEMA "\"kind\": \"hex\", \"min_length\": 2, \"max_length\": 64"

static const struct {
    const char *text;
    const char *fragment;   /* NULL: loads */
} cases[] = {
    { SCHEMA(OK_SCHEMA), NULL },
    { "{\"version\": 1, \"secrets\": []}", NULL },
    { "{\"version\": 2, \"secrets\": []}", "m.json: version: expected 1 (the format this agent reads), got 2" },
    { "{\"version\": 1}", "m.json: secrets: required" },
    { "{\"version\": 1, \"secrets\": {}}", "m.json: secrets: expected an array, got an object" },
    { "{\"version\": 1, \"secrets\": [], \"extra\": 1}", "m.json: extra: unknown key; expected one of \"version\", \"secrets\", \"insecure_allow_unattested\"" },
    { "[]", "m.json: expected a JSON object at the top level, got an array" },
    { "{\"version\": 1,", "m.json:1:14: unexpected end of text" },
    { "{\"version\": 1, \"secrets\": [7]}", "m.json: secrets[0]: expected an object, got an integer" },
    { ENTRY(""), "m.json: secrets[0].schema: required" },
    { SCHEMA(OK_SCHEMA ", \"x\": 1"), "m.json: secrets[0].schema.x: unknown key; expected one of \"kind\", \"min_length\", \"max_length\", \"pattern\"" },
    { SCHEMA("\"kind\": \"blob\", \"min_length\": 1, \"max_length\": 2"),
      "m.json: secrets[0].schema.kind: expected one of \"string\", \"hex\", \"base64\", \"json\"; got \"blob\"" },
    { SCHEMA("\"kind\": \"hex\", \"max_length\": 2"), "m.json: secrets[0].schema.min_length: required" },
    { SCHEMA("\"kind\": \"hex\", \"min_length\": 3, \"max_length\": 2"),
      "m.json: secrets[0].schema.min_length: greater than max_length" },
    { SCHEMA("\"kind\": \"hex\", \"min_length\": 0, \"max_length\": 1048577"),
      "m.json: secrets[0].schema.max_length: expected an integer from 0 to 1048576, got 1048577" },
    { SCHEMA(OK_SCHEMA ", \"pattern\": \"(unclosed\""),
      "m.json: secrets[0].schema.pattern: not a POSIX extended regular expression: " },
    { SCHEMA(OK_SCHEMA ", \"pattern\": \"((a{200}){200}){200}\""), "m.json: secrets[0].schema.pattern: expected a simpler regular expression" },
    { SCHEMA(OK_SCHEMA ", \"pattern\": 5"), "m.json: secrets[0].schema.pattern: expected a string, got an integer" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"9k\", \"dest\": \"/run/k\"}]}",
      "m.json: secrets[0].name: expected a secret name matching [A-Za-z_][A-Za-z0-9_.-]* (at most 64 characters), got \"9k\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"run/k\"}]}",
      "m.json: secrets[0].dest: expected an absolute path without \".\" or \"..\" components, empty components or a trailing slash, got \"run/k\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/../k\"}]}",
      "m.json: secrets[0].dest: expected an absolute path without \".\" or \"..\" components, empty components or a trailing slash, got \"/run/../k\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"Root\"}]}",
      "m.json: secrets[0].owner: expected a user name matching [a-z_][a-z0-9_-]* (at most 31 characters), got \"Root\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"root\", "
      "\"group\": \"root\", \"mode\": \"4000000\"}]}",
      "m.json: secrets[0].mode: expected 3 or 4 octal digits such as \"0644\"; got \"4000000\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"root\", "
      "\"group\": \"root\", \"mode\": \"0400\", \"required\": \"yes\"}]}",
      "m.json: secrets[0].required: expected a boolean, got a string" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\\u0000x\"}]}",
      "m.json:1:64: NUL byte in string" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"root\", "
      "\"group\": \"root\", \"mode\": \"0400\", \"required\": true, \"schema\": {" OK_SCHEMA "}}, "
      "{\"name\": \"k\", \"dest\": \"/run/k2\", \"owner\": \"root\", \"group\": \"root\", "
      "\"mode\": \"0400\", \"required\": true, \"schema\": {" OK_SCHEMA "}}]}",
      "m.json: secrets[1].name: \"k\" is declared twice" },
    { "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "m.json: JSON nested too deeply" },
    { "{\"version\": 1, \"secrets\": [], \"insecure_allow_unattested\": 1}",
      "m.json: insecure_allow_unattested: expected a boolean, got an integer" },
    { "{\"version\": 1, \"secrets\": [], \"insecure_allow_unattested\": false}", NULL },
    { ENTRY(", \"dir_mode\": \"75\", \"schema\": {" OK_SCHEMA "}"), "m.json: secrets[0].dir_mode: expected 3 or 4 octal digits such as \"0644\"; got \"75\"" },
    /* Regression: these leaked what was read before the bad member (the
     * ASan and valgrind runs of this suite catch a leak). */
    { ENTRY(", \"dir_owner\": 5, \"schema\": {" OK_SCHEMA "}"),
      "m.json: secrets[0].dir_owner: expected a string, got an integer" },
    { ENTRY(", \"dir_mode\": \"0700\", \"dir_owner\": 5, \"schema\": {" OK_SCHEMA "}"),
      "m.json: secrets[0].dir_owner: expected a string, got an integer" },
    { ENTRY(", \"description\": \"d\", \"dir_group\": [], \"schema\": {" OK_SCHEMA ", \"pattern\": \"(\"}"),
      "m.json: secrets[0].dir_group: expected a string, got an array" },
    { ENTRY(", \"dir_owner\": \"Bad\", \"schema\": {" OK_SCHEMA "}"), "m.json: secrets[0].dir_owner: expected a user name matching [a-z_][a-z0-9_-]* (at most 31 characters), got \"Bad\"" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/x/k\", \"owner\": \"root\", "
      "\"group\": \"root\", \"mode\": \"0400\", \"required\": true, \"dir_mode\": \"0700\", \"schema\": {" OK_SCHEMA "}}, "
      "{\"name\": \"l\", \"dest\": \"/run/x/l\", \"owner\": \"root\", \"group\": \"root\", "
      "\"mode\": \"0400\", \"required\": true, \"schema\": {" OK_SCHEMA "}}]}",
      "m.json: secrets[1]: dir_mode, dir_owner, dir_group: \"k\" in the same directory says otherwise" },
    { "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", \"owner\": \"root\", "
      "\"group\": \"root\", \"mode\": \"0400\", \"required\": true, \"schema\": {" OK_SCHEMA "}}, "
      "{\"name\": \"l\", \"dest\": \"/run/k\", \"owner\": \"root\", \"group\": \"root\", "
      "\"mode\": \"0400\", \"required\": true, \"schema\": {" OK_SCHEMA "}}]}",
      "m.json: secrets[1].dest: /run/k is also the destination of \"k\"" },
#define ONE "{\"version\": 1, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k\", " \
    "\"owner\": \"root\", \"group\": \"root\", \"mode\": \"0400\", \"required\": true, " \
    "\"schema\": {" OK_SCHEMA "}}]"
#define KEY "\"4c4206435ee129e17c831f816d9642a69e86d52648e07b7129ef6ed6630ca313\""
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY "}], \"replace\": \"never\"}",
      NULL },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY ", \"secrets\": [\"k\"]}]}",
      NULL },
    { ONE ", \"replace\": \"sometimes\"}", "m.json: replace: expected one of" },
    { ONE ", \"senders\": {}}", "m.json: senders: expected an array" },
    { ONE ", \"senders\": [{\"name\": \"ops\"}]}", "senders[0].public_key: required" },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": \"abcd\"}]}",
      "senders[0].public_key: expected 64 hex digits" },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY ", \"x\": 1}]}",
      "senders[0].x: unknown key" },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY ", \"secrets\": [\"nope\"]}]}",
      "senders[0].secrets[0]: expected the name of a secret of this manifest" },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY ", \"secrets\": []}]}",
      "senders[0].secrets: " },
    { ONE ", \"senders\": [{\"name\": \"ops\", \"public_key\": " KEY "}, "
      "{\"name\": \"ci\", \"public_key\": " KEY "}]}", "senders[1]: the same name or key as senders[0]" },
};

START_TEST(bad_manifests_are_refused)
{
    struct manifest *m = NULL;
    char msg[512] = "";
    int r = manifest_parse("m.json", cases[_i].text, strlen(cases[_i].text), &m, msg, sizeof(msg));

    if (!cases[_i].fragment) {
        ck_assert_msg(r == 0, "%s", msg);
        manifest_free(m);
        return;
    }
    ck_assert_int_lt(r, 0);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(msg, cases[_i].fragment), "\"%s\" lacks \"%s\"", msg, cases[_i].fragment);
}
END_TEST

START_TEST(unreadable_manifests_are_refused)
{
    struct manifest *m = NULL;
    char msg[512];
    ck_assert_int_eq(manifest_load("/nonexistent/secrets.json", &m, msg, sizeof(msg)), -ENOENT);
    ck_assert_str_eq(msg, "/nonexistent/secrets.json: cannot read: No such file or directory");
    ck_assert_int_eq(manifest_load("/", &m, msg, sizeof(msg)), -EISDIR);
    ck_assert_ptr_null(m);
}
END_TEST

static struct manifest *one_secret(const char *schema)
{
    char text[1024], msg[512];
    struct manifest *m = NULL;
    snprintf(text, sizeof(text),
             "{\"version\": 1, \"insecure_allow_unattested\": true, \"secrets\": [{\"name\": "
             "\"k\", \"dest\": \"/run/k\", \"owner\": \"root\", \"group\": \"root\", "
             "\"mode\": \"0400\", \"required\": true, \"schema\": {%s}}]}", schema);
    ck_assert_msg(manifest_parse("m.json", text, strlen(text), &m, msg, sizeof(msg)) == 0, "%s",
                  msg);
    ck_assert(m->insecure_allow_unattested);
    return m;
}

static const struct {
    const char *schema, *value;
    const char *fragment;   /* NULL: accepted */
} values[] = {
    { "\"kind\": \"hex\", \"min_length\": 4, \"max_length\": 8", "00fF", NULL },
    { "\"kind\": \"hex\", \"min_length\": 4, \"max_length\": 8", "00f", "expected 4 to 8 bytes, got 3" },
    { "\"kind\": \"hex\", \"min_length\": 4, \"max_length\": 8", "00fff", "an even number" },
    { "\"kind\": \"hex\", \"min_length\": 4, \"max_length\": 8", "00fg", "hexadecimal digits" },
    { "\"kind\": \"hex\", \"min_length\": 4, \"max_length\": 8", "00ff00ff00", "got 10" },
    { "\"kind\": \"base64\", \"min_length\": 0, \"max_length\": 99", "aGk=", NULL },
    { "\"kind\": \"base64\", \"min_length\": 0, \"max_length\": 99", "", NULL },
    { "\"kind\": \"base64\", \"min_length\": 0, \"max_length\": 99", "aGk", "expected base64" },
    { "\"kind\": \"base64\", \"min_length\": 0, \"max_length\": 99", "aG k=", "expected base64" },
    { "\"kind\": \"json\", \"min_length\": 0, \"max_length\": 99", " {\"a\": [1]} ", NULL },
    { "\"kind\": \"json\", \"min_length\": 0, \"max_length\": 99", "{\"a\": }", "expected one JSON value; at byte 6" },
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99", "h\xc3\xa9", NULL },
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99", "\xff", "expected UTF-8 text" },
    /* The pattern must match the whole value, not a part of it. */
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99, \"pattern\": \"tok_[a-z]+\"", "tok_abc", NULL },
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99, \"pattern\": \"tok_[a-z]+\"", "xtok_abc", "does not match the schema's pattern" },
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99, \"pattern\": \"tok_[a-z]+\"", "tok_abc1", "pattern" },
    { "\"kind\": \"string\", \"min_length\": 1, \"max_length\": 99, \"pattern\": \"a|ab\"", "ab", NULL },
};

START_TEST(values_are_checked_against_schemas)
{
    struct manifest *m = one_secret(values[_i].schema);
    char msg[512] = "";
    int r = manifest_check_value(&m->secrets[0], values[_i].value, strlen(values[_i].value), msg,
                                 sizeof(msg));
    if (!values[_i].fragment) {
        ck_assert_msg(r == 0, "%s: %s", values[_i].value, msg);
    } else {
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_msg(strstr(msg, values[_i].fragment), "\"%s\" lacks \"%s\"", msg,
                      values[_i].fragment);
        ck_assert_msg(startswith(msg, "secret \"k\": "), "%s", msg);
        if (strlen(values[_i].value) > 2)
            ck_assert_msg(!strstr(msg, values[_i].value), "value in message: %s", msg);
    }
    /* A NUL inside is refused whatever the kind. */
    ck_assert_int_eq(manifest_check_value(&m->secrets[0], "00\0f", 4, msg, sizeof(msg)), -EINVAL);
    manifest_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, emitted_manifests_load);
    tcase_add_test(tc, unattested_only_where_set);
    tcase_add_test(tc, secret_directories);
    tcase_add_test(tc, senders_reach_the_manifest);
    tcase_add_loop_test(tc, bad_manifests_are_refused, 0, (int)ELEMENTSOF(cases));
    tcase_add_test(tc, unreadable_manifests_are_refused);
    tcase_add_loop_test(tc, values_are_checked_against_schemas, 0, (int)ELEMENTSOF(values));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
