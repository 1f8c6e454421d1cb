/* SPDX-License-Identifier: MIT */
/*
 * Wire frames (docs/protocol.md): a 4-byte big-endian length, then that many
 * bytes of payload, 1 <= length <= FRAME_MAX.
 *
 * The reader collects one frame from a byte stream and asks for exactly the
 * bytes of the current frame, so a peer that pipelines requests leaves them
 * in the kernel's socket buffer rather than in ours. It allocates the
 * payload only when the caller says so (frame_reader_alloc), so the caller
 * can weigh a declared length against its memory budget first.
 */
#ifndef TDX_SHARED_FRAME_H
#define TDX_SHARED_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_SIZE 4
#define FRAME_MAX (1024u * 1024u)

void frame_header_encode(uint8_t out[FRAME_HEADER_SIZE], uint32_t len);
uint32_t frame_header_decode(const uint8_t in[FRAME_HEADER_SIZE]);

/* 0, -EBADMSG for a zero length, -EMSGSIZE above max. */
int frame_length_check(uint32_t len, uint32_t max);

/* Results of frame_reader_advance(). */
#define FRAME_NEED_MORE 0
#define FRAME_HEADER_DONE 1   /* length known and valid: call frame_reader_alloc() */
#define FRAME_COMPLETE 2      /* payload complete: frame_reader_take() */

struct frame_reader {
    uint32_t max;
    uint8_t header[FRAME_HEADER_SIZE];
    size_t header_got;
    uint32_t length;          /* valid once the header is complete */
    uint8_t *payload;         /* length + 1 bytes (NUL-terminated), once allocated */
    size_t payload_got;
};

#define FRAME_READER_INIT(m) { (m), { 0 }, 0, 0, NULL, 0 }

/* Where the next bytes go and how many the reader wants (never more than the
 * rest of the current frame; 0 while a payload awaits frame_reader_alloc()). */
uint8_t *frame_reader_buf(struct frame_reader *r, size_t *want);

/* Accounts for n bytes stored at frame_reader_buf(). Returns FRAME_NEED_MORE,
 * FRAME_HEADER_DONE, FRAME_COMPLETE, or the error of frame_length_check(). */
int frame_reader_advance(struct frame_reader *r, size_t n);

/* Allocates the payload buffer for the length just read: 0 or -ENOMEM. */
int frame_reader_alloc(struct frame_reader *r);

/* True between the first byte of a frame and its completion. */
int frame_reader_in_frame(const struct frame_reader *r);

/* Hands the completed payload (NUL-terminated, length in *len) to the caller
 * and resets the reader for the next frame. */
uint8_t *frame_reader_take(struct frame_reader *r, size_t *len);

/* Drops any partial frame; the reader is reusable. */
void frame_reader_reset(struct frame_reader *r);

#endif
