/* SPDX-License-Identifier: MIT */
/* Serialisers of tdx_measurements, one file per format. */
#ifndef TDXHOST_MEASURE_SERIALIZE_H
#define TDXHOST_MEASURE_SERIALIZE_H

#include "measurements.h"
#include "strbuf.h"

int serialize_json(const tdx_measurements *m, strbuf *out, tdx_error *err);
int serialize_cbor(const tdx_measurements *m, strbuf *out, tdx_error *err);
int serialize_cvm_reverse_proxy(const tdx_measurements *m, const char *id, strbuf *out, tdx_error *err);
int serialize_dstack(const tdx_measurements *m, strbuf *out, tdx_error *err);

/* Lowercase hex of a register's value in bank b into buf (2*64+1 bytes). */
void reg_hex(const tdx_measurements *m, const struct mreg *r, size_t b, char *buf);

#endif
