/* SPDX-License-Identifier: MIT */
/*
 * The QEMU command line of a run. One device list and one order for every
 * mode, so an emulated or capture run shows the guest the same machine as
 * the TD (RTMR0 covers the ACPI tables, which follow the devices):
 * q35 with what TDX forces (split irqchip, no SMM, no PIC) and no HPET,
 * TDVF as -bios, a direct kernel boot (or the disk whose ESP holds the
 * UKI), the console on a file, QMP on a
 * unix socket, then the agent's transport and the fw_cfg files.
 *
 * Flavours (docs/run.md): upstream QEMU >= 10.1 takes the minimal syntax;
 * Canonical's 8.2 and 9.2 TDX builds are driven as their run_td script
 * does, with the legacy kernel_irqchip spelling and an explicit RAM backend.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"
#include "strv.h"
#include "vm-internal.h"

/* QEMU's option syntax: a comma inside a value is written twice. */
static char *opt_escape(const char *s)
{
    strbuf sb = STRBUF_INIT;
    for (; *s; s++)
        strbuf_append(&sb, *s == ',' ? ",," : s, *s == ',' ? 2 : 1);
    if (strbuf_error(&sb)) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_steal(&sb, NULL);
}

static int pushf(char ***argv, const char *fmt, ...) _printf_(2, 3);
static int pushf(char ***argv, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    return strv_push_take(argv, s);
}

/* The tdx-guest object as JSON: -object's only syntax for the nested
 * quote-generation-socket address. */
static int tdx_object(const char *service, char **out, tdx_error *err)
{
    json_t *obj, *qgs;
    unsigned cid, port;
    char tail;

    if (!service)
        service = "vsock:2:4050";
    if (startswith(service, "unix:") && service[5] == '/')
        qgs = json_pack("{s:s, s:s}", "type", "unix", "path", service + 5);
    else if (sscanf(service, "vsock:%u:%u%c", &cid, &port, &tail) == 2 && port > 0) {
        char c[16], p[16];
        snprintf(c, sizeof(c), "%u", cid);
        snprintf(p, sizeof(p), "%u", port);
        qgs = json_pack("{s:s, s:s, s:s}", "type", "vsock", "cid", c, "port", p);
    } else
        return tdx_err(err, -EINVAL, "quote service '%s': expected vsock:CID:PORT or "
                       "unix:/PATH", service);
    obj = json_pack("{s:s, s:s, s:b, s:o}", "qom-type", "tdx-guest", "id", "tdx0",
                    "sept-ve-disable", 1, "quote-generation-socket", qgs);
    *out = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    return *out ? 0 : tdx_err_oom(err);
}

int vm_argv_build(const struct vm_plan *p, char ***out, tdx_error *err)
{
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *serial = NULL, *qmp = NULL, *object = NULL;
    bool tdx = p->mode == TDX_VM_TDX;
    bool canonical = tdx && (p->flavor == TDX_QEMU_CANONICAL_8_2 ||
                             p->flavor == TDX_QEMU_CANONICAL_9_2);
    const char *accel = tdx ? "kvm" : p->accel ? p->accel : "tcg";
    int r = 0;

    if (tdx && (r = tdx_object(p->quote_service, &object, err)) < 0)
        return r;
    if (!(serial = opt_escape(p->serial)) || !(qmp = opt_escape(p->qmp_socket)))
        return tdx_err_oom(err);

    r |= strv_push(&argv, p->qemu);
    r |= strv_push(&argv, "-name");
    r |= strv_push(&argv, p->name);
    r |= strv_push(&argv, "-no-user-config");
    r |= strv_push(&argv, "-nodefaults");
    r |= strv_push(&argv, "-accel");
    r |= strv_push(&argv, accel);
    r |= strv_push(&argv, "-cpu");
    r |= strv_push(&argv, streq(accel, "kvm") ? "host" : "max");
    r |= strv_push(&argv, "-smp");
    r |= pushf(&argv, "%d", p->cpus);
    r |= strv_push(&argv, "-m");
    r |= pushf(&argv, "%" PRIu64 "M", p->memory_mib);
    if (canonical) {
        r |= strv_push(&argv, "-object");
        r |= pushf(&argv, "memory-backend-ram,id=mem0,size=%" PRIu64 "M", p->memory_mib);
    }
    if (tdx) {
        r |= strv_push(&argv, "-object");
        r |= strv_push(&argv, object);
    }
    r |= strv_push(&argv, "-machine");
    r |= pushf(&argv, "q35,%s=split%s%s,smm=off,pic=off,hpet=off",
               canonical ? "kernel_irqchip" : "kernel-irqchip",
               tdx ? ",confidential-guest-support=tdx0" : "",
               canonical ? ",memory-backend=mem0" : "");
    r |= strv_push(&argv, "-bios");
    r |= strv_push(&argv, p->firmware);
    if (p->disk) {
        /* snapshot=on: the run writes to a temporary overlay, so the image
         * stays the bytes the build measured (its GPT is in RTMR1). */
        _cleanup_free_ char *disk = opt_escape(p->disk);
        if (!disk)
            return tdx_err_oom(err);
        r |= strv_push(&argv, "-drive");
        r |= pushf(&argv, "file=%s,if=virtio,format=raw,snapshot=on", disk);
    } else {
        r |= strv_push(&argv, "-kernel");
        r |= strv_push(&argv, p->kernel);
        if (p->initrd) {
            r |= strv_push(&argv, "-initrd");
            r |= strv_push(&argv, p->initrd);
        }
        r |= strv_push(&argv, "-append");
        r |= strv_push(&argv, p->cmdline);
    }
    r |= strv_push(&argv, "-display");
    r |= strv_push(&argv, "none");
    r |= strv_push(&argv, "-monitor");
    r |= strv_push(&argv, "none");
    r |= strv_push(&argv, "-chardev");
    r |= pushf(&argv, "file,id=console0,path=%s", serial);
    r |= strv_push(&argv, "-serial");
    r |= strv_push(&argv, "chardev:console0");
    r |= strv_push(&argv, "-qmp");
    r |= pushf(&argv, "unix:%s,server=on,wait=off", qmp);
    r |= strv_push(&argv, "-no-reboot");
    if (p->transport == TDX_VM_VSOCK) {
        r |= strv_push(&argv, "-device");
        r |= pushf(&argv, "vhost-vsock-pci,guest-cid=%d", p->guest_cid);
    } else {
        r |= strv_push(&argv, "-netdev");
        r |= pushf(&argv, "user,id=net0,hostfwd=tcp:127.0.0.1:%d-:%d", p->host_port,
                   p->agent_port);
        /* romfile= (empty): no option ROM. OVMF would load the NIC's iPXE
         * ROM (efi-virtio.rom) and measure it as an EV_EFI_BOOT_SERVICES_DRIVER
         * into PCR 2, which in a TD is RTMR1, ahead of the boot events the
         * model has: a vTPM boot's log showed it (check-vtpm-boot.sh). The
         * agent needs no network boot. */
        r |= strv_push(&argv, "-device");
        r |= strv_push(&argv, "virtio-net-pci,netdev=net0,romfile=");
    }
    if (p->tpm_socket) {
        /* tpm-crb: the TPM 2.0 command-response buffer interface OVMF and
         * Linux drive on q35 (tpm-tis works too; CRB is what TPM 2.0 machines have). */
        _cleanup_free_ char *tpm = opt_escape(p->tpm_socket);
        if (!tpm)
            return tdx_err_oom(err);
        r |= strv_push(&argv, "-chardev");
        r |= pushf(&argv, "socket,id=chrtpm,path=%s", tpm);
        r |= strv_push(&argv, "-tpmdev");
        r |= strv_push(&argv, "emulator,id=tpm0,chardev=chrtpm");
        r |= strv_push(&argv, "-device");
        r |= strv_push(&argv, "tpm-crb,tpmdev=tpm0");
    }
    for (const char *const *f = p->fw_cfg_files; f && *f; f++) {
        size_t n = strcspn(*f, "=");
        _cleanup_free_ char *path = opt_escape(*f + n + ((*f)[n] == '='));
        if (!path)
            return tdx_err_oom(err);
        r |= strv_push(&argv, "-fw_cfg");
        r |= pushf(&argv, "name=%.*s,file=%s", (int)n, *f, path);
    }
    if (r < 0)
        return tdx_err_oom(err);
    *out = TAKE_PTR(argv);
    return 0;
}
