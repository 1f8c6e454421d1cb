/* SPDX-License-Identifier: MIT */
#include "ptrvec.h"

#include <errno.h>
#include <stdlib.h>

int ptrvec_push(ptrvec *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **p;
        if (cap < v->cap || cap > ((size_t)-1) / sizeof(void *))
            return -ENOMEM;
        p = realloc(v->items, cap * sizeof(void *));
        if (!p)
            return -ENOMEM;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return 0;
}

void ptrvec_free(ptrvec *v)
{
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

void ptrvec_free_all(ptrvec *v, void (*free_item)(void *))
{
    for (size_t i = 0; i < v->n; i++)
        free_item(v->items[i]);
    ptrvec_free(v);
}
