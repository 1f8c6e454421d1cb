/* SPDX-License-Identifier: MIT */
/* tdxctl recipe: check / profiles / show. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: tdxctl recipe check RECIPE.json\n"
           "       tdxctl recipe profiles RECIPE.json\n"
           "       tdxctl recipe show RECIPE.json [--profile NAME]\n\n"
           "check     load the recipe and resolve every profile; report the first error\n"
           "profiles  list the profiles, the default one first\n"
           "show      print the effective recipe of a profile as JSON\n\n"
           "Options:\n"
           "  -p, --profile NAME   profile for 'show' (default: the default profile)\n"
           "      --json           machine-readable output\n"
           "  -h, --help           show this help\n");
}

int cmd_recipe(const struct cli *cli_in, int argc, char **argv)
{
    static const struct option options[] = {
        { "profile", required_argument, NULL, 'p' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = *cli_in;
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = NULL;
    const char *profile = NULL, *verb, *file;
    int c, r, status = EXIT_OK;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":p:h", options, NULL)) != -1) {
        switch (c) {
        case 'p': profile = optarg; break;
        case 'J': cli.json = true; break;
        case 'h': help(); return EXIT_OK;
        default:
            return cli_option_error(&cli, c, argv);
        }
    }
    if (optind + 2 != argc)
        return cli_usage(&cli, "expected a verb (check, profiles, show) and RECIPE.json");
    verb = argv[optind];
    file = argv[optind + 1];
    if (strcmp(verb, "check") && strcmp(verb, "profiles") && strcmp(verb, "show"))
        return cli_usage(&cli, "unknown verb '%s'", verb);
    if (profile && strcmp(verb, "show"))
        return cli_usage(&cli, "--profile goes with 'show'");

    r = tdx_image_load_file(&image, file, &err);
    if (r < 0)
        return cli_fail(&cli, &err);

    if (!strcmp(verb, "show")) {
        char *text = NULL;
        r = tdx_image_effective_json(image, profile, &text, &err);
        if (r < 0)
            status = cli_fail(&cli, &err);
        else
            status = cli_print_document(&cli, "recipe", text, strlen(text));
        tdx_free(text);
    } else {
        json_t *names = json_array();
        size_t n = tdx_image_profile_count(image);
        for (size_t i = 0; i < n && status == EXIT_OK; i++) {
            const char *name = tdx_image_profile_name(image, i);
            if (!strcmp(verb, "check")) {
                char *text = NULL;
                r = tdx_image_effective_json(image, name, &text, &err);
                tdx_free(text);
                if (r < 0)
                    status = cli_fail(&cli, &err);
            }
            json_array_append_new(names, json_string(name));
            if (!cli.json && !strcmp(verb, "profiles"))
                printf("%s\n", name);
        }
        if (status == EXIT_OK && cli.json)
            cli_print_ok(&cli, json_pack("{s:s, s:O}", "image", tdx_image_name(image),
                                     "profiles", names));
        else if (status == EXIT_OK && !strcmp(verb, "check"))
            printf("%s: ok (image \"%s\", %zu profile%s)\n", file, tdx_image_name(image), n,
                   n == 1 ? "" : "s");
        json_decref(names);
    }
    tdx_image_free(image);
    return status;
}
