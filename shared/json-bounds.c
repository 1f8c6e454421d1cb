/* SPDX-License-Identifier: MIT */
#include "json-bounds.h"

#include <stdbool.h>

const char *json_bounds_check(const char *text, size_t len, unsigned max_depth,
                              size_t max_values)
{
    unsigned depth = 0;
    size_t values = 0;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max_depth)
                return "JSON nested too deeply";
            values++;
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        case ',':
            values++;
            break;
        default:
            break;
        }
        if (values > max_values)
            return "JSON has too many values";
    }
    return NULL;
}
