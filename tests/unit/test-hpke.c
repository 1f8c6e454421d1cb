/* SPDX-License-Identifier: MIT */
/* HPKE against RFC 9180's published vectors for the suite, base mode
 * (tests/data/hpke-rfc9180-a1-1.txt) and auth mode (hpke-rfc9180-a1-3.txt),
 * and the ways opening must fail. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "hex.h"
#include "hpke.h"
#include "macro.h"

#define VAL_MAX 128

struct vec {
    uint8_t info[64], ikm_e[32], pk_e[32], sk_e[32], ikm_r[32], pk_r[32], sk_r[32], enc[32];
    uint8_t ikm_s[32], pk_s[32], sk_s[32];   /* auth mode only */
    unsigned mode;
    uint8_t key[16], base_nonce[12], exporter_secret[32];
    size_t info_len;
    struct {
        unsigned seq;
        uint8_t pt[VAL_MAX], aad[VAL_MAX], nonce[12], ct[VAL_MAX];
        size_t pt_len, aad_len, ct_len;
    } enc_vec[8];
    size_t n_enc;
    struct {
        uint8_t context[VAL_MAX], value[64];
        size_t context_len, L;
    } exp[4];
    size_t n_exp;
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    int n;
    if (streq(s, "-"))
        return 0;
    n = hex_decode(s, out, max);
    ck_assert_msg(n >= 0, "bad hex in vector file: %s", s);
    return (size_t)n;
}

#define BASE_VECTOR "tests/data/hpke-rfc9180-a1-1.txt"
#define AUTH_VECTOR "tests/data/hpke-rfc9180-a1-3.txt"

static void load_file(struct vec *v, const char *file)
{
    size_t len;
    char *text = read_text(src_path(file), &len), *save = NULL;
    ck_assert_ptr_nonnull(text);
    memset(v, 0, sizeof(*v));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':'), *val;
        if (line[0] == '#' || !colon)
            continue;
        *colon = '\0';
        val = colon + 1 + strspn(colon + 1, " ");
        typeof(v->enc_vec[0]) *e = v->n_enc ? &v->enc_vec[v->n_enc - 1] : NULL;
        typeof(v->exp[0]) *x = v->n_exp ? &v->exp[v->n_exp - 1] : NULL;
        if (streq(line, "mode")) v->mode = (unsigned)strtoul(val, NULL, 10);
        else if (streq(line, "ikmS")) unhex(val, v->ikm_s, 32);
        else if (streq(line, "pkSm")) unhex(val, v->pk_s, 32);
        else if (streq(line, "skSm")) unhex(val, v->sk_s, 32);
        else if (streq(line, "info")) v->info_len = unhex(val, v->info, sizeof(v->info));
        else if (streq(line, "ikmE")) unhex(val, v->ikm_e, 32);
        else if (streq(line, "pkEm")) unhex(val, v->pk_e, 32);
        else if (streq(line, "skEm")) unhex(val, v->sk_e, 32);
        else if (streq(line, "ikmR")) unhex(val, v->ikm_r, 32);
        else if (streq(line, "pkRm")) unhex(val, v->pk_r, 32);
        else if (streq(line, "skRm")) unhex(val, v->sk_r, 32);
        else if (streq(line, "enc")) unhex(val, v->enc, 32);
        else if (streq(line, "key")) unhex(val, v->key, 16);
        else if (streq(line, "base_nonce")) unhex(val, v->base_nonce, 12);
        else if (streq(line, "exporter_secret")) unhex(val, v->exporter_secret, 32);
        else if (streq(line, "seq")) {
            ck_assert_uint_lt(v->n_enc, 8);
            v->enc_vec[v->n_enc++].seq = (unsigned)strtoul(val, NULL, 10);
        } else if (streq(line, "pt")) e->pt_len = unhex(val, e->pt, VAL_MAX);
        else if (streq(line, "aad")) e->aad_len = unhex(val, e->aad, VAL_MAX);
        else if (streq(line, "nonce")) unhex(val, e->nonce, 12);
        else if (streq(line, "ct")) e->ct_len = unhex(val, e->ct, VAL_MAX);
        else if (streq(line, "exporter_context")) {
            ck_assert_uint_lt(v->n_exp, 4);
            x = &v->exp[v->n_exp++];
            x->context_len = unhex(val, x->context, VAL_MAX);
        } else if (streq(line, "L")) x->L = strtoul(val, NULL, 10);
        else if (streq(line, "exported_value")) unhex(val, x->value, 64);
    }
    free(text);
    ck_assert_uint_eq(v->n_enc, 6);
    ck_assert_uint_eq(v->n_exp, 3);
}

static void load(struct vec *v)
{
    load_file(v, BASE_VECTOR);
    ck_assert_uint_eq(v->mode, 0);
}

START_TEST(derive_key_pairs)
{
    struct vec v;
    uint8_t sk[32], pk[32];
    load(&v);
    ck_assert_int_eq(hpke_keypair_derive(v.ikm_e, 32, sk, pk), 0);
    ck_assert_mem_eq(sk, v.sk_e, 32);
    ck_assert_mem_eq(pk, v.pk_e, 32);
    ck_assert_int_eq(hpke_keypair_derive(v.ikm_r, 32, sk, pk), 0);
    ck_assert_mem_eq(sk, v.sk_r, 32);
    ck_assert_mem_eq(pk, v.pk_r, 32);
    ck_assert_int_eq(hpke_keypair_derive(v.ikm_r, 31, sk, pk), -EINVAL);
}
END_TEST

/* Advances a context to seq by sealing throw-away messages, as the RFC's
 * vectors number their encryptions. */
static void skip_to(struct hpke_ctx *c, unsigned seq, bool sender)
{
    uint8_t ct[16];
    while (c->seq < seq) {
        if (sender)
            ck_assert_int_eq(hpke_seal(c, NULL, 0, NULL, 0, ct), 0);
        else
            c->seq++;   /* the receiver would have opened those messages */
    }
}

/* _i: 0 the base-mode vector, 1 the auth-mode one. */
static void load_mode(struct vec *v, int auth)
{
    load_file(v, auth ? AUTH_VECTOR : BASE_VECTOR);
    ck_assert_uint_eq(v->mode, auth ? 2 : 0);
}

START_TEST(sender_matches_vector)
{
    struct vec v;
    struct hpke_ctx c;
    uint8_t enc[32], ct[VAL_MAX + 16], out[64];

    load_mode(&v, _i);
    if (_i)
        ck_assert_int_eq(hpke_setup_auth_s(v.pk_r, v.sk_s, v.info, v.info_len, v.sk_e, enc, &c),
                         0);
    else
        ck_assert_int_eq(hpke_setup_base_s(v.pk_r, v.info, v.info_len, v.sk_e, enc, &c), 0);
    ck_assert_mem_eq(enc, v.enc, 32);
    ck_assert_mem_eq(c.key, v.key, 16);
    ck_assert_mem_eq(c.base_nonce, v.base_nonce, 12);
    ck_assert_mem_eq(c.exporter_secret, v.exporter_secret, 32);
    for (size_t i = 0; i < v.n_enc; i++) {
        skip_to(&c, v.enc_vec[i].seq, true);
        ck_assert_int_eq(hpke_seal(&c, v.enc_vec[i].aad, v.enc_vec[i].aad_len, v.enc_vec[i].pt,
                                   v.enc_vec[i].pt_len, ct), 0);
        ck_assert_uint_eq(v.enc_vec[i].pt_len + 16, v.enc_vec[i].ct_len);
        ck_assert_mem_eq(ct, v.enc_vec[i].ct, v.enc_vec[i].ct_len);
    }
    for (size_t i = 0; i < v.n_exp; i++) {
        ck_assert_int_eq(hpke_export(&c, v.exp[i].context, v.exp[i].context_len, out, v.exp[i].L),
                         0);
        ck_assert_mem_eq(out, v.exp[i].value, v.exp[i].L);
    }
    hpke_ctx_wipe(&c);
    ck_assert_uint_eq(c.key[0] | c.key[15] | c.base_nonce[0], 0);
}
END_TEST

START_TEST(receiver_matches_vector)
{
    struct vec v;
    struct hpke_ctx c;
    uint8_t pt[VAL_MAX];

    load_mode(&v, _i);
    if (_i)
        ck_assert_int_eq(hpke_setup_auth_r(v.sk_r, v.enc, v.pk_s, v.info, v.info_len, &c), 0);
    else
        ck_assert_int_eq(hpke_setup_base_r(v.sk_r, v.enc, v.info, v.info_len, &c), 0);
    ck_assert_mem_eq(c.key, v.key, 16);
    ck_assert_mem_eq(c.base_nonce, v.base_nonce, 12);
    for (size_t i = 0; i < v.n_enc; i++) {
        skip_to(&c, v.enc_vec[i].seq, false);
        ck_assert_int_eq(hpke_open(&c, v.enc_vec[i].aad, v.enc_vec[i].aad_len, v.enc_vec[i].ct,
                                   v.enc_vec[i].ct_len, pt), 0);
        ck_assert_mem_eq(pt, v.enc_vec[i].pt, v.enc_vec[i].pt_len);
    }
    hpke_ctx_wipe(&c);
}
END_TEST

START_TEST(open_refuses_tampering)
{
    struct vec v;
    struct hpke_ctx c;
    uint8_t ct[VAL_MAX], pt[VAL_MAX], enc[32];
    const typeof(v.enc_vec[0]) *e;

    load(&v);
    e = &v.enc_vec[0];
    /* Each of: a flipped ciphertext bit, a flipped tag bit, another AAD,
     * a truncated message. The context's sequence number stays put. */
    for (int t = 0; t < 4; t++) {
        const uint8_t *aad = e->aad;
        size_t len = e->ct_len, aad_len = e->aad_len;
        ck_assert_int_eq(hpke_setup_base_r(v.sk_r, v.enc, v.info, v.info_len, &c), 0);
        memcpy(ct, e->ct, e->ct_len);
        if (t == 0) ct[3] ^= 0x01;
        if (t == 1) ct[len - 1] ^= 0x80;
        if (t == 2) aad = (const uint8_t *)"Count-9", aad_len = 7;
        if (t == 3) len -= 1;
        memset(pt, 0xaa, sizeof(pt));
        ck_assert_int_eq(hpke_open(&c, aad, aad_len, ct, len, pt), -EBADMSG);
        for (size_t i = 0; i < len - 16; i++)
            ck_assert_uint_eq(pt[i], 0);
        ck_assert_uint_eq(c.seq, 0);
        hpke_ctx_wipe(&c);
    }
    /* Another info means other keys. */
    ck_assert_int_eq(hpke_setup_base_r(v.sk_r, v.enc, (const uint8_t *)"x", 1, &c), 0);
    ck_assert_int_eq(hpke_open(&c, e->aad, e->aad_len, e->ct, e->ct_len, pt), -EBADMSG);
    /* Too short to hold a tag. */
    ck_assert_int_eq(hpke_open(&c, NULL, 0, e->ct, 15, pt), -EINVAL);
    hpke_ctx_wipe(&c);
    /* A low-order public key (all zeros) makes a zero shared secret. */
    memset(enc, 0, sizeof(enc));
    ck_assert_int_eq(hpke_setup_base_r(v.sk_r, enc, v.info, v.info_len, &c), -EKEYREJECTED);
    ck_assert_int_eq(hpke_setup_base_s(enc, v.info, v.info_len, NULL, ct, &c), -EKEYREJECTED);
}
END_TEST

/* Auth mode opens only for the sender's key: another static key, or base
 * mode on an auth-mode message, gives other keys. */
START_TEST(auth_mode_binds_the_sender)
{
    struct vec v;
    struct hpke_ctx c;
    uint8_t pt[VAL_MAX], sk[32], pk[32];
    const typeof(v.enc_vec[0]) *e;

    load_mode(&v, 1);
    e = &v.enc_vec[0];
    ck_assert_int_eq(hpke_keypair_derive(v.ikm_s, 32, sk, pk), 0);
    ck_assert_mem_eq(sk, v.sk_s, 32);
    ck_assert_mem_eq(pk, v.pk_s, 32);
    ck_assert_int_eq(hpke_public_key(v.sk_s, pk), 0);
    ck_assert_mem_eq(pk, v.pk_s, 32);
    /* The recipient's own key as the sender's, the ephemeral key, a fresh one. */
    for (int t = 0; t < 3; t++) {
        if (t == 0) memcpy(pk, v.pk_r, 32);
        if (t == 1) memcpy(pk, v.pk_e, 32);
        if (t == 2) ck_assert_int_eq(hpke_keypair_generate(sk, pk), 0);
        ck_assert_int_eq(hpke_setup_auth_r(v.sk_r, v.enc, pk, v.info, v.info_len, &c), 0);
        ck_assert_int_eq(hpke_open(&c, e->aad, e->aad_len, e->ct, e->ct_len, pt), -EBADMSG);
        hpke_ctx_wipe(&c);
    }
    ck_assert_int_eq(hpke_setup_base_r(v.sk_r, v.enc, v.info, v.info_len, &c), 0);
    ck_assert_int_eq(hpke_open(&c, e->aad, e->aad_len, e->ct, e->ct_len, pt), -EBADMSG);
    hpke_ctx_wipe(&c);
    /* A low-order sender key is refused like a low-order enc. */
    memset(pk, 0, sizeof(pk));
    ck_assert_int_eq(hpke_setup_auth_r(v.sk_r, v.enc, pk, v.info, v.info_len, &c), -EKEYREJECTED);
}
END_TEST

START_TEST(round_trip_fresh_keys)
{
    uint8_t sk[32], pk[32], enc[32], msg[1000], ct[1016], pt[1000];
    struct hpke_ctx s, r;

    ck_assert_int_eq(hpke_keypair_generate(sk, pk), 0);
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(hpke_setup_base_s(pk, (const uint8_t *)"info", 4, NULL, enc, &s), 0);
    ck_assert_int_eq(hpke_seal(&s, (const uint8_t *)"aad", 3, msg, sizeof(msg), ct), 0);
    ck_assert_int_eq(hpke_setup_base_r(sk, enc, (const uint8_t *)"info", 4, &r), 0);
    ck_assert_int_eq(hpke_open(&r, (const uint8_t *)"aad", 3, ct, sizeof(ct), pt), 0);
    ck_assert_mem_eq(pt, msg, sizeof(msg));
    /* The same message opened twice fails: the nonce moved on. */
    ck_assert_int_eq(hpke_open(&r, (const uint8_t *)"aad", 3, ct, sizeof(ct), pt), -EBADMSG);
    /* Two encapsulations to one key never share an ephemeral key. */
    {
        uint8_t enc2[32];
        struct hpke_ctx s2;
        ck_assert_int_eq(hpke_setup_base_s(pk, NULL, 0, NULL, enc2, &s2), 0);
        ck_assert_int_ne(memcmp(enc, enc2, 32), 0);
        hpke_ctx_wipe(&s2);
    }
    /* Empty plaintext: just a tag. */
    ck_assert_int_eq(hpke_seal(&s, NULL, 0, NULL, 0, ct), 0);
    hpke_ctx_wipe(&s);
    hpke_ctx_wipe(&r);
}
END_TEST

START_TEST(bounds)
{
    uint8_t big[HPKE_INFO_MAX + 1] = { 0 }, sk[32], pk[32], enc[32], out[32];
    struct hpke_ctx c;
    ck_assert_int_eq(hpke_keypair_generate(sk, pk), 0);
    ck_assert_int_eq(hpke_setup_base_s(pk, big, sizeof(big), NULL, enc, &c), -EINVAL);
    ck_assert_int_eq(hpke_setup_base_s(pk, big, HPKE_INFO_MAX, NULL, enc, &c), 0);
    ck_assert_int_eq(hpke_export(&c, NULL, 0, out, 0), -EINVAL);
    c.seq = UINT64_MAX;
    ck_assert_int_eq(hpke_seal(&c, NULL, 0, NULL, 0, out), -EOVERFLOW);
    hpke_ctx_wipe(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hpke");
    TCase *tc = tcase_create("rfc9180");
    tcase_add_test(tc, derive_key_pairs);
    tcase_add_loop_test(tc, sender_matches_vector, 0, 2);
    tcase_add_loop_test(tc, receiver_matches_vector, 0, 2);
    tcase_add_test(tc, auth_mode_binds_the_sender);
    tcase_add_test(tc, open_refuses_tampering);
    tcase_add_test(tc, round_trip_fresh_keys);
    tcase_add_test(tc, bounds);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
