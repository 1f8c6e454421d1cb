/* SPDX-License-Identifier: MIT */
/*
 * Init mode's parts that need no PID 1: the "init" configuration object
 * (every bad value named), systemd's EnvironmentFile syntax, DHCP packets,
 * the kernel command line flag, and copying the fw_cfg test PKI. The
 * supervisor itself runs in tests/integration/test-secrets-e2e.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dhcp.h"
#include "env-file.h"
#include "helpers.h"
#include "init-config.h"
#include "json-reader.h"
#include "kcmdline.h"
#include "strbuf.h"
#include "strv.h"
#include "test-pki.h"

/* ---- the "init" object ---- */

static struct init_config *parse_ok(const char *json)
{
    json_error_t jerr;
    json_t *v = json_loads(json, 0, &jerr);
    struct init_config *ic = NULL;
    struct json_reader R;
    char msg[512] = "";
    jr_init(&R, "agent.json", msg, sizeof(msg));
    ck_assert_msg(v, "bad test JSON: %s", jerr.text);
    ck_assert_msg(init_config_parse(&R, v, "init", &ic) == 0, "%s: %s", json, msg);
    json_decref(v);
    return ic;
}

static void parse_bad(const char *json, const char *expect)
{
    json_error_t jerr;
    json_t *v = json_loads(json, 0, &jerr);
    struct init_config *ic = NULL;
    struct json_reader R;
    char msg[512] = "";
    jr_init(&R, "agent.json", msg, sizeof(msg));
    ck_assert_msg(v, "bad test JSON: %s", jerr.text);
    ck_assert_int_eq(init_config_parse(&R, v, "init", &ic), -EINVAL);
    ck_assert_msg(startswith(msg, "agent.json: init"), "%s", msg);
    ck_assert_ptr_null(ic);
    ck_assert_msg(strstr(msg, expect), "for %s: expected \"%s\" in \"%s\"", json, expect, msg);
    ck_assert_ptr_null(strchr(msg, '\n'));
    json_decref(v);
}

START_TEST(init_config_full)
{
    struct init_config *ic = parse_ok(
        "{\"modules\": [\"/lib/modules/6.12/kernel/fs/configfs/configfs.ko\", \"/m/tsm.ko\"],"
        " \"network\": {\"mode\": \"static\", \"interface\": \"eth0\", \"address\": \"10.0.2.15/24\","
        "              \"gateway\": \"10.0.2.2\", \"dns\": [\"10.0.2.3\", \"1.1.1.1\"]},"
        " \"services\": [{\"name\": \"hello\", \"exec\": [\"/usr/local/bin/hello\", \"arg\"],"
        "   \"user\": \"hello\", \"group\": \"hello\", \"environment\": {\"K\": \"V\", \"X_1\": \"\"},"
        "   \"environment_files\": [\"/run/tdx-secrets/env/global.env\", \"-/etc/opt.env\"],"
        "   \"working_directory\": \"/\", \"restart\": \"on-failure\", \"after_secrets\": false},"
        "  {\"name\": \"two\", \"exec\": [\"/bin/true\"]}],"
        " \"on_exit\": \"stay\", \"test_provider\": true}");
    uint32_t a;
    ck_assert_int_eq(strv_length(ic->modules), 2);
    ck_assert_str_eq(ic->modules[1], "/m/tsm.ko");
    ck_assert_int_eq(ic->network.mode, INIT_NET_STATIC);
    ck_assert_str_eq(ic->network.interface, "eth0");
    ck_assert_int_eq(init_parse_ipv4("10.0.2.15", &a), 0);
    ck_assert_uint_eq(ic->network.address, a);
    ck_assert_uint_eq(ic->network.prefix, 24);
    ck_assert_int_eq(init_parse_ipv4("10.0.2.2", &a), 0);
    ck_assert_uint_eq(ic->network.gateway, a);
    ck_assert_uint_eq(ic->network.n_dns, 2);
    ck_assert_uint_eq(ic->network.dns[1], htonl(0x01010101));
    ck_assert_uint_eq(ic->n_services, 2);
    ck_assert_str_eq(ic->services[0].name, "hello");
    ck_assert_str_eq(ic->services[0].exec[1], "arg");
    ck_assert_str_eq(ic->services[0].user, "hello");
    ck_assert_str_eq(ic->services[0].environment[0], "K=V");
    ck_assert_str_eq(ic->services[0].environment[1], "X_1=");
    ck_assert_str_eq(ic->services[0].environment_files[1], "-/etc/opt.env");
    ck_assert_int_eq(ic->services[0].restart, INIT_RESTART_ON_FAILURE);
    ck_assert(!ic->services[0].after_secrets);
    ck_assert(ic->services[1].after_secrets);   /* the default */
    ck_assert_int_eq(ic->services[1].restart, INIT_RESTART_NO);
    ck_assert_ptr_null(ic->services[1].user);
    ck_assert_int_eq(ic->on_exit, INIT_ON_EXIT_STAY);
    ck_assert(ic->test_provider);
    init_config_free(ic);

    ic = parse_ok("{}");
    ck_assert_int_eq(ic->network.mode, INIT_NET_NONE);
    ck_assert_int_eq(ic->on_exit, INIT_ON_EXIT_POWEROFF);
    ck_assert(!ic->test_provider);
    ck_assert_uint_eq(ic->n_services, 0);
    init_config_free(ic);
    ic = parse_ok("{\"network\": {\"mode\": \"dhcp\"}}");
    ck_assert_int_eq(ic->network.mode, INIT_NET_DHCP);
    ck_assert_ptr_null(ic->network.interface);
    init_config_free(ic);
}
END_TEST

START_TEST(init_config_bad_values_named)
{
    parse_bad("[]", "init: expected an object");
    parse_bad("{\"modulez\": []}", "init.modulez: unknown key; did you mean \"modules\"?");
    parse_bad("{\"modules\": \"/a.ko\"}", "init.modules: expected an array");
    parse_bad("{\"modules\": [\"/a.ko\", \"rel.ko\"]}", "init.modules[1]: expected an absolute path");
    parse_bad("{\"modules\": [\"/a.ko\", 3]}", "init.modules[1]: expected a string");
    parse_bad("{\"network\": {}}", "init.network.mode: required");
    parse_bad("{\"network\": {\"mode\": \"wifi\"}}",
              "init.network.mode: expected one of \"none\", \"dhcp\", \"static\"; got \"wifi\"");
    parse_bad("{\"network\": {\"mode\": \"static\"}}", "init.network.address: required with \"mode\": \"static\"");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15\"}}",
              "init.network.address: expected an IPv4 address with a prefix length");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.256/24\"}}",
              "init.network.address:");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/33\"}}",
              "init.network.address:");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/0\"}}",
              "init.network.address:");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"010.0.2.15/24\"}}",
              "init.network.address:");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/24\", "
              "\"gateway\": \"10.0.3.2\"}}", "init.network.gateway: not another address");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/24\", "
              "\"gateway\": \"gw\"}}", "init.network.gateway: expected an IPv4 address");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/24\", "
              "\"dns\": [\"1.1.1.1\", \"x\"]}}", "init.network.dns[1]: expected an IPv4 address");
    parse_bad("{\"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/24\", "
              "\"dns\": [\"1.1.1.1\", \"1.1.1.2\", \"1.1.1.3\", \"1.1.1.4\"]}}",
              "init.network.dns: expected at most 3 entries, got 4");
    parse_bad("{\"network\": {\"mode\": \"dhcp\", \"address\": \"10.0.2.15/24\"}}",
              "init.network.address: only with \"mode\": \"static\"");
    parse_bad("{\"network\": {\"mode\": \"none\", \"interface\": \"eth0\"}}",
              "init.network.interface: meaningless");
    parse_bad("{\"network\": {\"mode\": \"dhcp\", \"interface\": \"a/b\"}}",
              "init.network.interface: expected an interface name");
    parse_bad("{\"network\": {\"mode\": \"dhcp\", \"interface\": \"sixteen-chars-xx\"}}",
              "init.network.interface:");
    parse_bad("{\"network\": {\"mode\": \"dhcp\", \"mtu\": 1500}}",
              "init.network.mtu: unknown key");
    parse_bad("{\"services\": {}}", "init.services: expected an array");
    parse_bad("{\"services\": [3]}", "init.services[0]: expected an object");
    parse_bad("{\"services\": [{\"exec\": [\"/bin/true\"]}]}", "init.services[0].name: required");
    parse_bad("{\"services\": [{\"name\": \"a\"}]}", "init.services[0].exec: required");
    parse_bad("{\"services\": [{\"name\": \"a b\", \"exec\": [\"/bin/true\"]}]}",
              "init.services[0].name: expected a name");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": []}]}",
              "init.services[0].exec: expected 1 to 256 entries, got 0");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"true\"]}]}",
              "init.services[0].exec[0]: expected an absolute path");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/echo\", 1]}]}",
              "init.services[0].exec[1]: expected a string");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], \"user\": \"Root\"}]}",
              "init.services[0].user: expected a user name");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], \"group\": 0}]}",
              "init.services[0].group: expected a string");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], "
              "\"environment\": {\"1X\": \"v\"}}]}",
              "init.services[0].environment.1X: not a variable name");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], "
              "\"environment\": {\"X\": \"a\\u0001b\"}}]}",
              "init.services[0].environment.X: expected at most");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], "
              "\"environment\": [\"X=1\"]}]}", "init.services[0].environment: expected an object");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], "
              "\"environment_files\": [\"/ok.env\", \"env\"]}]}",
              "init.services[0].environment_files[1]: expected an absolute path");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], "
              "\"working_directory\": \"srv\"}]}",
              "init.services[0].working_directory: expected an absolute path");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], \"restart\": \"sometimes\"}]}",
              "init.services[0].restart: expected one of \"no\", \"on-failure\", \"always\"; "
              "got \"sometimes\"");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], \"after_secrets\": 1}]}",
              "init.services[0].after_secrets: expected a boolean");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"], \"nice\": 1}]}",
              "init.services[0].nice: unknown key");
    parse_bad("{\"services\": [{\"name\": \"a\", \"exec\": [\"/bin/true\"]},"
              " {\"name\": \"a\", \"exec\": [\"/bin/false\"]}]}",
              "init.services[1].name: \"a\" is also the name of services[0]");
    parse_bad("{\"on_exit\": \"reboot\"}", "init.on_exit: expected one of \"poweroff\", \"stay\"");
    parse_bad("{\"test_provider\": \"yes\"}", "init.test_provider: expected a boolean");
}
END_TEST

/* The file and the key in the agent's own message, through config_load(). */
START_TEST(init_config_in_the_agent_config)
{
    char *dir = tmpdir_new(), path[4300], msg[600];
    struct agent_config c;

    write_text(dir, "agent.json", "{\"listen\": [\"unix:/run/a.sock\"], \"init\": "
               "{\"services\": [{\"name\": \"x\", \"exec\": [\"/bin/true\"], \"restart\": 1}]}}");
    snprintf(path, sizeof(path), "%s/agent.json", dir);
    ck_assert_int_eq(config_init(&c), 0);
    ck_assert_int_eq(config_load(&c, path, msg, sizeof(msg)), -EINVAL);
    ck_assert_msg(strstr(msg, "agent.json: init.services[0].restart: expected a string"), "%s",
                  msg);
    write_text(dir, "agent.json", "{\"init\": {\"on_exit\": \"stay\"}}");
    ck_assert_int_eq(config_load(&c, path, msg, sizeof(msg)), 0);
    ck_assert_ptr_nonnull(c.init);
    ck_assert_int_eq(c.init->on_exit, INIT_ON_EXIT_STAY);
    config_done(&c);
    tmpdir_remove(dir);
}
END_TEST

/* ---- EnvironmentFile ---- */

static int collect(const char *key, const char *value, void *userdata)
{
    strbuf *sb = userdata;
    strbuf_printf(sb, "[%s]=[%s]\n", key, value);
    return 0;
}

static void env_is(const char *text, const char *expect)
{
    strbuf sb = STRBUF_INIT;
    char msg[256] = "";
    ck_assert_msg(env_file_parse(text, strlen(text), collect, &sb, msg, sizeof(msg)) == 0,
                  "%s", msg);
    ck_assert_msg(streq(strbuf_str(&sb), expect), "for <<%s>>: got <<%s>>, expected <<%s>>", text,
                  strbuf_str(&sb), expect);
    strbuf_free(&sb);
}

/* Each expectation follows from systemd's env-file.c state machine. */
START_TEST(env_file_systemd_rules)
{
    env_is("", "");
    env_is("A=1", "[A]=[1]\n");
    env_is("A=1\nB=2\n", "[A]=[1]\n[B]=[2]\n");
    env_is("  A  =  x y  \n", "[A]=[x y]\n");        /* trimmed around key and value */
    env_is("A=\n", "[A]=[]\n");
    env_is("A\nB=1\n", "[B]=[1]\n");                  /* a line without '=' is dropped */
    env_is("# c\n; c\nA=1 # not a comment\n", "[A]=[1 # not a comment]\n");
    env_is("A='x  \"y\" \\n $Z'\n", "[A]=[x  \"y\" \\n $Z]\n");   /* single quotes: literal */
    env_is("A=\"a \\\"b\\\" \\\\ \\` \\$ \\n\"\n", "[A]=[a \"b\" \\ ` $ \\n]\n");
    env_is("A=\"line1\nline2\"\n", "[A]=[line1\nline2]\n");  /* newline inside quotes kept */
    env_is("A=\"x\\\ny\"\n", "[A]=[xy]\n");          /* escaped newline in quotes dropped */
    env_is("A=x\\\ny\n", "[A]=[xy]\n");              /* and outside */
    env_is("A=x\\ \n", "[A]=[x ]\n");                /* an escaped space stays */
    env_is("A=\\'x\\'\n", "[A]=['x']\n");
    env_is("A=$HOME ${X}\n", "[A]=[$HOME ${X}]\n");  /* no expansion */
    env_is("A=\"q\"rest 'more'\n", "[A]=[qrest 'more']\n");  /* quotes only open a value */
    env_is("A=\"q\" 'r'\n", "[A]=[qr]\n");   /* ...but also after a closed one */
    env_is("A=\"open\n", "[A]=[open\n]\n");           /* an open quote ends with the file */
    env_is("A=1\rB=2", "[A]=[1]\n[B]=[2]\n");         /* \r ends a line too */
    env_is("export A=1\n", "[export A]=[1]\n");       /* no "export" handling */
    env_is("A=1\nA=2\n", "[A]=[1]\n[A]=[2]\n");       /* both, in order: the later wins */
    env_is("#c \\\nA=1\n", "[A]=[1]\n");              /* v254+: no comment continuation */
    env_is("A=x\0B=y", "[A]=[x]\n");                  /* the text ends at a NUL */
    env_is("=a=b\n", "[=a]=[b]\n");                   /* systemd's key, not a valid name */
    env_is("A=\"x\\\ry\"", "[A]=[x\\\ry]\n");         /* in quotes only \n is a newline */
    env_is("A=a\tb\t\n", "[A]=[a\tb]\n");
}
END_TEST

START_TEST(env_file_errors_and_names)
{
    char msg[256];
    strbuf sb = STRBUF_INIT, big = STRBUF_INIT;
    ck_assert_int_eq(env_file_parse("A=1\nB=\xff\n", 8, collect, &sb, msg, sizeof(msg)), -EINVAL);
    ck_assert_msg(strstr(msg, "line 3: invalid UTF-8 in the value of B"), "%s", msg);
    for (int i = 0; i <= ENV_FILE_MAX_VARS; i++)
        strbuf_printf(&big, "V%d=1\n", i);
    strbuf_truncate(&sb, 0);
    ck_assert_int_eq(env_file_parse(big.data, big.len, collect, &sb, msg, sizeof(msg)), -E2BIG);
    strbuf_free(&sb);
    strbuf_free(&big);
    ck_assert(env_name_valid("A_b9"));
    ck_assert(env_name_valid("_"));
    ck_assert(!env_name_valid("9A"));
    ck_assert(!env_name_valid(""));
    ck_assert(!env_name_valid("export A"));
    ck_assert(!env_name_valid("A-B"));
    ck_assert(env_value_valid("a\tb\nc"));
    ck_assert(!env_value_valid("a\rb"));
    ck_assert(!env_value_valid("a\x7f"));
    ck_assert(!env_value_valid("\xc3"));
}
END_TEST

/* ---- DHCP ---- */

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A server's reply as QEMU's user networking sends it; opts is the
 * option bytes after the magic cookie. */
static size_t reply(uint8_t *buf, uint32_t xid, const uint8_t *opts, size_t n, bool udp_csum)
{
    size_t blen = 240 + n, total = 28 + blen;
    uint8_t *ip = buf, *udp = buf + 20, *b = buf + 28;
    memset(buf, 0, total);
    b[0] = 2, b[1] = 1, b[2] = 6;
    memcpy(b + 4, &xid, 4);
    b[16] = 10, b[17] = 0, b[18] = 2, b[19] = 15;
    memcpy(b + 28, mac, 6);
    b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99;
    memcpy(b + 240, opts, n);
    put16(udp, 67);
    put16(udp + 2, 68);
    put16(udp + 4, 8 + blen);
    ip[0] = 0x45;
    put16(ip + 2, total);
    ip[8] = 64, ip[9] = 17;
    ip[12] = 10, ip[13] = 0, ip[14] = 2, ip[15] = 2;
    memset(ip + 16, 0xff, 4);
    put16(ip + 10, (uint16_t)~dhcp_csum_add(0, ip, 20));
    if (udp_csum) {
        uint8_t pseudo[12];
        memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0, pseudo[9] = 17;
        put16(pseudo + 10, 8 + blen);
        put16(udp + 6, (uint16_t)~dhcp_csum_add(dhcp_csum_add(0, pseudo, 12), udp, 8 + blen));
    }
    return total;
}

START_TEST(dhcp_build_discover_and_request)
{
    uint8_t buf[DHCP_PACKET_MAX];
    uint32_t xid = 0x11223344, req = htonl(0x0a00020f), sid = htonl(0x0a000202);
    size_t n = dhcp_build(buf, sizeof(buf), DHCP_DISCOVER, xid, mac, 0, 0);
    const uint8_t *b = buf + 28, *o = b + 240;

    ck_assert_uint_eq(n, 20 + 8 + 300);
    ck_assert_uint_eq(dhcp_csum_add(0, buf, 20), 0xffff);   /* a valid header checksum */
    ck_assert_uint_eq(buf[9], 17);
    ck_assert_mem_eq(buf + 12, "\0\0\0\0\xff\xff\xff\xff", 8);
    ck_assert_uint_eq(buf[20] << 8 | buf[21], 68);
    ck_assert_uint_eq(buf[22] << 8 | buf[23], 67);
    ck_assert_uint_eq(buf[24] << 8 | buf[25], 308);
    ck_assert_uint_eq(b[0], 1);
    ck_assert_mem_eq(b + 4, &xid, 4);
    ck_assert_uint_eq(b[10], 0x80);    /* broadcast flag */
    ck_assert_mem_eq(b + 28, mac, 6);
    ck_assert_mem_eq(b + 236, "\x63\x82\x53\x63", 4);
    ck_assert_mem_eq(o, "\x35\x01\x01", 3);   /* DHCPDISCOVER */
    ck_assert_mem_eq(o + 3, "\x3d\x07\x01", 3);
    ck_assert_uint_eq(dhcp_build(buf, 100, DHCP_DISCOVER, xid, mac, 0, 0), 0);

    n = dhcp_build(buf, sizeof(buf), DHCP_REQUEST, xid, mac, req, sid);
    ck_assert_mem_eq(o, "\x35\x01\x03", 3);
    {
        const uint8_t *p = memchr(o, 50, 64);
        ck_assert_ptr_nonnull(p);
        ck_assert_mem_eq(p, "\x32\x04\x0a\x00\x02\x0f\x36\x04\x0a\x00\x02\x02\xff", 13);
    }
    /* Our own packet is not a reply. */
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &(struct dhcp_lease){ 0 }), -ENOMSG);
}
END_TEST

START_TEST(dhcp_parse_replies)
{
    static const uint8_t offer[] = { 53, 1, 2, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2,
                                     6, 8, 10, 0, 2, 3, 8, 8, 8, 8, 51, 4, 0, 1, 81, 128,
                                     54, 4, 10, 0, 2, 2, 255 };
    uint8_t buf[1024], opts[64];
    struct dhcp_lease l;
    uint32_t xid = 0xabcdef01;
    size_t n = reply(buf, xid, offer, sizeof(offer), true);
    uint8_t other[6];

    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), DHCP_OFFER);
    ck_assert_uint_eq(l.address, htonl(0x0a00020f));
    ck_assert_uint_eq(l.prefix, 24);
    ck_assert_uint_eq(l.router, htonl(0x0a000202));
    ck_assert_uint_eq(l.server_id, htonl(0x0a000202));
    ck_assert_uint_eq(l.n_dns, 2);
    ck_assert_uint_eq(l.dns[1], htonl(0x08080808));
    ck_assert_uint_eq(l.lease_s, 86400);
    /* Not for us: another xid, another MAC, a truncated packet, a bad checksum. */
    ck_assert_int_eq(dhcp_parse(buf, n, xid + 1, mac, &l), -ENOMSG);
    memcpy(other, mac, 6);
    other[5] ^= 1;
    ck_assert_int_eq(dhcp_parse(buf, n, xid, other, &l), -ENOMSG);
    ck_assert_int_eq(dhcp_parse(buf, n - 1, xid, mac, &l), -ENOMSG);
    buf[100] ^= 1;
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), -ENOMSG);   /* UDP checksum */
    n = reply(buf, xid, offer, sizeof(offer), false);
    buf[100] ^= 1;   /* without a UDP checksum nothing catches that: it is a pad byte */
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), DHCP_OFFER);
    buf[12] ^= 1;
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), -ENOMSG);   /* IP checksum */

    /* ACK and NAK; an ACK without a mask gets the class's prefix. */
    memcpy(opts, (const uint8_t[]){ 53, 1, 5, 255 }, 4);
    n = reply(buf, xid, opts, 4, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), DHCP_ACK);
    ck_assert_uint_eq(l.prefix, 8);
    ck_assert_uint_eq(l.router, 0);
    memcpy(opts, (const uint8_t[]){ 53, 1, 6, 255 }, 4);
    n = reply(buf, xid, opts, 4, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), DHCP_NAK);

    /* Malformed replies to us. */
    memcpy(opts, (const uint8_t[]){ 53, 1, 2, 1, 4, 255, 0, 255, 0, 255 }, 10);
    n = reply(buf, xid, opts, 10, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), -EINVAL);   /* holes in the mask */
    memcpy(opts, (const uint8_t[]){ 53, 1, 2, 6, 9, 1, 2 }, 7);
    n = reply(buf, xid, opts, 7, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), -EINVAL);   /* runs past the end */
    memcpy(opts, (const uint8_t[]){ 1, 4, 255, 255, 255, 0, 255 }, 7);
    n = reply(buf, xid, opts, 7, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), -EINVAL);   /* no message type */
    memcpy(opts, (const uint8_t[]){ 53, 1, 2, 3, 4, 192, 168, 1, 1, 255 }, 10);
    n = reply(buf, xid, opts, 10, true);
    ck_assert_int_eq(dhcp_parse(buf, n, xid, mac, &l), DHCP_OFFER);
    ck_assert_uint_eq(l.router, 0);   /* a router off the subnet is not used */
}
END_TEST

/* ---- the kernel command line, the fw_cfg test PKI ---- */

START_TEST(kcmdline_flag)
{
    ck_assert(kcmdline_has("console=ttyS0 tdx.capture=acpi\n", "tdx.capture", "acpi"));
    ck_assert(kcmdline_has("tdx.capture=acpi", "tdx.capture", "acpi"));
    ck_assert(!kcmdline_has("console=ttyS0\n", "tdx.capture", "acpi"));
    ck_assert(!kcmdline_has("tdx.capture=acpix", "tdx.capture", "acpi"));
    ck_assert(!kcmdline_has("xtdx.capture=acpi", "tdx.capture", "acpi"));
    ck_assert(!kcmdline_has("tdx.capture", "tdx.capture", "acpi"));
    ck_assert(!kcmdline_has("", "tdx.capture", "acpi"));
}
END_TEST

START_TEST(test_pki_from_fw_cfg)
{
    char *dir = tmpdir_new(), src[4300], dest[4300], path[4400], msg[512], *text;
    struct stat st;

    snprintf(src, sizeof(src), "%s/by_name/opt/org.tdxhost/pki", dir);
    snprintf(dest, sizeof(dest), "%s/run/test-pki", dir);
    write_text(dir, "run/.keep", "");
    /* No entries at all: nothing to copy, configfs stays. */
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), 0);
    write_text(dir, "by_name/opt/org.tdxhost/pki/root.pem/raw", "ROOT CERT\n");
    write_text(dir, "by_name/opt/org.tdxhost/pki/root.pem/size", "10\n");
    write_text(dir, "by_name/opt/org.tdxhost/pki/attestation.key/raw", "KEY\n");
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), 2);
    ck_assert_int_eq(stat(dest, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    snprintf(path, sizeof(path), "%s/root.pem", dest);
    text = read_text(path, NULL);
    ck_assert_str_eq(text, "ROOT CERT\n");
    free(text);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    /* Once only. */
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), -EEXIST);

    /* Bad entries leave nothing behind. */
    snprintf(dest, sizeof(dest), "%s/run/pki2", dir);
    write_text(dir, "by_name/opt/org.tdxhost/pki/pck.pem/nothing", "");
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), -ENOENT);
    ck_assert_msg(strstr(msg, "pck.pem/raw"), "%s", msg);
    ck_assert_int_lt(stat(dest, &st), 0);
    snprintf(path, sizeof(path), "%s.new", dest);
    ck_assert_int_lt(stat(path, &st), 0);
    {
        char *big = malloc(70 * 1024);
        memset(big, 'x', 70 * 1024 - 1);
        big[70 * 1024 - 1] = '\0';
        write_text(dir, "by_name/opt/org.tdxhost/pki/pck.pem/raw", big);
        free(big);
    }
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), -EFBIG);
    ck_assert_msg(strstr(msg, "larger than 64 KiB"), "%s", msg);
    write_text(dir, "by_name/opt/org.tdxhost/pki/pck.pem/raw", "PCK\n");
    write_text(dir, "by_name/opt/org.tdxhost/pki/.hidden/raw", "");
    ck_assert_int_eq(test_pki_copy(src, dest, msg, sizeof(msg)), -EINVAL);
    ck_assert_msg(strstr(msg, "entry \".hidden\""), "%s", msg);
    ck_assert_int_lt(stat(dest, &st), 0);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("init");
    tcase_add_test(tc, init_config_full);
    tcase_add_test(tc, init_config_bad_values_named);
    tcase_add_test(tc, init_config_in_the_agent_config);
    tcase_add_test(tc, env_file_systemd_rules);
    tcase_add_test(tc, env_file_errors_and_names);
    tcase_add_test(tc, dhcp_build_discover_and_request);
    tcase_add_test(tc, dhcp_parse_replies);
    tcase_add_test(tc, kcmdline_flag);
    tcase_add_test(tc, test_pki_from_fw_cfg);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
