/* SPDX-License-Identifier: MIT */
/* The agent's units as the emitter renders them from a recipe: sockets from
 * secret_delivery.listen, the sandbox's writable directories from the
 * secrets manifest, the boot hooks unit, and what debloat must keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build-internal.h"
#include "emit/emit-internal.h"
#include "helpers.h"

static char *rendered(const char *json, const char *image_path)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_image *image = load_json(json, NULL, &err);
    struct recipe *r = NULL;
    struct flat flat = FLAT_INIT;
    const struct tree_entry *e;
    char tree_path[600], *text = NULL;

    ck_assert_msg(image != NULL, "%s", err.message);
    ck_assert_msg(recipe_resolve(image, 0, &r, &err) == 0, "%s", err.message);
    ck_assert_msg(emit_flat(r, NULL, &flat, &err) == 0, "%s", err.message);
    /* An image path, or a path in the tree itself ("mkosi.postinst.d/..."). */
    if (image_path[0] == '/')
        overlay_path(tree_path, sizeof(tree_path), "mkosi.extra", image_path);
    else
        snprintf(tree_path, sizeof(tree_path), "%s", image_path);
    e = tree_find(&flat.tree, tree_path);
    if (e) {
        text = malloc(e->size + 1);
        memcpy(text, e->data, e->size);
        text[e->size] = '\0';
    }
    flat_free(&flat);
    recipe_free(r);
    tdx_image_free(image);
    return text;
}

#define UNITS "/usr/lib/systemd/system/"

START_TEST(listen_addresses_become_socket_lines)
{
    char *socket = rendered("{\"secret_delivery\": {\"listen\": [\"vsock:1050\", \"vsock:3:1051\", "
                            "\"tcp:127.0.0.1:8000\", \"tcp:[::1]:9000\", "
                            "\"unix:/run/tdx-agent/agent.sock\"]}}",
                            UNITS "tdx-agent.socket");
    char *service = rendered("{}", UNITS "tdx-agent.service");

    ck_assert_ptr_nonnull(socket);
    ck_assert_contains(socket, "\nListenStream=vsock::1050\nListenStream=vsock:3:1051\n"
                               "ListenStream=127.0.0.1:8000\nListenStream=[::1]:9000\n"
                               "ListenStream=/run/tdx-agent/agent.sock\nBindIPv6Only=ipv6-only\n");
    /* The service gets its sockets from systemd, not from --listen. */
    ck_assert_contains(service, "ExecStart=/usr/sbin/tdx-agent --manifest /etc/tdx-agent/secrets.json\n");
    ck_assert_contains(service, "Requires=tdx-agent.socket\n");
    ck_assert_contains(service, "SystemCallFilter=@system-service\n");
    ck_assert(!strstr(service, "--listen"));
    free(socket);
    free(service);
}
END_TEST

START_TEST(secret_directories_are_the_only_writable_ones)
{
    const char *json =
        "{\"users\": [{\"name\": \"app\"}], \"secrets\": ["
        "{\"name\": \"a\", \"dest\": \"/etc/app/a.key\", \"owner\": \"app\"},"
        "{\"name\": \"b\", \"dest\": \"/etc/app/b.key\"},"
        "{\"name\": \"c\", \"dest\": \"/run/we ird%dir/c\"}]}";
    char *service = rendered(json, UNITS "tdx-agent.service");
    char *dirs = rendered(json, "/etc/tmpfiles.d/tdx-secrets.conf");
    char *debloat;

    ck_assert_contains(service, "ProtectSystem=strict\nProtectHome=yes\n"
                                "ReadWritePaths=\"-/etc/app\"\n"
                                "ReadWritePaths=\"-/run/we ird%%dir\"\nPrivateTmp=yes\n");
    ck_assert_contains(dirs, "d /etc/app - - - -\nd \"/run/we ird%%dir\" - - - -\n");
    free(service);
    free(dirs);

    /* A secret under /root: its home is read-only, not hidden. */
    service = rendered("{\"secrets\": [{\"name\": \"k\", \"dest\": \"/root/.config/k\"}]}",
                       UNITS "tdx-agent.service");
    ck_assert_contains(service, "ProtectHome=read-only\nReadWritePaths=\"-/root/.config\"\n");
    free(service);

    /* No secrets: nothing writable, no tmpfiles entry. */
    service = rendered("{}", UNITS "tdx-agent.service");
    ck_assert_contains(service, "ProtectHome=yes\nPrivateTmp=yes\n");
    ck_assert_ptr_null(rendered("{}", "/etc/tmpfiles.d/tdx-secrets.conf"));
    free(service);

    /* Debloat keeps what the agent needs: configfs, and tmpfiles to make the directories. */
    debloat = rendered("{\"debloat\": {}, \"secrets\": [{\"name\": \"k\", \"dest\": \"/run/k/v\"}]}",
                       "mkosi.postinst.d/90-debloat-systemd.sh");
    ck_assert_ptr_nonnull(debloat);
    ck_assert_contains(debloat, " sys-kernel-config.mount ");
    ck_assert_contains(debloat, " systemd-tmpfiles-setup.service ");
    ck_assert_contains(debloat, "keep_bins=' journalctl systemctl systemd systemd-tmpfiles ");
    free(debloat);
}
END_TEST

/* Environment targets: the manifest lists them, the directory is made and
 * writable for the agent, and each service reads the files of its scopes. */
START_TEST(environment_targets_reach_units)
{
    const char *json =
        "{\"services\": [{\"name\": \"app\", \"exec\": \"/bin/app\"}, "
        "{\"name\": \"other\", \"exec\": \"/bin/other\"}], \"secrets\": ["
        "{\"name\": \"api\", \"targets\": [{\"env\": \"API_TOKEN\"}, "
        "{\"env\": \"TOKEN\", \"scope\": \"service:app\"}]},"
        "{\"name\": \"k\", \"targets\": [{\"file\": \"/etc/app/k\"}, {\"env\": \"K\", "
        "\"scope\": \"service:app\"}]}]}";
    char *app = rendered(json, "/etc/systemd/system/app.service");
    char *other = rendered(json, "/etc/systemd/system/other.service");
    char *dirs = rendered(json, "/etc/tmpfiles.d/tdx-secrets.conf");
    char *agent = rendered(json, UNITS "tdx-agent.service");
    char *manifest = rendered(json, "/etc/tdx-agent/secrets.json");

    ck_assert_contains(app, "EnvironmentFile=-/run/tdx-secrets/env/global.env\n"
                            "EnvironmentFile=-/run/tdx-secrets/env/service-app.env\n");
    ck_assert_contains(other, "EnvironmentFile=-/run/tdx-secrets/env/global.env\n");
    ck_assert(!strstr(other, "service-app.env"));
    ck_assert_contains(dirs, "d /run/tdx-secrets/env 0700 root root -\n");
    ck_assert_contains(agent, "ReadWritePaths=\"-/run/tdx-secrets/env\"\n");
    ck_assert_contains(manifest, "\"env\": [\n        {\n          \"name\": \"API_TOKEN\",\n"
                                 "          \"scope\": \"global\"\n        },\n        {\n"
                                 "          \"name\": \"TOKEN\",\n          \"scope\": \"service:app\"");
    ck_assert_contains(manifest, "\"dest\": \"/etc/app/k\"");
    /* The native image's init gets the same files (optional, "-"). */
    {
        tdx_error err = TDX_ERROR_INIT;
        tdx_image *image = load_json(json, NULL, &err);
        struct recipe *r = NULL;
        char *config = NULL;
        ck_assert_msg(image && recipe_resolve(image, 0, &r, &err) == 0, "%s", err.message);
        ck_assert_msg(agent_config_render(r, NULL, &config, &err) == 0, "%s", err.message);
        ck_assert_contains(config, "\"environment_files\": [\n"
                                   "          \"-/run/tdx-secrets/env/global.env\",\n"
                                   "          \"-/run/tdx-secrets/env/service-app.env\"\n");
        free(config);
        recipe_free(r);
        tdx_image_free(image);
    }
    free(app);
    free(other);
    free(dirs);
    free(agent);
    free(manifest);
    /* No environment targets: no lines. */
    app = rendered("{\"services\": [{\"name\": \"app\", \"exec\": \"/bin/app\"}]}",
                   "/etc/systemd/system/app.service");
    ck_assert(!strstr(app, "EnvironmentFile="));
    free(app);

    expect_load_error("{\"name\": \"x\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"k\", \"targets\": [{\"file\": \"/a\"}, {\"file\": \"/b\"}]}]}",
                      "secrets[0].targets[1]: file: a secret has one file", NULL);
    expect_load_error("{\"name\": \"x\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"k\", \"targets\": [{\"env\": \"1BAD\"}]}]}",
                      "targets[0].env: expected a variable name", NULL);
    expect_load_error("{\"name\": \"x\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"k\", \"targets\": [{\"env\": \"A\", \"file\": \"/a\"}]}]}",
                      "expected either \"file\" or \"env\"", NULL);
    expect_load_error("{\"name\": \"x\", \"base\": \"debian/bookworm\", \"secrets\": [{\"name\": "
                      "\"k\"}]}", "dest: required (or an environment target)", NULL);
}
END_TEST

/* Nothing else in the image answers the ACPI power button (no logind):
 * its own unit, outside the agent's sandbox, with input devices only. */
START_TEST(the_power_button_has_its_own_unit)
{
    char *unit = rendered("{}", UNITS "tdx-power-button.service");

    ck_assert_ptr_nonnull(unit);
    ck_assert_contains(unit, "ExecStart=/usr/sbin/tdx-agent watch-power-button\n");
    ck_assert_contains(unit, "DevicePolicy=closed\nDeviceAllow=char-input r\n");
    ck_assert_contains(unit, "PrivateNetwork=yes\n");
    ck_assert_contains(unit, "SystemCallFilter=@system-service\n");
    ck_assert_contains(unit, "CapabilityBoundingSet=\n");
    free(unit);
}
END_TEST

START_TEST(boot_hooks_have_their_own_unit)
{
    const char *json = "{\"on_boot\": [\"echo hi\"]}";
    char *hooks = rendered(json, UNITS "tdx-boot-hooks.service");
    char *preset = rendered(json, "/usr/lib/systemd/system-preset/10-tdx.preset");

    ck_assert_ptr_nonnull(hooks);
    ck_assert_contains(hooks, "ExecStart=/usr/sbin/tdx-agent run-hooks /usr/lib/tdx/on-boot.d\n");
    ck_assert_contains(hooks, "Before=tdx-agent.service\n");
    ck_assert_contains(preset, "enable tdx-agent.service\nenable tdx-agent.socket\n"
                               "enable tdx-power-button.service\n"
                               "enable tdx-boot-hooks.service\n");
    ck_assert_ptr_null(rendered("{}", UNITS "tdx-boot-hooks.service"));
    free(hooks);
    free(preset);
    /* The units are the emitter's: a recipe cannot replace them. */
    expect_load_error("{\"files\": [{\"dest\": \"/usr/lib/systemd/system/tdx-agent.socket\", "
                      "\"content\": \"x\"}]}", "tdx-agent.socket", NULL);
    expect_load_error("{\"files\": [{\"dest\": \"/usr/lib/systemd/system/tdx-boot-hooks.service\", "
                      "\"content\": \"x\"}]}", "tdx-boot-hooks.service", NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("agent-units");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, listen_addresses_become_socket_lines);
    tcase_add_test(tc, secret_directories_are_the_only_writable_ones);
    tcase_add_test(tc, boot_hooks_have_their_own_unit);
    tcase_add_test(tc, the_power_button_has_its_own_unit);
    tcase_add_test(tc, environment_targets_reach_units);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
