/* SPDX-License-Identifier: MIT */
#include "agent-run.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent-addr.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "manifest.h"
#include "msg.h"
#include "quote-provider.h"
#include "secrets.h"
#include "server.h"
#include "strbuf.h"
#include "strv.h"

static int open_provider(struct agent *a, char *msg, size_t n)
{
    const struct agent_config *c = a->config;
    if (startswith(c->quote_provider, "sim:")) {
        int r = quote_sim_new(c->quote_provider + 4, &a->provider, msg, n);
        if (r >= 0)
            log_warning("QUOTE PROVIDER IS THE SIMULATOR (%s): quotes are signed by a test PKI, "
                        "prove nothing, and verify only against its own root. Never use this "
                        "outside development and tests.", c->quote_provider + 4);
        return r;
    }
    if (access(c->tsm_path, F_OK) < 0)
        log_warning("%s does not exist (%m): quote requests will fail until configfs-tsm is "
                    "there (not a TDX guest, or configfs not mounted?)", c->tsm_path);
    return quote_configfs_new(c->tsm_path, NULL, NULL, &a->provider, msg, n);
}

/* Sockets systemd passed, then --listen addresses. */
static int open_listeners(struct server *s, const struct agent_config *c, char *msg, size_t n)
{
    char **names = NULL;
    int count = daemon_listen_fds(&names), r = 0;

    if (count < 0) {
        return msgf(msg, n, count, "malformed socket activation variables: %s", strerror(-count));
    }
    for (int i = 0; i < count && r >= 0; i++) {
        int fd = DAEMON_LISTEN_FDS_START + i;
        r = listen_adopt(fd, msg, n);
        if (r >= 0)
            r = server_add_listener(s, fd, NULL, msg, n);
        if (r >= 0)
            log_info("serving the socket systemd passed as \"%s\"", names[i]);
    }
    strv_free(names);
    STRV_FOREACH(addr, c->listen) {
        struct agent_addr a;
        int fd;
        if (r < 0)
            break;
        r = listen_open(*addr, &fd, msg, n);
        if (r >= 0) {
            agent_addr_parse(*addr, AGENT_ADDR_LISTEN, &a);
            r = server_add_listener(s, fd, a.kind == AGENT_ADDR_UNIX ? *addr + 5 : NULL, msg, n);
        }
    }
    if (r >= 0 && count == 0 && strv_length(c->listen) == 0) {
        return msgf(msg, n, -EINVAL, "nothing to listen on: give --listen ADDR or start from a socket unit");
    }
    return r;
}

static int open_secrets(struct agent *a, void (*on_ready)(void *), void *userdata, char *msg,
                        size_t n)
{
    const struct agent_config *c = a->config;
    struct secrets_options o = {
        .root_dir = c->root_dir,
        .ready_file = c->ready_file,
        .challenge_ttl_ms = c->challenge_ttl_ms,
        .max_challenges = c->max_challenges,
        .on_ready = on_ready,
        .userdata = userdata,
    };
    int r = manifest_load(c->manifest, &a->manifest, msg, n);
    if (r < 0)
        return r;
    log_info("manifest %s: %zu secrets, %zu required%s", c->manifest, a->manifest->n,
             a->manifest->n_required,
             a->manifest->insecure_allow_unattested
                 ? "; INSECURE: unattested deliveries allowed (development image)" : "");
    return secrets_new(a->manifest, a->provider, &o, &a->secrets, msg, n);
}

static void release(struct agent_run *run)
{
    server_free(run->server);
    secrets_free(run->agent.secrets);
    quote_provider_free(run->agent.provider);
    manifest_free(run->agent.manifest);
    strv_free(run->agent.listeners);
    run->server = NULL;
    run->agent = (struct agent){ 0 };
}

int agent_run_start(struct agent_run *run, struct agent_config *c, void (*on_ready)(void *),
                    void *userdata)
{
    struct agent *a = &run->agent;
    char msg[600], status[900];
    sigset_t mask;
    uint64_t usec;
    int r, sfd;

    *run = (struct agent_run){ .agent = { .config = c, .started_ms = now_ms() } };
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);   /* before threads: jansson seeds its hash lazily */

    r = open_provider(a, msg, sizeof(msg));
    if (r >= 0 && c->manifest)
        r = open_secrets(a, on_ready, userdata, msg, sizeof(msg));
    if (r >= 0)
        r = server_new(a, &run->server, msg, sizeof(msg));
    if (r >= 0) {
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        r = sfd < 0 ? -errno : server_watch_signals(run->server, sfd);
        if (r < 0)
            msgf(msg, sizeof(msg), r, "cannot watch signals: %s", strerror(-r));
    }
    if (r >= 0)
        r = open_listeners(run->server, c, msg, sizeof(msg));
    if (r < 0) {
        log_error("%s", msg);
        snprintf(status, sizeof(status), "STATUS=Failed: %s", msg);
        daemon_notify(status);
        release(run);
        return r;
    }
    if (daemon_watchdog(&usec) > 0)
        server_set_watchdog(run->server, usec);

    {
        strbuf where = STRBUF_INIT;
        STRV_FOREACH(l, a->listeners)
            strbuf_printf(&where, "%s%s", where.len ? ", " : "", *l);
        log_info("tdx-agent %s serving on %s; quote provider %s", AGENT_VERSION,
                 strbuf_str(&where), a->provider->name);
        snprintf(status, sizeof(status), "READY=1\nSTATUS=Serving on %.400s (quote provider %s%s)%s",
                 strbuf_str(&where), a->provider->name,
                 a->provider->simulated ? ", SIMULATED" : "",
                 !a->secrets ? "" : secrets_ready(a->secrets) ? "; secrets ready"
                                                              : "; waiting for secrets");
        strbuf_free(&where);
    }
    daemon_notify(status);
    return 0;
}

void agent_run_stop(struct agent_run *run)
{
    daemon_notify("STOPPING=1");
    release(run);
}
