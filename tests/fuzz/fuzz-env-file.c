/* SPDX-License-Identifier: MIT */
/* libFuzzer target: an EnvironmentFile (shared/env-file.c), as the agent
 * reads the secrets helper's /run/tdx-secrets/env/<scope>.env. Every pushed
 * key and value must be valid UTF-8 and no longer than the input; every
 * assignment a service could receive, written the agent's way
 * (env_file_append()), must read back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "strbuf.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int again(const char *key, const char *value, void *userdata)
{
    char **back = userdata;
    (void)key;
    if (*back)
        abort();   /* one assignment was written */
    *back = strdup(value);
    return *back ? 0 : -12;
}

static int check(const char *key, const char *value, void *userdata)
{
    size_t size = *(size_t *)userdata;
    if (!utf8_valid(key, strlen(key)) || !utf8_valid(value, strlen(value)) ||
        strlen(key) > size || strlen(value) > size)
        abort();
    if (env_name_valid(key) && env_value_valid(value)) {
        strbuf sb = STRBUF_INIT;
        char msg[256], *back = NULL;
        if (env_file_append(&sb, key, value, strlen(value)) != 0 ||
            env_file_parse(strbuf_str(&sb), sb.len, again, &back, msg, sizeof(msg)) != 0 ||
            !back || strcmp(back, value) != 0)
            abort();
        free(back);
        strbuf_free(&sb);
    }
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
