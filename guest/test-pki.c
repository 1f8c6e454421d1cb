/* SPDX-License-Identifier: MIT */
#include "test-pki.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "config.h"
#include "fileio.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "msg.h"
#include "sim-pki.h"
#include "strv.h"

static bool name_ok(const char *s)
{
    return s[0] && s[0] != '.' && strlen(s) <= 64 && chars_all_in(s, "_.-", true);
}

static void remove_staging(const char *dir, char *const *names)
{
    STRV_FOREACH(n, names) {
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, *n);
        unlink(path);
    }
    rmdir(dir);
}

/* The entries of src, checked and sorted; -ENOENT when src is absent. */
static int list_entries(const char *src, char ***out, char *msg, size_t msg_size)
{
    DIR *d = opendir(src);
    struct dirent *e;
    char **names = NULL;
    int r = 0;

    if (!d) {
        r = -errno;
        if (r != -ENOENT)
            msgf(msg, msg_size, r, "%s: %s", src, strerror(-r));
        return r;
    }
    while (r == 0 && (e = readdir(d))) {
        if (streq(e->d_name, ".") || streq(e->d_name, ".."))
            continue;
        if (!name_ok(e->d_name)) {
            r = msgf(msg, msg_size, -EINVAL, "%s: entry \"%.64s\": expected a file name of "
                     "letters, digits and _.- (at most 64 bytes)", src, e->d_name);
        } else if (strv_length(names) >= TEST_PKI_MAX_FILES) {
            r = msgf(msg, msg_size, -E2BIG, "%s: more than %d entries", src, TEST_PKI_MAX_FILES);
        } else if (strv_push(&names, e->d_name) < 0) {
            r = msgf(msg, msg_size, -ENOMEM, "out of memory");
        }
    }
    closedir(d);
    if (r < 0) {
        strv_free(names);
        return r;
    }
    strv_sort_uniq(names);
    *out = names;
    return 0;
}

int test_pki_copy(const char *src, const char *dest, char *msg, size_t msg_size)
{
    char staging[4200], **names = NULL, **written = NULL;
    struct stat st;
    int r = list_entries(src, &names, msg, msg_size);
    size_t n = 0;

    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    if (!names || !names[0]) {
        strv_free(names);
        return 0;
    }
    if (lstat(dest, &st) == 0) {
        strv_free(names);
        return msgf(msg, msg_size, -EEXIST, "%s exists already", dest);
    }
    snprintf(staging, sizeof(staging), "%s.new", dest);
    if (mkdir(staging, 0700) < 0) {
        r = msgf(msg, msg_size, -errno, "cannot create %s: %s", staging, strerror(errno));
        strv_free(names);
        return r;
    }
    STRV_FOREACH(name, names) {
        char from[4400], to[4400], *data = NULL;
        size_t len;
        int fd;

        snprintf(from, sizeof(from), "%s/%s/raw", src, *name);
        snprintf(to, sizeof(to), "%s/%s", staging, *name);
        /* sysfs reports no size for fw_cfg blobs: the read itself is bounded. */
        r = read_file_bounded(from, SIM_PKI_FILE_MAX, &data, &len);
        if (r < 0) {
            msgf(msg, msg_size, r, "%s: %s", from,
                 r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
            break;
        }
        fd = -1;
        r = strv_push(&written, *name);   /* first: a failed write is removed too */
        if (r >= 0 && (fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                                 0600)) < 0)
            r = -errno;
        if (r >= 0)
            r = write_all(fd, data, len);
        if (r >= 0 && fsync(fd) < 0)
            r = -errno;
        if (r < 0)
            msgf(msg, msg_size, r, "cannot write %s: %s", to, strerror(-r));
        if (fd >= 0)
            close(fd);
        explicit_bzero(data, len);   /* the PKI's keys */
        free(data);
        if (r < 0)
            break;
        n++;
    }
    if (r >= 0 && rename(staging, dest) < 0) {
        r = msgf(msg, msg_size, -errno, "cannot rename %s to %s: %s", staging, dest,
                 strerror(errno));
    }
    if (r < 0)
        remove_staging(staging, written);
    strv_free(names);
    strv_free(written);
    return r < 0 ? r : (int)n;
}

int test_pki_select(struct agent_config *c, bool allowed, const char *dest)
{
    char msg[600], src[4096], staging[4200], *provider;
    struct stat st;
    bool blobs;
    int n;

    if ((size_t)snprintf(src, sizeof(src), "%s/%s", c->fw_cfg_path, TEST_PKI_FWCFG_NAME) >=
        sizeof(src)) {
        log_error("test PKI: fw_cfg path too long: %s", c->fw_cfg_path);
        return -ENAMETOOLONG;
    }
    blobs = stat(src, &st) == 0;
    if (!allowed) {
        if (blobs)
            log_warning("ignoring the test PKI in fw_cfg (%s): this image does not enable the "
                        "test provider", src);
        return 0;
    }
    if (strncmp(c->quote_provider, "configfs", 8) != 0)
        return 0;   /* --quote-provider on the command line wins */
    if (!blobs) {
        log_info("the test provider is allowed but no test PKI was handed over in fw_cfg (%s): "
                 "using configfs", src);
        return 0;
    }
    /* The runtime directory may have to be made; a copy left by an earlier
     * start of the daemon (outside systemd, which empties the directory) is
     * replaced by this run's PKI. */
    if ((n = mkdir_parents_at(AT_FDCWD, dest, 0755, NULL)) < 0) {
        log_error("test PKI: cannot create the directory of %s: %s", dest, strerror(-n));
        return n;
    }
    if ((size_t)snprintf(staging, sizeof(staging), "%s.new", dest) >= sizeof(staging))
        return -ENAMETOOLONG;
    if ((n = rm_rf_at(AT_FDCWD, staging)) < 0 || (n = rm_rf_at(AT_FDCWD, dest)) < 0) {
        log_error("test PKI: cannot remove the copy of an earlier start in %s: %s", dest,
                  strerror(-n));
        return n;
    }
    n = test_pki_copy(src, dest, msg, sizeof(msg));
    if (n < 0) {
        log_error("test PKI: %s", msg);
        return n;
    }
    if (n == 0) {
        log_info("the test provider is allowed but the test PKI in fw_cfg (%s) is empty: using "
                 "configfs", src);
        return 0;
    }
    if (asprintf(&provider, "sim:%s", dest) < 0)
        return -ENOMEM;
    free(c->quote_provider);
    c->quote_provider = provider;
    log_warning("TEST quote provider (simulated quotes; this VM proves nothing): %d file(s) of a "
                "test PKI from fw_cfg in %s", n, dest);
    return 0;
}
