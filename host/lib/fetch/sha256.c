/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "error.h"
#include "fetch-internal.h"
#include "hex.h"

struct sha256_stream {
    EVP_MD_CTX *ctx;
};

sha256_stream *sha256_stream_new(void)
{
    sha256_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        sha256_stream_free(s);
        return NULL;
    }
    return s;
}

void sha256_stream_add(sha256_stream *s, const void *data, size_t n)
{
    /* SHA-256 updates cannot fail once initialised with the built-in digest. */
    EVP_DigestUpdate(s->ctx, data, n);
}

void sha256_stream_finish(sha256_stream *s, uint8_t digest[32])
{
    unsigned int len = 32;
    EVP_DigestFinal_ex(s->ctx, digest, &len);
    sha256_stream_free(s);
}

void sha256_stream_finish_hex(sha256_stream *s, char hex[SHA256_HEX_SIZE])
{
    uint8_t d[32];
    sha256_stream_finish(s, d);
    hex_encode(d, sizeof(d), hex);
}

void sha256_stream_free(sha256_stream *s)
{
    if (!s)
        return;
    EVP_MD_CTX_free(s->ctx);
    free(s);
}

void sha256_buffer_hex(const void *data, size_t n, char hex[SHA256_HEX_SIZE])
{
    uint8_t d[32];
    unsigned int len = 32;
    EVP_Digest(data, n, d, &len, EVP_sha256(), NULL);
    hex_encode(d, sizeof(d), hex);
}

int sha256_parse(const char *in, const char *what, char hex[SHA256_HEX_SIZE], tdx_error *err)
{
    const char *p = in;
    size_t n;

    if (isempty(in))
        return tdx_err(err, -EINVAL, "%s: a SHA-256 is required", what);
    if (strncasecmp(p, "sha256:", 7) == 0)
        p += 7;
    n = strlen(p);
    if (n != 64 || strspn(p, "0123456789abcdefABCDEF") != 64)
        return tdx_err(err, -EINVAL, "%s: \"%.80s\" is not a SHA-256 (64 hexadecimal digits, "
                       "optionally prefixed with \"sha256:\")", what, in);
    for (size_t i = 0; i < 64; i++)
        hex[i] = (char)tolower((unsigned char)p[i]);
    hex[64] = '\0';
    return 0;
}

int sha256_stream_add_fd(sha256_stream *s, int fd, uint64_t *size)
{
    static const size_t bufsize = 1 << 20;
    _cleanup_free_ char *buf = malloc(bufsize);
    uint64_t total = 0;

    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n = read(fd, buf, bufsize);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        sha256_stream_add(s, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (size)
        *size = total;
    return 0;
}

int sha256_file(const char *path, char hex[SHA256_HEX_SIZE], uint64_t *size, tdx_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    sha256_stream *s;
    struct stat st;
    int r;

    if (fd < 0)
        return tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno, "%s: cannot read: %s",
                           path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return tdx_err(err, -EINVAL, "%s: not a regular file", path);
    s = sha256_stream_new();
    if (!s)
        return tdx_err_oom(err);
    r = sha256_stream_add_fd(s, fd, size);
    if (r < 0) {
        sha256_stream_free(s);
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "%s: cannot read: %s", path,
                           strerror(-r));
    }
    sha256_stream_finish_hex(s, hex);
    return 0;
}
