/* SPDX-License-Identifier: MIT */
/*
 * The emulated run's vTPM: swtpm in RUN_DIR/vtpm, with a fresh TPM 2.0 state
 * (PCR banks sha256 and sha384) each run, so the firmware's TCG2 event log is
 * that of one boot. Its per-event SHA-384 digests are those of the same
 * events a TD extends into RTMRs, which is what makes the log a check of the
 * measurement model (tests/scripts/check-vtpm-boot.sh).
 *
 * swtpm runs with --terminate: it exits when QEMU's connection ends, so a
 * detached run needs nobody to stop it. Paths where that cannot happen (QEMU
 * never started or never connected) end it here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "strv.h"
#include "vm-private.h"

#define SWTPM_SETUP_TIMEOUT_MS 60000
#define SWTPM_SOCKET_TIMEOUT_MS 10000
#define SWTPM_EXIT_GRACE_MS 3000
#define POLL_MS 50

int vm_vtpm_plan(tdx_vm *vm, tdx_error *err)
{
    struct sockaddr_un sa;

    if (asprintf(&vm->vtpm_dir, "%s/vtpm", vm->run_dir) < 0 ||
        asprintf(&vm->vtpm_socket, "%s/swtpm.sock", vm->vtpm_dir) < 0)
        return tdx_err_oom(err);
    /* swtpm splits its --ctrl and --tpmstate values at commas, with no escape. */
    if (strchr(vm->vtpm_dir, ','))
        return tdx_err(err, -EINVAL, "%s: swtpm cannot take a path with a comma; give another "
                       "run directory", vm->vtpm_dir);
    if (strlen(vm->vtpm_socket) >= sizeof(sa.sun_path))
        return tdx_err(err, -ENAMETOOLONG, "%s: longer than a unix socket path may be; give a "
                       "shorter run directory", vm->vtpm_socket);
    return 0;
}

static int find_tool(const char *name, char **path, tdx_error *err)
{
    tdx_error e = TDX_ERROR_INIT;
    int r = qemu_find(name, path, &e);

    if (r == -ENOENT)
        return tdx_err(err, r, "--vtpm needs %s, which is not on PATH (Debian: apt-get install "
                       "swtpm swtpm-tools)", name);
    if (r < 0)
        return tdx_err(err, r, "%s", e.message);
    return 0;
}

/* swtpm_setup: a manufactured TPM 2.0 with the sha256 and sha384 banks
 * active (its default is sha256 alone); no EK certificates, which an event
 * log check does not need and which would need swtpm-tools' CA setup. */
static int setup_state(const char *state, const char *log, tdx_error *err)
{
    _cleanup_free_ char *bin = NULL, *state_arg = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    pid_t pid;
    int status = 0, r;

    r = find_tool("swtpm_setup", &bin, err);
    if (r < 0)
        return r;
    if (!(state_arg = strdup(state)) || strv_push(&argv, bin) < 0 ||
        strv_push(&argv, "--tpm2") < 0 || strv_push(&argv, "--tpm-state") < 0 ||
        strv_push(&argv, state_arg) < 0 || strv_push(&argv, "--pcr-banks") < 0 ||
        strv_push(&argv, "sha256,sha384") < 0)
        return tdx_err_oom(err);
    r = process_spawn(bin, argv, log, false, &pid, err);
    if (r < 0)
        return r;
    r = process_wait(pid, true, SWTPM_SETUP_TIMEOUT_MS, &status);
    if (r < 0) {
        process_terminate(pid, true, 1000, NULL);
        return tdx_err(err, -ETIMEDOUT, "swtpm_setup did not finish within %d s (log: %s)",
                       SWTPM_SETUP_TIMEOUT_MS / 1000, log);
    }
    if (status != 0)
        return tdx_err(err, -EIO, "swtpm_setup failed with status %d (log: %s)", status, log);
    return 0;
}

int vm_vtpm_start(tdx_vm *vm, tdx_error *err)
{
    _cleanup_free_ char *bin = NULL, *state = NULL, *setup_log = NULL, *log = NULL,
                        *pidfile = NULL, *state_arg = NULL, *ctrl_arg = NULL, *log_arg = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    int r;

    r = find_tool("swtpm", &bin, err);
    if (r < 0)
        return r;
    if (asprintf(&state, "%s/state", vm->vtpm_dir) < 0 ||
        asprintf(&setup_log, "%s/swtpm_setup.log", vm->vtpm_dir) < 0 ||
        asprintf(&log, "%s/swtpm.log", vm->vtpm_dir) < 0 ||
        asprintf(&pidfile, "%s/swtpm.pid", vm->vtpm_dir) < 0 ||
        asprintf(&state_arg, "dir=%s", state) < 0 ||
        asprintf(&ctrl_arg, "type=unixio,path=%s", vm->vtpm_socket) < 0 ||
        asprintf(&log_arg, "file=%s", log) < 0)
        return tdx_err_oom(err);
    /* A fresh TPM each run: the log then holds this boot's events only. */
    r = rm_rf_at(AT_FDCWD, vm->vtpm_dir);
    if (r < 0 && r != -ENOENT)
        return tdx_err(err, r, "%s: cannot remove the previous run's vTPM: %s", vm->vtpm_dir,
                       strerror(-r));
    if (mkdir(vm->vtpm_dir, 0700) < 0 || mkdir(state, 0700) < 0)
        return tdx_err(err, -errno, "%s: cannot create: %s", vm->vtpm_dir, strerror(errno));
    r = setup_state(state, setup_log, err);
    if (r < 0)
        return r;

    if (strv_push(&argv, bin) < 0 || strv_push(&argv, "socket") < 0 ||
        strv_push(&argv, "--tpm2") < 0 || strv_push(&argv, "--tpmstate") < 0 ||
        strv_push(&argv, state_arg) < 0 || strv_push(&argv, "--ctrl") < 0 ||
        strv_push(&argv, ctrl_arg) < 0 || strv_push(&argv, "--log") < 0 ||
        strv_push(&argv, log_arg) < 0 || strv_push(&argv, "--terminate") < 0)
        return tdx_err_oom(err);
    r = process_spawn(bin, argv, log, false, &vm->swtpm_pid, err);
    if (r < 0)
        return r;
    r = pidfile_write(pidfile, vm->swtpm_pid, err);
    if (r < 0) {
        vm_vtpm_kill(vm);
        return r;
    }
    /* QEMU connects at once and gives up if the socket is not there yet. */
    for (int waited = 0; access(vm->vtpm_socket, F_OK) < 0; waited += POLL_MS) {
        int status = 0;
        if (process_wait(vm->swtpm_pid, true, 0, &status) == 0) {
            vm->swtpm_pid = -1;
            return tdx_err(err, -ECHILD, "swtpm exited with status %d before it listened "
                           "(log: %s)", status, log);
        }
        if (waited >= SWTPM_SOCKET_TIMEOUT_MS) {
            vm_vtpm_kill(vm);
            return tdx_err(err, -ETIMEDOUT, "swtpm did not create %s within %d s (log: %s)",
                           vm->vtpm_socket, SWTPM_SOCKET_TIMEOUT_MS / 1000, log);
        }
        struct timespec ts = { 0, POLL_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void remove_pidfile(const char *vtpm_dir)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s/swtpm.pid", vtpm_dir);
    unlink(path);
}

void vm_vtpm_kill(tdx_vm *vm)
{
    if (vm->swtpm_pid > 0) {
        kill(vm->swtpm_pid, SIGKILL);
        while (waitpid(vm->swtpm_pid, NULL, 0) < 0 && errno == EINTR) {}
        vm->swtpm_pid = -1;
    }
    if (vm->vtpm_dir)
        remove_pidfile(vm->vtpm_dir);
}

void vm_vtpm_reap(tdx_vm *vm)
{
    if (vm->swtpm_pid <= 0)
        return;
    /* QEMU is gone, so --terminate ends swtpm by itself; give it a moment. */
    if (process_wait(vm->swtpm_pid, true, SWTPM_EXIT_GRACE_MS, NULL) < 0)
        process_terminate(vm->swtpm_pid, true, SWTPM_EXIT_GRACE_MS, NULL);
    vm->swtpm_pid = -1;
    remove_pidfile(vm->vtpm_dir);
}

/* The swtpm of this vTPM directory: its command line names our socket. */
static bool is_our_swtpm(pid_t pid, const char *ctrl_arg)
{
    _cleanup_strv_free_ char **argv = NULL;

    if (process_argv(pid, &argv) < 0)
        return false;
    STRV_FOREACH(a, argv)
        if (streq(*a, ctrl_arg))
            return true;
    return false;
}

void vm_vtpm_stop_dir(const char *run_dir)
{
    char vtpm_dir[4200], pidfile[4300], ctrl_arg[4400];
    tdx_error ignored = TDX_ERROR_INIT;
    pid_t pid;

    snprintf(vtpm_dir, sizeof(vtpm_dir), "%s/vtpm", run_dir);
    snprintf(pidfile, sizeof(pidfile), "%s/swtpm.pid", vtpm_dir);
    snprintf(ctrl_arg, sizeof(ctrl_arg), "type=unixio,path=%s/swtpm.sock", vtpm_dir);
    if (pidfile_read(pidfile, &pid, &ignored) < 0)
        return;
    /* A stale pid file may name another process by now: only ours is signalled. */
    if (process_alive(pid) && is_our_swtpm(pid, ctrl_arg) &&
        process_wait(pid, false, SWTPM_EXIT_GRACE_MS, NULL) < 0)
        process_terminate(pid, false, SWTPM_EXIT_GRACE_MS, NULL);
    unlink(pidfile);
}
