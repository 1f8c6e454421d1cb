/* SPDX-License-Identifier: MIT */
/*
 * /etc/tdx-agent/agent.json of a native image: the agent's --config file
 * (docs/agent.md) and the "init" object that only init mode reads
 * (docs/build.md, "Image contents"): modules in load order, the network,
 * the services it supervises, what happens when they end.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"
#include "json-text.h"
#include "recipe/paths.h"

#define EXEC_WORDS_MAX 256

int exec_split(const char *line, char ***argv)
{
    char **v = NULL;
    const char *p = line;

    for (;;) {
        strbuf w = STRBUF_INIT;
        char quote = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        while (*p && (quote || (*p != ' ' && *p != '\t'))) {
            if (!quote && (*p == '"' || *p == '\'')) {
                quote = *p++;
            } else if (quote && *p == quote) {
                quote = 0;
                p++;
            } else if (*p == '\\' && p[1] && quote != '\'') {
                strbuf_putc(&w, p[1]);
                p += 2;
            } else {
                strbuf_putc(&w, *p++);
            }
        }
        if (quote || strv_length(v) >= EXEC_WORDS_MAX) {
            strbuf_free(&w);
            strv_free(v);
            return -EINVAL;
        }
        {
            char *s = strbuf_steal(&w, NULL);
            if (!s || strv_push_take(&v, s) < 0) {
                strv_free(v);
                return -ENOMEM;
            }
        }
    }
    if (!v) 
        return -EINVAL;
    *argv = v;
    return 0;
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    STRV_FOREACH(s, v)
        json_array_append_new(a, json_string(*s));
    return a;
}

static int service_json(const struct recipe *rec, const struct op *op, json_t **out,
                        tdx_error *err)
{
    const struct service_spec *s = &op->u.service;
    char **argv = NULL, **env_files = NULL, where[512];
    bool after_secrets = strv_contains(s->after, UNIT_SECRETS_READY) ||
                         strv_contains(s->requires, UNIT_SECRETS_READY);
    json_t *o;
    int r;

    op_where(op, "exec", where, sizeof(where));
    r = exec_split(s->exec, &argv);
    if (r == -ENOMEM)
        return tdx_err_oom(err);
    if (r < 0)
        return tdx_err(err, -EINVAL, "%s: expected a command line (words, quotes closed, at most "
                       "%d words)", where, EXEC_WORDS_MAX);
    if (argv[0][0] != '/') {
        strv_free(argv);
        return tdx_err(err, -EINVAL, "%s: the native backend runs programs by absolute path; got "
                       "\"%s\"", where, s->exec);
    }
    /* The environment files of its scopes, as the systemd units get them:
     * "-", a scope nothing was delivered to yet is no error. */
    r = recipe_service_env_files(rec, s->name, &env_files);
    for (size_t i = 0; r == 0 && env_files && env_files[i]; i++) {
        char *dash = NULL;
        if (asprintf(&dash, "-%s", env_files[i]) < 0)
            r = -ENOMEM;
        else
            free(env_files[i]), env_files[i] = dash;
    }
    if (r < 0) {
        strv_free(argv);
        strv_free(env_files);
        return tdx_err_oom(err);
    }
    o = json_pack("{s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:b}", "name", s->name, "exec",
                  strv_json(argv), "user", s->user ? s->user : "root", "environment",
                  json_object(), "environment_files", strv_json(env_files), "working_directory", "/",
                  "restart", s->restart ? s->restart : "no", "after_secrets", after_secrets);
    strv_free(argv);
    strv_free(env_files);
    if (o && (s->group || s->user))
        json_object_set_new(o, "group", json_string(s->group ? s->group : s->user));
    if (!o)
        return tdx_err_oom(err);
    *out = o;
    return 0;
}

int agent_config_render(const struct recipe *r, char *const *modules, char **out,
                        tdx_error *err)
{
    json_t *services = json_array(), *net, *init, *root;
    int rc;

    if (!services)
        return tdx_err_oom(err);
    for (size_t i = 0; i < r->services.n; i++) {
        json_t *s;
        rc = service_json(r, r->services.items[i], &s, err);
        if (rc < 0) {
            json_decref(services);
            return rc;
        }
        json_array_append_new(services, s);
    }
    net = json_pack("{s:s}", "mode", r->native.net_mode);
    if (net && r->native.net_interface)
        json_object_set_new(net, "interface", json_string(r->native.net_interface));
    if (net && streq(r->native.net_mode, "static")) {
        if (!r->native.net_address) {
            json_decref(net);
            json_decref(services);
            return tdx_err(err, -EINVAL, "network.address: required with mode \"static\"");
        }
        json_object_set_new(net, "address", json_string(r->native.net_address));
        if (r->native.net_gateway)
            json_object_set_new(net, "gateway", json_string(r->native.net_gateway));
        json_object_set_new(net, "dns", strv_json(r->native.net_dns));
    }
    init = json_pack("{s:o, s:o, s:o, s:s, s:b}", "modules", strv_json(modules), "network", net,
                     "services", services, "on_exit", "poweroff", "test_provider",
                     r->native.test_provider);
    root = json_pack("{s:o, s:s, s:o}", "listen", strv_json(r->delivery.listen), "manifest",
                     "/" NATIVE_MANIFEST, "init", init);
    if (!root)
        return tdx_err_oom(err);
    *out = json_canonical_text(root);
    json_decref(root);
    return *out ? 0 : tdx_err_oom(err);
}
