/* SPDX-License-Identifier: MIT */
/* A growable array of pointers. The vector does not own what it points to
 * unless the caller frees the items itself (ptrvec_free_all). */
#ifndef TDX_SHARED_PTRVEC_H
#define TDX_SHARED_PTRVEC_H

#include <stddef.h>

typedef struct ptrvec {
    void **items;
    size_t n;
    size_t cap;
} ptrvec;

#define PTRVEC_INIT { NULL, 0, 0 }

int ptrvec_push(ptrvec *v, void *item);
void ptrvec_free(ptrvec *v);
/* Calls free_item on every item, then frees the array. */
void ptrvec_free_all(ptrvec *v, void (*free_item)(void *));

#endif
