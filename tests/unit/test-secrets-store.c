/* SPDX-License-Identifier: MIT */
/* The agent's secret files: all-or-nothing writes (including a commit that
 * fails half-way), owners from the root's account files, symbolic links
 * kept inside --root-dir, and the check at start of what is on disk. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accounts.h"
#include "helpers.h"
#include "macro.h"
#include "manifest.h"
#include "secret-set.h"
#include "secrets-store.h"

#define MANIFEST                                                                              \
    "{\"version\": 1, \"secrets\": ["                                                         \
    "{\"name\": \"a\", \"dest\": \"/etc/app/a\", \"owner\": \"app\", \"group\": \"app\", "   \
    "\"mode\": \"0400\", \"required\": true, \"schema\": {\"kind\": \"string\", "            \
    "\"min_length\": 1, \"max_length\": 100000}},"                                           \
    "{\"name\": \"b\", \"dest\": \"/etc/app/b\", \"owner\": \"root\", \"group\": \"app\", "  \
    "\"mode\": \"0440\", \"required\": true, \"schema\": {\"kind\": \"hex\", "               \
    "\"min_length\": 2, \"max_length\": 8}},"                                                \
    "{\"name\": \"c\", \"dest\": \"/srv/new/dir/c\", \"owner\": \"app\", \"group\": \"root\", " \
    "\"mode\": \"0600\", \"required\": false, \"dir_mode\": \"0750\", \"dir_owner\": \"app\", " \
    "\"schema\": {\"kind\": \"string\", \"min_length\": 1, \"max_length\": 100000}}]}"

struct fixture {
    char *dir;
    char root[4200];
    struct manifest *m;
    struct secret_set set;
    struct store_entry e[3];
    char what[3][96];
    unsigned uid, gid;
};

static void setup(struct fixture *f)
{
    char msg[512], text[512];

    memset(f, 0, sizeof(*f));
    f->dir = tmpdir_new();
    snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
    mkdir(f->root, 0755);
    f->uid = geteuid() == 0 ? 2001 : geteuid();
    f->gid = geteuid() == 0 ? 3001 : getegid();
    snprintf(text, sizeof(text), "root:x:0:0::/root:/bin/sh\napp:x:%u:%u::/:/bin/false\n", f->uid,
             f->gid);
    write_text(f->root, "etc/passwd", text);
    snprintf(text, sizeof(text), "root:x:0:\napp:x:%u:\n", f->gid);
    write_text(f->root, "etc/group", text);
    ck_assert_msg(manifest_parse("m", MANIFEST, strlen(MANIFEST), &f->m, msg, sizeof(msg)) == 0,
                  "%s", msg);
}

static void teardown(struct fixture *f)
{
    secret_set_wipe(&f->set);
    manifest_free(f->m);
    tmpdir_remove(f->dir);
}

/* Entries for name=value pairs (NULL-terminated). */
static size_t entries(struct fixture *f, const char *const *kv)
{
    char msg[256];
    size_t n = 0;
    secret_set_wipe(&f->set);
    for (size_t i = 0; kv[i]; i += 2)
        ck_assert_int_eq(secret_set_add(&f->set, kv[i], kv[i + 1], strlen(kv[i + 1]), msg,
                                        sizeof(msg)), 0);
    for (size_t i = 0; i < f->set.n; i++) {
        store_entry_for_secret(&f->e[i], manifest_find(f->m, f->set.items[i].name),
                               &f->set.items[i], f->what[i], sizeof(f->what[i]));
        n++;
    }
    return n;
}

static char *content(const struct fixture *f, const char *dest)
{
    char path[8400];
    snprintf(path, sizeof(path), "%s%s", f->root, dest);
    return read_text(path, NULL);
}

static void expect_content(const struct fixture *f, const char *dest, const char *want)
{
    char *got = content(f, dest);
    if (!want) {
        ck_assert_msg(got == NULL, "%s exists", dest);
        return;
    }
    ck_assert_msg(got != NULL, "%s missing", dest);
    ck_assert_str_eq(got, want);
    free(got);
}

static void expect_clean(const struct fixture *f)
{
    char cmd[8600], *out;
    snprintf(cmd, sizeof(cmd), "find '%s' -name '.tdx-*'", f->root);
    out = sh_output(cmd);
    ck_assert_msg(!*out, "leftovers: %s", out);
    free(out);
}

START_TEST(writes_with_owner_mode_and_dirs)
{
    static const char *const kv[] = { "a", "alpha", "b", "00ff", "c", "charlie", NULL };
    struct fixture f;
    struct stat st;
    char msg[512], path[8400];
    size_t n;

    setup(&f);
    n = entries(&f, kv);
    ck_assert_msg(store_write(f.root, f.e, n, msg, sizeof(msg)) == 0, "%s", msg);
    expect_content(&f, "/etc/app/a", "alpha");
    expect_content(&f, "/etc/app/b", "00ff");
    expect_content(&f, "/srv/new/dir/c", "charlie");
    snprintf(path, sizeof(path), "%s/etc/app/b", f.root);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0440);
    ck_assert_uint_eq(st.st_uid, geteuid() == 0 ? 0 : f.uid);
    ck_assert_uint_eq(st.st_gid, f.gid);
    /* The destination's directory as the manifest says; the one above 0755 root. */
    snprintf(path, sizeof(path), "%s/srv/new/dir", f.root);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0750);
    ck_assert_uint_eq(st.st_uid, f.uid);
    ck_assert_uint_eq(st.st_gid, f.gid);
    snprintf(path, sizeof(path), "%s/srv/new", f.root);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    ck_assert_uint_eq(st.st_uid, geteuid());
    /* SHA-256("alpha") */
    {
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", f.e[0].sha256[i]);
        ck_assert_str_eq(hex, "8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8");
    }
    expect_clean(&f);
    teardown(&f);
}
END_TEST

static int rename_calls, rename_fail_at;
static int failing_rename(int od, const char *op, int nd, const char *np)
{
    if (++rename_calls == rename_fail_at) {
        errno = EIO;
        return -1;
    }
    return renameat(od, op, nd, np);
}

START_TEST(a_failed_commit_is_undone)
{
    static const char *const before[] = { "a", "old-a", NULL };
    static const char *const kv[] = { "a", "new-a", "c", "new-c", "b", "abcd", NULL };
    struct fixture f;
    char msg[512];
    size_t n;

    setup(&f);
    n = entries(&f, before);
    ck_assert_msg(store_write(f.root, f.e, n, msg, sizeof(msg)) == 0, "%s", msg);
    /* The third rename fails: the first two (a replaced, c new) are undone. */
    n = entries(&f, kv);
    rename_calls = 0;
    rename_fail_at = 3;
    store_renameat = failing_rename;
    ck_assert_int_eq(store_write(f.root, f.e, n, msg, sizeof(msg)), -EIO);
    store_renameat = renameat;
    ck_assert_contains(msg, "secret \"b\": cannot rename into /etc/app/b");
    ck_assert_msg(!strstr(msg, "abcd") && !strstr(msg, "new-"), "%s", msg);
    expect_content(&f, "/etc/app/a", "old-a");
    expect_content(&f, "/srv/new/dir/c", NULL);
    expect_content(&f, "/etc/app/b", NULL);
    expect_clean(&f);
    teardown(&f);
}
END_TEST

START_TEST(a_failed_write_changes_nothing)
{
    static const char *const before[] = { "a", "old-a", NULL };
    struct fixture f;
    struct rlimit old, small;
    char msg[512], *big = malloc(10001);
    const char *kv[] = { "c", "small", "a", big, NULL };
    size_t n;

    setup(&f);
    memset(big, 'x', 10000);
    big[10000] = '\0';
    n = entries(&f, before);
    ck_assert_msg(store_write(f.root, f.e, n, msg, sizeof(msg)) == 0, "%s", msg);
    n = entries(&f, kv);
    /* Files over 4 KiB cannot be written: the second temporary file fails. */
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    /* Only the soft limit: a lowered hard limit could not be raised again,
     * and without fork (valgrind) the later tests would inherit it. */
    small.rlim_cur = 4096;
    small.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_FSIZE, &small);
    ck_assert_int_eq(store_write(f.root, f.e, n, msg, sizeof(msg)), -EFBIG);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_contains(msg, "secret \"a\": cannot write a temporary file beside /etc/app/a");
    expect_content(&f, "/etc/app/a", "old-a");
    expect_content(&f, "/srv/new/dir/c", NULL);
    expect_clean(&f);
    free(big);
    teardown(&f);
}
END_TEST

START_TEST(checks_before_writing)
{
    static const char *const kv[] = { "a", "x", "b", "00", NULL };
    struct fixture f;
    char msg[512];
    size_t n;

    setup(&f);
    n = entries(&f, kv);
    /* An owner the root's passwd does not have. */
    write_text(f.root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    ck_assert_int_eq(store_write(f.root, f.e, n, msg, sizeof(msg)), -ENOENT);
    ck_assert_str_eq(msg + strlen(msg) - strlen("/etc/passwd"), "/etc/passwd");
    ck_assert_contains(msg, "secret \"a\": \"app\" is not in ");
    expect_content(&f, "/etc/app/b", NULL);
    teardown(&f);

    setup(&f);
    n = entries(&f, kv);
    /* A directory where the file should go. */
    write_text(f.root, "etc/app/b/inside", "");
    ck_assert_int_eq(store_write(f.root, f.e, n, msg, sizeof(msg)), -EISDIR);
    ck_assert_str_eq(msg, "secret \"b\": /etc/app/b is a directory");
    expect_content(&f, "/etc/app/a", NULL);
    expect_clean(&f);
    teardown(&f);
}
END_TEST

static bool have_openat2(void)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC };
    long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
    if (fd >= 0)
        close((int)fd);
    return fd >= 0 || (errno != ENOSYS && errno != EPERM);
}

/* Everything about a directory outside the root that a delivery could
 * change: entries, types, modes, owners, sizes, link targets, contents. */
static char *snapshot(const char *dir)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%y %%m %%U %%G %%s %%l\\n' | sort && "
             "find . -type f -exec sha256sum {} + | sort", dir);
    return sh_output(cmd);
}

/* A host directory beside the root with a file and a directory in it, as
 * the targets a planted link points at. */
static char *outside_new(const struct fixture *f, char *path, size_t size)
{
    snprintf(path, size, "%s/outside", f->dir);
    mkdir(path, 0700);
    write_text(path, "hostfile", "host data\n");
    write_text(path, "hostdir/inner", "inner\n");
    write_text(path, "passwd", "root:x:0:0::/root:/bin/sh\napp:x:0:0::/:/bin/false\n");
    chmod(path, 0700);
    return snapshot(path);
}

static void expect_unchanged(const char *dir, const char *before)
{
    char *after = snapshot(dir);
    ck_assert_str_eq(after, before);
    free(after);
}

static void plant(const struct fixture *f, const char *rel, const char *target)
{
    char path[8400], cmd[17000];
    snprintf(path, sizeof(path), "%s/%s", f->root, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && rm -rf '%s'", path, path);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

/* The links a host could plant in the root; for each one delivery, and
 * afterwards nothing outside the root differs. The ones that can only
 * resolve to something missing inside the root are refused. */
static void planted_links(void)
{
    static const char *const kv_c[] = { "c", "charlie", NULL };
    static const char *const kv_a[] = { "a", "alpha", NULL };
    struct {
        const char *rel, *target;   /* target: "@" stands for the outside directory */
        const char *const *kv;
        int want;                   /* with openat2 */
        int want_walk;              /* without: the walk refuses every link it would follow */
    } cases[] = {
        /* The reproduction: the directory to create is a link to a host file. */
        { "srv/new/dir", "@/hostfile", kv_c, -ENOENT, -ELOOP },
        /* A directory component above it, to a host directory. */
        { "srv/new", "@/hostdir", kv_c, -ENOENT, -ELOOP },
        { "srv/new", "../../../../../../../..@/hostdir", kv_c, -ENOENT, -ELOOP },
        /* The parent of the destination, to the host directory. */
        { "etc/app", "@", kv_a, -ENOENT, -ELOOP },
        /* The destination itself: the link is replaced, never written through. */
        { "etc/app/a", "@/hostfile", kv_a, 0, 0 },
        /* The account file naming the owners (the message says which file). */
        { "etc/passwd", "@/passwd", kv_a, -ENOENT, -ENOENT },
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char outside[8400], target[8400], msg[512], *before;
        struct fixture f;
        size_t n;
        int r;

        setup(&f);
        before = outside_new(&f, outside, sizeof(outside));
        if (cases[i].target[0] == '@')
            snprintf(target, sizeof(target), "%s%s", outside, cases[i].target + 1);
        else
            snprintf(target, sizeof(target), "%.*s%s", (int)(strchr(cases[i].target, '@') -
                     cases[i].target), cases[i].target, outside);
        plant(&f, cases[i].rel, target);
        n = entries(&f, cases[i].kv);
        r = store_write(f.root, f.e, n, msg, sizeof(msg));
        ck_assert_msg(r == (have_openat2() ? cases[i].want : cases[i].want_walk),
                      "%s -> %s: got %d (%s)", cases[i].rel, target, r, r ? msg : "");
        expect_unchanged(outside, before);
        if (r == 0) {
            struct stat st;
            char path[8400];
            snprintf(path, sizeof(path), "%s/%s", f.root, cases[i].rel);
            ck_assert_int_eq(lstat(path, &st), 0);
            ck_assert(S_ISREG(st.st_mode));
            expect_content(&f, "/etc/app/a", "alpha");
        }
        /* The check at start reads nothing through the links either. */
        {
            bool present[3];
            store_scan(f.root, f.m, present);
            ck_assert(!present[2]);
            ck_assert(present[0] == (r == 0));
        }
        expect_unchanged(outside, before);
        free(before);
        teardown(&f);
    }
}

START_TEST(planted_links_change_nothing_outside)
{
    planted_links();
}
END_TEST

/* Makes openat2 fail with err in this process (Check runs each test in a
 * child), as a kernel without it (ENOSYS) or a seccomp filter (EPERM) does. */
static void block_openat2(int err)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { ELEMENTSOF(filter), filter };
    ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

START_TEST(planted_links_without_openat2)
{
    if (!getenv("CK_FORK") || strcmp(getenv("CK_FORK"), "no")) {
        block_openat2(_i ? EPERM : ENOSYS);
        ck_assert(!have_openat2());
    }
    planted_links();
}
END_TEST

START_TEST(links_stay_inside_the_root)
{
    static const char *const kv[] = { "a", "inside", NULL };
    struct fixture f;
    char msg[512], link[8400], outside[8400], path[8400];
    size_t n;

    setup(&f);
    /* /etc/app in the tree is an absolute link: it resolves in the tree. */
    snprintf(outside, sizeof(outside), "%s/outside", f.dir);
    mkdir(outside, 0755);
    snprintf(link, sizeof(link), "%s/etc/app", f.root);
    ck_assert_int_eq(symlink(outside, link), 0);
    snprintf(path, sizeof(path), "%s%s/keep", f.root, outside);
    write_text(f.root, path + strlen(f.root) + 1, "");   /* the target inside the root */
    n = entries(&f, kv);
    if (have_openat2()) {
        ck_assert_msg(store_write(f.root, f.e, n, msg, sizeof(msg)) == 0, "%s", msg);
        snprintf(path, sizeof(path), "%s%s/a", f.root, outside);
        ck_assert_int_eq(access(path, F_OK), 0);   /* the same path inside the root */
    } else {
        /* Without openat2 (valgrind) links below the root are refused. */
        ck_assert_int_eq(store_write(f.root, f.e, n, msg, sizeof(msg)), -ELOOP);
    }
    snprintf(path, sizeof(path), "%s/a", outside);
    ck_assert_int_lt(access(path, F_OK), 0);   /* never the host's path */
    teardown(&f);
}
END_TEST

START_TEST(scan_counts_only_valid_files)
{
    struct fixture f;
    bool present[3];
    char path[8400];

    setup(&f);
    write_text(f.root, "etc/app/a", "a value");
    write_text(f.root, "etc/app/b", "not hex");                  /* fails its schema */
    write_text(f.root, "etc/app/.tdx-secret-0011223344556677", "half written");
    write_text(f.root, "etc/app/.tdx-old-8899aabbccddeeff", "kept");
    store_scan(f.root, f.m, present);
    ck_assert(present[0]);
    ck_assert(!present[1]);
    ck_assert(!present[2]);
    expect_clean(&f);

    /* A link is not a delivered secret, nor is something too large. */
    snprintf(path, sizeof(path), "%s/etc/app/a", f.root);
    unlink(path);
    ck_assert_int_eq(symlink("/etc/hostname", path), 0);
    write_text(f.root, "etc/app/b", "00112233445566");
    store_scan(f.root, f.m, present);
    ck_assert(!present[0]);
    ck_assert(!present[1]);
    teardown(&f);
}
END_TEST

START_TEST(accounts_from_files)
{
    char *dir = tmpdir_new(), msg[512];
    uid_t uid;
    gid_t gid;

    write_text(dir, "etc/passwd", "root:x:0:0::/root:/bin/sh\n# comment\nbad-line\n"
                                  "svc:x:123:456:Service:/var/svc:/bin/false\nneg:x:-1:0::/:\n");
    write_text(dir, "etc/group", "root:x:0:\nsvc:x:456:alice,bob\n");
    ck_assert_int_eq(accounts_user(dir, "svc", &uid, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(uid, 123);
    ck_assert_int_eq(accounts_group(dir, "svc", &gid, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(gid, 456);
    ck_assert_int_eq(accounts_user(dir, "nobody", &uid, msg, sizeof(msg)), -ENOENT);
    ck_assert_contains(msg, "\"nobody\" is not in ");
    ck_assert_int_eq(accounts_user(dir, "neg", &uid, msg, sizeof(msg)), -EINVAL);
    ck_assert_contains(msg, "has no valid numeric id");
    ck_assert_int_eq(accounts_user(dir, "Bad Name", &uid, msg, sizeof(msg)), -EINVAL);
    ck_assert_int_eq(accounts_group("/nonexistent", "root", &gid, msg, sizeof(msg)), -ENOENT);
    ck_assert_contains(msg, "cannot read /nonexistent/etc/group");
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secrets-store");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, writes_with_owner_mode_and_dirs);
    tcase_add_test(tc, a_failed_commit_is_undone);
    tcase_add_test(tc, a_failed_write_changes_nothing);
    tcase_add_test(tc, checks_before_writing);
    tcase_add_test(tc, links_stay_inside_the_root);
    tcase_add_test(tc, scan_counts_only_valid_files);
    tcase_add_test(tc, accounts_from_files);
    tcase_add_test(tc, planted_links_change_nothing_outside);
    /* Last: without fork the filter stays for the rest of the process. */
    tcase_add_loop_test(tc, planted_links_without_openat2, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
