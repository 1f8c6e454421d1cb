/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "fileio.h"
#include "strbuf.h"

const char *src_root(void)
{
    const char *r = getenv("TDX_SOURCE_ROOT");
    return r && *r ? r : ".";
}

const char *src_path(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s", src_root(), rel);
    return b;
}

const char *testdata_path(const char *rel)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s%s", TESTDATA_DIR, rel);
    return src_path(buf);
}

char *tmpdir_new(void)
{
    char tmpl[] = "/tmp/tdx-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

void tmpdir_remove(char *dir)
{
    if (dir) {
        rm_rf_at(AT_FDCWD, dir);
        free(dir);
    }
}

void write_text(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    ck_assert_int_eq(mkdir_parents_at(AT_FDCWD, path, 0755, NULL), 0);
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

char *read_text(const char *path, size_t *len)
{
    char *data = NULL;
    size_t n;
    if (read_file_bounded(path, 64 * 1024 * 1024, &data, &n) < 0)
        return NULL;
    if (len)
        *len = n;
    return data;
}

tdx_image *load_json(const char *json, const char *base_dir, tdx_error *err)
{
    tdx_image *image = NULL;
    int r = tdx_image_load_buffer(&image, "recipe.json", json, strlen(json),
                                  base_dir ? base_dir : src_path("tests/data"), err);
    return r < 0 ? NULL : image;
}

void expect_load_error(const char *json, ...)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(json, NULL, &err);
    va_list ap;
    const char *frag;

    ck_assert_msg(image == NULL, "expected an error for: %s", json);
    ck_assert_int_lt(err.code, 0);
    va_start(ap, json);
    while ((frag = va_arg(ap, const char *)))
        ck_assert_msg(strstr(err.message, frag), "message \"%s\" lacks \"%s\" (recipe: %s)",
                      err.message, frag, json);
    va_end(ap);
    ck_assert_msg(!strchr(err.message, '\n'), "message has a newline: %s", err.message);
}

char *sh_output(const char *script)
{
    strbuf out = STRBUF_INIT;
    char buf[4096];
    size_t n;
    FILE *p;
    char *cmd = NULL;
    strbuf q = STRBUF_INIT;

    /* Pass the script through a file so no quoting of ours is involved. */
    char path[] = "/tmp/tdx-test-sh-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write_all(fd, script, strlen(script)), 0);
    close(fd);
    strbuf_printf(&q, "/bin/sh %s", path);
    cmd = strbuf_steal(&q, NULL);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        strbuf_append(&out, buf, n);
    pclose(p);
    unlink(path);
    free(cmd);
    return strbuf_steal(&out, NULL);
}

static void diff_dir(const char *a, const char *b, const char *rel, strbuf *out)
{
    char pa[PATH_MAX + 256], pb[PATH_MAX + 256];
    struct dirent **la = NULL, **lb = NULL;
    int na, nb;

    snprintf(pa, sizeof(pa), "%s/%s", a, rel);
    snprintf(pb, sizeof(pb), "%s/%s", b, rel);
    na = scandir(pa, &la, NULL, alphasort);
    nb = scandir(pb, &lb, NULL, alphasort);
    if (na < 0 || nb < 0) {
        strbuf_printf(out, "cannot list %s\n", rel);
        goto out;
    }
    if (na != nb)
        strbuf_printf(out, "%s: %d vs %d entries\n", rel, na, nb);
    for (int i = 0; i < na && i < nb; i++) {
        char ra[PATH_MAX], fa[PATH_MAX + 256], fb[PATH_MAX + 256];
        struct stat sa, sb;
        const char *name = la[i]->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        if (strcmp(name, lb[i]->d_name)) {
            strbuf_printf(out, "%s: %s vs %s\n", rel, name, lb[i]->d_name);
            continue;
        }
        snprintf(ra, sizeof(ra), "%s%s%s", rel, *rel ? "/" : "", name);
        snprintf(fa, sizeof(fa), "%s/%s", a, ra);
        snprintf(fb, sizeof(fb), "%s/%s", b, ra);
        lstat(fa, &sa);
        lstat(fb, &sb);
        if (sa.st_mode != sb.st_mode || sa.st_mtime != sb.st_mtime) {
            strbuf_printf(out, "%s: mode/mtime %o/%ld vs %o/%ld\n", ra, sa.st_mode,
                          (long)sa.st_mtime, sb.st_mode, (long)sb.st_mtime);
            continue;
        }
        if (S_ISDIR(sa.st_mode)) {
            diff_dir(a, b, ra, out);
        } else if (S_ISLNK(sa.st_mode)) {
            char ta[PATH_MAX] = "", tb[PATH_MAX] = "";
            readlink(fa, ta, sizeof(ta) - 1);
            readlink(fb, tb, sizeof(tb) - 1);
            if (strcmp(ta, tb))
                strbuf_printf(out, "%s: link %s vs %s\n", ra, ta, tb);
        } else {
            size_t la_len = 0, lb_len = 0;
            char *da = read_text(fa, &la_len), *db = read_text(fb, &lb_len);
            if (!da || !db || la_len != lb_len || memcmp(da, db, la_len))
                strbuf_printf(out, "%s: contents differ\n", ra);
            free(da);
            free(db);
        }
    }
out:
    for (int i = 0; i < na; i++)
        free(la[i]);
    for (int i = 0; i < nb; i++)
        free(lb[i]);
    free(la);
    free(lb);
}

char *tree_diff(const char *a, const char *b)
{
    strbuf out = STRBUF_INIT;
    diff_dir(a, b, "", &out);
    if (out.len == 0) {
        strbuf_free(&out);
        return NULL;
    }
    return strbuf_steal(&out, NULL);
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

bool have_program(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

pid_t http_server_start(const char *root, const char *log, int *port)
{
    int fds[2];
    char line[32] = "";
    pid_t pid;
    FILE *f;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *script = src_path("tests/scripts/httpd.py");
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", script, root, log, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(fgets(line, sizeof(line), f) != NULL, "the test HTTP server did not start");
    fclose(f);
    *port = atoi(line);
    ck_assert_int_gt(*port, 0);
    return pid;
}

void http_server_stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}
