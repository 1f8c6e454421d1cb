/* SPDX-License-Identifier: MIT */
#include "ccel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "msg.h"

/* ACPI table header (36 bytes) + CC type, subtype, reserved, LAML, LASA. */
#define CCEL_TABLE_MIN 56

/* Bytes [offset, offset + max) of the log open at fd into out->log, and its
 * size into out->log_size. A file whose size stat reports (sysfs's CCEL
 * area) is read in place; one that reports 0 (securityfs's
 * binary_bios_measurements, generated on read) is read whole, at most
 * limit bytes, and sliced. */
static int log_slice(int fd, const char *path, uint64_t offset, size_t max, size_t limit,
                     struct ccel_chunk *out, char *msg, size_t msg_size)
{
    char *whole = NULL;
    size_t whole_len = 0, want;
    struct stat st;
    int r;

    if (fstat(fd, &st) < 0)
        return msgf(msg, msg_size, -errno, "%s: cannot read: %s", path, strerror(errno));
    if (st.st_size == 0) {
        r = read_fd_bounded(fd, limit, &whole, &whole_len);
        if (r < 0)
            return msgf(msg, msg_size, r, "%s: %s", path,
                        r == -EFBIG ? "larger than the agent reads" : strerror(-r));
        out->log_size = whole_len;
    } else
        out->log_size = (uint64_t)st.st_size;
    if (offset > out->log_size) {
        free(whole);
        return msgf(msg, msg_size, -ERANGE, "offset %llu is past the end of the %llu-byte log",
                    (unsigned long long)offset, (unsigned long long)out->log_size);
    }
    want = out->log_size - offset < max ? (size_t)(out->log_size - offset) : max;
    out->log = malloc(want ? want : 1);
    if (!out->log) {
        free(whole);
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    if (whole) {
        memcpy(out->log, whole + offset, want);
        out->log_len = want;
        free(whole);
        return 0;
    }
    while (out->log_len < want) {
        ssize_t n = pread(fd, out->log + out->log_len, want - out->log_len,
                          (off_t)(offset + out->log_len));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : -EIO;
            return msgf(msg, msg_size, r, "%s: %s", path,
                        n < 0 ? strerror(-r) : "shorter than its size");
        }
        out->log_len += (size_t)n;
    }
    return 0;
}

int ccel_read(const char *acpi_path, uint64_t offset, size_t max, struct ccel_chunk *out,
                  char *msg, size_t msg_size)
{
    char path[4200];
    char *table = NULL;
    size_t table_len;
    int r;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/CCEL", acpi_path);
    r = read_file_bounded(path, CCEL_TABLE_MAX, &table, &table_len);
    if (r < 0) {
        if (r == -ENOENT)
            return msgf(msg, msg_size, r, "%s does not exist: the firmware published no CC event "
                        "log (not a TDX guest?)", path);
        return msgf(msg, msg_size, r, "%s: cannot read: %s", path, strerror(-r));
    }
    if (table_len < CCEL_TABLE_MIN || memcmp(table, "CCEL", 4) != 0) {
        free(table);
        return msgf(msg, msg_size, -EIO, "%s: not a CCEL ACPI table", path);
    }
    out->table = (uint8_t *)table;
    out->table_len = table_len;

    snprintf(path, sizeof(path), "%s/data/CCEL", acpi_path);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = msgf(msg, msg_size, -errno, "%s: cannot read: %s", path, strerror(errno));
        ccel_chunk_done(out);
        return r;
    }
    r = log_slice(fd, path, offset, max, TPM_LOG_MAX, out, msg, msg_size);
    if (r < 0)
        ccel_chunk_done(out);
    return r;
}

int tpm_log_read(const char *path, uint64_t offset, size_t max, struct ccel_chunk *out,
                 char *msg, size_t msg_size)
{
    int r;

    memset(out, 0, sizeof(*out));
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = -errno;
        if (r == -ENOENT)
            return msgf(msg, msg_size, r, "%s does not exist: no TPM event log (no TPM, or "
                        "securityfs not mounted)", path);
        return msgf(msg, msg_size, r, "%s: cannot read: %s", path, strerror(-r));
    }
    r = log_slice(fd, path, offset, max, TPM_LOG_MAX, out, msg, msg_size);
    if (r < 0)
        ccel_chunk_done(out);
    return r;
}

void ccel_chunk_done(struct ccel_chunk *c)
{
    free(c->table);
    free(c->log);
    memset(c, 0, sizeof(*c));
}
