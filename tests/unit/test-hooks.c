/* SPDX-License-Identifier: MIT */
/* tdx-agent run-hooks: order, output under the hook's name, timeouts, and
 * the three failure policies. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-core.h"
#include "helpers.h"
#include "hooks.h"
#include "log.h"

struct run {
    int status;
    char *log;
    uint64_t ms;
};

/* Runs the hooks with the agent's log (stderr) captured. */
static struct run run_hooks(const char *dir, unsigned timeout_s, enum hook_policy policy)
{
    char path[] = "/tmp/tdx-test-hooklog-XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    struct run r;
    uint64_t start = now_ms();

    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    log_set_max_level(LOG_LVL_INFO);
    r.status = hooks_run(dir, timeout_s, policy);
    r.ms = now_ms() - start;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    r.log = read_text(path, NULL);
    unlink(path);
    ck_assert_ptr_nonnull(r.log);
    return r;
}

static void hook(const char *dir, const char *name, const char *body, mode_t mode)
{
    char rel[256], path[4300];
    snprintf(rel, sizeof(rel), "hooks/%s", name);
    write_text(dir, rel, body);
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static char *setup(void)
{
    char *dir = tmpdir_new(), order[4300];
    snprintf(order, sizeof(order), "#!/bin/sh\necho \"$0\" >> %s/order\n", dir);
    hook(dir, "20-second", order, 0755);
    hook(dir, "10-first", order, 0755);
    hook(dir, "30-third", order, 0755);
    return dir;
}

static const char *hooks_dir(const char *dir)
{
    static char path[4300];
    snprintf(path, sizeof(path), "%s/hooks", dir);
    return path;
}

START_TEST(hooks_run_in_lexical_order_and_their_output_is_logged)
{
    char *dir = setup(), path[4300], *order;
    struct run r;

    hook(dir, "15-talk", "#!/bin/sh\necho hello from a hook\necho to stderr >&2\nprintf 'no newline'\n", 0755);
    hook(dir, "25-not-executable", "#!/bin/sh\nexit 1\n", 0644);
    hook(dir, ".hidden", "#!/bin/sh\nexit 1\n", 0755);
    hook(dir, "35-backup~", "#!/bin/sh\nexit 1\n", 0755);
    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_STOP);
    ck_assert_msg(r.status == 0, "%s", r.log);
    snprintf(path, sizeof(path), "%s/order", dir);
    order = read_text(path, NULL);
    ck_assert_ptr_nonnull(order);
    ck_assert_msg(strstr(order, "10-first\n") < strstr(order, "20-second\n") &&
                  strstr(order, "20-second\n") < strstr(order, "30-third\n"), "order: %s", order);
    ck_assert_contains(r.log, "15-talk: hello from a hook");
    ck_assert_contains(r.log, "15-talk: to stderr");
    ck_assert_contains(r.log, "15-talk: no newline");
    ck_assert_contains(r.log, "25-not-executable: not executable");
    ck_assert_contains(r.log, "running 4 hooks from");
    ck_assert_contains(r.log, "all 4 hooks succeeded");
    ck_assert(!strstr(r.log, ".hidden"));
    free(order);
    free(r.log);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(the_first_failure_stops_by_default)
{
    char *dir = setup(), path[4300], *order;
    struct run r;

    hook(dir, "25-fail", "#!/bin/sh\necho broken >&2\nexit 3\n", 0755);
    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_STOP);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.log, "25-fail: broken");
    ck_assert_contains(r.log, "25-fail: FAILED with exit status 3");
    ck_assert_contains(r.log, "stopping: 1 later hooks not run (on failure: stop)");
    snprintf(path, sizeof(path), "%s/order", dir);
    order = read_text(path, NULL);
    ck_assert(!strstr(order, "30-third"));
    free(order);
    free(r.log);

    unlink(path);
    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_CONTINUE);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.log, "1 of 4 hooks failed");
    order = read_text(path, NULL);
    ck_assert_contains(order, "30-third");
    free(order);
    free(r.log);

    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_IGNORE);
    ck_assert_int_eq(r.status, 0);
    ck_assert_contains(r.log, "1 of 4 hooks failed");
    free(r.log);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(hooks_that_hang_are_killed)
{
    char *dir = tmpdir_new();
    struct run r;

    /* The child of the hook goes too: the whole process group is signalled. */
    hook(dir, "10-hang", "#!/bin/sh\nsleep 60 &\nsleep 60\n", 0755);
    hook(dir, "20-after", "#!/bin/sh\necho after\n", 0755);
    r = run_hooks(hooks_dir(dir), 1, HOOK_POLICY_CONTINUE);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.log, "10-hang: still running after 1 s, sending SIGTERM");
    ck_assert_contains(r.log, "10-hang: FAILED: timed out after 1 s and was killed");
    ck_assert_contains(r.log, "20-after: after");
    ck_assert_uint_lt(r.ms, 5000);
    free(r.log);

    /* A hook that leaves a daemon holding its output open does not block the next. */
    hook(dir, "10-hang", "#!/bin/sh\nsleep 30 &\necho started\n", 0755);
    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_STOP);
    ck_assert_msg(r.status == 0, "%s", r.log);
    ck_assert_contains(r.log, "10-hang: started");
    ck_assert_uint_lt(r.ms, 5000);
    free(r.log);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(signals_and_missing_directories_are_reported)
{
    char *dir = tmpdir_new();
    struct run r;

    hook(dir, "10-abort", "#!/bin/sh\nkill -KILL $$\n", 0755);
    hook(dir, "20-noexec", "not a script at all\n", 0755);
    r = run_hooks(hooks_dir(dir), 10, HOOK_POLICY_CONTINUE);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.log, "10-abort: FAILED: killed by signal 9");
    ck_assert_contains(r.log, "20-noexec: FAILED with exit status");
    free(r.log);
    r = run_hooks("/nonexistent/hooks", 10, HOOK_POLICY_STOP);
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.log, "cannot read the hook directory /nonexistent/hooks: No such file or directory");
    free(r.log);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hooks");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hooks_run_in_lexical_order_and_their_output_is_logged);
    tcase_add_test(tc, the_first_failure_stops_by_default);
    tcase_add_test(tc, hooks_that_hang_are_killed);
    tcase_add_test(tc, signals_and_missing_directories_are_reported);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
