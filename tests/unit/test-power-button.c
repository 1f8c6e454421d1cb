/* SPDX-License-Identifier: MIT */
/* The agent's power-button watch: it finds the input device by the ACPI
 * button driver's name, reacts to the power key's press (not its release,
 * not other keys), signals the PID it was given, and reports a machine
 * without a button. A fake /sys/class/input and /dev/input stand in. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"
#include "power-button.h"

static char *dir;
static char sys_dir[512], dev_dir[512];

static void write_events(const char *name, const struct input_event *ev, size_t n)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(ev, sizeof(*ev), n, f), n);
    fclose(f);
}

static void setup(void)
{
    dir = tmpdir_new();
    snprintf(sys_dir, sizeof(sys_dir), "%s/sys", dir);
    snprintf(dev_dir, sizeof(dev_dir), "%s/dev", dir);
    write_text(dir, "sys/event0/device/name", "AT Translated Set 2 keyboard\n");
    write_text(dir, "sys/event2/device/name", "PC Speaker\n");
    write_text(dir, "dev/event0", "");
    write_text(dir, "dev/event2", "");
}

static void teardown(void)
{
    tmpdir_remove(dir);
}

static const struct input_event key_a = { .type = EV_KEY, .code = KEY_A, .value = 1 };
static const struct input_event syn = { .type = EV_SYN, .code = SYN_REPORT, .value = 0 };
static const struct input_event power_down = { .type = EV_KEY, .code = KEY_POWER, .value = 1 };
static const struct input_event power_up = { .type = EV_KEY, .code = KEY_POWER, .value = 0 };

START_TEST(finds_the_button_by_name_and_reads_presses)
{
    struct power_button_paths p = { sys_dir, dev_dir };
    bool eof = false;
    int fd;

    ck_assert_int_eq(power_button_open(&p), -ENOENT);
    write_text(dir, "sys/event3/device/name", "Power Button\n");
    {
        /* Another key, a release, then the press. */
        struct input_event ev[] = { key_a, syn, power_up, syn };
        write_events("event3", ev, 4);
    }
    fd = power_button_open(&p);
    ck_assert_int_ge(fd, 0);
    ck_assert(!power_button_pressed(fd, &eof));
    ck_assert(!eof);
    ck_assert(!power_button_pressed(fd, &eof));
    ck_assert(eof);
    close(fd);
    {
        struct input_event ev[] = { key_a, power_down, syn };
        write_events("event3", ev, 3);
    }
    fd = power_button_open(&p);
    ck_assert(power_button_pressed(fd, &eof));
    close(fd);
}
END_TEST

START_TEST(a_press_signals_the_pid)
{
    struct power_button_paths p = { sys_dir, dev_dir };
    struct input_event ev[] = { syn, power_down, syn, power_up, syn };
    sigset_t mask, pending;

    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    write_text(dir, "sys/event5/device/name", "Power Button");
    write_events("event5", ev, 5);
    log_set_max_level(LOG_LVL_ERR);
    /* The fake device ends: the watch says it went away. */
    ck_assert_int_eq(power_button_run(&p, 0, getpid(), SIGUSR1), -ENODEV);
    sigpending(&pending);
    ck_assert(sigismember(&pending, SIGUSR1));
}
END_TEST

START_TEST(no_button_is_reported)
{
    struct power_button_paths p = { sys_dir, dev_dir };
    log_set_max_level(LOG_LVL_ERR);
    ck_assert_int_eq(power_button_run(&p, 0, getpid(), SIGUSR1), -ENOENT);
    /* A name that only starts like the button's is not it. */
    write_text(dir, "sys/event1/device/name", "Power Button 2\n");
    write_text(dir, "dev/event1", "");
    ck_assert_int_eq(power_button_open(&p), -ENOENT);
    /* Named, but its device node is missing. */
    write_text(dir, "sys/event4/device/name", "Power Button\n");
    ck_assert_int_eq(power_button_open(&p), -ENOENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("power-button");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, finds_the_button_by_name_and_reads_presses);
    tcase_add_test(tc, a_press_signals_the_pid);
    tcase_add_test(tc, no_button_is_reported);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
