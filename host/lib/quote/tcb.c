/* SPDX-License-Identifier: MIT */
/*
 * The tdx_module and tcb_status steps: Intel's TCB level matching for TDX
 * (QVL TcbLevelCheck / TdxModuleCheck) and the policy on its result.
 *
 *  - TDX module: TEE_TCB_SVN[1] is the module's major version. When it is
 *    not 0, the TCB info's tdxModuleIdentities entry "TDX_%02X" applies: its
 *    mrsigner and attributes, and its tcbLevels matched by ISVSVN =
 *    TEE_TCB_SVN[0]. Otherwise the "tdxModule" entry's identity applies.
 *  - Platform: the first TCB level (Intel lists them best first) whose 16
 *    SGX components and PCESVN are at most the PCK certificate's, and whose
 *    TDX components are at most TEE_TCB_SVN's; components 0 and 1 are
 *    skipped when TEE_TCB_SVN[1] is not 0 (the module identity rules them).
 *  - The three statuses combine as Intel's QVL converges them: OutOfDate
 *    from the module or the QE makes UpToDate and SWHardeningNeeded
 *    OutOfDate and the Configuration statuses OutOfDateConfigurationNeeded;
 *    Revoked anywhere is Revoked.
 */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "hex.h"
#include "strv.h"
#include "verify-internal.h"

static const struct module_identity *find_identity(const struct tcb_info *t, uint8_t version, char id[16])
{
    const struct module_identity *m = NULL;
    snprintf(id, 16, "TDX_%02X", version);
    for (size_t i = 0; i < t->n_identities; i++)
        if (strcasecmp(t->identities[i].id, id) == 0)
            m = &t->identities[i];
    return m;
}

int check_tdx_module(struct vctx *c)
{
    const struct tcb_info *t = c->tcb;
    const uint8_t *body = quote_at(c->q, c->q->body);
    const uint8_t *svn = body + BODY_TEE_TCB_SVN, *attrs = body + BODY_SEAM_ATTRIBUTES;
    const struct module_identity *m = &t->module;
    char id[16], got[97], want[97];

    if (svn[1] > 0) {
        m = find_identity(t, svn[1], id);
        if (!m)
            return vfail(c, -EKEYREJECTED, "no TDX module identity %s (TEE_TCB_SVN[1] = %u) in the TCB info (%s)", id,
                         svn[1], t->doc.origin);
    } else {
        snprintf(id, sizeof(id), "tdxModule");
    }
    if (memcmp(body + BODY_MRSIGNERSEAM, m->mrsigner, 48) != 0) {
        hex_encode(body + BODY_MRSIGNERSEAM, 48, got);
        hex_encode(m->mrsigner, 48, want);
        return vfail(c, -EKEYREJECTED, "MRSIGNERSEAM %s differs from %s's mrsigner %s", got, id, want);
    }
    for (int i = 0; i < 8; i++)
        if ((attrs[i] & m->attributes_mask[i]) != (m->attributes[i] & m->attributes_mask[i]) ||
            (attrs[i] & ~m->attributes_mask[i])) {
            hex_encode(attrs, 8, got);
            hex_encode(m->attributes, 8, want);
            return vfail(c, -EKEYREJECTED, "SEAMATTRIBUTES %s do not match %s's attributes %s under its mask", got,
                         id, want);
        }
    if (m == &t->module)
        return 0;
    for (size_t i = 0; i < m->n_levels; i++)
        if (svn[0] >= m->levels[i].isvsvn) {
            c->module_level = &m->levels[i];
            c->res->module_status = c->module_level->status;
            return 0;
        }
    return vfail(c, -EKEYREJECTED, "TDX module ISVSVN %u (TEE_TCB_SVN[0]) is below every TCB level of %s", svn[0], id);
}

static bool sgx_matches(const struct tcb_level *l, const struct pck_ext *ext)
{
    if (ext->pcesvn < l->pcesvn)
        return false;
    for (int i = 0; i < 16; i++)
        if (ext->comp_svn[i] < l->sgx[i])
            return false;
    return true;
}

static bool level_matches(const struct tcb_level *l, const struct pck_ext *ext, const uint8_t *tee_svn)
{
    if (!sgx_matches(l, ext))
        return false;
    for (int i = tee_svn[1] > 0 ? 2 : 0; i < 16; i++)
        if (tee_svn[i] < l->tdx[i])
            return false;
    return true;
}

/* Combines a platform status with the module's or the QE's. */
static tdx_tcb_status converge(tdx_tcb_status platform, tdx_tcb_status other)
{
    if (platform == TDX_TCB_REVOKED || other == TDX_TCB_REVOKED)
        return TDX_TCB_REVOKED;
    if (other == TDX_TCB_OUT_OF_DATE || other == TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) {
        if (platform == TDX_TCB_UP_TO_DATE || platform == TDX_TCB_SW_HARDENING_NEEDED)
            return TDX_TCB_OUT_OF_DATE;
        if (platform == TDX_TCB_CONFIGURATION_NEEDED || platform == TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
            return TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
    }
    return platform;
}

static bool configuration_needed(tdx_tcb_status s)
{
    return s == TDX_TCB_CONFIGURATION_NEEDED || s == TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
           s == TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED || s == TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/*
 * TDX 1.5 (QVL checkForRelaunch, TDRelaunchCheck.cpp): the TD was launched
 * on an OutOfDate TDX module (TEE_TCB_SVN), but the module it runs on now
 * (TEE_TCB_SVN2) is at the latest level: the platform is fine and a relaunch
 * would bring the TD up to date. Only when the SGX part of the platform is
 * not OutOfDate, the TDX part is OutOfDate because of the module, and the QE
 * is not OutOfDate. Returns the status, changed or not, or a step failure.
 */
static int relaunch(struct vctx *c, tdx_tcb_status sgx, tdx_tcb_status tdx, tdx_tcb_status *out)
{
    const uint8_t *svn2 = quote_at(c->q, c->q->body) + BODY_TEE_TCB_SVN2;
    const struct tcb_level *latest = &c->tcb->levels[0];
    const struct module_identity *m;
    bool current;
    char id[16];

    *out = tdx;
    if (c->q->body_type != 3 || !c->module_level || c->module_level->status != TDX_TCB_OUT_OF_DATE ||
        c->qe_level->status == TDX_TCB_OUT_OF_DATE || c->qe_level->status == TDX_TCB_REVOKED ||
        (sgx != TDX_TCB_UP_TO_DATE && sgx != TDX_TCB_SW_HARDENING_NEEDED && sgx != TDX_TCB_CONFIGURATION_NEEDED &&
         sgx != TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED) ||
        (tdx != TDX_TCB_OUT_OF_DATE && tdx != TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED))
        return 0;
    if (svn2[1] == 0) {
        current = svn2[0] >= latest->tdx[0] && svn2[2] >= latest->tdx[2];
    } else {
        m = find_identity(c->tcb, svn2[1], id);
        if (!m)
            return vfail(c, -EKEYREJECTED,
                         "no TDX module identity %s (TEE_TCB_SVN2[1] = %u, the running module) in the TCB info (%s)",
                         id, svn2[1], c->tcb->doc.origin);
        current = svn2[0] >= m->levels[0].isvsvn && svn2[2] >= latest->tdx[2];
    }
    if (current)
        *out = configuration_needed(sgx) || configuration_needed(tdx) ? TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
                                                                      : TDX_TCB_TD_RELAUNCH_ADVISED;
    return 0;
}

static void components(char *buf, size_t size, const uint8_t *v, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? "," : "", v[i]);
}

static int add_advisories(char ***all, char *const *add)
{
    STRV_FOREACH(a, add)
        if (!strv_contains(*all, *a) && strv_push(all, *a) < 0)
            return -ENOMEM;
    return 0;
}

/* "a, b, c", cut at the buffer's end. */
static void join(char *buf, size_t size, const char *const *v)
{
    size_t len = 0;
    buf[0] = '\0';
    for (; v && *v && len < size; v++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *v);
}

static bool accepted(const char *const *accept, tdx_tcb_status status)
{
    if (!accept)
        return status == TDX_TCB_UP_TO_DATE;
    for (; *accept; accept++)
        if (streq(*accept, tdx_tcb_status_name(status)))
            return true;
    return false;
}

static int require_evaluation(struct vctx *c)
{
    long long min = c->o->min_tcb_evaluation;
    if (min == TDX_UNSET)
        return 0;
    if (c->res->tcb_evaluation < min)
        return vfail(c, -EPERM, "the TCB info's tcbEvaluationDataNumber %lld is below the required %lld",
                     c->res->tcb_evaluation, min);
    if (c->res->qe_evaluation < min)
        return vfail(c, -EPERM, "the QE identity's tcbEvaluationDataNumber %lld is below the required %lld",
                     c->res->qe_evaluation, min);
    return 0;
}

int check_tcb_status(struct vctx *c)
{
    const uint8_t *tee_svn = quote_at(c->q, c->q->body) + BODY_TEE_TCB_SVN;
    const struct pck_ext *ext = &c->chain->ext;
    const struct tcb_level *level = NULL, *sgx_level = NULL;
    tdx_verification *res = c->res;
    char sgx[80], tdx[80], accept[200] = "UpToDate", advisories[300] = "";
    tdx_tcb_status s;
    int r;

    for (size_t i = 0; i < c->tcb->n_levels && !sgx_level; i++)
        if (sgx_matches(&c->tcb->levels[i], ext))
            sgx_level = &c->tcb->levels[i];
    for (size_t i = 0; i < c->tcb->n_levels && !level; i++)
        if (level_matches(&c->tcb->levels[i], ext, tee_svn))
            level = &c->tcb->levels[i];
    if (!level) {
        components(sgx, sizeof(sgx), ext->comp_svn, 16);
        components(tdx, sizeof(tdx), tee_svn, 16);
        return vfail(c, -EKEYREJECTED,
                     "no TCB level of the TCB info (%s) matches: PCK SGX components %s, PCESVN %u, TEE_TCB_SVN %s",
                     c->tcb->doc.origin, sgx, ext->pcesvn, tdx);
    }
    res->platform_status = level->status;
    s = level->status;
    if (c->module_level)
        s = converge(s, c->module_level->status);
    if (s != TDX_TCB_REVOKED && (r = relaunch(c, sgx_level->status, s, &s)) < 0)
        return r;
    s = converge(s, c->qe_level->status);
    res->status = s;
    if (add_advisories(&res->advisories, level->advisories) < 0 ||
        (c->module_level && add_advisories(&res->advisories, c->module_level->advisories) < 0) ||
        add_advisories(&res->advisories, c->qe_level->advisories) < 0)
        return vfail(c, -ENOMEM, "out of memory");
    strv_sort_uniq(res->advisories);
    if (s == TDX_TCB_REVOKED)
        return vfail(c, -EKEYREVOKED, "TCB status Revoked (platform %s)", tdx_tcb_status_name(level->status));
    if (!accepted(c->o->accept_tcb, s)) {
        if (c->o->accept_tcb)
            join(accept, sizeof(accept), c->o->accept_tcb);
        join(advisories, sizeof(advisories), (const char *const *)res->advisories);
        return vfail(c, -EPERM, "TCB status %s is not accepted (accepted: %s)%s%s", tdx_tcb_status_name(s), accept,
                     res->advisories ? "; advisories: " : "", advisories);
    }
    STRV_FOREACH(a, res->advisories)
        if (c->o->accept_advisories && !strv_contains((char *const *)c->o->accept_advisories, *a)) {
            join(accept, sizeof(accept), c->o->accept_advisories);
            return vfail(c, -EPERM, "TCB status %s comes with advisory %s, which is not accepted (accepted: %s)",
                         tdx_tcb_status_name(s), *a, accept[0] ? accept : "none");
        }
    return require_evaluation(c);
}
