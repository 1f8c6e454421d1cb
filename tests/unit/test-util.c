/* SPDX-License-Identifier: MIT */
/* Helpers: buffers, string vectors, quoting (checked by running /bin/sh),
 * templates, mkosi.conf rendering and profile diffs, validators. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "emit/conf.h"
#include "hex.h"
#include "msg.h"
#include "parse-number.h"
#include "emit/text.h"
#include "fsutil.h"
#include "staging.h"
#include "error.h"
#include "helpers.h"
#include "recipe/validate.h"
#include "regex-check.h"
#include "rfc3339.h"
#include "strbuf.h"
#include "strv.h"

START_TEST(strbuf_grows_and_steals)
{
    strbuf sb = STRBUF_INIT;
    char *s;
    size_t n;

    ck_assert_str_eq(strbuf_str(&sb), "");
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&sb, "%04d,", i);
    ck_assert_int_eq(strbuf_error(&sb), 0);
    ck_assert_uint_eq(sb.len, 5000);
    ck_assert(strncmp(sb.data + 4995, "0999,", 5) == 0);
    strbuf_truncate(&sb, 4);
    ck_assert_str_eq(strbuf_str(&sb), "0000");
    s = strbuf_steal(&sb, &n);
    ck_assert_str_eq(s, "0000");
    ck_assert_uint_eq(n, 4);
    ck_assert_ptr_null(sb.data);
    free(s);
}
END_TEST

/* A secret buffer grows by copying (the old block is wiped, which a test
 * cannot read back without touching freed memory): contents must survive
 * every growth exactly as with realloc(). */
START_TEST(secret_strbuf_grows_like_any_other)
{
    strbuf plain = STRBUF_INIT, secret = STRBUF_SECRET_INIT;

    for (int i = 0; i < 3000; i++) {
        strbuf_printf(&plain, "k%04d=v;", i);
        strbuf_printf(&secret, "k%04d=v;", i);
    }
    ck_assert_int_eq(strbuf_error(&secret), 0);
    ck_assert_uint_eq(secret.len, plain.len);
    ck_assert_mem_eq(secret.data, plain.data, plain.len + 1);
    ck_assert_int_eq(secret.wipe, 1);
    strbuf_free(&plain);
    strbuf_wipe_free(&secret);
    ck_assert_ptr_null(secret.data);
}
END_TEST

START_TEST(strv_sort_uniq_remove)
{
    char **v = NULL;
    ck_assert_int_eq(strv_push(&v, "b"), 0);
    ck_assert_int_eq(strv_push(&v, "a"), 0);
    ck_assert_int_eq(strv_push(&v, "b"), 0);
    ck_assert_int_eq(strv_push(&v, "c"), 0);
    strv_sort_uniq(v);
    ck_assert_uint_eq(strv_length(v), 3);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[2], "c");
    strv_remove(v, "b");
    ck_assert_uint_eq(strv_length(v), 2);
    ck_assert(!strv_contains(v, "b"));
    strv_free(v);
}
END_TEST

/* Values that must reach a shell command unchanged. */
static const char *const awkward[] = {
    "plain",
    "with space",
    "it's",
    "\"double\"",
    "$HOME and ${PATH} and $(id)",
    "back\\slash \\n",
    "new\nline",
    "*.glob?[x]",
    "-leading-dash",
    "tab\there",
    "`backtick`",
    "ünïcödé",
    "'",
    "''",
    "",
};

/* Each value, quoted both ways, must come back from /bin/sh unchanged. */
START_TEST(quoted_values_survive_the_shell)
{
    for (size_t i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++) {
        for (int way = 0; way < 2; way++) {
            strbuf script = STRBUF_INIT;
            char *out;
            if (way == 0) {
                strbuf_puts(&script, "printf '%s' ");
                if (*awkward[i])
                    sh_quote(&script, awkward[i]);
                else
                    strbuf_puts(&script, "''");
            } else {
                sh_assign(&script, "value", awkward[i]);
                strbuf_puts(&script, "printf '%s' \"$value\"\n");
            }
            out = sh_output(strbuf_str(&script));
            ck_assert_msg(strcmp(out, awkward[i]) == 0, "value %zu (%s): \"%s\" came back as \"%s\"",
                          i, way ? "sh_assign" : "sh_quote", awkward[i], out);
            free(out);
            strbuf_free(&script);
        }
    }
}
END_TEST

START_TEST(sh_quote_glob_keeps_only_globs_active)
{
    char *dir = tmpdir_new();
    strbuf script = STRBUF_INIT;
    char *out;

    write_text(dir, "a b-1.log", "");
    write_text(dir, "a b-2.log", "");
    write_text(dir, "$x.log", "");
    write_text(dir, "other", "");
    strbuf_printf(&script, "cd '%s'\nfor f in ", dir);
    sh_quote_glob(&script, "a b-*.log");
    strbuf_puts(&script, " ");
    sh_quote_glob(&script, "$x.log");
    strbuf_puts(&script, "; do printf '[%s]' \"$f\"; done\n");
    out = sh_output(strbuf_str(&script));
    ck_assert_str_eq(out, "[a b-1.log][a b-2.log][$x.log]");
    free(out);
    strbuf_free(&script);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(template_substitutes_and_reports)
{
    char *names[] = { "network", "port", NULL };
    char *values[] = { "holesky", "8545", NULL };
    const char *text = "n={{ network }} p={{port}} {{ not closed\n{ single } {{}} {{ 9x }}\n";
    strbuf out = STRBUF_INIT;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(template_render(text, strlen(text), names, values, 2, &out, &err), 0);
    ck_assert_str_eq(strbuf_str(&out), "n=holesky p=8545 {{ not closed\n{ single } {{}} {{ 9x }}\n");
    strbuf_free(&out);

    text = "line one\nline {{ two }}\n";
    ck_assert_int_eq(template_render(text, strlen(text), names, values, 2, &out, &err), -EINVAL);
    ck_assert_str_eq(err.message, "line 2: undefined variable \"two\"");
    strbuf_free(&out);
}
END_TEST

START_TEST(conf_render_escapes_and_refuses)
{
    struct conf c = CONF_INIT;
    char *pkgs[] = { "a", "b", NULL };
    strbuf out = STRBUF_INIT;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(conf_scalar(&c, "Build", "WithNetwork", "yes"), 0);
    ck_assert_int_eq(conf_list(&c, "Content", "Packages", CONF_SET, pkgs), 0);
    ck_assert_int_eq(conf_scalar(&c, "Output", "ImageVersion", "100%"), 0);
    ck_assert_int_eq(conf_render(&c, "# h\n", &out, &err), 0);
    ck_assert_str_eq(strbuf_str(&out), "# h\n\n[Output]\nImageVersion=100%%\n\n[Content]\n"
                                       "Packages=a\n         b\n\n[Build]\nWithNetwork=yes\n");
    strbuf_free(&out);
    ck_assert_int_eq(conf_scalar(&c, "Content", "KernelCommandLine", "a#b"), 0);
    ck_assert_int_eq(conf_render(&c, "", &out, &err), -EINVAL);
    ck_assert_contains(err.message, "KernelCommandLine");
    strbuf_free(&out);
    conf_free(&c);
}
END_TEST

START_TEST(conf_diff_follows_mkosi_rules)
{
    struct conf base = CONF_INIT, prof = CONF_INIT, layer = CONF_INIT;
    char *b_pkgs[] = { "a", "c", NULL }, *p_pkgs[] = { "a", "b", "c", NULL };
    char *b_cmd[] = { "console=ttyS0", NULL }, *p_cmd[] = { "quiet", NULL };
    char *b_list[] = { "x", NULL }, *p_list[] = { "x", "y", NULL };
    const struct conf_setting *s;

    conf_scalar(&base, "Output", "ImageId", "img");
    conf_scalar(&prof, "Output", "ImageId", "img-dev");
    conf_list(&base, "Content", "Packages", CONF_SET, b_pkgs);
    conf_list(&prof, "Content", "Packages", CONF_SET, p_pkgs);
    conf_list(&base, "Content", "KernelCommandLine", CONF_LIST, b_cmd);
    conf_list(&prof, "Content", "KernelCommandLine", CONF_LIST, p_cmd);
    conf_list(&base, "Build", "Environment", CONF_LIST, b_list);
    conf_list(&prof, "Build", "Environment", CONF_LIST, p_list);
    conf_scalar(&base, "Build", "WithNetwork", "yes");
    ck_assert_int_eq(conf_diff(&base, &prof, &layer), 0);

    s = conf_find(&layer, "Output", "ImageId");
    ck_assert(s && !s->reset && !strcmp(s->values[0], "img-dev"));
    s = conf_find(&layer, "Content", "Packages");
    ck_assert(s && !s->reset && strv_length(s->values) == 1 && !strcmp(s->values[0], "b"));
    s = conf_find(&layer, "Content", "KernelCommandLine");
    ck_assert(s && s->reset && !strcmp(s->values[0], "quiet"));
    s = conf_find(&layer, "Build", "Environment");
    ck_assert(s && !s->reset && strv_length(s->values) == 1 && !strcmp(s->values[0], "y"));
    s = conf_find(&layer, "Build", "WithNetwork");
    ck_assert(s && s->reset && strv_length(s->values) == 0);
    conf_free(&base);
    conf_free(&prof);
    conf_free(&layer);
}
END_TEST

START_TEST(error_messages_are_one_bounded_line)
{
    tdx_error err = TDX_ERROR_INIT;
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(tdx_err(&err, -EINVAL, "a\nb %s", big), -EINVAL);
    ck_assert_int_eq(err.code, -EINVAL);
    ck_assert_uint_eq(strlen(err.message), TDX_ERROR_MESSAGE_SIZE - 1);
    ck_assert(strncmp(err.message, "a b ", 4) == 0);
    ck_assert_str_eq(err.message + TDX_ERROR_MESSAGE_SIZE - 4, "...");
    ck_assert_int_eq(tdx_err(NULL, -ENOENT, "ignored"), -ENOENT);
    tdx_error_clear(&err);
    ck_assert_int_eq(err.code, 0);
    ck_assert_str_eq(err.message, "");
    /* Escape sequences and tabs from an embedded value do not survive. */
    tdx_err(&err, -EINVAL, "name \"%s\"", "\x1b[2J\tbad\r\x7f");
    ck_assert_str_eq(err.message, "name \" [2J bad  \"");
}
END_TEST

/* msgf() (shared and agent code) finishes messages as tdx_err() does. */
START_TEST(msgf_messages_are_one_bounded_line)
{
    char msg[16], big[100];

    ck_assert_int_eq(msgf(msg, sizeof(msg), -EIO, "a\nb\x1b[0m%s", "\t"), -EIO);
    ck_assert_str_eq(msg, "a b [0m ");
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(msgf(msg, sizeof(msg), -E2BIG, "%s", big), -E2BIG);
    ck_assert_uint_eq(strlen(msg), sizeof(msg) - 1);
    ck_assert_str_eq(msg + sizeof(msg) - 4, "...");
    ck_assert_int_eq(msgf(NULL, 0, -ENOENT, "nowhere"), -ENOENT);
}
END_TEST

struct check_case {
    const char *(*fn)(const char *);
    const char *value;
    bool ok;
};

static const struct check_case checks[] = {
    { check_abs_path, "/etc/motd", true },
    { check_abs_path, "etc/motd", false },
    { check_abs_path, "/etc/../shadow", false },
    { check_abs_path, "/etc/./motd", false },
    { check_abs_path, "/etc//motd", false },
    { check_abs_path, "/etc/motd/", false },
    { check_abs_path, "/", false },
    { check_abs_path, "/etc/mo\ntd", false },
    { check_abs_path, "/etc/with space", true },
    { check_glob_path, "/etc/ssh/ssh_host_*_key*", true },
    { check_glob_path, "/etc/*/../x", false },
    { check_glob_path, "/usr/share/a b", false },
    { check_user_name, "node", true },
    { check_user_name, "_apt", true },
    { check_user_name, "Node", false },
    { check_user_name, "a-very-long-user-name-over-31-chars", false },
    { check_user_name, "bad name", false },
    { check_service_name, "web", true },
    { check_service_name, "getty@tty1", true },
    { check_service_name, "web.service", false },
    { check_service_name, "web service", false },
    { check_unit_name, "network-online.target", true },
    { check_unit_name, "foo", false },
    { check_unit_name, "foo.conf", false },
    { check_secret_name, "JWT_SECRET", true },
    { check_secret_name, "db.password", true },
    { check_secret_name, "1abc", false },
    { check_secret_name, "a/b", false },
    { check_package, "ca-certificates", true },
    { check_package, "linux-image-amd64/bookworm-backports", true },
    { check_package, "libc6=2.36-9", true },
    { check_package, "Bad", false },
    { check_package, "a", false },
    { check_package, "x;rm", false },
    { check_url, "https://deb.debian.org/debian", true },
    { check_url, "ftp://x", false },
    { check_url, "https://x/#frag", false },
    { check_url, "https://x y", false },
    { check_sha256, "dea9ca38a0b852a74e81c26134671af7c0fbe65d81b0dc1c5bfe22cf7d4c8858", true },
    { check_sha256, "dea9ca38", false },
    { check_listen, "vsock:1050", true },
    { check_listen, "vsock:3:1050", true },
    { check_listen, "vsock:0", false },
    { check_listen, "tcp:0.0.0.0:8000", true },
    { check_listen, "tcp:[::1]:8000", true },
    { check_listen, "tcp:localhost:8000", false },
    { check_listen, "tcp:1.2.3.4:70000", false },
    { check_listen, "unix:/run/tdx-agent.sock", true },
    { check_listen, "unix:relative", false },
    { check_firewall_rule, "ACCEPT tcp 8545", true },
    { check_firewall_rule, "ACCEPT udp 1000-2000", true },
    { check_firewall_rule, "DROP all", true },
    { check_firewall_rule, "REJECT", true },
    { check_firewall_rule, "ALLOW tcp 1", false },
    { check_firewall_rule, "ACCEPT icmp 8", false },
    { check_firewall_rule, "ACCEPT tcp 0", false },
    { check_firewall_rule, "ACCEPT tcp 9-3", false },
    { check_size, "512M", true },
    { check_size, "2G", true },
    { check_size, "4096", true },
    { check_size, "0", false },
    { check_size, "2GB", false },
    { check_uuid, "0b3a5f8e-8d6c-4b8e-9f2a-1c2d3e4f5a6b", true },
    { check_uuid, "0b3a5f8e8d6c4b8e9f2a1c2d3e4f5a6b", false },
    { check_mkosi_value, "console=ttyS0 quiet", true },
    { check_mkosi_value, "a # b", false },
    { check_line_value, "ends in \\", false },
    { check_env_assignment, "GOFLAGS=-mod=vendor", true },
    { check_env_assignment, "1X=y", false },
    { check_env_assignment, "NOEQUALS", false },
};

START_TEST(validators_accept_and_reject)
{
    const struct check_case *c = &checks[_i];
    const char *why = c->fn(c->value);
    ck_assert_msg((why == NULL) == c->ok, "case %d \"%s\": expected %s, got %s", _i, c->value,
                  c->ok ? "ok" : "an error", why ? why : "ok");
}
END_TEST

static const struct {
    const char *pattern;
    bool ok;
} patterns[] = {
    { "^tok_[A-Za-z0-9]+$", true },
    { "^[0-9a-f]{64}$", true },
    { "^(ab|cd){1,8}x?$", true },
    { "^[]a]+$", true },
    { "^[[:alnum:]_-]+$", true },
    { "a\\++", true },
    { "^[0-9a-f]++$", false },
    { "a*{2}", false },
    { "a{256}", false },
    { "((a{100}){100})", false },
    { "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))", false },
    { "x{1,40}y{1,40}z{1,40}", true },
    { "(x{1,40}y{1,40}){1,40}", false },
};

START_TEST(regex_patterns_are_bounded)
{
    const char *why = regex_pattern_check(patterns[_i].pattern);
    ck_assert_msg((why == NULL) == patterns[_i].ok, "pattern %d \"%s\": %s", _i,
                  patterns[_i].pattern, why ? why : "accepted");
}
END_TEST

START_TEST(regex_length_is_bounded)
{
    char p[300];
    memset(p, 'a', sizeof(p) - 1);
    p[sizeof(p) - 1] = '\0';
    ck_assert_ptr_nonnull(regex_pattern_check(p));
    p[REGEX_PATTERN_MAX] = '\0';
    ck_assert_ptr_null(regex_pattern_check(p));
}
END_TEST

/* RFC 4648 section 10 test vectors. */
static const char *const b64_vectors[][2] = {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

START_TEST(base64_round_trips_rfc4648_vectors)
{
    const char *plain = b64_vectors[_i][0], *enc = b64_vectors[_i][1];
    char out[16];
    uint8_t back[16];
    long n;

    ck_assert_uint_eq(base64_encoded_len(strlen(plain)), strlen(enc));
    base64_encode((const uint8_t *)plain, strlen(plain), out);
    ck_assert_str_eq(out, enc);
    n = base64_decode(enc, strlen(enc), back, sizeof(back));
    ck_assert_int_eq(n, (long)strlen(plain));
    ck_assert(memcmp(back, plain, (size_t)n) == 0);
}
END_TEST

START_TEST(base64_rejects_non_canonical_input)
{
    static const char *const bad[] = { "Zg", "Zg=", "Zm9v\n", "Z===", "Zh==", "Zm9=", "Zm 9", "=Zm9",
                                       "Zg==Zg==", "Zm-v" };
    uint8_t out[16];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(base64_decode(bad[i], strlen(bad[i]), out, sizeof(out)) == -EINVAL,
                      "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, out, 5), -E2BIG);
}
END_TEST

START_TEST(hex_round_trips_and_rejects)
{
    uint8_t bytes[] = { 0x00, 0x01, 0xab, 0xff }, back[4];
    char out[9];
    hex_encode(bytes, 4, out);
    ck_assert_str_eq(out, "0001abff");
    ck_assert_int_eq(hex_decode("0001ABff", back, 4), 4);
    ck_assert(memcmp(back, bytes, 4) == 0);
    ck_assert_int_eq(hex_decode("abc", back, 4), -EINVAL);
    ck_assert_int_eq(hex_decode("zz", back, 4), -EINVAL);
    ck_assert_int_eq(hex_decode("0011223344", back, 4), -E2BIG);
    ck_assert_int_eq(hex_decode("", back, 4), 0);
}
END_TEST

/* Reference values from `date -u -d ... +%s`. */
START_TEST(rfc3339_parses_and_formats)
{
    static const struct {
        const char *text;
        long long t;
    } ok[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2023-06-18T08:42:58Z", 1687077778 },
        { "2024-02-29T23:59:59Z", 1709251199 },
        { "2049-12-31T23:59:59Z", 2524607999 },
        { "2025-07-19T10:16:03.123456Z", 1752920163 },
        { "2025-07-19t12:16:03+02:00", 1752920163 },
        { "2025-07-19T05:46:03-04:30", 1752920163 },
        { "2016-12-31T23:59:60Z", 1483228799 },
    };
    static const char *const bad[] = {
        "", "2023-06-18", "2023-06-18T08:42:58", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
        "2023-06-18 08:42:58Z", "1969-12-31T23:59:59Z", "2023-06-18T24:00:00Z", "2023-06-18T08:42:58Zjunk",
        "2023-06-18T08:42:58+0200", "2023-06-18T08:42:58.Z", "20x3-06-18T08:42:58Z",
    };
    char out[RFC3339_SIZE];
    int64_t t;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(rfc3339_parse(ok[i].text, &t) == 0, "%s", ok[i].text);
        ck_assert_msg(t == ok[i].t, "%s: %lld, expected %lld", ok[i].text, (long long)t, ok[i].t);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(rfc3339_parse(bad[i], &t) == -EINVAL, "accepted \"%s\"", bad[i]);
    rfc3339_format(1687077778, out);
    ck_assert_str_eq(out, "2023-06-18T08:42:58Z");
    rfc3339_format(1709251199, out);
    ck_assert_str_eq(out, "2024-02-29T23:59:59Z");
    rfc3339_format(0, out);
    ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
    rfc3339_format(-1, out);
    ck_assert_str_eq(out, "1969-12-31T23:59:59Z");
    rfc3339_format(1000000000000LL, out);
    ck_assert_str_eq(out, "(invalid time)");
}
END_TEST

/* One parser for every number: decimal only, bounds checked, no wrap. */
static const struct number_case {
    const char *text;
    int size;           /* parse_size() instead of parse_u64() */
    uint64_t min, max;
    int ret;
    uint64_t value;
} numbers[] = {
    { "0", 0, 0, 10, 0, 0 },
    { "10", 0, 0, 10, 0, 10 },
    { "11", 0, 0, 10, -ERANGE, 0 },
    { "4294967297", 0, 1, 4294967295u, -ERANGE, 0 },
    { "18446744073709551615", 0, 0, UINT64_MAX, 0, UINT64_MAX },
    { "18446744073709551616", 0, 0, UINT64_MAX, -ERANGE, 0 },
    { "", 0, 0, 10, -EINVAL, 0 },
    { "-1", 0, 0, 10, -EINVAL, 0 },
    { "+1", 0, 0, 10, -EINVAL, 0 },
    { " 1", 0, 0, 10, -EINVAL, 0 },
    { "1 ", 0, 0, 10, -EINVAL, 0 },
    { "0x10", 0, 0, 100, -EINVAL, 0 },
    { "5k", 0, 0, 10000, -EINVAL, 0 },
    { "2G", 1, 1, UINT64_MAX, 0, 2147483648ull },
    { "2g", 1, 1, UINT64_MAX, 0, 2147483648ull },
    { "512M", 1, 1, UINT64_MAX, 0, 536870912ull },
    { "4096", 1, 1, UINT64_MAX, 0, 4096 },
    { "1T", 1, 0, UINT64_MAX, 0, 1ull << 40 },
    { "0", 1, 1, UINT64_MAX, -ERANGE, 0 },
    { "G", 1, 0, UINT64_MAX, -EINVAL, 0 },
    { "2GiB", 1, 0, UINT64_MAX, -EINVAL, 0 },
    { "16777216T", 1, 0, UINT64_MAX, -ERANGE, 0 },
    { "16777215T", 1, 0, UINT64_MAX, 0, 16777215ull << 40 },
};

START_TEST(numbers_are_decimal_and_bounded)
{
    const struct number_case *c = &numbers[_i];
    uint64_t v = 12345;
    int r = c->size ? parse_size(c->text, c->min, c->max, &v) : parse_u64(c->text, c->min, c->max, &v);
    ck_assert_msg(r == c->ret, "\"%s\": got %d, expected %d", c->text, r, c->ret);
    ck_assert_msg(v == (r == 0 ? c->value : 12345), "\"%s\": value %llu", c->text, (unsigned long long)v);
}
END_TEST


START_TEST(fsutil_mkdir_p_and_rm_rf)
{
    char *dir = tmpdir_new(), path[PATH_MAX + 64], *text;
    ptrvec made = PTRVEC_INIT;
    char **names = NULL;
    size_t n = 0;
    struct stat st;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);

    ck_assert_int_ge(dfd, 0);
    /* Creates every missing level, reports the ones it made, parents first. */
    ck_assert_int_eq(mkdir_p_at(dfd, "a/b//c/", 0700, &made), 0);
    ck_assert_uint_eq(made.n, 3);
    ck_assert_str_eq(made.items[0], "a");
    ck_assert_str_eq(made.items[2], "a/b//c");
    ptrvec_free_all(&made, free);
    ck_assert_int_eq(mkdir_p_at(dfd, "a/b/c", 0700, &made), 0);
    ck_assert_uint_eq(made.n, 0);
    ck_assert_int_eq(mkdir_parents_at(dfd, "a/x/y/file", 0755, &made), 0);
    ck_assert_uint_eq(made.n, 2);
    ptrvec_free_all(&made, free);
    ck_assert_int_eq(fstatat(dfd, "a/x/y", &st, 0), 0);
    ck_assert_int_ne(fstatat(dfd, "a/x/y/file", &st, 0), 0);
    ck_assert_int_eq(mkdir_parents_at(dfd, "plain", 0755, NULL), 0);
    /* A file in the way, an empty path, and a path longer than PATH_MAX
     * (refused, never cut to a shorter directory). */
    write_text(dir, "a/file", "x");
    ck_assert_int_eq(mkdir_p_at(dfd, "a/file/sub", 0755, NULL), -ENOTDIR);
    ck_assert_int_eq(mkdir_p(dir, 0755), 0);
    ck_assert_int_eq(mkdir_p("", 0755), -EINVAL);
    memset(path, 'd', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    for (size_t i = 100; i < sizeof(path) - 1; i += 100)
        path[i] = '/';
    ck_assert_int_eq(mkdir_p_at(dfd, path, 0755, NULL), -ENAMETOOLONG);
    ck_assert_int_eq(mkdir_parents_at(dfd, path, 0755, NULL), -ENAMETOOLONG);
    ck_assert_int_ne(fstatat(dfd, "dddd", &st, 0), 0);
    ck_assert_int_ne(fstatat(dfd, "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                                  "ddddddddddddddddddddddddddddddddd", &st, 0), 0);

    /* Sorted listing, with skips and a bound. */
    write_text(dir, "list/b", "");
    write_text(dir, "list/a", "");
    write_text(dir, "list/.git", "");
    write_text(dir, "list/C", "");
    snprintf(path, sizeof(path), "%s/list", dir);
    {
        static const char *const skip[] = { ".git", NULL };
        ck_assert_int_eq(dir_list_sorted(path, skip, 10, &names, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_str_eq(names[0], "C");
        ck_assert_str_eq(names[1], "a");
        ck_assert_str_eq(names[2], "b");
        dir_names_free(names, n);
        ck_assert_int_eq(dir_list_sorted(path, NULL, 3, &names, &n), -EFBIG);
    }
    ck_assert_int_eq(dir_is_empty(path), 0);

    /* rm_rf_at removes a symlink, not what it points to. */
    write_text(dir, "keep/precious", "p");
    snprintf(path, sizeof(path), "%s/keep", dir);
    ck_assert_int_eq(symlinkat(path, dfd, "list/link"), 0);
    ck_assert_int_eq(rm_rf_at(dfd, "list"), 0);
    ck_assert_int_ne(fstatat(dfd, "list", &st, AT_SYMLINK_NOFOLLOW), 0);
    snprintf(path, sizeof(path), "%s/keep/precious", dir);
    text = read_text(path, NULL);
    ck_assert_str_eq(text, "p");
    free(text);
    ck_assert_int_eq(rm_rf_at(dfd, "missing"), 0);
    close(dfd);
    tmpdir_remove(dir);
}
END_TEST


/* Staging directories: registered while they exist, removed by
 * tdx_staging_cleanup(); stale ones only when their PID is dead. */
START_TEST(staging_directories_are_cleaned_up)
{
    char *dir = tmpdir_new(), path[4200];
    struct staging a = STAGING_INIT, b = STAGING_INIT;
    tdx_error err = TDX_ERROR_INIT;
    struct stat st;
    pid_t dead = fork();
    int dfd;

    if (dead == 0)
        _exit(0);
    ck_assert_int_gt(dead, 0);
    ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
    snprintf(path, sizeof(path), ".out.tmp-%ld-x/sub/deeper/file", (long)dead);
    write_text(dir, path, "stale");
    snprintf(path, sizeof(path), ".out.tmp-%ld-y/file", (long)getppid());
    write_text(dir, path, "live");
    write_text(dir, ".other.tmp-1-z/file", "another name");

    ck_assert_msg(staging_create(&a, dir, "out", &err) == 0, "%s", err.message);
    ck_assert(strncmp(a.name, ".out.tmp-", 9) == 0);
    ck_assert_int_ge(a.slot, 0);
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof(path), ".out.tmp-%ld-x", (long)dead);
    ck_assert_int_ne(fstatat(dfd, path, &st, 0), 0);         /* dead PID: removed */
    snprintf(path, sizeof(path), ".out.tmp-%ld-y", (long)getppid());
    ck_assert_int_eq(fstatat(dfd, path, &st, 0), 0);         /* live PID: kept */
    ck_assert_int_eq(fstatat(dfd, ".other.tmp-1-z", &st, 0), 0);
    ck_assert_int_eq(staging_remove_stale(dfd, "out"), 0);

    /* The signal-time cleanup removes every live staging tree, deep ones
     * included, and leaves directories that were renamed into place. */
    snprintf(path, sizeof(path), "%s/%s", a.name, "d1/d2/d3/file");
    write_text(dir, path, "half written");
    ck_assert_msg(staging_create(&b, dir, "two", &err) == 0, "%s", err.message);
    ck_assert_int_eq(renameat(b.parent_fd, b.name, b.parent_fd, "two"), 0);
    staging_done(&b);
    tdx_staging_cleanup();
    ck_assert_int_ne(fstatat(dfd, a.name, &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert_int_eq(fstatat(dfd, "two", &st, 0), 0);
    staging_remove(&a);

    /* A staging tree holding someone else's files is protected: not by the
     * signal-time cleanup, not by a later run after this process died. */
    {
        struct staging c = STAGING_INIT;
        sigset_t saved;
        int tfd;
        ck_assert_msg(staging_create(&c, dir, "kept", &err) == 0, "%s", err.message);
        tfd = openat(dfd, c.name, O_RDONLY | O_DIRECTORY);
        ck_assert_int_eq(staging_protect(&c, tfd, &saved), 0);
        tdx_staging_cleanup();
        ck_assert_int_eq(fstatat(dfd, c.name, &st, 0), 0);
        staging_unprotect(&c, tfd);
        ck_assert_int_ne(fstatat(tfd, STAGING_KEEP_MARKER, &st, 0), 0);
        staging_remove(&c);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        close(tfd);
    }
    snprintf(path, sizeof(path), ".out.tmp-%ld-m/" STAGING_KEEP_MARKER, (long)dead);
    write_text(dir, path, "");
    ck_assert_int_eq(staging_remove_stale(dfd, "out"), 0);
    snprintf(path, sizeof(path), ".out.tmp-%ld-m", (long)dead);
    ck_assert_int_eq(fstatat(dfd, path, &st, 0), 0);
    close(dfd);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, strbuf_grows_and_steals);
    tcase_add_test(tc, secret_strbuf_grows_like_any_other);
    tcase_add_test(tc, strv_sort_uniq_remove);
    tcase_add_test(tc, quoted_values_survive_the_shell);
    tcase_add_test(tc, sh_quote_glob_keeps_only_globs_active);
    tcase_add_test(tc, template_substitutes_and_reports);
    tcase_add_test(tc, conf_render_escapes_and_refuses);
    tcase_add_test(tc, conf_diff_follows_mkosi_rules);
    tcase_add_test(tc, error_messages_are_one_bounded_line);
    tcase_add_test(tc, msgf_messages_are_one_bounded_line);
    tcase_add_loop_test(tc, base64_round_trips_rfc4648_vectors, 0,
                        (int)(sizeof(b64_vectors) / sizeof(b64_vectors[0])));
    tcase_add_test(tc, base64_rejects_non_canonical_input);
    tcase_add_test(tc, hex_round_trips_and_rejects);
    tcase_add_test(tc, fsutil_mkdir_p_and_rm_rf);
    tcase_add_test(tc, staging_directories_are_cleaned_up);
    tcase_add_loop_test(tc, regex_patterns_are_bounded, 0, (int)(sizeof(patterns) / sizeof(patterns[0])));
    tcase_add_test(tc, regex_length_is_bounded);
    tcase_add_test(tc, rfc3339_parses_and_formats);
    tcase_add_loop_test(tc, numbers_are_decimal_and_bounded, 0, (int)(sizeof(numbers) / sizeof(numbers[0])));
    tcase_add_loop_test(tc, validators_accept_and_reject, 0, (int)(sizeof(checks) / sizeof(checks[0])));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
