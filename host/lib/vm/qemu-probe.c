/* SPDX-License-Identifier: MIT */
/*
 * Which QEMU this is: its version (from `--version`) decides the TDX
 * command-line flavour. Canonical's TDX builds say so in their package
 * version ("+tdx1.1", "+tdx2.0"); upstream QEMU runs TDs from 10.1 on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "fetch/fetch-internal.h"
#include "vm-internal.h"

static const char *const flavor_names[] = { "upstream", "canonical-8.2", "canonical-9.2" };

const char *tdx_qemu_flavor_name(int flavor)
{
    return flavor >= 0 && flavor < (int)ELEMENTSOF(flavor_names) ? flavor_names[flavor] : NULL;
}

int tdx_qemu_flavor_from_name(const char *name, tdx_qemu_flavor *out, tdx_error *err)
{
    tdx_check_arg(name && out, err);
    for (size_t i = 0; i < ELEMENTSOF(flavor_names); i++)
        if (streq(name, flavor_names[i])) {
            *out = (tdx_qemu_flavor)i;
            return 0;
        }
    return tdx_err(err, -EINVAL, "unknown QEMU flavour '%s' (expected upstream, canonical-8.2 "
                   "or canonical-9.2)", name);
}

int qemu_version_parse(const char *s, unsigned *major, unsigned *minor, unsigned *patch)
{
    unsigned v[3] = { 0, 0, 0 };
    int i = 0;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    for (;;) {
        unsigned long n = 0;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (unsigned)(*s++ - '0');
            if (n > 9999)
                return -EINVAL;
        }
        v[i++] = (unsigned)n;
        if (*s != '.' || i == 3)
            break;
        s++;
    }
    if (*s && *s != ' ' && *s != '\n' && *s != '(' && *s != '-' && *s != '+' && *s != '~')
        return -EINVAL;
    *major = v[0];
    *minor = v[1];
    *patch = v[2];
    return 0;
}

int qemu_flavor_of(const char *line, unsigned major, unsigned minor)
{
    bool canonical_tdx = line && strstr(line, "+tdx") != NULL;

    if (canonical_tdx && major == 8 && minor == 2)
        return TDX_QEMU_CANONICAL_8_2;
    if (canonical_tdx && major == 9 && minor == 2)
        return TDX_QEMU_CANONICAL_9_2;
    if (major > 10 || (major == 10 && minor >= 1))
        return TDX_QEMU_UPSTREAM;
    return -1;
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int qemu_find(const char *qemu, char **path, tdx_error *err)
{
    const char *name = qemu ? qemu : "qemu-system-x86_64";
    const char *p = getenv("PATH");

    if (strchr(name, '/')) {
        if (!executable(name))
            return tdx_err(err, -ENOENT, "%s: no such executable QEMU", name);
        *path = strdup(name);
        return *path ? 0 : tdx_err_oom(err);
    }
    for (p = p ? p : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        char *cand;
        if (n && asprintf(&cand, "%.*s/%s", (int)n, p, name) >= 0) {
            if (executable(cand)) {
                *path = cand;
                return 0;
            }
            free(cand);
        }
        p += n + (p[n] == ':');
    }
    return tdx_err(err, -ENOENT, "%s: QEMU not found in PATH (install qemu-system-x86 or give "
                   "its path)", name);
}

int qemu_probe(const char *qemu, char **version, int *flavor, tdx_error *err)
{
    const char *argv[] = { qemu, "--version", NULL };
    struct run_result res = RUN_RESULT_INIT;
    const char *out, *v;
    unsigned major, minor, patch;
    char line[256];
    int r;

    r = run_program(argv, NULL, &res, err);
    if (r < 0)
        return r;
    out = strbuf_str(&res.out);
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(out, "\n"), out);
    if (res.status != 0 || !(v = strstr(line, "version ")) ||
        qemu_version_parse(v + 8, &major, &minor, &patch) < 0) {
        r = tdx_err(err, -EINVAL, "%s --version: not a QEMU version line: '%s'", qemu,
                    res.status != 0 ? run_last_line(&res) : line);
        run_result_free(&res);
        return r;
    }
    run_result_free(&res);
    if (asprintf(version, "%u.%u.%u", major, minor, patch) < 0)
        return tdx_err_oom(err);
    *flavor = qemu_flavor_of(line, major, minor);
    return 0;
}
