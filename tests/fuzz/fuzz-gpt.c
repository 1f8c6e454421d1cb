/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the primary GPT of a raw disk image and the
 * EV_EFI_GPT_EVENT bytes built from it. */
#include <stdint.h>
#include <string.h>

#include "measure/gpt-event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct source s;
    struct gpt_event ev;
    tdx_error err = TDX_ERROR_INIT;

    source_buffer(&s, "fuzz.raw", data, size);
    if (gpt_event_build(&s, &ev, &err) == 0) {
        /* The event is the 92-byte header, a count and whole entries. */
        if (ev.size != GPT_HEADER_SIZE + 8 + ev.used * ev.entry_size || ev.used > ev.entries)
            __builtin_trap();
        gpt_event_free(&ev);
    } else if (!err.message[0] || strchr(err.message, '\n'))
        __builtin_trap();
    return 0;
}
