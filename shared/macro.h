/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the host library and the guest agent. */
#ifndef TDX_SHARED_MACRO_H
#define TDX_SHARED_MACRO_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _must_check_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand a pointer out of a _cleanup_ scope: returns it and clears the variable. */
#define TAKE_PTR(p)                       \
    ({                                    \
        __typeof__(p) _take_tmp_ = (p);   \
        (p) = NULL;                       \
        _take_tmp_;                       \
    })

#define TAKE_FD(fd)                       \
    ({                                    \
        int _take_fd_ = (fd);             \
        (fd) = -1;                        \
        _take_fd_;                        \
    })

static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
#define _cleanup_close_ _cleanup_(closep)

static inline bool streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static inline bool isempty(const char *s)
{
    return !s || !*s;
}

static inline const char *strempty(const char *s)
{
    return s ? s : "";
}

static inline bool startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline bool endswith(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* Overflow-checked multiplication for allocation sizes. */
static inline bool size_mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

#endif
