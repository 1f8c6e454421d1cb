/* SPDX-License-Identifier: MIT */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accounts.h"
#include "agent-core.h"
#include "env-file.h"
#include "fileio.h"
#include "line-output.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

enum state { NOT_STARTED, RUNNING, RESTART_PENDING, ENDED };

struct unit {
    const struct init_service *svc;
    enum state state;
    pid_t pid;
    int out_fd;                /* read end of its stdout/stderr pipe; -1 when closed */
    struct line_output out;
    int last_status;           /* exit code of the last run (128+N: signal N) */
    unsigned failures;         /* restarts in a row since it last ran stably */
    uint64_t started_at, restart_at;
};

struct supervisor {
    struct unit *units;
    size_t n;
    char *accounts_root;
    bool inherit_env;
    bool stopping;
};

static void console_line(const char *name, const char *line)
{
    /* One write per line: the log and other services write concurrently. */
    fprintf(stderr, "[%s] %s\n", name, line);
}

int supervisor_new(const struct init_service *services, size_t n, const char *accounts_root,
                   bool inherit_env, struct supervisor **out)
{
    struct supervisor *s = calloc(1, sizeof(*s));
    if (!s || !(s->units = calloc(n + 1, sizeof(*s->units))) ||
        !(s->accounts_root = strdup(accounts_root ? accounts_root : "/"))) {
        if (s)
            free(s->units);
        free(s);
        return -ENOMEM;
    }
    s->n = n;
    s->inherit_env = inherit_env;
    for (size_t i = 0; i < n; i++) {
        s->units[i] = (struct unit){ .svc = &services[i], .out_fd = -1 };
        s->units[i].out.name = services[i].name;
        s->units[i].out.emit = console_line;
    }
    *out = s;
    return 0;
}

static void close_output(struct unit *u)
{
    if (u->out_fd < 0)
        return;
    line_output_drain(u->out_fd, &u->out);
    line_output_flush(&u->out);
    close(u->out_fd);
    u->out_fd = -1;
}

void supervisor_free(struct supervisor *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        close_output(&s->units[i]);
    free(s->units);
    free(s->accounts_root);
    free(s);
}

/* Sets or replaces NAME=... in *env. */
static int env_set(char ***env, const char *key, const char *value)
{
    size_t klen = strlen(key);
    char *kv;
    if (asprintf(&kv, "%s=%s", key, value) < 0)
        return -ENOMEM;
    STRV_FOREACH(e, *env)
        if (strncmp(*e, key, klen) == 0 && (*e)[klen] == '=') {
            char **slot = (char **)e;
            explicit_bzero(*slot, strlen(*slot));
            free(*slot);
            *slot = kv;
            return 0;
        }
    return strv_push_take(env, kv);
}

struct file_push {
    char ***env;
    const char *service, *file;
};

static int push_var(const char *key, const char *value, void *userdata)
{
    struct file_push *fp = userdata;
    /* What systemd drops before it executes a service (env-file.h). */
    if (!env_name_valid(key) || !env_value_valid(value)) {
        log_warning("init: service %s: %s: ignoring \"%.64s\": not a valid variable "
                    "assignment", fp->service, fp->file, key);
        return 0;
    }
    return env_set(fp->env, key, value);
}

static void env_wipe_free(char **env)
{
    STRV_FOREACH(e, env)
        explicit_bzero(*e, strlen(*e));
    strv_free(env);
}

/* The service's environment; NULL after logging why it cannot be made. */
static char **build_env(const struct supervisor *s, const struct init_service *svc,
                        const char *home)
{
    char **env = s->inherit_env ? strv_copy((const char *const *)environ) : NULL;
    int r = 0;

    if (s->inherit_env && !env)
        return NULL;
    if (!s->inherit_env) {
        r = env_set(&env, "PATH", DEFAULT_PATH);
        if (r >= 0 && svc->user) {
            r = env_set(&env, "USER", svc->user);
            if (r >= 0)
                r = env_set(&env, "LOGNAME", svc->user);
            if (r >= 0 && home && home[0])
                r = env_set(&env, "HOME", home);
        }
    }
    STRV_FOREACH(kv, svc->environment) {
        char *eq = strchr(*kv, '=');
        char key[300];
        if (r < 0)
            break;
        snprintf(key, sizeof(key), "%.*s", (int)(eq - *kv), *kv);
        r = env_set(&env, key, eq + 1);
    }
    /* Files last: as with systemd, they override "environment". */
    STRV_FOREACH(f, svc->environment_files) {
        bool optional = (*f)[0] == '-';
        const char *path = optional ? *f + 1 : *f;
        struct file_push fp = { &env, svc->name, path };
        char *text = NULL, msg[300];
        size_t len;
        if (r < 0)
            break;
        r = read_file_bounded(path, ENV_FILE_MAX, &text, &len);
        if (r == -ENOENT && optional) {
            r = 0;
            continue;
        }
        if (r < 0) {
            log_error("init: service %s: cannot read the environment file %s: %s", svc->name,
                      path, r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
            break;
        }
        r = env_file_parse(text, len, push_var, &fp, msg, sizeof(msg));
        explicit_bzero(text, len);
        free(text);
        if (r < 0)
            log_error("init: service %s: %s: %s", svc->name, path, msg);
    }
    if (r < 0) {
        if (r == -ENOMEM)
            log_error("init: service %s: out of memory", svc->name);
        env_wipe_free(env);
        return NULL;
    }
    return env;
}

/* What the child says before _exit(127): only async-signal-safe calls. */
static void child_fail(const char *what, int err)
{
    char num[16];
    size_t n = 0;
    unsigned v = (unsigned)err;
    do
        num[sizeof(num) - 1 - n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof(num) - 1);
    (void)!write(STDERR_FILENO, "cannot ", 7);
    (void)!write(STDERR_FILENO, what, strlen(what));
    (void)!write(STDERR_FILENO, ": errno ", 8);
    (void)!write(STDERR_FILENO, num + sizeof(num) - n, n);
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
}

struct identity {
    bool switch_user;
    uid_t uid;
    gid_t gid;
};

static pid_t spawn(const struct init_service *svc, const struct identity *id, char **env,
                   int out_fd)
{
    const char *wd = svc->working_directory ? svc->working_directory : "/";
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Child: only async-signal-safe calls until execve (the agent has threads). */
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();   /* its own process group: stopping it stops what it started */
    if (line_output_child_stdio(out_fd) < 0)
        _exit(127);
    if (chdir(wd) < 0)
        child_fail("change to the working directory", errno);
    if (id->switch_user) {
        if (setgroups(1, &id->gid) < 0 || setgid(id->gid) < 0)
            child_fail("set the group", errno);
        if (setuid(id->uid) < 0)
            child_fail("set the user", errno);
    }
    execvpe(svc->exec[0], svc->exec, env);
    child_fail("execute", errno);
    return -1;
}

static int resolve_identity(const struct supervisor *s, const struct init_service *svc,
                            struct identity *id, char *home, size_t home_size)
{
    char msg[600];
    int r = 0;

    *id = (struct identity){ .uid = 0, .gid = 0 };
    home[0] = '\0';
    if (svc->user) {
        r = accounts_user_entry(s->accounts_root, svc->user, &id->uid, &id->gid, home, home_size,
                                msg, sizeof(msg));
        id->switch_user = true;
    }
    if (r == 0 && svc->group) {
        r = accounts_group(s->accounts_root, svc->group, &id->gid, msg, sizeof(msg));
        id->switch_user = true;
    }
    if (r < 0)
        log_error("init: service %s: %s", svc->name, msg);
    return r;
}

static void schedule(struct supervisor *s, struct unit *u, int code);

static void start(struct supervisor *s, struct unit *u)
{
    const struct init_service *svc = u->svc;
    struct identity id;
    char home[1024], **env;
    int fds[2];

    close_output(u);
    if (resolve_identity(s, svc, &id, home, sizeof(home)) < 0 ||
        !(env = build_env(s, svc, home))) {
        u->started_at = now_ms();
        schedule(s, u, EXIT_FAILURE);
        return;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        log_error("init: service %s: cannot make its output pipe: %m", svc->name);
        env_wipe_free(env);
        u->started_at = now_ms();
        schedule(s, u, EXIT_FAILURE);
        return;
    }
    log_info("init: starting service %s", svc->name);
    u->pid = spawn(svc, &id, env, fds[1]);
    close(fds[1]);
    env_wipe_free(env);   /* file contents may be secrets */
    u->started_at = now_ms();
    if (u->pid < 0) {
        log_error("init: service %s: cannot fork: %m", svc->name);
        close(fds[0]);
        schedule(s, u, EXIT_FAILURE);
        return;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    u->out_fd = fds[0];
    u->state = RUNNING;
}

void supervisor_start(struct supervisor *s, bool secrets_ready)
{
    if (s->stopping)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct unit *u = &s->units[i];
        if (u->state == NOT_STARTED && (secrets_ready || !u->svc->after_secrets))
            start(s, u);
    }
}

/* After a run ended with code: restart it later, or mark it ended. */
static void schedule(struct supervisor *s, struct unit *u, int code)
{
    const struct init_service *svc = u->svc;
    bool again = !s->stopping && (svc->restart == INIT_RESTART_ALWAYS ||
                                  (svc->restart == INIT_RESTART_ON_FAILURE && code != 0));
    uint64_t now = now_ms(), delay;

    u->pid = 0;
    u->last_status = code;
    if (!again) {
        u->state = ENDED;
        return;
    }
    if (now - u->started_at >= SUPERVISOR_STABLE_MS)
        u->failures = 0;
    delay = SUPERVISOR_BACKOFF_MIN_MS;
    for (unsigned i = 0; i < u->failures && delay < SUPERVISOR_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > SUPERVISOR_BACKOFF_MAX_MS)
        delay = SUPERVISOR_BACKOFF_MAX_MS;
    u->failures++;
    u->restart_at = now + delay;
    u->state = RESTART_PENDING;
    log_notice("init: service %s: restarting in %.2f s (restart: %s)", svc->name,
               (double)delay / 1000, init_restart_name(svc->restart));
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_FAILURE;
}

void supervisor_reap(struct supervisor *s)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < s->n; i++) {
            struct unit *u = &s->units[i];
            if (u->state != RUNNING || u->pid != pid)
                continue;
            if (WIFSIGNALED(status))
                log_notice("init: service %s was killed by signal %d (%s)", u->svc->name,
                           WTERMSIG(status), strsignal(WTERMSIG(status)));
            else
                log_notice("init: service %s exited with status %d", u->svc->name,
                           exit_code(status));
            /* Its last lines before the next start or the end. */
            if (u->out_fd >= 0)
                line_output_drain(u->out_fd, &u->out);
            schedule(s, u, exit_code(status));
            break;
        }
}

void supervisor_tick(struct supervisor *s)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < s->n; i++) {
        struct unit *u = &s->units[i];
        if (u->state == RESTART_PENDING && now >= u->restart_at && !s->stopping)
            start(s, u);
    }
}

int supervisor_timeout_ms(struct supervisor *s)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (s->units[i].state == RESTART_PENDING && s->units[i].restart_at < next)
            next = s->units[i].restart_at;
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)(next - now);
}

size_t supervisor_poll_fds(struct supervisor *s, struct pollfd *p, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n && k < max; i++)
        if (s->units[i].out_fd >= 0)
            p[k++] = (struct pollfd){ s->units[i].out_fd, POLLIN, 0 };
    return k;
}

void supervisor_output(struct supervisor *s, const struct pollfd *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        for (size_t i = 0; i < s->n; i++) {
            struct unit *u = &s->units[i];
            if (u->out_fd != p[k].fd)
                continue;
            if (!line_output_drain(u->out_fd, &u->out))
                close_output(u);
            break;
        }
    }
}

bool supervisor_all_ended(struct supervisor *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->units[i].state != ENDED)
            return false;
    return true;
}

int supervisor_exit_status(struct supervisor *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->units[i].state == ENDED && s->units[i].last_status != 0)
            return s->units[i].last_status;
    return 0;
}

static size_t running(struct supervisor *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->units[i].state == RUNNING;
    return n;
}

static void signal_all(struct supervisor *s, int sig)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->units[i].state == RUNNING) {
            kill(-s->units[i].pid, sig);
            kill(s->units[i].pid, sig);
        }
}

void supervisor_stop(struct supervisor *s)
{
    uint64_t deadline = now_ms() + SUPERVISOR_STOP_GRACE_MS;

    s->stopping = true;
    for (size_t i = 0; i < s->n; i++)
        if (s->units[i].state == RESTART_PENDING || s->units[i].state == NOT_STARTED)
            s->units[i].state = ENDED;
    if (running(s) == 0)
        return;
    log_notice("init: stopping %zu service(s)", running(s));
    signal_all(s, SIGTERM);
    while (running(s) > 0 && now_ms() < deadline) {
        struct pollfd p[INIT_MAX_SERVICES];
        size_t n = supervisor_poll_fds(s, p, ELEMENTSOF(p));
        if (poll(p, n, 50) > 0)
            supervisor_output(s, p, n);
        supervisor_reap(s);
    }
    if (running(s) > 0) {
        log_warning("init: %zu service(s) did not stop within %d s: killing them", running(s),
                    SUPERVISOR_STOP_GRACE_MS / 1000);
        signal_all(s, SIGKILL);
        while (running(s) > 0) {
            poll(NULL, 0, 20);
            supervisor_reap(s);
        }
    }
}
