/* SPDX-License-Identifier: MIT */
/* The host's apt sources: one-line sources.list files and deb822 .sources
 * files, read only to find the mirror (and its keyring) for a release. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb-internal.h"
#include "error.h"
#include "fileio.h"
#include "strv.h"

#define SOURCES_FILE_MAX (1u << 20)

struct source {
    char *uri, *keyring;
};

struct candidates {
    struct source exact, base;   /* first match of each kind */
    const char *release;
    size_t base_len;             /* release up to its first '-' */
};

static void source_clear(struct source *s)
{
    free(s->uri);
    free(s->keyring);
    memset(s, 0, sizeof(*s));
}

static bool http_uri(const char *u)
{
    return startswith(u, "http://") || startswith(u, "https://");
}

/* Offers one source: kept when it is the first exact or first base match. */
static int offer(struct candidates *c, const char *uri, char **suites, const char *keyring)
{
    struct source *slot = NULL;

    if (!http_uri(uri))
        return 0;
    STRV_FOREACH(s, suites) {
        if (!c->exact.uri && streq(*s, c->release))
            slot = &c->exact;
        else if (!slot && !c->base.uri && strlen(*s) == c->base_len &&
                 strncmp(*s, c->release, c->base_len) == 0)
            slot = &c->base;
    }
    if (!slot)
        return 0;
    slot->uri = strdup(uri);
    slot->keyring = keyring && keyring[0] == '/' ? strdup(keyring) : NULL;
    if (!slot->uri || (keyring && keyring[0] == '/' && !slot->keyring))
        return -ENOMEM;
    return 0;
}

/* "deb [opt=val ...] URI SUITE [COMPONENT...]" */
static int parse_list(const char *text, struct candidates *c)
{
    _cleanup_free_ char *copy = strdup(text);
    char *save = NULL;
    int r = 0;

    if (!copy)
        return -ENOMEM;
    for (char *line = strtok_r(copy, "\n", &save); line && r >= 0;
         line = strtok_r(NULL, "\n", &save)) {
        char *words[64], *keyring = NULL, *ws = NULL, *w;
        char *suites[2] = { NULL, NULL };
        size_t n = 0;

        line[strcspn(line, "#")] = '\0';
        for (w = strtok_r(line, " \t\r", &ws); w && n < ELEMENTSOF(words);
             w = strtok_r(NULL, " \t\r", &ws))
            words[n++] = w;
        if (n < 3 || !streq(words[0], "deb"))
            continue;
        size_t i = 1;
        if (words[1][0] == '[') {
            for (; i < n; i++) {
                char *close = strchr(words[i], ']');
                if (close)
                    *close = '\0';
                if (strncasecmp(words[i] + (words[i][0] == '['), "signed-by=", 10) == 0)
                    keyring = words[i] + (words[i][0] == '[') + 10;
                if (close) {
                    i++;
                    break;
                }
            }
        }
        if (i + 1 >= n)
            continue;
        suites[0] = words[i + 1];
        r = offer(c, words[i], suites, keyring);
    }
    return r;
}

static int parse_sources(const char *text, size_t len, struct candidates *c)
{
    const char *stanza;
    size_t slen, pos = 0;
    int r = 0;

    while (r >= 0 && deb822_next(text, len, &pos, &stanza, &slen)) {
        _cleanup_free_ char *types = NULL, *uris = NULL, *suites = NULL, *enabled = NULL,
                            *signed_by = NULL;
        _cleanup_strv_free_ char **suite_v = NULL;
        bool oom = false;
        char *save = NULL;

        types = deb822_dup(stanza, slen, "Types", &oom);
        uris = deb822_dup(stanza, slen, "URIs", &oom);
        suites = deb822_dup(stanza, slen, "Suites", &oom);
        enabled = deb822_dup(stanza, slen, "Enabled", &oom);
        signed_by = deb822_dup(stanza, slen, "Signed-By", &oom);
        if (oom)
            return -ENOMEM;
        if (!types || !uris || !suites || (enabled && strcasecmp(enabled, "no") == 0))
            continue;
        if (!strstr(types, "deb") || strncmp(types, "deb-src", 7) == 0)
            continue;
        for (char *s = strtok_r(suites, " \t\n", &save); s; s = strtok_r(NULL, " \t\n", &save))
            if (strv_push(&suite_v, s) < 0)
                return -ENOMEM;
        /* An inline key block is not a file; fall back to the default keyring. */
        if (signed_by && strchr(signed_by, '\n'))
            signed_by[0] = '\0';
        save = NULL;
        for (char *u = strtok_r(uris, " \t\n", &save); u && r >= 0; u = strtok_r(NULL, " \t\n", &save))
            r = offer(c, u, suite_v, signed_by);
    }
    return r;
}

static int read_one(const char *path, bool deb822, struct candidates *c)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file_bounded(path, SOURCES_FILE_MAX, &text, &len);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    return deb822 ? parse_sources(text, len, c) : parse_list(text, c);
}

static int dot_filter(const struct dirent *d)
{
    return d->d_name[0] != '.' && (endswith(d->d_name, ".list") || endswith(d->d_name, ".sources"));
}

int apt_sources_find(const char *apt_dir, const char *release, char **uri, char **keyring,
                     tdx_error *err)
{
    struct candidates c = { .release = release, .base_len = strcspn(release, "-") };
    struct dirent **names = NULL;
    char path[4096];
    struct source *pick;
    int n, r;

    snprintf(path, sizeof(path), "%s/sources.list", apt_dir);
    r = read_one(path, false, &c);
    snprintf(path, sizeof(path), "%s/sources.list.d", apt_dir);
    n = scandir(path, &names, dot_filter, alphasort);
    for (int i = 0; i < n; i++) {
        if (r >= 0) {
            snprintf(path, sizeof(path), "%s/sources.list.d/%s", apt_dir, names[i]->d_name);
            r = read_one(path, endswith(names[i]->d_name, ".sources"), &c);
        }
        free(names[i]);
    }
    free(names);
    if (r < 0) {
        source_clear(&c.exact);
        source_clear(&c.base);
        return tdx_err(err, r, "cannot read the apt sources in %s: %s", apt_dir, strerror(-r));
    }
    pick = c.exact.uri ? &c.exact : c.base.uri ? &c.base : NULL;
    if (!pick)
        return tdx_err(err, -ENOENT, "no http(s) apt source in %s lists release \"%s\" (or \"%.*s\"); "
                       "give a mirror", apt_dir, release, (int)c.base_len, release);
    *uri = TAKE_PTR(pick->uri);
    *keyring = TAKE_PTR(pick->keyring);
    source_clear(&c.exact);
    source_clear(&c.base);
    return 0;
}
