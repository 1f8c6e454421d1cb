/* SPDX-License-Identifier: MIT */
/* tdx-agent: the in-guest daemon (docs/agent.md, tdx-agent(8)). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent-addr.h"
#include "agent-core.h"
#include "checks.h"
#include "config.h"
#include "daemon.h"
#include "hooks.h"
#include "listen.h"
#include "log.h"
#include "manifest.h"
#include "quote-provider.h"
#include "server.h"
#include "strbuf.h"
#include "strv.h"

#define EXIT_USAGE 2

static void help(void)
{
    printf("Usage: tdx-agent [--listen ADDR]... [OPTIONS]\n"
           "       tdx-agent run-hooks DIR [--timeout SEC] [--on-failure stop|continue|ignore]\n"
           "       tdx-agent --help | --version\n\n"
           "The TDX guest agent: quotes, event log and (later) secrets over framed JSON.\n\n"
           "Options:\n"
           "  --listen ADDR            vsock:PORT, vsock:CID:PORT, tcp:ADDR:PORT or unix:/PATH;\n"
           "                           repeatable; sockets passed by systemd are used as well\n"
           "  --quote-provider P       configfs (default) or sim:DIR (TEST ONLY: simulated\n"
           "                           quotes signed by the test PKI in DIR)\n"
           "  --tsm-path DIR           configfs-tsm report directory (default %s)\n"
           "  --acpi-path DIR          ACPI tables directory (default %s)\n"
           "  --manifest FILE          the image's secrets manifest\n"
           "  --config FILE            JSON settings (docs/agent.md); options override it\n"
           "  --max-connections N, --max-inflight N, --workers N\n"
           "  --idle-timeout MS, --frame-timeout MS, --write-timeout MS\n"
           "  -v, --verbose            log debug messages\n\n"
           "Exit status: 0 stopped by a signal, 1 failure, 2 usage error.\n",
           AGENT_TSM_PATH, AGENT_ACPI_PATH);
}

static int usage(const char *fmt, ...) _printf_(1, 2);
static int usage(const char *fmt, ...)
{
    va_list ap;
    fputs("tdx-agent: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'tdx-agent --help'.\n", stderr);
    return EXIT_USAGE;
}

enum {
    OPT_LISTEN = 256, OPT_PROVIDER, OPT_TSM, OPT_ACPI, OPT_MANIFEST, OPT_CONFIG, OPT_MAXCONN,
    OPT_INFLIGHT, OPT_WORKERS, OPT_IDLE, OPT_FRAME, OPT_WRITE, OPT_TIMEOUT, OPT_POLICY,
    OPT_VERSION,
};

static const struct option options[] = {
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "quote-provider", required_argument, NULL, OPT_PROVIDER },
    { "tsm-path", required_argument, NULL, OPT_TSM },
    { "acpi-path", required_argument, NULL, OPT_ACPI },
    { "manifest", required_argument, NULL, OPT_MANIFEST },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "max-connections", required_argument, NULL, OPT_MAXCONN },
    { "max-inflight", required_argument, NULL, OPT_INFLIGHT },
    { "workers", required_argument, NULL, OPT_WORKERS },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "frame-timeout", required_argument, NULL, OPT_FRAME },
    { "write-timeout", required_argument, NULL, OPT_WRITE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "on-failure", required_argument, NULL, OPT_POLICY },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

static int set_path(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

/* The config file first, wherever --config appears, so options override it. */
static int load_config_option(int argc, char **argv, struct agent_config *c)
{
    char msg[512];
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if (streq(argv[i], "--config") && i + 1 < argc)
            file = argv[i + 1];
        else if (startswith(argv[i], "--config="))
            file = argv[i] + 9;
        if (file && config_load(c, file, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "tdx-agent: %s\n", msg);
            return -EINVAL;
        }
    }
    return 0;
}

static int parse_number(const char *opt, const char *arg, unsigned long long max, unsigned *out)
{
    unsigned long long v;
    if (config_parse_uint(arg, 1, max, &v) < 0) {
        fprintf(stderr, "tdx-agent: %s: expected a number from 1 to %llu, got \"%s\"\n", opt, max,
                arg);
        return -EINVAL;
    }
    *out = (unsigned)v;
    return 0;
}

/* Returns 0, or an exit status. */
static int parse_options(int argc, char **argv, struct agent_config *c, bool hooks_mode)
{
    char **listen = NULL;
    int opt, r = 0;

    if (load_config_option(argc, argv, c) < 0)
        return EXIT_FAILURE;
    opterr = 0;
    optind = hooks_mode ? 2 : 1;
    while (r == 0 && (opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            if (hooks_mode)
                return usage("%s: not an option of run-hooks", "--listen");
            const char *why = check_listen(optarg);
            if (why) {
                fprintf(stderr, "tdx-agent: --listen %s: %s\n", optarg, why);
                strv_free(listen);
                return EXIT_USAGE;
            }
            r = strv_push(&listen, optarg);
            break;
        case OPT_PROVIDER:
            if (!streq(optarg, "configfs") && !(startswith(optarg, "sim:") && optarg[4])) {
                strv_free(listen);
                return usage("--quote-provider: expected \"configfs\" or \"sim:DIR\", got \"%s\"",
                             optarg);
            }
            r = set_path(&c->quote_provider, optarg);
            break;
        case OPT_TSM: r = set_path(&c->tsm_path, optarg); break;
        case OPT_ACPI: r = set_path(&c->acpi_path, optarg); break;
        case OPT_MANIFEST: r = set_path(&c->manifest, optarg); break;
        case OPT_CONFIG: break;   /* applied first */
        case OPT_MAXCONN: r = parse_number("--max-connections", optarg, CONFIG_MAX_CONNECTIONS, &c->max_connections); break;
        case OPT_INFLIGHT: r = parse_number("--max-inflight", optarg, CONFIG_MAX_INFLIGHT, &c->max_inflight); break;
        case OPT_WORKERS: r = parse_number("--workers", optarg, CONFIG_MAX_WORKERS, &c->workers); break;
        case OPT_IDLE: r = parse_number("--idle-timeout", optarg, CONFIG_MAX_TIMEOUT_MS, &c->idle_timeout_ms); break;
        case OPT_FRAME: r = parse_number("--frame-timeout", optarg, CONFIG_MAX_TIMEOUT_MS, &c->frame_timeout_ms); break;
        case OPT_WRITE: r = parse_number("--write-timeout", optarg, CONFIG_MAX_TIMEOUT_MS, &c->write_timeout_ms); break;
        case OPT_TIMEOUT: r = parse_number("--timeout", optarg, 86400, &c->hook_timeout_s); break;
        case OPT_POLICY:
            if (config_parse_policy(optarg, &c->hook_policy) < 0) {
                strv_free(listen);
                return usage("--on-failure: expected stop, continue or ignore, got \"%s\"", optarg);
            }
            break;
        case 'v': c->verbose = true; break;
        case 'h': help(); strv_free(listen); return -1;
        case OPT_VERSION: printf("tdx-agent %s\n", AGENT_VERSION); strv_free(listen); return -1;
        default:
            strv_free(listen);
            return usage("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (r < 0) {
        strv_free(listen);
        return r == -ENOMEM ? EXIT_FAILURE : EXIT_USAGE;
    }
    if (listen) {
        strv_free(c->listen);
        c->listen = listen;
    }
    return 0;
}

static int run_hooks(int argc, char **argv)
{
    struct agent_config c;
    int r;

    if (config_init(&c) < 0)
        return EXIT_FAILURE;
    r = parse_options(argc, argv, &c, true);
    if (r == 0 && optind + 1 != argc)
        r = usage("run-hooks: expected exactly one DIR");
    if (r == 0) {
        log_set_max_level(c.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
        r = hooks_run(argv[optind], c.hook_timeout_s, c.hook_policy);
    }
    config_done(&c);
    return r < 0 ? EXIT_SUCCESS : r;
}

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
        snprintf(msg, n, "malformed socket activation variables: %s", strerror(-count));
        return count;
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
        snprintf(msg, n, "nothing to listen on: give --listen ADDR or start from a socket unit");
        return -EINVAL;
    }
    return r;
}

static int serve(struct agent_config *c)
{
    struct agent a = { .config = c, .started_ms = now_ms() };
    struct server *s = NULL;
    char msg[600], status[800];
    sigset_t mask;
    uint64_t usec;
    int r, sfd;

    /* Blocked before the worker threads start, so only the loop sees them. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);   /* before threads: jansson seeds its hash lazily */

    r = open_provider(&a, msg, sizeof(msg));
    if (r >= 0 && c->manifest) {
        r = manifest_load(c->manifest, &a.manifest, msg, sizeof(msg));
        if (r >= 0)
            log_info("manifest %s: %zu secrets, %zu required", c->manifest, a.manifest->n,
                     a.manifest->n_required);
    }
    if (r >= 0)
        r = server_new(&a, &s, msg, sizeof(msg));
    if (r >= 0) {
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        r = sfd < 0 ? -errno : server_watch_signals(s, sfd);
        if (r < 0)
            snprintf(msg, sizeof(msg), "cannot watch signals: %s", strerror(-r));
    }
    if (r >= 0)
        r = open_listeners(s, c, msg, sizeof(msg));
    if (r < 0) {
        log_error("%s", msg);
        snprintf(status, sizeof(status), "STATUS=Failed: %s", msg);
        daemon_notify(status);
        server_free(s);
        quote_provider_free(a.provider);
        manifest_free(a.manifest);
        strv_free(a.listeners);
        return EXIT_FAILURE;
    }
    if (daemon_watchdog(&usec) > 0)
        server_set_watchdog(s, usec);

    {
        strbuf where = STRBUF_INIT;
        STRV_FOREACH(l, a.listeners)
            strbuf_printf(&where, "%s%s", where.len ? ", " : "", *l);
        log_info("tdx-agent %s serving on %s; quote provider %s", AGENT_VERSION,
                 strbuf_str(&where), a.provider->name);
        snprintf(status, sizeof(status), "READY=1\nSTATUS=Serving on %s (quote provider %s%s)",
                 strbuf_str(&where), a.provider->name,
                 a.provider->simulated ? ", SIMULATED" : "");
        strbuf_free(&where);
    }
    daemon_notify(status);

    r = server_run(s);
    if (r < 0)
        log_error("event loop failed: %s", strerror(-r));
    daemon_notify("STOPPING=1");
    server_free(s);
    quote_provider_free(a.provider);
    manifest_free(a.manifest);
    strv_free(a.listeners);
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    struct agent_config c;
    int r;

    log_setup();
    if (argc > 1 && streq(argv[1], "run-hooks"))
        return run_hooks(argc, argv);
    if (argc > 1 && argv[1][0] != '-')
        return usage("unknown command '%s'", argv[1]);
    if (config_init(&c) < 0) {
        fprintf(stderr, "tdx-agent: out of memory\n");
        return EXIT_FAILURE;
    }
    r = parse_options(argc, argv, &c, false);
    if (r == 0 && optind != argc)
        r = usage("unexpected argument '%s'", argv[optind]);
    if (r == 0) {
        log_set_max_level(c.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
        r = serve(&c);
    }
    config_done(&c);
    return r < 0 ? EXIT_SUCCESS : r;
}
