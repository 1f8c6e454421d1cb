/* SPDX-License-Identifier: MIT */
#include "init.h"
#include "power-button.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "agent-run.h"
#include "hooks.h"
#include "init-config.h"
#include "kcmdline.h"
#include "log.h"
#include "macro.h"
#include "manifest.h"
#include "modules.h"
#include "net.h"
#include "secrets.h"
#include "server.h"
#include "strv.h"
#include "supervisor.h"
#include "test-pki.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define TMPFS_MAGIC 0x01021994
#define CONFIGFS_MAGIC 0x62656570
#define EFIVARFS_MAGIC 0xde5e81e4
#define SECURITYFS_MAGIC 0x73636673
#define DEFAULT_HOOKS_DIR "/etc/tdx-agent/hooks.d"

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
    /* The TPM's event log (the agent's eventlog "tpm"), when there is a TPM:
     * emulated runs with --vtpm. */
    { "securityfs", "/sys/kernel/security", "securityfs", SECURITYFS_MAGIC,
      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
    { "devtmpfs", "/dev", "devtmpfs", TMPFS_MAGIC, MS_NOSUID, "mode=0755" },
    { "tmpfs", "/run", "tmpfs", TMPFS_MAGIC, MS_NOSUID | MS_NODEV, "mode=0755" },
    /* Last: /sys/kernel/config exists only once configfs is loaded. */
    { "configfs", "/sys/kernel/config", "configfs", CONFIGFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC,
      NULL },
};

/* The firmware's variables, read-only: the `bootvars` op reads the boot
 * options OVMF measured (efivarfs is a module in Debian's kernels). */
static const struct basic_mount efivarfs = {
    "efivarfs", "/sys/firmware/efi/efivars", "efivarfs", EFIVARFS_MAGIC,
    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL
};

/* Mounts list[0..n). */
static void mount_list(const struct basic_mount *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct basic_mount *m = &list[i];
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

static void mount_basics(void)
{
    mount_list(mounts, ELEMENTSOF(mounts) - 1);
}

static void mount_configfs(void)
{
    mount_list(&mounts[ELEMENTSOF(mounts) - 1], 1);
}

/* Only on a UEFI boot, where the kernel made the mount point. */
static void mount_efivarfs(void)
{
    if (access("/sys/firmware/efi", F_OK) == 0)
        mount_list(&efivarfs, 1);
}

/* The kernel starts init with the console as fds 0-2 only when the
 * initramfs has /dev/console; after devtmpfs is mounted it is there. */
static void open_console(void)
{
    int fd;
    if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
        return;
    fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i <= 2; i++)
        if (fcntl(i, F_GETFD) < 0)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

struct init_state {
    int ready_efd, done_efd, sfd;
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

/* The button's driver is loaded with the image's modules, before this. */
#define INIT_POWER_BUTTON_WAIT_S 5

static int finish(bool pid1, int rc)
{
    if (!pid1)
        return rc;
    log_notice("init: powering off (exit status %d)", rc);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();   /* PID 1 must not exit */
}

static bool capture_mode(void)
{
    char buf[4096];
    ssize_t n = -1;
    int fd = open(KCMDLINE_PATH, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
    }
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return kcmdline_has(buf, "tdx.capture", "acpi");
}

/* The legacy form `init -- PAYLOAD`: one service that inherits our
 * environment and whose end ends init. */
static int payload_config(const struct init_config *from, char *const *payload,
                          struct init_config **out)
{
    struct init_config *ic = calloc(1, sizeof(*ic));
    const char *base;
    if (!ic || !(ic->services = calloc(1, sizeof(*ic->services))))
        goto oom;
    if (from) {
        ic->modules = strv_copy((const char *const *)from->modules);
        ic->network = from->network;
        ic->network.interface = NULL;
        if (from->network.interface && !(ic->network.interface = strdup(from->network.interface)))
            goto oom;
        ic->test_provider = from->test_provider;
        if (!ic->modules)
            goto oom;
    }
    ic->n_services = 1;
    base = strrchr(payload[0], '/');
    ic->services[0].name = strdup(base ? base + 1 : payload[0]);
    ic->services[0].exec = strv_copy((const char *const *)payload);
    ic->services[0].after_secrets = true;
    if (!ic->services[0].name || !ic->services[0].exec)
        goto oom;
    *out = ic;
    return 0;
oom:
    init_config_free(ic);
    return -ENOMEM;
}

static size_t required_secrets(const struct init_state *st)
{
    return st->run.agent.manifest ? st->run.agent.manifest->n_required : 0;
}

/* Serves until the services have ended (then on_exit) or the server stops
 * (SIGTERM/SIGINT). Returns the exit status. */
static int supervise(struct init_state *st, const struct init_config *ic, struct supervisor *sup,
                     bool capture)
{
    bool ready = false, said_ended = false;
    int rc = EXIT_SUCCESS;

    if (!capture)
        supervisor_start(sup, false);
    for (;;) {
        struct pollfd p[3 + INIT_MAX_SERVICES] = { { st->ready_efd, POLLIN, 0 },
                                                   { st->sfd, POLLIN, 0 },
                                                   { st->done_efd, POLLIN, 0 } };
        size_t n = capture ? 0 : supervisor_poll_fds(sup, p + 3, INIT_MAX_SERVICES);
        int timeout = capture ? -1 : supervisor_timeout_ms(sup);
        uint64_t v;

        if (poll(p, 3 + n, timeout) < 0 && errno != EINTR) {
            log_error("init: poll: %m");
            return EXIT_FAILURE;
        }
        if (p[0].revents & POLLIN && read(st->ready_efd, &v, sizeof(v)) == sizeof(v) && !ready) {
            ready = true;
            if (required_secrets(st))
                log_notice("secrets: every required secret is present");
            if (!capture)
                supervisor_start(sup, true);
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(st->sfd, &si, sizeof(si)) == sizeof(si)) {}
            supervisor_reap(sup);   /* also reaps orphans in capture mode */
        }
        if (!capture) {
            supervisor_output(sup, p + 3, n);
            supervisor_tick(sup);
        }
        if (p[2].revents & POLLIN) {
            log_notice("init: the agent stopped: stopping the services");
            supervisor_stop(sup);
            return st->server_rc < 0 ? EXIT_FAILURE : supervisor_exit_status(sup);
        }
        if (capture || !ready || said_ended || !supervisor_all_ended(sup))
            continue;
        rc = supervisor_exit_status(sup);
        if (ic->on_exit == INIT_ON_EXIT_POWEROFF) {
            log_notice("init: %s (exit status %d)", ic->n_services ? "every service has ended"
                       : "no services to run", rc);
            return rc;
        }
        log_notice("init: %s; staying up and serving (on_exit: stay)",
                   ic->n_services ? "every service has ended" : "no services to run");
        said_ended = true;
    }
}

int init_run(struct agent_config *c, const char *hooks_dir, char *const *payload)
{
    struct init_state st = { .ready_efd = -1, .done_efd = -1, .sfd = -1 };
    struct init_config *owned = NULL;
    const struct init_config *ic;
    struct supervisor *sup = NULL;
    bool pid1 = getpid() == 1, capture = false;
    int rc = EXIT_FAILURE;
    sigset_t mask;
    pthread_t thread;

    if (pid1) {
        mount_basics();
        open_console();
        if (!getenv("PATH"))
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    }
    log_info("init: tdx-agent %s starting%s", AGENT_VERSION, pid1 ? " as PID 1" : "");
    if (payload) {
        if (payload_config(c->init, payload, &owned) < 0) {
            log_error("init: out of memory");
            return finish(pid1, EXIT_FAILURE);
        }
        ic = owned;
    } else if (!c->init) {
        log_error("init: the configuration has no \"init\" object and no payload was given");
        return finish(pid1, EXIT_FAILURE);
    } else {
        ic = c->init;
    }
    if (pid1)
        capture = capture_mode();
    if (capture)
        log_notice("init: capture mode (tdx.capture=acpi): no services, no waiting for secrets");

    if (modules_load(ic->modules) < 0)
        goto out;
    if (pid1) {
        mount_configfs();   /* configfs-tsm's home, once its module is in */
        mount_efivarfs();
        if (net_setup(&ic->network) < 0)
            goto out;
    } else if (ic->network.mode != INIT_NET_NONE) {
        log_warning("init: not PID 1: leaving the network alone (network mode %s not applied)",
                    init_net_mode_name(ic->network.mode));
    }
    if (test_pki_select(c, ic->test_provider, TEST_PKI_DIR) < 0)
        goto out;
    if (!hooks_dir && access(DEFAULT_HOOKS_DIR, F_OK) == 0)
        hooks_dir = DEFAULT_HOOKS_DIR;
    if (hooks_dir && access(hooks_dir, F_OK) == 0 &&
        hooks_run(hooks_dir, c->hook_timeout_s, c->hook_policy) != 0) {
        log_error("boot hooks failed: not starting the agent or the services");
        goto out;
    }
    if (supervisor_new(ic->services, ic->n_services, c->root_dir, payload != NULL, &sup) < 0) {
        log_error("init: out of memory");
        goto out;
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
        st.sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    }
    st.ready_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    st.done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (st.sfd < 0 || st.ready_efd < 0 || st.done_efd < 0) {
        log_error("cannot set up init mode: %m");
        goto out;
    }
    if (!c->manifest && ic->n_services)
        log_warning("init mode without a manifest: the services start at once");
    if (agent_run_start(&st.run, c, on_ready, &st) < 0)
        goto out;
    /* `tdxctl stop` and a cloud's stop press the ACPI power button: as PID 1
     * nobody else answers it. A press is our own SIGTERM (blocked above in
     * every thread, so the server's signalfd reads it): the services stop
     * and the machine powers off. */
    if (pid1 && !capture) {
        static const struct power_button_paths paths = POWER_BUTTON_PATHS_DEFAULT;
        int r = power_button_watch(&paths, INIT_POWER_BUTTON_WAIT_S, getpid(), SIGTERM);
        if (r < 0)
            log_warning("init: cannot watch the power button: %s", strerror(-r));
    }
    if (!c->manifest)
        on_ready(&st);
    else if (!capture && !secrets_ready(st.run.agent.secrets))
        log_notice("secrets: waiting for %zu required secret(s)", required_secrets(&st));
    if (pthread_create(&thread, NULL, server_thread, &st) != 0) {
        log_error("cannot start the server thread");
        agent_run_stop(&st.run);
        goto out;
    }
    rc = supervise(&st, ic, sup, capture);
    supervisor_stop(sup);
    server_stop(st.run.server);
    pthread_join(thread, NULL);
    agent_run_stop(&st.run);
out:
    supervisor_free(sup);
    init_config_free(owned);
    if (st.sfd >= 0)
        close(st.sfd);
    if (st.ready_efd >= 0)
        close(st.ready_efd);
    if (st.done_efd >= 0)
        close(st.done_efd);
    return finish(pid1, rc);
}
