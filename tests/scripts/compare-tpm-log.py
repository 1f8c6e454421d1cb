#!/usr/bin/env python3
"""Compares a real boot's TPM event log with what our measurement code says,
event by event (check-vtpm-boot.sh).

Usage: compare-tpm-log.py LOG.json TPM_MODEL.json [DISK_MODEL.json]

LOG.json is `tdxctl --json eventlog show LOG --kind tpm`; TPM_MODEL.json is
`tdxctl --json measure --uki UKI --tpm --bank sha256 --bank sha384`;
DISK_MODEL.json is `tdxctl --json measure --firmware F --disk D --uki UKI`
(the RTMR model of the same boot without a TPM).

Groups that are compared (in log order, pairwise):
  pcr4, pcr9, pcr11   the vTPM model, SHA-256 and SHA-384 digests. Model
                      events that userspace makes (systemd-pcrphase) are not
                      in a firmware log and are left out.
  rtmr1               the disk-boot model's RTMR1 against the log's events of
                      PCRs 2-6 (which OVMF maps to RTMR1 in a TD), SHA-384.
                      Separators are left out: how OVMF logs them differs
                      between its TPM and CC paths (see the notes printed).
  rtmr2               the disk-boot model's RTMR2 against PCRs 8-15, without
                      systemd-stub's PCR 11-13 events when the model says the
                      stub measures nothing into the CC protocol.
Every log event no group covers is listed as not modelled. Exit status 1 when
any compared event differs or a group's counts differ.
"""
import difflib
import json
import sys

PHASE_PREFIX = "systemd-pcrphase"


def load(path, key=None):
    with open(path) as f:
        doc = json.load(f)
    if not doc.get("ok"):
        sys.exit("%s: not a successful tdxctl --json result" % path)
    return doc[key] if key else doc


def pcr_of(register):
    return int(register[3:]) if register and register.startswith("pcr") else None


def short(d):
    return (d[:16] + "...") if d else "-"


def model_digest(e, bank):
    d = e.get("digests", {}).get(bank)
    if d:
        return d
    # The RTMR model has one SHA-384 digest per event.
    d = e.get("digest", "")
    return d if bank == "sha384" and len(d) == 96 else None


def align(logged, model, bank):
    """Pairs log and model events in order; an event on one side only is
    paired with None, so an extra or missing event shows as itself instead of
    shifting every later pair."""
    a = [e["digests"].get(bank) for e in logged]
    b = [model_digest(e, bank) for e in model]
    pairs = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("equal", "replace") and i2 - i1 == j2 - j1:
            pairs += list(zip(logged[i1:i2], model[j1:j2]))
        else:
            pairs += [(e, None) for e in logged[i1:i2]] + [(None, e) for e in model[j1:j2]]
    return pairs


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    log = [e for e in load(sys.argv[1])["events"] if e["type"] != "EV_NO_ACTION"]
    tpm = load(sys.argv[2], "measurements")
    disk = load(sys.argv[3], "measurements") if len(sys.argv) == 4 else None

    groups = []
    for reg in ("pcr4", "pcr9", "pcr11"):
        model = [e for e in tpm["events"] if e["register"] == reg
                 and not e.get("description", "").startswith(PHASE_PREFIX)]
        logged = [e for e in log if e["register"] == reg]
        groups.append((reg + " (vTPM model)", logged, model, ("sha256", "sha384")))
    if disk:
        stub_none = disk.get("assumptions", {}).get("rtmr2_stub", "").startswith("none")
        model1 = [e for e in disk["events"] if e["register"] == "rtmr1"
                  and e["type"] != "EV_SEPARATOR"]
        logged1 = [e for e in log if 2 <= (pcr_of(e["register"]) or -1) <= 6
                   and e["type"] != "EV_SEPARATOR"]
        groups.append(("rtmr1 (disk-boot model)", logged1, model1, ("sha384",)))
        model2 = [e for e in disk["events"] if e["register"] == "rtmr2"]
        logged2 = [e for e in log if 8 <= (pcr_of(e["register"]) or -1) <= 15
                   and not (stub_none and pcr_of(e["register"]) in (11, 12, 13))]
        groups.append(("rtmr2 (disk-boot model)", logged2, model2, ("sha384",)))

    covered = set()
    bad = 0
    print("%-24s %3s %-6s %-34s %-8s %-19s %-19s %s" % (
        "group", "#", "log", "type", "bank", "log digest", "computed", "result"))
    for name, logged, model, banks in groups:
        for n, (le, me) in enumerate(align(logged, model, banks[-1])):
            if le:
                covered.add(le["record"])
            for bank in banks:
                ld = le["digests"].get(bank) if le else None
                md = model_digest(me, bank) if me else None
                if le and me and ld and md and ld == md:
                    result = "match"
                else:
                    bad += 1
                    result = ("MISMATCH" if le and me else
                              "MISSING from the log" if me else "NOT COMPUTED (log only)")
                print("%-24s %3d %-6s %-34s %-8s %-19s %-19s %s" % (
                    name, n, le["register"] if le else "-", (le or me)["type"], bank,
                    short(ld), short(md), result))
                if result != "match":
                    print("    log:      %s  %s\n    computed: %s  %s" % (
                        ld or "-", le["description"] if le else "",
                        md or "-", me.get("description", "") if me else ""))
    print()
    print("log events not modelled (not compared):")
    for e in log:
        if e["record"] not in covered:
            print("  record %3d %-6s %-34s %s" % (e["record"], e["register"] or "-", e["type"],
                                                  e["description"][:100]))
    print()
    if bad:
        print("FAIL: %d digest(s) of modelled events differ from the real boot" % bad)
        return 1
    print("ok: every modelled event matches the real boot's TPM log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
