/* SPDX-License-Identifier: MIT */
/* Default debloat lists, after nethermind-tdx's debloat scripts as described
 * in the SDK design (../shared/seeds/000). Kept sorted where order does not
 * matter so emitted scripts are stable. */
#include <stddef.h>

#include "tdxhost/recipe.h"

static const char *const default_paths[] = {
    "/etc/*-",
    "/etc/credstore",
    "/etc/ssh/ssh_host_*_key*",
    "/etc/systemd/network",
    "/usr/lib/modules",
    "/usr/lib/pcrlock.d",
    "/usr/lib/systemd/catalog",
    "/usr/lib/systemd/network",
    "/usr/lib/systemd/user",
    "/usr/lib/systemd/user-generators",
    "/usr/lib/tmpfiles.d",
    "/usr/lib/udev/hwdb.bin",
    "/usr/lib/udev/hwdb.d",
    "/usr/share/bash-completion",
    "/usr/share/bug",
    "/usr/share/debconf",
    "/usr/share/doc",
    "/usr/share/gcc",
    "/usr/share/gdb",
    "/usr/share/info",
    "/usr/share/initramfs-tools",
    "/usr/share/lintian",
    "/usr/share/locale",
    "/usr/share/man",
    "/usr/share/menu",
    "/usr/share/mime",
    "/usr/share/perl5/debconf",
    "/usr/share/polkit-1",
    "/usr/share/systemd",
    "/usr/share/zsh",
    NULL,
};

/* Besides what the minimal target needs: modprobe@.service, because
 * sys-kernel-config.mount requires modprobe@configfs.service (no configfs,
 * no configfs-tsm, no quotes); the module loader for modules-load.d; and
 * the targets systemd itself goes to (shutdown, poweroff, reboot, emergency)
 * or that units of other packages name (multi-user.target, getty.target):
 * masking those turns a clean poweroff into a hang and makes every preset of
 * a unit WantedBy=multi-user.target fail. */
static const char *const default_units[] = {
    "basic.target",
    "emergency.service",
    "emergency.target",
    "final.target",
    "getty.target",
    "halt.target",
    "local-fs-pre.target",
    "local-fs.target",
    "minimal.target",
    "modprobe@.service",
    "multi-user.target",
    "network-online.target",
    "poweroff.target",
    "reboot.target",
    "shutdown.target",
    "slices.target",
    "sockets.target",
    "sysinit.target",
    "systemd-halt.service",
    "systemd-modules-load.service",
    "systemd-poweroff.service",
    "systemd-reboot.service",
    "systemd-journald-dev-log.socket",
    "systemd-journald.service",
    "systemd-journald.socket",
    "systemd-remount-fs.service",
    "systemd-sysctl.service",
    "umount.target",
    NULL,
};

static const char *const default_bins[] = {
    "journalctl",
    "systemctl",
    "systemd",
    "systemd-tty-ask-password-agent",
    NULL,
};

const char *const *tdx_debloat_default_paths(void)
{
    return default_paths;
}

const char *const *tdx_debloat_default_units(void)
{
    return default_units;
}

const char *const *tdx_debloat_default_bins(void)
{
    return default_bins;
}
