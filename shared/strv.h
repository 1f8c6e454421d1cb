/* SPDX-License-Identifier: MIT */
/* NULL-terminated arrays of heap strings ("string vectors"). A NULL vector is
 * an empty one everywhere. */
#ifndef TDX_SHARED_STRV_H
#define TDX_SHARED_STRV_H

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);

/* Appends a copy of s. On failure *v is unchanged. */
int strv_push(char ***v, const char *s);
/* Appends s itself (ownership moves to the vector, even on failure). */
int strv_push_take(char ***v, char *s);
/* Appends copies of every string of add (NULL-terminated, may be NULL). */
int strv_extend(char ***v, const char *const *add);

/* Deep copy; an empty vector for NULL. Returns NULL only on allocation failure. */
char **strv_copy(const char *const *v);

/* Removes every string equal to s. */
void strv_remove(char **v, const char *s);

/* Sorts (strcmp order) and drops duplicates. */
void strv_sort_uniq(char **v);

/* Frees the strings and the array; returns NULL. */
char **strv_free(char **v);

static inline void strv_freep(char ***v)
{
    strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define STRV_FOREACH(s, v) for (char *const *s = (v); s && *s; s++)

#endif
