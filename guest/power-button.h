/* SPDX-License-Identifier: MIT */
/*
 * The ACPI power button: what `tdxctl stop` (QMP system_powerdown) and a
 * cloud's "stop" press. Neither image has anything else listening for it:
 * the native image's init is the agent, and the systemd image has no
 * logind (debloated). So the agent watches the button's input device and
 * asks PID 1 to power off: itself (SIGTERM, which stops the services and
 * powers off) or systemd (SIGRTMIN+4, "poweroff.target").
 */
#ifndef TDX_AGENT_POWER_BUTTON_H
#define TDX_AGENT_POWER_BUTTON_H

#include <stdbool.h>
#include <stddef.h>

struct power_button_paths {
    const char *sys_input;   /* /sys/class/input */
    const char *dev_input;   /* /dev/input */
};
#define POWER_BUTTON_PATHS_DEFAULT { "/sys/class/input", "/dev/input" }

/* Opens the first eventN whose device is named "Power Button" (the ACPI
 * button driver's name), read-only: the fd, or -ENOENT when there is none
 * (yet: udev may load the driver later), another -errno. */
int power_button_open(const struct power_button_paths *p);

/* Reads what is there of fd's input events: true when one of them is the
 * power key pressed. Sets *eof at end of file or on a read error. */
bool power_button_pressed(int fd, bool *eof);

/* Finds the button (retrying for up to wait_s seconds while drivers load),
 * then sends sig to pid on every press, until the device goes away. Logs
 * what it does. -ENOENT (no button), -ENODEV (it went away), -errno. */
int power_button_run(const struct power_button_paths *p, unsigned wait_s, int pid, int sig);

/* power_button_run() in a detached thread (the strings of p must outlive
 * it). 0 or -errno (the thread could not start). */
int power_button_watch(const struct power_button_paths *p, unsigned wait_s, int pid, int sig);

#endif
