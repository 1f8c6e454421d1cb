/* SPDX-License-Identifier: MIT */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

size_t strv_length(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

bool strv_contains(char *const *v, const char *s)
{
    STRV_FOREACH(i, v) {
        if (streq(*i, s))
            return true;
    }
    return false;
}

int strv_push_take(char ***v, char *s)
{
    size_t n = strv_length(*v);
    char **nv;

    if (!s)
        return -ENOMEM;
    nv = realloc(*v, (n + 2) * sizeof(char *));
    if (!nv) {
        free(s);
        return -ENOMEM;
    }
    nv[n] = s;
    nv[n + 1] = NULL;
    *v = nv;
    return 0;
}

int strv_push(char ***v, const char *s)
{
    return strv_push_take(v, strdup(s));
}

int strv_extend(char ***v, const char *const *add)
{
    for (size_t i = 0; add && add[i]; i++) {
        int r = strv_push(v, add[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

char **strv_copy(const char *const *v)
{
    char **c = calloc(1, sizeof(char *));
    if (!c)
        return NULL;
    if (strv_extend(&c, v) < 0)
        return strv_free(c);
    return c;
}

void strv_remove(char **v, const char *s)
{
    char **w = v;
    if (!v)
        return;
    for (char **r = v; *r; r++) {
        if (streq(*r, s))
            free(*r);
        else
            *w++ = *r;
    }
    *w = NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_uniq(char **v)
{
    size_t n = strv_length(v), w = 0;
    if (n < 2)
        return;
    qsort(v, n, sizeof(char *), cmp_str);
    for (size_t r = 0; r < n; r++) {
        if (w > 0 && streq(v[w - 1], v[r]))
            free(v[r]);
        else
            v[w++] = v[r];
    }
    v[w] = NULL;
}

char **strv_free(char **v)
{
    STRV_FOREACH(i, v)
        free(*i);
    free(v);
    return NULL;
}
