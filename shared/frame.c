/* SPDX-License-Identifier: MIT */
#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void frame_header_encode(uint8_t out[FRAME_HEADER_SIZE], uint32_t len)
{
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

uint32_t frame_header_decode(const uint8_t in[FRAME_HEADER_SIZE])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

int frame_length_check(uint32_t len, uint32_t max)
{
    if (len == 0)
        return -EBADMSG;
    if (len > max)
        return -EMSGSIZE;
    return 0;
}

uint8_t *frame_reader_buf(struct frame_reader *r, size_t *want)
{
    if (r->header_got < FRAME_HEADER_SIZE) {
        *want = FRAME_HEADER_SIZE - r->header_got;
        return r->header + r->header_got;
    }
    if (!r->payload) {
        *want = 0;
        return NULL;
    }
    *want = r->length - r->payload_got;
    return r->payload + r->payload_got;
}

int frame_reader_advance(struct frame_reader *r, size_t n)
{
    if (r->header_got < FRAME_HEADER_SIZE) {
        r->header_got += n;
        if (r->header_got < FRAME_HEADER_SIZE)
            return FRAME_NEED_MORE;
        r->length = frame_header_decode(r->header);
        int e = frame_length_check(r->length, r->max);
        return e < 0 ? e : FRAME_HEADER_DONE;
    }
    r->payload_got += n;
    return r->payload_got == r->length ? FRAME_COMPLETE : FRAME_NEED_MORE;
}

int frame_reader_alloc(struct frame_reader *r)
{
    r->payload = malloc((size_t)r->length + 1);
    if (!r->payload)
        return -ENOMEM;
    r->payload[r->length] = '\0';
    r->payload_got = 0;
    return 0;
}

int frame_reader_in_frame(const struct frame_reader *r)
{
    return r->header_got > 0;
}

uint8_t *frame_reader_take(struct frame_reader *r, size_t *len)
{
    uint8_t *p = r->payload;
    *len = r->length;
    r->payload = NULL;
    frame_reader_reset(r);
    return p;
}

void frame_reader_reset(struct frame_reader *r)
{
    free(r->payload);
    r->payload = NULL;
    r->payload_got = 0;
    r->header_got = 0;
    r->length = 0;
}
