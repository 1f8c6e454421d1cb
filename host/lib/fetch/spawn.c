/* SPDX-License-Identifier: MIT */
/* Running helper programs (git, gpgv) without a shell, with their output
 * captured for parsing and for error messages. */
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

#include "error.h"
#include "fetch-internal.h"
#include "strv.h"

#define CAPTURE_MAX (64 * 1024)

extern char **environ;

void run_result_free(struct run_result *r)
{
    strbuf_free(&r->out);
    strbuf_free(&r->errout);
    r->status = -1;
}

/* environ with each NAME=value of extra replacing an existing NAME. */
static char **merged_env(const char *const *extra)
{
    char **env = NULL;

    for (char **e = environ; e && *e; e++) {
        bool replaced = false;
        for (const char *const *x = extra; x && *x; x++) {
            size_t n = strcspn(*x, "=");
            if (strncmp(*e, *x, n) == 0 && (*e)[n] == '=')
                replaced = true;
        }
        if (!replaced && strv_push(&env, *e) < 0)
            return strv_free(env);
    }
    if (strv_extend(&env, extra) < 0)
        return strv_free(env);
    return env;
}

static void drain(int *fd, strbuf *into)
{
    char buf[4096];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    if (into->len < CAPTURE_MAX)
        strbuf_append(into, buf, (size_t)n < CAPTURE_MAX - into->len ? (size_t)n
                                                                      : CAPTURE_MAX - into->len);
}

int run_program(const char *const *argv, const char *const *env, struct run_result *res,
                tdx_error *err)
{
    _cleanup_strv_free_ char **envp = merged_env(env);
    int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int r, status;

    if (!envp)
        return tdx_err_oom(err);
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        r = -errno;
        if (out[0] >= 0) {
            close(out[0]);
            close(out[1]);
        }
        return tdx_err(err, r, "cannot create a pipe: %s", strerror(-r));
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(errp[1]);
    if (r != 0) {
        close(out[0]);
        close(errp[0]);
        return tdx_err_lib(err, -r, TDX_ERROR_LIBRARY_ERRNO, r, "cannot run %s: %s", argv[0],
                           strerror(r));
    }
    while (out[0] >= 0 || errp[0] >= 0) {
        struct pollfd p[2] = { { out[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            drain(&out[0], &res->out);
        if (p[1].revents)
            drain(&errp[0], &res->errout);
    }
    if (out[0] >= 0)
        close(out[0]);
    if (errp[0] >= 0)
        close(errp[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return tdx_err(err, -errno, "cannot wait for %s: %s", argv[0], strerror(errno));
    res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* posix_spawnp reports a missing program as exit status 127 from the child. */
    if (res->status == 127 && res->errout.len == 0 && res->out.len == 0)
        return tdx_err(err, -ENOENT, "cannot run %s: program not found", argv[0]);
    if (strbuf_error(&res->out) < 0 || strbuf_error(&res->errout) < 0)
        return tdx_err_oom(err);
    return 0;
}

const char *run_last_line(struct run_result *res)
{
    char *s = res->errout.data;
    size_t n = res->errout.len;

    if (!s)
        return "(no message)";
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    while (n > 0 && s[n - 1] != '\n')
        n--;
    return s[n] ? s + n : "(no message)";
}
