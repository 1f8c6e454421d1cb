/* SPDX-License-Identifier: MIT */
#include "sim-pki.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "json-bounds.h"
#include "macro.h"
#include "msg.h"

static const struct field {
    const char *key;
    size_t offset, size;
} fields[] = {
#define F(key, member) { key, offsetof(struct sim_measurements, member), \
                         sizeof(((struct sim_measurements *)0)->member) }
    F("tee_tcb_svn", tee_tcb_svn),     F("mrseam", mrseam),
    F("td_attributes", td_attributes), F("xfam", xfam),
    F("mrtd", mrtd),                   F("mrconfigid", mrconfigid),
    F("mrowner", mrowner),             F("mrownerconfig", mrownerconfig),
    F("rtmr0", rtmr[0]),               F("rtmr1", rtmr[1]),
    F("rtmr2", rtmr[2]),               F("rtmr3", rtmr[3]),
#undef F
};

void sim_measurements_default(struct sim_measurements *m)
{
    static const uint8_t svn[16] = { 0x04, 0x01, 0x07 };
    static const uint8_t attributes[8] = { 0, 0, 0, 0x10 };          /* bit 28: SEPT_VE_DISABLE */
    static const uint8_t xfam[8] = { 0xe7, 0x1a, 0x06 };

    memset(m, 0, sizeof(*m));
    memcpy(m->tee_tcb_svn, svn, sizeof(svn));
    memcpy(m->td_attributes, attributes, sizeof(attributes));
    memcpy(m->xfam, xfam, sizeof(xfam));
}

int sim_measurements_parse(const char *label, const char *text, size_t len,
                           struct sim_measurements *m, char *msg, size_t msg_size)
{
    json_error_t jerr;
    json_t *root, *v;
    const char *key;
    int r = 0;

    if (json_bounds_check(text, len, 2, 64)) {
        return msgf(msg, msg_size, -EINVAL, "%s: expected a flat JSON object", label);
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        msgf(msg, msg_size, -EINVAL, "%s: expected a JSON object%s%s", label, root ? "" : ": ",
             root ? "" : jerr.text);
        json_decref(root);
        return -EINVAL;
    }
    json_object_foreach(root, key, v) {
        const struct field *f = NULL;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
            if (streq(key, fields[i].key))
                f = &fields[i];
        if (!f) {
            r = msgf(msg, msg_size, -EINVAL, "%s: unknown key \"%.64s\"", label, key);
            break;
        }
        if (!json_is_string(v) || json_string_length(v) != 2 * f->size ||
            hex_decode(json_string_value(v), (uint8_t *)m + f->offset, f->size) != (int)f->size) {
            r = msgf(msg, msg_size, -EINVAL, "%s: %s: expected %zu hex digits", label, key,
                     2 * f->size);
            break;
        }
    }
    json_decref(root);
    return r;
}

char *sim_measurements_format(const struct sim_measurements *m)
{
    json_t *root = json_object();
    char *text;

    for (size_t i = 0; root && i < ELEMENTSOF(fields); i++) {
        char hex[2 * 48 + 1];
        hex_encode((const uint8_t *)m + fields[i].offset, fields[i].size, hex);
        if (json_object_set_new(root, fields[i].key, json_string(hex)) < 0) {
            json_decref(root);
            return NULL;
        }
    }
    text = root ? json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (text) {
        size_t n = strlen(text);
        char *t = realloc(text, n + 2);
        if (!t) {
            free(text);
            return NULL;
        }
        t[n] = '\n';
        t[n + 1] = '\0';
        text = t;
    }
    return text;
}
