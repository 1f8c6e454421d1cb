/* SPDX-License-Identifier: MIT */
/* tdx_fetch_git(): a git tag or commit, pinned by its tree hash and cached
 * under it. Git does the transfer; we decide what counts. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "staging.h"
#include "error.h"
#include "fetch-internal.h"
#include "fileio.h"

/* No hooks, no templates, no prompts, no submodules, English messages. */
static const char *const git_env[] = { "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true",
                                       "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", NULL };

struct git_run {
    const char *git;
    const char *url;
    tdx_error *err;
};

/* Runs git with argv (after the fixed options); on failure quotes git's
 * last message. @p out receives stdout when not NULL. */
static int git(struct git_run *g, const char *const *args, strbuf *out)
{
    const char *argv[32] = { g->git, "-c", "core.hooksPath=/dev/null", "-c",
                             "advice.detachedHead=false", "-c", "init.templateDir=" };
    struct run_result res = RUN_RESULT_INIT;
    size_t n = 7;
    int r;

    for (; *args; args++) {
        if (n >= ELEMENTSOF(argv) - 1)
            return tdx_err(g->err, -E2BIG, "%s: git command line too long", g->url);
        argv[n++] = *args;
    }
    argv[n] = NULL;
    r = run_program(argv, git_env, &res, g->err);
    if (r == -ENOENT)
        r = tdx_err(g->err, r, "%s: cannot fetch: the git client (%s) is not installed", g->url,
                    g->git);
    else if (r >= 0 && res.status != 0)
        r = tdx_err(g->err, -EIO, "%s: git %s failed (status %d): %s", g->url, argv[7],
                    res.status, run_last_line(&res));
    else if (r >= 0 && out)
        strbuf_append(out, res.out.data ? res.out.data : "", res.out.len);
    run_result_free(&res);
    return r;
}

static bool is_object_id(const char *s)
{
    size_t n = strlen(s);
    return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

static int checkout(struct git_run *g, const char *dir, const tdx_git_options *o, char *commit)
{
    strbuf out = STRBUF_INIT;
    int r;

    if (o->tag) {
        r = git(g, (const char *const[]){ "clone", "--quiet", "--depth", "1", "--no-tags",
                                          "--single-branch", "--branch", o->tag, "--", g->url,
                                          dir, NULL }, NULL);
    } else {
        r = git(g, (const char *const[]){ "init", "--quiet", "--", dir, NULL }, NULL);
        /* Servers that refuse a fetch by object id get a full fetch. */
        if (r >= 0 && git(g, (const char *const[]){ "-C", dir, "fetch", "--quiet", "--depth", "1",
                                                    "--", g->url, o->commit, NULL }, NULL) < 0)
            r = git(g, (const char *const[]){ "-C", dir, "fetch", "--quiet", "--", g->url,
                                              "+refs/heads/*:refs/remotes/src/*",
                                              "+refs/tags/*:refs/tags/*", NULL }, NULL);
        if (r >= 0)
            r = git(g, (const char *const[]){ "-C", dir, "checkout", "--quiet", o->commit, "--",
                                              NULL }, NULL);
    }
    if (r >= 0)
        r = git(g, (const char *const[]){ "-C", dir, "rev-parse", "--verify", "HEAD^{commit}",
                                          NULL }, &out);
    if (r >= 0) {
        if (strbuf_error(&out) < 0) {
            r = tdx_err_oom(g->err);
        } else {
            size_t n = strcspn(strbuf_str(&out), "\n");
            snprintf(commit, 65, "%.*s", (int)(n < 64 ? n : 64), strbuf_str(&out));
            if (!is_object_id(commit))
                r = tdx_err(g->err, -EIO, "%s: git rev-parse printed \"%s\"", g->url, commit);
            else if (o->commit && !streq(commit, o->commit))
                r = tdx_err(g->err, -EBADMSG, "%s: checked out commit %s, expected %s", g->url,
                            commit, o->commit);
        }
    }
    strbuf_free(&out);
    return r;
}

static int write_commit_file(const char *cache, const char *hash, const char *commit,
                             tdx_error *err)
{
    _cleanup_free_ char *path = NULL, *tmp = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    if (asprintf(&path, "%s/%s.commit", cache, hash) < 0) {
        path = NULL;
        return tdx_err_oom(err);
    }
    r = cache_temp_file(cache, &fd, &tmp, err);
    if (r < 0)
        return r;
    r = write_all(fd, commit, strlen(commit));
    if (r < 0 || rename(tmp, path) < 0) {
        r = r < 0 ? r : -errno;
        unlink(tmp);
        return tdx_err(err, r, "cannot write %s: %s", path, strerror(-r));
    }
    return 0;
}

static int options_check(const tdx_git_options *o, tdx_error *err)
{
    if (!o->tag == !o->commit)
        return tdx_err(err, -EINVAL, "tdx_fetch_git: give exactly one of tag and commit");
    if (o->commit && !is_object_id(o->commit))
        return tdx_err(err, -EINVAL, "commit \"%.80s\": expected a full object id (40 or 64 "
                       "lowercase hexadecimal digits)", o->commit);
    if (o->tag && (isempty(o->tag) || o->tag[0] == '-' || strpbrk(o->tag, " \t\n~^:?*[\\")))
        return tdx_err(err, -EINVAL, "tag \"%.80s\": not a valid tag name", o->tag);
    return 0;
}

int tdx_fetch_git(const char *url, const char *tree_sha256, const tdx_git_options *opts,
                  char **path, char **commit_out, tdx_error *err)
{
    tdx_git_options defaults = TDX_GIT_OPTIONS_INIT;
    _cleanup_free_ char *cache = NULL, *final = NULL, *src = NULL, *got = NULL,
                        *commit_file = NULL, *recorded = NULL;
    char want[SHA256_HEX_SIZE], commit[65] = "";
    struct git_run g = { NULL, url, err };
    struct stat st;
    size_t n;
    int r, hit = 0;

    tdx_check_arg(url, err);
    tdx_check_options(opts, TDX_GIT_OPTIONS_VERSION, err);
    if (!opts)
        opts = &defaults;
    r = options_check(opts, err);
    if (r < 0)
        return r;
    if (isempty(url) || url[0] == '-' || strpbrk(url, " \t\r\n"))
        return tdx_err(err, -EINVAL, "\"%.200s\": not a git URL", url);
    r = sha256_parse(tree_sha256, url, want, err);
    if (r < 0)
        return r;
    g.git = opts->git ? opts->git : "git";
    r = cache_dir_open(opts->cache_dir, "git", &cache, err);
    if (r < 0)
        return r;
    if (asprintf(&final, "%s/%s", cache, want) < 0 ||
        asprintf(&commit_file, "%s/%s.commit", cache, want) < 0)
        return tdx_err_oom(err);

    if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
        hit = 1;
        if (read_file_bounded(commit_file, 128, &recorded, &n) == 0 && is_object_id(recorded))
            snprintf(commit, sizeof(commit), "%s", recorded);
        /* Same tree, so the requested commit is as good as the recorded one. */
        if (opts->commit)
            snprintf(commit, sizeof(commit), "%s", opts->commit);
    }
    if (!hit && opts->offline == 1)
        return tdx_err(err, -ENOENT, "%s: tree sha256:%s is not in the cache %s and offline", url,
                       want, cache);
    if (!hit) {
        struct staging stage = STAGING_INIT;
        /* A checkout can be large: staged so an interrupt cleans it up. */
        r = staging_create(&stage, cache, "git", err);
        if (r < 0)
            return r;
        if (asprintf(&src, "%s/%s/src", cache, stage.name) < 0)
            src = NULL, r = tdx_err_oom(err);
        if (r >= 0)
            r = checkout(&g, src, opts, commit);
        if (r >= 0) {
            _cleanup_free_ char *dotgit = NULL;
            if (asprintf(&dotgit, "%s/.git", src) < 0 || rm_rf_at(AT_FDCWD, dotgit) < 0)
                r = tdx_err(err, -EIO, "cannot remove %s/.git", src);
        }
        if (r >= 0)
            r = tdx_tree_hash(src, &got, err);
        if (r >= 0 && !streq(got, want))
            r = tdx_err(err, -EBADMSG, "tree hash mismatch for %s at %s %s (commit %s): expected "
                        "sha256:%s, got sha256:%s", url, opts->tag ? "tag" : "commit",
                        opts->tag ? opts->tag : opts->commit, commit, want, got);
        if (r >= 0 && rename(src, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
            r = tdx_err(err, -errno, "cannot move the tree into the cache as %s: %s", final,
                        strerror(errno));
        if (r >= 0)
            r = write_commit_file(cache, want, commit, err);
        staging_remove(&stage);
        if (r < 0)
            return r;
    }
    if (commit_out && !(*commit_out = strdup(commit)))
        return tdx_err_oom(err);
    if (path)
        *path = TAKE_PTR(final);
    return hit;
}
