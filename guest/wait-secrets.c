/* SPDX-License-Identifier: MIT */
#include "wait-secrets.h"

#include <errno.h>
#include <fcntl.h>
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
#include "root-fs.h"
#include "secrets-store.h"
#include "strbuf.h"

#define POLL_MS 1000   /* also catches the ready file's directory appearing */

/* The required secrets the agent would not count as delivered (the same
 * check, through the same resolver: a link in the root does not make a
 * secret present), as a list of names; returns how many. */
static size_t missing(const struct manifest *m, const char *root, bool *present, strbuf *names)
{
    size_t n = 0;
    strbuf_truncate(names, 0);
    store_check(root, m, present);
    for (size_t i = 0; i < m->n; i++) {
        if (!m->secrets[i].required || present[i])
            continue;
        strbuf_printf(names, "%s%s", n ? ", " : "", m->secrets[i].name);
        n++;
    }
    return n;
}

/* The agent's ready file: a regular file reached without a symbolic link,
 * as the agent writes it; a link planted there does not count. */
static bool ready_file_there(const char *path)
{
    struct root_fs rfs;
    struct stat st;
    char dir[4096];
    bool ok = false;
    int fd;

    if (root_fs_dir_of(path, dir, sizeof(dir)) < 0 || root_fs_open(&rfs, "/", ROOT_FS_NO_SYMLINKS) < 0)
        return false;
    fd = root_fs_open_dir(&rfs, dir, false, NULL);
    if (fd >= 0) {
        ok = fstatat(fd, strrchr(path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
             S_ISREG(st.st_mode);
        close(fd);
    }
    root_fs_close(&rfs);
    return ok;
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
    const char *root = c->root_dir ? c->root_dir : "/";
    strbuf names = STRBUF_INIT, last = STRBUF_INIT;
    uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0;
    struct manifest *m = NULL;
    bool *present = NULL;
    char msg[600];
    int ifd, watch = -1, rc = EXIT_FAILURE;
    bool said = false;

    if (manifest_load(manifest_path, &m, msg, sizeof(msg)) < 0) {
        log_error("%s", msg);
        return EXIT_FAILURE;
    }
    present = calloc(m->n ? m->n : 1, sizeof(*present));
    if (!present) {
        log_error("out of memory");
        manifest_free(m);
        return EXIT_FAILURE;
    }
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    for (;;) {
        bool ready;
        size_t n;
        uint64_t now;

        if (ifd >= 0 && watch < 0)
            watch = watch_dir(ifd, c->ready_file);
        ready = ready_file_there(c->ready_file);
        n = missing(m, root, present, &names);
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
    free(present);
    manifest_free(m);
    return rc;
}
