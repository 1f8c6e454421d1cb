/* SPDX-License-Identifier: MIT */
/*
 * ACPI capture: boot the image once under the host's own QEMU, with the
 * TD's machine (the argv of capture mode is the TD's but for the
 * accelerator and the tdx-guest object) -- a kernel build with
 * `tdx.capture=acpi`, a disk build as it is (its systemd starts the agent)
 * -- fetch the three fw_cfg blobs the firmware received through the
 * agent's `acpi` op and the firmware's boot variables through `bootvars`,
 * end QEMU, and store them with the QEMU version and argv that produced
 * them. Every peer patches QEMU to dump the blobs; a stock QEMU and the
 * guest's own view suffice. The boot variables are what a disk boot's
 * RTMR0 needs besides (OVMF makes them for the VM's devices); a kernel
 * boot's are computed, so there they are kept when the guest gives them
 * (native images mount efivarfs) and their absence is recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "error.h"
#include "fileio.h"
#include "hex.h"
#include "tdxhost/agent.h"
#include "vm-private.h"

#define CAPTURE_AGENT_TIMEOUT_MS 180000

static const char *const blob_files[3] = { "etc-acpi-tables", "etc-acpi-rsdp", "etc-table-loader" };

static int write_file_in(int dfd, const char *name, const void *data, size_t len)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), r;
    if (fd < 0)
        return -errno;
    r = write_all(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    close(fd);
    return r;
}

#define BOOT_VARS_DIR "boot-variables"

struct boot_vars {
    tdx_boot_variable *v;
    size_t n;
    char missing[TDX_ERROR_MESSAGE_SIZE];    /* why a kernel boot's guest gave none */
};

static void sha256_hex(const void *data, size_t len, char hex[65])
{
    uint8_t md[32];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), hex);
}

static json_t *boot_vars_doc(const struct boot_vars *bv)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < bv->n; i++) {
        char hex[65];
        sha256_hex(bv->v[i].data, bv->v[i].size, hex);
        json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "name", bv->v[i].name, "size",
                                              (json_int_t)bv->v[i].size, "sha256", hex));
    }
    return list;
}

static json_t *capture_doc(const tdx_vm *vm, uint8_t *const blob[3], const size_t len[3],
                           const struct boot_vars *bv)
{
    json_t *argv = json_array(), *sums = json_object(), *doc;

    for (char **a = vm->argv; a && *a; a++)
        json_array_append_new(argv, json_string(*a));
    for (int i = 0; i < 3; i++) {
        char hex[65];
        sha256_hex(blob[i], len[i], hex);
        json_object_set_new(sums, blob_files[i], json_string(hex));
    }
    doc = json_pack("{s:i, s:s, s:s, s:o, s:I, s:i, s:{s:s, s:s, s:b, s:b, s:b}, s:s, s:s, s:o}",
                    "format", 1, "qemu_version", vm->qemu_version, "qemu", vm->qemu, "argv", argv,
                    "memory_mib", (json_int_t)vm->memory_mib, "cpus", vm->cpus, "machine",
                    "type", "q35", "kernel_irqchip", "split", "smm", 0, "pic", 0, "hpet", 0,
                    "accel", vm->accel, "transport",
                    vm->transport == TDX_VM_VSOCK ? "vsock" : "user-net", "sha256", sums);
    if (doc && bv->n)
        json_object_set_new(doc, "boot_variables", boot_vars_doc(bv));
    else if (doc)
        json_object_set_new(doc, "boot_variables_missing", json_string(bv->missing));
    return doc;
}

/* out_dir whole or not at all: a staging sibling, renamed into place; an
 * earlier capture is moved aside first and removed after. */
static int write_boot_vars(int dfd, const struct boot_vars *bv)
{
    int sub, r = 0;

    if (bv->n == 0)
        return 0;
    if (mkdirat(dfd, BOOT_VARS_DIR, 0755) < 0)
        return -errno;
    sub = openat(dfd, BOOT_VARS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub < 0)
        return -errno;
    /* Names are BootOrder or Boot#### (tdx_agent_boot_variables() checks). */
    for (size_t i = 0; r == 0 && i < bv->n; i++)
        r = write_file_in(sub, bv->v[i].name, bv->v[i].data, bv->v[i].size);
    if (r == 0 && fsync(sub) < 0)
        r = -errno;
    close(sub);
    return r;
}

static int store(const tdx_vm *vm, const char *out_dir, uint8_t *const blob[3],
                 const size_t len[3], const struct boot_vars *bv, tdx_error *err)
{
    _cleanup_free_ char *staging = NULL, *old = NULL, *text = NULL;
    json_t *doc = capture_doc(vm, blob, len, bv);
    int dfd = -1, r = 0;
    bool had_old = false;

    if (!doc || !(text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) ||
        asprintf(&staging, "%s.new-XXXXXX", out_dir) < 0 || asprintf(&old, "%s.old", out_dir) < 0) {
        json_decref(doc);
        return tdx_err_oom(err);
    }
    json_decref(doc);
    if (!mkdtemp(staging))
        return tdx_err(err, -errno, "%s: cannot create: %s", staging, strerror(errno));
    dfd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        r = -errno;
    for (int i = 0; r == 0 && i < 3; i++)
        r = write_file_in(dfd, blob_files[i], blob[i], len[i]);
    if (r == 0)
        r = write_boot_vars(dfd, bv);
    if (r == 0) {
        size_t n = strlen(text);
        text[n] = '\n';   /* json_dumps' NUL becomes the final newline */
        r = write_file_in(dfd, "capture.json", text, n + 1);
        text[n] = '\0';
    }
    if (r == 0 && fsync(dfd) < 0)
        r = -errno;
    if (dfd >= 0)
        close(dfd);
    if (r == 0) {
        rm_rf_at(AT_FDCWD, old);
        had_old = rename(out_dir, old) == 0;
        if (rename(staging, out_dir) < 0) {
            r = -errno;
            if (had_old)
                rename(old, out_dir);
        }
    }
    if (r < 0) {
        rm_rf_at(AT_FDCWD, staging);
        return tdx_err(err, r, "%s: cannot write the capture: %s", out_dir, strerror(-r));
    }
    if (had_old)
        rm_rf_at(AT_FDCWD, old);
    return 0;
}

int tdx_vm_capture_acpi(tdx_vm *vm, const char *out_dir, int timeout_ms, tdx_error *err)
{
    tdx_vm_start_options so = TDX_VM_START_OPTIONS_INIT;
    tdx_agent_options ao = TDX_AGENT_OPTIONS_INIT;
    _cleanup_free_ char *dir = NULL;
    uint8_t *blob[3] = { NULL, NULL, NULL };
    size_t len[3] = { 0, 0, 0 };
    struct boot_vars bv = { NULL, 0, "" };
    tdx_agent *agent = NULL;
    int r;

    tdx_check_arg(vm, err);
    if (vm->mode != TDX_VM_CAPTURE)
        return tdx_err(err, -EINVAL, "tdx_vm_capture_acpi: the VM was not planned in capture mode");
    dir = out_dir ? strdup(out_dir) : vm_acpi_dir(&vm->cfg, vm->memory_mib, vm->cpus);
    if (!dir)
        return tdx_err_oom(err);
    so.agent_timeout_ms = timeout_ms == TDX_UNSET ? CAPTURE_AGENT_TIMEOUT_MS : timeout_ms;
    r = tdx_vm_start(vm, &so, err);
    if (r < 0)
        return r;
    ao.connect_timeout_ms = 10000;
    r = tdx_agent_connect(&agent, vm->agent, &ao, err);
    if (r == 0)
        r = tdx_agent_acpi(agent, &blob[0], &len[0], &blob[1], &len[1], &blob[2], &len[2], err);
    if (r == 0 && vm->cfg.disk) {
        r = tdx_agent_boot_variables(agent, &bv.v, &bv.n, err);
        if (r < 0)
            r = tdx_err_prefix(err, r, "a disk boot's RTMR0 needs the firmware's boot variables");
    } else if (r == 0) {
        tdx_error why = TDX_ERROR_INIT;
        if (tdx_agent_boot_variables(agent, &bv.v, &bv.n, &why) < 0)
            snprintf(bv.missing, sizeof(bv.missing), "%s", why.message);
    }
    tdx_agent_free(agent);
    /* The guest has nothing to save: end QEMU before writing anything. */
    vm_quit(vm);
    if (r == 0)
        r = store(vm, dir, blob, len, &bv, err);
    for (int i = 0; i < 3; i++)
        free(blob[i]);
    tdx_boot_variables_free(bv.v, bv.n);
    return r;
}
