/* SPDX-License-Identifier: MIT */
/*
 * The .modinfo section of a kernel module: NUL-separated "key=value"
 * strings, of which depends= lists the modules whose symbols it uses
 * (what depmod turns into modules.dep, which Debian's kernel packages do not
 * ship: depmod runs in their postinst). Modules come from a signed package,
 * but they are parsed as untrusted bytes anyway: every offset is checked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"

#define DEPENDS_MAX 256

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Section header i's offset and size (64-byte ELF64 headers). */
static bool section(const uint8_t *d, size_t size, uint64_t shoff, unsigned i, uint64_t *off,
                    uint64_t *len, uint32_t *name)
{
    const uint8_t *sh = d + shoff + (uint64_t)i * 64;
    *name = le32(sh);
    *off = le64(sh + 24);
    *len = le64(sh + 32);
    /* SHT_NOBITS occupies no bytes of the file; it is never read. */
    return le32(sh + 4) == 8 || (*off <= size && *len <= size - *off);
}

static int bad(tdx_error *err, const char *label, const char *what)
{
    return tdx_err(err, -EBADMSG, "kernel module %s: %s", label, what);
}

int modinfo_parse(const void *data, size_t size, const char *label, char **name,
                  char ***depends, tdx_error *err)
{
    const uint8_t *d = data;
    uint64_t shoff, str_off, str_len, mi_off = 0, mi_len = 0;
    unsigned shnum, shstrndx;
    bool found = false;
    _cleanup_free_ char *n = NULL;
    char **deps = NULL;

    if (size < 64 || memcmp(d, "\177ELF", 4) != 0)
        return bad(err, label, "not an ELF file");
    if (d[4] != 2 || d[5] != 1)
        return bad(err, label, "not a little-endian ELF64 file");
    shoff = le64(d + 40);
    shnum = le16(d + 60);
    shstrndx = le16(d + 62);
    if (le16(d + 58) != 64 || shnum == 0 || shstrndx >= shnum || shoff > size ||
        (uint64_t)shnum * 64 > size - shoff)
        return bad(err, label, "section headers outside the file");
    {
        uint32_t dummy;
        if (!section(d, size, shoff, shstrndx, &str_off, &str_len, &dummy) ||
            le32(d + shoff + (uint64_t)shstrndx * 64 + 4) == 8)
            return bad(err, label, "section name table outside the file");
    }
    for (unsigned i = 0; i < shnum; i++) {
        uint64_t off, len;
        uint32_t nm;
        if (!section(d, size, shoff, i, &off, &len, &nm))
            return bad(err, label, "a section outside the file");
        if (nm < str_len && str_len - nm >= sizeof(".modinfo") &&
            memcmp(d + str_off + nm, ".modinfo", sizeof(".modinfo")) == 0) {
            if (le32(d + shoff + (uint64_t)i * 64 + 4) == 8)
                return bad(err, label, ".modinfo has no bytes in the file");
            mi_off = off;
            mi_len = len;
            found = true;
            break;
        }
    }
    if (!found)
        return bad(err, label, "no .modinfo section");

    for (uint64_t p = mi_off; p < mi_off + mi_len;) {
        const char *s = (const char *)d + p;
        const void *nul = memchr(s, '\0', (size_t)(mi_off + mi_len - p));
        size_t len;
        if (!nul) {
            strv_free(deps);
            return bad(err, label, ".modinfo: a string without its NUL");
        }
        len = (size_t)((const char *)nul - s);
        if (len > 5 && memcmp(s, "name=", 5) == 0 && !n) {
            if (!(n = strndup(s + 5, len - 5))) {
                strv_free(deps);
                return tdx_err_oom(err);
            }
        } else if (len >= 8 && memcmp(s, "depends=", 8) == 0) {
            const char *v = s + 8, *end = s + len;
            while (v < end) {
                const char *comma = memchr(v, ',', (size_t)(end - v));
                const char *stop = comma ? comma : end;
                char *dep;
                if (stop > v) {
                    if (strv_length(deps) >= DEPENDS_MAX) {
                        strv_free(deps);
                        return bad(err, label, "more than 256 dependencies");
                    }
                    if (!(dep = strndup(v, (size_t)(stop - v))) || strv_push_take(&deps, dep) < 0) {
                        strv_free(deps);
                        return tdx_err_oom(err);
                    }
                }
                v = stop + 1;
            }
        }
        p += len + 1;
        while (p < mi_off + mi_len && d[p] == '\0')   /* strings are padded */
            p++;
    }
    if (!deps && !(deps = calloc(1, sizeof(char *))))
        return tdx_err_oom(err);
    *name = n ? TAKE_PTR(n) : NULL;
    *depends = deps;
    return 0;
}
