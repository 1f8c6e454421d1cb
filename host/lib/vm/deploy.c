/* SPDX-License-Identifier: MIT */
/*
 * Deploying a build to another host over SSH with the user's own OpenSSH
 * client (their ~/.ssh/config, agent and known_hosts; no other transport):
 * ask the far side's QEMU for its version, plan the command for the files'
 * place there, copy the artifacts and a self-contained run.sh with that
 * exact command, check every file's SHA-256 on the far side, and start it
 * when asked. Remote paths are restricted to characters that mean nothing
 * to a shell or to scp, and every remote argument is shell-quoted.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "emit/text.h"
#include "error.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
#include "fsutil.h"
#include "parse-number.h"
#include "strv.h"
#include "vm-private.h"

#define REMOTE_DIR_MAX 200

struct target {
    char user_host[300];   /* [user@]host */
    char port[8];          /* "" for ssh's default */
    char dir[REMOTE_DIR_MAX + 1];
};

static bool safe_path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '.' || c == '_' || c == '-' || c == '+';
}

static int parse_target(const char *s, struct target *t, tdx_error *err)
{
    const char *p, *slash, *at_end, *colon;
    size_t n;

    memset(t, 0, sizeof(*t));
    if (!startswith(s, "ssh://"))
        return tdx_err(err, -EINVAL, "%s: expected ssh://[USER@]HOST[:PORT]/DIR", s);
    p = s + 6;
    slash = strchr(p, '/');
    if (!slash || slash == p)
        return tdx_err(err, -EINVAL, "%s: expected ssh://[USER@]HOST[:PORT]/DIR (no directory)", s);
    at_end = p + strcspn(p, "@/");
    colon = memchr(*at_end == '@' ? at_end : p, ':', (size_t)(slash - (*at_end == '@' ? at_end : p)));
    n = (size_t)((colon ? colon : slash) - p);
    if (n == 0 || n >= sizeof(t->user_host) || *p == '-')
        return tdx_err(err, -EINVAL, "%s: bad user or host", s);
    memcpy(t->user_host, p, n);
    for (char *c = t->user_host; *c; c++)
        if (!safe_path_char(*c) && *c != '@' && *c != '[' && *c != ']' && *c != ':')
            return tdx_err(err, -EINVAL, "%s: bad character in the user or host", s);
    if (colon) {
        size_t pn = (size_t)(slash - colon - 1);
        char digits[8];
        uint64_t v;
        int r;
        if (pn == 0 || pn >= sizeof(digits))
            return tdx_err(err, -EINVAL, "%s: bad port", s);
        memcpy(digits, colon + 1, pn);
        digits[pn] = '\0';
        r = parse_u64(digits, 1, 65535, &v);
        if (r < 0)
            return tdx_err(err, -EINVAL, r == -ERANGE ? "%s: port outside 1 to 65535"
                                                      : "%s: bad port", s);
        snprintf(t->port, sizeof(t->port), "%u", (unsigned)v);
    }
    if (strlen(slash) > REMOTE_DIR_MAX || strlen(slash) < 2)
        return tdx_err(err, -EINVAL, "%s: the directory must be 1 to %d characters", s,
                       REMOTE_DIR_MAX - 1);
    for (const char *c = slash; *c; c++)
        if (!safe_path_char(*c) || (c[0] == '.' && c[1] == '.'))
            return tdx_err(err, -EINVAL, "%s: the directory may hold only letters, digits and "
                           "/ . _ - + (and no \"..\")", s);
    snprintf(t->dir, sizeof(t->dir), "%s", slash);
    while (strlen(t->dir) > 1 && t->dir[strlen(t->dir) - 1] == '/')
        t->dir[strlen(t->dir) - 1] = '\0';
    return 0;
}

struct ssh {
    const struct target *t;
    const char *config;
};

/* ssh [-F config] [-p port] -- host COMMAND, COMMAND quoted for the remote shell. */
static int ssh_run(const struct ssh *s, const char *const *words, struct run_result *res,
                   tdx_error *err)
{
    const char *argv[16];
    strbuf cmd = STRBUF_INIT;
    int n = 0, r;

    argv[n++] = "ssh";
    if (s->config) {
        argv[n++] = "-F";
        argv[n++] = s->config;
    }
    if (*s->t->port) {
        argv[n++] = "-p";
        argv[n++] = s->t->port;
    }
    argv[n++] = "--";
    argv[n++] = s->t->user_host;
    for (const char *const *w = words; *w; w++) {
        if (w != words)
            strbuf_putc(&cmd, ' ');
        /* Shell operators pass as they are; every other word is quoted. */
        if (streq(*w, "&&") || streq(*w, "<") || streq(*w, ">") || streq(*w, "2>&1"))
            strbuf_puts(&cmd, *w);
        else
            sh_quote(&cmd, *w);
    }
    if (strbuf_error(&cmd)) {
        strbuf_free(&cmd);
        return tdx_err_oom(err);
    }
    argv[n++] = strbuf_str(&cmd);
    argv[n] = NULL;
    r = run_program(argv, NULL, res, err);
    strbuf_free(&cmd);
    return r;
}

static int ssh_check(const struct ssh *s, const char *what, const char *const *words,
                     struct run_result *res, tdx_error *err)
{
    int r = ssh_run(s, words, res, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "ssh %s", s->t->user_host);
    if (res->status != 0)
        return tdx_err(err, res->status == 255 ? -ECONNREFUSED : -EIO, "ssh %s: %s: %s",
                       s->t->user_host, what, run_last_line(res));
    return 0;
}

static int scp_to(const struct ssh *s, const char *const *files, const char *remote,
                  bool recursive, tdx_error *err)
{
    _cleanup_strv_free_ char **argv = NULL;
    struct run_result res = RUN_RESULT_INIT;
    _cleanup_free_ char *dest = NULL;
    int r = 0;

    if (asprintf(&dest, "%s:%s", s->t->user_host, remote) < 0)
        return tdx_err_oom(err);
    r |= strv_push(&argv, "scp");
    r |= strv_push(&argv, "-q");
    r |= strv_push(&argv, "-p");
    if (recursive)
        r |= strv_push(&argv, "-r");
    if (s->config) {
        r |= strv_push(&argv, "-F");
        r |= strv_push(&argv, s->config);
    }
    if (*s->t->port) {
        r |= strv_push(&argv, "-P");
        r |= strv_push(&argv, s->t->port);
    }
    r |= strv_push(&argv, "--");
    r |= strv_extend(&argv, files);
    r |= strv_push(&argv, dest);
    if (r < 0)
        return tdx_err_oom(err);
    r = run_program((const char *const *)argv, NULL, &res, err);
    if (r == 0 && res.status != 0)
        r = tdx_err(err, -EIO, "scp to %s: %s", dest, run_last_line(&res));
    run_result_free(&res);
    return r;
}

/* The far side's QEMU version line, as `QEMU --version` prints it. */
static int remote_qemu_version(const struct ssh *s, const char *qemu, char **version,
                               tdx_error *err)
{
    const char *words[] = { qemu, "--version", NULL };
    struct run_result res = RUN_RESULT_INIT;
    unsigned a, b, c;
    const char *v;
    int r = ssh_check(s, "QEMU --version", words, &res, err);

    if (r == 0) {
        const char *out = strbuf_str(&res.out);
        if (!(v = strstr(out, "version ")) || qemu_version_parse(v + 8, &a, &b, &c) < 0)
            r = tdx_err(err, -EINVAL, "ssh %s: %s --version: not a QEMU version line",
                        s->t->user_host, qemu);
        else if (asprintf(version, "%u.%u.%u", a, b, c) < 0)
            r = tdx_err_oom(err);
    }
    run_result_free(&res);
    return r;
}

static int write_run_sh(const tdx_vm *vm, const char *path, tdx_error *err)
{
    _cleanup_free_ char *line = NULL;
    strbuf sb = STRBUF_INIT;
    int r;

    if (shell_quote_argv((const char *const *)vm->argv, &line) < 0)
        return tdx_err_oom(err);
    sh_header(&sb, "tdxctl deploy");
    strbuf_printf(&sb, "# The build in this directory, as `tdxctl run` starts it: %s mode, QEMU %s\n"
                       "# (%s command line). The agent answers at %s.\n",
                  vm->mode == TDX_VM_TDX ? "TD" : "emulated", vm->qemu_version,
                  tdx_qemu_flavor_name(vm->flavor), vm->agent);
    strbuf_printf(&sb, "cd %s\nmkdir -p run\necho $$ >run/qemu.pid\nexec %s\n", vm->remote_dir,
                  line);
    if (strbuf_error(&sb)) {
        strbuf_free(&sb);
        return tdx_err_oom(err);
    }
    r = write_file_atomic(path, sb.data, sb.len, 0755);
    strbuf_free(&sb);
    return r < 0 ? tdx_err(err, r, "%s: %s", path, strerror(-r)) : 0;
}

/* SHA256SUMS of the copied files, in sha256sum's format, and the JSON list. */
static int checksums(const char *const *files, const char *const *names, const char *path,
                     json_t *list, tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    int r = 0;

    for (size_t i = 0; r == 0 && files[i]; i++) {
        char hex[SHA256_HEX_SIZE];
        uint64_t size;
        r = sha256_file(files[i], hex, &size, err);
        if (r == 0) {
            strbuf_printf(&sb, "%s  %s\n", hex, names[i]);
            json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "path", names[i], "sha256",
                                                  hex, "size", (json_int_t)size));
        }
    }
    if (r == 0 && strbuf_error(&sb))
        r = tdx_err_oom(err);
    if (r == 0 && (r = write_file_atomic(path, sb.data, sb.len, 0644)) < 0)
        r = tdx_err(err, r, "%s: %s", path, strerror(-r));
    strbuf_free(&sb);
    return r;
}

/* A file to copy and its name on the far side (NULL: its base name). */
static int push_pair(char ***files, char ***names, const char *path, const char *name)
{
    const char *base = strrchr(path, '/');
    if (strv_push(files, path) < 0 || strv_push(names, name ? name : base ? base + 1 : path) < 0)
        return -ENOMEM;
    return 0;
}

/* dir/name, when the build has it. */
static int add_file(char ***files, char ***names, const char *dir, const char *name)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return -ENOMEM;
    return access(path, F_OK) < 0 ? 0 : push_pair(files, names, path, name);
}

int tdx_deploy(const char *target, const char *build_dir, const tdx_deploy_options *opts,
               char **result_json, tdx_error *err)
{
    static const tdx_deploy_options defaults = TDX_DEPLOY_OPTIONS_INIT;
    static const char *const build_files[] = { "vm.json", "build.json", "measurements.json",
                                               "measurements.cbor", NULL };
    const tdx_deploy_options *o = opts ? opts : &defaults;
    tdx_vm_options vo = TDX_VM_OPTIONS_INIT;
    struct target t;
    struct ssh s;
    struct run_result res = RUN_RESULT_INIT;
    _cleanup_free_ char *version = NULL, *staging = NULL, *run_sh = NULL, *sums = NULL,
                        *pki = NULL, *command = NULL, *run_dir = NULL;
    _cleanup_strv_free_ char **files = NULL, **names = NULL;
    json_t *list = NULL, *out = NULL;
    tdx_vm *vm = NULL;
    int r;

    tdx_check_arg(target && build_dir && result_json, err);
    tdx_check_options(opts, TDX_DEPLOY_OPTIONS_VERSION, err);
    /* A version 1 caller's struct ends before vtpm (which stays unset). */
    if (o->vm)
        memcpy(&vo, o->vm, o->vm->version >= 2 ? sizeof(vo) : offsetof(tdx_vm_options, vtpm));
    r = parse_target(target, &t, err);
    if (r < 0)
        return r;
    s = (struct ssh){ &t, o->ssh_config };
    if (!vo.qemu_version) {
        r = remote_qemu_version(&s, vo.qemu ? vo.qemu : "qemu-system-x86_64", &version, err);
        if (r < 0)
            return r;
        vo.qemu_version = version;
    }
    vo.remote_dir = t.dir;
    vo.run_dir = NULL;
    vo.serial = NULL;
    if (vo.mode == TDX_UNSET)
        vo.mode = TDX_VM_TDX;
    r = tdx_vm_new(&vm, build_dir, &vo, err);
    if (r < 0)
        return r;

    /* Local staging: run.sh, SHA256SUMS and, emulated, the test PKI. */
    if (asprintf(&staging, "%s/.deploy-XXXXXX", vm->cfg.build_dir) < 0 || !mkdtemp(staging)) {
        r = tdx_err(err, -errno, "%s: cannot create a staging directory: %s", vm->cfg.build_dir,
                    strerror(errno));
        free(staging);
        staging = NULL;
        goto out;
    }
    if (asprintf(&run_sh, "%s/run.sh", staging) < 0 || asprintf(&sums, "%s/SHA256SUMS", staging) < 0 ||
        asprintf(&run_dir, "%s/run", staging) < 0 || asprintf(&pki, "%s/run/test-pki", staging) < 0) {
        r = tdx_err_oom(err);
        goto out;
    }
    if ((r = write_run_sh(vm, run_sh, err)) < 0)
        goto out;
    if (vm->mode == TDX_VM_EMULATED) {
        if (mkdir(run_dir, 0700) < 0) {
            r = tdx_err(err, -errno, "%s: %s", run_dir, strerror(errno));
            goto out;
        }
        if ((r = vm_make_test_pki(vm, pki, err)) < 0)
            goto out;
    }
    r = 0;
    r |= push_pair(&files, &names, vm->cfg.firmware, NULL);
    /* A disk build: the disk, and the UKI on its ESP that vm.json names
     * (what its measurements are computed from). */
    if (vm->cfg.disk)
        r |= push_pair(&files, &names, vm->cfg.disk, NULL);
    if (vm->cfg.uki)
        r |= push_pair(&files, &names, vm->cfg.uki, NULL);
    if (vm->cfg.kernel)
        r |= push_pair(&files, &names, vm->cfg.kernel, NULL);
    if (vm->cfg.initrd)
        r |= push_pair(&files, &names, vm->cfg.initrd, NULL);
    if (vm->cfg.cmdline_file)
        r |= push_pair(&files, &names, vm->cfg.cmdline_file, NULL);
    for (const char *const *f = build_files; *f; f++)
        r |= add_file(&files, &names, vm->cfg.build_dir, *f);
    r |= push_pair(&files, &names, run_sh, NULL);
    if (vm->mode == TDX_VM_EMULATED)
        for (const char *const *f = vm_test_pki_files; *f; f++) {
            _cleanup_free_ char *path = NULL, *name = NULL;
            if (asprintf(&path, "%s/%s", pki, *f) < 0 || asprintf(&name, "run/test-pki/%s", *f) < 0)
                r = -ENOMEM;
            else
                r |= push_pair(&files, &names, path, name);
        }
    if (r < 0) {
        r = tdx_err_oom(err);
        goto out;
    }
    list = json_array();
    if ((r = checksums((const char *const *)files, (const char *const *)names, sums, list, err)) < 0)
        goto out;

    /* Copy: the directory first, then the files, then check them there. */
    {
        const char *mk[] = { "mkdir", "-p", "--", t.dir, NULL };
        if ((r = ssh_check(&s, "mkdir", mk, &res, err)) < 0)
            goto out;
        run_result_free(&res);
    }
    {
        /* The top-level files in one scp; the test PKI as a directory. */
        _cleanup_strv_free_ char **top = NULL;
        for (size_t i = 0; files[i]; i++)
            if (!strchr(names[i], '/') && strv_push(&top, files[i]) < 0) {
                r = tdx_err_oom(err);
                goto out;
            }
        if (strv_push(&top, sums) < 0) {
            r = tdx_err_oom(err);
            goto out;
        }
        if ((r = scp_to(&s, (const char *const *)top, t.dir, false, err)) < 0)
            goto out;
        if (vm->mode == TDX_VM_EMULATED) {
            const char *dirs[] = { run_dir, NULL };
            if ((r = scp_to(&s, dirs, t.dir, true, err)) < 0)
                goto out;
        }
    }
    {
        const char *check[] = { "cd", t.dir, "&&", "sha256sum", "--quiet", "-c", "SHA256SUMS", NULL };
        if ((r = ssh_check(&s, "sha256sum -c SHA256SUMS (a copied file differs)", check, &res, err)) < 0)
            goto out;
        run_result_free(&res);
    }
    if (tdx_vm_command_line(vm, &command, err) < 0) {
        r = -ENOMEM;
        goto out;
    }
    out = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "ok", 1, "target", target,
                    "host", t.user_host, "directory", t.dir, "agent", vm->agent, "mode",
                    vm->mode == TDX_VM_TDX ? "tdx" : "emulated", "qemu_version", vm->qemu_version,
                    "flavor", tdx_qemu_flavor_name(vm->flavor), "command", command, "files", list);
    if (o->start == 1 && out) {
        /* Detached from the ssh session (setsid -f forks, so nothing holds
         * the session's pipes and ssh returns), QEMU's messages in run/qemu.log. */
        const char *start[] = { "cd", t.dir, "&&", "mkdir", "-p", "run", "&&", "exec", "setsid",
                                "-f", "./run.sh", "<", "/dev/null", ">", "run/qemu.log", "2>&1",
                                NULL };
        if ((r = ssh_check(&s, "start run.sh", start, &res, err)) < 0)
            goto out;
        run_result_free(&res);
        json_object_set_new(out, "started", json_true());
    }
    *result_json = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    r = *result_json ? 0 : tdx_err_oom(err);
out:
    run_result_free(&res);
    json_decref(list);
    json_decref(out);
    if (staging)
        rm_rf_at(AT_FDCWD, staging);
    tdx_vm_free(vm);
    return r;
}
