/* SPDX-License-Identifier: MIT */
#include "secrets.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-core.h"
#include "base64.h"
#include "daemon.h"
#include "env-file.h"
#include "env-vars.h"
#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "macro.h"
#include "manifest.h"
#include "msg.h"
#include "quote-provider.h"
#include "root-fs.h"
#include "secret-set.h"
#include "secrets-store.h"
#include "strbuf.h"
#include "utf8.h"
#include "wire.h"

#define CHALLENGE_ID_BYTES 16

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_OPEN };

/* A challenge: the agent's one-use key, waiting for the delivery. */
struct slot {
    enum slot_state state;
    char id[2 * CHALLENGE_ID_BYTES + 1];
    uint8_t sk[HPKE_NSK], pk[HPKE_NPK], nonce[SECRETS_NONCE_SIZE];
    uint64_t expires_ms;
    uint64_t opened_ms;
};

struct secrets {
    const struct manifest *m;
    struct quote_provider *provider;
    struct secrets_options opts;
    char *root_dir, *ready_file;

    pthread_mutex_t lock;        /* slots */
    struct slot *slots;

    pthread_mutex_t write_lock;  /* deliveries, present[], sender_of[], ready */
    bool *present;
    int *sender_of;              /* index into m->senders, or one of: */
    bool ready;
};

#define SENDER_UNKNOWN (-1)      /* not delivered, or found on disk at start */
#define SENDER_ANONYMOUS (-2)    /* delivered in base mode (an image without senders) */

static void slot_wipe(struct slot *sl)
{
    OPENSSL_cleanse(sl, sizeof(*sl));
    sl->state = SLOT_FREE;
}

/* ------------------------------------------------------------------------ */
/* Readiness                                                                */

static size_t missing_required(const struct secrets *s, strbuf *names)
{
    size_t n = 0;
    for (size_t i = 0; i < s->m->n; i++)
        if (s->m->secrets[i].required && !s->present[i]) {
            if (names)
                strbuf_printf(names, "%s%s", n ? ", " : "", s->m->secrets[i].name);
            n++;
        }
    return n;
}

/* The ready file's directory, opened (and made when create is set) with no
 * symbolic link anywhere on its path: its path is the configuration's, and
 * a link planted there must not send the file, or a mode, elsewhere. */
static int ready_dir(const char *path, bool create, const char **base)
{
    static const struct root_fs_dir how = { 0755, 0, 0 };
    struct root_fs rfs;
    char dir[4096];
    int fd;

    *base = strrchr(path, '/') + 1;
    fd = root_fs_dir_of(path, dir, sizeof(dir));
    if (fd < 0)
        return fd;
    fd = root_fs_open(&rfs, "/", ROOT_FS_NO_SYMLINKS);
    if (fd < 0)
        return fd;
    /* Under systemd the runtime directory exists; elsewhere make it. */
    fd = root_fs_open_dir(&rfs, dir, create, &how);
    root_fs_close(&rfs);
    return fd;
}

static int write_ready_file(const char *path)
{
    const char *base;
    int dirfd = ready_dir(path, true, &base), r;
    if (dirfd < 0)
        return dirfd;
    r = root_fs_write_atomic(dirfd, base, "ready\n", 6, 0644);
    close(dirfd);
    return r;
}

/* Removes a ready file left by an earlier run (a link there is removed,
 * not followed). */
static int remove_ready_file(const char *path)
{
    const char *base;
    int dirfd = ready_dir(path, false, &base), r = 0;
    if (dirfd == -ENOENT)
        return 0;
    if (dirfd < 0)
        return dirfd;
    if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
        r = -errno;
    close(dirfd);
    return r;
}

/* Called with write_lock held. */
static void update_readiness(struct secrets *s)
{
    strbuf names = STRBUF_INIT;
    char status[600];
    size_t missing = missing_required(s, &names);

    if (s->ready || missing > 0) {
        if (!s->ready) {
            snprintf(status, sizeof(status), "STATUS=Waiting for %zu required secret%s: %.500s",
                     missing, missing == 1 ? "" : "s", strbuf_str(&names));
            daemon_notify(status);
        }
        strbuf_free(&names);
        return;
    }
    strbuf_free(&names);
    s->ready = true;
    if (s->ready_file) {
        int r = write_ready_file(s->ready_file);
        if (r < 0)
            log_error("cannot create the ready file %s: %s; tdx-secrets-wait.service will not "
                      "see that the secrets are here", s->ready_file, strerror(-r));
    }
    log_notice("all %zu required secrets are present: secrets ready", s->m->n_required);
    daemon_notify("STATUS=All required secrets present");
    if (s->opts.on_ready)
        s->opts.on_ready(s->opts.userdata);
}

bool secrets_ready(struct secrets *s)
{
    bool ready;
    pthread_mutex_lock(&s->write_lock);
    ready = s->ready;
    pthread_mutex_unlock(&s->write_lock);
    return ready;
}

int secrets_new(const struct manifest *m, struct quote_provider *provider,
                const struct secrets_options *opts, struct secrets **out, char *msg,
                size_t msg_size)
{
    struct secrets *s = calloc(1, sizeof(*s));
    size_t present = 0;
    int r;

    if (s) {
        pthread_mutex_init(&s->lock, NULL);
        pthread_mutex_init(&s->write_lock, NULL);
        s->opts = *opts;
    }
    if (!s || !(s->slots = calloc(opts->max_challenges ? opts->max_challenges : 1,
                                  sizeof(*s->slots))) ||
        !(s->present = calloc(m->n ? m->n : 1, sizeof(*s->present))) ||
        !(s->sender_of = malloc((m->n ? m->n : 1) * sizeof(*s->sender_of))) ||
        (opts->root_dir && !(s->root_dir = strdup(opts->root_dir))) ||
        (opts->ready_file && !(s->ready_file = strdup(opts->ready_file)))) {
        secrets_free(s);
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    s->m = m;
    s->provider = provider;
    for (size_t i = 0; i < m->n; i++)
        s->sender_of[i] = SENDER_UNKNOWN;

    /* A ready file from an earlier run must not claim readiness before the
     * secrets on disk were checked again. */
    if (s->ready_file && (r = remove_ready_file(s->ready_file)) < 0) {
        msgf(msg, msg_size, r, "cannot remove the stale ready file %s: %s%s", s->ready_file,
             strerror(-r), r == -ELOOP ? " (no symbolic link may be on its path)" : "");
        secrets_free(s);
        return r;
    }
    store_scan(s->root_dir ? s->root_dir : "/", m, s->present);
    for (size_t i = 0; i < m->n; i++)
        present += s->present[i];
    if (present)
        log_info("%zu of %zu secrets already on disk and valid", present, m->n);
    pthread_mutex_lock(&s->write_lock);
    update_readiness(s);
    pthread_mutex_unlock(&s->write_lock);
    *out = s;
    return 0;
}

void secrets_free(struct secrets *s)
{
    if (!s)
        return;
    for (unsigned i = 0; s->slots && i < s->opts.max_challenges; i++)
        slot_wipe(&s->slots[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    free(s->slots);
    free(s->present);
    free(s->sender_of);
    free(s->root_dir);
    free(s->ready_file);
    free(s);
}

/* ------------------------------------------------------------------------ */
/* secrets.challenge                                                        */

/* A free slot, else the one that expired first; NULL when all are open. */
static struct slot *reserve_slot(struct secrets *s, uint64_t now)
{
    struct slot *expired = NULL;
    for (unsigned i = 0; i < s->opts.max_challenges; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->state == SLOT_FREE)
            return sl;
        if (sl->state == SLOT_OPEN && sl->expires_ms <= now &&
            (!expired || sl->expires_ms < expired->expires_ms))
            expired = sl;
    }
    if (expired)
        slot_wipe(expired);
    return expired;
}

int secrets_challenge(struct secrets *s, const uint8_t nonce[SECRETS_NONCE_SIZE], bool unattested,
                      json_t **result, struct wire_error *e)
{
    uint8_t id[CHALLENGE_ID_BYTES], report_data[SECRETS_REPORT_DATA_SIZE], *quote = NULL;
    char pk_hex[2 * HPKE_NPK + 1], rd_hex[2 * SECRETS_REPORT_DATA_SIZE + 1], qmsg[300];
    char id_hex[sizeof(((struct slot *)0)->id)];
    size_t quote_len = 0;
    struct slot *sl;
    int r;

    if (unattested && !s->m->insecure_allow_unattested)
        return wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.challenge: unattested: this image's "
                           "manifest does not allow deliveries without a quote");
    pthread_mutex_lock(&s->lock);
    sl = reserve_slot(s, now_ms());
    if (!sl) {
        pthread_mutex_unlock(&s->lock);
        return wire_errorf(e, WIRE_E_BUSY, "secrets.challenge: %u challenges are open; answer "
                           "one or wait for one to expire (%u s)", s->opts.max_challenges,
                           s->opts.challenge_ttl_ms / 1000);
    }
    r = RAND_bytes(id, sizeof(id)) == 1 ? hpke_keypair_generate(sl->sk, sl->pk) : -EIO;
    if (r == 0) {
        sl->state = SLOT_PENDING;
        hex_encode(id, sizeof(id), sl->id);
        memcpy(sl->nonce, nonce, SECRETS_NONCE_SIZE);
        memcpy(id_hex, sl->id, sizeof(id_hex));
        hex_encode(sl->pk, HPKE_NPK, pk_hex);
        r = secrets_report_data(nonce, sl->pk, report_data);
    }
    if (r < 0) {
        slot_wipe(sl);
        pthread_mutex_unlock(&s->lock);
        return wire_errorf(e, WIRE_E_INTERNAL, "secrets.challenge: cannot make a key");
    }
    pthread_mutex_unlock(&s->lock);

    /* The quote can take seconds: no lock held. The slot is PENDING, so no
     * one else takes or answers it. */
    if (!unattested) {
        r = s->provider->get(s->provider, report_data, &quote, &quote_len, qmsg, sizeof(qmsg));
        if (r < 0) {
            pthread_mutex_lock(&s->lock);
            slot_wipe(sl);
            pthread_mutex_unlock(&s->lock);
            log_warning("secrets.challenge: quote failed: %s", qmsg);
            return wire_errorf(e, r == -EBUSY ? WIRE_E_BUSY
                                  : r == -ETIMEDOUT ? WIRE_E_TIMEOUT
                                  : r == -ENXIO || r == -ENOENT || r == -ENODEV ? WIRE_E_UNAVAILABLE
                                  : WIRE_E_QUOTE_FAILED, "%s", qmsg);
        }
    } else {
        log_client("secrets.challenge %s WITHOUT A QUOTE (insecure_allow_unattested): the "
                   "host asked for an unattested delivery", id_hex);
    }
    pthread_mutex_lock(&s->lock);
    sl->state = SLOT_OPEN;
    sl->opened_ms = now_ms();
    sl->expires_ms = sl->opened_ms + s->opts.challenge_ttl_ms;
    pthread_mutex_unlock(&s->lock);

    hex_encode(report_data, sizeof(report_data), rd_hex);
    *result = json_pack("{s:s, s:s, s:o, s:s, s:I, s:s, s:b, s:b}", "challenge_id", id_hex,
                        "public_key", pk_hex, "quote",
                        quote ? wire_base64(quote, quote_len) : json_null(), "report_data", rd_hex,
                        "expires_in_ms", (json_int_t)s->opts.challenge_ttl_ms, "provider",
                        s->provider->name, "simulated", s->provider->simulated, "unattested",
                        unattested);
    free(quote);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    log_debug("secrets.challenge %s issued (expires in %u ms)", id_hex, s->opts.challenge_ttl_ms);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* secrets.deliver                                                          */

/* Takes the challenge's key out of the table: whatever happens next, it is
 * never used again. */
static int take_challenge(struct secrets *s, const char *id, uint8_t sk[HPKE_NSK],
                          uint8_t nonce[SECRETS_NONCE_SIZE], struct wire_error *e)
{
    uint64_t now = now_ms();
    int r = 0;

    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->opts.max_challenges; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->state != SLOT_OPEN || !streq(sl->id, id))
            continue;
        if (sl->expires_ms <= now)
            r = wire_errorf(e, WIRE_E_BAD_CHALLENGE, "secrets.deliver: challenge %s expired %llu "
                            "ms ago (challenges last %u ms); ask for a new one", id,
                            (unsigned long long)(now - sl->expires_ms), s->opts.challenge_ttl_ms);
        else
            memcpy(sk, sl->sk, HPKE_NSK), memcpy(nonce, sl->nonce, SECRETS_NONCE_SIZE);
        slot_wipe(sl);
        pthread_mutex_unlock(&s->lock);
        return r;
    }
    pthread_mutex_unlock(&s->lock);
    return wire_errorf(e, WIRE_E_BAD_CHALLENGE, "secrets.deliver: no open challenge %.64s (never "
                       "issued, already answered, or expired long ago)", id);
}

static int open_sealed(const uint8_t sk[HPKE_NSK], const uint8_t nonce[SECRETS_NONCE_SIZE],
                       const char *id, const uint8_t enc[HPKE_NENC],
                       const struct manifest_sender *from, const uint8_t *ct, size_t ct_len,
                       char **pt, size_t *pt_len, struct wire_error *e)
{
    uint8_t info[SECRETS_INFO_SIZE];
    struct hpke_ctx ctx;
    int r;

    if (ct_len < HPKE_NT)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "secrets.deliver: ciphertext: shorter than the "
                           "%d-byte tag", HPKE_NT);
    *pt_len = ct_len - HPKE_NT;
    *pt = malloc(*pt_len + 1);
    if (!*pt)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    secrets_hpke_info(nonce, info);
    r = from ? hpke_setup_auth_r(sk, enc, from->public_key, info, sizeof(info), &ctx)
             : hpke_setup_base_r(sk, enc, info, sizeof(info), &ctx);
    if (r == 0)
        r = hpke_open(&ctx, (const uint8_t *)id, strlen(id), ct, ct_len, (uint8_t *)*pt);
    hpke_ctx_wipe(&ctx);
    if (r < 0) {
        secret_buffer_free(*pt, *pt_len + 1);
        *pt = NULL;
        return wire_errorf(e, r == -EIO ? WIRE_E_INTERNAL : WIRE_E_DECRYPT_FAILED,
                           "secrets.deliver: the sealed secrets do not open with challenge %s's "
                           "key%s%s%s (altered on the way, sealed for another challenge%s)", id,
                           from ? " and sender \"" : "", from ? from->name : "",
                           from ? "\"'s public key" : "",
                           from ? ", or not sealed with that sender's private key" : "");
    }
    (*pt)[*pt_len] = '\0';
    return 0;
}

static void sender_names(const struct manifest *m, strbuf *out)
{
    for (size_t i = 0; i < m->n_senders; i++)
        strbuf_printf(out, "%s\"%s\"", i ? ", " : "", m->senders[i].name);
}

/* Who sealed the delivery, as the manifest allows: *from is NULL for base
 * mode in an image without senders. */
static int check_sender(const struct secrets *s, const uint8_t *sender_key,
                        const struct manifest_sender **from, struct wire_error *e)
{
    strbuf names = STRBUF_INIT;
    char hex[2 * HPKE_NPK + 1];
    int r = 0;

    *from = NULL;
    if (!sender_key && s->m->n_senders == 0)
        return 0;
    if (sender_key && s->m->n_senders == 0)
        return wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: this image's manifest lists no "
                           "senders, so it takes deliveries without a sender key (HPKE base "
                           "mode) only");
    sender_names(s->m, &names);
    if (!sender_key) {
        r = wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: this image takes deliveries only "
                        "from its senders (%.300s): a delivery without a sender key (HPKE base "
                        "mode) is refused", strbuf_str(&names));
    } else if (!(*from = manifest_find_sender(s->m, sender_key))) {
        hex_encode(sender_key, HPKE_NPK, hex);
        r = wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: sender key %.16s... is not one of "
                        "this image's senders (%.300s)", hex, strbuf_str(&names));
    }
    strbuf_free(&names);
    return r;
}

/* The sender's list and the replace policy, for each entry. Called with
 * write_lock held (present[] and sender_of[]). */
static int check_policy(const struct secrets *s, const struct manifest_sender *from,
                        const struct manifest_secret *const *ms, size_t n, struct wire_error *e)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(ms[i] - s->m->secrets);
        int by = s->sender_of[k];
        const char *name = ms[i]->name;
        if (from && from->may_set && !from->may_set[k])
            return wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: sender \"%s\" may not set "
                               "secret \"%s\" (not in its \"secrets\" list)", from->name, name);
        if (!s->present[k] || s->m->replace == MANIFEST_REPLACE_ANY_SENDER)
            continue;
        if (s->m->replace == MANIFEST_REPLACE_NEVER)
            return wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: secret \"%s\" is already "
                               "delivered and this image's replace policy is \"never\"", name);
        /* same-sender: without senders every delivery is anonymous alike. */
        if (!from || by == (int)(from - s->m->senders))
            continue;
        return wire_errorf(e, WIRE_E_FORBIDDEN, "secrets.deliver: secret \"%s\" was delivered by "
                           "%s%s%s and this image's replace policy is \"same-sender\"", name,
                           by >= 0 ? "sender \"" : by == SENDER_ANONYMOUS ? "a delivery without "
                           "a sender key" : "an earlier run of the agent (its sender is not known; "
                           "remove the file to deliver it again)",
                           by >= 0 ? s->m->senders[by].name : "", by >= 0 ? "\"" : "");
    }
    return 0;
}

/* Every value is checked before anything is written. */
static int check_set(const struct secrets *s, const struct secret_set *set,
                     const struct manifest_secret **ms, struct wire_error *e)
{
    char why[400];

    if (set->n == 0)
        return wire_errorf(e, WIRE_E_INVALID_SECRETS, "secrets.deliver: the delivery holds no "
                           "secrets");
    for (size_t i = 0; i < set->n; i++) {
        const struct manifest_secret *m_s = manifest_find(s->m, set->items[i].name);
        if (!m_s) {
            strbuf known = STRBUF_INIT;
            for (size_t k = 0; k < s->m->n; k++)
                strbuf_printf(&known, "%s%s", k ? ", " : "", s->m->secrets[k].name);
            wire_errorf(e, WIRE_E_INVALID_SECRETS, "secrets.deliver: unknown secret \"%s\" (the "
                        "image's manifest declares: %.180s)", set->items[i].name,
                        s->m->n ? strbuf_str(&known) : "nothing");
            strbuf_free(&known);
            return -EINVAL;
        }
        if (manifest_check_value(m_s, set->items[i].value, set->items[i].len, why,
                                 sizeof(why)) < 0)
            return wire_errorf(e, WIRE_E_INVALID_SECRETS, "secrets.deliver: %s", why);
        /* systemd drops an environment value that is not UTF-8 or holds
         * control characters other than tab and newline. */
        if (m_s->n_env && !env_value_valid(set->items[i].value))
            return wire_errorf(e, WIRE_E_INVALID_SECRETS, "secrets.deliver: secret \"%s\": "
                               "expected UTF-8 without control characters other than tab and "
                               "newline (it goes into an environment)", m_s->name);
        ms[i] = m_s;
    }
    return 0;
}

/* The files of a delivery: each secret's destination, and the environment
 * file of each scope the delivery touches, rewritten whole: this
 * delivery's values, and the other secrets' earlier values read back from
 * the file. Called with write_lock held. env_text[] (one per scope, at
 * most one per env target of the delivered secrets) and what[] keep the
 * entries' strings. */
struct plan {
    struct store_entry *entries;
    size_t n;
    strbuf *env_text;
    char (*what)[96];
    char (*env_path)[4096];
    size_t n_env;
};

static void plan_free(struct plan *p)
{
    for (size_t i = 0; p->env_text && i < p->n_env; i++)
        strbuf_wipe_free(&p->env_text[i]);
    free(p->env_text);
    free(p->entries);
    free(p->what);
    free(p->env_path);
    *p = (struct plan){ 0 };
}

static bool scope_done(const struct plan *p, const char *path)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (streq(p->env_path[i], path))
            return true;
    return false;
}

/* The value scope's variable name gets: this delivery's, else the file's. */
static int env_render(const struct secrets *s, const struct secret_set *set,
                      const struct env_vars *old, const char *scope, strbuf *out)
{
    for (size_t i = 0; i < s->m->n; i++) {
        const struct manifest_secret *ms = &s->m->secrets[i];
        const struct secret_value *nv = secret_set_find(set, ms->name);
        for (size_t t = 0; t < ms->n_env; t++) {
            const struct env_var *ov;
            int r = 0;
            if (!streq(ms->env[t].scope, scope))
                continue;
            if (nv)
                r = env_file_append(out, ms->env[t].name, nv->value, nv->len);
            else if ((ov = env_vars_find(old, ms->env[t].name)))
                r = env_file_append(out, ms->env[t].name, ov->value, ov->len);
            if (r < 0)
                return r;
        }
    }
    return strbuf_error(out);
}

static int plan_make(const struct secrets *s, const struct secret_set *set,
                     const struct manifest_secret *const *ms, struct plan *p, char *msg,
                     size_t msg_size)
{
    size_t n_env = 0, max;
    struct root_fs rfs;
    int r = 0;

    /* At most one environment file per target of the delivered secrets. */
    for (size_t i = 0; i < set->n; i++)
        n_env += ms[i]->n_env;
    max = set->n + n_env;
    p->entries = calloc(max ? max : 1, sizeof(*p->entries));
    p->what = calloc(max ? max : 1, sizeof(*p->what));
    p->env_text = calloc(n_env ? n_env : 1, sizeof(*p->env_text));
    p->env_path = calloc(n_env ? n_env : 1, sizeof(*p->env_path));
    if (!p->entries || !p->what || !p->env_text || !p->env_path)
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    for (size_t i = 0; i < set->n; i++)
        if (ms[i]->dest) {
            store_entry_for_secret(&p->entries[p->n], ms[i], &set->items[i], p->what[p->n],
                                   sizeof(p->what[0]));
            p->n++;
        }
    if ((r = root_fs_open(&rfs, s->root_dir, 0)) < 0)
        return msgf(msg, msg_size, r, "cannot open the root directory %s: %s",
                    s->root_dir ? s->root_dir : "/", strerror(-r));
    for (size_t i = 0; i < set->n && r == 0; i++)
        for (size_t t = 0; t < ms[i]->n_env && r == 0; t++) {
            const char *scope = ms[i]->env[t].scope;
            char path[4096];
            struct env_vars old;
            if ((r = manifest_env_file(scope, path, sizeof(path))) < 0 || scope_done(p, path))
                continue;
            if ((r = env_vars_load(&rfs, scope, &old)) < 0) {
                msgf(msg, msg_size, r, "the environment file %s cannot be read: %s", path,
                     strerror(-r));
                break;
            }
            snprintf(p->env_path[p->n_env], sizeof(p->env_path[0]), "%s", path);
            p->env_text[p->n_env] = (strbuf)STRBUF_SECRET_INIT;
            r = env_render(s, set, &old, scope, &p->env_text[p->n_env]);
            env_vars_free(&old);
            if (r < 0) {
                msgf(msg, msg_size, r, "the environment file %s cannot be made", path);
                break;
            }
            snprintf(p->what[p->n], sizeof(p->what[0]), "the environment of %s", scope);
            /* Read by systemd (as root) before a service starts: root only. */
            p->entries[p->n] = (struct store_entry){
                .what = p->what[p->n], .dest = p->env_path[p->n_env],
                .data = strbuf_str(&p->env_text[p->n_env]), .len = p->env_text[p->n_env].len,
                .mode = 0400, .owner = "root", .group = "root", .dir_mode = 0700,
                .dir_owner = "root", .dir_group = "root" };
            p->n++;
            p->n_env++;
        }
    root_fs_close(&rfs);
    return r;
}

static json_t *missing_json(const struct secrets *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->m->n; i++)
        if (s->m->secrets[i].required && !s->present[i])
            json_array_append_new(a, json_string(s->m->secrets[i].name));
    return a;
}

int secrets_deliver(struct secrets *s, const char *challenge_id, const uint8_t enc[HPKE_NENC],
                    const uint8_t *sender_key, const uint8_t *ciphertext, size_t ciphertext_len,
                    json_t **result, struct wire_error *e)
{
    const struct manifest_sender *from = NULL;
    uint8_t sk[HPKE_NSK], nonce[SECRETS_NONCE_SIZE];
    struct secret_set set = SECRET_SET_INIT;
    const struct manifest_secret **ms = NULL;
    struct plan plan = { 0 };
    char *pt = NULL, msg[400];
    size_t pt_len = 0;
    json_t *written;
    int r;

    r = take_challenge(s, challenge_id, sk, nonce, e);
    if (r < 0) {
        log_client("%s", e->message);
        return r;
    }
    r = check_sender(s, sender_key, &from, e);
    if (r == 0)
        r = open_sealed(sk, nonce, challenge_id, enc, from, ciphertext, ciphertext_len, &pt,
                        &pt_len, e);
    OPENSSL_cleanse(sk, sizeof(sk));
    if (r < 0) {
        log_client("%s", e->message);
        return r;
    }
    r = secret_set_parse_json("secrets.deliver: the opened secrets", pt, pt_len, false, &set, msg,
                              sizeof(msg));
    secret_buffer_free(pt, pt_len + 1);
    if (r < 0) {
        wire_errorf(e, r == -ENOMEM ? WIRE_E_INTERNAL : WIRE_E_INVALID_SECRETS, "%s", msg);
        goto out;
    }
    ms = calloc(set.n ? set.n : 1, sizeof(*ms));
    if (!ms) {
        r = wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
        goto out;
    }
    if ((r = check_set(s, &set, ms, e)) < 0)
        goto out;

    pthread_mutex_lock(&s->write_lock);
    if ((r = check_policy(s, from, ms, set.n, e)) < 0) {
        pthread_mutex_unlock(&s->write_lock);
        goto out;
    }
    r = plan_make(s, &set, ms, &plan, msg, sizeof(msg));
    if (r == 0)
        r = store_write(s->root_dir ? s->root_dir : "/", plan.entries, plan.n, msg, sizeof(msg));
    if (r < 0) {
        pthread_mutex_unlock(&s->write_lock);
        log_error("secrets.deliver: %s", msg);
        wire_errorf(e, r == -ENOMEM ? WIRE_E_INTERNAL : WIRE_E_IO, "secrets.deliver: %s", msg);
        goto out;
    }
    for (size_t i = 0; i < set.n; i++) {
        s->present[ms[i] - s->m->secrets] = true;
        s->sender_of[ms[i] - s->m->secrets] = from ? (int)(from - s->m->senders)
                                                   : SENDER_ANONYMOUS;
    }
    {
        strbuf names = STRBUF_INIT;
        for (size_t i = 0; i < set.n; i++)
            strbuf_printf(&names, "%s%s", i ? ", " : "", set.items[i].name);
        log_info("secrets.deliver %s: wrote %zu secret%s from %s%s%s: %.300s", challenge_id,
                 set.n, set.n == 1 ? "" : "s", from ? "sender \"" : "an unauthenticated host",
                 from ? from->name : "", from ? "\"" : "", strbuf_str(&names));
        strbuf_free(&names);
    }
    update_readiness(s);
    written = json_array();
    for (size_t i = 0; written && i < set.n; i++) {
        uint8_t digest[STORE_DIGEST_SIZE];
        char hex[2 * STORE_DIGEST_SIZE + 1];
        unsigned int dn = 0;
        /* Of the value, whatever files it went to. */
        if (EVP_Digest(set.items[i].value, set.items[i].len, digest, &dn, EVP_sha256(), NULL) != 1)
            memset(digest, 0, sizeof(digest));
        hex_encode(digest, STORE_DIGEST_SIZE, hex);
        json_array_append_new(written, json_pack("{s:s, s:s}", "name", set.items[i].name,
                                                 "sha256", hex));
    }
    *result = json_pack("{s:o, s:b, s:o, s:o}", "written", written ? written : json_null(),
                        "ready", s->ready, "missing", missing_json(s), "sender",
                        from ? json_string(from->name) : json_null());
    pthread_mutex_unlock(&s->write_lock);
    if (!*result)
        r = wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
out:
    secret_set_wipe(&set);
    plan_free(&plan);
    free(ms);
    /* Refusals are the client's doing (rate-limited); write failures were logged. */
    if (r < 0 && !streq(e->code, WIRE_E_IO))
        log_client("%s", e->message);
    return r;
}

/* ------------------------------------------------------------------------ */
/* secrets.status                                                           */

int secrets_status(struct secrets *s, json_t **result, struct wire_error *e)
{
    json_t *list = json_array(), *senders = json_array();

    pthread_mutex_lock(&s->write_lock);
    for (size_t i = 0; list && i < s->m->n; i++) {
        int by = s->sender_of[i];
        json_array_append_new(list, json_pack("{s:s, s:b, s:b, s:o}", "name",
                                              s->m->secrets[i].name, "required",
                                              s->m->secrets[i].required, "present",
                                              s->present[i], "sender", by >= 0
                                              ? json_string(s->m->senders[by].name)
                                              : json_null()));
    }
    for (size_t i = 0; senders && i < s->m->n_senders; i++)
        json_array_append_new(senders, json_string(s->m->senders[i].name));
    /* senders: [] means anyone who reaches the agent can deliver. */
    *result = json_pack("{s:o, s:b, s:o, s:o, s:s}", "secrets", list ? list : json_null(),
                        "ready", s->ready, "missing", missing_json(s), "senders",
                        senders ? senders : json_null(), "replace",
                        manifest_replace_name(s->m->replace));
    pthread_mutex_unlock(&s->write_lock);
    if (!*result)
        return wire_errorf(e, WIRE_E_INTERNAL, "out of memory");
    return 0;
}
