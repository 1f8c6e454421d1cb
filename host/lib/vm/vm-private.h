/* SPDX-License-Identifier: MIT */
/* The tdx_vm object, shared by planning (vm.c), supervision (supervise.c)
 * and ACPI capture (acpi-capture.c). */
#ifndef TDXHOST_LIB_VM_PRIVATE_H
#define TDXHOST_LIB_VM_PRIVATE_H

#include "vm-internal.h"

/* Appended to the kernel command line of capture runs (guest/init.c). */
#define VM_CAPTURE_FLAG "tdx.capture=acpi"
/* Appended to the command line of TCG runs (emulated, capture): with
 * pic=off, QEMU 7.2's TCG dies of SIGSEGV when Linux, finding the IO-APIC
 * timer slow on a loaded host, falls back to routing it through the 8259
 * ("...trying to set up timer as ExtINT IRQ..."). Skipping that check keeps
 * the IO-APIC timer. A TD's command line is never changed. */
#define VM_TCG_TIMER_FLAG "no_timer_check"

struct tdx_vm {
    struct vm_config cfg;
    int mode, flavor, transport;
    char *qemu, *qemu_version, *accel;
    uint64_t memory_mib;
    int cpus;
    char *cmdline;                  /* vm.json's, plus the capture flag */
    char *remote_dir;               /* the files' directory on another host */
    char *arg_firmware, *arg_kernel, *arg_initrd, *arg_disk;   /* as the command names them */
    char *run_dir, *serial, *qmp, *log, *pidfile, *user_pidfile, *name;
    char *agent;                    /* the agent's address */
    int guest_cid, host_port;
    char *measurements;             /* registers for the test PKI */
    char *test_pki, *test_root;     /* emulated runs */
    char **fw_cfg;                  /* "NAME=PATH" (strv) */
    char **argv;
    pid_t pid;                      /* -1 until started */
    char *vtpm_dir, *vtpm_socket;   /* RUN_DIR/vtpm, its swtpm.sock; NULL: no vTPM */
    pid_t swtpm_pid;                /* -1 when none runs for this handle */
};

extern const char *const vm_test_pki_files[];

/* A fresh test PKI in dir (replacing one there) whose registers are the
 * run's measurements. */
int vm_make_test_pki(const tdx_vm *vm, const char *dir, tdx_error *err);

/* Where the ACPI capture of a shape lives: BUILD_DIR/acpi for vm.json's
 * own shape (what tdx_build_measure_dir() reads), else
 * BUILD_DIR/acpi-<MiB>m-<N>c. Heap string, NULL on allocation failure. */
char *vm_acpi_dir(const struct vm_config *cfg, uint64_t mib, int cpus);

/* Ends the QEMU this handle started at once (QMP quit, then signals) and
 * reaps it: for a guest with nothing to save (capture). */
void vm_quit(tdx_vm *vm);

/* vtpm.c: the emulated run's swtpm. vm_vtpm_plan() sets the paths;
 * vm_vtpm_start() makes a fresh TPM state and starts swtpm (before QEMU),
 * which ends by itself when QEMU's connection does; vm_vtpm_kill() ends it
 * now (QEMU never connected); vm_vtpm_reap() after QEMU ended; and
 * vm_vtpm_stop_dir() for a run that another process started. */
int vm_vtpm_plan(tdx_vm *vm, tdx_error *err);
int vm_vtpm_start(tdx_vm *vm, tdx_error *err);
void vm_vtpm_kill(tdx_vm *vm);
void vm_vtpm_reap(tdx_vm *vm);
void vm_vtpm_stop_dir(const char *run_dir);

#endif
