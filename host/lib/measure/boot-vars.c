/* SPDX-License-Identifier: MIT */
/*
 * edk2's TdTcg2Dxe (OnReadyToBoot -> MeasureAllBootVariables) reads
 * BootOrder, measures it, then for each entry in order reads "Boot%04x"
 * (edk2's PrintLib prints hex digits in upper case) and measures it if it
 * exists; a missing option is skipped, a missing BootOrder ends it. Each
 * event is EV_EFI_VARIABLE_BOOT whose digest covers the variable's data
 * only (MeasureVariable hashes VarData for every type but
 * EV_EFI_VARIABLE_DRIVER_CONFIG). edk2-stable202302 and later put them into
 * PCR 1 = RTMR0; edk2-stable202211's OvmfPkg/IntelTdx copy into PCR 5 =
 * RTMR1 (docs/measurement.md).
 */
#include "boot-vars.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "fileio.h"
#include "firmware-boot.h"
#include "uefi.h"

#define DESCRIPTION_SHOWN_MAX 64

int load_option_parse(const uint8_t *p, size_t n, const char *name, uint32_t *attributes,
                      strbuf *description, tdx_error *err)
{
    size_t desc_end, path_len, off;

    if (n < 6 + 2)
        return tdx_err(err, -EINVAL, "%s: %zu bytes: shorter than an EFI_LOAD_OPTION", name, n);
    *attributes = get_le32(p);
    path_len = get_le16(p + 4);
    for (desc_end = 6; desc_end + 1 < n && get_le16(p + desc_end) != 0; desc_end += 2)
        ;
    if (desc_end + 1 >= n)
        return tdx_err(err, -EINVAL, "%s: the description has no NUL within the variable's %zu bytes",
                       name, n);
    off = desc_end + 2;
    if (path_len < 4 || path_len > n - off)
        return tdx_err(err, -EINVAL, "%s: FilePathListLength %zu does not fit the %zu bytes after the "
                       "description", name, path_len, n - off);
    /* The device path: nodes of at least 4 bytes, the last End Entire. */
    for (size_t at = off, end = off + path_len;;) {
        size_t len;

        if (end - at < 4)
            return tdx_err(err, -EINVAL, "%s: device path node at offset %zu: %zu bytes left, a node "
                           "header takes 4", name, at, end - at);
        len = get_le16(p + at + 2);
        if (len < 4 || len > end - at)
            return tdx_err(err, -EINVAL, "%s: device path node at offset %zu: length %zu outside 4..%zu",
                           name, at, len, end - at);
        if (p[at] == 0x7f && p[at + 1] == 0xff) {
            if (at + len != end)
                return tdx_err(err, -EINVAL, "%s: device path ends at offset %zu, before the %zu bytes "
                               "FilePathListLength gives", name, at + len, path_len);
            break;
        }
        at += len;
    }
    {
        size_t chars = (desc_end - 6) / 2;

        utf16_to_ascii(description, p + 6, (chars > DESCRIPTION_SHOWN_MAX ? DESCRIPTION_SHOWN_MAX : chars) * 2);
        if (chars > DESCRIPTION_SHOWN_MAX)
            strbuf_puts(description, "...");
    }
    return strbuf_error(description) < 0 ? tdx_err_oom(err) : 0;
}

static int read_var(const char *dir, const char *shown, const char *name, size_t max, char **data,
                    size_t *size, tdx_error *err)
{
    char path[4200];
    int r;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    r = read_file_bounded(path, max, data, size);
    if (r == -ENOENT)
        return r;
    if (r == -EFBIG)
        return tdx_err(err, -EINVAL, "%s/%s: larger than %zu bytes", shown, name, max);
    if (r < 0)
        return tdx_err(err, r, "%s/%s: %s", shown, name, strerror(-r));
    return 0;
}

static int measure_option(tdx_measurements *m, const char *reg, const char *dir, const char *shown,
                          uint16_t number, strbuf *skipped, size_t *measured, tdx_error *err)
{
    char name[16], label[4300];
    _cleanup_free_ char *data = NULL;
    strbuf desc = STRBUF_INIT;
    uint32_t attributes;
    size_t size;
    int r;

    snprintf(name, sizeof(name), "Boot%04" PRIX16, number);
    r = read_var(dir, shown, name, BOOT_VAR_SIZE_MAX, &data, &size, err);
    if (r == -ENOENT) {
        strbuf_printf(skipped, "%s%s", skipped->len ? "," : "", name);
        return 0;
    }
    if (r < 0)
        return r;
    snprintf(label, sizeof(label), "%s/%s", shown, name);
    r = load_option_parse((const uint8_t *)data, size, label, &attributes, &desc, err);
    if (r >= 0)
        r = meas_extend_data(m, reg, EV_EFI_VARIABLE_BOOT, data, size, err,
                             "%s = \"%s\" (EFI_LOAD_OPTION, attributes 0x%" PRIx32 ", %zu bytes)", name,
                             strbuf_str(&desc), attributes, size);
    strbuf_free(&desc);
    if (r >= 0)
        (*measured)++;
    return r;
}

int boot_vars_measure(tdx_measurements *m, const char *reg, const char *dir, const char *shown,
                      tdx_error *err)
{
    _cleanup_free_ char *order = NULL;
    strbuf list = STRBUF_INIT, skipped = STRBUF_INIT;
    size_t size, count, measured = 0;
    int r;

    r = read_var(dir, shown, "BootOrder", 2 * BOOT_VARS_OPTIONS_MAX, &order, &size, err);
    if (r == -ENOENT)
        return tdx_err(err, -EINVAL, "%s/BootOrder: missing (a firmware without BootOrder is not "
                       "modelled)", shown);
    if (r < 0)
        return r;
    if (size == 0 || size % 2)
        return tdx_err(err, -EINVAL, "%s/BootOrder: %zu bytes: expected a non-empty list of 16-bit "
                       "option numbers", shown, size);
    count = size / 2;
    for (size_t i = 0; i < count; i++)
        strbuf_printf(&list, "%s%04" PRIX16, i ? "," : "", get_le16((const uint8_t *)order + 2 * i));
    r = strbuf_error(&list) < 0 ? tdx_err_oom(err) : 0;
    if (r >= 0)
        r = meas_extend_data(m, reg, EV_EFI_VARIABLE_BOOT, order, size, err, "BootOrder = %s",
                             strbuf_str(&list));
    for (size_t i = 0; r >= 0 && i < count; i++)
        r = measure_option(m, reg, dir, shown, get_le16((const uint8_t *)order + 2 * i), &skipped,
                           &measured, err);
    if (r >= 0 && strbuf_error(&skipped) < 0)
        r = tdx_err_oom(err);
    if (r >= 0)
        r = meas_assume(m, "boot_variables", err, "%s: BootOrder %s, %zu option(s) measured%s%s", shown,
                        strbuf_str(&list), measured,
                        skipped.len ? "; listed but absent (skipped as the firmware does): " : "",
                        skipped.len ? strbuf_str(&skipped) : "");
    strbuf_free(&list);
    strbuf_free(&skipped);
    return r;
}
