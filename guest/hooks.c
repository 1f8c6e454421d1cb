/* SPDX-License-Identifier: MIT */
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-core.h"
#include "daemon.h"
#include "line-output.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

static int byte_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* The hooks to run: regular files (or links to them) that are executable;
 * hidden files and editor leftovers are not hooks. */
static int list_hooks(const char *dir, char ***out)
{
    struct dirent **ents;
    char **list = NULL;
    int n = scandir(dir, &ents, NULL, byte_order);

    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char path[4200];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (name[0] == '.' || endswith(name, "~"))
            ;
        else if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            log_warning("skipping %s: not a regular file", path);
        else if (access(path, X_OK) < 0)
            log_warning("skipping %s: not executable", path);
        else if (strv_push(&list, name) < 0)
            n = -ENOMEM;
        free(ents[i]);
    }
    free(ents);
    if (n < 0) {
        strv_free(list);
        return n;
    }
    *out = list;
    return 0;
}

static void log_line(const char *name, const char *line)
{
    log_info("%s: %s", name, line);
}

static pid_t spawn(const char *path, int out_fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Child: its own process group, so a timeout can stop all it started. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);
    /* Nothing else of ours: a daemon a hook starts must not hold our pipes. */
    if (line_output_child_stdio(out_fd) < 0)
        _exit(127);
    execl(path, path, (char *)NULL);
    fprintf(stderr, "cannot execute: %m\n");
    _exit(127);
}

/* Runs one hook; returns its wait status, or -ETIMEDOUT when it was killed
 * for taking too long. */
static int run_one(const char *dir, const char *name, unsigned timeout_s)
{
    char path[4200];
    int fds[2], status = 0;
    struct line_output out = { .name = name, .emit = log_line };
    uint64_t start = now_ms(), deadline = start + (uint64_t)timeout_s * 1000, kill_at = 0;
    bool timed_out = false, open_pipe = true;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    pid = spawn(path, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -errno;
    }
    setpgid(pid, pid);   /* also here: no race with the child's own call */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    for (;;) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        uint64_t now;
        pid_t w;

        if (open_pipe && poll(&p, 1, 100) > 0)
            open_pipe = line_output_drain(fds[0], &out);
        else if (!open_pipe)
            poll(NULL, 0, 50);
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            /* It exited; what it printed is in the pipe unless a process it
             * left behind keeps the pipe open, so do not wait for EOF. */
            if (open_pipe)
                line_output_drain(fds[0], &out);
            break;
        }
        now = now_ms();
        if (!timed_out && now >= deadline) {
            timed_out = true;
            log_warning("%s: still running after %u s, sending SIGTERM", name, timeout_s);
            kill(-pid, SIGTERM);
            kill_at = now + HOOK_KILL_GRACE_MS;
        } else if (timed_out && kill_at && now >= kill_at) {
            log_warning("%s: still running, sending SIGKILL", name);
            kill(-pid, SIGKILL);
            kill_at = 0;
        }
    }
    line_output_flush(&out);
    close(fds[0]);
    return timed_out ? -ETIMEDOUT : status;
}

int hooks_run(const char *dir, unsigned timeout_s, enum hook_policy policy)
{
    char **hooks = NULL, status[300];
    size_t n, failed = 0;
    int r = list_hooks(dir, &hooks);

    if (r < 0) {
        log_error("cannot read the hook directory %s: %s", dir, strerror(-r));
        return 1;
    }
    n = strv_length(hooks);
    log_info("running %zu hooks from %s (timeout %u s each, on failure: %s)", n, dir, timeout_s,
             config_policy_name(policy));
    for (size_t i = 0; i < n; i++) {
        const char *name = hooks[i];
        uint64_t start = now_ms();
        int st;
        bool ok;

        snprintf(status, sizeof(status), "STATUS=Running boot hook %s (%zu of %zu)", name, i + 1, n);
        daemon_notify(status);
        st = run_one(dir, name, timeout_s);
        ok = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (ok)
            log_info("%s: succeeded in %.2f s", name, (double)(now_ms() - start) / 1000);
        else if (st == -ETIMEDOUT)
            log_error("%s: FAILED: timed out after %u s and was killed", name, timeout_s);
        else if (st < 0)
            log_error("%s: FAILED: cannot run it: %s", name, strerror(-st));
        else if (WIFEXITED(st))
            log_error("%s: FAILED with exit status %d", name, WEXITSTATUS(st));
        else
            log_error("%s: FAILED: killed by signal %d (%s)", name, WTERMSIG(st),
                      strsignal(WTERMSIG(st)));
        if (ok)
            continue;
        failed++;
        if (policy == HOOK_POLICY_STOP) {
            log_error("stopping: %zu later hooks not run (on failure: stop)", n - i - 1);
            strv_free(hooks);
            return 1;
        }
    }
    strv_free(hooks);
    if (failed)
        log_error("%zu of %zu hooks failed", failed, n);
    else
        log_info("all %zu hooks succeeded", n);
    return failed && policy != HOOK_POLICY_IGNORE ? 1 : 0;
}
