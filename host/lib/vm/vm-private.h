/* SPDX-License-Identifier: MIT */
/* The tdx_vm object, shared by planning (vm.c), supervision (supervise.c)
 * and ACPI capture (acpi-capture.c). */
#ifndef TDXHOST_LIB_VM_PRIVATE_H
#define TDXHOST_LIB_VM_PRIVATE_H

#include "vm-internal.h"

/* Appended to the kernel command line of capture runs (guest/init.c). */
#define VM_CAPTURE_FLAG "tdx.capture=acpi"

struct tdx_vm {
    struct vm_config cfg;
    int mode, flavor, transport;
    char *qemu, *qemu_version, *accel;
    uint64_t memory_mib;
    int cpus;
    char *cmdline;                  /* vm.json's, plus the capture flag */
    char *remote_dir;               /* the files' directory on another host */
    char *arg_firmware, *arg_kernel, *arg_initrd;   /* as the command names them */
    char *run_dir, *serial, *qmp, *log, *pidfile, *user_pidfile, *name;
    char *agent;                    /* the agent's address */
    int guest_cid, host_port;
    char *measurements;             /* registers for the test PKI */
    char *test_pki, *test_root;     /* emulated runs */
    char **fw_cfg;                  /* "NAME=PATH" (strv) */
    char **argv;
    pid_t pid;                      /* -1 until started */
};

extern const char *const vm_test_pki_files[];

#endif
