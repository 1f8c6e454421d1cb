/* SPDX-License-Identifier: MIT */
/* tdxctl: command-line front end of libtdxhost. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command {
    const char *name;
    cli_command_fn fn;
    const char *summary;
} commands[] = {
    { "agent", cmd_agent, "ask a running tdx-agent for its info, a quote or the event log" },
    { "build", cmd_build, "build a recipe into a bootable, measured image directory" },
    { "dev", cmd_dev, "development helpers: the quote simulator's test PKI" },
    { "emit", cmd_emit, "compile a recipe into an mkosi tree" },
    { "cloud", cmd_cloud, "cloud images: Azure fixed VHD, GCP tar.gz; the az/gcloud commands to deploy them" },
    { "mkosi", cmd_mkosi, "install a pinned mkosi 25 (Debian trixie) without pip, or check one" },
    { "recipe", cmd_recipe, "check a recipe, list its profiles, show an effective recipe" },
    { "fetch", cmd_fetch, "download a resource pinned by its SHA-256; print a resource's hash" },
    { "hash-tree", cmd_hash_tree, "print the tree hash of a directory" },
    { "lock", cmd_lock, "write, update or check tdx.lock: every input of a recipe pinned by hash" },
    { "deb", cmd_deb, "resolve, fetch and extract Debian packages through the signed index" },
    { "quote", cmd_quote, "show a TDX quote's fields, verify it against Intel's chain and a policy" },
    { "measure", cmd_measure, "expected MRTD/RTMRs of a direct boot, or vTPM PCRs of a UKI" },
    { "pe-hash", cmd_pe_hash, "Authenticode digest of a PE/EFI image" },
    { "eventlog", cmd_eventlog, "show, replay or diff a TCG2/CCEL event log" },
    { "secrets", cmd_secrets, "push secrets to an agent after its quote verified; status; list" },
    { "run", cmd_run, "boot a native build under QEMU: a TD, or emulated with a test PKI" },
    { "acpi", cmd_acpi, "capture QEMU's ACPI tables for RTMR0 by booting the image once" },
    { "deploy", cmd_deploy, "copy a build to another host over SSH with its run.sh; start it" },
    { "stop", cmd_stop, "power off a VM started by 'tdxctl run', then kill it after a timeout" },
};

static void help(void)
{
    printf("Usage: tdxctl [--json] COMMAND [ARGS...]\n"
           "       tdxctl --help | --version\n\n"
           "Build, measure, attest and feed secrets to Intel TDX confidential VMs.\n\n"
           "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions:\n"
           "  --json      machine-readable output on stdout (also accepted after COMMAND)\n"
           "  --help      show this help; 'tdxctl COMMAND --help' for a command\n"
           "  --version   show the version\n\n"
           "Exit status: 0 success, 1 failure (message on stderr), 2 usage error.\n"
           "See tdxctl(1).\n");
}

/* --json anywhere before "--" asks for JSON, so that a usage error met
 * before a command's parser reaches --json is reported as JSON too. */
static bool wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    struct cli cli = { argv[0], NULL, wants_json(argc, argv) };
    int i = 1;

    cli_install_signal_cleanup();

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help();
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            if (cli.json)
                return cli_print_ok(&cli, json_pack("{s:s, s:s}", "version", TDXHOST_VERSION,
                                                    "library", tdx_version()));
            printf("tdxctl %s (libtdxhost %s)\n", TDXHOST_VERSION, tdx_version());
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0) {
            cli.json = true;
            continue;
        }
        return cli_usage(&cli, "unknown option '%s'", argv[i]);
    }
    if (i >= argc)
        return cli_usage(&cli, "no command given");
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
        if (strcmp(argv[i], commands[c].name) == 0) {
            cli.cmd = commands[c].name;
            return commands[c].fn(&cli, argc - i, argv + i);
        }
    return cli_usage(&cli, "unknown command '%s'", argv[i]);
}
