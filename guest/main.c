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
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent-run.h"
#include "checks.h"
#include "config.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "parse-number.h"
#include "server.h"
#include "strv.h"
#include "test-pki.h"
#include "power-button.h"
#include "wait-secrets.h"

#define EXIT_USAGE 2

enum mode { MODE_SERVE, MODE_HOOKS, MODE_WAIT, MODE_INIT, MODE_POWER };
static const char *const mode_names[] = { "", "run-hooks", "wait-secrets", "init",
                                          "watch-power-button" };

/* How long watch-power-button waits for udev to load the button's driver. */
#define POWER_BUTTON_WAIT_S 60

static void help(void)
{
    printf("Usage: tdx-agent [--listen ADDR]... [OPTIONS]\n"
           "       tdx-agent run-hooks DIR [--timeout SEC] [--on-failure stop|continue|ignore]\n"
           "       tdx-agent wait-secrets [--manifest FILE] [--root-dir DIR] [--ready-file PATH]\n"
           "                              [--timeout SEC]\n"
           "       tdx-agent init [OPTIONS] [--hooks DIR] [-- PAYLOAD [ARG]...]\n"
           "       tdx-agent watch-power-button   (systemd images: the ACPI power button\n"
           "                                       powers off through systemd)\n"
           "       tdx-agent --help | --version\n\n"
           "The TDX guest agent: quotes, the event log and attested secret delivery over\n"
           "framed JSON (docs/agent.md, docs/protocol.md, docs/secrets.md).\n\n"
           "Options:\n"
           "  --listen ADDR            vsock:PORT, vsock:CID:PORT, tcp:ADDR:PORT or unix:/PATH;\n"
           "                           repeatable; sockets passed by systemd are used as well\n"
           "  --quote-provider P       configfs (default) or sim:DIR (TEST ONLY: simulated\n"
           "                           quotes signed by the test PKI in DIR)\n"
           "  --tsm-path DIR           configfs-tsm report directory (default %s)\n"
           "  --acpi-path DIR          ACPI tables directory (default %s)\n"
           "  --tpm-log-path FILE      the TPM's firmware event log (default\n"
           "                           %s)\n"
           "  --fw-cfg-path DIR        QEMU fw_cfg entries by name (default %s)\n"
           "  --efivars-path DIR       efivarfs, for the boot variables (default %s)\n"
           "  --manifest FILE          the image's secrets manifest (enables secrets.*)\n"
           "  --root-dir DIR           write secrets and look up their owners below DIR\n"
           "  --ready-file PATH        created once every required secret is present\n"
           "                           (default %s)\n"
           "  --challenge-ttl MS       how long a secrets challenge stays open (default 60000)\n"
           "  --max-challenges N       open challenges held at once (default 16)\n"
           "  --config FILE            JSON settings (docs/agent.md); options override it\n"
           "  --test-provider          TEST ONLY: when the host hands a test PKI over QEMU\n"
           "                           fw_cfg (an emulated run), quote with the simulator\n"
           "                           and it; without one, configfs as always\n"
           "  --max-connections N, --max-inflight N, --workers N\n"
           "  --idle-timeout MS, --frame-timeout MS, --write-timeout MS\n"
           "  --hooks DIR              (init) boot hooks to run first (default\n"
           "                           /etc/tdx-agent/hooks.d)\n"
           "  --timeout SEC            run-hooks/init: per hook; wait-secrets: give up after\n"
           "  -v, --verbose            log debug messages\n\n"
           "Exit status: 0 stopped by a signal (init: the payload's status), 1 failure,\n"
           "2 usage error.\n\n"
           "As PID 1 named init without arguments (a native image's /init), or as\n"
           "'tdx-agent init' alone: init --config " AGENT_CONFIG_FILE ".\n",
           AGENT_TSM_PATH, AGENT_ACPI_PATH, AGENT_TPM_LOG_PATH, AGENT_FW_CFG_PATH, AGENT_EFIVARS_PATH,
           AGENT_READY_FILE);
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
    OPT_LISTEN = 256, OPT_PROVIDER, OPT_TSM, OPT_ACPI, OPT_TPM_LOG, OPT_FW_CFG, OPT_EFIVARS, OPT_MANIFEST,
    OPT_CONFIG, OPT_MAXCONN,
    OPT_INFLIGHT, OPT_WORKERS, OPT_IDLE, OPT_FRAME, OPT_WRITE, OPT_TIMEOUT, OPT_POLICY,
    OPT_VERSION, OPT_ROOT, OPT_READY, OPT_TTL, OPT_CHALLENGES, OPT_HOOKS, OPT_TEST_PROVIDER,
};

static const struct option options[] = {
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "quote-provider", required_argument, NULL, OPT_PROVIDER },
    { "tsm-path", required_argument, NULL, OPT_TSM },
    { "acpi-path", required_argument, NULL, OPT_ACPI },
    { "tpm-log-path", required_argument, NULL, OPT_TPM_LOG },
    { "fw-cfg-path", required_argument, NULL, OPT_FW_CFG },
    { "efivars-path", required_argument, NULL, OPT_EFIVARS },
    { "manifest", required_argument, NULL, OPT_MANIFEST },
    { "root-dir", required_argument, NULL, OPT_ROOT },
    { "ready-file", required_argument, NULL, OPT_READY },
    { "challenge-ttl", required_argument, NULL, OPT_TTL },
    { "max-challenges", required_argument, NULL, OPT_CHALLENGES },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "max-connections", required_argument, NULL, OPT_MAXCONN },
    { "max-inflight", required_argument, NULL, OPT_INFLIGHT },
    { "workers", required_argument, NULL, OPT_WORKERS },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "frame-timeout", required_argument, NULL, OPT_FRAME },
    { "write-timeout", required_argument, NULL, OPT_WRITE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "on-failure", required_argument, NULL, OPT_POLICY },
    { "hooks", required_argument, NULL, OPT_HOOKS },
    { "test-provider", no_argument, NULL, OPT_TEST_PROVIDER },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* Which options each mode takes; the rest are usage errors there. */
static bool option_allowed(enum mode mode, int opt)
{
    switch (mode) {
    case MODE_HOOKS:
        return opt == OPT_TIMEOUT || opt == OPT_POLICY || opt == OPT_CONFIG || opt == 'v';
    case MODE_WAIT:
        return opt == OPT_MANIFEST || opt == OPT_ROOT || opt == OPT_READY || opt == OPT_TIMEOUT ||
               opt == OPT_CONFIG || opt == 'v';
    case MODE_SERVE:
        return opt != OPT_TIMEOUT && opt != OPT_POLICY && opt != OPT_HOOKS;
    case MODE_INIT:
        return opt != OPT_TEST_PROVIDER;   /* init reads init.test_provider */
    case MODE_POWER:
        return opt == 'v';
    }
    return false;
}

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
    for (int i = 1; i < argc && !streq(argv[i], "--"); i++) {
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

static int parse_number(const char *opt, const char *arg, unsigned min, unsigned max,
                        unsigned *out)
{
    uint64_t v;
    if (parse_u64(arg, min, max, &v) < 0) {
        fprintf(stderr, "tdx-agent: %s: expected a number from %u to %u, got \"%s\"\n", opt,
                min, max, arg);
        return -EINVAL;
    }
    *out = (unsigned)v;
    return 0;
}

static int set_abs_path(const char *opt, char **field, const char *value)
{
    const char *why = check_abs_path(value);
    if (why) {
        fprintf(stderr, "tdx-agent: %s: %s, got \"%s\"\n", opt, why, value);
        return -EINVAL;
    }
    return set_path(field, value);
}

struct extra_options {
    unsigned wait_timeout_s;   /* wait-secrets */
    char *hooks_dir;           /* init */
    char **payload;            /* init: what follows "--" (borrowed from argv) */
    bool test_provider;        /* daemon: --test-provider */
};

/* Returns 0, -1 after --help/--version, or an exit status. */
static int parse_options(int argc, char **argv, enum mode mode, struct agent_config *c,
                         struct extra_options *x)
{
    char **listen = NULL;
    unsigned timeout = 0;
    bool timeout_set = false;
    int opt, r = 0;

    if (load_config_option(argc, argv, c) < 0)
        return EXIT_FAILURE;
    opterr = 0;
    optind = mode == MODE_SERVE ? 1 : 2;
    while (r == 0 && (opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        if (opt != 'h' && opt != OPT_VERSION && opt != '?' && !option_allowed(mode, opt)) {
            strv_free(listen);
            return usage("%s: not an option of %s", argv[optind - 1],
                         mode == MODE_SERVE ? "the daemon" : mode_names[mode]);
        }
        switch (opt) {
        case OPT_LISTEN: {
            const char *why = check_listen(optarg);
            if (why) {
                fprintf(stderr, "tdx-agent: --listen %s: %s\n", optarg, why);
                strv_free(listen);
                return EXIT_USAGE;
            }
            r = strv_push(&listen, optarg);
            break;
        }
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
        case OPT_TPM_LOG: r = set_path(&c->tpm_log_path, optarg); break;
        case OPT_FW_CFG: r = set_path(&c->fw_cfg_path, optarg); break;
        case OPT_EFIVARS: r = set_path(&c->efivars_path, optarg); break;
        case OPT_MANIFEST: r = set_path(&c->manifest, optarg); break;
        case OPT_ROOT: r = set_abs_path("--root-dir", &c->root_dir, optarg); break;
        case OPT_READY: r = set_abs_path("--ready-file", &c->ready_file, optarg); break;
        case OPT_HOOKS: r = set_path(&x->hooks_dir, optarg); break;
        case OPT_TEST_PROVIDER: x->test_provider = true; break;
        case OPT_CONFIG: break;   /* applied first */
        case OPT_TTL: r = parse_number("--challenge-ttl", optarg, 1, CONFIG_MAX_TIMEOUT_MS, &c->challenge_ttl_ms); break;
        case OPT_CHALLENGES: r = parse_number("--max-challenges", optarg, 1, CONFIG_MAX_CHALLENGES, &c->max_challenges); break;
        case OPT_MAXCONN: r = parse_number("--max-connections", optarg, 1, CONFIG_MAX_CONNECTIONS, &c->max_connections); break;
        case OPT_INFLIGHT: r = parse_number("--max-inflight", optarg, 1, CONFIG_MAX_INFLIGHT, &c->max_inflight); break;
        case OPT_WORKERS: r = parse_number("--workers", optarg, 1, CONFIG_MAX_WORKERS, &c->workers); break;
        case OPT_IDLE: r = parse_number("--idle-timeout", optarg, 1, CONFIG_MAX_TIMEOUT_MS, &c->idle_timeout_ms); break;
        case OPT_FRAME: r = parse_number("--frame-timeout", optarg, 1, CONFIG_MAX_TIMEOUT_MS, &c->frame_timeout_ms); break;
        case OPT_WRITE: r = parse_number("--write-timeout", optarg, 1, CONFIG_MAX_TIMEOUT_MS, &c->write_timeout_ms); break;
        case OPT_TIMEOUT:
            /* wait-secrets: 0 waits forever; hooks: 1 s to a day. */
            r = parse_number("--timeout", optarg, mode == MODE_WAIT ? 0 : 1,
                             mode == MODE_WAIT ? 31536000 : 86400, &timeout);
            timeout_set = true;
            break;
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
    if (timeout_set) {
        if (mode == MODE_WAIT)
            x->wait_timeout_s = timeout;
        else
            c->hook_timeout_s = timeout;
    }
    return 0;
}

/* Where the daemon copies a test PKI: systemd's RuntimeDirectory= (its
 * first entry) when it runs as a unit, else the directory init uses. */
static int test_pki_dest(char *buf, size_t size)
{
    const char *rt = getenv("RUNTIME_DIRECTORY");
    size_t n = rt ? strcspn(rt, ":") : 0;

    if (n == 0 || rt[0] != '/')
        return snprintf(buf, size, "%s", TEST_PKI_DIR) < (int)size ? 0 : -ENAMETOOLONG;
    return snprintf(buf, size, "%.*s/test-pki", (int)n, rt) < (int)size ? 0 : -ENAMETOOLONG;
}

static int serve(struct agent_config *c, bool test_provider)
{
    struct agent_run run;
    char pki_dir[4096];
    sigset_t mask;
    int r;

    if (test_pki_dest(pki_dir, sizeof(pki_dir)) < 0) {
        log_error("RUNTIME_DIRECTORY is too long");
        return EXIT_FAILURE;
    }
    if (test_pki_select(c, test_provider, pki_dir) < 0)
        return EXIT_FAILURE;

    /* Blocked before the worker threads start, so only the loop sees them. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    if (agent_run_start(&run, c, NULL, NULL) < 0)
        return EXIT_FAILURE;
    r = server_run(run.server);
    if (r < 0)
        log_error("event loop failed: %s", strerror(-r));
    agent_run_stop(&run);
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int run_mode(enum mode mode, int argc, char **argv, struct agent_config *c,
                    struct extra_options *x)
{
    switch (mode) {
    case MODE_SERVE:
        if (optind != argc)
            return usage("unexpected argument '%s'", argv[optind]);
        return serve(c, x->test_provider);
    case MODE_HOOKS:
        if (optind + 1 != argc)
            return usage("run-hooks: expected exactly one DIR");
        return hooks_run(argv[optind], c->hook_timeout_s, c->hook_policy);
    case MODE_WAIT:
        if (optind != argc)
            return usage("wait-secrets: unexpected argument '%s'", argv[optind]);
        return wait_secrets(c, x->wait_timeout_s);
    case MODE_INIT:
        if (optind != argc)
            return usage("init: unexpected argument '%s' (the payload goes after --)",
                         argv[optind]);
        if (x->payload && !x->payload[0])
            return usage("init: expected PAYLOAD [ARG]... after --");
        return init_run(c, x->hooks_dir, x->payload);
    case MODE_POWER: {
        static const struct power_button_paths paths = POWER_BUTTON_PATHS_DEFAULT;
        if (optind != argc)
            return usage("watch-power-button: unexpected argument '%s'", argv[optind]);
        /* SIGRTMIN+4: systemd's "start poweroff.target". No button: nothing to do. */
        int r = power_button_run(&paths, POWER_BUTTON_WAIT_S, 1, SIGRTMIN + 4);
        return r == -ENOENT ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    }
    return EXIT_FAILURE;
}

/* PID 1 must not exit (the kernel panics): a bad configuration or command
 * line powers the machine off with the reason on the console. */
__attribute__((noreturn)) static void pid1_exit(int status)
{
    fprintf(stderr, "tdx-agent: error: init cannot continue (status %d): powering off\n", status);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
    static char init_cmd[] = "init", config_opt[] = "--config", config_file[] = AGENT_CONFIG_FILE;
    char *init_argv[] = { NULL, init_cmd, config_opt, config_file, NULL };
    struct extra_options x = { 0 };
    enum mode mode = MODE_SERVE;
    struct agent_config c;
    int r;

    log_setup();
    /* The /init of a native image (docs/agent.md, "Init mode"). The kernel
     * hands PID 1 every command-line word it does not know as an argument
     * and every NAME=value without a dot as an environment variable; in a
     * TD the host writes that command line. So PID 1 takes neither: its
     * arguments are always `init --config /etc/tdx-agent/agent.json` (an
     * option from the host could otherwise pick the quote provider, the
     * manifest or the services), and it starts from a fixed environment
     * (BASH_ENV, LISTEN_FDS or NOTIFY_SOCKET from the host would reach
     * hooks, services or the agent's own socket activation). */
    if (getpid() == 1 && streq(basename_of(argv[0]), "init")) {
        if (argc > 1)
            fprintf(stderr, "tdx-agent: warning: ignoring %d argument(s) from the kernel "
                    "command line, starting with \"%.64s\"\n", argc - 1, argv[1]);
        if (clearenv() != 0 ||
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1) < 0 ||
            setenv("HOME", "/", 1) < 0 || setenv("TERM", "linux", 1) < 0)
            pid1_exit(EXIT_FAILURE);
        init_argv[0] = argv[0];
        argv = init_argv;
        argc = 4;
    } else if (argc == 2 && streq(argv[1], "init")) {
        init_argv[0] = argv[0];
        argv = init_argv;
        argc = 4;
    }
    if (argc > 1 && argv[1][0] != '-') {
        for (size_t i = 1; i < ELEMENTSOF(mode_names) && mode == MODE_SERVE; i++)
            if (streq(argv[1], mode_names[i]))
                mode = (enum mode)i;
        if (mode == MODE_SERVE)
            return usage("unknown command '%s'", argv[1]);
    }
    if (config_init(&c) < 0) {
        fprintf(stderr, "tdx-agent: out of memory\n");
        return EXIT_FAILURE;
    }
    /* init's payload is everything after "--"; the options end there. */
    for (int i = 1; mode == MODE_INIT && i < argc; i++)
        if (streq(argv[i], "--")) {
            x.payload = argv + i + 1;
            argc = i;
            break;
        }
    r = parse_options(argc, argv, mode, &c, &x);
    if (r == 0) {
        log_set_max_level(c.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
        r = run_mode(mode, argc, argv, &c, &x);
    }
    free(x.hooks_dir);
    config_done(&c);
    if (getpid() == 1)
        pid1_exit(r < 0 ? EXIT_SUCCESS : r);
    return r < 0 ? EXIT_SUCCESS : r;
}
