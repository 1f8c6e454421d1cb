/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a build directory's vm.json (docs/build.md) as
 * tdx_vm_new() reads it, against a directory that holds the files a valid
 * document names, so the member checks past the file lookups run too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/vm-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const char *const files[] = { "OVMF.fd", "vmlinuz", "initrd.cpio.gz", "cmdline" };

static void remove_dir(void)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static const char *build_dir(void)
{
    if (dir[0])
        return dir;
    snprintf(dir, sizeof(dir), "/tmp/fuzz-vm-json-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[128];
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (!(f = fopen(path, "w")))
            abort();
        fputs("console=ttyS0", f);
        fclose(f);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vm_config c;

    if (vm_config_parse(&c, build_dir(), "vm.json", (const char *)data, size, NULL) == 0)
        vm_config_done(&c);
    return 0;
}
