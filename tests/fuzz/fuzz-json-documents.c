/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the JSON documents the agent reads through the shared
 * JSON reader (the secrets manifest, the simulated PKI's measurements).
 * Whatever the input, a refusal is a negative code and one line of
 * printable text that starts with the document's name, as the reader
 * promises; an accepted manifest is freed whole (the leak checkers see the
 * rest). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "manifest.h"
#include "sim-pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(int r, const char *msg)
{
    if (r >= 0)
        return;
    if (!startswith(msg, "fuzz.json"))
        abort();
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sim_measurements sm;
    struct manifest *m = NULL;
    char msg[512] = "";
    int r;

    r = manifest_parse("fuzz.json", (const char *)data, size, &m, msg, sizeof(msg));
    check_message(r, msg);
    if (r >= 0 && !m)
        abort();
    manifest_free(m);
    sim_measurements_default(&sm);
    msg[0] = '\0';
    r = sim_measurements_parse("fuzz.json", (const char *)data, size, &sm, msg, sizeof(msg));
    check_message(r, msg);
    return 0;
}
