/* SPDX-License-Identifier: MIT */
/* tdx_secrets: the values a push seals, read from files or added one by one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "macro.h"
#include "secrets-internal.h"

int tdx_secrets_new(tdx_secrets **out, tdx_error *err)
{
    tdx_check_arg(out, err);
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : tdx_err_oom(err);
}

void tdx_secrets_free(tdx_secrets *secrets)
{
    if (!secrets)
        return;
    secret_set_wipe(&secrets->set);
    free(secrets);
}

int tdx_secrets_add(tdx_secrets *secrets, const char *name, const char *value, size_t len,
                    tdx_error *err)
{
    char msg[400];
    int r;

    tdx_check_arg(secrets, err);
    tdx_check_arg(name, err);
    tdx_check_arg(value || len == 0, err);
    r = secret_set_add(&secrets->set, name, value ? value : "", len, msg, sizeof(msg));
    return r < 0 ? tdx_err(err, r, "%s", msg) : 0;
}

size_t tdx_secrets_count(const tdx_secrets *secrets)
{
    return secrets ? secrets->set.n : 0;
}

const char *tdx_secrets_name(const tdx_secrets *secrets, size_t index)
{
    return secrets && index < secrets->set.n ? secrets->set.items[index].name : NULL;
}

/* The whole file in one buffer of its exact size, so no partial copy is
 * left behind by growing a buffer. */
static int read_exact(const char *path, char **out, size_t *len, tdx_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    size_t got = 0;
    char *buf;

    if (fd < 0)
        return tdx_err(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0)
        return tdx_err(err, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tdx_err(err, -EINVAL, "%s: not a regular file", path);
    if (st.st_size > SECRET_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", path, SECRET_FILE_MAX);
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return tdx_err_oom(err);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int r = n < 0 ? -errno : -EIO;
            secret_buffer_free(buf, (size_t)st.st_size + 1);
            return tdx_err(err, r, "%s: %s", path, n < 0 ? strerror(-r) : "changed while read");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

int tdx_secrets_load_file(tdx_secrets **out, const char *path, tdx_error *err)
{
    tdx_secrets *s;
    char *text = NULL, msg[512];
    size_t len = 0, i = 0;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    r = read_exact(path, &text, &len, err);
    if (r < 0)
        return r;
    s = calloc(1, sizeof(*s));
    if (!s) {
        secret_buffer_free(text, len + 1);
        return tdx_err_oom(err);
    }
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i < len && text[i] == '{')
        r = secret_set_parse_json(path, text, len, true, &s->set, msg, sizeof(msg));
    else
        r = secret_set_parse_env(path, text, len, &s->set, msg, sizeof(msg));
    secret_buffer_free(text, len + 1);
    if (r < 0) {
        tdx_secrets_free(s);
        return tdx_err(err, r, "%s", msg);
    }
    *out = s;
    return 0;
}
