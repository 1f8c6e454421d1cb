/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an EnvironmentFile (shared/env-file.c), as the agent
 * reads the secrets helper's /run/tdx-secrets/env/<scope>.env. Every pushed
 * key and value must be valid UTF-8 and no longer than the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const char *key, const char *value, void *userdata)
{
    size_t size = *(size_t *)userdata;
    if (!utf8_valid(key, strlen(key)) || !utf8_valid(value, strlen(value)) ||
        strlen(key) > size || strlen(value) > size)
        abort();
    (void)env_name_valid(key);
    (void)env_value_valid(value);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[256];
    if (size > ENV_FILE_MAX)
        return 0;
    (void)env_file_parse((const char *)data, size, check, &size, msg, sizeof(msg));
    return 0;
}
