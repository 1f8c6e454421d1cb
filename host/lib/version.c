/* SPDX-License-Identifier: MIT */
#include "tdxhost/version.h"

const char *tdx_version(void)
{
    return TDXHOST_VERSION;
}
