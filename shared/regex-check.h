/* SPDX-License-Identifier: MIT */
/*
 * Bounds on the POSIX extended regular expressions secret schemas use.
 * glibc's regcomp() copies a repeated sub-expression once per repetition, so
 * stacked or nested repetitions (`a++++`, `((a{200}){200})`) make it
 * allocate without bound. Both the host (when a recipe declares a pattern)
 * and the agent (when it loads the manifest) check patterns with this first.
 */
#ifndef TDX_SHARED_REGEX_CHECK_H
#define TDX_SHARED_REGEX_CHECK_H

#define REGEX_PATTERN_MAX 256   /* bytes */
#define REGEX_REPEAT_MAX 255    /* largest {m,n} count */
#define REGEX_EXPANDED_MAX 2048 /* elements after repetitions are copied out */

/* NULL when pattern is within the bounds, else a phrase saying which. It
 * does not check the syntax: regcomp() does that afterwards. */
const char *regex_pattern_check(const char *pattern);

#endif
