#!/bin/sh
# tdxctl quote show / verify: the CLI contract (exit 0/1/2, "tdxctl: "
# messages, --json objects) on the real quotes and collateral in
# tests/data/testdata.
# Usage: check-quote-cli.sh TDXCTL SOURCE_ROOT
set -u
tdxctl=$1
src=$2
data="$src/tests/data/testdata"
if [ ! -d "$data/quotes" ]; then
    echo "SKIP: $data/quotes is absent (the project's test data beside the repository)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
q="$data/quotes"
dcap="$data/collateral/dcap-qvl/tdx_quote_collateral.json"

# shellcheck source-path=SCRIPTDIR source=expect.sh
. "$(dirname "$0")/expect.sh"

out_has() { # REGEX (basic, matched against stdout)
    grep -q -- "$1" "$tmp/out" || { echo "FAIL: stdout lacks /$1/:"; head -c 2000 "$tmp/out"; echo; fail=1; }
}

hex48='[0-9a-f]\{96\}'
expect 0 "" "$tdxctl" quote --help
grep -q '^Usage: tdxctl quote show' "$tmp/out" || { echo "FAIL: quote --help"; fail=1; }
expect 2 "tdxctl: quote: expected a verb (show, verify) and QUOTE" "$tdxctl" quote
expect 2 "tdxctl: quote: unknown verb 'check'" "$tdxctl" quote check "$q/trustee_v5.dat"
expect 2 "show takes no verification options" "$tdxctl" quote show "$q/trustee_v5.dat" --now 2025-01-01T00:00:00Z

# show --json: the keys of the contract, each quote.
for f in "$q"/*.dat; do
    expect 0 "" "$tdxctl" quote show "$f" --json
    for key in mrtd rtmr0 rtmr1 rtmr2 rtmr3 mrconfigid mrowner mrownerconfig mrseam; do
        out_has "\"$key\":\"$hex48\""
    done
    out_has '"version":[45],'
    out_has '"report_data":"[0-9a-f]\{128\}"'
    out_has '"td_attributes":"[0-9a-f]\{16\}"'
    out_has '"xfam":"[0-9a-f]\{16\}"'
    out_has '"tee_tcb_svn":"[0-9a-f]\{32\}"'
    out_has '"trailing_bytes":[0-9]'
done
expect 0 "" "$tdxctl" --json quote show "$q/gotdx_v4_spr_e4_trailing.dat"
out_has '"trailing_bytes":39,'
expect 0 "" "$tdxctl" quote show "$q/dcapqvl_v5_outdated.dat"
out_has '^version: 5$'
out_has '^body_type: 3 (TDX 1.5)$'
out_has "^mrservicetd: $hex48\$"
printf 'not a quote at all, but long enough to have a 48-byte header' >"$tmp/bad.dat"
expect 1 "tdxctl: $tmp/bad.dat: quote: offset 0: version 28526 is not a TDX quote version (4 or 5)" \
    "$tdxctl" quote show "$tmp/bad.dat"

# verify: every real quote against the Intel root, with what each needs
# allowed; trustee_v5 has a service TD bound (MRSERVICETD), which only a
# policy that expects it accepts (below).
for f in "$q"/*.dat; do
    case $f in */trustee_v5.dat) continue ;; esac
    expect 0 "" "$tdxctl" quote verify "$f" --allow-debug --allow-sept-ve
    out_has '^verified: yes$'
done
expect 1 "tdxctl: mrservicetd: MRSERVICETD is 383c87d3" "$tdxctl" quote verify "$q/trustee_v5.dat"
# Safe defaults: a TD without SEPT_VE_DISABLE is refused, naming the bit.
expect 1 "tdxctl: td_attributes: TD attribute SEPT_VE_DISABLE (bit 28) is clear (attributes 0000000000000000)" \
    "$tdxctl" quote verify "$q/trustee_azure_v4.dat"
expect 0 "" "$tdxctl" quote verify "$q/trustee_azure_v4.dat" --allow-sept-ve
expect 1 "tdxctl: td_attributes: TD attribute DEBUG (bit 0) is set" "$tdxctl" quote verify "$q/trustee_v4_exact.dat"
expect 1 "" "$tdxctl" quote verify "$q/trustee_v4_exact.dat" --json
out_has '^{.*"message":"TD attribute DEBUG (bit 0) is set.*"step":"td_attributes".*"verified":false}$'

# Policy files: trustee_v5's service TD expected; flags override the file.
servicetd=383c87d3bbb047b2d171eaca95312ede99f258088dc788f6ae2ccf8b6dd848fe8d47629e08b3f6cbd4a00dd47a5a033d
printf '{"mrservicetd": ["%s"]}\n' "$servicetd" >"$tmp/servicetd.json"
expect 0 "" "$tdxctl" quote verify "$q/trustee_v5.dat" --policy "$tmp/servicetd.json"
out_has '^  mrservicetd          passed$'
printf '{"allow_sept_ve": false, "allow_debug": false}\n' >"$tmp/strict.json"
expect 1 "tdxctl: td_attributes: TD attribute SEPT_VE_DISABLE (bit 28) is clear" \
    "$tdxctl" quote verify "$q/trustee_azure_v4.dat" --policy "$tmp/strict.json"
expect 0 "" "$tdxctl" quote verify "$q/trustee_azure_v4.dat" --policy "$tmp/strict.json" --allow-sept-ve
printf '{"allow_sept_ve": true}\n' >"$tmp/sept.json"
expect 0 "" "$tdxctl" quote verify "$q/trustee_azure_v4.dat" --policy "$tmp/sept.json"
cp "$dcap" "$tmp/collateral.json"
printf '{"collateral": "collateral.json", "now": "2025-07-10T00:00:00Z", "allow_tcb": ["UpToDate"]}\n' \
    >"$tmp/dcap-policy.json"
expect 0 "" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --policy "$tmp/dcap-policy.json" --json
out_has '"tcb_status":"UpToDate"'
expect 1 "tdxctl: crl: PCK CRL (" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --policy "$tmp/dcap-policy.json" \
    --now 2025-08-01T00:00:00Z
printf '{"alow_debug": true}\n' >"$tmp/typo.json"
expect 1 "tdxctl: $tmp/typo.json: alow_debug: unknown key; did you mean \"allow_debug\"?" \
    "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --policy "$tmp/typo.json" --json
out_has '^{"error":{"code":"EINVAL","message":".*unknown key.*"},"ok":false,"step":null,"verified":false}$'

# Collateral inside and after its window.
expect 0 "" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --collateral "$dcap" --now 2025-07-10T00:00:00Z --json
out_has '"tcb_status":"UpToDate"'
out_has '"verified":true'
out_has '"step":null'
expect 1 "tdxctl: crl: PCK CRL (" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --collateral "$dcap" \
    --now 2025-08-01T00:00:00Z --json
out_has '"step":"crl"'
out_has '"message":"PCK CRL ([^"]*pck_crl) expired: nextUpdate 2025-07-19T10:00:35Z is before now 2025-08-01T00:00:00Z"'
out_has '"verified":false'
expect 1 "tdxctl: tcb_status: no TCB level" "$tdxctl" quote verify "$q/gotdx_v4_spr_e4_trailing.dat" \
    --collateral "$data/collateral/go-tdx-guest" --now 2023-07-01T01:00:00Z

# The synthetic Intel QVL quote: refused under Intel's root, fine under its own.
expect 1 "tdxctl: pck_chain: the chain's root (CN=Intel SGX Root CA, SHA-256 bf85a53f" \
    "$tdxctl" quote verify "$data/synthetic-intel-qvl/quote.dat"
sed -n '1,/-----END CERTIFICATE-----/p' "$data/synthetic-intel-qvl/pckSignChain.pem" >"$tmp/qvl-root.pem"
expect 0 "" "$tdxctl" quote verify "$data/synthetic-intel-qvl/quote.dat" --root "$tmp/qvl-root.pem" --allow-sept-ve

# Expected measurements, as the measurement JSON, from the quote itself.
"$tdxctl" quote show "$q/gotdx_v5_sample.dat" --json >"$tmp/show.json"
get() { sed -n "s/.*\"$1\":\"\\([0-9a-f]*\\)\".*/\\1/p" "$tmp/show.json"; }
printf '{"registers": {"mrtd": "%s", "rtmr0": "%s", "rtmr1": "%s", "rtmr2": "%s", "rtmr3": null}}\n' \
    "$(get mrtd)" "$(get rtmr0)" "$(get rtmr1)" "$(get rtmr2)" >"$tmp/expected.json"
expect 0 "" "$tdxctl" quote verify "$q/gotdx_v5_sample.dat" --expected "$tmp/expected.json" \
    --report-data "$(get report_data)"
out_has '^  measurements         passed$'
out_has '^  report_data          passed$'
sed 's/"rtmr0": "./"rtmr0": "f/' "$tmp/expected.json" >"$tmp/wrong.json"
expect 1 "tdxctl: measurements: rtmr0 is " "$tdxctl" quote verify "$q/gotdx_v5_sample.dat" --expected "$tmp/wrong.json"
expect 1 "tdxctl: report_data: REPORTDATA is " "$tdxctl" quote verify "$q/gotdx_v5_sample.dat" --report-data 00ff
expect 1 "tdxctl: measurements: $tmp/none.json: cannot read" "$tdxctl" quote verify "$q/gotdx_v5_sample.dat" \
    --expected "$tmp/none.json" --json
out_has '"step":"measurements"'

# Failures before verification still say which step.
expect 1 "tdxctl: parse: $tmp/bad.dat: quote: offset 0" "$tdxctl" quote verify "$tmp/bad.dat" --json
out_has '^{"error":{"code":"EBADMSG","message":"parse: .*"},"ok":false,"step":"parse","verified":false}$'
expect 1 "tdxctl: collateral: $tmp/nowhere: No such file or directory" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" \
    --collateral "$tmp/nowhere" --json
out_has '"step":"collateral"'
expect 1 "tdxctl: pck_chain: $tmp/nowhere.pem: cannot read" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" \
    --root "$tmp/nowhere.pem"
expect 1 "tdxctl: tcb_status: TCB checks were asked for, but the verifier has no collateral" \
    "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --allow-tcb UpToDate,OutOfDate

# Usage errors.
expect 2 "tdxctl: quote: --now: \"yesterday\" is not an RFC 3339 time" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --now yesterday
expect 2 "tdxctl: quote: --report-data: expected 2 to 128 hex digits" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --report-data xyz
expect 2 "tdxctl: quote: --collateral and --pccs are exclusive" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" \
    --collateral "$dcap" --pccs http://127.0.0.1:1
expect 2 "a Revoked TCB is never accepted" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --collateral "$dcap" \
    --allow-tcb UpToDate,Revoked
expect 2 "--min-tcb-evaluation: expected a number" "$tdxctl" quote verify "$q/dcapqvl_v4.dat" --min-tcb-evaluation x
exit $fail
