#!/bin/sh
# tdxctl cloud deploy azure|gcp --dry-run: the exact commands, checked as argument
# vectors (--json), and the refusals (no --dry-run, a VHD of the wrong size,
# a missing option). Nothing is sent to a cloud.
# Usage: check-cloud-deploy.sh TDXCTL SOURCE_ROOT
set -eu
tdxctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

head -c 20971520 /dev/zero >"$tmp/d.raw"
"$tdxctl" cloud vhd "$tmp/d.raw" -o "$tmp/d.vhd" >/dev/null
"$tdxctl" cloud gcp "$tmp/d.raw" -o "$tmp/d.tar.gz" >/dev/null
"$tdxctl" cloud deploy azure --dry-run --name tdx1 --image "$tmp/d.vhd" --group rg --location westeurope \
    --json >"$tmp/az.json"
"$tdxctl" cloud deploy gcp --dry-run --name tdx1 --image "$tmp/d.tar.gz" --bucket bkt \
    --location us-central1-a --group proj --json >"$tmp/gcp.json"

python3 - "$tmp/az.json" "$tmp/gcp.json" "$tmp/d.vhd" "$tmp/d.tar.gz" <<'PY' || fail=1
import json, sys
az = json.load(open(sys.argv[1]))["commands"]
gcp = json.load(open(sys.argv[2]))["commands"]
vhd, tgz = sys.argv[3], sys.argv[4]
want_az = [
    ["az", "disk", "create", "--resource-group", "rg", "--name", "tdx1-disk", "--location",
     "westeurope", "--upload-type", "Upload", "--upload-size-bytes", str(20 * 2**20 + 512),
     "--security-type", "ConfidentialVM_NonPersistedTPM", "--hyper-v-generation", "V2",
     "--os-type", "Linux"],
    ["az", "disk", "grant-access", "--resource-group", "rg", "--name", "tdx1-disk",
     "--access-level", "Write", "--duration-in-seconds", "86400", "--query", "accessSAS",
     "--output", "tsv"],
    ["azcopy", "copy", vhd, "$SAS", "--blob-type", "PageBlob"],
    ["az", "disk", "revoke-access", "--resource-group", "rg", "--name", "tdx1-disk"],
    ["az", "vm", "create", "--resource-group", "rg", "--name", "tdx1", "--location", "westeurope",
     "--size", "Standard_DC2es_v5", "--attach-os-disk", "tdx1-disk", "--os-type", "Linux",
     "--security-type", "ConfidentialVM", "--enable-vtpm", "true", "--enable-secure-boot", "false",
     "--os-disk-security-encryption-type", "NonPersistedTPM"],
]
want_gcp = [
    ["gcloud", "storage", "cp", tgz, "gs://bkt/tdx1.tar.gz"],
    ["gcloud", "compute", "images", "create", "tdx1", "--source-uri=gs://bkt/tdx1.tar.gz",
     "--guest-os-features=UEFI_COMPATIBLE,TDX_CAPABLE,GVNIC", "--project=proj"],
    ["gcloud", "compute", "instances", "create", "tdx1", "--zone=us-central1-a",
     "--machine-type=c3-standard-4", "--confidential-compute-type=TDX",
     "--maintenance-policy=TERMINATE", "--image=tdx1", "--project=proj"],
]
ok = True
for got, want, what in ((az, want_az, "azure"), (gcp, want_gcp, "gcp")):
    if got != want:
        ok = False
        print("FAIL: %s commands:\n got  %s\n want %s" % (what, got, want), file=sys.stderr)
sys.exit(0 if ok else 1)
PY

# The text form is the same commands, quoted for sh: run them with stubs.
mkdir "$tmp/bin"
for p in az azcopy gcloud; do
    printf '#!/bin/sh\nprintf "%%s\\n" "$0" "$@" >>"%s/calls"\necho https://sas.example/x\n' "$tmp" >"$tmp/bin/$p"
    chmod +x "$tmp/bin/$p"
done
"$tdxctl" cloud deploy azure --dry-run --name tdx1 --image "$tmp/d.vhd" --group rg --location westeurope \
    >"$tmp/az.sh"
PATH="$tmp/bin:$PATH" sh "$tmp/az.sh"
grep -qx "https://sas.example/x" "$tmp/calls" || { echo "FAIL: azcopy did not get the SAS URL" >&2; fail=1; }
[ "$(grep -c "/bin/az$" "$tmp/calls")" -eq 4 ] || { echo "FAIL: not four az calls" >&2; fail=1; }

expect_fail() { # WHAT GREP ARGS...
    what=$1
    pattern=$2
    shift 2
    if "$tdxctl" cloud deploy "$@" 2>"$tmp/err" >/dev/null; then
        echo "FAIL: $what accepted" >&2
        fail=1
    elif ! grep -q "$pattern" "$tmp/err"; then
        echo "FAIL: $what: $(cat "$tmp/err")" >&2
        fail=1
    fi
}
expect_fail "no --dry-run" "only --dry-run" azure --name x --image "$tmp/d.vhd" --group g --location l
expect_fail "a raw disk for azure" "N MiB + 512 bytes" azure --dry-run --name x --image "$tmp/d.raw" \
    --group g --location l
expect_fail "no resource group" "resource group is required" azure --dry-run --name x --image "$tmp/d.vhd" \
    --location l
expect_fail "no bucket" "bucket name is required" gcp --dry-run --name x --image "$tmp/d.tar.gz" --location z
expect_fail "a bad name" "expected 1 to 63 letters" gcp --dry-run --name 'a b' --image "$tmp/d.tar.gz" \
    --location z --bucket b
exit $fail
