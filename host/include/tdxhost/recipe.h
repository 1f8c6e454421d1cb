/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/recipe.h
 * @brief The image recipe: what goes into a TDX VM image, per profile.
 *
 * A tdx_image records operations (install packages, add files, users,
 * services, secrets, scripts, ...). Operations go to the *current profile*:
 * the default profile until tdx_image_profile() selects another one. The
 * effective recipe of a profile is the default profile's operations followed
 * by that profile's own, in call order; the default profile's effective
 * recipe is its own operations only.
 *
 * Conventions for every function here:
 *  - strings and arrays passed in are copied; the caller keeps ownership;
 *  - string lists are NULL-terminated `const char *const *` arrays (NULL = empty);
 *  - arrays of structs are passed as pointer + count;
 *  - optional parameters come in a versioned options struct initialised with
 *    its *_OPTIONS_INIT macro; passing NULL means "all defaults";
 *    integer fields left at TDX_UNSET keep the current value;
 *  - relative source paths are resolved against the current directory at
 *    call time (recipe files resolve them against the file's directory);
 *  - on failure the image is unchanged and `err` says which field is wrong.
 */
#ifndef TDXHOST_RECIPE_H
#define TDXHOST_RECIPE_H

#include "common.h"

TDX_BEGIN_DECLS

/** Opaque recipe handle. Not thread-safe: use one thread at a time. */
typedef struct tdx_image tdx_image;

/* ------------------------------------------------------------------------ */
/* Creating, loading, profiles                                              */

#define TDX_IMAGE_OPTIONS_VERSION 1
typedef struct tdx_image_options {
    unsigned int version;
    /** Image name, used as mkosi ImageId. [A-Za-z0-9][A-Za-z0-9._-]*; default "image". */
    const char *name;
    /** Name of the default profile; default "default". */
    const char *default_profile;
} tdx_image_options;
#define TDX_IMAGE_OPTIONS_INIT { TDX_IMAGE_OPTIONS_VERSION, NULL, NULL }

/**
 * Creates an empty recipe (base debian/bookworm, systemd init, no debloat).
 * @param[out] out receives the new image; free it with tdx_image_free().
 * @param opts options, or NULL for defaults.
 * @return 0, -EINVAL (bad option), -ENOMEM.
 */
TDX_EXTERN int tdx_image_new(tdx_image **out, const tdx_image_options *opts, tdx_error *err);

/** Frees an image and everything it owns. NULL is accepted. */
TDX_EXTERN void tdx_image_free(tdx_image *image);

/**
 * Loads a JSON recipe file (format: docs/recipe.md) into a new image.
 * Errors name the file and the JSON path, e.g.
 * `recipe.json: services[2].restart: expected one of ...; got "sometimes"`.
 * @param[out] out receives the new image; free it with tdx_image_free().
 * @param path the recipe file; paths inside it are relative to its directory.
 * @return 0, -EINVAL (invalid recipe), -ENOENT/-EACCES/... (unreadable file),
 *         -EFBIG (file over 16 MiB), -ELOOP (include cycle), -ENOMEM.
 */
TDX_EXTERN int tdx_image_load_file(tdx_image **out, const char *path, tdx_error *err);

/**
 * Applies a JSON recipe fragment to an existing image, in its current
 * profile (the C form of a module). The fragment may not set "name".
 * @return as tdx_image_load_file(); on failure operations applied before the
 *         failing one stay applied.
 */
TDX_EXTERN int tdx_image_apply_file(tdx_image *image, const char *path, tdx_error *err);

/**
 * Loads a recipe from memory. @p name labels error messages and @p base_dir
 * resolves relative paths (NULL: the current directory).
 */
TDX_EXTERN int tdx_image_load_buffer(tdx_image **out, const char *name, const char *data,
                                     size_t size, const char *base_dir, tdx_error *err);

/**
 * Makes @p profile the current profile; NULL, "" or the default profile's
 * name go back to the default profile. A new name creates the profile.
 * Profile names: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 characters.
 * @return 0, -EINVAL (bad name), -ENOMEM.
 */
TDX_EXTERN int tdx_image_profile(tdx_image *image, const char *profile, tdx_error *err);

/** Name of the current profile. Borrowed: valid until the image changes. */
TDX_EXTERN const char *tdx_image_current_profile(const tdx_image *image);

/** Image name (ImageId). Borrowed: valid while the image lives. */
TDX_EXTERN const char *tdx_image_name(const tdx_image *image);

/** Number of profiles, the default one included (always >= 1). */
TDX_EXTERN size_t tdx_image_profile_count(const tdx_image *image);

/**
 * Name of profile @p index in creation order; index 0 is the default profile.
 * @return borrowed string valid while the image lives, or NULL if out of range.
 */
TDX_EXTERN const char *tdx_image_profile_name(const tdx_image *image, size_t index);

/**
 * Renders the effective recipe of @p profile (NULL: default) as canonical
 * JSON (sorted keys, two-space indent, trailing newline). Two images with the
 * same effective recipe give identical text.
 * @param[out] out receives the text; free it with tdx_free().
 * @return 0, -ENOENT (no such profile), -EINVAL (recipe inconsistent), -ENOMEM.
 */
TDX_EXTERN int tdx_image_effective_json(const tdx_image *image, const char *profile,
                                        char **out, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Base system                                                              */

/**
 * Sets the distribution and release, e.g. "debian/bookworm" or "ubuntu/noble".
 * @return 0, -EINVAL (not "debian/<release>" or "ubuntu/<release>"), -ENOMEM.
 */
TDX_EXTERN int tdx_image_set_base(tdx_image *image, const char *base, tdx_error *err);

/** Sets the package mirror URL (http:// or https://). */
TDX_EXTERN int tdx_image_set_mirror(tdx_image *image, const char *url, tdx_error *err);

#define TDX_KERNEL_OPTIONS_VERSION 1
typedef struct tdx_kernel_options {
    unsigned int version;
    /** Distribution kernel package; default "linux-image-amd64". */
    const char *package;
    /** Suite the package comes from, e.g. "bookworm-backports"; default the base release. */
    const char *suite;
    /** Build this kernel.org version from source instead of installing a package (e.g. "6.12.8"). */
    const char *source_version;
    /** Source tarball URL; default cdn.kernel.org for source_version. */
    const char *source_url;
    /** SHA-256 (64 hex digits) of the source tarball; required with source_version. */
    const char *source_sha256;
    /** Kernel .config to build with; default x86_64_defconfig plus the TDX guest fragment. */
    const char *config_file;
    /** Kernel command line. */
    const char *cmdline;
} tdx_kernel_options;
#define TDX_KERNEL_OPTIONS_INIT { TDX_KERNEL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Changes the kernel settings given (non-NULL fields); others keep their value.
 * @return 0, -EINVAL, -ENOENT (config_file missing), -ENOMEM.
 */
TDX_EXTERN int tdx_image_set_kernel(tdx_image *image, const tdx_kernel_options *opts,
                                    tdx_error *err);

/** Sets the init system: "systemd" (default); "tdx-agent" (the native backend's: the
 *  agent runs as PID 1, see docs/build.md); "busybox" (reserved, refused by both backends). */
TDX_EXTERN int tdx_image_set_init(tdx_image *image, const char *init, tdx_error *err);

/** Sets the systemd default target (default "minimal.target", shipped by us). */
TDX_EXTERN int tdx_image_set_default_target(tdx_image *image, const char *unit, tdx_error *err);

/** Sets the firmware used to boot and measure: "ovmf" (default) or a file path. */
TDX_EXTERN int tdx_image_set_firmware(tdx_image *image, const char *firmware, tdx_error *err);

#define TDX_OUTPUT_OPTIONS_VERSION 1
typedef struct tdx_output_options {
    unsigned int version;
    /** mkosi Format: "uki" (default), "disk", "directory", "tar" or "cpio". */
    const char *format;
    /** ImageVersion, optional. */
    const char *image_version;
    /** mkosi Seed (a UUID); default derived from the image name. */
    const char *seed;
    /** SourceDateEpoch; TDX_UNSET keeps the current value (default 0). */
    long long source_date_epoch;
    /** Install documentation (WithDocs); TDX_UNSET keeps (default no). */
    int docs;
    /** Use mkosi's default tools tree (ToolsTree=default); TDX_UNSET keeps (default no). */
    int tools_tree;
} tdx_output_options;
#define TDX_OUTPUT_OPTIONS_INIT { TDX_OUTPUT_OPTIONS_VERSION, NULL, NULL, NULL, TDX_UNSET, TDX_UNSET, TDX_UNSET }

TDX_EXTERN int tdx_image_set_output(tdx_image *image, const tdx_output_options *opts,
                                    tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Packages and repositories                                                */

/**
 * Installs distribution packages. Names follow Debian policy
 * ([a-z0-9][a-z0-9+.-]+), optionally "/suite" (e.g. "foo/bookworm-backports").
 */
TDX_EXTERN int tdx_image_install(tdx_image *image, const char *const *packages, tdx_error *err);

#define TDX_REPOSITORY_OPTIONS_VERSION 1
typedef struct tdx_repository_options {
    unsigned int version;
    const char *url;                  /**< required; http:// or https:// */
    const char *suite;                /**< required, e.g. "bookworm" */
    const char *const *components;    /**< default { "main" } */
    const char *keyring;              /**< required: path of the OpenPGP keyring file */
} tdx_repository_options;
#define TDX_REPOSITORY_OPTIONS_INIT { TDX_REPOSITORY_OPTIONS_VERSION, NULL, NULL, NULL, NULL }

/**
 * Adds an APT repository, usable while packages are installed and written
 * into the image. @p name ([a-z0-9][a-z0-9-]*) names its sources and keyring files.
 */
TDX_EXTERN int tdx_image_add_repository(tdx_image *image, const char *name,
                                        const tdx_repository_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

#define TDX_FILE_OPTIONS_VERSION 1
typedef struct tdx_file_options {
    unsigned int version;
    const char *content;  /**< file text; exactly one of content and src */
    const char *src;      /**< host file to copy */
    int mode;             /**< permission bits (0..07777); TDX_UNSET: 0644 */
    const char *owner;    /**< user name; default "root" */
    const char *group;    /**< group name; default the owner's name, or "root" */
} tdx_file_options;
#define TDX_FILE_OPTIONS_INIT { TDX_FILE_OPTIONS_VERSION, NULL, NULL, TDX_UNSET, NULL, NULL }

/**
 * Adds a file at absolute path @p dest, copied into the image after packages
 * are installed (mkosi.extra). Two files at one destination in the same
 * effective recipe are an error naming both.
 */
TDX_EXTERN int tdx_image_add_file(tdx_image *image, const char *dest,
                                  const tdx_file_options *opts, tdx_error *err);

/** Like tdx_image_add_file(), but placed before packages are installed (mkosi.skeleton). */
TDX_EXTERN int tdx_image_add_skeleton(tdx_image *image, const char *dest,
                                      const tdx_file_options *opts, tdx_error *err);

typedef struct tdx_template_var {
    const char *name;     /**< [A-Za-z_][A-Za-z0-9_]* */
    const char *value;
} tdx_template_var;

#define TDX_TEMPLATE_OPTIONS_VERSION 1
typedef struct tdx_template_options {
    unsigned int version;
    const tdx_template_var *vars;
    size_t n_vars;
    int mode;
    const char *owner;
    const char *group;
} tdx_template_options;
#define TDX_TEMPLATE_OPTIONS_INIT { TDX_TEMPLATE_OPTIONS_VERSION, NULL, 0, TDX_UNSET, NULL, NULL }

/**
 * Adds a file rendered from template @p src: every `{{ name }}` is replaced
 * by the variable's value; an undefined name is an error at emit time.
 */
TDX_EXTERN int tdx_image_add_template(tdx_image *image, const char *dest, const char *src,
                                      const tdx_template_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Users and services                                                       */

#define TDX_USER_OPTIONS_VERSION 1
typedef struct tdx_user_options {
    unsigned int version;
    int system;                   /**< TDX_UNSET: yes */
    long long uid;                /**< TDX_UNSET: allocated; required for non-system users */
    const char *home;             /**< absolute; created and owned by the user */
    const char *shell;            /**< default "/usr/sbin/nologin" */
    const char *const *groups;    /**< supplementary groups, created if missing */
} tdx_user_options;
#define TDX_USER_OPTIONS_INIT { TDX_USER_OPTIONS_VERSION, TDX_UNSET, TDX_UNSET, NULL, NULL, NULL }

/** Declares a user ([a-z_][a-z0-9_-]*, at most 31 characters). */
TDX_EXTERN int tdx_image_add_user(tdx_image *image, const char *name,
                                  const tdx_user_options *opts, tdx_error *err);

/** One extra `Key=value` line in section `[Section]` of a unit. */
typedef struct tdx_unit_setting {
    const char *section;   /**< "Unit", "Service" or "Install" */
    const char *key;
    const char *value;
} tdx_unit_setting;

#define TDX_SERVICE_OPTIONS_VERSION 1
typedef struct tdx_service_options {
    unsigned int version;
    const char *exec;                 /**< required: ExecStart, in systemd's syntax */
    const char *description;
    const char *type;                 /**< simple (default), exec, forking, oneshot, notify */
    const char *const *after;
    const char *const *requires;
    const char *const *wants;
    const char *const *wanted_by;     /**< default { default target } */
    const char *restart;              /**< "no" (default), "always", "on-failure" */
    const char *user;
    const char *group;
    const tdx_unit_setting *extra;    /**< further settings, written in order */
    size_t n_extra;
} tdx_service_options;
#define TDX_SERVICE_OPTIONS_INIT { TDX_SERVICE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, \
                                   NULL, NULL, NULL, NULL, NULL, NULL, 0 }

/**
 * Adds systemd service @p name ([A-Za-z0-9:_.\\-]+, without ".service"),
 * enabled at boot. A service that must wait for secrets lists
 * "secrets-ready.target" in after and requires.
 */
TDX_EXTERN int tdx_image_add_service(tdx_image *image, const char *name,
                                     const tdx_service_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Secrets                                                                  */

/** How a secret value is checked on delivery. Append-only. */
typedef enum tdx_secret_kind {
    TDX_SECRET_STRING = 0,   /**< any UTF-8 text */
    TDX_SECRET_HEX = 1,      /**< [0-9a-fA-F], even length */
    TDX_SECRET_BASE64 = 2,   /**< RFC 4648 base64 with padding */
    TDX_SECRET_JSON = 3      /**< one JSON value */
} tdx_secret_kind;

/** An environment variable a secret is delivered into: written to
 *  /run/tdx-secrets/env/global.env or service-NAME.env, which the scope's
 *  services read (EnvironmentFile=). */
typedef struct tdx_secret_env {
    const char *name;             /**< [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes */
    const char *scope;            /**< "global" (every service) or "service:NAME"; NULL: global */
} tdx_secret_env;

#define TDX_SECRET_OPTIONS_VERSION 2
typedef struct tdx_secret_options {
    unsigned int version;
    const char *dest;             /**< absolute path the value is written to; required unless env */
    const char *owner;            /**< default "root" */
    const char *group;            /**< default the owner's name, or "root" */
    int mode;                     /**< TDX_UNSET: 0400 */
    int required;                 /**< TDX_UNSET: yes; required secrets gate secrets-ready.target */
    const char *description;
    int kind;                     /**< a tdx_secret_kind; TDX_UNSET: string */
    long long min_length;         /**< bytes of the delivered value; TDX_UNSET: 1 */
    long long max_length;         /**< TDX_UNSET: 65536; at most 1048576 */
    const char *pattern;          /**< POSIX extended regex the whole value must match */
    /** The destination's directory when it has to be created (by the agent,
     *  or by tmpfiles.d at boot): mode (TDX_UNSET: 0755), owner and group
     *  (NULL: root, and the owner's name). Secrets in one directory must
     *  agree. An existing directory is never changed by the agent. */
    int dir_mode;
    const char *dir_owner;
    const char *dir_group;
    /* Version 2: */
    /** Environment targets (n_env, at most 16); values bound for an
     *  environment must be UTF-8 without NUL (the agent checks). */
    const tdx_secret_env *env;
    size_t n_env;
} tdx_secret_options;
#define TDX_SECRET_OPTIONS_INIT { TDX_SECRET_OPTIONS_VERSION, NULL, NULL, NULL, TDX_UNSET, \
                                  TDX_UNSET, NULL, TDX_UNSET, TDX_UNSET, TDX_UNSET, NULL, \
                                  TDX_UNSET, NULL, NULL, NULL, 0 }

/**
 * Declares secret @p name ([A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters):
 * delivered after boot by the agent, never part of the image.
 */
TDX_EXTERN int tdx_image_add_secret(tdx_image *image, const char *name,
                                    const tdx_secret_options *opts, tdx_error *err);

/** Who may deliver secrets: a name and an X25519 public key. With at least
 *  one sender the image accepts only deliveries sealed with a listed key
 *  (HPKE auth mode; docs/secrets.md). */
typedef struct tdx_secret_sender {
    /** [A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters; unique. */
    const char *name;
    /** 32 bytes as 64 hex digits or base64 (what `tdxctl secrets keygen` prints). */
    const char *public_key;
    /** The secrets this sender may set; NULL: all of them. */
    const char *const *secrets;
} tdx_secret_sender;

#define TDX_SECRET_DELIVERY_OPTIONS_VERSION 2
typedef struct tdx_secret_delivery_options {
    unsigned int version;
    /** Agent listen addresses: "vsock:PORT", "vsock:CID:PORT", "tcp:ADDR:PORT",
     *  "unix:PATH". Replaces the list; default { "vsock:1050" }. */
    const char *const *listen;
    /** Seconds boot waits for required secrets; 0 = forever; TDX_UNSET keeps (default 0). */
    long long wait_timeout;
    /** 1: the agent accepts deliveries without a quote when the host asks for
     *  them explicitly (`tdxctl secrets push --insecure-unattested`), for
     *  development VMs without TDX. Never set it in an image that holds real
     *  secrets: anyone who can reach the agent can then feed it values.
     *  TDX_UNSET keeps (default 0). */
    int insecure_allow_unattested;
    /* Version 2: */
    /** The senders (n_senders of them, at most 64); replaces the list when
     *  not NULL. NULL keeps (default: none, anyone who reaches the agent
     *  can deliver). */
    const tdx_secret_sender *senders;
    size_t n_senders;
    /** Whether a delivered secret may be delivered again: "never",
     *  "same-sender" or "any-sender"; NULL keeps (default "same-sender"). */
    const char *replace;
} tdx_secret_delivery_options;
#define TDX_SECRET_DELIVERY_OPTIONS_INIT { TDX_SECRET_DELIVERY_OPTIONS_VERSION, NULL, TDX_UNSET, \
                                           TDX_UNSET, NULL, 0, NULL }

TDX_EXTERN int tdx_image_set_secret_delivery(tdx_image *image,
                                             const tdx_secret_delivery_options *opts,
                                             tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Debloat                                                                  */

#define TDX_DEBLOAT_OPTIONS_VERSION 1
typedef struct tdx_debloat_options {
    unsigned int version;
    int enabled;                                   /**< TDX_UNSET: yes */
    int systemd_minimize;                          /**< TDX_UNSET: keep (default yes) */
    const char *const *paths_skip;                 /**< default paths not to remove */
    const char *const *paths_remove_extra;         /**< more paths (globs) to remove */
    const char *const *systemd_units_keep_extra;   /**< more systemd units to keep */
    const char *const *systemd_bins_keep_extra;    /**< more systemd binaries to keep */
} tdx_debloat_options;
#define TDX_DEBLOAT_OPTIONS_INIT { TDX_DEBLOAT_OPTIONS_VERSION, TDX_UNSET, TDX_UNSET, NULL, \
                                   NULL, NULL, NULL }

/**
 * Enables image stripping (unless opts->enabled is 0) and merges the given
 * edits into the current settings. Defaults: docs/recipe.md "debloat".
 */
TDX_EXTERN int tdx_image_debloat(tdx_image *image, const tdx_debloat_options *opts,
                                 tdx_error *err);

/** The default debloat lists. NULL-terminated, static; never free them. */
TDX_EXTERN const char *const *tdx_debloat_default_paths(void);
TDX_EXTERN const char *const *tdx_debloat_default_units(void);
TDX_EXTERN const char *const *tdx_debloat_default_bins(void);

/* ------------------------------------------------------------------------ */
/* Disk layout, encryption, network, SSH                                    */

typedef struct tdx_partition {
    const char *mountpoint;   /**< "/", "/usr", "/var", "/home", "/srv" or "/tmp" */
    const char *fs;           /**< ext4, xfs, btrfs, vfat, squashfs, erofs */
    const char *size;         /**< e.g. "2G", "512M", "1048576"; NULL: grow to fit */
} tdx_partition;

/** Replaces the partition list (requires output format "disk"); an ESP is added. */
TDX_EXTERN int tdx_image_set_partitions(tdx_image *image, const tdx_partition *parts,
                                        size_t n_parts, tdx_error *err);

#define TDX_ENCRYPTION_OPTIONS_VERSION 1
typedef struct tdx_encryption_options {
    unsigned int version;
    const char *type;         /**< "luks2" (only value), or "none" to turn encryption off */
    const char *key_source;   /**< "tpm" (vTPM on Azure/GCP) */
} tdx_encryption_options;
#define TDX_ENCRYPTION_OPTIONS_INIT { TDX_ENCRYPTION_OPTIONS_VERSION, NULL, NULL }

TDX_EXTERN int tdx_image_set_encryption(tdx_image *image, const tdx_encryption_options *opts,
                                        tdx_error *err);

#define TDX_NETWORK_OPTIONS_VERSION 1
typedef struct tdx_network_options {
    unsigned int version;
    int vsock;                        /**< load the virtio vsock transport; TDX_UNSET keeps (default yes) */
    /** Inbound firewall rules in order, "ACTION [PROTO [PORT[-PORT]]]", ACTION one of
     *  ACCEPT, DROP, REJECT; PROTO tcp, udp, icmp or all. Replaces the list; an
     *  empty array (not NULL) removes the firewall. */
    const char *const *firewall;
} tdx_network_options;
#define TDX_NETWORK_OPTIONS_INIT { TDX_NETWORK_OPTIONS_VERSION, TDX_UNSET, NULL }

TDX_EXTERN int tdx_image_set_network(tdx_image *image, const tdx_network_options *opts,
                                     tdx_error *err);

#define TDX_SSH_OPTIONS_VERSION 1
typedef struct tdx_ssh_options {
    unsigned int version;
    int enabled;                          /**< TDX_UNSET: yes */
    /** "secret": authorized keys arrive as optional secret "ssh_authorized_keys";
     *  "image": the keys below are written into the image. Default "secret". */
    const char *key_delivery;
    const char *const *authorized_keys;   /**< with key_delivery "image" */
} tdx_ssh_options;
#define TDX_SSH_OPTIONS_INIT { TDX_SSH_OPTIONS_VERSION, TDX_UNSET, NULL, NULL }

TDX_EXTERN int tdx_image_set_ssh(tdx_image *image, const tdx_ssh_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* The agent's test provider, the IPv4 link, native-only settings          */

#define TDX_NATIVE_OPTIONS_VERSION 1
typedef struct tdx_native_options {
    unsigned int version;
    /** Kernel modules (names as modinfo gives them, '-' and '_' alike) loaded at
     *  boot with their dependencies, beyond the defaults; replaces the list.
     *  JSON: kernel.modules. */
    const char *const *modules;
    /** Packages left out of the package closure; replaces the list. JSON: native.exclude. */
    const char *const *exclude;
    /** Initramfs compression: "gzip" (default), "zstd" or "none". JSON: native.compression. */
    const char *compression;
    /** 1: the agent answers quote requests with simulated quotes when the host
     *  hands it a test PKI (emulated runs without TDX): init in a native image,
     *  tdx-agent.service --test-provider (and qemu_fw_cfg loaded) in a systemd
     *  image. Refused in the default profile: only a profile such as "dev" may
     *  set it. TDX_UNSET keeps (default 0). JSON: agent.test_provider. */
    int test_provider;
    /** The IPv4 link: "none" (default), "dhcp" or "static". Native images: init
     *  configures it. Systemd images: a systemd-networkd file
     *  (/etc/systemd/network/80-tdx.network), networkd enabled. JSON: network.mode. */
    const char *network_mode;
    /** Interface to configure; NULL: the first one that is not loopback (native),
     *  every Ethernet link (systemd images, networkd's Type=ether). */
    const char *network_interface;
    /** With "static": IPv4 address with prefix length, e.g. "10.0.2.15/24" (required). */
    const char *network_address;
    /** With "static": IPv4 default gateway, optional. */
    const char *network_gateway;
    /** With "static": IPv4 name servers, replaces the list. */
    const char *const *network_dns;
} tdx_native_options;
#define TDX_NATIVE_OPTIONS_INIT { TDX_NATIVE_OPTIONS_VERSION, NULL, NULL, NULL, TDX_UNSET, NULL, \
                                  NULL, NULL, NULL, NULL }

/**
 * Changes the native-image settings given (non-NULL fields, integers other than
 * TDX_UNSET); others keep their value. The mkosi backend ignores modules,
 * exclude and compression; it honours test_provider and the network fields.
 * @return 0, -EINVAL (bad value, or test_provider in the default profile), -ENOMEM.
 */
TDX_EXTERN int tdx_image_set_native(tdx_image *image, const tdx_native_options *opts,
                                    tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Builds from source                                                       */

/** Builder kinds. Append-only. */
typedef enum tdx_build_kind {
    TDX_BUILD_GO = 1,
    TDX_BUILD_RUST = 2,
    TDX_BUILD_DOTNET = 3,
    TDX_BUILD_C = 4,
    TDX_BUILD_SCRIPT = 5
} tdx_build_kind;

typedef struct tdx_build_artifact {
    const char *from;   /**< path relative to the source directory after the build */
    const char *to;     /**< absolute path in the image */
} tdx_build_artifact;

#define TDX_BUILD_OPTIONS_VERSION 1
typedef struct tdx_build_options {
    unsigned int version;
    const char *src;                     /**< required: source directory (copied into the tree) */
    const char *toolchain_version;       /**< go/rust/dotnet: download this release */
    const char *toolchain_url;           /**< override the release URL */
    const char *toolchain_sha256;        /**< required whenever a toolchain is downloaded */
    const char *output;                  /**< go/rust: binary path; dotnet: directory */
    const char *target;                  /**< go: package ("." default); rust: --bin; dotnet: project */
    const char *ldflags;                 /**< go: extra -ldflags */
    const char *const *features;         /**< rust: cargo features */
    int self_contained;                  /**< dotnet: TDX_UNSET = no */
    const char *build_script;            /**< c/script: shell commands run in the source directory */
    const tdx_build_artifact *artifacts; /**< c/script: what to copy into the image */
    size_t n_artifacts;
    const char *const *build_deps;       /**< packages needed only to build */
    const char *const *env;              /**< "KEY=VALUE" for the build */
    int reproducible;                    /**< reproducibility flags; TDX_UNSET: yes */
} tdx_build_options;
#define TDX_BUILD_OPTIONS_INIT { TDX_BUILD_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, \
                                 NULL, NULL, TDX_UNSET, NULL, NULL, 0, NULL, NULL, TDX_UNSET }

/**
 * Adds a build step @p name ([a-z0-9][a-z0-9._-]*) run in mkosi's build phase.
 * Reproducibility flags (on by default): SOURCE_DATE_EPOCH, Go -trimpath
 * -buildid=, Rust --remap-path-prefix, C -ffile-prefix-map, .NET Deterministic.
 */
TDX_EXTERN int tdx_image_add_build(tdx_image *image, const char *name, tdx_build_kind kind,
                                   const tdx_build_options *opts, tdx_error *err);

/* ------------------------------------------------------------------------ */
/* Scripts                                                                  */

/** mkosi script phases, in execution order. Append-only. */
typedef enum tdx_phase {
    TDX_PHASE_SYNC = 0,       /**< host, before anything (sources) */
    TDX_PHASE_PREPARE = 1,    /**< in the image, after packages */
    TDX_PHASE_BUILD = 2,      /**< in the build overlay; write results to $DESTDIR */
    TDX_PHASE_POSTINST = 3,   /**< in the image, after files and builds are in */
    TDX_PHASE_FINALIZE = 4,   /**< host, $BUILDROOT is the image */
    TDX_PHASE_POSTOUTPUT = 5, /**< host, after the image is written ($OUTPUTDIR) */
    TDX_PHASE_CLEAN = 6       /**< host, on `mkosi clean` */
} tdx_phase;

#define TDX_SCRIPT_OPTIONS_VERSION 1
typedef struct tdx_script_options {
    unsigned int version;
    const char *commands;   /**< shell commands; exactly one of commands and file */
    const char *file;       /**< script file to copy */
    /** Run inside the image via mkosi-chroot; TDX_UNSET: yes for prepare, build,
     *  postinst; no otherwise. Not allowed for sync, postoutput, clean. */
    int chroot;
} tdx_script_options;
#define TDX_SCRIPT_OPTIONS_INIT { TDX_SCRIPT_OPTIONS_VERSION, NULL, NULL, TDX_UNSET }

TDX_EXTERN int tdx_image_add_script(tdx_image *image, tdx_phase phase,
                                    const tdx_script_options *opts, tdx_error *err);

/** Shorthand: shell commands in the postinst phase. */
TDX_EXTERN int tdx_image_run(tdx_image *image, const char *commands, tdx_error *err);

/** Shorthand: a script file in the postinst phase. */
TDX_EXTERN int tdx_image_run_script(tdx_image *image, const char *path, tdx_error *err);

/** Shell commands run at every boot, before services, by the agent's hook runner. */
TDX_EXTERN int tdx_image_on_boot(tdx_image *image, const char *commands, tdx_error *err);

/** Name of a phase ("sync", ...), or NULL for an unknown value. */
TDX_EXTERN const char *tdx_phase_name(tdx_phase phase);

TDX_END_DECLS

#endif
