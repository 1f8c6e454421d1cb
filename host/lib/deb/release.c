/* SPDX-License-Identifier: MIT */
/* InRelease: checked with gpgv, then parsed from the text gpgv vouches for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb-internal.h"
#include "error.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
#include "strv.h"

#define RELEASE_FILES_MAX 100000

void release_free(struct release *r)
{
    free(r->suite);
    free(r->codename);
    free(r->date);
    free(r->valid_until);
    strv_free(r->architectures);
    strv_free(r->components);
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i].path);
    free(r->files);
    memset(r, 0, sizeof(*r));
}

static char **split_words(const char *s, size_t n)
{
    char **v = NULL;
    size_t i = 0;

    while (i < n) {
        size_t start, len;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        start = i;
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            i++;
        len = i - start;
        if (len) {
            char *w = strndup(s + start, len);
            if (!w || strv_push_take(&v, w) < 0)
                return strv_free(v);
        }
    }
    return v ? v : calloc(1, sizeof(char *));
}

/* One " <sha256> <size> <path>" line of the SHA256 field. */
static int parse_file_line(const char *line, size_t n, struct release_file *f)
{
    char hex[65], path[1024];
    unsigned long long size;
    char buf[1200];

    if (n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, line, n);
    buf[n] = '\0';
    if (sscanf(buf, " %64s %llu %1023s", hex, &size, path) != 3 || strlen(hex) != 64 ||
        strspn(hex, "0123456789abcdef") != 64)
        return -EINVAL;
    f->path = strdup(path);
    if (!f->path)
        return -ENOMEM;
    memcpy(f->sha256, hex, 65);
    f->size = size;
    return 0;
}

int release_parse(const char *text, size_t len, const char *label, struct release *out,
                  tdx_error *err)
{
    struct release r = { 0 };
    const char *stanza, *v;
    size_t slen, vlen, pos = 0;
    bool oom = false;

    if (!deb822_next(text, len, &pos, &stanza, &slen))
        return tdx_err(err, -EBADMSG, "%s: empty release file", label);
    r.suite = deb822_dup(stanza, slen, "Suite", &oom);
    r.codename = deb822_dup(stanza, slen, "Codename", &oom);
    r.date = deb822_dup(stanza, slen, "Date", &oom);
    r.valid_until = deb822_dup(stanza, slen, "Valid-Until", &oom);
    if (deb822_get(stanza, slen, "Acquire-By-Hash", &v, &vlen))
        r.by_hash = vlen == 3 && strncasecmp(v, "yes", 3) == 0;
    if (deb822_get(stanza, slen, "Architectures", &v, &vlen) &&
        !(r.architectures = split_words(v, vlen)))
        oom = true;
    if (deb822_get(stanza, slen, "Components", &v, &vlen) && !(r.components = split_words(v, vlen)))
        oom = true;
    if (oom) {
        release_free(&r);
        return tdx_err_oom(err);
    }
    if (!r.suite && !r.codename) {
        release_free(&r);
        return tdx_err(err, -EBADMSG, "%s: neither Suite nor Codename", label);
    }
    if (!deb822_get(stanza, slen, "SHA256", &v, &vlen)) {
        release_free(&r);
        return tdx_err(err, -EBADMSG, "%s: no SHA256 field", label);
    }
    for (const char *p = v, *end = v + vlen; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        struct release_file *grown;
        int q;

        if (strspn(p, " \t\r") >= n) {
            p += n + 1;
            continue;
        }
        if (r.n_files >= RELEASE_FILES_MAX) {
            release_free(&r);
            return tdx_err(err, -EFBIG, "%s: more than %d files in SHA256", label,
                           RELEASE_FILES_MAX);
        }
        grown = realloc(r.files, (r.n_files + 1) * sizeof(*grown));
        if (!grown) {
            release_free(&r);
            return tdx_err_oom(err);
        }
        r.files = grown;
        q = parse_file_line(p, n, &r.files[r.n_files]);
        if (q < 0) {
            release_free(&r);
            if (q == -ENOMEM)
                return tdx_err_oom(err);
            return tdx_err(err, -EBADMSG, "%s: SHA256 line %zu: expected \"<sha256> <size> <path>\"",
                           label, r.n_files + 1);
        }
        r.n_files++;
        p += n + 1;
    }
    *out = r;
    return 0;
}

const struct release_file *release_find(const struct release *r, const char *path)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (streq(r->files[i].path, path))
            return &r->files[i];
    return NULL;
}

int release_parse_date(const char *s, time_t *out)
{
    struct tm tm = { 0 };
    const char *p = s, *end;

    /* The weekday is optional and carries nothing. */
    if (strchr(p, ','))
        p = strchr(p, ',') + 1;
    end = strptime(p, " %d %b %Y %H:%M:%S", &tm);
    if (!end)
        return -EINVAL;
    while (*end == ' ')
        end++;
    if (*end && strcmp(end, "UTC") && strcmp(end, "GMT") && strcmp(end, "+0000") &&
        strcmp(end, "Z"))
        return -EINVAL;
    *out = timegm(&tm);
    return 0;
}

/* A signature counts when gpgv found it good (not made by an expired or
 * revoked key) and valid; any bad signature fails the file. */
static int check_status(const char *status, const char *label, const char *gpgv_message,
                        tdx_error *err)
{
    int good = 0;
    bool this_good = false;

    for (const char *p = status; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[256];

        snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), p);
        if (startswith(line, "[GNUPG:] NEWSIG"))
            this_good = false;
        else if (startswith(line, "[GNUPG:] GOODSIG "))
            this_good = true;
        else if (startswith(line, "[GNUPG:] EXPKEYSIG ") || startswith(line, "[GNUPG:] REVKEYSIG ") ||
                 startswith(line, "[GNUPG:] EXPSIG "))
            this_good = false;
        else if (startswith(line, "[GNUPG:] BADSIG "))
            return tdx_err(err, -EKEYREJECTED, "%s: BAD signature (%s)", label, line + 16);
        else if (startswith(line, "[GNUPG:] VALIDSIG ") && this_good)
            good++;
        p = nl ? nl + 1 : NULL;
    }
    if (good == 0)
        return tdx_err(err, -EKEYREJECTED, "%s: no valid signature by a key of the keyring: %s",
                       label, gpgv_message);
    return 0;
}

int release_verify(const char *inrelease, const char *keyring, const char *workdir,
                   const char *label, char **text, size_t *len, tdx_error *err)
{
    _cleanup_free_ char *signed_path = NULL;
    struct run_result res = RUN_RESULT_INIT;
    int r;

    if (asprintf(&signed_path, "%s/signed", workdir) < 0) {
        signed_path = NULL;
        return tdx_err_oom(err);
    }
    r = run_program((const char *const[]){ "gpgv", "--homedir", workdir, "--status-fd", "1",
                                            "--keyring", keyring, "--output", signed_path,
                                            inrelease, NULL },
                    (const char *const[]){ "LC_ALL=C", NULL }, &res, err);
    if (r == -ENOENT)
        r = tdx_err(err, -ENOENT, "%s: cannot check the signature: gpgv is not installed", label);
    if (r >= 0)
        r = check_status(strbuf_str(&res.out), label, run_last_line(&res), err);
    if (r >= 0) {
        r = read_file_bounded(signed_path, RELEASE_MAX, text, len);
        if (r < 0)
            tdx_err(err, r, "%s: gpgv wrote no signed text: %s", label, strerror(-r));
    }
    run_result_free(&res);
    return r;
}
