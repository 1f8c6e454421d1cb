/* SPDX-License-Identifier: MIT */
#include "modules.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "strv.h"

static const char *why(int err)
{
    switch (err) {
    case ENOEXEC: return "not a module for this kernel (wrong format or version)";
    case ENOENT: return "no such file";
    case EKEYREJECTED: return "its signature was rejected";
    case ENOKEY: return "it is not signed and the kernel requires signed modules";
    case EPERM: return "not permitted (module loading disabled?)";
    default: return strerror(err);
    }
}

int modules_load(char *const *paths)
{
    size_t loaded = 0, present = 0;
    STRV_FOREACH(p, paths) {
        int fd = open(*p, O_RDONLY | O_CLOEXEC), err;
        if (fd < 0) {
            err = errno;
            log_error("init: cannot load module %s: %s", *p, why(err));
            return -err;
        }
        /* Uncompressed files only: the image builder decompresses them. */
        err = syscall(SYS_finit_module, fd, "", 0) < 0 ? errno : 0;
        close(fd);
        if (err == EEXIST) {
            present++;
            log_debug("init: module %s: already loaded", *p);
            continue;
        }
        /* Its init found no device: tdx-guest outside a TD, say. The
         * module set is the image's, the machine may lack some hardware. */
        if (err == ENODEV) {
            log_warning("init: module %s: no such device here; not loaded", *p);
            continue;
        }
        if (err) {
            log_error("init: cannot load module %s: %s", *p, why(err));
            return -err;
        }
        loaded++;
    }
    if (paths && paths[0])
        log_info("init: loaded %zu module(s)%s", loaded,
                 present ? " (others were already loaded)" : "");
    return 0;
}
