/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/cloud.h
 * @brief The cloud commands that deploy a built image as a TDX VM.
 *
 * The library does not call a cloud: it returns the exact commands (`az`,
 * `azcopy`, `gcloud`) as argument vectors, for the user to run with their
 * own credentials (`tdxctl deploy CLOUD --dry-run` prints them).
 */
#ifndef TDXHOST_CLOUD_H
#define TDXHOST_CLOUD_H

#include "common.h"

TDX_BEGIN_DECLS

/** Clouds. Append-only. */
typedef enum tdx_cloud {
    TDX_CLOUD_AZURE = 0, /**< managed disk from a fixed VHD, ConfidentialVM with vTPM */
    TDX_CLOUD_GCP = 1    /**< image from disk.raw in a tar.gz, --confidential-compute-type=TDX */
} tdx_cloud;

#define TDX_CLOUD_DEPLOY_OPTIONS_VERSION 1
typedef struct tdx_cloud_deploy_options {
    unsigned int version;
    /** VM (and disk, image) name; required. Letters, digits, '-'. */
    const char *name;
    /** The image file: Azure a fixed .vhd (its size is the upload size), GCP the
     *  .tar.gz; required. */
    const char *image;
    /** Azure: resource group (required); GCP: project (optional). */
    const char *group;
    /** Azure: region (required); GCP: zone (required), e.g. us-central1-a. */
    const char *location;
    /** GCP: Cloud Storage bucket the tar.gz is uploaded to (required). */
    const char *bucket;
    /** VM size; NULL: Standard_DC2es_v5 (Azure), c3-standard-4 (GCP). */
    const char *size;
} tdx_cloud_deploy_options;
#define TDX_CLOUD_DEPLOY_OPTIONS_INIT { TDX_CLOUD_DEPLOY_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * The commands that deploy @p opts->image on @p cloud, in order, as a JSON
 * array of argument vectors (arrays of strings). Azure: `az disk create`
 * (upload, security type ConfidentialVM_NonPersistedTPM, Hyper-V V2),
 * `az disk grant-access` (its output is the SAS URL the next command names
 * as "$SAS"), `azcopy copy` as a page blob, `az disk revoke-access`,
 * `az vm create` (ConfidentialVM, vTPM on, Secure Boot off). GCP:
 * `gcloud storage cp`, `gcloud compute images create` (guest OS features
 * UEFI_COMPATIBLE, TDX_CAPABLE, GVNIC), `gcloud compute instances create`
 * (--confidential-compute-type=TDX, --maintenance-policy=TERMINATE).
 * @param[out] json receives the text; free with tdx_free().
 * @return 0; -EINVAL (a required option missing or malformed: named; an
 *         Azure image whose size is not N MiB + 512 bytes); -ENOENT (no image file).
 */
TDX_EXTERN int tdx_cloud_deploy_commands(tdx_cloud cloud, const tdx_cloud_deploy_options *opts, char **json,
                                   tdx_error *err);

TDX_END_DECLS

#endif
