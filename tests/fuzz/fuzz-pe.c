/* SPDX-License-Identifier: MIT */
/* libFuzzer target: PE/COFF parsing, Authenticode in two banks, and the UKI
 * path (section reads, .sdmagic, .cmdline decoding) through a memfd. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "measure/pe.h"
#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const tdx_hash_alg algs[2] = { TDX_HASH_SHA256, TDX_HASH_SHA384 };
    struct source s;
    struct pe_image pe;
    struct hashset hs;
    uint8_t d[2][TDX_DIGEST_MAX];
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    char path[64];
    int fd;

    source_buffer(&s, "fuzz.efi", data, size);
    if (pe_parse(&s, &pe, NULL) < 0)
        return 0;
    if (hashset_init(&hs, algs, 2, NULL) == 0) {
        if (pe_authenticode(&s, &pe, &hs, NULL) == 0)
            hashset_final(&hs, d, NULL);
        hashset_free(&hs);
    }
    pe_image_free(&pe);

    fd = memfd_create("fuzz-uki", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        o.banks = TDX_BANK_SHA256 | TDX_BANK_SHA384;
        if (tdx_measure_uki_tpm(&m, path, &o, NULL) == 0)
            tdx_measurements_free(m);
        o.stub_version = 256;   /* also the rules that need no .sdmagic */
        if (tdx_measure_uki_tpm(&m, path, &o, NULL) == 0)
            tdx_measurements_free(m);
    }
    close(fd);
    return 0;
}
