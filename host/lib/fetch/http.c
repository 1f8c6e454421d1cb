/* SPDX-License-Identifier: MIT */
/* libcurl transfers with the limits every download gets: protocols,
 * redirects, connect and stall timeouts, a size limit, progress. */
#define _FILE_OFFSET_BITS 64
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>

#include "error.h"
#include "fetch-internal.h"
#include "fileio.h"
#include "version.h"

#define DEFAULT_MAX_SIZE (16ULL << 30)

int fetch_conf_init(struct fetch_conf *conf, const tdx_fetch_options *opts, const char *fn,
                    tdx_error *err)
{
    tdx_fetch_options defaults = TDX_FETCH_OPTIONS_INIT;

    if (!opts)
        opts = &defaults;
    if (tdx_check_options_version(opts->version, TDX_FETCH_OPTIONS_VERSION, fn, err) < 0)
        return -EINVAL;
    if ((opts->max_size != TDX_UNSET && opts->max_size <= 0) ||
        (opts->max_redirects != TDX_UNSET && opts->max_redirects < 0) ||
        (opts->connect_timeout != TDX_UNSET && opts->connect_timeout <= 0) ||
        (opts->stall_timeout != TDX_UNSET && opts->stall_timeout <= 0) ||
        (opts->timeout != TDX_UNSET && opts->timeout < 0))
        return tdx_err(err, -EINVAL, "%s: invalid limit in tdx_fetch_options", fn);
    *conf = (struct fetch_conf){
        .cache_dir = opts->cache_dir,
        .max_size = opts->max_size == TDX_UNSET ? DEFAULT_MAX_SIZE : (uint64_t)opts->max_size,
        .max_redirects = opts->max_redirects == TDX_UNSET ? 10 : opts->max_redirects,
        .connect_timeout = opts->connect_timeout == TDX_UNSET ? 30 : opts->connect_timeout,
        .stall_timeout = opts->stall_timeout == TDX_UNSET ? 60 : opts->stall_timeout,
        .timeout = opts->timeout == TDX_UNSET ? 0 : opts->timeout,
        .offline = opts->offline == 1,
        .verify_cached = opts->verify_cached == 1,
        .output = opts->output,
        .progress = opts->progress,
        .progress_data = opts->progress_data,
    };
    return 0;
}

int url_check(const char *url, tdx_error *err)
{
    static const char *const schemes[] = { "https://", "http://", "file://" };

    if (isempty(url))
        return tdx_err(err, -EINVAL, "no URL given");
    for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0 && url[strlen(schemes[i])])
            return strpbrk(url, " \t\r\n") ? tdx_err(err, -EINVAL, "%s: URL contains white space", url)
                                           : 0;
    return tdx_err(err, -EINVAL, "%s: not an https://, http:// or file:// URL", url);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    /* Never cleaned up: the library cannot know when its last user is done. */
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
    const char *url;
    const struct fetch_conf *conf;
    /* Exactly one of pipe (file: hashed and written by a worker) and mem. */
    struct pipeline *pipe;
    strbuf *mem;
    uint64_t max, size;
    int failed;          /* negative errno of the callback's own failure */
    bool cancelled;
};

static size_t on_data(char *data, size_t one, size_t n, void *userdata)
{
    struct sink *s = userdata;
    size_t len = one * n;
    int r;

    if (s->size + len > s->max) {
        s->failed = -EFBIG;
        return 0;
    }
    r = s->mem ? strbuf_append(s->mem, data, len) : pipeline_push(s->pipe, data, len);
    if (r < 0) {
        s->failed = r;
        return 0;
    }
    s->size += len;
    return len;
}

static int on_progress(void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
    struct sink *s = userdata;
    (void)ut;
    (void)un;
    if (s->conf->progress &&
        s->conf->progress(s->conf->progress_data, s->url, (uint64_t)now, (uint64_t)total) != 0) {
        s->cancelled = true;
        return 1;
    }
    return 0;
}

static int curl_failure(CURL *h, CURLcode rc, const struct sink *s, const char *detail,
                        tdx_error *err)
{
    const char *url = s->url;
    long status = 0;
    curl_off_t expected = -1;

    switch (rc) {
    case CURLE_HTTP_RETURNED_ERROR:
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        return tdx_err_lib(err, status == 404 || status == 410 ? -ENOENT : -EPROTO,
                           TDX_ERROR_LIBRARY_CURL, rc, "%s: HTTP %ld", url, status);
    case CURLE_FILE_COULDNT_READ_FILE:
        return tdx_err_lib(err, -ENOENT, TDX_ERROR_LIBRARY_CURL, rc, "%s: cannot read: %s", url,
                           detail);
    case CURLE_OPERATION_TIMEDOUT:
        return tdx_err_lib(err, -ETIMEDOUT, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: timed out after %llu bytes (connect %lds, stall %lds%s): %s", url,
                           (unsigned long long)s->size, s->conf->connect_timeout,
                           s->conf->stall_timeout, s->conf->timeout ? ", total limit" : "",
                           detail);
    case CURLE_TOO_MANY_REDIRECTS:
        return tdx_err_lib(err, -ELOOP, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: more than %ld redirects", url, s->conf->max_redirects);
    case CURLE_PARTIAL_FILE:
        curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
        return tdx_err_lib(err, -EPROTO, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: truncated: received %llu of %lld bytes", url,
                           (unsigned long long)s->size, (long long)expected);
    case CURLE_FILESIZE_EXCEEDED:
        return tdx_err_lib(err, -EFBIG, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: larger than the limit of %llu bytes", url,
                           (unsigned long long)s->max);
    case CURLE_WRITE_ERROR:
        if (s->failed == -EFBIG)
            return tdx_err_lib(err, -EFBIG, TDX_ERROR_LIBRARY_CURL, rc,
                               "%s: larger than the limit of %llu bytes", url,
                               (unsigned long long)s->max);
        return tdx_err_lib(err, s->failed ? s->failed : -EIO, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: cannot store the download: %s", url,
                           strerror(s->failed ? -s->failed : EIO));
    case CURLE_ABORTED_BY_CALLBACK:
        return tdx_err_lib(err, -ECANCELED, TDX_ERROR_LIBRARY_CURL, rc, "%s: cancelled", url);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return tdx_err_lib(err, -EHOSTUNREACH, TDX_ERROR_LIBRARY_CURL, rc, "%s: %s", url, detail);
    case CURLE_COULDNT_CONNECT:
        return tdx_err_lib(err, -ECONNREFUSED, TDX_ERROR_LIBRARY_CURL, rc, "%s: %s", url, detail);
    case CURLE_OUT_OF_MEMORY:
        return tdx_err_oom(err);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_CURL, rc,
                           "%s: protocol not allowed (redirects may lead to http and https only): %s",
                           url, detail);
    default:
        return tdx_err_lib(err, -EPROTO, TDX_ERROR_LIBRARY_CURL, rc, "%s: %s", url, detail);
    }
}

static int transfer(const char *url, struct sink *s, tdx_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    const struct fetch_conf *c = s->conf;
    CURLcode rc;
    CURL *h;
    int r = 0;

    r = url_check(url, err);
    if (r < 0)
        return r;
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK)
        return tdx_err_lib(err, -EIO, TDX_ERROR_LIBRARY_CURL, curl_init_result,
                           "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_result));
    h = curl_easy_init();
    if (!h)
        return tdx_err_oom(err);

#define SET(opt, val) (rc == CURLE_OK ? (rc = curl_easy_setopt(h, opt, val)) : rc)
    rc = CURLE_OK;
    SET(CURLOPT_URL, url);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, c->max_redirects > 0 ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, c->max_redirects);
    SET(CURLOPT_FAILONERROR, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, c->stall_timeout);
    SET(CURLOPT_TIMEOUT, c->timeout);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    SET(CURLOPT_BUFFERSIZE, 512L * 1024);
    SET(CURLOPT_USERAGENT, "libtdxhost/" TDXHOST_VERSION);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, s);
    SET(CURLOPT_NOPROGRESS, c->progress ? 0L : 1L);
#undef SET
    if (rc != CURLE_OK) {
        r = tdx_err_lib(err, -EIO, TDX_ERROR_LIBRARY_CURL, rc, "%s: cannot set up libcurl: %s",
                        url, curl_easy_strerror(rc));
    } else {
        rc = curl_easy_perform(h);
        if (rc != CURLE_OK)
            r = curl_failure(h, rc, s, errbuf[0] ? errbuf : curl_easy_strerror(rc), err);
        else if (c->progress && c->progress(c->progress_data, url, s->size, s->size) != 0)
            r = tdx_err(err, -ECANCELED, "%s: cancelled", url);
    }
    curl_easy_cleanup(h);
    return r;
}

int http_to_fd(const char *url, int fd, sha256_stream *sha, const struct fetch_conf *conf,
               uint64_t *size, tdx_error *err)
{
    struct sink s = { .url = url, .conf = conf, .max = conf->max_size };
    int r = pipeline_start(&s.pipe, fd, sha), q;

    if (r < 0)
        return tdx_err(err, r, "%s: cannot start the download: %s", url, strerror(-r));
    r = transfer(url, &s, err);
    q = pipeline_finish(s.pipe, r >= 0);
    if (r >= 0 && q < 0)
        r = tdx_err_lib(err, q, TDX_ERROR_LIBRARY_ERRNO, -q, "%s: cannot store the download: %s",
                        url, strerror(-q));
    if (r >= 0 && fdatasync(fd) < 0)
        r = tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno,
                        "%s: cannot write the download to disk: %s", url, strerror(errno));
    if (r >= 0 && size)
        *size = s.size;
    return r;
}

int http_to_memory(const char *url, const struct fetch_conf *conf, size_t max, char **data,
                   size_t *len, tdx_error *err)
{
    strbuf mem = STRBUF_INIT;
    struct sink s = { .url = url, .conf = conf, .mem = &mem,
                      .max = max < conf->max_size ? max : conf->max_size };
    int r = transfer(url, &s, err);

    if (r < 0) {
        strbuf_free(&mem);
        return r;
    }
    /* An empty body still gives a string. */
    if (strbuf_putc(&mem, '\0') < 0) {
        strbuf_free(&mem);
        return tdx_err_oom(err);
    }
    *len = s.size;
    *data = strbuf_steal(&mem, NULL);
    return 0;
}
