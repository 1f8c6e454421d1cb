/* SPDX-License-Identifier: MIT */
/* The VM runner's parts: the build directory's vm.json, QEMU's version and
 * flavour, the command line, free addresses, QMP, the process. */
#ifndef TDXHOST_LIB_VM_INTERNAL_H
#define TDXHOST_LIB_VM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tdxhost/vm.h"

#define VM_JSON_MAX (64 * 1024)
#define VM_CMDLINE_MAX 4096
#define VM_MEMORY_MIB_MAX (4u * 1024 * 1024)   /* 4 TiB */
#define VM_CPUS_MAX 512
#define VM_AGENT_PORT_DEFAULT 1050
/* A marker in QEMU's -name that tdx_vm_stop_path() looks for before it
 * signals a pid read from a file. */
#define VM_PROCESS_PREFIX "tdxhost-"

/* What vm.json says (docs/build.md). Paths are absolute (build dir joined). */
struct vm_config {
    char *build_dir;
    char *firmware, *kernel, *initrd;  /* initrd NULL when vm.json has none */
    char *disk, *uki;                  /* "boot": "disk": the disk image and the UKI its
                                        * ESP starts (measured); kernel NULL */
    char *cmdline;                     /* contents of the cmdline file; NULL for a disk boot */
    char *cmdline_file;
    char *image_id;                    /* build.json's image_id, else the dir's name */
    uint64_t memory_mib;
    int cpus;
    bool test_provider;
    int agent_port;
    char *page_order;                  /* vm.json qemu.page_order, may be NULL */
};

int vm_config_load(struct vm_config *c, const char *build_dir, tdx_error *err);
/* The same from vm.json's text; dir is the (absolute) build directory the
 * files are looked up in, file names the document in messages. */
int vm_config_parse(struct vm_config *c, const char *dir, const char *file, const char *text,
                    size_t len, tdx_error *err);
void vm_config_done(struct vm_config *c);

/* Runs `qemu --version` and returns "MAJOR.MINOR.PATCH" and the flavour its
 * package version suggests (+tdx builds of 8.2 and 9.2 are Canonical's). */
int qemu_probe(const char *qemu, char **version, int *flavor, tdx_error *err);
/* Parses "8.2.2" into numbers (missing parts are 0). 0 or -EINVAL. */
int qemu_version_parse(const char *s, unsigned *major, unsigned *minor, unsigned *patch);
/* The flavour a version string (the first line of --version) names; -1 when
 * the QEMU cannot run a TD. */
int qemu_flavor_of(const char *version_line, unsigned major, unsigned minor);
/* Where qemu is: the path itself when it has a slash, else the first
 * executable of that name in PATH. */
int qemu_find(const char *qemu, char **path, tdx_error *err);

/* Everything the command line depends on, resolved. */
struct vm_plan {
    int mode, flavor, transport;
    const char *qemu;                  /* the binary (argv[0]) */
    const char *accel;                 /* emulated/capture: "tcg"/"kvm" */
    uint64_t memory_mib;
    int cpus;
    const char *firmware, *kernel, *initrd, *cmdline;
    const char *disk;                  /* a disk boot: no kernel, initrd, cmdline */
    const char *name;                  /* -name (VM_PROCESS_PREFIX + image id) */
    const char *serial, *qmp_socket;
    int guest_cid, host_port, agent_port;
    const char *quote_service;         /* "vsock:CID:PORT" or "unix:PATH" */
    const char *const *fw_cfg_files;   /* NULL-terminated: "NAME=PATH", may be NULL */
    const char *tpm_socket;            /* swtpm's control socket; NULL: no TPM */
};

/* Builds argv (a strv) for a plan. 0, -EINVAL (bad quote_service), -ENOMEM. */
int vm_argv_build(const struct vm_plan *p, char ***argv, tdx_error *err);

/* POSIX shell quoting of one word / a whole argv. */
int shell_quote_argv(const char *const *argv, char **out);

/* A free TCP port on 127.0.0.1 (bind-tested), or check a given one:
 * 0 or -EADDRINUSE. */
int free_tcp_port(int *port, tdx_error *err);
int check_tcp_port(int port, tdx_error *err);
/* A free vsock guest CID (checked with /dev/vhost-vsock), or check a given one. */
int free_guest_cid(int *cid, tdx_error *err);

/* QMP: connects to path, negotiates capabilities, runs command (no
 * arguments). 0 or a negative errno. */
int qmp_execute(const char *path, const char *command, int timeout_ms, tdx_error *err);

/* Milliseconds of CLOCK_MONOTONIC. */
long long vm_now_ms(void);

/* Process helpers. */
/* Starts bin with argv in a session of its own, stdin /dev/null, stdout and
 * stderr to log (truncated, or appended to). 0 or a negative errno. */
int process_spawn(const char *bin, char *const *argv, const char *log, bool truncate, pid_t *pid,
                  tdx_error *err);
bool process_alive(pid_t pid);
/* The process's argv from /proc (a strv). */
int process_argv(pid_t pid, char ***argv);
/* Waits up to timeout_ms (-1: for ever) for pid to end; our child is
 * reaped (*status set), another process is polled. 0, -ETIMEDOUT, -EINTR. */
int process_wait(pid_t pid, bool child, int timeout_ms, int *status);
/* SIGTERM, then SIGKILL after kill_ms; 0 or -ETIMEDOUT. */
int process_terminate(pid_t pid, bool child, int kill_ms, int *status);

/* Reads a pid file: 0, -ENOENT, -EINVAL (not a pid). */
int pidfile_read(const char *path, pid_t *pid, tdx_error *err);
int pidfile_write(const char *path, pid_t pid, tdx_error *err);

#endif
