/* SPDX-License-Identifier: MIT */
/* tdx_vm: vm.json checks, QEMU version and flavour, the command line per
 * flavour against the reference syntax (docs/run.md, deploy.md §1-2),
 * shell quoting, and the refusals a run must give before it starts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "image-builder.h"
#include "strv.h"
#include "tdxhost/vm.h"
#include "vm/vm-internal.h"

static char *dir;

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static const char vm_json[] =
    "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 2, \"firmware\": \"OVMF.fd\",\n"
    " \"kernel\": \"vmlinuz\", \"initrd\": \"initrd.cpio.gz\", \"cmdline_file\": \"cmdline\",\n"
    " \"qemu\": {\"page_order\": \"per-page\", \"min_version\": \"9.2\"},\n"
    " \"machine\": {\"type\": \"q35\", \"kernel_irqchip\": \"split\", \"smm\": false,\n"
    "             \"pic\": false, \"hpet\": false},\n"
    " \"agent\": {\"port\": 1050, \"listen\": [\"tcp:0.0.0.0:1050\", \"vsock:1050\"]},\n"
    " \"test_provider\": %s, \"network\": \"dhcp\"}\n";

/* A build directory with a synthetic TDVF (the measure suite's layout). */
static void make_build(const char *d, const char *test_provider)
{
    static uint8_t bfv[0x4000], blank[0x2000];
    struct synth_section s[] = {
        { 0, 1, 0xffe20000, sizeof(bfv), bfv, sizeof(bfv) },
        { 1, 0, 0xffc00000, sizeof(blank), blank, sizeof(blank) },
        { 2, 0, 0x809000, 0x2000, NULL, 0 },
        { 3, 0, 0x800000, 0x6000, NULL, 0 },
    };
    char path[512], json[2048];
    size_t size;
    uint8_t *fw;

    ib_empty_varstore(blank, sizeof(blank));
    fw = ib_tdvf(s, 4, &size);
    mkdir(d, 0755);
    snprintf(path, sizeof(path), "%s/OVMF.fd", d);
    write_bytes(path, fw, size);
    free(fw);
    {
        size_t ksize;
        uint8_t *k = ib_bzimage("6.12.0", 0x3000, 0, &ksize);
        snprintf(path, sizeof(path), "%s/vmlinuz", d);
        write_bytes(path, k, ksize);
        free(k);
    }
    write_text(d, "initrd.cpio.gz", "initrd");
    write_text(d, "cmdline", "console=ttyS0 it's");
    snprintf(json, sizeof(json), vm_json, test_provider);
    write_text(d, "vm.json", json);
    write_text(d, "build.json", "{\"format\": 1, \"image_id\": \"hello-0123\", \"profile\": \"prod\"}");
}

static void setup(void)
{
    char path[512];
    dir = tmpdir_new();
    snprintf(path, sizeof(path), "%s/b", dir);
    make_build(path, "true");
    snprintf(path, sizeof(path), "%s/prod", dir);
    make_build(path, "false");
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

static const char *bdir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* The reference command lines. Paths are below /srv/b (a plan for another
 * host), so they are fixed. */
#define COMMON_HEAD "qemu-system-x86_64\n-name\ntdxhost-hello-0123\n-no-user-config\n-nodefaults\n"
#define BOOT BOOT_APPEND("console=ttyS0 it's")
#define BOOT_APPEND(cmdline)                                                          \
    "-bios\n/srv/b/OVMF.fd\n-kernel\n/srv/b/vmlinuz\n-initrd\n/srv/b/initrd.cpio.gz\n" \
    "-append\n" cmdline "\n-display\nnone\n-monitor\nnone\n"                           \
    "-chardev\nfile,id=console0,path=/srv/b/run/serial.log\n-serial\nchardev:console0\n" \
    "-qmp\nunix:/srv/b/run/qmp.sock,server=on,wait=off\n-no-reboot\n"
#define TDX_OBJECT(qgs)                                                                    \
    "-object\n{\"qom-type\":\"tdx-guest\",\"id\":\"tdx0\",\"sept-ve-disable\":true,"       \
    "\"quote-generation-socket\":" qgs "}\n"
#define VSOCK_QGS "{\"type\":\"vsock\",\"cid\":\"2\",\"port\":\"4050\"}"

static const struct argv_case {
    const char *name;
    int mode, flavor, transport;
    const char *version, *quote_service;
    const char *expected;
} argv_cases[] = {
    { "upstream 10.1, vsock", TDX_VM_TDX, TDX_UNSET, TDX_VM_VSOCK, "10.1.0", NULL,
      COMMON_HEAD "-accel\nkvm\n-cpu\nhost\n-smp\n2\n-m\n2048M\n" TDX_OBJECT(VSOCK_QGS)
      "-machine\nq35,kernel-irqchip=split,confidential-guest-support=tdx0,smm=off,pic=off,hpet=off\n"
      BOOT "-device\nvhost-vsock-pci,guest-cid=77\n" },
    { "upstream 10.2, unix QGS", TDX_VM_TDX, TDX_UNSET, TDX_VM_VSOCK, "10.2.1",
      "unix:/var/run/tdx-qgs/qgs.socket",
      COMMON_HEAD "-accel\nkvm\n-cpu\nhost\n-smp\n2\n-m\n2048M\n"
      TDX_OBJECT("{\"type\":\"unix\",\"path\":\"/var/run/tdx-qgs/qgs.socket\"}")
      "-machine\nq35,kernel-irqchip=split,confidential-guest-support=tdx0,smm=off,pic=off,hpet=off\n"
      BOOT "-device\nvhost-vsock-pci,guest-cid=77\n" },
    { "canonical 8.2", TDX_VM_TDX, TDX_QEMU_CANONICAL_8_2, TDX_VM_VSOCK, "8.2.2", NULL,
      COMMON_HEAD "-accel\nkvm\n-cpu\nhost\n-smp\n2\n-m\n2048M\n"
      "-object\nmemory-backend-ram,id=mem0,size=2048M\n" TDX_OBJECT(VSOCK_QGS)
      "-machine\nq35,kernel_irqchip=split,confidential-guest-support=tdx0,memory-backend=mem0,"
      "smm=off,pic=off,hpet=off\n" BOOT "-device\nvhost-vsock-pci,guest-cid=77\n" },
    { "canonical 9.2, user net", TDX_VM_TDX, TDX_QEMU_CANONICAL_9_2, TDX_VM_USER_NET, "9.2.1",
      "vsock:2:4051",
      COMMON_HEAD "-accel\nkvm\n-cpu\nhost\n-smp\n2\n-m\n2048M\n"
      "-object\nmemory-backend-ram,id=mem0,size=2048M\n"
      TDX_OBJECT("{\"type\":\"vsock\",\"cid\":\"2\",\"port\":\"4051\"}")
      "-machine\nq35,kernel_irqchip=split,confidential-guest-support=tdx0,memory-backend=mem0,"
      "smm=off,pic=off,hpet=off\n" BOOT
      "-netdev\nuser,id=net0,hostfwd=tcp:127.0.0.1:40404-:1050\n-device\nvirtio-net-pci,netdev=net0,romfile=\n" },
    { "emulated 7.2", TDX_VM_EMULATED, TDX_UNSET, TDX_VM_USER_NET, "7.2.22", NULL,
      COMMON_HEAD "-accel\ntcg\n-cpu\nmax\n-smp\n2\n-m\n2048M\n"
      "-machine\nq35,kernel-irqchip=split,smm=off,pic=off,hpet=off\n"
      BOOT_APPEND("console=ttyS0 it's no_timer_check")
      "-netdev\nuser,id=net0,hostfwd=tcp:127.0.0.1:40404-:1050\n-device\nvirtio-net-pci,netdev=net0,romfile=\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/root.pem,file=/srv/b/run/test-pki/root.pem\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/intermediate.pem,file=/srv/b/run/test-pki/intermediate.pem\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/pck.pem,file=/srv/b/run/test-pki/pck.pem\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/pck.key,file=/srv/b/run/test-pki/pck.key\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/attestation.key,file=/srv/b/run/test-pki/attestation.key\n"
      "-fw_cfg\nname=opt/org.tdxhost/pki/measurements.json,file=/srv/b/run/test-pki/measurements.json\n" },
    { "capture 7.2", TDX_VM_CAPTURE, TDX_UNSET, TDX_VM_USER_NET, "7.2.22", NULL,
      COMMON_HEAD "-accel\ntcg\n-cpu\nmax\n-smp\n2\n-m\n2048M\n"
      "-machine\nq35,kernel-irqchip=split,smm=off,pic=off,hpet=off\n"
      BOOT_APPEND("console=ttyS0 it's no_timer_check tdx.capture=acpi")
      "-netdev\nuser,id=net0,hostfwd=tcp:127.0.0.1:40404-:1050\n-device\nvirtio-net-pci,netdev=net0,romfile=\n" },
};

START_TEST(argv_per_flavor)
{
    const struct argv_case *c = &argv_cases[_i];
    tdx_vm_options o = TDX_VM_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char got[8192] = "";
    tdx_vm *vm = NULL;

    o.mode = c->mode;
    o.flavor = c->flavor;
    o.transport = c->transport;
    o.qemu_version = c->version;
    o.quote_service = c->quote_service;
    o.guest_cid = 77;
    o.host_port = 40404;
    o.remote_dir = "/srv/b";
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s: %s", c->name, err.message);
    for (const char *const *a = tdx_vm_argv(vm); *a; a++) {
        strcat(got, *a);
        strcat(got, "\n");
    }
    ck_assert_msg(streq(got, c->expected), "%s:\n--- expected\n%s--- got\n%s", c->name,
                  c->expected, got);
    ck_assert_str_eq(tdx_vm_agent_address(vm), c->transport == TDX_VM_VSOCK ? "vsock:77:1050"
                                                                             : "tcp:127.0.0.1:40404");
    ck_assert_str_eq(tdx_vm_qemu_version(vm), c->version);
    tdx_vm_free(vm);
}
END_TEST

START_TEST(flavor_from_version)
{
    static const struct { const char *line; int flavor; } cases[] = {
        { "QEMU emulator version 8.2.2 (Debian 2:8.2.2+ds-0ubuntu1.4+tdx1.1)", TDX_QEMU_CANONICAL_8_2 },
        { "QEMU emulator version 9.2.1 (Debian 1:9.2.1+ds-1ubuntu4+tdx2.0)", TDX_QEMU_CANONICAL_9_2 },
        { "QEMU emulator version 10.1.0", TDX_QEMU_UPSTREAM },
        { "QEMU emulator version 11.0.50 (v11.0.0-1234-gdeadbeef)", TDX_QEMU_UPSTREAM },
        { "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1~bpo12+1)", -1 },
        { "QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", -1 },
        { "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", -1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned a, b, c;
        const char *v = strstr(cases[i].line, "version ") + 8;
        ck_assert_int_eq(qemu_version_parse(v, &a, &b, &c), 0);
        ck_assert_msg(qemu_flavor_of(cases[i].line, a, b) == cases[i].flavor, "%s", cases[i].line);
    }
    unsigned a, b, c;
    ck_assert_int_eq(qemu_version_parse("10", &a, &b, &c), 0);
    ck_assert_uint_eq(a, 10);
    ck_assert_uint_eq(b, 0);
    ck_assert_int_eq(qemu_version_parse("x.1", &a, &b, &c), -EINVAL);
    ck_assert_int_eq(qemu_version_parse("9.2junk", &a, &b, &c), -EINVAL);
    ck_assert_int_eq(qemu_version_parse("99999.1", &a, &b, &c), -EINVAL);
}
END_TEST

/* A fake QEMU that prints a version line: the probe path of tdx_vm_new(). */
static const char *fake_qemu(const char *line)
{
    static char path[512];
    char script[600];
    snprintf(path, sizeof(path), "%s/qemu-%zu", dir, strlen(line));
    snprintf(script, sizeof(script), "#!/bin/sh\necho '%s'\n", line);
    write_text(dir, strrchr(path, '/') + 1, script);
    chmod(path, 0755);
    return path;
}

START_TEST(probe_picks_flavor)
{
    tdx_vm_options o = TDX_VM_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_vm *vm = NULL;

    o.mode = TDX_VM_TDX;
    o.transport = TDX_VM_USER_NET;
    o.qemu = fake_qemu("QEMU emulator version 9.2.1 (Debian 1:9.2.1+ds-1ubuntu4+tdx2.0)");
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_vm_flavor(vm), TDX_QEMU_CANONICAL_9_2);
    ck_assert_str_eq(tdx_vm_qemu_version(vm), "9.2.1");
    ck_assert_str_eq(tdx_vm_argv(vm)[0], o.qemu);
    tdx_vm_free(vm);

    o.qemu = fake_qemu("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)");
    ck_assert_int_eq(tdx_vm_new(&vm, bdir("b"), &o, &err), -EINVAL);
    ck_assert_contains(err.message, "QEMU 7.2.22, which cannot run TDs");
    /* Named by the user, the flavour is believed. */
    o.flavor = TDX_QEMU_UPSTREAM;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    tdx_vm_free(vm);

    o.qemu = fake_qemu("not qemu at all");
    ck_assert_int_eq(tdx_vm_new(&vm, bdir("b"), &o, &err), -EINVAL);
    ck_assert_contains(err.message, "not a QEMU version line");
    o.qemu = "/nonexistent/qemu-system-x86_64";
    ck_assert_int_eq(tdx_vm_new(&vm, bdir("b"), &o, &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent/qemu-system-x86_64: no such executable QEMU");
}
END_TEST

static void expect_new_error(const char *build, tdx_vm_options *o, int code, const char *text)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_vm *vm = NULL;
    int r = tdx_vm_new(&vm, build, o, &err);
    ck_assert_msg(r == code, "expected %d, got %d (%s)", code, r, err.message);
    ck_assert_ptr_null(vm);
    ck_assert_contains(err.message, text);
}

static tdx_vm_options remote(void)
{
    tdx_vm_options o = TDX_VM_OPTIONS_INIT;
    o.mode = TDX_VM_EMULATED;
    o.qemu_version = "9.2.0";
    o.remote_dir = "/srv/b";
    return o;
}

START_TEST(refusals)
{
    tdx_vm_options o = remote();
    char path[512];

    expect_new_error(bdir("prod"), &o, -EINVAL, "(profile 'prod') was built without the test "
                     "quote provider");
    o.memory_mib = 4096;
    expect_new_error(bdir("b"), &o, -EINVAL, "measured for 2048 MiB and 2 vCPU(s); a run with "
                     "4096 MiB and 2 would not match");
    o.allow_reshape = 1;
    tdx_vm *vm = NULL;
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(tdx_vm_memory_mib(vm), 4096);
    tdx_vm_free(vm);

    o = remote();
    o.cpus = 3;
    expect_new_error(bdir("b"), &o, -EINVAL, "a run with 2048 MiB and 3 would not match");
    o = remote();
    expect_new_error(bdir("nothing"), &o, -ENOENT, "not a build directory");
    mkdir(bdir("empty"), 0755);
    expect_new_error(bdir("empty"), &o, -EINVAL, "no vm.json: not a native build directory");
    o.remote_dir = NULL;
    o.qemu_version = NULL;
    o.qemu = "/nonexistent/qemu";
    expect_new_error(bdir("b"), &o, -ENOENT, "no such executable QEMU");
    o = remote();
    o.version = 99;
    expect_new_error(bdir("b"), &o, -EINVAL, "tdx_vm_new: unsupported options version 99");
    o = remote();
    o.qemu_version = NULL;
    expect_new_error(bdir("b"), &o, -EINVAL, "needs that host's QEMU version");

    /* Another format, a bad member, a file outside the directory. */
    static const struct { const char *json; const char *text; } bad[] = {
        { "{\"format\": 2}", "$.format: expected 1" },
        { "{\"format\": 1, \"memory_mib\": 1}", "$.memory_mib: expected a number of MiB" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"../OVMF.fd\"}",
          "$.firmware: expected a file name inside the build directory" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"kernel\": \"missing\"}", "$.kernel: " },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"kernel\": \"vmlinuz\", \"cmdline_file\": \"cmdline\", \"machine\": {\"smm\": true}}",
          "$.machine.smm: expected false" },
        { "{\"format\": 1, \"format\": 1}", "duplicate" },
        { "[1]", "$: expected an object" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(bdir("b"), "vm.json", bad[i].json);
        o = remote();
        expect_new_error(bdir("b"), &o, bad[i].text[0] == '$' && strstr(bad[i].text, "kernel")
                         ? -ENOENT : -EINVAL, bad[i].text);
    }

    /* Firmware without TDVF metadata. */
    snprintf(path, sizeof(path), "%s/b", dir);
    make_build(path, "true");
    write_text(path, "OVMF.fd", "not a firmware image, not even close to one");
    o = remote();
    expect_new_error(bdir("b"), &o, -EINVAL, "firmware without TDVF metadata");
}
END_TEST

/* A disk build: the firmware boots the UKI from the disk's ESP, so the
 * command line has the disk (as a throwaway overlay) and no -kernel, and
 * the checks of vm.json's boot members. */
START_TEST(disk_boot)
{
    static const char disk_json[] =
        "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 2, \"firmware\": \"OVMF.fd\",\n"
        " \"boot\": \"disk\", \"disk\": \"disk,1.raw\", \"uki\": \"a.efi\",\n"
        " \"qemu\": {\"page_order\": \"per-page\"}, \"test_provider\": true}\n";
    tdx_vm_options o = remote();
    tdx_error err = TDX_ERROR_INIT;
    char got[8192] = "";
    tdx_vm *vm = NULL;
    int n = 0;

    write_text(bdir("b"), "disk,1.raw", "a disk");
    write_text(bdir("b"), "a.efi", "a UKI");
    write_text(bdir("b"), "vm.json", disk_json);
    o.transport = TDX_VM_USER_NET;
    o.host_port = 40404;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    for (const char *const *a = tdx_vm_argv(vm); *a; a++, n++) {
        strcat(got, *a);
        strcat(got, "\n");
    }
    ck_assert_contains(got, "-bios\n/srv/b/OVMF.fd\n-drive\n"
                       "file=/srv/b/disk,,1.raw,if=virtio,format=raw,snapshot=on\n-display\n");
    ck_assert_msg(!strstr(got, "-kernel") && !strstr(got, "-append") && !strstr(got, "-initrd"),
                  "%s", got);
    tdx_vm_free(vm);

    /* A disk build is captured as it boots: its disk, no -append flag. */
    o = remote();
    o.mode = TDX_VM_CAPTURE;
    got[0] = '\0';
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    for (const char *const *a = tdx_vm_argv(vm); *a; a++) {
        strcat(got, *a);
        strcat(got, "\n");
    }
    ck_assert_contains(got, "file=/srv/b/disk,,1.raw,if=virtio,format=raw,snapshot=on\n");
    ck_assert_msg(!strstr(got, "-append") && !strstr(got, "tdx.capture") && !strstr(got, "tdx-guest"), "%s", got);
    tdx_vm_free(vm);

    static const struct { const char *json; int code; const char *text; } bad[] = {
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"net\"}", -EINVAL, "$.boot: expected \"kernel\" or \"disk\"" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"disk\"}", -EINVAL, "$.disk: required" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"disk\", \"disk\": \"../disk.raw\"}", -EINVAL,
          "$.disk: expected a file name inside the build directory" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"disk\", \"disk\": \"gone.raw\"}", -ENOENT, "$.disk: " },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"disk\", \"disk\": \"disk,1.raw\"}", -EINVAL, "$.uki: required" },
        { "{\"format\": 1, \"memory_mib\": 2048, \"cpus\": 1, \"firmware\": \"OVMF.fd\", "
          "\"boot\": \"disk\", \"disk\": \"disk,1.raw\", \"uki\": \"a.efi\", \"kernel\": \"vmlinuz\"}", -EINVAL,
          "$.kernel: a disk boot has no kernel" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(bdir("b"), "vm.json", bad[i].json);
        o = remote();
        expect_new_error(bdir("b"), &o, bad[i].code, bad[i].text);
    }
}
END_TEST

/* --vtpm: swtpm's socket as a TPM 2.0 CRB device, the RUN_DIR/vtpm path,
 * and the runs it is refused for. Planning starts nothing, so swtpm need not
 * be installed. */
START_TEST(vtpm_argv)
{
    tdx_vm_options o = TDX_VM_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    char got[8192] = "", want[1024], run[600];
    tdx_vm *vm = NULL;

    snprintf(run, sizeof(run), "%s/r", dir);
    o.mode = TDX_VM_EMULATED;
    o.qemu_version = "7.2.0";
    o.qemu = "/bin/true";
    o.transport = TDX_VM_USER_NET;
    o.run_dir = run;
    o.vtpm = 1;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    for (const char *const *a = tdx_vm_argv(vm); *a; a++) {
        strcat(got, *a);
        strcat(got, "\n");
    }
    snprintf(want, sizeof(want), "-device\nvirtio-net-pci,netdev=net0,romfile=\n"
             "-chardev\nsocket,id=chrtpm,path=%s/vtpm/swtpm.sock\n"
             "-tpmdev\nemulator,id=tpm0,chardev=chrtpm\n-device\ntpm-crb,tpmdev=tpm0\n"
             "-fw_cfg\n", run);
    ck_assert_msg(strstr(got, want), "expected\n%s\nin\n%s", want, got);
    tdx_vm_free(vm);

    /* Without it, and from a version 1 caller (whose struct has no vtpm). */
    o.vtpm = TDX_UNSET;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    ck_assert(!strv_contains((char **)tdx_vm_argv(vm), "-tpmdev"));
    tdx_vm_free(vm);
    o.vtpm = 1;
    o.version = 1;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    ck_assert(!strv_contains((char **)tdx_vm_argv(vm), "-tpmdev"));
    tdx_vm_free(vm);
    o.version = TDX_VM_OPTIONS_VERSION;

    o.vtpm = 2;
    expect_new_error(bdir("b"), &o, -EINVAL, "tdx_vm_new: vtpm 2: expected 0 or 1");
    o.vtpm = 1;
    o.mode = TDX_VM_TDX;
    o.qemu_version = "9.2.0";
    expect_new_error(bdir("b"), &o, -EINVAL, "for emulated runs only: a TD's vTPM is the cloud's");
    o.mode = TDX_VM_CAPTURE;
    expect_new_error(bdir("b"), &o, -EINVAL, "for emulated runs only");
    o = remote();
    o.vtpm = 1;
    expect_new_error(bdir("b"), &o, -EINVAL, "a command for another host runs no swtpm");
    o.remote_dir = NULL;
    o.qemu = "/bin/true";
    o.transport = TDX_VM_USER_NET;
    snprintf(run, sizeof(run), "%s/r,1", dir);
    o.run_dir = run;
    expect_new_error(bdir("b"), &o, -EINVAL, "swtpm cannot take a path with a comma");
}
END_TEST

START_TEST(port_taken)
{
    tdx_vm_options o = TDX_VM_OPTIONS_INIT;
    int port = -1;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_int_eq(free_tcp_port(&port, &err), 0);
    ck_assert_int_gt(port, 0);
    ck_assert_int_eq(check_tcp_port(port, &err), 0);
    /* Hold it the way a listening process does. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    o.mode = TDX_VM_EMULATED;
    o.qemu_version = "7.2";
    o.transport = TDX_VM_USER_NET;
    o.host_port = port;
    char text[64];
    snprintf(text, sizeof(text), "127.0.0.1:%d is already in use", port);
    expect_new_error(bdir("b"), &o, -EADDRINUSE, text);
    close(fd);
}
END_TEST

START_TEST(shell_quoting)
{
    const char *argv[] = { "qemu", "-append", "console=ttyS0 it's", "", "a,b=c:/d", "$HOME",
                           NULL };
    char *out = NULL;
    ck_assert_int_eq(shell_quote_argv(argv, &out), 0);
    ck_assert_str_eq(out, "qemu -append 'console=ttyS0 it'\\''s' '' a,b=c:/d '$HOME'");
    /* The shell reads it back as the same words. */
    char script[512];
    snprintf(script, sizeof(script), "set -- %s; printf '[%%s]' \"$@\"", out);
    char *words = sh_output(script);
    ck_assert_str_eq(words, "[qemu][-append][console=ttyS0 it's][][a,b=c:/d][$HOME]");
    free(words);
    free(out);
}
END_TEST

START_TEST(qemu_option_escaping)
{
    struct vm_plan p = {
        .mode = TDX_VM_EMULATED, .transport = TDX_VM_USER_NET, .qemu = "q", .memory_mib = 64,
        .cpus = 1, .firmware = "f", .kernel = "k", .cmdline = "", .name = "tdxhost-x",
        .serial = "/tmp/a,b/serial.log", .qmp_socket = "/tmp/a,b/qmp.sock", .host_port = 1,
        .agent_port = 2,
    };
    const char *files[] = { "opt/x=/p,q", NULL };
    char **argv = NULL;
    tdx_error err = TDX_ERROR_INIT;

    p.fw_cfg_files = files;
    ck_assert_int_eq(vm_argv_build(&p, &argv, &err), 0);
    ck_assert(strv_contains(argv, "file,id=console0,path=/tmp/a,,b/serial.log"));
    ck_assert(strv_contains(argv, "unix:/tmp/a,,b/qmp.sock,server=on,wait=off"));
    ck_assert(strv_contains(argv, "name=opt/x,file=/p,,q"));
    strv_free(argv);
    p.mode = TDX_VM_TDX;
    p.quote_service = "tcp:1:2";
    ck_assert_int_eq(vm_argv_build(&p, &argv, &err), -EINVAL);
    ck_assert_contains(err.message, "expected vsock:CID:PORT or unix:/PATH");
}
END_TEST

START_TEST(stop_refuses_foreign_pid)
{
    tdx_error err = TDX_ERROR_INIT;
    char text[64];

    /* Our own pid: alive, but not a QEMU of tdxctl run. */
    snprintf(text, sizeof(text), "%d\n", (int)getpid());
    write_text(dir, "foreign.pid", text);
    ck_assert_int_eq(tdx_vm_stop_path(bdir("foreign.pid"), 0, &err), -ESRCH);
    ck_assert_contains(err.message, "is not a QEMU started by tdxctl run");
    ck_assert_int_eq(access(bdir("foreign.pid"), F_OK), 0);
    write_text(dir, "junk.pid", "12ab\n");
    ck_assert_int_eq(tdx_vm_stop_path(bdir("junk.pid"), 0, &err), -EINVAL);
    ck_assert_contains(err.message, "not a pid file");
    ck_assert_int_eq(tdx_vm_stop_path(bdir("none.pid"), 0, &err), -ENOENT);
    /* A pid that has ended: the stale file goes. */
    write_text(dir, "stale.pid", "2147483600\n");
    ck_assert_int_eq(tdx_vm_stop_path(bdir("stale.pid"), 0, &err), 1);
    ck_assert_int_ne(access(bdir("stale.pid"), F_OK), 0);
}
END_TEST

/* --remeasure: the same computation as tdx_measure_direct_boot() for the
 * new shape, with the build's own assumptions. */
START_TEST(remeasure_for_a_new_shape)
{
    tdx_vm_options o = remote();
    tdx_measure_options mo = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *want = NULL, *got = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_vm *vm = NULL;
    char out[600], fw[600], kernel[600], initrd[600];

    snprintf(fw, sizeof(fw), "%s/b/OVMF.fd", dir);
    snprintf(kernel, sizeof(kernel), "%s/b/vmlinuz", dir);
    snprintf(initrd, sizeof(initrd), "%s/b/initrd.cpio.gz", dir);
    /* The build's measurements say QEMU 8.2 (two-pass MRTD); the shape is new. */
    mo.initrd = initrd;
    mo.cmdline = "console=ttyS0 it's";
    mo.memory = 2048ull << 20;
    mo.cpus = 2;
    mo.qemu_version = "8.2";
    mo.mrtd_order = TDX_MRTD_PER_PAGE;   /* vm.json's page_order */
    ck_assert_msg(tdx_measure_direct_boot(&want, fw, kernel, &mo, &err) == 0, "%s", err.message);
    snprintf(out, sizeof(out), "%s/b/measurements.json", dir);
    ck_assert_int_eq(tdx_measurements_write_file(want, TDX_FORMAT_JSON, NULL, out, &err), 0);
    tdx_measurements_free(want);
    mo.memory = 4096ull << 20;
    mo.cpus = 3;
    ck_assert_msg(tdx_measure_direct_boot(&want, fw, kernel, &mo, &err) == 0, "%s", err.message);

    o.memory_mib = 4096;
    o.cpus = 3;
    o.allow_reshape = 1;
    ck_assert_msg(tdx_vm_new(&vm, bdir("b"), &o, &err) == 0, "%s", err.message);
    snprintf(out, sizeof(out), "%s/new.json", dir);
    ck_assert_msg(tdx_vm_remeasure(vm, out, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_measurements_load_json(&got, out, &err), 0);
    char *report = NULL;
    int same = tdx_measurements_compare(got, want, &report, &err);
    ck_assert_msg(same == 0, "%s", report ? report : err.message);
    tdx_free(report);
    const uint8_t *a, *b;
    ck_assert_int_eq(tdx_measurements_register(got, "mrtd", 0, &a, NULL, NULL), 0);
    ck_assert_int_eq(tdx_measurements_register(want, "mrtd", 0, &b, NULL, NULL), 0);
    ck_assert(memcmp(a, b, 48) == 0);
    ck_assert_int_eq(tdx_measurements_register(got, "rtmr0", 0, NULL, NULL, NULL), -ENODATA);
    tdx_measurements_free(got);
    tdx_measurements_free(want);
    tdx_vm_free(vm);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vm");
    TCase *tc = tcase_create("vm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, argv_per_flavor, 0, sizeof(argv_cases) / sizeof(argv_cases[0]));
    tcase_add_test(tc, flavor_from_version);
    tcase_add_test(tc, probe_picks_flavor);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, disk_boot);
    tcase_add_test(tc, vtpm_argv);
    tcase_add_test(tc, port_taken);
    tcase_add_test(tc, shell_quoting);
    tcase_add_test(tc, qemu_option_escaping);
    tcase_add_test(tc, stop_refuses_foreign_pid);
    tcase_add_test(tc, remeasure_for_a_new_shape);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
