/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/vm.h
 * @brief Booting a native build directory under QEMU: as a TD on a TDX host,
 *        emulated (TCG) for development, or once to capture its ACPI tables.
 *
 * A tdx_vm is one planned or running QEMU process for a build directory
 * (docs/build.md: vm.json, vmlinuz, initrd.cpio.gz, OVMF.fd, cmdline,
 * measurements.json). tdx_vm_new() reads the build, asks the QEMU binary for
 * its version, picks the agent's address and builds the exact command line;
 * nothing is started or written until tdx_vm_start(). The library supervises
 * the process it started (agent readiness, ACPI power-off, kill after a
 * timeout) and never prints.
 *
 * Per-run files go to a run directory (default BUILD_DIR/run): qemu.pid,
 * qemu.log (QEMU's own messages), qmp.sock, serial.log and, in emulated runs,
 * test-pki/ (docs/run.md).
 */
#ifndef TDXHOST_VM_H
#define TDXHOST_VM_H

#include "common.h"

TDX_BEGIN_DECLS

/** Opaque handle of one VM (planned or running). */
typedef struct tdx_vm tdx_vm;

/** How the VM runs. Append-only. */
typedef enum tdx_vm_mode {
    /** A TD: KVM with TDX, tdx-guest object, TDVF as -bios. */
    TDX_VM_TDX = 0,
    /** No TDX: TCG (or KVM with --accel kvm) with the TD's machine settings;
     *  the agent gets a per-run test PKI through fw_cfg. */
    TDX_VM_EMULATED = 1,
    /** As emulated, without a test PKI, with `tdx.capture=acpi` appended to
     *  the command line: the guest serves its ACPI blobs and waits. */
    TDX_VM_CAPTURE = 2
} tdx_vm_mode;

/** Which QEMU's TDX command line to write. Append-only. */
typedef enum tdx_qemu_flavor {
    /** Upstream QEMU >= 10.1 (also what a TDX-less QEMU gets in emulated runs). */
    TDX_QEMU_UPSTREAM = 0,
    /** Canonical's TDX build of 8.2 (2:8.2.2+ds-0ubuntu1.4+tdx1.1). */
    TDX_QEMU_CANONICAL_8_2 = 1,
    /** Canonical's TDX build of 9.2 (1:9.2.1+ds-1ubuntu4+tdx2.0). */
    TDX_QEMU_CANONICAL_9_2 = 2
} tdx_qemu_flavor;

/** How the host reaches the agent. Append-only. */
typedef enum tdx_vm_transport {
    /** vhost-vsock-pci with a free guest CID; the agent at vsock:CID:PORT. */
    TDX_VM_VSOCK = 0,
    /** QEMU user networking forwarding 127.0.0.1:HOSTPORT to the agent's TCP port. */
    TDX_VM_USER_NET = 1
} tdx_vm_transport;

/** "upstream", "canonical-8.2", "canonical-9.2"; NULL for an unknown value. */
TDX_EXTERN const char *tdx_qemu_flavor_name(int flavor);

/**
 * Parses a flavour name as tdx_qemu_flavor_name() writes it.
 * @return 0; -EINVAL (unknown name, the known ones listed in err).
 */
TDX_EXTERN int tdx_qemu_flavor_from_name(const char *name, tdx_qemu_flavor *out, tdx_error *err);

#define TDX_VM_OPTIONS_VERSION 2
typedef struct tdx_vm_options {
    unsigned int version;
    /** A tdx_vm_mode; TDX_UNSET: TDX when the host's KVM reports TDX
     *  (/sys/module/kvm_intel/parameters/tdx is Y), else emulated. */
    int mode;
    /** QEMU binary; NULL: qemu-system-x86_64 from PATH. */
    const char *qemu;
    /** A tdx_qemu_flavor; TDX_UNSET: from `QEMU --version`. */
    int flavor;
    /** "MAJOR.MINOR[.PATCH]" to use instead of asking the binary; NULL: ask it. */
    const char *qemu_version;
    /** Guest memory in MiB; 0: vm.json's memory_mib. A value that differs
     *  from vm.json is refused unless allow_reshape is 1. */
    uint64_t memory_mib;
    /** vCPUs; TDX_UNSET: vm.json's cpus. Same rule as memory_mib. */
    int cpus;
    /** 1: accept a memory/vCPU shape other than the measured one (the caller
     *  then writes new measurements with tdx_vm_remeasure()). TDX_UNSET: 0. */
    int allow_reshape;
    /** Run directory; NULL: BUILD_DIR/run. */
    const char *run_dir;
    /** Console log file; NULL: RUN_DIR/serial.log. */
    const char *serial;
    /** A tdx_vm_transport; TDX_UNSET: vsock when /dev/vhost-vsock exists,
     *  else user networking. */
    int transport;
    /** Guest CID for vsock; TDX_UNSET: a free one (checked with the
     *  vhost-vsock device). */
    int guest_cid;
    /** Host port forwarded to the agent (user networking); TDX_UNSET: a free
     *  one (bind-tested on 127.0.0.1). */
    int host_port;
    /** Where the TD's quotes are made: "vsock:CID:PORT" or "unix:PATH" (the
     *  QGS socket); NULL: "vsock:2:4050". TDX mode only. */
    const char *quote_service;
    /** Accelerator of emulated and capture runs: "tcg" or "kvm"; NULL: "tcg". */
    const char *accel;
    /** The command runs on another host, where the build directory's files
     *  are in this directory (`tdxctl deploy`): paths are written below it,
     *  the QEMU binary is not looked for here (qemu_version is required),
     *  the CID and port are not tested here, and when not given the transport
     *  is vsock and the CID is picked at random. NULL: this host. */
    const char *remote_dir;
    /** Version 2. 1: an emulated run gets a TPM 2.0 (swtpm, `tpm-crb`) with
     *  fresh state in RUN_DIR/vtpm and PCR banks sha256 and sha384, so the
     *  firmware writes a TCG2 event log the guest exports (see
     *  tdx_agent_tpm_eventlog()). Needs swtpm and swtpm_setup on PATH when
     *  started. Refused (-EINVAL) in TDX mode, where a vTPM is the cloud's,
     *  and for capture runs and other hosts. TDX_UNSET or 0: no TPM. */
    int vtpm;
} tdx_vm_options;
#define TDX_VM_OPTIONS_INIT                                                                  \
    { TDX_VM_OPTIONS_VERSION, TDX_UNSET, NULL, TDX_UNSET, NULL, 0, TDX_UNSET, TDX_UNSET, \
      NULL, NULL, TDX_UNSET, TDX_UNSET, TDX_UNSET, NULL, NULL, NULL, TDX_UNSET }

/**
 * Plans a VM for @p build_dir: reads and checks vm.json (format 1) and the
 * files it names, checks that the firmware carries TDVF metadata, finds the
 * QEMU binary and its version (and flavour), picks the agent's address and
 * builds the command line. Writes nothing and starts nothing.
 * @param[out] out receives the handle; free it with tdx_vm_free().
 * @return 0; -EINVAL (bad vm.json, options, firmware without TDVF metadata,
 *         a shape other than the measured one, a QEMU without TDX for TDX
 *         mode, emulated mode for an image without the test provider:
 *         err names which); -ENOENT (a missing file, no QEMU binary);
 *         -EADDRINUSE (the given port or CID is taken); -ENOMEM.
 */
TDX_EXTERN int tdx_vm_new(tdx_vm **out, const char *build_dir, const tdx_vm_options *opts,
                          tdx_error *err);

/** Frees the handle. A process it started keeps running (stop it first with
 *  tdx_vm_stop() if it should not). NULL is accepted. */
TDX_EXTERN void tdx_vm_free(tdx_vm *vm);

/** The QEMU command line, NULL-terminated. Borrowed: valid while @p vm lives. */
TDX_EXTERN const char *const *tdx_vm_argv(const tdx_vm *vm);

/**
 * The command line as one POSIX-shell-quoted line (no newline), what a
 * script would run.
 * @param[out] out the text; caller frees with tdx_free().
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_vm_command_line(const tdx_vm *vm, char **out, tdx_error *err);

/** The mode this VM runs in (a tdx_vm_mode). */
TDX_EXTERN int tdx_vm_mode_of(const tdx_vm *vm);
/** The QEMU flavour the command line was written for (a tdx_qemu_flavor). */
TDX_EXTERN int tdx_vm_flavor(const tdx_vm *vm);
/** The QEMU version used ("10.1.0"). Borrowed. */
TDX_EXTERN const char *tdx_vm_qemu_version(const tdx_vm *vm);
/** Memory in MiB and vCPUs of this run. */
TDX_EXTERN uint64_t tdx_vm_memory_mib(const tdx_vm *vm);
TDX_EXTERN int tdx_vm_cpus(const tdx_vm *vm);
/** Where the agent listens, as `tdxctl secrets push --connect` takes it. Borrowed. */
TDX_EXTERN const char *tdx_vm_agent_address(const tdx_vm *vm);
/** The console log file. Borrowed. */
TDX_EXTERN const char *tdx_vm_serial_path(const tdx_vm *vm);
/** The run directory. Borrowed. */
TDX_EXTERN const char *tdx_vm_run_dir(const tdx_vm *vm);
/** The test PKI's root certificate (emulated runs), else NULL. Borrowed. */
TDX_EXTERN const char *tdx_vm_test_root(const tdx_vm *vm);
/** The QEMU process id once started, else 0. */
TDX_EXTERN int tdx_vm_pid(const tdx_vm *vm);

/**
 * Computes MRTD and RTMR0-3 for this run's shape (memory, vCPUs) and QEMU
 * version with tdx_measure_direct_boot(), using the ACPI capture for that
 * shape when there is one (see tdx_vm_capture_acpi()), and writes them as JSON to @p path
 * (atomically). Later tdx_vm_start() calls use this file for the test PKI's
 * registers instead of BUILD_DIR/measurements.json.
 * @return 0; the errors of tdx_measure_direct_boot() and of writing the file.
 */
TDX_EXTERN int tdx_vm_remeasure(tdx_vm *vm, const char *path, tdx_error *err);

#define TDX_VM_START_OPTIONS_VERSION 1
typedef struct tdx_vm_start_options {
    unsigned int version;
    /** Also write the QEMU pid here (besides RUN_DIR/qemu.pid); NULL: no. */
    const char *pidfile;
    /** Milliseconds to wait for the agent's `info` reply; TDX_UNSET: 120000;
     *  0: do not wait. */
    int agent_timeout_ms;
} tdx_vm_start_options;
#define TDX_VM_START_OPTIONS_INIT { TDX_VM_START_OPTIONS_VERSION, NULL, TDX_UNSET }

/**
 * Creates the run directory (and, in emulated runs, a fresh test PKI whose
 * registers are the build's measurements), starts QEMU in its own session
 * and waits until the agent answers `info`. On failure the process is
 * killed and reaped: nothing is left running.
 * @return 0; -EINVAL (bad options); -ETIMEDOUT (the agent did not answer in
 *         time); -ECHILD (QEMU exited: err carries its last message);
 *         -EADDRINUSE (the forwarded port was taken meanwhile); -EALREADY
 *         (started before); other negative errno from the file system.
 */
TDX_EXTERN int tdx_vm_start(tdx_vm *vm, const tdx_vm_start_options *opts, tdx_error *err);

/**
 * Waits for the started QEMU to exit.
 * @param timeout_ms -1: for ever.
 * @param[out] status its exit status (128 + signal when killed); may be NULL.
 * @return 0; -ETIMEDOUT; -ECHILD (not started by this handle); -EINTR (a
 *         signal arrived: the caller decides, e.g. to tdx_vm_stop()).
 */
TDX_EXTERN int tdx_vm_wait(tdx_vm *vm, int timeout_ms, int *status, tdx_error *err);

/**
 * Stops the VM this handle started: see tdx_vm_stop_path().
 * @return as tdx_vm_stop_path().
 */
TDX_EXTERN int tdx_vm_stop(tdx_vm *vm, int timeout_ms, tdx_error *err);

/**
 * Stops a VM started by tdx_vm_start() (in this process or another): asks
 * the guest to power off over QMP (system_powerdown), waits up to
 * @p timeout_ms, then sends SIGTERM, and SIGKILL after another 5 s. The
 * process is checked to be the QEMU of that run (its command line names the
 * run's QMP socket) before any signal is sent.
 * @param path a build directory (its run/qemu.pid), a run directory or a
 *             pid file.
 * @param timeout_ms grace period for the power-off; TDX_UNSET: 30000.
 * @return 0 (stopped, or 1 when it was not running: the stale pid file is
 *         removed); -ENOENT (no pid file); -ESRCH (the pid belongs to
 *         another process); -ETIMEDOUT (not even SIGKILL ended it); -EPERM.
 */
TDX_EXTERN int tdx_vm_stop_path(const char *path, int timeout_ms, tdx_error *err);

/**
 * Captures QEMU's ACPI blobs for RTMR0 with the host's own QEMU. @p vm must
 * be planned in TDX_VM_CAPTURE mode (same memory, vCPUs and devices as the
 * TD run: see docs/run.md for what must match). Starts it, waits for the
 * agent, fetches etc/acpi/tables, etc/acpi/rsdp and etc/table-loader with
 * tdx_agent_acpi(), ends QEMU, and writes @p out_dir whole (staging
 * directory, then rename; an earlier capture is replaced):
 * etc-acpi-tables, etc-acpi-rsdp, etc-table-loader and capture.json
 * ({format, qemu_version, qemu, argv, memory_mib, cpus, machine, accel,
 * transport, sha256}).
 * @param out_dir NULL: BUILD_DIR/acpi when the VM has vm.json's memory and
 *        vCPUs (what tdx_build_measure_dir() reads), else
 *        BUILD_DIR/acpi-<MiB>m-<N>c (what tdx_vm_remeasure() reads for that
 *        shape), so acpi/ always matches the build's own shape.
 * @param timeout_ms how long to wait for the agent; TDX_UNSET: 180000.
 * @return 0; the errors of tdx_vm_start() and tdx_agent_acpi(); a negative
 *         errno from writing. QEMU is never left running.
 */
TDX_EXTERN int tdx_vm_capture_acpi(tdx_vm *vm, const char *out_dir, int timeout_ms,
                                   tdx_error *err);

#define TDX_DEPLOY_OPTIONS_VERSION 1
typedef struct tdx_deploy_options {
    unsigned int version;
    /** How the VM runs there: mode (TDX_UNSET: TDX), QEMU binary and flavour,
     *  transport, CID, port, quote service, memory, vCPUs; NULL: defaults.
     *  qemu_version NULL: asked from the far side's QEMU over ssh. run_dir,
     *  serial and remote_dir are set by tdx_deploy(). Borrowed. */
    const tdx_vm_options *vm;
    /** An OpenSSH client configuration file for ssh and scp (-F); NULL: the
     *  user's own (~/.ssh/config). */
    const char *ssh_config;
    /** 1: start run.sh there, detached, once the files are checked. TDX_UNSET: 0. */
    int start;
} tdx_deploy_options;
#define TDX_DEPLOY_OPTIONS_INIT { TDX_DEPLOY_OPTIONS_VERSION, NULL, NULL, TDX_UNSET }

/**
 * Deploys @p build_dir to another host with the user's OpenSSH client
 * (`ssh` and `scp` from PATH: their configuration, agent and known_hosts).
 * @p target is ssh://[USER@]HOST[:PORT]/DIR; DIR is made there and may hold
 * only letters, digits and / . _ - +. Copies the firmware, kernel, initrd,
 * command line, vm.json, build.json and measurements, and a self-contained
 * DIR/run.sh running the exact QEMU command tdx_vm_command_line() gives for
 * that host (its QEMU's version asked over ssh unless given), plus, for an
 * emulated run, a fresh test PKI in DIR/run/test-pki; writes SHA256SUMS and
 * checks every file with `sha256sum -c` there; with start, runs run.sh
 * detached (QEMU's messages in DIR/run/qemu.log, its pid in DIR/run/qemu.pid).
 * @param[out] result_json {"ok", "target", "host", "directory", "agent",
 *             "mode", "qemu_version", "flavor", "command", "files":
 *             [{"path", "sha256", "size"}], "started"}; free with tdx_free().
 * @return 0; -EINVAL (bad target or options, and tdx_vm_new()'s errors);
 *         -ECONNREFUSED (ssh could not connect or authenticate: its message
 *         in err); -EIO (a remote command or scp failed, or a checksum
 *         differs there); -ENOENT (no ssh or scp).
 */
TDX_EXTERN int tdx_deploy(const char *target, const char *build_dir,
                          const tdx_deploy_options *opts, char **result_json, tdx_error *err);

TDX_END_DECLS

#endif
