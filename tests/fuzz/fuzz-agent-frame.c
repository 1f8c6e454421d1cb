/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a byte stream as the agent receives it. Frames are cut
 * out with the agent's reader (in chunks whose sizes come from the input),
 * each payload goes through request parsing and parameter checks, and the
 * reply built for it through the host client's reply parser. Every payload
 * is also fed to the reply parser directly: the client's decoder faces an
 * untrusted agent too. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_payload(const uint8_t *p, size_t n)
{
    static const char *const params[] = { "report_data", "offset", "length", NULL };
    struct wire_request req;
    struct wire_error e;
    json_t *result = NULL;
    uint8_t *frame = NULL;
    size_t len;
    const char *s;
    unsigned long long v;
    bool present;

    if (wire_parse_reply(p, n, 1, &result, &e) == 0)
        json_decref(result);
    if (wire_parse_request(p, n, &req, &e) == 0) {
        if (wire_check_params(&req, params, &e) == 0 &&
            wire_param_string(&req, "report_data", 128, &s, &e) == 0 &&
            wire_param_uint(&req, "offset", UINT64_MAX >> 1, &present, &v, &e) == 0 &&
            wire_param_uint(&req, "length", 524288, &present, &v, &e) == 0) {
            wire_reply_ok(req.id, json_pack("{s:s}", "op", req.op), &frame, &len);
        } else {
            wire_reply_error(req.id, &e, &frame, &len);
        }
    } else {
        wire_reply_error(req.id, &e, &frame, &len);
    }
    if (frame && wire_parse_reply(frame + FRAME_HEADER_SIZE, len - FRAME_HEADER_SIZE,
                                  req.id && json_is_integer(req.id) ? json_integer_value(req.id) : 0,
                                  &result, &e) == 0)
        json_decref(result);
    free(frame);
    wire_request_done(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct frame_reader rd = FRAME_READER_INIT(FRAME_MAX);
    size_t pos = 0, step = size ? (size_t)(data[0] % 7) + 1 : 1;

    while (pos < size) {
        size_t want, n;
        uint8_t *buf = frame_reader_buf(&rd, &want);
        int rc;

        if (want == 0)
            break;
        n = want < step ? want : step;
        if (n > size - pos)
            n = size - pos;
        memcpy(buf, data + pos, n);
        pos += n;
        rc = frame_reader_advance(&rd, n);
        if (rc == FRAME_HEADER_DONE) {
            if (frame_reader_alloc(&rd) < 0)
                break;
        } else if (rc == FRAME_COMPLETE) {
            size_t len;
            uint8_t *payload = frame_reader_take(&rd, &len);
            one_payload(payload, len);
            free(payload);
        } else if (rc < 0) {
            break;   /* the agent answers and hangs up */
        }
    }
    frame_reader_reset(&rd);
    return 0;
}
