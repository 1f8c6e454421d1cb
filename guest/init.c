/* SPDX-License-Identifier: MIT */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-run.h"
#include "hooks.h"
#include "log.h"
#include "macro.h"
#include "server.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define TMPFS_MAGIC 0x01021994
#define CONFIGFS_MAGIC 0x62656570
#define PAYLOAD_STOP_GRACE_MS 10000

extern char **environ;

struct basic_mount {
    const char *what, *where, *type;
    long magic;          /* the file system type when already mounted */
    unsigned long flags;
    const char *options;
};

/* What a payload and the agent expect to find; each is skipped when it is
 * mounted already (the kernel may have mounted devtmpfs). */
static const struct basic_mount mounts[] = {
    { "proc", "/proc", "proc", PROC_SUPER_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
    { "sysfs", "/sys", "sysfs", SYSFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
    { "devtmpfs", "/dev", "devtmpfs", TMPFS_MAGIC, MS_NOSUID, "mode=0755" },
    { "tmpfs", "/run", "tmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NODEV, "mode=0755" },
    { "configfs", "/sys/kernel/config", "configfs", CONFIGFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC,
      NULL },
};

static void mount_basics(void)
{
    for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
        const struct basic_mount *m = &mounts[i];
        struct statfs st;
        if (mkdir(m->where, 0755) < 0 && errno != EEXIST) {
            log_warning("cannot create %s: %m", m->where);
            continue;
        }
        /* devtmpfs reports TMPFS_MAGIC; a directory on the root file system
         * (an initramfs is itself a tmpfs or ramfs) is told apart by its
         * device number, which differs from the root's once mounted. */
        if (statfs(m->where, &st) == 0 && (long)st.f_type == m->magic) {
            struct stat a, b;
            if (stat(m->where, &a) == 0 && stat("/", &b) == 0 && a.st_dev != b.st_dev)
                continue;
        }
        if (mount(m->what, m->where, m->type, m->flags, m->options) < 0)
            log_warning("cannot mount %s on %s: %m", m->type, m->where);
    }
}

struct init_state {
    int ready_efd, done_efd;
    struct agent_run run;
    int server_rc;
};

static void on_ready(void *userdata)
{
    struct init_state *st = userdata;
    uint64_t one = 1;
    if (write(st->ready_efd, &one, sizeof(one)) < 0)
        log_error("cannot signal readiness: %m");
}

static void *server_thread(void *arg)
{
    struct init_state *st = arg;
    uint64_t one = 1;
    st->server_rc = server_run(st->run.server);
    if (write(st->done_efd, &one, sizeof(one)) < 0)
        log_error("cannot signal the end of the server: %m");
    return NULL;
}

static pid_t spawn_payload(char *const *payload, const sigset_t *handled)
{
    posix_spawnattr_t attr;
    sigset_t none, defaults = *handled;
    pid_t pid = -1;
    int r;

    sigaddset(&defaults, SIGPIPE);   /* the agent ignores it; ignoring survives exec */
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    /* The payload starts with the signal mask and handlers of a fresh process. */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    r = posix_spawnp(&pid, payload[0], NULL, &attr, payload, environ);
    posix_spawnattr_destroy(&attr);
    if (r != 0) {
        log_error("cannot start the payload %s: %s", payload[0], strerror(r));
        return -1;
    }
    log_notice("every required secret is present: started the payload %s (pid %d)", payload[0],
               (int)pid);
    return pid;
}

/* Reaps every exited child; returns the payload's wait status once it is
 * among them, else -1. */
static int reap(pid_t payload)
{
    int status, payload_status = -1;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (pid == payload)
            payload_status = status;
    return payload_status;
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_FAILURE;
}

/* Stops the payload: SIGTERM, then SIGKILL after the grace period. */
static int stop_payload(pid_t pid, int sfd)
{
    int status = -1;
    kill(pid, SIGTERM);
    for (int waited = 0; status < 0 && waited < PAYLOAD_STOP_GRACE_MS; waited += 100) {
        struct pollfd p = { sfd, POLLIN, 0 };
        struct signalfd_siginfo si;
        if (poll(&p, 1, 100) > 0)
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {}
        status = reap(pid);
    }
    if (status < 0) {
        log_warning("the payload did not stop within %d s: killing it",
                    PAYLOAD_STOP_GRACE_MS / 1000);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
    return status;
}

static int finish(bool pid1, int rc)
{
    if (!pid1)
        return rc;
    log_notice("powering off (exit status %d)", rc);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();   /* PID 1 must not exit */
}

int init_run(struct agent_config *c, const char *hooks_dir, char *const *payload)
{
    struct init_state st = { .ready_efd = -1, .done_efd = -1 };
    bool pid1 = getpid() == 1, server_done = false;
    pid_t child = -1;
    int sfd, rc = EXIT_FAILURE, status;
    sigset_t mask;
    pthread_t thread;

    if (pid1) {
        mount_basics();
        if (!getenv("PATH"))
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    }
    if (hooks_dir && access(hooks_dir, F_OK) == 0 &&
        hooks_run(hooks_dir, c->hook_timeout_s, c->hook_policy) != 0) {
        log_error("boot hooks failed: not starting the agent or the payload");
        return finish(pid1, EXIT_FAILURE);
    }

    /* Blocked in every thread: the server reads SIGTERM/SIGINT, this
     * thread SIGCHLD. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    }
    st.ready_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    st.done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sfd < 0 || st.ready_efd < 0 || st.done_efd < 0) {
        log_error("cannot set up init mode: %m");
        return finish(pid1, EXIT_FAILURE);
    }
    if (!c->manifest)
        log_warning("init mode without --manifest: the payload starts at once");
    if (agent_run_start(&st.run, c, on_ready, &st) < 0)
        return finish(pid1, EXIT_FAILURE);
    if (!c->manifest)
        on_ready(&st);
    if (pthread_create(&thread, NULL, server_thread, &st) != 0) {
        log_error("cannot start the server thread");
        agent_run_stop(&st.run);
        return finish(pid1, EXIT_FAILURE);
    }

    for (;;) {
        struct pollfd p[3] = { { st.ready_efd, POLLIN, 0 }, { sfd, POLLIN, 0 },
                               { st.done_efd, POLLIN, 0 } };
        uint64_t v;
        struct signalfd_siginfo si;

        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN && read(st.ready_efd, &v, sizeof(v)) == sizeof(v) && child < 0) {
            child = spawn_payload(payload, &mask);
            if (child < 0)
                break;
        }
        if (p[1].revents & POLLIN) {
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {}
            status = reap(child);
            if (child > 0 && status >= 0) {
                rc = exit_code(status);
                log_notice("the payload exited with status %d: stopping", rc);
                child = -1;
                break;
            }
        }
        if (p[2].revents & POLLIN) {
            server_done = true;
            rc = st.server_rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
            if (child > 0)
                rc = exit_code(stop_payload(child, sfd));
            child = -1;
            break;
        }
    }
    if (child > 0)
        stop_payload(child, sfd);
    if (!server_done)
        server_stop(st.run.server);
    pthread_join(thread, NULL);
    agent_run_stop(&st.run);
    close(sfd);
    close(st.ready_efd);
    close(st.done_efd);
    return finish(pid1, rc);
}
