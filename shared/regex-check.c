/* SPDX-License-Identifier: MIT */
#include "regex-check.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define DEPTH_MAX 32

struct frame {
    unsigned long sum;   /* elements of this group so far */
    unsigned long last;  /* elements of the last atom, 0 if none */
    bool quantified;     /* the last atom already has a quantifier */
};

/* Parses "{m}", "{m,}" or "{m,n}" at p; returns its length or 0, and in *copies
 * how many copies of the atom regcomp makes. */
static size_t parse_bound(const char *p, unsigned long *copies, bool *too_big)
{
    unsigned long m = 0, n = 0;
    const char *q = p + 1;
    bool comma = false, has_n = false;

    if (!isdigit((unsigned char)*q))
        return 0;
    while (isdigit((unsigned char)*q) && m <= 100000)
        m = m * 10 + (unsigned long)(*q++ - '0');
    if (*q == ',') {
        comma = true;
        q++;
        while (isdigit((unsigned char)*q) && n <= 100000) {
            n = n * 10 + (unsigned long)(*q++ - '0');
            has_n = true;
        }
    }
    if (*q != '}')
        return 0;
    *too_big = m > REGEX_REPEAT_MAX || n > REGEX_REPEAT_MAX;
    *copies = !comma ? m : has_n ? n : m + 1;
    if (*copies == 0)
        *copies = 1;
    return (size_t)(q - p) + 1;
}

/* Skips a bracket expression starting at p ('['); returns the position after
 * it, or NULL when it does not end. */
static const char *skip_bracket(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *end = strstr(p + 2, (char[]){ p[1], ']', '\0' });
            if (!end)
                return NULL;
            p = end + 2;
        } else {
            p++;
        }
    }
    return *p ? p + 1 : NULL;
}

const char *regex_pattern_check(const char *pattern)
{
    struct frame stack[DEPTH_MAX + 1];
    int depth = 0;
    const char *p = pattern;

    if (strlen(pattern) > REGEX_PATTERN_MAX)
        return "expected a regular expression of at most 256 bytes";
    memset(&stack[0], 0, sizeof(stack[0]));

    while (*p) {
        struct frame *f = &stack[depth];
        unsigned long copies = 0;
        bool too_big = false;
        size_t n = 0;

        if (*p == '*' || *p == '+' || *p == '?' || (*p == '{' && (n = parse_bound(p, &copies, &too_big)))) {
            if (f->quantified)
                return "expected no stacked repetitions (such as \"a++\" or \"a*{2}\")";
            if (too_big)
                return "expected repetition counts of at most 255";
            if (*p == '+')
                copies = 2;
            else if (*p != '{')
                copies = 1;
            if (f->last) {
                f->sum += f->last * (copies - 1);
                f->quantified = true;
            }
            p += n ? n : 1;
        } else if (*p == '(') {
            if (depth == DEPTH_MAX)
                return "expected groups nested at most 32 deep";
            memset(&stack[++depth], 0, sizeof(stack[0]));
            p++;
            continue;
        } else if (*p == ')') {
            unsigned long inner = f->sum;
            if (depth == 0)
                return NULL; /* unbalanced: regcomp reports it */
            f = &stack[--depth];
            f->sum += inner;
            f->last = inner ? inner : 1;
            f->quantified = false;
            p++;
        } else if (*p == '|') {
            f->last = 0;
            f->quantified = false;
            p++;
        } else {
            if (*p == '[') {
                p = skip_bracket(p);
                if (!p)
                    return NULL; /* unterminated: regcomp reports it */
            } else if (*p == '\\' && p[1]) {
                p += 2;
            } else {
                p++;
            }
            f->sum += 1;
            f->last = 1;
            f->quantified = false;
        }
        if (stack[depth].sum > REGEX_EXPANDED_MAX)
            return "expected a simpler regular expression (its repetitions expand to more than "
                   "2048 elements)";
    }
    {
        unsigned long total = 0;
        for (int i = 0; i <= depth; i++)
            total += stack[i].sum;
        if (total > REGEX_EXPANDED_MAX)
            return "expected a simpler regular expression (its repetitions expand to more than "
                   "2048 elements)";
    }
    return NULL;
}
