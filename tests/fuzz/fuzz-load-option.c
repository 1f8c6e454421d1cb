/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an EFI_LOAD_OPTION (a Boot#### variable a capture
 * brought from a guest), as the disk boot's RTMR0 checks it. */
#include <stdint.h>
#include <string.h>

#include "measure/boot-vars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tdx_error err = TDX_ERROR_INIT;
    strbuf desc = STRBUF_INIT;
    uint32_t attributes;

    if (load_option_parse(data, size, "Boot0001", &attributes, &desc, &err) == 0) {
        /* Accepted: a header, a NUL-terminated description, an End node. */
        if (size < 12 || desc.len > 64 + 3 || attributes != (uint32_t)data[0] + ((uint32_t)data[1] << 8) +
                                                             ((uint32_t)data[2] << 16) + ((uint32_t)data[3] << 24))
            __builtin_trap();
    } else if (!err.message[0] || strchr(err.message, '\n'))
        __builtin_trap();
    strbuf_free(&desc);
    return 0;
}
