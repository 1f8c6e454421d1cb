/* SPDX-License-Identifier: MIT */
/* tdxctl secrets: push / status / list / keygen. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "verify-args.h"

static void help(void)
{
    printf("Usage: tdxctl secrets push   --connect ADDR --secrets FILE\n"
           "                             (--expected FILE | --policy FILE | --any-measurements) [OPTIONS]\n"
           "       tdxctl secrets status --connect ADDR [--json]\n"
           "       tdxctl secrets list   RECIPE.json [--profile NAME] [--json]\n"
           "       tdxctl secrets keygen -o KEY [--json]\n\n"
           "push    verify the agent's quote, then seal the secrets to its one-use key\n"
           "        and deliver them (docs/secrets.md); nothing is sent unless every\n"
           "        check passed\n"
           "status  which of the image's secrets the agent has (names only)\n"
           "list    the secrets a recipe's image expects: name, destination, owner,\n"
           "        mode, whether required, and the value's schema, and who may deliver\n"
           "keygen  make a sender key pair: the private key into the new file KEY (0600),\n"
           "        the public key printed as secret_delivery.senders[].public_key takes it\n\n"
           "Options for push:\n"
           "  -c, --connect ADDR          vsock:CID:PORT, tcp:HOST:PORT or unix:PATH\n"
           "  -s, --secrets FILE          a JSON object {\"name\": \"value\"} or NAME=value lines\n"
           "      --any-measurements      push to any TD whose quote verifies (no --expected)\n"
           "      --sender-key KEY        seal as this sender (HPKE auth mode); required by an\n"
           "                              image whose recipe lists senders\n"
           VERIFY_ARGS_HELP
           "      --insecure-unattested   DEVELOPMENT ONLY: no quote, no verification; the\n"
           "                              image's manifest must allow it too\n"
           "      --connect-timeout MS    keep retrying a booting agent this long (default 30000)\n"
           "Other options:\n"
           "  -p, --profile NAME          the profile to list (default: the default profile)\n"
           "  -o, --output KEY            keygen: the private key file to create\n"
           "      --json                  machine-readable output\n"
           "  -h, --help                  show this help\n\n"
           "push exits 0 only when the agent wrote every secret.\n");
}

/* Secret values never go to a file others can read; say so when the
 * input is one. */
static void warn_if_readable(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077))
        cli_warn("%s is readable by other users (mode %04o); keep secrets files at 0600", path,
                 (unsigned)(st.st_mode & 07777));
}

/* Who may deliver, said plainly when it is anyone. */
static void print_senders(json_t *senders)
{
    json_t *v;
    size_t i;
    if (json_array_size(senders) == 0) {
        printf("senders: none: anyone who reaches the agent can deliver these secrets "
               "(secret_delivery.senders in the recipe limits it; docs/secrets.md)\n");
        return;
    }
    printf("senders:");
    json_array_foreach(senders, i, v)
        printf("%s %s", i ? "," : "", json_is_string(v) ? json_string_value(v)
               : json_string_value(json_object_get(v, "name")));
    printf(" (only deliveries sealed with their keys are taken)\n");
}

static void print_push(const tdx_push_result *res, const char *addr, const tdx_secrets *secrets)
{
    char *text = NULL;
    json_t *o, *v, *ver;
    size_t i;

    if (tdx_push_result_to_json(res, &text, NULL) < 0 || !(o = json_loads(text, 0, NULL))) {
        tdx_free(text);
        return;
    }
    tdx_free(text);
    cli_printable_json(o);
    ver = json_object_get(o, "verification");
    if (!json_is_true(json_object_get(o, "attested")))
        printf("quote:     NONE (unattested development delivery: nothing was verified)\n");
    else if (json_is_object(ver))
        printf("quote:     %s%s%s%s\n",
               json_is_true(json_object_get(ver, "verified")) ? "verified" : "NOT verified",
               json_is_string(json_object_get(ver, "tcb_status")) ? ", TCB " : "",
               json_is_string(json_object_get(ver, "tcb_status"))
                   ? json_string_value(json_object_get(ver, "tcb_status")) : "",
               json_is_true(json_object_get(o, "simulated"))
                   ? " (SIMULATED by the agent's test provider: proves nothing)" : "");
    if (json_is_true(json_object_get(o, "delivered"))) {
        printf("delivered: %zu secret%s to %s (challenge %s)\n", tdx_secrets_count(secrets),
               tdx_secrets_count(secrets) == 1 ? "" : "s", addr,
               json_string_value(json_object_get(o, "challenge_id")));
        if (json_is_string(json_object_get(o, "sender")))
            printf("sender:    %s (the agent checked the sender key)\n",
                   json_string_value(json_object_get(o, "sender")));
        else
            printf("sender:    none (this image lists no senders: anyone who reaches the agent "
                   "can deliver)\n");
        json_array_foreach(json_object_get(o, "written"), i, v)
            printf("  %-24s sha256 %s\n", json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "sha256")));
        if (json_is_true(json_object_get(o, "ready"))) {
            printf("ready:     yes (every required secret is present)\n");
        } else {
            printf("ready:     no; still missing:");
            json_array_foreach(json_object_get(o, "missing"), i, v)
                printf("%s %s", i ? "," : "", json_string_value(v));
            printf("\n");
        }
    }
    json_decref(o);
}

static int do_push(const struct cli *cli, const char *addr, const tdx_agent_options *ao,
                   const char *file, const char *sender_key, const struct verify_args *va,
                   bool any, bool unattested)
{
    unsigned char key[TDX_SENDER_KEY_SIZE];
    tdx_agent *agent = NULL;
    tdx_push_options po = TDX_PUSH_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_secrets *secrets = NULL;
    tdx_push_result *res = NULL;
    struct verify_setup v = { 0 };
    tdx_verify_step step;
    char *text = NULL;
    int r;

    if (!unattested) {
        r = verify_setup(va, cli, &v, &step, &err);
        if (r < 0) {
            if (r == -EINVAL && !err.message[0])
                return EXIT_USAGE;
            return cli_failf(cli, r, "quote: %s%s%s (nothing was sent)", tdx_verify_step_name(step),
                             step ? ": " : "", err.message);
        }
        if (v.opts.report_data) {
            verify_setup_done(&v);
            return cli_usage(cli, "push: the policy %s sets report_data, but a push binds "
                             "REPORTDATA to its own challenge", va->policy);
        }
        if (!v.opts.expected && !any) {
            verify_setup_done(&v);
            return cli_usage(cli, "push: the policy %s has no \"expected\" measurements: "
                             "give them there or with --expected, or --any-measurements", va->policy);
        }
        if (!va->collateral && !va->pccs)
            cli_warn("no collateral (--collateral or --pccs): the TCB status and revocations are "
                     "not checked");
        po.verifier = v.verifier;
        po.verify = &v.opts;
        po.accept_any_measurements = any;
    } else {
        cli_warn("INSECURE: --insecure-unattested: the agent's key is not attested, so whoever "
                 "sits between here and the agent can read these secrets. Development only.");
        po.insecure_unattested = 1;
    }
    warn_if_readable(file);
    if (sender_key) {
        if (tdx_sender_key_load(sender_key, key, &err) < 0) {
            verify_setup_done(&v);
            return cli_fail(cli, &err);
        }
        po.sender_key = key;
    }
    if (tdx_secrets_load_file(&secrets, file, &err) < 0) {
        explicit_bzero(key, sizeof(key));
        verify_setup_done(&v);
        return cli_fail(cli, &err);
    }
    /* Everything local is in order before the agent is asked anything. */
    if (tdx_agent_connect(&agent, addr, ao, &err) < 0) {
        explicit_bzero(key, sizeof(key));
        verify_setup_done(&v);
        tdx_secrets_free(secrets);
        return cli_fail(cli, &err);
    }
    r = tdx_secrets_push(agent, secrets, &po, &res, &err);
    explicit_bzero(key, sizeof(key));
    if (r < 0) {
        tdx_error shown = { .code = r };
        json_t *body = NULL;

        snprintf(shown.message, sizeof(shown.message), "%.440s%s", err.message,
                 !tdx_push_result_sent(res) ? " (nothing was sent)"
                 : tdx_push_result_refused(res) ? " (the agent changed nothing)"
                 : " (check 'tdxctl secrets status')");
        if (cli->json && res && tdx_push_result_to_json(res, &text, NULL) == 0) {
            body = json_loads(text, 0, NULL);
            tdx_free(text);
        }
        r = cli_fail_with(cli, &shown, body);
    } else if (cli->json) {
        if (tdx_push_result_to_json(res, &text, &err) < 0)
            r = cli_fail(cli, &err);
        else
            r = cli_print_ok(cli, json_loads(text, 0, NULL));
        tdx_free(text);
    } else {
        print_push(res, tdx_agent_address(agent), secrets);
        r = EXIT_OK;
    }
    tdx_push_result_free(res);
    tdx_agent_free(agent);
    verify_setup_done(&v);
    tdx_secrets_free(secrets);
    return r;
}

static int do_status(const struct cli *cli, tdx_agent *agent)
{
    tdx_error err = TDX_ERROR_INIT;
    char *text = NULL;
    json_t *o, *v;
    size_t i;

    if (tdx_secrets_status(agent, &text, &err) < 0)
        return cli_fail(cli, &err);
    o = json_loads(text, 0, NULL);
    tdx_free(text);
    if (!o)
        return cli_failf(cli, -EPROTO, "%s: secrets.status: unreadable reply",
                         tdx_agent_address(agent));
    json_object_del(o, "id");
    if (cli->json)
        return cli_print_ok(cli, o);
    cli_printable_json(o);
    printf("ready: %s\n", json_is_true(json_object_get(o, "ready")) ? "yes" : "no");
    print_senders(json_object_get(o, "senders"));
    json_array_foreach(json_object_get(o, "secrets"), i, v)
        printf("  %-24s %-8s  %s\n", json_string_value(json_object_get(v, "name")),
               json_is_true(json_object_get(v, "required")) ? "required" : "optional",
               json_is_true(json_object_get(v, "present")) ? "present" : "missing");
    json_decref(o);
    return EXIT_OK;
}

static int do_list(const struct cli *cli, const char *recipe, const char *profile)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = NULL;
    char *text = NULL;
    json_t *m, *v;
    size_t i;

    if (tdx_image_load_file(&image, recipe, &err) < 0)
        return cli_fail(cli, &err);
    if (tdx_image_secrets_manifest(image, profile, &text, &err) < 0) {
        tdx_image_free(image);
        return cli_fail(cli, &err);
    }
    tdx_image_free(image);
    m = json_loads(text, 0, NULL);
    tdx_free(text);
    if (!m)
        return cli_failf(cli, -ENOMEM, "out of memory");
    if (cli->json)
        return cli_print_ok(cli, json_pack("{s:o}", "manifest", m));
    cli_printable_json(m);
    if (json_is_true(json_object_get(m, "insecure_allow_unattested")))
        printf("INSECURE: this image accepts unattested deliveries (development profile)\n");
    printf("%-24s %-8s %-7s %-15s %-5s %-15s %s\n", "NAME", "REQUIRED", "KIND", "BYTES", "MODE",
           "OWNER:GROUP", "DESTINATION");
    json_array_foreach(json_object_get(m, "secrets"), i, v) {
        json_t *schema = json_object_get(v, "schema");
        char bytes[40], owner[80];
        snprintf(bytes, sizeof(bytes), "%lld-%lld",
                 (long long)json_integer_value(json_object_get(schema, "min_length")),
                 (long long)json_integer_value(json_object_get(schema, "max_length")));
        snprintf(owner, sizeof(owner), "%s:%s", json_string_value(json_object_get(v, "owner")),
                 json_string_value(json_object_get(v, "group")));
        printf("%-24s %-8s %-7s %-15s %-5s %-15s %s\n",
               json_string_value(json_object_get(v, "name")),
               json_is_true(json_object_get(v, "required")) ? "yes" : "no",
               json_string_value(json_object_get(schema, "kind")), bytes,
               json_string_value(json_object_get(v, "mode")), owner,
               json_is_string(json_object_get(v, "dest"))
                   ? json_string_value(json_object_get(v, "dest")) : "(environment only)");
        {
            json_t *t;
            size_t k;
            json_array_foreach(json_object_get(v, "env"), k, t)
                printf("%-24s env %s (%s)\n", "", json_string_value(json_object_get(t, "name")),
                       json_string_value(json_object_get(t, "scope")));
        }
        if (json_is_string(json_object_get(schema, "pattern")))
            printf("%-24s pattern %s\n", "", json_string_value(json_object_get(schema, "pattern")));
    }
    if (json_array_size(json_object_get(m, "secrets")) == 0)
        printf("(no secrets)\n");
    else
        print_senders(json_object_get(m, "senders"));
    json_decref(m);
    return EXIT_OK;
}

static int do_keygen(const struct cli *cli, const char *path)
{
    tdx_error err = TDX_ERROR_INIT;
    char *public_key = NULL;
    int r;

    if (tdx_sender_key_generate(path, &public_key, &err) < 0)
        return cli_fail(cli, &err);
    if (cli->json) {
        r = cli_print_ok(cli, json_pack("{s:s, s:s}", "public_key", public_key,
                                        "private_key_file", path));
    } else {
        printf("%s\n", public_key);
        r = EXIT_OK;
    }
    tdx_free(public_key);
    return r;
}

int cmd_secrets(const struct cli *cli_in, int argc, char **argv)
{
    enum { O_ANY = 256, O_UNATTESTED, O_TIMEOUT, O_JSON, O_SENDER };
    static const struct option options[] = {
        { "connect", required_argument, NULL, 'c' },
        { "secrets", required_argument, NULL, 's' },
        { "profile", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "sender-key", required_argument, NULL, O_SENDER },
        { "any-measurements", no_argument, NULL, O_ANY },
        { "insecure-unattested", no_argument, NULL, O_UNATTESTED },
        { "connect-timeout", required_argument, NULL, O_TIMEOUT },
        VERIFY_ARGS_OPTIONS,
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    struct verify_args va = VERIFY_ARGS_INIT;
    tdx_agent_options ao = TDX_AGENT_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_agent *agent = NULL;
    const char *addr = NULL, *file = NULL, *profile = NULL, *output = NULL, *sender = NULL, *verb;
    bool any = false, unattested = false, verify_opts = false;
    int c, r;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":c:s:p:o:h", options, NULL)) != -1) {
        r = verify_args_option(&va, c, optarg, &cli);
        if (r == EXIT_USAGE)
            return r;
        if (r == 1) {
            verify_opts = true;
            continue;
        }
        switch (c) {
        case 'c':
            if (cli_parse_agent_address(&cli, optarg, &addr) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 's': file = optarg; break;
        case 'p': profile = optarg; break;
        case 'o': output = optarg; break;
        case O_SENDER: sender = optarg; break;
        case O_ANY: any = true; break;
        case O_UNATTESTED: unattested = true; break;
        case O_TIMEOUT:
            if (cli_connect_timeout(&cli, optarg, &ao) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case O_JSON: cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(&cli, "expected a verb: push, status, list or keygen");
    verb = argv[optind];
    if (!strcmp(verb, "keygen")) {
        if (optind + 1 != argc)
            return cli_usage(&cli, "keygen: unexpected argument '%s'", argv[optind + 1]);
        if (!output)
            return cli_usage(&cli, "keygen: -o KEY is required");
        if (addr || file || profile || sender || verify_opts || any || unattested)
            return cli_usage(&cli, "keygen takes only -o and --json");
        return do_keygen(&cli, output);
    }
    if (output)
        return cli_usage(&cli, "-o goes with 'keygen'");
    if (sender && strcmp(verb, "push"))
        return cli_usage(&cli, "--sender-key goes with 'push'");
    if (!strcmp(verb, "list")) {
        if (optind + 2 != argc)
            return cli_usage(&cli, "list: expected one RECIPE.json");
        if (addr || file || verify_opts || any || unattested)
            return cli_usage(&cli, "list takes only --profile and --json");
        return do_list(&cli, argv[optind + 1], profile);
    }
    if (strcmp(verb, "push") && strcmp(verb, "status"))
        return cli_usage(&cli, "unknown verb '%s'", verb);
    if (optind + 1 != argc)
        return cli_usage(&cli, "%s: unexpected argument '%s'", verb,
                         argv[optind + 1]);
    if (!addr)
        return cli_usage(&cli, "%s: --connect ADDR is required", verb);
    if (profile)
        return cli_usage(&cli, "--profile goes with 'list'");
    if (!strcmp(verb, "status") && (file || verify_opts || any || unattested))
        return cli_usage(&cli, "status takes only --connect and --json");
    if (!strcmp(verb, "push")) {
        if (!file)
            return cli_usage(&cli, "push: --secrets FILE is required");
        if (unattested && (verify_opts || any))
            return cli_usage(&cli, "push: --insecure-unattested verifies nothing; "
                             "it takes no verification options");
        if (!unattested && !va.expected && !va.policy && !any)
            return cli_usage(&cli, "push: give --expected FILE, or "
                             "--any-measurements to push to any TD whose quote verifies");
        if (va.expected && any)
            return cli_usage(&cli, "push: --expected and --any-measurements "
                             "exclude each other");
    }
    if (!strcmp(verb, "push"))
        return do_push(&cli, addr, &ao, file, sender, &va, any, unattested);
    if (tdx_agent_connect(&agent, addr, &ao, &err) < 0)
        return cli_fail(&cli, &err);
    r = do_status(&cli, agent);
    tdx_agent_free(agent);
    return r;
}
