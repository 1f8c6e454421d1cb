/* SPDX-License-Identifier: MIT */
#include "checks.h"

#include <ctype.h>
#include <string.h>

#include "agent-addr.h"
#include "macro.h"

#define PATH_MAX_BYTES 4095   /* PATH_MAX less the NUL */
#define NAME_MAX_BYTES 255    /* NAME_MAX: one component */

bool chars_all_in(const char *s, const char *extra, bool alnum)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (alnum && isascii(c) && isalnum(c))
            continue;
        if (!strchr(extra, c))
            return false;
    }
    return true;
}

bool has_control_chars(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool parse_decimal(const char *s, size_t n, unsigned long long max, unsigned long long *ret)
{
    unsigned long long v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned long long)(s[i] - '0');
        if (v > max)
            return false;
    }
    if (n > 1 && s[0] == '0')
        return false;
    *ret = v;
    return true;
}

static const char *check_path_common(const char *s, bool globs)
{
    const char *msg = globs ? "expected an absolute path (globs allowed) without \".\" or \"..\" "
                              "components, empty components or a trailing slash"
                            : "expected an absolute path without \".\" or \"..\" components, "
                              "empty components or a trailing slash";
    size_t len = strlen(s);

    if (len == 0 || s[0] != '/' || streq(s, "/"))
        return msg;
    if (len > PATH_MAX_BYTES)
        return "expected a path of at most 4095 bytes";
    if (has_control_chars(s))
        return "expected a path without control characters";
    if (s[len - 1] == '/')
        return msg;
    for (const char *p = s; *p;) {
        const char *c = p + 1, *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return msg;
        /* Checked here, where the value enters, not first by the file
         * system when the tree is written or the image built. */
        if (n > NAME_MAX_BYTES)
            return "expected path components of at most 255 bytes";
        p = c + n;
    }
    if (globs && !chars_all_in(s, "/._-+@:,=*?[]~", true))
        return "expected a path pattern of letters, digits and /._-+@:,=~ plus the globs * ? [ ]";
    return NULL;
}

const char *check_abs_path(const char *s)
{
    return check_path_common(s, false);
}

const char *check_glob_path(const char *s)
{
    return check_path_common(s, true);
}

const char *check_user_name(const char *s)
{
    const char *msg = "expected a user name matching [a-z_][a-z0-9_-]* (at most 31 characters)";
    size_t len = strlen(s);
    if (len == 0 || len > 31 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return msg;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '-'))
            return msg;
    return NULL;
}

const char *check_secret_name(const char *s)
{
    const char *msg = "expected a secret name matching [A-Za-z_][A-Za-z0-9_.-]* (at most 64 "
                      "characters)";
    if (isempty(s) || strlen(s) > 64 || isdigit((unsigned char)s[0]) || s[0] == '.' || s[0] == '-')
        return msg;
    return chars_all_in(s, "_.-", true) ? NULL : msg;
}

const char *check_mode(long long mode)
{
    return mode < 0 || mode > 07777 ? "expected permission bits between 0000 and 7777 (octal)"
                                    : NULL;
}

const char *check_listen(const char *s)
{
    struct agent_addr a;
    return agent_addr_parse(s, AGENT_ADDR_LISTEN, &a);
}
