/* SPDX-License-Identifier: MIT */
/* libFuzzer target: TDVF metadata through the OVMF GUID table, MRTD in both
 * orders, the TD HOB below and across the 2816 MiB split, and the variable
 * store in the CFV. */
#include <stdint.h>
#include <stdlib.h>

#include "measure/tdvf.h"
#include "measure/uefi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t memory[] = { 512ULL << 20, 2815ULL << 20, 4096ULL << 20 };
    struct tdvf md;
    uint8_t mrtd[48];

    if (tdvf_parse(data, size, "fuzz.fd", &md, NULL) < 0)
        return 0;
    tdvf_mrtd(data, &md, TDX_MRTD_PER_PAGE, mrtd, NULL);
    tdvf_mrtd(data, &md, TDX_MRTD_TWO_PASS, mrtd, NULL);
    for (size_t i = 0; i < sizeof(memory) / sizeof(memory[0]); i++) {
        uint8_t *hob = NULL;
        size_t len;
        uint64_t addr;
        if (td_hob_build(&md, memory[i], &hob, &len, &addr, NULL) == 0)
            free(hob);
    }
    for (uint32_t i = 0; i < md.n; i++) {
        struct varstore vs;
        struct uefi_var v;
        if (md.sections[i].type != TDVF_CFV)
            continue;
        if (varstore_open(&vs, data + md.sections[i].data_offset, md.sections[i].raw_size, "fuzz.fd", NULL) == 0) {
            varstore_get(&vs, &efi_global_variable_guid, "PK", &v, "fuzz.fd", NULL);
            varstore_get(&vs, &efi_image_security_database_guid, "dbx", &v, "fuzz.fd", NULL);
        }
    }
    tdvf_free(&md);
    return 0;
}
