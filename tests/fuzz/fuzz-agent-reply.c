/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an agent's reply payload as tdxctl meets it. It goes
 * through the client's reply parser, then the shape checks of the "info"
 * and "secrets.status" replies and the "bootvars" parser (whose names
 * become file names: only BootOrder and Boot#### may pass); the raw bytes as text go through the one
 * sanitiser, which must leave a string of the same length that is valid
 * UTF-8 with no control character in it. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client-internal.h"
#include "printable.h"
#include "utf8.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_printable(const uint8_t *data, size_t size, unsigned flags)
{
    char *s = malloc(size + 1);
    size_t n;

    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = '\0';
    n = strlen(s);
    printable_inplace(s, flags);
    if (strlen(s) != n || !utf8_valid(s, n))
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || ((flags & PRINTABLE_ASCII) && c >= 0x80) ||
            (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            abort();
    }
    free(s);
}

static void check_boot_variables(json_t *reply)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_boot_variable *v = NULL;
    size_t n = 0;

    if (agent_boot_variables_parse("fuzz", reply, &v, &n, &err) < 0) {
        if (err.code != -EPROTO)
            abort();
        return;
    }
    if (n == 0 || strcmp(v[0].name, "BootOrder") || v[0].size == 0 || v[0].size % 2 || v[0].size > 128)
        abort();
    for (size_t i = 1; i < n; i++)
        if (strlen(v[i].name) != 8 || strncmp(v[i].name, "Boot", 4) ||
            strspn(v[i].name + 4, "0123456789ABCDEF") != 4 || v[i].size == 0 || v[i].size > 4096)
            abort();
    tdx_boot_variables_free(v, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_error e;
    json_t *reply = NULL;
    tdx_error err = TDX_ERROR_INIT;

    if (wire_parse_reply(data, size, 1, &reply, &e) == 0) {
        if (agent_reply_check("fuzz", reply, "info", agent_info_shape, agent_info_shape_len,
                              &err) < 0 && err.code != -EPROTO)
            abort();
        if (agent_reply_check("fuzz", reply, "secrets.status", agent_status_shape,
                              agent_status_shape_len, &err) < 0 && err.code != -EPROTO)
            abort();
        check_boot_variables(reply);
        json_decref(reply);
    }
    check_printable(data, size, 0);
    check_printable(data, size, PRINTABLE_ASCII);
    return 0;
}
