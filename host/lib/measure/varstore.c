/* SPDX-License-Identifier: MIT */
/*
 * Reading the edk2 variable store in a firmware's CFV: an
 * EFI_FIRMWARE_VOLUME_HEADER ("_FVH"), a VARIABLE_STORE_HEADER, then
 * variable headers (StartId 0x55AA), each followed by the UTF-16 name and
 * the data, 4-byte aligned. A variable that was rewritten leaves deleted
 * copies behind; only the one in state VAR_ADDED counts.
 */
#include <errno.h>
#include <inttypes.h>

#include "bytes.h"
#include "error.h"
#include "uefi.h"

#define FV_SIGNATURE_OFF 40
#define FV_HEADER_LENGTH_OFF 48
#define STORE_HEADER_SIZE 28
#define START_ID 0x55aa
#define VAR_ADDED 0x3f
#define VAR_IN_DELETED_TRANSITION 0xfe
#define AUTH_HEADER_SIZE 60
#define PLAIN_HEADER_SIZE 32

static const efi_guid auth_store_guid =
    EFI_GUID(0xaaf32c78, 0x947b, 0x439a, 0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92);
static const efi_guid plain_store_guid =
    EFI_GUID(0xddcf3616, 0x3275, 0x4164, 0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d);

int varstore_open(struct varstore *vs, const uint8_t *cfv, size_t size, const char *name,
                  tdx_error *err)
{
    size_t hdr_len, store_size;
    const uint8_t *st;

    if (size < 64 || memcmp(cfv + FV_SIGNATURE_OFF, "_FVH", 4) != 0)
        return tdx_err(err, -EINVAL, "%s: the CFV does not start with a firmware volume header (\"_FVH\")", name);
    hdr_len = get_le16(cfv + FV_HEADER_LENGTH_OFF);
    if (hdr_len < 56 || hdr_len > size - STORE_HEADER_SIZE)
        return tdx_err(err, -EINVAL, "%s: CFV firmware volume HeaderLength %zu is out of range", name, hdr_len);
    st = cfv + hdr_len;
    if (guid_eq(st, &auth_store_guid))
        vs->authenticated = true;
    else if (guid_eq(st, &plain_store_guid))
        vs->authenticated = false;
    else
        return tdx_err(err, -EINVAL, "%s: no variable store header at CFV offset 0x%zx", name, hdr_len);
    store_size = get_le32(st + 16);
    if (store_size < STORE_HEADER_SIZE || store_size > size - hdr_len)
        return tdx_err(err, -EINVAL, "%s: variable store size 0x%zx at CFV offset 0x%zx exceeds the CFV", name,
                       store_size, hdr_len + 16);
    vs->base = st;
    vs->size = store_size;
    vs->first = STORE_HEADER_SIZE;
    return 0;
}

static bool name_eq(const uint8_t *p, size_t n, const char *name)
{
    size_t len = strlen(name);
    if (n != 2 * (len + 1))
        return false;
    for (size_t i = 0; i <= len; i++)
        if (get_le16(p + 2 * i) != (uint8_t)name[i])
            return false;
    return true;
}

int varstore_get(const struct varstore *vs, const efi_guid *vendor, const char *name,
                 struct uefi_var *out, const char *fwname, tdx_error *err)
{
    size_t hsize = vs->authenticated ? AUTH_HEADER_SIZE : PLAIN_HEADER_SIZE;
    size_t off = vs->first;

    out->found = false;
    out->data = NULL;
    out->size = 0;
    while (off + hsize <= vs->size && get_le16(vs->base + off) == START_ID) {
        const uint8_t *h = vs->base + off;
        uint8_t state = h[2];
        size_t name_size = get_le32(h + hsize - 24), data_size = get_le32(h + hsize - 20);
        const uint8_t *guid = h + hsize - 16;

        if (name_size > vs->size - off - hsize || data_size > vs->size - off - hsize - name_size)
            return tdx_err(err, -EINVAL, "%s: variable at store offset 0x%zx: name (%zu bytes) and data "
                           "(%zu bytes) run past the store", fwname, off, name_size, data_size);
        /* A copy in deleted transition counts only if no live copy follows. */
        if ((state == VAR_ADDED || (state == (VAR_ADDED & VAR_IN_DELETED_TRANSITION) && !out->found)) &&
            guid_eq(guid, vendor) && name_eq(h + hsize, name_size, name)) {
            out->found = true;
            out->data = h + hsize + name_size;
            out->size = data_size;
            if (state == VAR_ADDED)
                return 0;
        }
        off += hsize + name_size + data_size;
        off = (off + 3) & ~(size_t)3;
    }
    return 0;
}
