/* SPDX-License-Identifier: MIT */
/*
 * Collateral from a PCS or PCCS base URL with Intel's v4 API:
 *
 *   GET /sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der
 *       body: DER CRL; header SGX-PCK-CRL-Issuer-Chain
 *   GET /tdx/certification/v4/tcb?fmspc=HEX
 *       body: {"tcbInfo":..., "signature":...}; header TCB-Info-Issuer-Chain
 *   GET /tdx/certification/v4/qe/identity
 *       body: {"enclaveIdentity":..., "signature":...};
 *       header SGX-Enclave-Identity-Issuer-Chain
 *   GET /sgx/certification/v4/rootcacrl (PCCS; hex or DER), else the CRL
 *       distribution point of the trusted root (Intel's PCS has no such path)
 *
 * Issuer chains arrive URL-encoded in the headers. Nothing fetched is
 * trusted: it all goes through the same checks as files. With a cache
 * directory the responses are stored as files (a valid --collateral
 * directory) and reused while every part is inside its validity window.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "staging.h"
#include "error.h"
#include "fileio.h"
#include "hex.h"
#include "pki.h"
#include "strbuf.h"
#include "verify-internal.h"

struct response {
    strbuf body;
    strbuf headers;
    long status;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct response *r = userdata;
    if (r->body.len + size * n > COLLATERAL_FILE_MAX || strbuf_append(&r->body, data, size * n) < 0)
        return 0;
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    struct response *r = userdata;
    if (r->headers.len + size * n > 256 * 1024 || strbuf_append(&r->headers, data, size * n) < 0)
        return 0;
    return size * n;
}

static int curl_errno(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return -EHOSTUNREACH;
    case CURLE_OUT_OF_MEMORY: return -ENOMEM;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED: return -EFBIG;
    default: return -EIO;
    }
}

static int http_get(const tdx_verifier *v, const char *url, struct response *resp, tdx_error *err)
{
    CURL *curl = curl_easy_init();
    char curl_msg[CURL_ERROR_SIZE] = "";
    CURLcode c;

    if (!curl)
        return tdx_err_oom(err);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, v->timeout);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)COLLATERAL_FILE_MAX);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "libtdxhost");
    c = curl_easy_perform(curl);
    if (c == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_cleanup(curl);
    if (c != CURLE_OK)
        return tdx_err_lib(err, curl_errno(c), TDX_ERROR_LIBRARY_CURL, c, "GET %s: %s", url,
                           curl_msg[0] ? curl_msg : curl_easy_strerror(c));
    if (strbuf_error(&resp->body) || strbuf_error(&resp->headers))
        return tdx_err_oom(err);
    if (resp->status != 200)
        return tdx_err(err, resp->status == 404 ? -ENOENT : -EIO, "GET %s: HTTP %ld", url, resp->status);
    return 0;
}

static int unhex(char c)
{
    uint8_t b;
    char s[3] = { '0', c, '\0' };
    return hex_decode(s, &b, 1) == 1 ? b : -1;
}

/* The value of a response header (case-insensitive name), %-decoded. */
static char *header_value(const struct response *resp, const char *name)
{
    const char *h = strbuf_str(&resp->headers);
    size_t n = strlen(name);

    for (const char *line = h; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        const char *v, *end;
        strbuf out = STRBUF_INIT;
        if (strncasecmp(line, name, n) != 0 || line[n] != ':')
            continue;
        for (v = line + n + 1; *v == ' ' || *v == '\t'; v++)
            ;
        for (end = v; *end && *end != '\r' && *end != '\n'; end++)
            ;
        for (const char *p = v; p < end; p++) {
            int hi, lo;
            if (*p == '%' && end - p >= 3 && (hi = unhex(p[1])) >= 0 && (lo = unhex(p[2])) >= 0) {
                strbuf_putc(&out, (char)(hi << 4 | lo));
                p += 2;
            } else {
                strbuf_putc(&out, *p);
            }
        }
        return strbuf_error(&out) ? (strbuf_free(&out), NULL) : strbuf_steal(&out, NULL);
    }
    return NULL;
}

struct fetched_file {
    const char *name;       /* file name in the cache directory */
    strbuf data;
};

enum { F_PCKCRL, F_PCKCRL_CHAIN, F_TCB, F_TCB_CHAIN, F_QE, F_QE_CHAIN, F_ROOTCRL, F_COUNT };

static int take(struct fetched_file *f, struct response *resp, const char *header, const char *header2,
                struct fetched_file *chain, const char *url, tdx_error *err)
{
    f->data = resp->body;
    resp->body = (strbuf)STRBUF_INIT;
    if (!header)
        return 0;
    _cleanup_free_ char *v = header_value(resp, header);
    if (!v && header2)
        v = header_value(resp, header2);
    if (!v)
        return tdx_err(err, -EBADMSG, "GET %s: no %s header", url, header);
    strbuf_puts(&chain->data, v);
    return strbuf_error(&chain->data) ? tdx_err_oom(err) : 0;
}

static int root_crl_url(X509 *root, char *buf, size_t size)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(root, NID_crl_distribution_points, NULL, NULL);
    int found = -ENOENT;

    for (int i = 0; found < 0 && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        for (int j = 0; found < 0 && j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
            if (g->type == GEN_URI) {
                snprintf(buf, size, "%.*s", ASN1_STRING_length(g->d.uniformResourceIdentifier),
                         (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
                found = 0;
            }
        }
    }
    CRL_DIST_POINTS_free(dps);
    return found;
}

static int fetch_all(const tdx_verifier *v, const char *fmspc, const char *ca, struct fetched_file *files,
                     tdx_error *err)
{
    static const struct {
        int file, chain;
        const char *header, *header2;
    } gets[] = {
        { F_PCKCRL, F_PCKCRL_CHAIN, "SGX-PCK-CRL-Issuer-Chain", NULL },
        { F_TCB, F_TCB_CHAIN, "TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain" },
        { F_QE, F_QE_CHAIN, "SGX-Enclave-Identity-Issuer-Chain", NULL },
    };
    char url[2048], base[1024];
    size_t n;
    int r = 0;

    snprintf(base, sizeof(base), "%s", v->pccs_url);
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    for (size_t i = 0; r >= 0 && i < ELEMENTSOF(gets); i++) {
        struct response resp = { STRBUF_INIT, STRBUF_INIT, 0 };
        if (i == 0)
            snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, ca);
        else if (i == 1)
            snprintf(url, sizeof(url), "%s/tdx/certification/v4/tcb?fmspc=%s", base, fmspc);
        else
            snprintf(url, sizeof(url), "%s/tdx/certification/v4/qe/identity", base);
        r = http_get(v, url, &resp, err);
        if (r >= 0)
            r = take(&files[gets[i].file], &resp, gets[i].header, gets[i].header2, &files[gets[i].chain], url, err);
        strbuf_free(&resp.body);
        strbuf_free(&resp.headers);
    }
    if (r < 0)
        return r;
    /* A PCCS serves the root CA CRL itself; Intel's PCS leaves it to the
     * root certificate's distribution point. */
    struct response resp = { STRBUF_INIT, STRBUF_INIT, 0 };
    snprintf(url, sizeof(url), "%s/sgx/certification/v4/rootcacrl", base);
    r = http_get(v, url, &resp, err);
    if (r == -ENOENT && root_crl_url(v->root, url, sizeof(url)) == 0) {
        strbuf_free(&resp.body);
        strbuf_free(&resp.headers);
        resp = (struct response){ STRBUF_INIT, STRBUF_INIT, 0 };
        r = http_get(v, url, &resp, err);
    }
    if (r >= 0)
        r = take(&files[F_ROOTCRL], &resp, NULL, NULL, NULL, url, err);
    strbuf_free(&resp.body);
    strbuf_free(&resp.headers);
    return r;
}

static int write_file(int dir, const char *dir_name, const char *name, const strbuf *data, tdx_error *err)
{
    _cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int r;

    if (fd < 0)
        return tdx_err(err, -errno, "%s/%s: cannot create: %s", dir_name, name, strerror(errno));
    r = write_all(fd, data->data ? data->data : "", data->len);
    if (r < 0)
        return tdx_err(err, r, "%s/%s: cannot write: %s", dir_name, name, strerror(-r));
    return 0;
}

/* Replaces cache_dir/name with the fetched files, through a temporary
 * sibling and rename, so readers never see half a set. */
static int store(const char *cache_dir, const char *name, struct fetched_file *files, tdx_error *err)
{
    struct staging stage = STAGING_INIT;
    char tmp[PATH_MAX], dst[PATH_MAX];
    int r = 0;

    /* A default cache directory (~/.cache/...) may not exist yet. */
    r = mkdir_p(cache_dir, 0755);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot create: %s", cache_dir, strerror(-r));
    r = staging_create(&stage, cache_dir, name, err);
    if (r < 0)
        return r;
    snprintf(tmp, sizeof(tmp), "%s/%s", cache_dir, stage.name);
    snprintf(dst, sizeof(dst), "%s/%s", cache_dir, name);
    _cleanup_close_ int dfd = openat(stage.parent_fd, stage.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        r = tdx_err(err, -errno, "%s: cannot open: %s", tmp, strerror(errno));
    for (int i = 0; r >= 0 && i < F_COUNT; i++)
        r = write_file(dfd, tmp, files[i].name, &files[i].data, err);
    if (r >= 0 && renameat2(stage.parent_fd, stage.name, stage.parent_fd, name, RENAME_NOREPLACE) == 0) {
        staging_done(&stage);
        return 0;
    }
    /* The old set stays until the new one is in place: swap, then the old
     * one, now under the staging name, goes. */
    if (r >= 0 && (errno == ENOTEMPTY || errno == EEXIST) &&
        renameat2(stage.parent_fd, stage.name, stage.parent_fd, name, RENAME_EXCHANGE) == 0) {
        staging_remove(&stage);
        return 0;
    }
    if (r >= 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* No renameat2 flags on this file system: move the old set aside
         * (under a name a later run removes if this one dies), then in. */
        char old[PATH_MAX];
        snprintf(old, sizeof(old), "%s.old", stage.name);
        if ((renameat(stage.parent_fd, name, stage.parent_fd, old) == 0 || errno == ENOENT) &&
            renameat(stage.parent_fd, stage.name, stage.parent_fd, name) == 0) {
            rm_rf_at(stage.parent_fd, old);
            staging_done(&stage);
            return 0;
        }
        int e = errno;
        renameat(stage.parent_fd, old, stage.parent_fd, name);
        errno = e;
    }
    if (r >= 0)
        r = tdx_err(err, -errno, "%s: cannot replace: %s", dst, strerror(errno));
    staging_remove(&stage);
    return r;
}

static bool has_everything(const struct collateral *c, const uint8_t fmspc[6])
{
    return collateral_tcb_info(c, fmspc) && c->qe_identity && c->tcb_chain && c->root_crl && c->pck_crls.n > 0;
}

int collateral_fetch(tdx_verifier *v, const struct pck_ext *ext, const char *ca, int64_t now,
                     struct collateral **out, tdx_error *err)
{
    struct fetched_file files[F_COUNT] = {
        [F_PCKCRL] = { "pckcrl.der", STRBUF_INIT },
        [F_PCKCRL_CHAIN] = { "pckcrl-issuer-chain.pem", STRBUF_INIT },
        [F_TCB] = { "tcbinfo.json", STRBUF_INIT },
        [F_TCB_CHAIN] = { "tcbinfo-issuer-chain.pem", STRBUF_INIT },
        [F_QE] = { "qeidentity.json", STRBUF_INIT },
        [F_QE_CHAIN] = { "qeidentity-issuer-chain.pem", STRBUF_INIT },
        [F_ROOTCRL] = { "rootcrl.der", STRBUF_INIT },
    };
    char fmspc[13], upper[13], name[64], origin[1200], path[PATH_MAX];
    struct collateral *c = NULL;
    int r = 0;

    if (!ca)
        return tdx_err(err, -EBADMSG, "cannot tell from the intermediate CA's name whether to fetch the platform or the processor PCK CRL");
    hex_encode(ext->fmspc, 6, fmspc);
    /* Intel writes FMSPCs in upper case, and a PCCS looks them up as such. */
    for (int i = 0; i < 13; i++)
        upper[i] = (char)toupper((unsigned char)fmspc[i]);
    snprintf(name, sizeof(name), "%s-%s", fmspc, ca);
    if (v->cache_dir) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", v->cache_dir, name);
        if (stat(path, &st) == 0 && collateral_load(path, v->root, &c, NULL) == 0) {
            if (has_everything(c, ext->fmspc) && collateral_current(c, now)) {
                *out = c;
                return 0;
            }
            collateral_free(c);
            c = NULL;
        }
    }
    r = fetch_all(v, upper, ca, files, err);
    if (r >= 0) {
        snprintf(origin, sizeof(origin), "%s (FMSPC %s, %s CA)", v->pccs_url, fmspc, ca);
        c = collateral_new(origin);
        if (!c)
            r = tdx_err_oom(err);
    }
    for (int i = 0; r >= 0 && i < F_COUNT; i++) {
        snprintf(path, sizeof(path), "%s: %s", v->pccs_url, files[i].name);
        r = collateral_add_file(c, path, strbuf_str(&files[i].data), files[i].data.len, v->root, err);
    }
    if (r >= 0 && v->cache_dir)
        r = store(v->cache_dir, name, files, err);
    for (int i = 0; i < F_COUNT; i++)
        strbuf_free(&files[i].data);
    if (r < 0) {
        collateral_free(c);
        return r;
    }
    *out = c;
    return 0;
}
