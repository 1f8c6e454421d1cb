/* SPDX-License-Identifier: MIT */
#include "init-config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "env-file.h"
#include "macro.h"
#include "strv.h"

/* Where a value is: "init.services[2].exec[0]". */
struct at {
    char path[160];
    char *msg;
    size_t msg_size;
};

static int bad(struct at *at, const char *key, const char *fmt, ...) _printf_(3, 4);
static int bad(struct at *at, const char *key, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(at->msg, at->msg_size, "%s%s%s: %s", at->path, key ? "." : "", key ? key : "", what);
    return -EINVAL;
}

/* A JSON path one level down, for the duration of a call. */
static void at_push(struct at *at, size_t *saved, const char *fmt, ...) _printf_(3, 4);
static void at_push(struct at *at, size_t *saved, const char *fmt, ...)
{
    size_t n = strlen(at->path);
    va_list ap;
    *saved = n;
    va_start(ap, fmt);
    vsnprintf(at->path + n, sizeof(at->path) - n, fmt, ap);
    va_end(ap);
}

static void at_pop(struct at *at, size_t saved)
{
    at->path[saved] = '\0';
}

static const char *const restarts[] = { "no", "on-failure", "always", NULL };
static const char *const net_modes[] = { "none", "dhcp", "static", NULL };
static const char *const on_exits[] = { "poweroff", "stay", NULL };

const char *init_restart_name(enum init_restart r)
{
    return restarts[r];
}

const char *init_net_mode_name(enum init_net_mode m)
{
    return net_modes[m];
}

static int pick(struct at *at, const char *key, const json_t *v, const char *const *names,
                int *out)
{
    if (json_is_string(v))
        for (int i = 0; names[i]; i++)
            if (streq(json_string_value(v), names[i])) {
                *out = i;
                return 0;
            }
    {
        char list[120] = "";
        for (int i = 0; names[i]; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
                     i ? ", " : "", names[i]);
        if (json_is_string(v))
            return bad(at, key, "expected one of %s, got \"%.64s\"", list, json_string_value(v));
        return bad(at, key, "expected one of %s", list);
    }
}

static int get_bool(struct at *at, const char *key, const json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return bad(at, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

static int dup_string(const json_t *v, char **out)
{
    char *s = strdup(json_string_value(v));
    if (!s)
        return -ENOMEM;
    free(*out);
    *out = s;
    return 0;
}

/* An absolute path ("/" too when allow_root). */
static int get_path(struct at *at, const char *key, const json_t *v, bool allow_root, char **out)
{
    const char *why;
    if (!json_is_string(v))
        return bad(at, key, "expected a string");
    if (!(allow_root && streq(json_string_value(v), "/")) &&
        (why = check_abs_path(json_string_value(v))))
        return bad(at, key, "%s, got \"%.200s\"", why, json_string_value(v));
    return dup_string(v, out);
}

static int string_array(struct at *at, const char *key, const json_t *v, size_t min, size_t max,
                        const char *(*check)(const char *), char ***out)
{
    char **list = NULL;
    size_t i, saved;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max)
        return bad(at, key, "expected an array of %zu to %zu strings", min, max);
    at_push(at, &saved, ".%s", key);
    json_array_foreach(v, i, e) {
        const char *why;
        char idx[24];
        snprintf(idx, sizeof(idx), "[%zu]", i);
        if (!json_is_string(e) || json_string_length(e) > INIT_MAX_ARG_LEN) {
            strv_free(list);
            strncat(at->path, idx, sizeof(at->path) - strlen(at->path) - 1);
            return bad(at, NULL, "expected a string of at most %d bytes", INIT_MAX_ARG_LEN);
        }
        if (check && (why = check(json_string_value(e)))) {
            strv_free(list);
            strncat(at->path, idx, sizeof(at->path) - strlen(at->path) - 1);
            return bad(at, NULL, "%s, got \"%.200s\"", why, json_string_value(e));
        }
        if (strv_push(&list, json_string_value(e)) < 0) {
            strv_free(list);
            return -ENOMEM;
        }
    }
    at_pop(at, saved);
    strv_free(*out);
    *out = list;
    return 0;
}

int init_parse_ipv4(const char *s, uint32_t *out)
{
    uint8_t b[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        const char *e = p;
        unsigned long long v;
        while (*e >= '0' && *e <= '9')
            e++;
        if (!parse_decimal(p, (size_t)(e - p), 255, &v))
            return -EINVAL;
        b[i] = (uint8_t)v;
        if (i < 3 && *e != '.')
            return -EINVAL;
        if (i == 3 && *e != '\0')
            return -EINVAL;
        p = e + 1;
    }
    memcpy(out, b, 4);
    return 0;
}

static int get_ipv4(struct at *at, const char *key, const json_t *v, uint32_t *out)
{
    if (!json_is_string(v) || init_parse_ipv4(json_string_value(v), out) < 0)
        return bad(at, key, "expected an IPv4 address (a.b.c.d)");
    return 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
    uint32_t host = prefix ? 0xffffffffu << (32 - prefix) : 0;
    uint8_t b[4] = { (uint8_t)(host >> 24), (uint8_t)(host >> 16), (uint8_t)(host >> 8),
                     (uint8_t)host };
    uint32_t m;
    memcpy(&m, b, 4);
    return m;
}

static const char *check_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || streq(s, ".") || streq(s, "..") ||
        !chars_all_in(s, "_.-@:", true))
        return "expected an interface name of 1 to 15 letters, digits and _.-@:";
    return NULL;
}

static int parse_network(struct at *at, const json_t *v, struct init_network *n)
{
    const json_t *m;
    const char *key;
    const json_t *address = NULL, *gateway = NULL, *dns = NULL;
    size_t saved;
    int r = 0, mode;

    if (!json_is_object(v))
        return bad(at, "network", "expected an object");
    at_push(at, &saved, ".network");
    m = json_object_get(v, "mode");
    if (!m)
        return bad(at, NULL, "\"mode\" is required");
    if ((r = pick(at, "mode", m, net_modes, &mode)) < 0)
        return r;
    n->mode = (enum init_net_mode)mode;
    json_object_foreach((json_t *)v, key, m) {
        if (streq(key, "mode"))
            continue;
        if (streq(key, "interface")) {
            const char *why;
            if (!json_is_string(m))
                return bad(at, key, "expected a string");
            if ((why = check_ifname(json_string_value(m))))
                return bad(at, key, "%s, got \"%.64s\"", why, json_string_value(m));
            if ((r = dup_string(m, &n->interface)) < 0)
                return r;
        } else if (streq(key, "address"))
            address = m;
        else if (streq(key, "gateway"))
            gateway = m;
        else if (streq(key, "dns"))
            dns = m;
        else
            return bad(at, NULL, "unknown key \"%.64s\"", key);
    }
    if (n->mode != INIT_NET_STATIC) {
        const char *extra = address ? "address" : gateway ? "gateway" : dns ? "dns" : NULL;
        if (extra)
            return bad(at, extra, "only with \"mode\": \"static\" (DHCP supplies it)");
        if (n->mode == INIT_NET_NONE && n->interface)
            return bad(at, "interface", "meaningless with \"mode\": \"none\"");
        at_pop(at, saved);
        return 0;
    }
    if (!address)
        return bad(at, NULL, "\"address\" is required with \"mode\": \"static\"");
    {
        const char *s = json_is_string(address) ? json_string_value(address) : NULL;
        const char *slash = s ? strchr(s, '/') : NULL;
        char ip[16];
        unsigned long long prefix;
        if (!slash || (size_t)(slash - s) >= sizeof(ip) ||
            !parse_decimal(slash + 1, strlen(slash + 1), 32, &prefix) || prefix == 0)
            return bad(at, "address", "expected an IPv4 address with a prefix length 1..32 "
                                      "(\"10.0.2.15/24\")");
        memcpy(ip, s, (size_t)(slash - s));
        ip[slash - s] = '\0';
        if (init_parse_ipv4(ip, &n->address) < 0)
            return bad(at, "address", "expected an IPv4 address with a prefix length 1..32 "
                                      "(\"10.0.2.15/24\")");
        n->prefix = (unsigned)prefix;
    }
    if (gateway) {
        uint32_t mask = prefix_mask(n->prefix);
        if ((r = get_ipv4(at, "gateway", gateway, &n->gateway)) < 0)
            return r;
        if ((n->gateway & mask) != (n->address & mask) || n->gateway == n->address)
            return bad(at, "gateway", "not another address of the network of \"address\"");
    }
    if (dns) {
        size_t i;
        const json_t *e;
        if (!json_is_array(dns) || json_array_size(dns) > INIT_MAX_DNS)
            return bad(at, "dns", "expected an array of at most %d IPv4 addresses", INIT_MAX_DNS);
        json_array_foreach(dns, i, e) {
            char k[32];
            snprintf(k, sizeof(k), "dns[%zu]", i);
            if ((r = get_ipv4(at, k, e, &n->dns[i])) < 0)
                return r;
        }
        n->n_dns = json_array_size(dns);
    }
    at_pop(at, saved);
    return 0;
}

static const char *check_service_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > INIT_SERVICE_NAME_MAX || s[0] == '.' || s[0] == '-' ||
        !chars_all_in(s, "_.-@", true))
        return "expected a name of 1 to 64 letters, digits and _.-@ (not starting with . or -)";
    return NULL;
}

static const char *check_env_file(const char *s)
{
    return check_abs_path(s[0] == '-' ? s + 1 : s);
}

static int parse_environment(struct at *at, const json_t *v, char ***out)
{
    const char *key;
    const json_t *m;
    size_t saved;

    if (!json_is_object(v) || json_object_size(v) > INIT_MAX_ENV)
        return bad(at, "environment", "expected an object of at most %d strings", INIT_MAX_ENV);
    at_push(at, &saved, ".environment");
    json_object_foreach((json_t *)v, key, m) {
        char *kv;
        if (!env_name_valid(key) || strlen(key) > 256)
            return bad(at, NULL, "\"%.64s\" is not a variable name (letters, digits and _, "
                                 "not starting with a digit)", key);
        if (!json_is_string(m) || json_string_length(m) > INIT_MAX_ENV_VALUE ||
            !env_value_valid(json_string_value(m)))
            return bad(at, key, "expected a string of at most %d bytes without control "
                                "characters other than tab and newline", INIT_MAX_ENV_VALUE);
        if (asprintf(&kv, "%s=%s", key, json_string_value(m)) < 0)
            return -ENOMEM;
        if (strv_push_take(out, kv) < 0)
            return -ENOMEM;
    }
    at_pop(at, saved);
    return 0;
}

static int parse_service(struct at *at, const json_t *v, struct init_service *s)
{
    const char *key;
    const json_t *m;
    int r = 0, pol;

    if (!json_is_object(v))
        return bad(at, NULL, "expected an object");
    s->after_secrets = true;
    if (!json_object_get(v, "name"))
        return bad(at, NULL, "\"name\" is required");
    if (!json_object_get(v, "exec"))
        return bad(at, NULL, "\"exec\" is required");
    json_object_foreach((json_t *)v, key, m) {
        const char *why;
        if (streq(key, "name")) {
            if (!json_is_string(m))
                return bad(at, key, "expected a string");
            if ((why = check_service_name(json_string_value(m))))
                return bad(at, key, "%s, got \"%.64s\"", why, json_string_value(m));
            r = dup_string(m, &s->name);
        } else if (streq(key, "exec")) {
            r = string_array(at, key, m, 1, INIT_MAX_ARGS, NULL, &s->exec);
            if (r == 0 && (why = check_abs_path(s->exec[0]))) {
                size_t saved;
                at_push(at, &saved, ".exec[0]");
                return bad(at, NULL, "%s, got \"%.200s\"", why, s->exec[0]);
            }
        } else if (streq(key, "user") || streq(key, "group")) {
            if (!json_is_string(m))
                return bad(at, key, "expected a string");
            if ((why = check_user_name(json_string_value(m))))
                return bad(at, key, "%s, got \"%.64s\"", why, json_string_value(m));
            r = dup_string(m, streq(key, "user") ? &s->user : &s->group);
        } else if (streq(key, "environment"))
            r = parse_environment(at, m, &s->environment);
        else if (streq(key, "environment_files"))
            r = string_array(at, key, m, 0, INIT_MAX_ENV_FILES, check_env_file,
                             &s->environment_files);
        else if (streq(key, "working_directory"))
            r = get_path(at, key, m, true, &s->working_directory);
        else if (streq(key, "restart")) {
            r = pick(at, key, m, restarts, &pol);
            s->restart = (enum init_restart)pol;
        } else if (streq(key, "after_secrets"))
            r = get_bool(at, key, m, &s->after_secrets);
        else
            return bad(at, NULL, "unknown key \"%.64s\"", key);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_services(struct at *at, const json_t *v, struct init_config *ic)
{
    size_t i, saved;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) > INIT_MAX_SERVICES)
        return bad(at, "services", "expected an array of at most %d services", INIT_MAX_SERVICES);
    ic->services = calloc(json_array_size(v) + 1, sizeof(*ic->services));
    if (!ic->services)
        return -ENOMEM;
    json_array_foreach(v, i, e) {
        int r;
        at_push(at, &saved, ".services[%zu]", i);
        ic->n_services = i + 1;
        r = parse_service(at, e, &ic->services[i]);
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (streq(ic->services[j].name, ic->services[i].name))
                return bad(at, "name", "\"%s\" is also the name of services[%zu]",
                           ic->services[i].name, j);
        at_pop(at, saved);
    }
    return 0;
}

static int parse(struct at *at, const json_t *v, struct init_config *ic)
{
    const char *key;
    const json_t *m;
    int r = 0, e;

    if (!json_is_object(v))
        return bad(at, NULL, "expected an object");
    json_object_foreach((json_t *)v, key, m) {
        if (streq(key, "modules"))
            r = string_array(at, key, m, 0, INIT_MAX_MODULES, check_abs_path, &ic->modules);
        else if (streq(key, "network"))
            r = parse_network(at, m, &ic->network);
        else if (streq(key, "services"))
            r = parse_services(at, m, ic);
        else if (streq(key, "on_exit")) {
            r = pick(at, key, m, on_exits, &e);
            ic->on_exit = (enum init_on_exit)e;
        } else if (streq(key, "test_provider"))
            r = get_bool(at, key, m, &ic->test_provider);
        else
            return bad(at, NULL, "unknown key \"%.64s\"", key);
        if (r < 0)
            return r;
    }
    return 0;
}

int init_config_parse(const json_t *v, struct init_config **out, char *msg, size_t msg_size)
{
    struct at at = { .path = "init", .msg = msg, .msg_size = msg_size };
    struct init_config *ic = calloc(1, sizeof(*ic));
    int r;

    if (!ic)
        return -ENOMEM;
    r = parse(&at, v, ic);
    if (r < 0) {
        if (r == -ENOMEM)
            snprintf(msg, msg_size, "%s: out of memory", at.path);
        init_config_free(ic);
        return r;
    }
    *out = ic;
    return 0;
}

void init_service_done(struct init_service *s)
{
    free(s->name);
    strv_free(s->exec);
    free(s->user);
    free(s->group);
    strv_free(s->environment);
    strv_free(s->environment_files);
    free(s->working_directory);
    *s = (struct init_service){ 0 };
}

void init_config_free(struct init_config *ic)
{
    if (!ic)
        return;
    strv_free(ic->modules);
    free(ic->network.interface);
    for (size_t i = 0; i < ic->n_services; i++)
        init_service_done(&ic->services[i]);
    free(ic->services);
    free(ic);
}
