/* SPDX-License-Identifier: MIT */
/*
 * The QEMU (and swtpm) process: starting it, is it alive, what is its
 * command line, waiting for it, ending it, and pid files. A process started by this handle is a child and
 * is reaped; one started by another tdxctl is polled through /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "error.h"
#include "fileio.h"
#include "strv.h"
#include "vm-internal.h"

#define CMDLINE_MAX (256 * 1024)
#define POLL_MS 50

extern char **environ;

bool process_alive(pid_t pid)
{
    char path[64], *stat = NULL, *p;
    size_t len;
    bool alive;

    if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
        return false;
    /* A zombie has ended; only its parent's wait is missing. */
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_file_bounded(path, 4096, &stat, &len) < 0)
        return true;
    p = strrchr(stat, ')');
    alive = !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
    free(stat);
    return alive;
}

int process_argv(pid_t pid, char ***argv)
{
    _cleanup_free_ char *text = NULL;
    char path[64], **v = NULL;
    size_t len;
    int r;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    r = read_file_bounded(path, CMDLINE_MAX, &text, &len);
    if (r < 0)
        return r;
    for (size_t i = 0; i < len; i += strlen(text + i) + 1)
        if (strv_push(&v, text + i) < 0) {
            strv_free(v);
            return -ENOMEM;
        }
    *argv = v;
    return 0;
}

long long vm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int exit_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

int process_wait(pid_t pid, bool child, int timeout_ms, int *status)
{
    for (int waited = 0; timeout_ms < 0 || waited <= timeout_ms; waited += POLL_MS) {
        if (child) {
            int st;
            pid_t got = waitpid(pid, &st, WNOHANG);
            if (got == pid) {
                if (status)
                    *status = exit_status(st);
                return 0;
            }
            if (got < 0 && errno == ECHILD)
                return 0;
        } else if (!process_alive(pid))
            return 0;
        if (timeout_ms == 0)
            break;
        sleep_ms(POLL_MS);
    }
    return -ETIMEDOUT;
}

int process_terminate(pid_t pid, bool child, int kill_ms, int *status)
{
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
        return -errno;
    if (process_wait(pid, child, kill_ms, status) == 0)
        return 0;
    if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
        return -errno;
    return process_wait(pid, child, 5000, status);
}

int process_spawn(const char *bin, char *const *argv, const char *log, bool truncate, pid_t *pid,
                  tdx_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int r;

    sigemptyset(&none);
    sigfillset(&defaults);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT |
                                     (truncate ? O_TRUNC : O_APPEND), 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    /* Its own session: a terminal's ^C or hang-up reaches tdxctl, which stops
     * the guest cleanly, not the child directly; a detached run outlives tdxctl. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    r = posix_spawn(pid, bin, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0)
        return tdx_err(err, -r, "%s: cannot start: %s", bin, strerror(r));
    return 0;
}

int pidfile_read(const char *path, pid_t *pid, tdx_error *err)
{
    _cleanup_free_ char *text = NULL;
    char *end;
    size_t len;
    long v;
    int r = read_file_bounded(path, 64, &text, &len);

    if (r == -ENOENT)
        return tdx_err(err, r, "%s: no such pid file (is the VM running?)", path);
    if (r < 0)
        return tdx_err(err, r, "%s: %s", path, strerror(-r));
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n') || v < 2 || v > 0x7fffffff)
        return tdx_err(err, -EINVAL, "%s: not a pid file (expected one process id)", path);
    *pid = (pid_t)v;
    return 0;
}

int pidfile_write(const char *path, pid_t pid, tdx_error *err)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "%d\n", (int)pid);
    int r = write_file_atomic(path, text, (size_t)n, 0644);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot write the pid file: %s", path, strerror(-r));
    return 0;
}
