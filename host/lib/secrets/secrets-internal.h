/* SPDX-License-Identifier: MIT */
#ifndef TDXHOST_LIB_SECRETS_INTERNAL_H
#define TDXHOST_LIB_SECRETS_INTERNAL_H

#include "secret-set.h"
#include "tdxhost/secrets.h"

struct tdx_secrets {
    struct secret_set set;
};

#endif
