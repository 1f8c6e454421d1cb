/* SPDX-License-Identifier: MIT */
/*
 * tdx_vm: planning a run of a build directory (vm.json, the QEMU binary,
 * the agent's address, the command line) and the accessors. Starting,
 * waiting and stopping are in supervise.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "error.h"
#include "fileio.h"
#include "measure/tdvf.h"
#include "sim-pki.h"
#include "strv.h"
#include "vm-private.h"

/* The files of a test PKI the guest's simulator reads (guest/quote-sim.c);
 * the root and intermediate keys stay on the host. */
const char *const vm_test_pki_files[] = {
    SIM_PKI_ROOT_CERT, SIM_PKI_INTERMEDIATE_CERT, SIM_PKI_PCK_CERT, SIM_PKI_PCK_KEY,
    SIM_PKI_ATTESTATION_KEY, SIM_PKI_MEASUREMENTS, NULL,
};

static int check_values(const tdx_vm_options *o, tdx_error *err)
{
    if (o->mode != TDX_UNSET && (o->mode < TDX_VM_TDX || o->mode > TDX_VM_CAPTURE))
        return tdx_err(err, -EINVAL, "tdx_vm_new: unknown mode %d", o->mode);
    if (o->flavor != TDX_UNSET && !tdx_qemu_flavor_name(o->flavor))
        return tdx_err(err, -EINVAL, "tdx_vm_new: unknown QEMU flavour %d", o->flavor);
    if (o->transport != TDX_UNSET && o->transport != TDX_VM_VSOCK && o->transport != TDX_VM_USER_NET)
        return tdx_err(err, -EINVAL, "tdx_vm_new: unknown transport %d", o->transport);
    if (o->memory_mib && (o->memory_mib < 64 || o->memory_mib > VM_MEMORY_MIB_MAX))
        return tdx_err(err, -EINVAL, "memory: %" PRIu64 " MiB is outside 64 MiB to 4 TiB",
                       o->memory_mib);
    if (o->cpus != TDX_UNSET && (o->cpus < 1 || o->cpus > VM_CPUS_MAX))
        return tdx_err(err, -EINVAL, "cpus: %d is outside 1 to %d", o->cpus, VM_CPUS_MAX);
    if (o->host_port != TDX_UNSET && (o->host_port < 1 || o->host_port > 65535))
        return tdx_err(err, -EINVAL, "host port %d is outside 1 to 65535", o->host_port);
    if (o->guest_cid != TDX_UNSET && o->guest_cid < 3)
        return tdx_err(err, -EINVAL, "guest CID %d: CIDs 0 to 2 are reserved", o->guest_cid);
    if (o->accel && !streq(o->accel, "tcg") && !streq(o->accel, "kvm"))
        return tdx_err(err, -EINVAL, "accelerator '%s': expected tcg or kvm", o->accel);
    if (o->version >= 2 && o->vtpm != TDX_UNSET && o->vtpm != 0 && o->vtpm != 1)
        return tdx_err(err, -EINVAL, "tdx_vm_new: vtpm %d: expected 0 or 1", o->vtpm);
    return 0;
}

/* The host's KVM says it runs TDs. */
static bool host_has_tdx(void)
{
    char *text = NULL;
    size_t len;
    bool yes = read_file_bounded("/sys/module/kvm_intel/parameters/tdx", 16, &text, &len) == 0 &&
               (text[0] == 'Y' || text[0] == 'y' || text[0] == '1');
    free(text);
    return yes;
}

/* Appends " word" (just "word" to an empty line); *line becomes NULL on
 * allocation failure. */
static void append_word(char **line, const char *word)
{
    char *out;
    if (asprintf(&out, "%s%s%s", *line, **line ? " " : "", word) < 0)
        out = NULL;
    free(*line);
    *line = out;
}

static int check_firmware(const char *path, tdx_error *err)
{
    _cleanup_free_ char *fw = NULL;
    struct tdvf md;
    size_t len;
    int r = read_file_bounded(path, TDVF_FIRMWARE_MAX, &fw, &len);

    if (r < 0)
        return tdx_err(err, r, "%s: %s", path, r == -EFBIG ? "larger than 64 MiB: not a TDVF"
                                                           : strerror(-r));
    r = tdvf_parse((const uint8_t *)fw, len, path, &md, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "firmware without TDVF metadata (a TD cannot boot it)");
    tdvf_free(&md);
    return 0;
}

static char *absolute(const char *path)
{
    char cwd[4096], *out;
    if (path[0] == '/')
        return strdup(path);
    if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

static int test_provider_refusal(const tdx_vm *vm, tdx_error *err)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    const char *profile = NULL;
    char name[64] = "";
    size_t len;
    json_t *doc = NULL;

    if (asprintf(&path, "%s/build.json", vm->cfg.build_dir) >= 0 &&
        read_file_bounded(path, 4u << 20, &text, &len) == 0 &&
        (doc = json_loadb(text, len, 0, NULL)))
        profile = json_string_value(json_object_get(doc, "profile"));
    if (profile)
        snprintf(name, sizeof(name), " (profile '%.40s')", profile);
    json_decref(doc);
    return tdx_err(err, -EINVAL, "%s: this image%s was built without the test quote provider "
                   "(vm.json test_provider is false), so an emulated run cannot attest; rebuild "
                   "it with a profile whose agent.test_provider is true, such as the examples' "
                   "'dev' profile", vm->cfg.build_dir, name);
}

/* A build file as the command names it: here, or below remote_dir. */
static char *file_arg(const tdx_vm *vm, const char *path)
{
    const char *base = strrchr(path, '/');
    char *out;

    if (!vm->remote_dir)
        return strdup(path);
    return asprintf(&out, "%s/%s", vm->remote_dir, base ? base + 1 : path) < 0 ? NULL : out;
}

static int plan_paths(tdx_vm *vm, const tdx_vm_options *o, tdx_error *err)
{
    struct sockaddr_un sa;

    if (o->remote_dir && !(vm->remote_dir = strdup(o->remote_dir)))
        return tdx_err_oom(err);
    if (o->run_dir)
        vm->run_dir = vm->remote_dir ? strdup(o->run_dir) : absolute(o->run_dir);
    else if (asprintf(&vm->run_dir, "%s/run", vm->remote_dir ? vm->remote_dir
                                                            : vm->cfg.build_dir) < 0)
        vm->run_dir = NULL;
    if (!vm->run_dir || !(vm->arg_firmware = file_arg(vm, vm->cfg.firmware)) ||
        (vm->cfg.kernel && !(vm->arg_kernel = file_arg(vm, vm->cfg.kernel))) ||
        (vm->cfg.disk && !(vm->arg_disk = file_arg(vm, vm->cfg.disk))) ||
        (vm->cfg.initrd && !(vm->arg_initrd = file_arg(vm, vm->cfg.initrd))))
        return tdx_err_oom(err);
    vm->serial = o->serial ? absolute(o->serial) : NULL;
    if ((!o->serial && asprintf(&vm->serial, "%s/serial.log", vm->run_dir) < 0) || !vm->serial ||
        asprintf(&vm->qmp, "%s/qmp.sock", vm->run_dir) < 0 ||
        asprintf(&vm->log, "%s/qemu.log", vm->run_dir) < 0 ||
        asprintf(&vm->pidfile, "%s/qemu.pid", vm->run_dir) < 0 ||
        asprintf(&vm->name, VM_PROCESS_PREFIX "%s", vm->cfg.image_id) < 0 ||
        asprintf(&vm->measurements, "%s/measurements.json", vm->cfg.build_dir) < 0)
        return tdx_err_oom(err);
    if (strlen(vm->qmp) >= sizeof(sa.sun_path))
        return tdx_err(err, -ENAMETOOLONG, "%s: longer than a unix socket path may be; give a "
                       "shorter run directory", vm->qmp);
    if (vm->mode == TDX_VM_EMULATED) {
        if (asprintf(&vm->test_pki, "%s/test-pki", vm->run_dir) < 0 ||
            asprintf(&vm->test_root, "%s/" SIM_PKI_ROOT_CERT, vm->test_pki) < 0)
            return tdx_err_oom(err);
        for (const char *const *f = vm_test_pki_files; *f; f++) {
            char *entry;
            if (asprintf(&entry, "opt/org.tdxhost/pki/%s=%s/%s", *f, vm->test_pki, *f) < 0 ||
                strv_push_take(&vm->fw_cfg, entry) < 0)
                return tdx_err_oom(err);
        }
    }
    return 0;
}

static int plan_transport(tdx_vm *vm, const tdx_vm_options *o, tdx_error *err)
{
    int r;

    vm->transport = o->transport != TDX_UNSET ? o->transport
                    : vm->remote_dir || access("/dev/vhost-vsock", F_OK) == 0 ? TDX_VM_VSOCK
                    : TDX_VM_USER_NET;
    vm->guest_cid = o->guest_cid;
    vm->host_port = o->host_port;
    if (vm->remote_dir) {
        /* Nothing of the other host can be tested from here. */
        uint32_t v;
        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
            v = (uint32_t)getpid();
        if (vm->guest_cid == TDX_UNSET)
            vm->guest_cid = (int)(3 + v % 0x7ffffff0u);
        if (vm->host_port == TDX_UNSET)
            vm->host_port = (int)(20000 + v % 40000);
        r = vm->transport == TDX_VM_VSOCK
                ? asprintf(&vm->agent, "vsock:%d:%d", vm->guest_cid, vm->cfg.agent_port)
                : asprintf(&vm->agent, "tcp:127.0.0.1:%d", vm->host_port);
    } else if (vm->transport == TDX_VM_VSOCK) {
        r = free_guest_cid(&vm->guest_cid, err);
        if (r < 0)
            return r;
        r = asprintf(&vm->agent, "vsock:%d:%d", vm->guest_cid, vm->cfg.agent_port);
    } else {
        r = vm->host_port == TDX_UNSET ? free_tcp_port(&vm->host_port, err)
                                       : check_tcp_port(vm->host_port, err);
        if (r < 0)
            return r;
        r = asprintf(&vm->agent, "tcp:127.0.0.1:%d", vm->host_port);
    }
    return r < 0 ? tdx_err_oom(err) : 0;
}

static int plan_qemu(tdx_vm *vm, const tdx_vm_options *o, tdx_error *err)
{
    int r, probed = -1;

    if (o->remote_dir && !o->qemu_version)
        return tdx_err(err, -EINVAL, "a command for another host needs that host's QEMU version");
    if (o->qemu_version) {
        unsigned a, b, c;
        /* The version is known: the binary need not exist here (yet). */
        if (qemu_version_parse(o->qemu_version, &a, &b, &c) < 0)
            return tdx_err(err, -EINVAL, "QEMU version '%s': expected MAJOR.MINOR[.PATCH]",
                           o->qemu_version);
        if (!(vm->qemu = strdup(o->qemu ? o->qemu : "qemu-system-x86_64")) ||
            asprintf(&vm->qemu_version, "%u.%u.%u", a, b, c) < 0)
            return tdx_err_oom(err);
        probed = qemu_flavor_of(NULL, a, b);
    } else {
        r = qemu_find(o->qemu, &vm->qemu, err);
        if (r < 0)
            return r;
        r = qemu_probe(vm->qemu, &vm->qemu_version, &probed, err);
        if (r < 0)
            return r;
    }
    vm->flavor = o->flavor != TDX_UNSET ? o->flavor : probed;
    if (vm->mode == TDX_VM_TDX && vm->flavor < 0)
        return tdx_err(err, -EINVAL, "%s is QEMU %s, which cannot run TDs (upstream QEMU >= 10.1 "
                       "or Canonical's 8.2/9.2 TDX builds can; name the flavour if it is one)",
                       vm->qemu, vm->qemu_version);
    if (vm->flavor < 0)
        vm->flavor = TDX_QEMU_UPSTREAM;   /* emulated runs do not use the TDX syntax */
    return 0;
}

static int plan_argv(tdx_vm *vm, const tdx_vm_options *o, tdx_error *err)
{
    struct vm_plan p = {
        .mode = vm->mode, .flavor = vm->flavor, .transport = vm->transport,
        .qemu = vm->qemu, .accel = vm->accel, .memory_mib = vm->memory_mib, .cpus = vm->cpus,
        .firmware = vm->arg_firmware, .kernel = vm->arg_kernel, .initrd = vm->arg_initrd,
        .disk = vm->arg_disk,
        .cmdline = vm->cmdline, .name = vm->name, .serial = vm->serial,
        .qmp_socket = vm->qmp, .guest_cid = vm->guest_cid, .host_port = vm->host_port,
        .agent_port = vm->cfg.agent_port, .quote_service = o->quote_service,
        .fw_cfg_files = (const char *const *)vm->fw_cfg,
        .tpm_socket = vm->vtpm_socket,
    };
    return vm_argv_build(&p, &vm->argv, err);
}

int tdx_vm_new(tdx_vm **out, const char *build_dir, const tdx_vm_options *opts, tdx_error *err)
{
    static const tdx_vm_options defaults = TDX_VM_OPTIONS_INIT;
    const tdx_vm_options *o = opts ? opts : &defaults;
    tdx_vm *vm;
    bool vtpm;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(build_dir, err);
    tdx_check_options(opts, TDX_VM_OPTIONS_VERSION, err);
    r = check_values(o, err);
    if (r < 0)
        return r;
    /* Version 1 callers' structs end before vtpm. */
    vtpm = o->version >= 2 && o->vtpm == 1;
    vm = calloc(1, sizeof(*vm));
    if (!vm)
        return tdx_err_oom(err);
    vm->pid = -1;
    vm->swtpm_pid = -1;
    r = vm_config_load(&vm->cfg, build_dir, err);
    if (r < 0)
        goto fail;
    r = check_firmware(vm->cfg.firmware, err);
    if (r < 0)
        goto fail;
    vm->mode = o->mode != TDX_UNSET ? o->mode : host_has_tdx() ? TDX_VM_TDX : TDX_VM_EMULATED;
    if (vm->mode == TDX_VM_EMULATED && !vm->cfg.test_provider) {
        r = test_provider_refusal(vm, err);
        goto fail;
    }
    if (vtpm && vm->mode != TDX_VM_EMULATED) {
        r = tdx_err(err, -EINVAL, "a vTPM (--vtpm) is for emulated runs only: a TD's vTPM is "
                    "the cloud's");
        goto fail;
    }
    if (vtpm && o->remote_dir) {
        r = tdx_err(err, -EINVAL, "--vtpm: a command for another host runs no swtpm");
        goto fail;
    }
    vm->memory_mib = o->memory_mib ? o->memory_mib : vm->cfg.memory_mib;
    vm->cpus = o->cpus != TDX_UNSET ? o->cpus : vm->cfg.cpus;
    if ((vm->memory_mib != vm->cfg.memory_mib || vm->cpus != vm->cfg.cpus) &&
        o->allow_reshape != 1) {
        r = tdx_err(err, -EINVAL, "%s: measured for %" PRIu64 " MiB and %d vCPU(s); a run with "
                    "%" PRIu64 " MiB and %d would not match measurements.json (remeasure for "
                    "the new shape)", vm->cfg.build_dir, vm->cfg.memory_mib, vm->cfg.cpus,
                    vm->memory_mib, vm->cpus);
        goto fail;
    }
    vm->accel = strdup(o->accel ? o->accel : "tcg");
    if (!vm->accel) {
        r = tdx_err_oom(err);
        goto fail;
    }
    if (!vm->cfg.disk) {
        vm->cmdline = strdup(vm->cfg.cmdline);
        if (vm->cmdline && vm->mode != TDX_VM_TDX && streq_ptr(vm->accel, "tcg"))
            append_word(&vm->cmdline, VM_TCG_TIMER_FLAG);
        /* A disk boot's UKI fixes its command line: its agent (systemd's
         * tdx-agent.service) serves the capture's ops in daemon mode. */
        if (vm->cmdline && vm->mode == TDX_VM_CAPTURE)
            append_word(&vm->cmdline, VM_CAPTURE_FLAG);
        if (!vm->cmdline) {
            r = tdx_err_oom(err);
            goto fail;
        }
    }
    if ((r = plan_qemu(vm, o, err)) < 0 || (r = plan_paths(vm, o, err)) < 0 ||
        (r = plan_transport(vm, o, err)) < 0 ||
        (vtpm && (r = vm_vtpm_plan(vm, err)) < 0) || (r = plan_argv(vm, o, err)) < 0)
        goto fail;
    *out = vm;
    return 0;
fail:
    tdx_vm_free(vm);
    return r;
}

void tdx_vm_free(tdx_vm *vm)
{
    if (!vm)
        return;
    vm_config_done(&vm->cfg);
    free(vm->qemu);
    free(vm->qemu_version);
    free(vm->accel);
    free(vm->cmdline);
    free(vm->run_dir);
    free(vm->remote_dir);
    free(vm->arg_firmware);
    free(vm->arg_kernel);
    free(vm->arg_initrd);
    free(vm->arg_disk);
    free(vm->serial);
    free(vm->qmp);
    free(vm->log);
    free(vm->pidfile);
    free(vm->user_pidfile);
    free(vm->name);
    free(vm->agent);
    free(vm->measurements);
    free(vm->test_pki);
    free(vm->test_root);
    strv_free(vm->fw_cfg);
    strv_free(vm->argv);
    free(vm->vtpm_dir);
    free(vm->vtpm_socket);
    free(vm);
}

const char *const *tdx_vm_argv(const tdx_vm *vm)
{
    return vm ? (const char *const *)vm->argv : NULL;
}

int tdx_vm_command_line(const tdx_vm *vm, char **out, tdx_error *err)
{
    tdx_check_arg(vm && out, err);
    return shell_quote_argv((const char *const *)vm->argv, out) < 0 ? tdx_err_oom(err) : 0;
}

int tdx_vm_mode_of(const tdx_vm *vm) { return vm ? vm->mode : -1; }
int tdx_vm_flavor(const tdx_vm *vm) { return vm ? vm->flavor : -1; }
const char *tdx_vm_qemu_version(const tdx_vm *vm) { return vm ? vm->qemu_version : NULL; }
uint64_t tdx_vm_memory_mib(const tdx_vm *vm) { return vm ? vm->memory_mib : 0; }
int tdx_vm_cpus(const tdx_vm *vm) { return vm ? vm->cpus : 0; }
const char *tdx_vm_agent_address(const tdx_vm *vm) { return vm ? vm->agent : NULL; }
const char *tdx_vm_serial_path(const tdx_vm *vm) { return vm ? vm->serial : NULL; }
const char *tdx_vm_run_dir(const tdx_vm *vm) { return vm ? vm->run_dir : NULL; }
const char *tdx_vm_test_root(const tdx_vm *vm) { return vm ? vm->test_root : NULL; }
int tdx_vm_pid(const tdx_vm *vm) { return vm && vm->pid > 0 ? (int)vm->pid : 0; }
