/* SPDX-License-Identifier: MIT */
#include "init-config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "env-file.h"
#include "json-reader.h"
#include "macro.h"
#include "strv.h"

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
        if (*e != (i < 3 ? '.' : '\0'))
            return -EINVAL;
        p = e + 1;
    }
    memcpy(out, b, 4);
    return 0;
}

static const char *check_ipv4(const char *s)
{
    uint32_t a;
    return init_parse_ipv4(s, &a) < 0 ? "expected an IPv4 address (a.b.c.d)" : NULL;
}

/* "a.b.c.d/prefix" with a prefix of 1..32. */
static int parse_cidr(const char *s, uint32_t *addr, unsigned *prefix)
{
    const char *slash = strchr(s, '/');
    char ip[16];
    unsigned long long p;

    if (!slash || (size_t)(slash - s) >= sizeof(ip) ||
        !parse_decimal(slash + 1, strlen(slash + 1), 32, &p) || p == 0)
        return -EINVAL;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    if (init_parse_ipv4(ip, addr) < 0)
        return -EINVAL;
    *prefix = (unsigned)p;
    return 0;
}

static const char *check_cidr(const char *s)
{
    uint32_t a;
    unsigned p;
    return parse_cidr(s, &a, &p) < 0 ? "expected an IPv4 address with a prefix length 1..32 "
                                       "(\"10.0.2.15/24\")" : NULL;
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
    if (n == 0 || n > 15 || streq(s, ".") || streq(s, "..") || !chars_all_in(s, "_.-@:", true))
        return "expected an interface name of 1 to 15 letters, digits and _.-@:";
    return NULL;
}

static const char *check_service_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > INIT_SERVICE_NAME_MAX || s[0] == '.' || s[0] == '-' ||
        !chars_all_in(s, "_.-@", true))
        return "expected a name of 1 to 64 letters, digits and _.-@ (not starting with . or -)";
    return NULL;
}

static const char *check_arg(const char *s)
{
    return strlen(s) > INIT_MAX_ARG_LEN ? "expected at most 4096 bytes" : NULL;
}

static const char *check_env_file(const char *s)
{
    return check_abs_path(s[0] == '-' ? s + 1 : s);
}

static const char *check_workdir(const char *s)
{
    return streq(s, "/") ? NULL : check_abs_path(s);
}

/* jr_strv() borrows; the configuration keeps copies. */
static int strv_of(struct json_reader *R, json_t *obj, const char *path, const char *key,
                   unsigned flags, size_t min, size_t max, const char *(*check)(const char *),
                   char ***out)
{
    _cleanup_free_ const char **list = NULL;
    char **copy = NULL;
    int r = jr_strv(R, obj, path, key, flags, min, max, check, &list);

    if (r <= 0)
        return r;
    /* An empty array is given, and must be a vector, not NULL. */
    copy = strv_copy(list);
    if (!copy)
        return jr_oom(R);
    strv_free(*out);
    *out = copy;
    return 1;
}

static int parse_network(struct json_reader *R, json_t *v, const char *path,
                         struct init_network *n)
{
    static const char *const keys[] = { "mode", "interface", "address", "gateway", "dns", NULL };
    char where[JR_PATH_MAX];
    const char *address = NULL, *gateway = NULL;
    _cleanup_free_ const char **dns = NULL;
    int r, mode = 0;

    if ((r = jr_keys(R, v, path, keys)) < 0 ||
        (r = jr_enum(R, v, path, "mode", JR_REQUIRED, net_modes, &mode)) < 0 ||
        (r = jr_strdup(R, v, path, "interface", 0, check_ifname, &n->interface)) < 0 ||
        (r = jr_string(R, v, path, "address", 0, check_cidr, &address)) < 0 ||
        (r = jr_string(R, v, path, "gateway", 0, check_ipv4, &gateway)) < 0 ||
        (r = jr_strv(R, v, path, "dns", 0, 0, INIT_MAX_DNS, check_ipv4, &dns)) < 0)
        return r;
    n->mode = (enum init_net_mode)mode;
    if (n->mode != INIT_NET_STATIC) {
        const char *extra = address ? "address" : gateway ? "gateway" : dns ? "dns" : NULL;
        if (extra)
            return jr_fail(R, jr_path_key(where, path, extra),
                           "only with \"mode\": \"static\" (DHCP supplies it)");
        if (n->mode == INIT_NET_NONE && n->interface)
            return jr_fail(R, jr_path_key(where, path, "interface"),
                           "meaningless with \"mode\": \"none\"");
        return 0;
    }
    if (!address)
        return jr_fail(R, jr_path_key(where, path, "address"),
                       "required with \"mode\": \"static\"");
    parse_cidr(address, &n->address, &n->prefix);
    if (gateway) {
        uint32_t mask = prefix_mask(n->prefix);
        init_parse_ipv4(gateway, &n->gateway);
        if ((n->gateway & mask) != (n->address & mask) || n->gateway == n->address)
            return jr_fail(R, jr_path_key(where, path, "gateway"),
                           "not another address of the network of \"address\", got \"%s\"",
                           gateway);
    }
    for (size_t i = 0; dns && dns[i]; i++) {
        init_parse_ipv4(dns[i], &n->dns[i]);
        n->n_dns = i + 1;
    }
    return 0;
}

static int parse_environment(struct json_reader *R, json_t *svc, const char *path, char ***out)
{
    char where[JR_PATH_MAX], kwhere[JR_PATH_MAX];
    const char *key;
    json_t *env = NULL, *m;
    int r = jr_object(R, svc, path, "environment", 0, INIT_MAX_ENV, &env);

    if (r <= 0)
        return r;
    jr_path_key(where, path, "environment");
    json_object_foreach(env, key, m) {
        const char *value = NULL;
        char *kv;
        jr_path_key(kwhere, where, key);
        if (!env_name_valid(key) || strlen(key) > 256)
            return jr_fail(R, kwhere, "not a variable name (letters, digits and _, not "
                                      "starting with a digit)");
        if ((r = jr_string(R, m, kwhere, NULL, JR_REQUIRED, NULL, &value)) < 0)
            return r;
        if (json_string_length(m) > INIT_MAX_ENV_VALUE || !env_value_valid(value))
            return jr_fail(R, kwhere, "expected at most %d bytes without control characters "
                                      "other than tab and newline", INIT_MAX_ENV_VALUE);
        if (asprintf(&kv, "%s=%s", key, value) < 0 || strv_push_take(out, kv) < 0)
            return jr_oom(R);
    }
    return 0;
}

static int parse_service(struct json_reader *R, json_t *v, const char *path,
                         struct init_service *s)
{
    static const char *const keys[] = { "name", "exec", "user", "group", "environment",
                                        "environment_files", "working_directory", "restart",
                                        "after_secrets", NULL };
    char where[JR_PATH_MAX], exec_at[JR_PATH_MAX];
    const char *why;
    int r, restart = 0, after = 1;

    if (!json_is_object(v))
        return jr_fail(R, path, "expected an object, got %s", jr_type_name(v));
    if ((r = jr_keys(R, v, path, keys)) < 0 ||
        (r = jr_strdup(R, v, path, "name", JR_REQUIRED, check_service_name, &s->name)) < 0 ||
        (r = strv_of(R, v, path, "exec", JR_REQUIRED, 1, INIT_MAX_ARGS, check_arg,
                     &s->exec)) < 0)
        return r;
    if ((why = check_abs_path(s->exec[0])))
        return jr_fail(R, jr_path_index(where, jr_path_key(exec_at, path, "exec"), 0),
                       "%s, got \"%.200s\"", why, s->exec[0]);
    if ((r = jr_strdup(R, v, path, "user", 0, check_user_name, &s->user)) < 0 ||
        (r = jr_strdup(R, v, path, "group", 0, check_user_name, &s->group)) < 0 ||
        (r = parse_environment(R, v, path, &s->environment)) < 0 ||
        (r = strv_of(R, v, path, "environment_files", 0, 0, INIT_MAX_ENV_FILES, check_env_file,
                     &s->environment_files)) < 0 ||
        (r = jr_strdup(R, v, path, "working_directory", 0, check_workdir,
                       &s->working_directory)) < 0 ||
        (r = jr_enum(R, v, path, "restart", 0, restarts, &restart)) < 0 ||
        (r = jr_bool(R, v, path, "after_secrets", 0, &after)) < 0)
        return r;
    s->restart = (enum init_restart)restart;
    s->after_secrets = after;
    return 0;
}

static int parse_services(struct json_reader *R, json_t *v, const char *path,
                          struct init_config *ic)
{
    char where[JR_PATH_MAX], name_at[JR_PATH_MAX];
    json_t *list = NULL, *e;
    size_t i;
    int r = jr_array(R, v, path, "services", 0, 0, INIT_MAX_SERVICES, &list);

    if (r <= 0)
        return r;
    ic->services = calloc(json_array_size(list) + 1, sizeof(*ic->services));
    if (!ic->services)
        return jr_oom(R);
    jr_path_key(where, path, "services");
    json_array_foreach(list, i, e) {
        char at[JR_PATH_MAX];
        jr_path_index(at, where, i);
        ic->n_services = i + 1;
        if ((r = parse_service(R, e, at, &ic->services[i])) < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (streq(ic->services[j].name, ic->services[i].name))
                return jr_fail(R, jr_path_key(name_at, at, "name"),
                               "\"%s\" is also the name of services[%zu]", ic->services[i].name,
                               j);
    }
    return 0;
}

static int parse(struct json_reader *R, json_t *v, const char *path, struct init_config *ic)
{
    static const char *const keys[] = { "modules", "network", "services", "on_exit",
                                        "test_provider", NULL };
    json_t *net = NULL;
    int r, on_exit = 0, test = 0;

    if (!json_is_object(v))
        return jr_fail(R, path, "expected an object, got %s", jr_type_name(v));
    if ((r = jr_keys(R, v, path, keys)) < 0 ||
        (r = strv_of(R, v, path, "modules", 0, 0, INIT_MAX_MODULES, check_abs_path,
                     &ic->modules)) < 0 ||
        (r = jr_object(R, v, path, "network", 0, 8, &net)) < 0)
        return r;
    if (net) {
        char where[JR_PATH_MAX];
        if ((r = parse_network(R, net, jr_path_key(where, path, "network"), &ic->network)) < 0)
            return r;
    }
    if ((r = parse_services(R, v, path, ic)) < 0 ||
        (r = jr_enum(R, v, path, "on_exit", 0, on_exits, &on_exit)) < 0 ||
        (r = jr_bool(R, v, path, "test_provider", 0, &test)) < 0)
        return r;
    ic->on_exit = (enum init_on_exit)on_exit;
    ic->test_provider = test;
    return 0;
}

int init_config_parse(struct json_reader *R, struct json_t *v, const char *path,
                      struct init_config **out)
{
    struct init_config *ic = calloc(1, sizeof(*ic));
    int r;

    if (!ic)
        return jr_oom(R);
    r = parse(R, v, path, ic);
    if (r < 0) {
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
