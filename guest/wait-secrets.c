/* SPDX-License-Identifier: MIT */
#include "wait-secrets.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-core.h"
#include "log.h"
#include "macro.h"
#include "manifest.h"
#include "strbuf.h"

#define POLL_MS 1000   /* also catches the ready file's directory appearing */

/* The required secrets whose destination is not a regular file, as a list
 * of names; returns how many. */
static size_t missing(const struct manifest *m, const char *root, strbuf *names)
{
    size_t n = 0;
    strbuf_truncate(names, 0);
    for (size_t i = 0; i < m->n; i++) {
        char path[8400];
        struct stat st;
        if (!m->secrets[i].required)
            continue;
        snprintf(path, sizeof(path), "%s%s", root, m->secrets[i].dest);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            continue;
        strbuf_printf(names, "%s%s", n ? ", " : "", m->secrets[i].name);
        n++;
    }
    return n;
}

static int watch_dir(int ifd, const char *file)
{
    char dir[4096];
    const char *slash = strrchr(file, '/');
    size_t n = slash && slash != file ? (size_t)(slash - file) : 1;
    if (n >= sizeof(dir))
        return -1;
    memcpy(dir, file, n);
    dir[n] = '\0';
    return inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
                                           IN_DELETE_SELF | IN_MOVE_SELF);
}

int wait_secrets(const struct agent_config *c, unsigned timeout_s)
{
    const char *manifest_path = c->manifest ? c->manifest : AGENT_MANIFEST_PATH;
    const char *root = c->root_dir ? c->root_dir : "";
    strbuf names = STRBUF_INIT, last = STRBUF_INIT;
    uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0;
    struct manifest *m = NULL;
    char msg[600];
    int ifd, watch = -1, rc = EXIT_FAILURE;
    bool said = false;

    if (manifest_load(manifest_path, &m, msg, sizeof(msg)) < 0) {
        log_error("%s", msg);
        return EXIT_FAILURE;
    }
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    for (;;) {
        bool ready;
        size_t n;
        uint64_t now;

        if (ifd >= 0 && watch < 0)
            watch = watch_dir(ifd, c->ready_file);
        ready = access(c->ready_file, F_OK) == 0;
        n = missing(m, root, &names);
        if (ready && n == 0) {
            log_info("the agent reports every required secret present (%zu)", m->n_required);
            rc = EXIT_SUCCESS;
            break;
        }
        if (!said || !streq(strbuf_str(&names), strbuf_str(&last))) {
            if (ready)
                log_warning("the agent reports ready, but required secrets are not on disk: %s; "
                            "waiting", strbuf_str(&names));
            else
                log_info("waiting for the agent to have every required secret%s%s", n ? "; not "
                         "on disk yet: " : "", strbuf_str(&names));
            strbuf_truncate(&last, 0);
            strbuf_puts(&last, strbuf_str(&names));
            said = true;
        }
        now = now_ms();
        if (deadline && now >= deadline) {
            log_error("gave up after %u s: required secrets missing: %s", timeout_s,
                      n ? strbuf_str(&names) : "(none on disk is missing, but the agent never "
                      "reported ready)");
            break;
        }
        {
            struct pollfd p = { ifd, POLLIN, 0 };
            int wait = POLL_MS;
            if (deadline && deadline - now < (uint64_t)wait)
                wait = (int)(deadline - now);
            if (ifd < 0 || poll(&p, 1, wait) < 0)
                usleep((useconds_t)wait * 1000);
            else if (p.revents & POLLIN) {
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                ssize_t k;
                while ((k = read(ifd, buf, sizeof(buf))) > 0)
                    for (char *q = buf; q < buf + k;) {
                        const struct inotify_event *ev = (const struct inotify_event *)q;
                        if (ev->mask & IN_IGNORED)
                            watch = -1;   /* the directory went away: watch again */
                        q += sizeof(*ev) + ev->len;
                    }
            }
        }
    }
    if (ifd >= 0)
        close(ifd);
    strbuf_free(&names);
    strbuf_free(&last);
    manifest_free(m);
    return rc;
}
