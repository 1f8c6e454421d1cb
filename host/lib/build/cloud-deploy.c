/* SPDX-License-Identifier: MIT */
/* The az/azcopy/gcloud commands of tdx_cloud_deploy_commands(); facts from
 * docs/deploy.md ("Clouds"). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "json-text.h"
#include "macro.h"
#include "tdxhost/cloud.h"

#define MIB (1024 * 1024)

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* Appends one command: NULL-terminated words. */
static void cmd(json_t *list, const char *const *words)
{
    json_t *a = json_array();
    for (size_t i = 0; words[i]; i++)
        json_array_append_new(a, json_string(words[i]));
    json_array_append_new(list, a);
}

static int azure(const tdx_cloud_deploy_options *o, uint64_t size, json_t *list, tdx_error *err)
{
    char disk[80], bytes[32];
    const char *vm_size = o->size ? o->size : "Standard_DC2es_v5";

    if (!o->group || !*o->group)
        return tdx_err(err, -EINVAL, "deploy azure: the resource group is required (--group)");
    if (!o->location || !*o->location)
        return tdx_err(err, -EINVAL, "deploy azure: the region is required (--location)");
    if (size < 20 * MIB + 512 || (size - 512) % MIB != 0)
        return tdx_err(err, -EINVAL, "deploy azure: %s is %llu bytes; Azure uploads fixed VHDs "
                       "of N MiB + 512 bytes, at least 20 MiB (tdxctl cloud vhd writes them)",
                       o->image, (unsigned long long)size);
    snprintf(disk, sizeof(disk), "%s-disk", o->name);
    snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)size);
    cmd(list, (const char *[]){ "az", "disk", "create", "--resource-group", o->group, "--name",
                                disk, "--location", o->location, "--upload-type", "Upload",
                                "--upload-size-bytes", bytes, "--security-type",
                                "ConfidentialVM_NonPersistedTPM", "--hyper-v-generation", "V2",
                                "--os-type", "Linux", NULL });
    cmd(list, (const char *[]){ "az", "disk", "grant-access", "--resource-group", o->group,
                                "--name", disk, "--access-level", "Write",
                                "--duration-in-seconds", "86400", "--query", "accessSAS",
                                "--output", "tsv", NULL });
    cmd(list, (const char *[]){ "azcopy", "copy", o->image, "$SAS", "--blob-type", "PageBlob",
                                NULL });
    cmd(list, (const char *[]){ "az", "disk", "revoke-access", "--resource-group", o->group,
                                "--name", disk, NULL });
    cmd(list, (const char *[]){ "az", "vm", "create", "--resource-group", o->group, "--name",
                                o->name, "--location", o->location, "--size", vm_size,
                                "--attach-os-disk", disk, "--os-type", "Linux",
                                "--security-type", "ConfidentialVM", "--enable-vtpm", "true",
                                "--enable-secure-boot", "false",
                                "--os-disk-security-encryption-type", "NonPersistedTPM", NULL });
    return 0;
}

static int gcp(const tdx_cloud_deploy_options *o, json_t *list, tdx_error *err)
{
    char uri[600], source[620], zone[200], project[200];
    const char *size = o->size ? o->size : "c3-standard-4";

    if (!o->location || !*o->location)
        return tdx_err(err, -EINVAL, "deploy gcp: the zone is required (--location)");
    if (!o->bucket || !*o->bucket || strchr(o->bucket, '/'))
        return tdx_err(err, -EINVAL, "deploy gcp: the bucket name is required (--bucket NAME)");
    if (!endswith(o->image, ".tar.gz"))
        return tdx_err(err, -EINVAL, "deploy gcp: %s: GCP imports disk.raw in a .tar.gz "
                       "(tdxctl cloud gcp writes it)", o->image);
    snprintf(uri, sizeof(uri), "gs://%s/%s.tar.gz", o->bucket, o->name);
    snprintf(source, sizeof(source), "--source-uri=%s", uri);
    snprintf(zone, sizeof(zone), "--zone=%s", o->location);
    snprintf(project, sizeof(project), "--project=%s", o->group ? o->group : "");
    cmd(list, (const char *[]){ "gcloud", "storage", "cp", o->image, uri, NULL });
    cmd(list, (const char *[]){ "gcloud", "compute", "images", "create", o->name, source,
                                "--guest-os-features=UEFI_COMPATIBLE,TDX_CAPABLE,GVNIC",
                                o->group ? project : NULL, NULL });
    {
        char machine[200], image[200];
        snprintf(machine, sizeof(machine), "--machine-type=%s", size);
        snprintf(image, sizeof(image), "--image=%s", o->name);
        cmd(list, (const char *[]){ "gcloud", "compute", "instances", "create", o->name, zone,
                                    machine, "--confidential-compute-type=TDX",
                                    "--maintenance-policy=TERMINATE", image,
                                    o->group ? project : NULL, NULL });
    }
    return 0;
}

int tdx_cloud_deploy_commands(tdx_cloud cloud, const tdx_cloud_deploy_options *opts, char **json,
                        tdx_error *err)
{
    struct stat st;
    json_t *list;
    int r;

    tdx_check_options(opts, TDX_CLOUD_DEPLOY_OPTIONS_VERSION, err);
    tdx_check_arg(opts, err);
    tdx_check_arg(json, err);
    if (cloud != TDX_CLOUD_AZURE && cloud != TDX_CLOUD_GCP)
        return tdx_err(err, -EINVAL, "tdx_cloud_deploy_commands: unknown cloud %d", (int)cloud);
    if (!name_ok(opts->name))
        return tdx_err(err, -EINVAL, "deploy: name \"%s\": expected 1 to 63 letters, digits or "
                       "'-'", opts->name ? opts->name : "");
    if (!opts->image)
        return tdx_err(err, -EINVAL, "deploy: the image file is required");
    if (stat(opts->image, &st) < 0)
        return tdx_err(err, -errno, "deploy: %s: %s", opts->image, strerror(errno));
    list = json_array();
    if (!list)
        return tdx_err_oom(err);
    r = cloud == TDX_CLOUD_AZURE ? azure(opts, (uint64_t)st.st_size, list, err)
                                 : gcp(opts, list, err);
    if (r >= 0) {
        *json = json_canonical_text(list);
        r = *json ? 0 : tdx_err_oom(err);
    }
    json_decref(list);
    return r;
}
