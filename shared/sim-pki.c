/* SPDX-License-Identifier: MIT */
#include "sim-pki.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json-reader.h"
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
    const char *keys[ELEMENTSOF(fields) + 1];
    struct json_reader R;
    json_t *root = NULL;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(fields); i++)
        keys[i] = fields[i].key;
    keys[ELEMENTSOF(fields)] = NULL;
    jr_init(&R, label, msg, msg_size);
    /* A flat object of a dozen hex strings. */
    if ((r = jr_parse(&R, text, len, 2, 64, &root)) < 0)
        return r;
    r = jr_keys(&R, root, "", keys);
    for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fields); i++) {
        const struct field *f = &fields[i];
        const char *hex = NULL;
        if ((r = jr_string(&R, root, "", f->key, 0, NULL, &hex)) <= 0)
            continue;
        if (strlen(hex) != 2 * f->size ||
            hex_decode(hex, (uint8_t *)m + f->offset, f->size) != (int)f->size)
            r = jr_fail(&R, f->key, "expected %zu hex digits", 2 * f->size);
    }
    json_decref(root);
    return r < 0 ? r : 0;
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
