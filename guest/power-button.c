/* SPDX-License-Identifier: MIT */
#include "power-button.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define MAX_EVENT_DEVICES 64
#define BUTTON_NAME "Power Button"

static bool named_power_button(const char *sys_input, int n)
{
    char path[512], name[64];
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "%s/event%d/device/name", sys_input, n);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    len = read(fd, name, sizeof(name) - 1);
    close(fd);
    if (len <= 0)
        return false;
    name[len] = '\0';
    name[strcspn(name, "\n")] = '\0';
    return strcmp(name, BUTTON_NAME) == 0;
}

int power_button_open(const struct power_button_paths *p)
{
    for (int n = 0; n < MAX_EVENT_DEVICES; n++) {
        char path[512];
        int fd;

        if (!named_power_button(p->sys_input, n))
            continue;
        snprintf(path, sizeof(path), "%s/event%d", p->dev_input, n);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return -errno;
        return fd;
    }
    return -ENOENT;
}

bool power_button_pressed(int fd, bool *eof)
{
    struct input_event ev[16];
    ssize_t n = read(fd, ev, sizeof(ev));

    *eof = n <= 0 && !(n < 0 && errno == EINTR);
    for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(ev[0]); i++)
        if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
            return true;
    return false;
}

int power_button_run(const struct power_button_paths *p, unsigned wait_s, int pid, int sig)
{
    bool eof = false;
    int fd = -ENOENT;

    for (unsigned s = 0; fd == -ENOENT && s <= wait_s; s++) {
        fd = power_button_open(p);
        if (fd == -ENOENT && s < wait_s)
            sleep(1);
    }
    if (fd < 0) {
        log_info("power button: %s: the ACPI power button is not handled",
                 fd == -ENOENT ? "no \"" BUTTON_NAME "\" input device" : strerror(-fd));
        return fd;
    }
    log_info("power button: watching it (a press powers off)");
    while (!eof) {
        if (!power_button_pressed(fd, &eof))
            continue;
        log_notice("power button pressed: powering off");
        if (kill(pid, sig) < 0)
            log_error("power button: cannot signal PID %d: %m", pid);
    }
    log_warning("power button: its device went away");
    close(fd);
    return -ENODEV;
}

struct watch {
    struct power_button_paths paths;
    unsigned wait_s;
    int pid, sig;
};

static void *watch_thread(void *arg)
{
    struct watch *w = arg;
    power_button_run(&w->paths, w->wait_s, w->pid, w->sig);
    free(w);
    return NULL;
}

int power_button_watch(const struct power_button_paths *p, unsigned wait_s, int pid, int sig)
{
    struct watch *w = malloc(sizeof(*w));
    pthread_attr_t attr;
    pthread_t t;
    int r;

    if (!w)
        return -ENOMEM;
    *w = (struct watch){ *p, wait_s, pid, sig };
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&t, &attr, watch_thread, w);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        free(w);
        return -r;
    }
    return 0;
}
