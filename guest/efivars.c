/* SPDX-License-Identifier: MIT */
#include "efivars.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "msg.h"

/* efivarfs gives each file the variable's u32 attributes, then its data. */
static int read_var(const char *dir, const char *name, size_t max, struct efivar *out, char *msg,
                    size_t msg_size)
{
    char path[4200], *raw = NULL;
    size_t len;
    int r;

    snprintf(path, sizeof(path), "%s/%s-" EFIVARS_GLOBAL_GUID, dir, name);
    r = read_file_bounded(path, max + 4, &raw, &len);
    if (r == -ENOENT)
        return r;
    if (r == -EFBIG)
        return msgf(msg, msg_size, r, "bootvars: %s is larger than %zu bytes", name, max);
    if (r < 0)
        return msgf(msg, msg_size, r, "bootvars: %s: %s", path, strerror(-r));
    if (len < 4) {
        free(raw);
        return msgf(msg, msg_size, -EINVAL, "bootvars: %s: %zu bytes, shorter than its attributes",
                    path, len);
    }
    memmove(raw, raw + 4, len - 4);
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->data = (uint8_t *)raw;
    out->len = len - 4;
    return 0;
}

static int listed(const struct efivars_boot *b, const char *name)
{
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(b->var[i].name, name) == 0)
            return 1;
    return 0;
}

int efivars_boot_read(const char *dir, struct efivars_boot *out, char *msg, size_t msg_size)
{
    struct stat st;
    size_t count;
    int r;

    memset(out, 0, sizeof(*out));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return msgf(msg, msg_size, -ENOENT, "bootvars: no directory %s (efivarfs not mounted, or not "
                    "a UEFI boot)", dir);
    r = read_var(dir, "BootOrder", 2 * EFIVARS_OPTIONS_MAX, &out->var[0], msg, msg_size);
    if (r == -ENOENT)
        return msgf(msg, msg_size, r, "bootvars: the firmware set no BootOrder (%s has none)", dir);
    if (r < 0)
        return r;
    out->n = 1;
    if (out->var[0].len == 0 || out->var[0].len % 2) {
        r = msgf(msg, msg_size, -EINVAL, "bootvars: BootOrder has %zu bytes, not a list of 16-bit "
                 "option numbers", out->var[0].len);
        efivars_boot_done(out);
        return r;
    }
    count = out->var[0].len / 2;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = out->var[0].data + 2 * i;
        char name[16];

        /* edk2 names options "Boot%04x", its PrintLib's hex is upper case. */
        snprintf(name, sizeof(name), "Boot%04" PRIX16, (uint16_t)(p[0] | p[1] << 8));
        if (listed(out, name))
            continue;
        r = read_var(dir, name, EFIVARS_VAR_MAX, &out->var[out->n], msg, msg_size);
        if (r == -ENOENT)
            continue;
        if (r < 0) {
            efivars_boot_done(out);
            return r;
        }
        out->n++;
    }
    return 0;
}

void efivars_boot_done(struct efivars_boot *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->var[i].data);
    memset(b, 0, sizeof(*b));
}
