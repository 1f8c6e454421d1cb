/* SPDX-License-Identifier: MIT */
/*
 * Running the planned VM: the run directory, the emulated run's test PKI,
 * QEMU in its own session with its messages in qemu.log, waiting for the
 * agent, and stopping (ACPI power-off over QMP, then signals). Whatever goes
 * wrong after QEMU started, the process is ended and reaped before the error
 * returns: no VM is left behind by a failed start.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "fsutil.h"
#include "error.h"
#include "fileio.h"
#include "strv.h"
#include "tdxhost/agent.h"
#include "tdxhost/measure.h"
#include "tdxhost/sim.h"
#include "vm-private.h"

#define AGENT_TIMEOUT_DEFAULT_MS 120000
#define STOP_TIMEOUT_DEFAULT_MS 30000
#define KILL_GRACE_MS 5000
#define QMP_TIMEOUT_MS 5000
#define AGENT_POLL_MS 250
#define LOG_TAIL_MAX (64 * 1024)

/* The test PKI's registers are the build's (or the remeasured) values, so
 * the simulated quote matches what `secrets push --expected` checks.
 * Registers the measurements leave unknown (RTMR0 before an ACPI capture)
 * are zeros here and unchecked there. */
int vm_make_test_pki(const tdx_vm *vm, const char *dir, tdx_error *err)
{
    static const char *const regs[] = { "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3" };
    tdx_sim_pki_options so = TDX_SIM_PKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    int r;

    r = tdx_measurements_load_json(&m, vm->measurements, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(regs); i++) {
        const uint8_t *v;
        size_t size;
        if (tdx_measurements_register(m, regs[i], 0, &v, &size, NULL) == 0 && size == 48) {
            if (i == 0)
                so.mrtd = v;
            else
                so.rtmr[i - 1] = v;
        }
    }
    r = rm_rf_at(AT_FDCWD, dir);
    if (r < 0 && r != -ENOENT) {
        r = tdx_err(err, r, "%s: cannot remove the previous run's test PKI: %s", dir,
                    strerror(-r));
        goto out;
    }
    r = tdx_sim_pki_create(dir, &so, err);
out:
    tdx_measurements_free(m);
    return r;
}

/* The last non-empty line of a log, for error messages; false when there is none. */
static bool log_tail(const char *path, char *line, size_t size)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    bool found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (lseek(fd, 0, SEEK_END) > LOG_TAIL_MAX)
        lseek(fd, -LOG_TAIL_MAX, SEEK_END);
    else
        lseek(fd, 0, SEEK_SET);
    if (read_fd_bounded(fd, LOG_TAIL_MAX, &text, &len) == 0) {
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
        char *nl = strrchr(text, '\n');
        if (len) {
            snprintf(line, size, "%s", nl ? nl + 1 : text);
            for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20)
                    *p = ' ';
            found = true;
        }
    }
    close(fd);
    return found;
}

static int spawn_qemu(tdx_vm *vm, tdx_error *err)
{
    return process_spawn(vm->qemu, vm->argv, vm->log, true, &vm->pid, err);
}

static int exited_error(tdx_vm *vm, int status, tdx_error *err)
{
    char line[300];

    vm->pid = -1;
    if (log_tail(vm->log, line, sizeof(line))) {
        if (strstr(line, "host forwarding") || strstr(line, "hostfwd"))
            return tdx_err(err, -EADDRINUSE, "QEMU could not forward 127.0.0.1:%d (taken "
                           "meanwhile?): %s", vm->host_port, line);
        return tdx_err(err, -ECHILD, "QEMU exited with status %d: %s", status, line);
    }
    /* QEMU said nothing: the guest powered off or rebooted (-no-reboot). */
    if (log_tail(vm->serial, line, sizeof(line)))
        return tdx_err(err, -ECHILD, "the guest stopped before its agent answered (QEMU status "
                       "%d); last console line: %s", status, line);
    return tdx_err(err, -ECHILD, "the guest stopped before its agent answered (QEMU status %d) "
                   "and wrote nothing to %s", status, vm->serial);
}

static int wait_agent(tdx_vm *vm, int timeout_ms, tdx_error *err)
{
    long long deadline = vm_now_ms() + timeout_ms;
    char last[TDX_ERROR_MESSAGE_SIZE] = "no answer";

    for (;;) {
        tdx_agent_options ao = TDX_AGENT_OPTIONS_INIT;
        tdx_error e = TDX_ERROR_INIT;
        tdx_agent *a = NULL;
        char *info = NULL;
        int status = 0, r;

        if (process_wait(vm->pid, true, 0, &status) == 0)
            return exited_error(vm, status, err);
        ao.connect_timeout_ms = 0;
        ao.io_timeout_ms = 3000;
        r = tdx_agent_connect(&a, vm->agent, &ao, &e);
        if (r == 0)
            r = tdx_agent_info(a, &info, &e);
        tdx_agent_free(a);
        tdx_free(info);
        if (r == 0)
            return 0;
        snprintf(last, sizeof(last), "%s", e.message);
        if (vm_now_ms() >= deadline)
            return tdx_err(err, -ETIMEDOUT, "the agent at %s did not answer within %d s (last: "
                           "%s; console log: %s)", vm->agent, timeout_ms / 1000, last, vm->serial);
        struct timespec ts = { 0, AGENT_POLL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static void remove_pidfiles(tdx_vm *vm)
{
    unlink(vm->pidfile);
    if (vm->user_pidfile)
        unlink(vm->user_pidfile);
}

/* Ends a process that should not live on: SIGKILL is enough, nothing of a
 * guest that never came up is worth saving. */
static void kill_started(tdx_vm *vm)
{
    if (vm->pid > 0) {
        kill(vm->pid, SIGKILL);
        while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR) {}
        vm->pid = -1;
    }
    vm_vtpm_kill(vm);
    remove_pidfiles(vm);
    unlink(vm->qmp);
}

int tdx_vm_start(tdx_vm *vm, const tdx_vm_start_options *opts, tdx_error *err)
{
    static const tdx_vm_start_options defaults = TDX_VM_START_OPTIONS_INIT;
    const tdx_vm_start_options *o = opts ? opts : &defaults;
    int timeout, r;

    tdx_check_arg(vm, err);
    tdx_check_options(opts, TDX_VM_START_OPTIONS_VERSION, err);
    if (vm->remote_dir)
        return tdx_err(err, -EINVAL, "tdx_vm_start: this command was planned for another host");
    if (vm->pid > 0)
        return tdx_err(err, -EALREADY, "tdx_vm_start: this VM was started already (pid %d)",
                       (int)vm->pid);
    timeout = o->agent_timeout_ms == TDX_UNSET ? AGENT_TIMEOUT_DEFAULT_MS : o->agent_timeout_ms;
    if (timeout < 0)
        return tdx_err(err, -EINVAL, "tdx_vm_start: agent_timeout_ms %d is negative", timeout);
    if (mkdir(vm->run_dir, 0700) < 0 && errno != EEXIST)
        return tdx_err(err, -errno, "%s: cannot create the run directory: %s", vm->run_dir,
                       strerror(errno));
    if (vm->mode == TDX_VM_EMULATED && (r = vm_make_test_pki(vm, vm->test_pki, err)) < 0)
        return r;
    free(vm->user_pidfile);
    vm->user_pidfile = NULL;
    if (o->pidfile && !(vm->user_pidfile = strdup(o->pidfile)))
        return tdx_err_oom(err);
    unlink(vm->qmp);
    if (vm->vtpm_dir && (r = vm_vtpm_start(vm, err)) < 0)
        return r;
    r = spawn_qemu(vm, err);
    if (r < 0) {
        vm_vtpm_kill(vm);
        return r;
    }
    r = pidfile_write(vm->pidfile, vm->pid, err);
    if (r == 0 && vm->user_pidfile)
        r = pidfile_write(vm->user_pidfile, vm->pid, err);
    if (r == 0 && timeout > 0)
        r = wait_agent(vm, timeout, err);
    if (r < 0)
        kill_started(vm);
    return r;
}

int tdx_vm_wait(tdx_vm *vm, int timeout_ms, int *status, tdx_error *err)
{
    int st = 0, r;

    tdx_check_arg(vm, err);
    if (vm->pid <= 0)
        return tdx_err(err, -ECHILD, "tdx_vm_wait: no QEMU started by this handle");
    r = process_wait(vm->pid, true, timeout_ms, &st);
    if (r < 0)
        return tdx_err(err, r, "QEMU (pid %d) still runs after %d ms", (int)vm->pid, timeout_ms);
    vm->pid = -1;
    vm_vtpm_reap(vm);
    remove_pidfiles(vm);
    unlink(vm->qmp);
    if (status)
        *status = st;
    return 0;
}

/* Power-off, wait, then signals. Returns 0 or -ETIMEDOUT/-EPERM. */
static int stop_pid(pid_t pid, bool child, const char *qmp, int timeout_ms, tdx_error *err)
{
    tdx_error ignored = TDX_ERROR_INIT;
    int r;

    if (timeout_ms == TDX_UNSET)
        timeout_ms = STOP_TIMEOUT_DEFAULT_MS;
    /* Without QMP (an old socket, a guest that ignores the button) the
     * signals below still end it. */
    r = qmp_execute(qmp, "system_powerdown", QMP_TIMEOUT_MS, &ignored);
    if (process_wait(pid, child, r == 0 ? timeout_ms : 0, NULL) == 0)
        return 0;
    r = process_terminate(pid, child, KILL_GRACE_MS, NULL);
    if (r == -EPERM)
        return tdx_err(err, r, "pid %d: not allowed to signal it", (int)pid);
    if (r < 0)
        return tdx_err(err, -ETIMEDOUT, "pid %d did not end, not even after SIGKILL", (int)pid);
    return 0;
}

int tdx_vm_stop(tdx_vm *vm, int timeout_ms, tdx_error *err)
{
    int r;

    tdx_check_arg(vm, err);
    if (vm->pid <= 0)
        return tdx_err(err, -ECHILD, "tdx_vm_stop: no QEMU started by this handle");
    r = stop_pid(vm->pid, true, vm->qmp, timeout_ms, err);
    if (r < 0)
        return r;
    while (waitpid(vm->pid, NULL, WNOHANG) < 0 && errno == EINTR) {}
    vm->pid = -1;
    vm_vtpm_reap(vm);
    remove_pidfiles(vm);
    unlink(vm->qmp);
    return 0;
}

void vm_quit(tdx_vm *vm)
{
    tdx_error ignored = TDX_ERROR_INIT;

    if (vm->pid <= 0)
        return;
    qmp_execute(vm->qmp, "quit", QMP_TIMEOUT_MS, &ignored);
    if (process_wait(vm->pid, true, KILL_GRACE_MS, NULL) < 0)
        process_terminate(vm->pid, true, KILL_GRACE_MS, NULL);
    vm->pid = -1;
    vm_vtpm_reap(vm);
    remove_pidfiles(vm);
    unlink(vm->qmp);
}

/* The value of QEMU's "-qmp unix:PATH,server=on,..." with ",," undone. */
static char *qmp_path_of(char **argv)
{
    STRV_FOREACH(a, argv) {
        if (!streq(*a, "-qmp") || !a[1] || !startswith(a[1], "unix:"))
            continue;
        char *out = malloc(strlen(a[1])), *w = out;
        if (!out)
            return NULL;
        for (const char *p = a[1] + 5; *p; p++) {
            if (*p == ',' && p[1] != ',')
                break;
            if (*p == ',')
                p++;
            *w++ = *p;
        }
        *w = '\0';
        return out;
    }
    return NULL;
}

static bool ours(char **argv)
{
    STRV_FOREACH(a, argv)
        if (streq(*a, "-name") && a[1] && startswith(a[1], VM_PROCESS_PREFIX))
            return true;
    return false;
}

int tdx_vm_stop_path(const char *path, int timeout_ms, tdx_error *err)
{
    _cleanup_free_ char *pidfile = NULL, *qmp = NULL, *run_pid = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    struct stat st;
    pid_t pid;
    int r;

    tdx_check_arg(path, err);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* A run directory holds qemu.pid; a build directory holds run/. */
        if (asprintf(&pidfile, "%s/qemu.pid", path) < 0)
            return tdx_err_oom(err);
        if (access(pidfile, F_OK) < 0) {
            free(pidfile);
            if (asprintf(&pidfile, "%s/run/qemu.pid", path) < 0)
                return tdx_err_oom(err);
        }
    } else if (!(pidfile = strdup(path)))
        return tdx_err_oom(err);
    r = pidfile_read(pidfile, &pid, err);
    if (r < 0)
        return r;
    if (!process_alive(pid)) {
        unlink(pidfile);
        return 1;
    }
    r = process_argv(pid, &argv);
    if (r == -ENOENT || r == -ESRCH) {
        unlink(pidfile);
        return 1;
    }
    if (r < 0)
        return tdx_err(err, r, "pid %d: cannot read its command line: %s", (int)pid, strerror(-r));
    if (!ours(argv) || !(qmp = qmp_path_of(argv)))
        return tdx_err(err, -ESRCH, "%s: pid %d is not a QEMU started by tdxctl run (the pid "
                       "file is stale); not signalling it", pidfile, (int)pid);
    r = stop_pid(pid, false, qmp, timeout_ms, err);
    if (r < 0)
        return r;
    unlink(pidfile);
    /* The run's own pid file sits next to its QMP socket. */
    char *slash = strrchr(qmp, '/');
    if (slash && asprintf(&run_pid, "%.*s/qemu.pid", (int)(slash - qmp), qmp) >= 0)
        unlink(run_pid);
    /* Its swtpm (--vtpm) ends with QEMU's connection; make sure it did. */
    if (slash) {
        *slash = '\0';
        vm_vtpm_stop_dir(qmp);
        *slash = '/';
    }
    unlink(qmp);
    return 0;
}
