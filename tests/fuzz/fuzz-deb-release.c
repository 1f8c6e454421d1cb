/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the signed text of an InRelease (deb822 + SHA256 list). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct release r;
    tdx_error err = TDX_ERROR_INIT;
    time_t t;

    if (release_parse((const char *)data, size, "fuzz", &r, &err) < 0)
        return 0;
    release_find(&r, "main/binary-amd64/Packages.xz");
    if (r.date)
        release_parse_date(r.date, &t);
    if (r.valid_until)
        release_parse_date(r.valid_until, &t);
    release_free(&r);
    return 0;
}
