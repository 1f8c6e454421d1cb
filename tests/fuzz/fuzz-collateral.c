/* SPDX-License-Identifier: MIT */
/* libFuzzer target: one collateral file, read every way the library reads
 * files: as a dcap-qvl collateral JSON, as a file of a collateral directory
 * (PCS response, PEM issuer chain or CRL), and as an expected-measurements
 * file. */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "quote/collateral.h"
#include "quote/pki.h"
#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static X509 *root;
    struct collateral *c = NULL;
    tdx_expected *e = NULL;
    tdx_error err = TDX_ERROR_INIT;
    char *text = malloc(size + 1);

    if (!text || (!root && pki_intel_root(&root, &err) < 0))
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (collateral_load_buffer("fuzz.json", text, size, root, &c, &err) == 0)
        collateral_free(c);
    c = collateral_new("fuzz");
    if (!c)
        abort();
    collateral_add_file(c, "fuzz", text, size, root, &err);
    collateral_free(c);
    if (tdx_expected_load_buffer(&e, "fuzz.json", text, size, &err) == 0)
        tdx_expected_free(e);
    free(text);
    return 0;
}
