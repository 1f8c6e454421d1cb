/* SPDX-License-Identifier: MIT */
/*
 * The mkosi backend of tdx_build(): the profile's tree emitted into a
 * scratch directory, mkosi run on it with every directory it writes outside
 * the tree (cache, build, package cache and its output below the tdxhost
 * cache, so a second build is warm), and what it built collected into the
 * output layout of the native backend (docs/build.md) with the
 * measurements computed from the UKI.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "fsutil.h"
#include "json-text.h"
#include "lock/lock-internal.h"
#include "macro.h"
#include "measure/measurements.h"
#include "measure/pe.h"
#include "measure/source.h"
#include "tdxhost/emit.h"
#include "tdxhost/lock.h"

struct mk {
    const tdx_image *image;
    const tdx_build_image_options *o;
    tdx_error *err;
    struct recipe *r;
    tdx_build_result *res;
    struct build_output out;       /* out.stage becomes the output; the tree is in out.work */
    char *cache, *tree, *mkosi, *mkosi_version, *uki;
    char *raw;                     /* output.format "disk": mkosi's disk image */
    int cache_lock;                /* flock on the mkosi cache, held until collected */
    bool disk;
    const char *mkosi_from;        /* "given", "PATH" or "locked" (build.json) */
    char *lock_path;               /* the lock the pinned mkosi came through */
    char *deb_sha256;              /* its .deb, when locked */
    char *outdir;
    struct mkosi_firmware fw;      /* OVMF.fd: the recipe's file, or ovmf through the lock */
    bool committed;                /* the output is this build's: leave m.out.stage's log */
    struct timespec t0;
};

static uint64_t ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000 +
           (uint64_t)((t.tv_nsec - t0->tv_nsec) / 1000000);
}

static int step(struct mk *m, const char *name)
{
    char what[128];
    if (!m->o->progress)
        return 0;
    snprintf(what, sizeof(what), "step: %s", name);
    return m->o->progress(m->o->progress_data, what, 0, 0)
               ? tdx_err(m->err, -ECANCELED, "build cancelled") : 0;
}

static int timed(struct mk *m, const char *name)
{
    return build_result_add_timing(m->res, name, ms_since(&m->t0)) < 0 ? tdx_err_oom(m->err) : 0;
}

/* The mkosi the build fetches itself goes through the build's lock, as the
 * native backend's inputs do: the .deb it pins, else (not frozen) the one the
 * signed index names, pinned there and the lock written back. */
static int locked_mkosi(struct mk *m)
{
    tdx_mkosi_options mo = TDX_MKOSI_OPTIONS_INIT;
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    _cleanup_free_ char *fetch_dir = NULL;
    struct mkosi_installed mi = { 0 };
    tdx_lock *lock = NULL;
    bool frozen = m->o->frozen == 1;
    int r;

    if ((r = build_lock_path(m->o->recipe_dir, m->o, &m->lock_path, m->err)) < 0 ||
        (r = build_lock_load(m->lock_path, m->o, "so no pinned mkosi: build once without "
                             "--frozen to pin it, or pass --mkosi PATH", &lock, m->err)) < 0)
        return r;
    if (asprintf(&fetch_dir, "%s/fetch", m->cache) < 0) {
        fetch_dir = NULL;
        tdx_lock_free(lock);
        return tdx_err_oom(m->err);
    }
    fo.cache_dir = fetch_dir;
    fo.offline = m->o->offline == 1 ? 1 : TDX_UNSET;
    fo.progress = m->o->progress;
    fo.progress_data = m->o->progress_data;
    mo.cache_dir = m->cache;
    mo.mirror = m->o->mirror;
    mo.keyring = m->o->keyring;
    mo.fetch = &fo;
    r = mkosi_install_locked(&mo, lock, m->lock_path, frozen ? MKOSI_LOCK_REQUIRE : MKOSI_LOCK_PIN,
                             &mi, m->err);
    /* A new lock file gets the recipe's name and digest, so it reads back. */
    if (r >= 0 && mi.pinned)
        r = lock_adopt_recipe(lock, m->image, m->o->recipe_dir, m->err);
    if (r >= 0)
        r = build_lock_save(lock, m->lock_path, m->o, mi.pinned, m->err);
    tdx_lock_free(lock);
    if (r >= 0 && build_result_add_input(m->res, "deb", "mkosi", mi.deb_version, mi.deb_url,
                                         mi.deb_sha256) < 0)
        r = tdx_err_oom(m->err);
    if (r >= 0) {
        m->mkosi = TAKE_PTR(mi.launcher);
        m->mkosi_version = TAKE_PTR(mi.version);
        m->deb_sha256 = TAKE_PTR(mi.deb_sha256);
        m->mkosi_from = "locked";
    }
    mkosi_installed_free(&mi);
    return r;
}

/* mkosi: the one the caller names, else one in PATH that is new enough,
 * else the pinned one (installed on first use). */
static int find_mkosi(struct mk *m)
{
    tdx_error probe = TDX_ERROR_INIT;
    const char *given = m->o->version >= 2 ? m->o->mkosi : NULL;
    char hex[SHA256_HEX_SIZE];
    int r;

    if (given) {
        r = tdx_mkosi_check(given, &m->mkosi_version, m->err);
        if (r < 0)
            return r;
        /* The file the caller named is an input like any file; a bare
         * name is looked up in PATH, as mkosi from PATH is. */
        if (strchr(given, '/')) {
            if ((r = sha256_file(given, hex, NULL, m->err)) < 0)
                return tdx_err_prefix(m->err, r, "--mkosi");
            if (build_result_add_input(m->res, "file", "mkosi", m->mkosi_version, NULL, hex) < 0)
                return tdx_err_oom(m->err);
        }
        m->mkosi_from = "given";
        m->mkosi = strdup(given);
        return m->mkosi ? 0 : tdx_err_oom(m->err);
    }
    if (tdx_mkosi_check("mkosi", &m->mkosi_version, &probe) >= 0) {
        m->mkosi_from = "PATH";
        m->mkosi = strdup("mkosi");
        return m->mkosi ? 0 : tdx_err_oom(m->err);
    }
    tdx_error_clear(&probe);
    return locked_mkosi(m);
}

static int scratch(struct mk *m, const char *out)
{
    int r = build_output_begin(&m->out, out, m->err);
    if (r < 0)
        return r;
    if (asprintf(&m->tree, "%s/tree", m->out.work) < 0) {
        m->tree = NULL;
        return tdx_err_oom(m->err);
    }
    return 0;
}

/* Runs argv with stdout and stderr appended to log; returns the exit status. */
static int run_logged(struct mk *m, char *const *argv, const char *log, int *status)
{
    posix_spawn_file_actions_t fa;
    extern char **environ;
    pid_t pid;
    int r, st;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return tdx_err(m->err, -r, "cannot run %s: %s", argv[0], strerror(r));
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return tdx_err(m->err, -errno, "cannot wait for %s: %s", argv[0], strerror(errno));
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

/* The last line of the log that says why mkosi stopped. */
static void log_tail(const char *log, char *buf, size_t size)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char *end, *start;

    snprintf(buf, size, "(no output)");
    if (read_file_bounded(log, 64 << 20, &text, &len) < 0 || len == 0)
        return;
    end = text + len;
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    start = strrchr(text, '\n');
    snprintf(buf, size, "%s", start ? start + 1 : text);
}

/* The directory the lock lives in, which a first build has yet to make. */
static int mkdir_p_in(struct mk *m)
{
    _cleanup_free_ char *dir = NULL;
    int r;

    if (asprintf(&dir, "%s/mkosi", m->cache) < 0)
        return tdx_err_oom(m->err);
    r = mkdir_p(dir, 0755);
    return r < 0 ? tdx_err(m->err, r, "%s: %s", dir, strerror(-r)) : 0;
}

/* One mkosi at a time per cache: builds share its tools tree, package cache
 * and output directory, and a second mkosi rebuilding the tools tree or
 * replacing an output under the first breaks it ("tar not found" halfway),
 * and both would pin and unpack inputs and rewrite the lock. Held from
 * before the inputs until the outputs are copied out. */
static int lock_cache(struct mk *m)
{
    _cleanup_free_ char *path = NULL;

    if (asprintf(&path, "%s/mkosi/lock", m->cache) < 0)
        return tdx_err_oom(m->err);
    m->cache_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (m->cache_lock < 0)
        return tdx_err(m->err, -errno, "%s: %s", path, strerror(errno));
    if (flock(m->cache_lock, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno != EWOULDBLOCK)
        return tdx_err(m->err, -errno, "%s: cannot lock: %s", path, strerror(errno));
    /* A signal (Ctrl-C) ends the wait; the progress callback says whether
     * it cancels the build. */
    do {
        int r = step(m, "waiting for another mkosi build (same cache)");
        if (r < 0)
            return r;
        if (flock(m->cache_lock, LOCK_EX) == 0)
            return 0;
    } while (errno == EINTR);
    return tdx_err(m->err, -errno, "%s: cannot lock: %s", path, strerror(errno));
}

static int run_mkosi(struct mk *m)
{
    _cleanup_free_ char *out = NULL, *build = NULL, *cache = NULL, *pkgs = NULL, *ws = NULL,
                        *log = NULL, *a_tree = NULL, *a_out = NULL, *a_build = NULL,
                        *a_cache = NULL, *a_pkgs = NULL, *a_ws = NULL;
    int status = 0, r;

    if (asprintf(&out, "%s/mkosi/output", m->cache) < 0 ||
        asprintf(&build, "%s/mkosi/build/%s", m->cache, m->r->image_id) < 0 ||
        asprintf(&cache, "%s/mkosi/cache", m->cache) < 0 ||
        asprintf(&pkgs, "%s/mkosi/packages", m->cache) < 0 ||
        asprintf(&ws, "%s/workspace", m->out.work) < 0 || asprintf(&log, "%s/mkosi.log", m->out.stage) < 0 ||
        asprintf(&a_tree, "--directory=%s", m->tree) < 0 ||
        asprintf(&a_out, "--output-directory=%s", out) < 0 ||
        asprintf(&a_build, "--build-directory=%s", build) < 0 ||
        asprintf(&a_cache, "--cache-directory=%s", cache) < 0 ||
        asprintf(&a_pkgs, "--package-cache-directory=%s", pkgs) < 0 ||
        asprintf(&a_ws, "--workspace-directory=%s", ws) < 0)
        return tdx_err_oom(m->err);
    if (mkdir_p(out, 0755) < 0 || mkdir_p(build, 0755) < 0 || mkdir_p(cache, 0755) < 0 ||
        mkdir_p(pkgs, 0755) < 0 || mkdir_p(ws, 0755) < 0)
        return tdx_err(m->err, -errno, "mkosi directories below %s: %s", m->cache, strerror(errno));
    {
        /* --force replaces the image's outputs, not the tools tree beside them. */
        char *argv[] = { m->mkosi, a_tree, a_out, a_build, a_cache, a_pkgs, a_ws, "--force",
                         "build", NULL };
        r = run_logged(m, argv, log, &status);
    }
    if (r < 0)
        return r;
    if (status != 0) {
        /* The output stays untouched; the log goes beside it. */
        _cleanup_free_ char *kept = NULL;
        char last[512];
        log_tail(log, last, sizeof(last));
        if (asprintf(&kept, "%s.mkosi.log", m->outdir) < 0)
            return tdx_err_oom(m->err);
        if (rename(log, kept) < 0)
            return tdx_err(m->err, -EIO, "mkosi failed (exit status %d): %s", status, last);
        return tdx_err(m->err, -EIO, "mkosi failed (exit status %d; its log: %s): %s", status,
                       kept, last);
    }
    if (asprintf(&m->uki, "%s/%s.efi", out, m->r->image_id) < 0)
        return tdx_err_oom(m->err);
    if (access(m->uki, R_OK) < 0)
        return tdx_err(m->err, -ENOENT, "mkosi wrote no %s.efi in %s (log: %s)", m->r->image_id,
                       out, log);
    if (!m->disk)
        return 0;
    if (asprintf(&m->raw, "%s/%s.raw", out, m->r->image_id) < 0)
        return tdx_err_oom(m->err);
    if (access(m->raw, R_OK) < 0)
        return tdx_err(m->err, -ENOENT, "mkosi wrote no %s.raw in %s (log: %s)", m->r->image_id,
                       out, log);
    return 0;
}

static int write_text(struct mk *m, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", m->out.stage, name);
    if (write_file_atomic(path, text, strlen(text), 0644) < 0)
        return tdx_err(m->err, -errno, "%s: %s", path, strerror(errno));
    return 0;
}

static int copy_in(struct mk *m, const char *src, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", m->out.stage, name);
    return copy_file_atomic(src, path, 0644, m->err);
}

/* The command line systemd-stub hands the kernel: the UKI's .cmdline. */
static int uki_cmdline(struct mk *m, char **out)
{
    struct source src;
    struct pe_image pe = { 0 };
    const struct pe_section *sec;
    uint8_t *data = NULL;
    size_t size = 0;
    int r = source_open(&src, m->uki, m->err);

    if (r < 0)
        return r;
    r = pe_parse(&src, &pe, m->err);
    if (r >= 0 && !(sec = pe_find_section(&pe, ".cmdline")))
        r = tdx_err(m->err, -ENOENT, "%s: no .cmdline section", m->uki);
    else if (r >= 0)
        r = pe_read_section_memory(&src, sec, 4096, &data, &size, m->err);
    pe_image_free(&pe);
    source_close(&src);
    if (r < 0)
        return r;
    while (size > 0 && (data[size - 1] == '\0' || data[size - 1] == '\n' || data[size - 1] == ' '))
        size--;
    *out = strndup((const char *)data, size);
    free(data);
    return *out ? 0 : tdx_err_oom(m->err);
}

/* What a TD booting the output shows (tdx_build_measure_dir(), from vm.json):
 * for a UKI build, its kernel, initrd and command line booted directly by
 * OVMF (QEMU's -kernel needs a bzImage, which a UKI is not): RTMR1 the
 * kernel's Authenticode, RTMR2 the command line and initrd; for a disk
 * build, the UKI started from the ESP: RTMR1 also the GPT and the UKI's
 * Authenticode, RTMR2 what systemd-stub and the kernel measure. Both also
 * get the vTPM PCRs 4/9/11 a cloud's firmware gives the UKI itself
 * (measurements-vtpm.json: Azure and GCP attest those). */
static int measure(struct mk *m, const char *efi_name)
{
    char path[PATH_MAX];
    tdx_measurements *tpm = NULL;
    int r;

    r = tdx_build_measure_dir(m->out.stage, &m->res->measurements, m->err);
    if (r < 0)
        return tdx_err_prefix(m->err, r, "measure");
    snprintf(path, sizeof(path), "%s/%s", m->out.stage, efi_name);
    r = measure_uki_tpm_labelled(&tpm, path, efi_name, NULL, m->err);
    if (r < 0)
        return tdx_err_prefix(m->err, r, "measure the UKI's vTPM PCRs");
    /* Clouds' firmware measures into a vTPM, not RTMRs: its own file. */
    snprintf(path, sizeof(path), "%s/measurements-vtpm.json", m->out.stage);
    r = tdx_measurements_write_file(tpm, TDX_FORMAT_JSON, NULL, path, m->err);
    tdx_measurements_free(tpm);
    if (r < 0)
        return r;
    snprintf(path, sizeof(path), "%s/measurements.json", m->out.stage);
    r = tdx_measurements_write_file(m->res->measurements, TDX_FORMAT_JSON, NULL, path, m->err);
    if (r < 0)
        return r;
    snprintf(path, sizeof(path), "%s/measurements.cbor", m->out.stage);
    return tdx_measurements_write_file(m->res->measurements, TDX_FORMAT_CBOR, NULL, path, m->err);
}

static int hash_artifacts(struct mk *m)
{
    char **names = NULL;
    size_t n = 0;
    int r = dir_list_sorted(m->out.stage, NULL, 1000, &names, &n);
    if (r < 0)
        return tdx_err(m->err, r, "%s: %s", m->out.stage, strerror(-r));
    for (size_t i = 0; i < n && r >= 0; i++) {
        char path[PATH_MAX], hex[SHA256_HEX_SIZE];
        uint64_t size;
        if (streq(names[i], "build.json") || streq(names[i], "mkosi.log"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", m->out.stage, names[i]);
        if ((r = sha256_file(path, hex, &size, m->err)) >= 0 &&
            build_result_add_artifact(m->res, names[i], size, hex) < 0)
            r = tdx_err_oom(m->err);
    }
    dir_names_free(names, n);
    return r < 0 ? r : 0;
}

static int write_build_json(struct mk *m, const char *recipe_sha256)
{
    json_t *root = build_record_json(m->res, "mkosi", m->r->image_id, m->r->profile,
                                     recipe_sha256);

    /* json_object_set_new() takes the value even when it fails. */
    /* Which mkosi ran: given (--mkosi), PATH, or locked (the .deb tdx.lock pins). */
    json_t *mkosi = json_pack("{s:s, s:s, s:s}", "from", m->mkosi_from, "path", m->mkosi,
                              "version", m->mkosi_version);

    if (mkosi && m->deb_sha256 &&
        (json_object_set_new(mkosi, "deb_sha256", json_string(m->deb_sha256)) < 0 ||
         json_object_set_new(mkosi, "lock", json_string(m->lock_path)) < 0)) {
        json_decref(mkosi);
        mkosi = NULL;
    }
    if (!mkosi) {
        json_decref(root);
        root = NULL;
    }
    if (root && (json_object_set_new(root, "mkosi_version", json_string(m->mkosi_version)) < 0 ||
                 json_object_set_new(root, "mkosi", mkosi) < 0 ||
                 json_object_set_new(root, "log", json_string("mkosi.log")) < 0)) {
        json_decref(root);
        root = NULL;
    }
    if (!root)
        return tdx_err_oom(m->err);
    m->res->json = json_canonical_text(root);
    json_decref(root);
    if (!m->res->json)
        return tdx_err_oom(m->err);
    return write_text(m, "build.json", m->res->json);
}

/* A UKI build: the UKI, and its kernel, initrd and command line for QEMU's
 * direct boot (-kernel), which is what measurements.json describes. */
static int collect_uki(struct mk *m, const char *efi, const char *firmware)
{
    _cleanup_free_ char *vm = NULL, *cmdline = NULL, *kernel = NULL, *initrd = NULL;
    char *end = m->uki + strlen(m->uki) - strlen(".efi");
    int r;

    if (asprintf(&kernel, "%.*s.vmlinuz", (int)(end - m->uki), m->uki) < 0 ||
        asprintf(&initrd, "%.*s.initrd", (int)(end - m->uki), m->uki) < 0)
        return tdx_err_oom(m->err);
    if (access(kernel, R_OK) < 0 || access(initrd, R_OK) < 0)
        return tdx_err(m->err, -ENOENT, "mkosi wrote no %s.vmlinuz and .initrd beside the UKI "
                       "(SplitArtifacts=)", m->r->image_id);
    if ((r = uki_cmdline(m, &cmdline)) < 0)
        return r;
    vm = vm_json_render_files(BUILD_MEMORY_MIB, BUILD_CPUS, m->fw.event_layout, "vmlinuz",
                              "initrd.cpio.zst",
                              m->r->native.net_mode, m->r->native.test_provider,
                              m->r->delivery.listen);
    if (!vm)
        return tdx_err_oom(m->err);
    if ((r = copy_in(m, m->uki, efi)) < 0 || (r = copy_in(m, kernel, "vmlinuz")) < 0 ||
        (r = copy_in(m, initrd, "initrd.cpio.zst")) < 0 ||
        (r = copy_in(m, firmware, "OVMF.fd")) < 0 || (r = write_text(m, "cmdline", cmdline)) < 0 ||
        (r = write_text(m, "vm.json", vm)) < 0)
        return r;
    return 0;
}

/* A disk build: the disk image, its Azure and GCP forms, and the UKI its ESP
 * starts (measured from there), with the firmware that boots it. */
static int collect_disk(struct mk *m, const char *efi, const char *firmware)
{
    _cleanup_free_ char *vm = NULL;
    char raw[PATH_MAX], path[PATH_MAX];
    long long epoch = m->r->output.source_date_epoch == TDX_UNSET ? 0
                                                                  : m->r->output.source_date_epoch;
    int r;

    vm = vm_json_render_disk(BUILD_MEMORY_MIB, BUILD_CPUS, m->fw.event_layout, BUILD_DISK_RAW, efi,
                             m->r->native.net_mode, m->r->native.test_provider,
                             m->r->delivery.listen);
    if (!vm)
        return tdx_err_oom(m->err);
    if ((r = copy_in(m, m->uki, efi)) < 0 || (r = copy_in(m, m->raw, BUILD_DISK_RAW)) < 0 ||
        (r = copy_in(m, firmware, "OVMF.fd")) < 0 || (r = write_text(m, "vm.json", vm)) < 0)
        return r;
    snprintf(raw, sizeof(raw), "%s/" BUILD_DISK_RAW, m->out.stage);
    snprintf(path, sizeof(path), "%s/" BUILD_DISK_VHD, m->out.stage);
    if ((r = step(m, "azure vhd")) < 0 || (r = tdx_vhd_write(raw, path, epoch, m->err)) < 0)
        return r;
    snprintf(path, sizeof(path), "%s/" BUILD_DISK_GCP, m->out.stage);
    if ((r = step(m, "gcp tar.gz")) < 0 || (r = tdx_gcp_tar_write(raw, path, epoch, m->err)) < 0)
        return r;
    return timed(m, "cloud images");
}

static int run(struct mk *m, tdx_build_result **ret)
{
    tdx_emit_options eo = TDX_EMIT_OPTIONS_INIT;
    /* outdir outlives run(): mkosi_build() keeps a failed build's log beside it. */
    char *outdir = NULL;
    _cleanup_free_ char *digest = NULL, *efi = NULL;
    int r;

    clock_gettime(CLOCK_MONOTONIC, &m->t0);
    if (build_result_new(&m->res) < 0)
        return tdx_err_oom(m->err);
    if ((r = recipe_resolve_profile(m->image, m->o->profile, &m->r, m->err)) < 0)
        return r;
    m->disk = streq(m->r->output.format, "disk");
    if (!m->disk && !streq(m->r->output.format, "uki"))
        return tdx_err(m->err, -EOPNOTSUPP, "output.format \"%s\": the mkosi backend builds UKIs "
                       "(\"uki\") and disk images (\"disk\"); use the native backend for %s",
                       m->r->output.format, m->r->output.format);
    if (m->o->output_dir)
        outdir = strdup(m->o->output_dir);
    else if (asprintf(&outdir, "build/%s", m->r->image_id) < 0)
        outdir = NULL;
    m->outdir = outdir;
    if (!outdir || asprintf(&efi, "%s.efi", m->r->image_id) < 0)
        return tdx_err_oom(m->err);
    if ((r = mkosi_cache_root(m->o->cache_dir, &m->cache, m->err)) < 0)
        return r;
    /* Before anything writes below the cache (the pinned mkosi and OVMF,
     * their unpacked trees, the lock file) or mkosi runs. */
    if ((r = mkdir_p_in(m)) < 0 || (r = lock_cache(m)) < 0)
        return r;
    if ((r = tdx_recipe_digest(m->image, &digest, m->err)) < 0)
        return r;

    if ((r = step(m, "mkosi")) < 0 || (r = find_mkosi(m)) < 0 || (r = timed(m, "mkosi")) < 0)
        return r;
    /* Before mkosi runs: a pin it makes is saved even if mkosi fails. */
    if ((r = step(m, "firmware")) < 0 ||
        (r = mkosi_firmware(m->image, m->r, m->o, m->cache, m->res, &m->fw, m->err)) < 0 ||
        (r = timed(m, "firmware")) < 0)
        return r;
    if ((r = scratch(m, outdir)) < 0)
        return r;
    if ((r = step(m, "emit")) < 0)
        return r;
    eo.profile = m->o->profile;
    eo.agent_binary = m->o->agent;
    if ((r = tdx_emit_mkosi(m->image, m->tree, &eo, m->err)) < 0 || (r = timed(m, "emit")) < 0)
        return r;
    if ((r = step(m, "build")) < 0 || (r = run_mkosi(m)) < 0 || (r = timed(m, "build")) < 0)
        return r;

    if ((r = m->disk ? collect_disk(m, efi, m->fw.path) : collect_uki(m, efi, m->fw.path)) < 0)
        return r;
    if ((r = step(m, "measure")) < 0 || (r = measure(m, efi)) < 0 || (r = timed(m, "measure")) < 0)
        return r;
    if ((r = hash_artifacts(m)) < 0 || (r = write_build_json(m, digest)) < 0)
        return r;
    {
        /* A failed build's log, left beside the output, is not the log of
         * the output about to be committed. Removed first, so that a
         * failure here leaves the old output as it is. */
        _cleanup_free_ char *stale = NULL;
        if (asprintf(&stale, "%s.mkosi.log", outdir) < 0)
            return tdx_err_oom(m->err);
        if (unlink(stale) < 0 && errno != ENOENT)
            return tdx_err(m->err, -errno, "cannot remove %s: %s", stale, strerror(errno));
    }
    if ((r = build_output_commit(&m->out, outdir, m->err)) < 0)
        return r;
    /* From here m->out.stage holds the old output, not this build's. */
    m->committed = true;
    if (!(m->res->dir = realpath(outdir, NULL)))
        return tdx_err(m->err, -errno, "cannot resolve %s: %s", outdir, strerror(errno));
    m->res->image_id = strdup(m->r->image_id);
    m->res->memory_mib = BUILD_MEMORY_MIB;
    m->res->cpus = BUILD_CPUS;
    if (!m->res->image_id)
        return tdx_err_oom(m->err);
    if (ret)
        *ret = TAKE_PTR(m->res);
    return 0;
}

int mkosi_build(const tdx_image *image, const tdx_build_image_options *o, tdx_build_result **out,
                tdx_error *err)
{
    struct mk m = { .image = image, .o = o, .err = err, .out = BUILD_OUTPUT_INIT,
                    .cache_lock = -1 };
    int r = run(&m, out);

    if (r < 0 && !m.committed && m.out.stage && m.outdir) {
        /* A failure after mkosi ran keeps its log beside the untouched
         * output; after the commit, the output is this build's and
         * m.out.stage the old one's. */
        char log[PATH_MAX], kept[PATH_MAX];
        snprintf(log, sizeof(log), "%s/mkosi.log", m.out.stage);
        snprintf(kept, sizeof(kept), "%s.mkosi.log", m.outdir);
        if (access(log, F_OK) == 0)
            rename(log, kept);
    }

    /* What is left of the staging directory: the tree, the workspace, the
     * old output a commit swapped out. */
    build_output_free(&m.out);
    tdx_build_result_free(m.res);
    recipe_free(m.r);
    free(m.cache);
    free(m.tree);
    free(m.mkosi);
    free(m.mkosi_version);
    free(m.lock_path);
    free(m.outdir);
    free(m.deb_sha256);
    free(m.uki);
    free(m.raw);
    if (m.cache_lock >= 0)
        close(m.cache_lock);   /* releases the flock */
    mkosi_firmware_free(&m.fw);
    return r;
}
