/* SPDX-License-Identifier: MIT */
/* Sender key files (docs/secrets.md): one line, the X25519 private key in
 * base64, mode 0600. Made and read here so the CLI only prints. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "error.h"
#include "fileio.h"
#include "hpke.h"
#include "macro.h"
#include "sender-key.h"
#include "tdxhost/secrets.h"

#define KEY_FILE_MAX 4096

static int public_text(const uint8_t sk[HPKE_NSK], char **out, tdx_error *err)
{
    uint8_t pk[HPKE_NPK];
    char *text = malloc(SENDER_KEY_BASE64_LEN + 1);

    if (!text)
        return tdx_err_oom(err);
    if (hpke_public_key(sk, pk) < 0) {
        free(text);
        return tdx_err(err, -EIO, "cannot compute the public key (OpenSSL error)");
    }
    base64_encode(pk, sizeof(pk), text);
    *out = text;
    return 0;
}

int tdx_sender_key_generate(const char *path, char **public_key, tdx_error *err)
{
    uint8_t sk[HPKE_NSK], pk[HPKE_NPK];
    char line[SENDER_KEY_BASE64_LEN + 2];
    int fd, r;

    tdx_check_arg(path, err);
    tdx_check_arg(public_key, err);
    if (hpke_keypair_generate(sk, pk) < 0)
        return tdx_err(err, -EIO, "no random bytes for a key");
    base64_encode(sk, sizeof(sk), line);
    line[SENDER_KEY_BASE64_LEN] = '\n';
    line[SENDER_KEY_BASE64_LEN + 1] = '\0';
    /* O_EXCL: a key is never overwritten; 0600 from the start. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        r = -errno;
        OPENSSL_cleanse(sk, sizeof(sk));
        OPENSSL_cleanse(line, sizeof(line));
        return tdx_err(err, r, "%s: %s", path, r == -EEXIST ? "exists; a key file is never "
                       "replaced" : strerror(-r));
    }
    r = write_close_synced(fd, line, SENDER_KEY_BASE64_LEN + 1, 0600);
    OPENSSL_cleanse(line, sizeof(line));
    if (r < 0) {
        unlink(path);
        OPENSSL_cleanse(sk, sizeof(sk));
        return tdx_err(err, r, "%s: cannot write: %s", path, strerror(-r));
    }
    r = public_text(sk, public_key, err);
    OPENSSL_cleanse(sk, sizeof(sk));
    return r;
}

int tdx_sender_key_load(const char *path, unsigned char key[TDX_SENDER_KEY_SIZE], tdx_error *err)
{
    char *text = NULL;
    struct stat st;
    size_t len = 0;
    int fd, r;

    tdx_check_arg(path, err);
    tdx_check_arg(key, err);
    fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return tdx_err(err, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tdx_err(err, -EINVAL, "%s: not a regular file", path);
    }
    if (st.st_mode & 0077) {
        close(fd);
        return tdx_err(err, -EPERM, "%s: readable by others (mode %04o): a sender key must be "
                       "mode 0600 (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
    }
    r = read_fd_bounded(fd, KEY_FILE_MAX, &text, &len);
    close(fd);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    r = len == SENDER_KEY_BASE64_LEN &&
                base64_decode(text, len, key, TDX_SENDER_KEY_SIZE) == TDX_SENDER_KEY_SIZE
            ? 0 : tdx_err(err, -EINVAL, "%s: not a sender key file (expected one line: 32 bytes "
                          "in base64, as `tdxctl secrets keygen` writes)", path);
    OPENSSL_cleanse(text, len);
    free(text);
    return r;
}

int tdx_sender_key_public(const unsigned char key[TDX_SENDER_KEY_SIZE], char **public_key,
                          tdx_error *err)
{
    tdx_check_arg(key, err);
    tdx_check_arg(public_key, err);
    return public_text(key, public_key, err);
}
