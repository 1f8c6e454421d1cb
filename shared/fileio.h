/* SPDX-License-Identifier: MIT */
#ifndef TDX_SHARED_FILEIO_H
#define TDX_SHARED_FILEIO_H

#include <stddef.h>

/*
 * Reads a whole regular file into a NUL-terminated heap buffer.
 * Returns 0, -EFBIG if the file holds more than max bytes, -EISDIR/-EINVAL if
 * it is not a regular file, or the negative errno of the failed call.
 * *ret is set only on success (free() it).
 */
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len);

/* Same, from an open descriptor (read from its current offset). */
int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len);

/* write() until everything is written, retrying on EINTR. */
int write_all(int fd, const void *data, size_t n);

/* Writes data to fd, gives it mode (fchmod: the descriptor, not a name),
 * fsyncs and closes it, closing it whatever fails. Returns 0 or a negative
 * errno. */
int write_close_synced(int fd, const void *data, size_t n, unsigned mode);

/*
 * Replaces path with data atomically: a temporary file in the same
 * directory is written, synced, given mode and renamed over path. On
 * failure path is unchanged and no temporary file is left. Returns 0 or a
 * negative errno.
 */
int write_file_atomic(const char *path, const void *data, size_t n, unsigned mode);

#endif
