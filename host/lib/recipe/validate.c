/* SPDX-License-Identifier: MIT */
#include "validate.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

static const char *check_ident(const char *s, size_t max, const char *first, const char *rest,
                               const char *msg)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return msg;
    if (!(isascii((unsigned char)s[0]) && isalnum((unsigned char)s[0])) && !strchr(first, s[0]))
        return msg;
    if (!chars_all_in(s + 1, rest, true))
        return msg;
    return NULL;
}

const char *check_profile_name(const char *s)
{
    return check_ident(s, 64, "", "._-",
                       "expected a name of letters, digits, '.', '_' and '-' (at most 64, "
                       "starting with a letter or digit)");
}

const char *check_image_name(const char *s)
{
    return check_ident(s, 64, "", "._-",
                       "expected a name of letters, digits, '.', '_' and '-' (at most 64, "
                       "starting with a letter or digit)");
}

const char *check_service_name(const char *s)
{
    const char *msg = "expected a unit name of letters, digits and :_.@- without the "
                      "\".service\" suffix (at most 200 characters)";
    if (isempty(s) || strlen(s) > 200 || s[0] == '-' || s[0] == '.' || endswith(s, ".service"))
        return msg;
    return chars_all_in(s, ":_.@-", true) ? NULL : msg;
}

const char *check_unit_name(const char *s)
{
    static const char *const types[] = { ".service", ".socket", ".target", ".mount", ".path",
                                         ".timer", ".device", ".slice", ".scope", ".swap",
                                         ".automount", NULL };
    const char *msg = "expected a systemd unit name such as \"network-online.target\"";
    const char *dot = strrchr(s, '.');

    if (isempty(s) || strlen(s) > 255 || !dot || dot == s || s[0] == '-')
        return msg;
    if (string_index(dot, types) < 0)
        return msg;
    return chars_all_in(s, ":_.@-\\", true) ? NULL : msg;
}

static bool lower_digit(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || strchr(extra, *s)))
            return false;
    return true;
}

const char *check_build_name(const char *s)
{
    const char *msg = "expected a name matching [a-z0-9][a-z0-9._-]* (at most 64 characters)";
    if (isempty(s) || strlen(s) > 64 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return msg;
    return lower_digit(s, "._-") ? NULL : msg;
}

const char *check_repo_name(const char *s)
{
    const char *msg = "expected a name matching [a-z0-9][a-z0-9-]* (at most 64 characters)";
    if (isempty(s) || strlen(s) > 64 || s[0] == '-')
        return msg;
    return lower_digit(s, "-") ? NULL : msg;
}

const char *check_package(const char *s)
{
    const char *msg = "expected a Debian package name ([a-z0-9][a-z0-9+.-]+), optionally "
                      "followed by /SUITE or =VERSION";
    const char *sep = strpbrk(s, "/=");
    size_t n = sep ? (size_t)(sep - s) : strlen(s);

    if (n < 2 || n > 128 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return msg;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || strchr("+.-", s[i])))
            return msg;
    if (!sep)
        return NULL;
    if (sep[1] == '\0' || strlen(sep) > 128)
        return msg;
    if (*sep == '/')
        return lower_digit(sep + 1, "-") ? NULL : msg;
    return chars_all_in(sep + 1, ".+~:-", true) ? NULL : msg;
}

const char *check_release(const char *s)
{
    const char *msg = "expected a release name of lower-case letters, digits and '-'";
    if (isempty(s) || strlen(s) > 64)
        return msg;
    return lower_digit(s, "-.") ? NULL : msg;
}

const char *check_url(const char *s)
{
    const char *msg = "expected an http:// or https:// URL without spaces, quotes or '#'";
    const char *host;

    if (startswith(s, "https://"))
        host = s + 8;
    else if (startswith(s, "http://"))
        host = s + 7;
    else
        return msg;
    if (!*host || *host == '/' || strlen(s) > 2048)
        return msg;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("\"'\\#`<>{}|^", c))
            return msg;
    }
    return NULL;
}

const char *check_sha256(const char *s)
{
    if (strlen(s) != 64)
        return "expected 64 hexadecimal digits (a SHA-256)";
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return "expected 64 hexadecimal digits (a SHA-256)";
    return NULL;
}

const char *check_uuid(const char *s)
{
    const char *msg = "expected a UUID such as 0b3a5f8e-8d6c-4b8e-9f2a-1c2d3e4f5a6b";
    if (strlen(s) != 36)
        return msg;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return msg;
    }
    return NULL;
}

const char *check_firewall_rule(const char *s)
{
    static const char *const actions[] = { "ACCEPT", "DROP", "REJECT", NULL };
    static const char *const protos[] = { "tcp", "udp", "icmp", "all", NULL };
    const char *msg = "expected \"ACTION [PROTO [PORT[-PORT]]]\" with ACTION ACCEPT, DROP or "
                      "REJECT and PROTO tcp, udp, icmp or all";
    char buf[64], *words[4] = { 0 }, *save = NULL;
    int n = 0;
    unsigned long long lo, hi;

    if (strlen(s) >= sizeof(buf))
        return msg;
    strcpy(buf, s);
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (n == 3)
            return msg;
        words[n++] = w;
    }
    if (n == 0 || string_index(words[0], actions) < 0)
        return msg;
    if (n >= 2 && string_index(words[1], protos) < 0)
        return msg;
    if (n == 3) {
        char *dash = strchr(words[2], '-');
        if (!streq(words[1], "tcp") && !streq(words[1], "udp"))
            return "expected a port only with tcp or udp";
        if (dash) {
            if (!parse_decimal(words[2], (size_t)(dash - words[2]), 65535, &lo) ||
                !parse_decimal(dash + 1, strlen(dash + 1), 65535, &hi) || lo == 0 || hi <= lo)
                return "expected a port range LOW-HIGH with 1 <= LOW < HIGH <= 65535";
        } else if (!parse_decimal(words[2], strlen(words[2]), 65535, &lo) || lo == 0) {
            return "expected a port between 1 and 65535";
        }
    }
    return NULL;
}

const char *check_size(const char *s)
{
    const char *msg = "expected a size such as \"512M\", \"2G\" or a number of bytes";
    size_t n = strlen(s);
    unsigned long long v;
    if (n == 0)
        return msg;
    if (strchr("KMGT", s[n - 1]))
        n--;
    if (!parse_decimal(s, n, 1ULL << 50, &v) || v == 0)
        return msg;
    return NULL;
}

const char *check_template_var(const char *s)
{
    const char *msg = "expected a variable name matching [A-Za-z_][A-Za-z0-9_]*";
    if (isempty(s) || strlen(s) > 128 || isdigit((unsigned char)s[0]))
        return msg;
    return chars_all_in(s, "_", true) ? NULL : msg;
}

const char *check_image_version(const char *s)
{
    const char *msg = "expected a version of letters, digits and ._~+-";
    if (isempty(s) || strlen(s) > 64)
        return msg;
    return chars_all_in(s, "._~+-", true) ? NULL : msg;
}

const char *check_env_assignment(const char *s)
{
    const char *msg = "expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]*";
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || isdigit((unsigned char)s[0]))
        return msg;
    for (const char *p = s; p < eq; p++)
        if (!(isascii((unsigned char)*p) && (isalnum((unsigned char)*p) || *p == '_')))
            return msg;
    return NULL;
}

const char *check_toolchain_version(const char *s)
{
    const char *msg = "expected a release version such as \"1.22.5\"";
    if (isempty(s) || strlen(s) > 64 || !isdigit((unsigned char)s[0]))
        return msg;
    return chars_all_in(s, ".-+~", true) ? NULL : msg;
}

const char *check_line_value(const char *s)
{
    size_t n = strlen(s);
    if (has_control_chars(s))
        return "expected a single line without control characters";
    if (n > 0 && s[n - 1] == '\\')
        return "expected a value not ending in a backslash";
    if (n > 65536)
        return "expected at most 65536 bytes";
    return NULL;
}

const char *check_mkosi_value(const char *s)
{
    const char *r = check_line_value(s);
    if (r)
        return r;
    return strchr(s, '#') ? "expected a value without '#' (mkosi reads it as a comment)" : NULL;
}

const char *check_unit_key(const char *s)
{
    const char *msg = "expected a setting name matching [A-Za-z][A-Za-z0-9]*";
    if (isempty(s) || strlen(s) > 64 || !isalpha((unsigned char)s[0]))
        return msg;
    return chars_all_in(s, "", true) ? NULL : msg;
}

int string_index(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (streq(s, list[i]))
            return i;
    return -1;
}
