/* SPDX-License-Identifier: MIT */
/*
 * vTPM PCRs 4, 9 and 11 of a unified kernel image booted by UEFI firmware
 * (Azure, GCP) with systemd-stub. What the stub measures depends on its
 * version, which the UKI carries in the stub's .sdmagic section
 * ("#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####"); the rules per
 * version are in docs/measurement.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "measurements.h"
#include "pe.h"
#include "uefi.h"
#include "uki.h"

#define EV_SEPARATOR 0x00000004
#define EV_EVENT_TAG 0x00000006
#define EV_IPL 0x0000000d
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003
#define EV_EFI_ACTION 0x80000007
#define CMDLINE_MAX (1024 * 1024)
#define SDMAGIC_MAX 4096

/* systemd's canonical section order (src/fundamental/uki.h, "PLEASE DO NOT
 * REORDER") with the first stub release that measures each one. */
static const struct {
    const char *name;
    int since;
} unified_sections[] = {
    { ".linux", 251 }, { ".osrel", 251 }, { ".cmdline", 251 }, { ".initrd", 251 }, { ".ucode", 256 },
    { ".splash", 251 }, { ".dtb", 251 }, { ".uname", 254 }, { ".sbat", 254 },
    { ".pcrsig", 0 /* never: it signs the result */ }, { ".pcrpkey", 252 }, { ".profile", 257 },
    { ".dtbauto", 257 }, { ".hwids", 257 }, { ".efifw", 258 },
};

/* Stub releases that start the embedded kernel with LoadImage(), so the
 * firmware measures it into PCR 4 (systemd PR #24777; 258 calls it directly,
 * PR #37372), and whose kernel then measures its LoadOptions into PCR 9. */
#define LOADIMAGE_FIRST 252
#define LOADIMAGE_LAST 257
#define LOAD_OPTIONS_FIRST 252

static const char *const phases[] = { "enter-initrd", "leave-initrd", "sysinit", "ready" };


int uki_stub_version(struct uki *u)
{
    const struct pe_section *sec = pe_find_section(&u->pe, ".sdmagic");
    _cleanup_free_ uint8_t *data = NULL;
    const char *p;
    size_t size;
    int r;

    if (u->o.stub_version != TDX_UNSET) {
        u->stub = u->o.stub_version;
        return meas_assume(u->m, "stub_version", u->err, "%d (as requested)", u->stub);
    }
    if (!sec)
        return tdx_err(u->err, -EINVAL, "%s: no .sdmagic section, so the systemd-stub version is unknown; "
                       "give it (--stub-version)", u->path);
    r = pe_read_section_memory(&u->src, sec, SDMAGIC_MAX, &data, &size, u->err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < size; i++)
        if (data[i] < 0x20 || data[i] > 0x7e)
            data[i] = data[i] ? '.' : '\0';
    p = strstr((const char *)data, "systemd-stub ");
    if (!p || sscanf(p + strlen("systemd-stub "), "%d", &u->stub) != 1)
        return tdx_err(u->err, -EINVAL, "%s: .sdmagic says \"%.80s\", not a systemd-stub version; give the "
                       "version whose rules apply (--stub-version)", u->path, (const char *)data);
    return meas_assume(u->m, "stub_version", u->err, "%d (from .sdmagic: %.80s)", u->stub, (const char *)data);
}

/* The Authenticode digest of a PE read through `s`, in every bank. */
static int authenticode(struct uki *u, const struct source *s, uint8_t d[][TDX_DIGEST_MAX])
{
    struct pe_image pe;
    struct hashset hs = HASHSET_INIT;
    int r = pe_parse(s, &pe, u->err);

    if (r < 0)
        return r;
    r = hashset_init(&hs, u->m->banks, u->m->n_banks, u->err);
    if (r >= 0)
        r = pe_authenticode(s, &pe, &hs, u->err);
    if (r >= 0)
        r = hashset_final(&hs, d, u->err);
    hashset_free(&hs);
    pe_image_free(&pe);
    return r;
}

static int section_digest(struct uki *u, const struct pe_section *sec, uint8_t d[][TDX_DIGEST_MAX])
{
    struct hashset hs = HASHSET_INIT;
    int r = hashset_init(&hs, u->m->banks, u->m->n_banks, u->err);

    if (r >= 0)
        r = pe_hash_section_memory(&u->src, sec, &hs, u->err);
    if (r >= 0)
        r = hashset_final(&hs, d, u->err);
    hashset_free(&hs);
    return r;
}

int uki_boot_images(struct uki *u)
{
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];
    const struct pe_section *linux_sec = pe_find_section(&u->pe, ".linux");
    int r = 0;

    if (u->o.boot_loader) {
        struct source bl;
        r = source_open(&bl, u->o.boot_loader, u->err);
        if (r >= 0) {
            r = authenticode(u, &bl, d);
            source_close(&bl);
        }
        if (r >= 0)
            r = meas_extend(u->m, u->reg_boot, EV_EFI_BOOT_SERVICES_APPLICATION, (const uint8_t(*)[TDX_DIGEST_MAX])d,
                            u->err, "boot loader %s: Authenticode", u->o.boot_loader);
    }
    if (r >= 0)
        r = authenticode(u, &u->src, d);
    if (r >= 0)
        r = meas_extend(u->m, u->reg_boot, EV_EFI_BOOT_SERVICES_APPLICATION, (const uint8_t(*)[TDX_DIGEST_MAX])d, u->err,
                        "UKI %s: Authenticode", u->path);
    if (r < 0 || !linux_sec || u->stub < LOADIMAGE_FIRST || u->stub > LOADIMAGE_LAST)
        return r;
    {
        struct source k;
        tdx_error kerr = TDX_ERROR_INIT;
        tdx_error *saved = u->err;

        r = pe_check_memory_size(&u->src, linux_sec, u->err);
        if (r < 0)
            return r;
        source_window(&k, &u->src, linux_sec->raw_offset, linux_sec->raw_size, linux_sec->virtual_size,
                      "the UKI's .linux section");
        u->err = &kerr;
        r = authenticode(u, &k, d);
        u->err = saved;
        /* The firmware would refuse to start such a kernel: PCR 4 has no value to expect. */
        if (r == -EINVAL)
            return meas_unknown(u->m, u->reg_boot, u->err, "systemd-stub %d starts the embedded kernel with "
                                "LoadImage(), and firmware refuses this one: %s", u->stub, kerr.message);
        if (r < 0)
            return tdx_err(u->err, r, "%s", kerr.message);
    }
    return meas_extend(u->m, u->reg_boot, EV_EFI_BOOT_SERVICES_APPLICATION, (const uint8_t(*)[TDX_DIGEST_MAX])d, u->err,
                       "embedded kernel (.linux, %" PRIu32 " bytes): Authenticode, measured when systemd-stub "
                       "%d..%d starts it with LoadImage()", linux_sec->virtual_size, LOADIMAGE_FIRST, LOADIMAGE_LAST);
}

/* PCR 4: the firmware's boot attempt and separator, then the images it starts. */
static int pcr4(struct uki *u)
{
    static const char action[] = "Calling EFI Application from Boot Option";
    static const uint8_t separator[4] = { 0, 0, 0, 0 };
    int r = meas_extend_data(u->m, "pcr4", EV_EFI_ACTION, action, strlen(action), u->err, "%s", action);

    if (r >= 0)
        r = meas_extend_data(u->m, "pcr4", EV_SEPARATOR, separator, sizeof(separator), u->err, "separator");
    return r < 0 ? r : uki_boot_images(u);
}

/* The command line the stub hands to the kernel: .cmdline up to its first
 * NUL, control characters turned into spaces, trailing spaces dropped, as
 * UTF-16 with a NUL. */
static int load_options(struct uki *u, const struct pe_section *sec, strbuf *out)
{
    _cleanup_free_ uint8_t *data = NULL;
    size_t size, len;
    int r = pe_read_section_memory(&u->src, sec, CMDLINE_MAX, &data, &size, u->err);

    if (r < 0)
        return r;
    len = strnlen((const char *)data, size);
    for (size_t i = 0; i < len; i++)
        if (data[i] < 0x20)
            data[i] = ' ';
    while (len > 0 && data[len - 1] == ' ')
        len--;
    if (utf16_from_utf8(out, (const char *)data, len) < 0)
        return tdx_err(u->err, -EINVAL, "%s: the .cmdline section is not valid UTF-8", u->path);
    strbuf_append(out, "\0\0", 2);
    return strbuf_error(out) < 0 ? tdx_err_oom(u->err) : 0;
}

int uki_kernel_events(struct uki *u)
{
    const struct pe_section *cmdline = pe_find_section(&u->pe, ".cmdline"), *initrd = pe_find_section(&u->pe, ".initrd"),
                            *ucode = u->stub >= 256 ? pe_find_section(&u->pe, ".ucode") : NULL;
    struct hashset hs = HASHSET_INIT;
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];
    int r = 0;

    if (cmdline && u->stub >= LOAD_OPTIONS_FIRST) {
        strbuf sb = STRBUF_INIT;
        r = load_options(u, cmdline, &sb);
        if (r >= 0)
            r = meas_extend_data(u->m, u->reg_kernel, EV_EVENT_TAG, sb.data, sb.len, u->err,
                                 "LOADED_IMAGE::LoadOptions: the .cmdline section as UTF-16 (%zu bytes)", sb.len);
        strbuf_free(&sb);
    }
    if (r < 0 || (!initrd && !ucode))
        return r;
    /* The kernel measures the initrd it receives: microcode first (stubs >= 256), then .initrd. */
    r = hashset_init(&hs, u->m->banks, u->m->n_banks, u->err);
    if (r >= 0 && ucode)
        r = pe_hash_section_memory(&u->src, ucode, &hs, u->err);
    if (r >= 0 && initrd)
        r = pe_hash_section_memory(&u->src, initrd, &hs, u->err);
    if (r >= 0)
        r = hashset_final(&hs, d, u->err);
    hashset_free(&hs);
    if (r < 0)
        return r;
    return meas_extend(u->m, u->reg_kernel, EV_EVENT_TAG, (const uint8_t(*)[TDX_DIGEST_MAX])d, u->err,
                       "Linux initrd: %s (%" PRIu32 " bytes)", ucode ? ".ucode + .initrd" : "the .initrd section",
                       (ucode ? ucode->virtual_size : 0) + (initrd ? initrd->virtual_size : 0));
}

/* systemd-stub's measurements of the UKI's sections (PCR 11): for each in
 * the canonical order, its name with NUL, then its data as loaded. */
int uki_stub_sections(struct uki *u)
{
    int r = 0;

    for (size_t i = 0; i < ELEMENTSOF(unified_sections) && r >= 0; i++) {
        const struct pe_section *sec = pe_find_section(&u->pe, unified_sections[i].name);
        uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];

        if (!sec || sec->virtual_size == 0 || !unified_sections[i].since || u->stub < unified_sections[i].since)
            continue;
        r = meas_extend_data(u->m, u->reg_stub, EV_IPL, sec->name, strlen(sec->name) + 1, u->err,
                             "%s (section name with NUL)", sec->name);
        if (r >= 0)
            r = section_digest(u, sec, d);
        if (r >= 0)
            r = meas_extend(u->m, u->reg_stub, EV_IPL, (const uint8_t(*)[TDX_DIGEST_MAX])d, u->err,
                            "%s (%" PRIu32 " bytes of section data)", sec->name, sec->virtual_size);
    }
    return r;
}

static int pcr11(struct uki *u)
{
    strbuf path = STRBUF_INIT;
    int r;

    if (u->stub < 251)
        return meas_unknown(u->m, "pcr11", u->err, "systemd-stub %d predates 251, the first release that "
                            "measures UKI sections into PCR 11", u->stub);
    r = uki_stub_sections(u);
    if (r >= 0)
        r = meas_snapshot(u->m, "pcr11", "", u->err);
    /* systemd-pcrphase (userspace) extends a word per boot phase. */
    for (size_t i = 0; i < ELEMENTSOF(phases) && r >= 0; i++) {
        strbuf_printf(&path, "%s%s", i ? ":" : "", phases[i]);
        r = meas_extend_data(u->m, "pcr11", EV_IPL, phases[i], strlen(phases[i]), u->err,
                             "systemd-pcrphase \"%s\" (userspace, not in the firmware's log)", phases[i]);
        if (r >= 0)
            r = strbuf_error(&path) < 0 ? tdx_err_oom(u->err) : meas_snapshot(u->m, "pcr11", path.data, u->err);
    }
    strbuf_free(&path);
    return r;
}

int uki_open(struct uki *u, const char *file)
{
    size_t n;
    int r = source_open(&u->src, file, u->err);

    if (r >= 0)
        r = pe_parse(&u->src, &u->pe, u->err);
    if (r < 0)
        return r;
    n = pe_count_sections(&u->pe, ".profile");
    if (n > 1)
        return tdx_err(u->err, -EINVAL, "%s: %zu .profile sections: multi-profile UKIs are not supported", u->path, n);
    if (!pe_find_section(&u->pe, ".linux"))
        return tdx_err(u->err, -EINVAL, "%s: no .linux section: not a unified kernel image", file);
    return 0;
}

void uki_close(struct uki *u)
{
    pe_image_free(&u->pe);
    source_close(&u->src);
}

static int resolve(struct uki *u, const tdx_uki_options *opts, tdx_hash_alg *banks, size_t *n)
{
    static const tdx_uki_options defaults = TDX_UKI_OPTIONS_INIT;

    u->o = defaults;
    if (opts)
        u->o = *opts;
    if (u->o.banks == TDX_UNSET || u->o.banks == 0)
        u->o.banks = TDX_BANK_SHA256;
    if (u->o.banks & ~(TDX_BANK_SHA256 | TDX_BANK_SHA384))
        return tdx_err(u->err, -EINVAL, "banks 0x%x: only TDX_BANK_SHA256 and TDX_BANK_SHA384 exist", u->o.banks);
    if (u->o.stub_version != TDX_UNSET && u->o.stub_version < 1)
        return tdx_err(u->err, -EINVAL, "stub_version %d is not a systemd version", u->o.stub_version);
    *n = 0;
    if (u->o.banks & TDX_BANK_SHA256)
        banks[(*n)++] = TDX_HASH_SHA256;
    if (u->o.banks & TDX_BANK_SHA384)
        banks[(*n)++] = TDX_HASH_SHA384;
    return 0;
}

int tdx_measure_uki_tpm(tdx_measurements **out, const char *uki, const tdx_uki_options *opts, tdx_error *err)
{
    tdx_check_arg(out && uki, err);
    tdx_check_options(opts, TDX_UKI_OPTIONS_VERSION, err);
    return measure_uki_tpm_labelled(out, uki, uki, opts, err);
}

int measure_uki_tpm_labelled(tdx_measurements **out, const char *uki, const char *label,
                             const tdx_uki_options *opts, tdx_error *err)
{
    struct uki u = { .path = label, .err = err, .src = SOURCE_INIT, .reg_boot = "pcr4", .reg_kernel = "pcr9",
                     .reg_stub = "pcr11" };
    tdx_hash_alg banks[2];
    size_t n = 0;
    int r;

    tdx_check_arg(out && uki && label, err);
    if (opts && (r = tdx_check_options_version(opts->version, TDX_UKI_OPTIONS_VERSION,
                                               "tdx_measure_uki_tpm", err)) < 0)
        return r;
    r = resolve(&u, opts, banks, &n);
    if (r >= 0)
        r = meas_new(&u.m, MEAS_TPM, banks, n, err);
    if (r >= 0)
        r = uki_open(&u, uki);
    for (const char *const *p = (const char *const[]){ "pcr4", "pcr9", "pcr11", NULL }; r >= 0 && *p; p++)
        r = meas_reg_get(u.m, *p, NULL, err);
    if (r >= 0)
        r = meas_assume(u.m, "boot", err, "UEFI firmware with a vTPM boots the UKI%s%s", u.o.boot_loader ? " via " : "",
                        u.o.boot_loader ? u.o.boot_loader : " directly");
    if (r >= 0)
        r = uki_stub_version(&u);
    if (r >= 0)
        r = pcr4(&u);
    if (r >= 0)
        r = uki_kernel_events(&u);
    if (r >= 0)
        r = pcr11(&u);
    if (r >= 0)
        r = meas_assume(u.m, "pcr11_phase", err, "enter-initrd:leave-initrd:sysinit:ready (a booted system)");
    uki_close(&u);
    if (r < 0) {
        tdx_measurements_free(u.m);
        return r;
    }
    *out = u.m;
    return 0;
}
