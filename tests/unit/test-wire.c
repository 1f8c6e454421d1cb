/* SPDX-License-Identifier: MIT */
/* The agent protocol's shared pieces: addresses, frames, bounded JSON,
 * request parsing and reply encoding (both sides compile these). */
#include <jansson.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "agent-addr.h"
#include "frame.h"
#include "helpers.h"
#include "json-bounds.h"
#include "wire.h"

static const struct {
    const char *text;
    int mode;
    bool ok;
    const char *formatted;   /* agent_addr_format() of the parsed address, when numeric */
} addrs[] = {
    { "vsock:1050", AGENT_ADDR_LISTEN, true, "vsock:4294967295:1050" },
    { "vsock:3:1050", AGENT_ADDR_LISTEN, true, "vsock:3:1050" },
    { "vsock:3:1050", AGENT_ADDR_CONNECT, true, "vsock:3:1050" },
    { "vsock:1050", AGENT_ADDR_CONNECT, false, NULL },
    { "vsock:0", AGENT_ADDR_LISTEN, false, NULL },
    { "vsock:3:4294967295", AGENT_ADDR_LISTEN, false, NULL },
    { "vsock:03:1", AGENT_ADDR_LISTEN, false, NULL },
    { "tcp:127.0.0.1:8000", AGENT_ADDR_LISTEN, true, "tcp:127.0.0.1:8000" },
    { "tcp:[::1]:8000", AGENT_ADDR_CONNECT, true, "tcp:[::1]:8000" },
    { "tcp:::1:8000", AGENT_ADDR_CONNECT, false, NULL },
    { "tcp:localhost:8000", AGENT_ADDR_LISTEN, false, NULL },
    { "tcp:localhost:8000", AGENT_ADDR_CONNECT, true, NULL },
    { "tcp:bad host:8000", AGENT_ADDR_CONNECT, false, NULL },
    { "tcp:1.2.3.4:0", AGENT_ADDR_CONNECT, false, NULL },
    { "tcp:1.2.3.4:65536", AGENT_ADDR_LISTEN, false, NULL },
    { "tcp:1.2.3.4", AGENT_ADDR_LISTEN, false, NULL },
    { "unix:/run/tdx-agent/agent.sock", AGENT_ADDR_LISTEN, true, "unix:/run/tdx-agent/agent.sock" },
    { "unix:agent.sock", AGENT_ADDR_LISTEN, false, NULL },
    { "unix:agent.sock", AGENT_ADDR_CONNECT, true, "unix:agent.sock" },
    { "unix:", AGENT_ADDR_CONNECT, false, NULL },
    { "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      AGENT_ADDR_CONNECT, false, NULL },
    { "http://x", AGENT_ADDR_CONNECT, false, NULL },
};

START_TEST(addresses_parse_and_format)
{
    struct agent_addr a;
    const char *why = agent_addr_parse(addrs[_i].text, addrs[_i].mode, &a);
    char buf[160];

    ck_assert_msg((why == NULL) == addrs[_i].ok, "%s: %s", addrs[_i].text, why ? why : "accepted");
    if (!why && addrs[_i].formatted) {
        ck_assert_int_gt(a.sa_len, 0);
        agent_addr_format((struct sockaddr *)&a.sa, a.sa_len, buf, sizeof(buf));
        ck_assert_str_eq(buf, addrs[_i].formatted);
    }
    if (!why && streq(addrs[_i].text, "tcp:localhost:8000")) {
        ck_assert_int_eq(a.sa_len, 0);   /* the host resolves it */
        ck_assert_str_eq(a.host, "localhost");
        ck_assert_uint_eq(a.port, 8000);
    }
}
END_TEST

/* Feeds bytes one at a time, the worst split a socket can produce. */
static int feed(struct frame_reader *r, const uint8_t *data, size_t n, size_t *used)
{
    for (*used = 0; *used < n;) {
        size_t want;
        uint8_t *buf = frame_reader_buf(r, &want);
        int rc;
        ck_assert_uint_gt(want, 0);
        buf[0] = data[(*used)++];
        rc = frame_reader_advance(r, 1);
        if (rc == FRAME_HEADER_DONE) {
            ck_assert_int_eq(frame_reader_alloc(r), 0);
            continue;
        }
        if (rc != FRAME_NEED_MORE)
            return rc;
    }
    return FRAME_NEED_MORE;
}

START_TEST(frames_are_read_exactly)
{
    uint8_t stream[2 * (FRAME_HEADER_SIZE + 3)], *p;
    struct frame_reader r = FRAME_READER_INIT(16);
    size_t used, len, want;

    frame_header_encode(stream, 3);
    memcpy(stream + 4, "abc", 3);
    frame_header_encode(stream + 7, 3);
    memcpy(stream + 11, "xyz", 3);
    ck_assert_uint_eq(frame_header_decode(stream), 3);

    ck_assert_int_eq(frame_reader_in_frame(&r), 0);
    ck_assert_int_eq(feed(&r, stream, sizeof(stream), &used), FRAME_COMPLETE);
    ck_assert_uint_eq(used, 7);   /* never past the first frame */
    frame_reader_buf(&r, &want);
    ck_assert_uint_eq(want, 0);
    p = frame_reader_take(&r, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq((char *)p, "abc");   /* NUL-terminated */
    free(p);
    ck_assert_int_eq(feed(&r, stream + 7, 7, &used), FRAME_COMPLETE);
    p = frame_reader_take(&r, &len);
    ck_assert_str_eq((char *)p, "xyz");
    free(p);

    frame_header_encode(stream, 0);
    ck_assert_int_eq(feed(&r, stream, 4, &used), -EBADMSG);
    frame_reader_reset(&r);
    frame_header_encode(stream, 17);
    ck_assert_int_eq(feed(&r, stream, 4, &used), -EMSGSIZE);
    frame_reader_reset(&r);
    frame_header_encode(stream, 16);
    ck_assert_int_eq(feed(&r, stream, 6, &used), FRAME_NEED_MORE);
    ck_assert_int_eq(frame_reader_in_frame(&r), 1);
    frame_reader_reset(&r);   /* frees the partial payload */
    ck_assert_int_eq(frame_length_check(FRAME_MAX, FRAME_MAX), 0);
    ck_assert_int_eq(frame_length_check(FRAME_MAX + 1, FRAME_MAX), -EMSGSIZE);
}
END_TEST

START_TEST(json_bounds_limit_depth_and_values)
{
    char deep[100], many[400];
    memset(deep, '[', sizeof(deep));
    ck_assert_ptr_nonnull(json_bounds_check(deep, sizeof(deep), 32, 4096));
    ck_assert_ptr_null(json_bounds_check(deep, 32, 32, 4096));
    many[0] = '[';
    for (size_t i = 1; i + 1 < sizeof(many); i += 2)
        memcpy(many + i, "0,", 2);
    many[sizeof(many) - 1] = ']';
    ck_assert_ptr_nonnull(json_bounds_check(many, sizeof(many), 32, 100));
    ck_assert_ptr_null(json_bounds_check(many, sizeof(many), 32, 400));
    /* Brackets and commas inside strings, and escaped quotes, do not count. */
    const char *s = "{\"a\": \"[[[[,,,,\\\"[[[[\"}";
    ck_assert_ptr_null(json_bounds_check(s, strlen(s), 2, 2));
}
END_TEST

static const struct {
    const char *payload;
    const char *code;        /* NULL: accepted */
    const char *fragment;
    bool has_id;
} requests[] = {
    { "{\"op\": \"info\", \"id\": 1}", NULL, NULL, true },
    { "{\"op\": \"info\", \"id\": \"abc\"}", NULL, NULL, true },
    { "not json", WIRE_E_BAD_JSON, "not valid JSON", false },
    { "{\"op\": \"info\", \"id\": 1", WIRE_E_BAD_JSON, "not valid JSON", false },
    { "[1, 2]", WIRE_E_BAD_REQUEST, "expected a JSON object, got an array", false },
    { "\"text\"", WIRE_E_BAD_REQUEST, "got a string", false },
    { "{\"op\": \"info\"}", WIRE_E_BAD_REQUEST, "id: required", false },
    { "{\"op\": \"info\", \"id\": -1}", WIRE_E_BAD_REQUEST, "id: expected", false },
    { "{\"op\": \"info\", \"id\": 1.5}", WIRE_E_BAD_REQUEST, "id: expected", false },
    { "{\"op\": \"info\", \"id\": \"\"}", WIRE_E_BAD_REQUEST, "id: expected", false },
    { "{\"op\": \"info\", \"id\": {}}", WIRE_E_BAD_REQUEST, "id: expected", false },
    { "{\"id\": 7}", WIRE_E_BAD_REQUEST, "op: required", true },
    { "{\"op\": 5, \"id\": 7}", WIRE_E_BAD_REQUEST, "op: expected a string, got an integer", true },
    { "{\"op\": \"info\", \"id\": 1, \"id\": 2}", WIRE_E_BAD_JSON,
      "not valid JSON: duplicate member name near '\"id\"' at byte 28", false },
    /* Plain words, not the parser's flag names. */
    { "{\"op\": \"info\\u0000\", \"id\": 1}", WIRE_E_BAD_JSON,
      "not valid JSON: NUL byte in string at byte 19", false },
    { "{\"op\": \"\xff\xfe\", \"id\": 1}", WIRE_E_BAD_JSON, "not valid JSON", false },
    { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      WIRE_E_BAD_JSON, "nested too deeply", false },
};

START_TEST(requests_are_parsed_or_refused)
{
    struct wire_request req;
    struct wire_error e = { "", "" };
    const char *p = requests[_i].payload;
    int r = wire_parse_request(p, strlen(p), &req, &e);

    if (!requests[_i].code) {
        ck_assert_msg(r == 0, "%s: %s", p, e.message);
        ck_assert_str_eq(req.op, "info");
    } else {
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_str_eq(e.code, requests[_i].code);
        ck_assert_contains(e.message, requests[_i].fragment);
    }
    ck_assert_int_eq(req.id != NULL, requests[_i].has_id);
    wire_request_done(&req);
}
END_TEST

START_TEST(params_are_checked)
{
    static const char *const allowed[] = { "report_data", "n", NULL };
    const char *p = "{\"op\": \"quote\", \"id\": 1, \"report_data\": \"00ff\", \"n\": 5}";
    struct wire_request req;
    struct wire_error e;
    const char *s;
    unsigned long long v;
    bool present;

    ck_assert_int_eq(wire_parse_request(p, strlen(p), &req, &e), 0);
    ck_assert_int_eq(wire_check_params(&req, allowed, &e), 0);
    ck_assert_int_eq(wire_param_string(&req, "report_data", 128, &s, &e), 0);
    ck_assert_str_eq(s, "00ff");
    ck_assert_int_eq(wire_param_string(&req, "absent", 128, &s, &e), 0);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(wire_param_string(&req, "report_data", 3, &s, &e), -EINVAL);
    ck_assert_str_eq(e.message, "quote: report_data: expected at most 3 bytes");
    ck_assert_int_eq(wire_param_string(&req, "n", 3, &s, &e), -EINVAL);
    ck_assert_str_eq(e.message, "quote: n: expected a string, got an integer");
    ck_assert_int_eq(wire_param_uint(&req, "n", 10, &present, &v, &e), 0);
    ck_assert(present);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(wire_param_uint(&req, "n", 4, &present, &v, &e), -EINVAL);
    ck_assert_int_eq(wire_param_uint(&req, "report_data", 4, &present, &v, &e), -EINVAL);
    ck_assert_int_eq(wire_check_params(&req, NULL, &e), -EINVAL);
    ck_assert_str_eq(e.code, WIRE_E_BAD_REQUEST);
    ck_assert_contains(e.message, "unknown member");
    wire_request_done(&req);
}
END_TEST

START_TEST(replies_round_trip)
{
    uint8_t *frame;
    size_t len;
    json_t *id = json_integer(42), *result = NULL;
    struct wire_error e, agent_e;

    ck_assert_int_eq(wire_reply_ok(id, json_pack("{s:s}", "quote", "AAAA"), &frame, &len), 0);
    ck_assert_uint_eq(frame_header_decode(frame), len - FRAME_HEADER_SIZE);
    ck_assert_int_eq(wire_parse_reply(frame + 4, len - 4, 42, &result, &e), 0);
    ck_assert_str_eq(json_string_value(json_object_get(result, "quote")), "AAAA");
    json_decref(result);
    ck_assert_int_eq(wire_parse_reply(frame + 4, len - 4, 43, &result, &e), -EPROTO);
    ck_assert_contains(e.message, "does not match");
    free(frame);

    wire_errorf(&agent_e, WIRE_E_BUSY, "too many requests in flight (\x01\xc3\xa9)");
    /* One sanitiser (printable.h): a control becomes a space, non-ASCII "?". */
    ck_assert_str_eq(agent_e.message, "too many requests in flight ( ?\x3f)");
    ck_assert_int_eq(wire_reply_error(id, &agent_e, &frame, &len), 0);
    ck_assert_int_eq(wire_parse_reply(frame + 4, len - 4, 42, &result, &e), -EBUSY);
    ck_assert_str_eq(e.code, "busy");
    ck_assert_str_eq(e.message, agent_e.message);
    free(frame);

    /* Errors about a frame the agent could not read carry a null id. */
    ck_assert_int_eq(wire_reply_error(NULL, &agent_e, &frame, &len), 0);
    ck_assert_int_eq(wire_parse_reply(frame + 4, len - 4, 42, &result, &e), -EBUSY);
    free(frame);

    ck_assert_int_eq(wire_request_frame("quote", 9, json_pack("{s:s}", "report_data", "01"),
                                        &frame, &len), 0);
    {
        struct wire_request req;
        ck_assert_int_eq(wire_parse_request(frame + 4, len - 4, &req, &e), 0);
        ck_assert_str_eq(req.op, "quote");
        ck_assert_int_eq(json_integer_value(req.id), 9);
        wire_request_done(&req);
    }
    free(frame);
    json_decref(id);

    ck_assert_int_eq(wire_parse_reply("{\"ok\": 1}", 9, 1, &result, &e), -EPROTO);
    ck_assert_int_eq(wire_parse_reply("[]", 2, 1, &result, &e), -EPROTO);
    ck_assert_int_eq(wire_parse_reply("{\"id\": 1, \"ok\": false}", 22, 1, &result, &e), -EPROTO);
    ck_assert_int_eq(wire_error_errno("never-heard-of-it"), -EPROTO);
    ck_assert_int_eq(wire_error_errno(WIRE_E_UNAVAILABLE), -ENXIO);
}
END_TEST

START_TEST(oversized_replies_are_refused)
{
    size_t n = FRAME_MAX;
    char *big = malloc(n + 1);
    uint8_t *frame = NULL;
    size_t len;
    memset(big, 'a', n);
    big[n] = '\0';
    ck_assert_int_eq(wire_reply_ok(NULL, json_pack("{s:s}", "x", big), &frame, &len), -EMSGSIZE);
    ck_assert_ptr_null(frame);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, addresses_parse_and_format, 0, (int)ELEMENTSOF(addrs));
    tcase_add_test(tc, frames_are_read_exactly);
    tcase_add_test(tc, json_bounds_limit_depth_and_values);
    tcase_add_loop_test(tc, requests_are_parsed_or_refused, 0, (int)ELEMENTSOF(requests));
    tcase_add_test(tc, params_are_checked);
    tcase_add_test(tc, replies_round_trip);
    tcase_add_test(tc, oversized_replies_are_refused);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
