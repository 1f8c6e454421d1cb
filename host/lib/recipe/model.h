/* SPDX-License-Identifier: MIT */
/*
 * Internal recipe model.
 *
 * A tdx_image is a list of profiles, each a list of recorded operations
 * (struct op). Resolving a profile folds the default profile's operations and
 * then the profile's own into a struct recipe, which the emitters read.
 * Specs are owned by their op; a recipe borrows them, so it must not outlive
 * the image it was resolved from.
 */
#ifndef TDXHOST_RECIPE_MODEL_H
#define TDXHOST_RECIPE_MODEL_H

#include <stdbool.h>
#include <string.h>

#include "ptrvec.h"
#include "strv.h"
#include "tdxhost/recipe.h"

#define RECIPE_PHASE_COUNT 7

typedef enum op_kind {
    OP_BASE,
    OP_MIRROR,
    OP_KERNEL,
    OP_INIT,
    OP_DEFAULT_TARGET,
    OP_FIRMWARE,
    OP_OUTPUT,
    OP_INSTALL,
    OP_REPOSITORY,
    OP_FILE,          /* extra files and templates */
    OP_SKELETON,
    OP_USER,
    OP_SERVICE,
    OP_SECRET,
    OP_SECRET_DELIVERY,
    OP_DEBLOAT,
    OP_PARTITIONS,
    OP_ENCRYPTION,
    OP_NETWORK,
    OP_SSH,
    OP_BUILD,
    OP_SCRIPT,
    OP_ON_BOOT,
    OP_NATIVE,
} op_kind;

struct kernel_spec {      /* NULL fields leave the current value */
    char *package, *suite, *source_version, *source_url, *source_sha256, *config_file, *cmdline;
};

struct output_spec {
    char *format, *image_version, *seed;
    long long source_date_epoch;  /* TDX_UNSET: keep */
    int docs, tools_tree;         /* TDX_UNSET: keep */
};

struct repo_spec {
    char *name, *url, *suite, *keyring;
    char **components;
};

struct file_spec {
    char *dest;
    char *content;          /* exactly one of content and src */
    size_t content_len;
    char *src;              /* absolute host path */
    bool is_template;
    char **var_names, **var_values;
    size_t n_vars;
    int mode;
    char *owner, *group;
};

struct user_spec {
    char *name;
    bool system;
    long long uid;          /* TDX_UNSET: allocated */
    char *home, *shell;
    char **groups;
};

struct unit_setting {
    char *section, *key, *value;
};

struct service_spec {
    char *name, *exec, *description, *type, *restart, *user, *group;
    char **after, **requires, **wants, **wanted_by;  /* wanted_by NULL: the default target */
    struct unit_setting *extra;
    size_t n_extra;
};

struct secret_env_spec {
    char *name, *scope;
};

struct secret_spec {
    char *name, *dest, *owner, *group, *description, *pattern;   /* dest NULL: env only */
    struct secret_env_spec *env;
    size_t n_env;
    char *dir_owner, *dir_group;   /* NULL: not given */
    int dir_mode;                  /* TDX_UNSET: not given */
    int mode;
    bool required;
    tdx_secret_kind kind;
    long long min_length, max_length;
};

struct sender_spec {
    char *name;
    char *public_key;       /* 64 lowercase hex digits, whatever the recipe gave */
    char **secrets;         /* NULL: all */
};

struct delivery_spec {
    char **listen;          /* NULL: keep */
    long long wait_timeout; /* TDX_UNSET: keep */
    int insecure_allow_unattested; /* TDX_UNSET: keep */
    struct sender_spec *senders;   /* with senders_set: the list (n_senders) */
    size_t n_senders;
    bool senders_set;
    char *replace;          /* NULL: keep */
};

struct debloat_spec {
    int enabled, systemd_minimize;   /* enabled is never TDX_UNSET here */
    char **paths_skip, **paths_remove_extra, **units_keep_extra, **bins_keep_extra;
};

struct partition_spec {
    char *mountpoint, *fs, *size;
};

struct partitions_spec {
    struct partition_spec *items;
    size_t n;
};

struct encryption_spec {
    char *type, *key_source;
};

struct network_spec {
    int vsock;              /* TDX_UNSET: keep */
    char **firewall;        /* NULL: keep */
    bool firewall_set;
};

struct ssh_spec {
    int enabled;
    char *key_delivery;     /* NULL: keep */
    char **authorized_keys; /* NULL: keep */
};

struct native_spec {      /* NULL/TDX_UNSET fields leave the current value */
    char **modules, **exclude, **net_dns;
    bool modules_set, exclude_set, net_dns_set;
    char *compression, *net_mode, *net_interface, *net_address, *net_gateway;
    int test_provider;
};

struct artifact_spec {
    char *from, *to;
};

struct build_spec {
    char *name;
    tdx_build_kind kind;
    char *src;              /* absolute host directory */
    char *toolchain_version, *toolchain_url, *toolchain_sha256;
    char *output, *target, *ldflags, *build_script;
    char **features, **build_deps, **env;
    struct artifact_spec *artifacts;
    size_t n_artifacts;
    bool self_contained, reproducible;
};

struct script_spec {
    tdx_phase phase;
    char *commands;         /* exactly one of commands and file */
    char *file;             /* absolute host path */
    bool chroot;
};

/* Something an operation occupies in an effective recipe; two operations with
 * the same claim in one effective recipe conflict. */
struct claim {
    char *key;              /* "file:/etc/motd", "user:web", ... */
    const char *field;      /* the field that made the claim, for messages */
};

struct op {
    op_kind kind;
    char *origin;           /* "recipe.json: services[2]" or "tdx_image_add_service(\"web\")" */
    bool origin_is_path;    /* fields join with "." (JSON path) rather than ": " */
    /* Directory of the recipe file whose host paths this operation reads
     * (NULL: made through the API, or reads none); see recipe/sources.h. */
    char *source_root;
    size_t profile;         /* index into tdx_image.profiles */
    size_t seq;             /* position among all operations of the image */
    struct claim *claims;
    size_t n_claims;
    union {
        char *str;          /* BASE, MIRROR, INIT, DEFAULT_TARGET, FIRMWARE */
        char **strv;        /* INSTALL */
        struct kernel_spec kernel;
        struct output_spec output;
        struct repo_spec repo;
        struct file_spec file;     /* FILE, SKELETON */
        struct user_spec user;
        struct service_spec service;
        struct secret_spec secret;
        struct delivery_spec delivery;
        struct debloat_spec debloat;
        struct partitions_spec partitions;
        struct encryption_spec encryption;
        struct network_spec network;
        struct ssh_spec ssh;
        struct build_spec build;
        struct script_spec script;  /* SCRIPT, ON_BOOT */
        struct native_spec native;
    } u;
};

struct profile {
    char *name;
    ptrvec ops;             /* struct op*, in call order */
};

struct tdx_image {
    char *name;
    ptrvec profiles;        /* struct profile*; index 0 is the default profile */
    size_t current;
    size_t next_seq;
    /* Set by the JSON loader for the next operation; consumed by it. */
    char *next_origin;
    /* Directory relative source paths resolve against (NULL: the cwd). */
    char *base_dir;
};

/* The effective recipe of one profile. Lists hold const struct op* (to keep
 * each item's origin and profile); everything else is borrowed or owned as
 * marked. */
struct recipe {
    const tdx_image *image;
    const char *profile;            /* effective profile name */
    size_t profile_index;
    const char *image_id;           /* owned: name, or name-profile */
    const char *distribution, *release, *mirror;
    struct {
        const char *package, *suite, *source_version, *source_url, *source_sha256, *config_file,
            *cmdline;
        size_t config_profile;      /* profile whose op set config_file */
    } kernel;
    const char *init, *default_target, *firmware;
    struct {
        const char *format, *image_version, *seed;
        long long source_date_epoch;
        bool docs, tools_tree;
    } output;
    char **packages;                /* owned, sorted, unique */
    ptrvec repositories, files, skeleton, users, services, secrets, builds, on_boot;
    ptrvec scripts[RECIPE_PHASE_COUNT];
    struct {
        bool enabled, systemd_minimize;
        char **paths, **units, **bins;  /* owned, effective lists */
    } debloat;
    const struct partitions_spec *partitions;
    struct {
        const char *type, *key_source;
    } encryption;
    struct {
        bool vsock;
        char *const *firewall;      /* borrowed */
    } network;
    struct {
        bool enabled;
        const char *key_delivery;
        char *const *authorized_keys;
    } ssh;
    struct {                        /* tdx_image_set_native(); all borrowed. net_* and
                                     * test_provider also shape systemd images */
        char *const *modules, *const *exclude, *const *net_dns;
        const char *compression, *net_mode, *net_interface, *net_address, *net_gateway;
        bool test_provider;
        bool any;                   /* some native setting was made */
    } native;
    struct {
        char *const *listen;        /* borrowed; never empty */
        long long wait_timeout;
        bool insecure_allow_unattested;
        const struct sender_spec *senders;   /* borrowed */
        size_t n_senders;
        const char *replace;
        const struct op *senders_op;   /* for messages */
    } delivery;
};

/* The senders as the manifest and the effective recipe list them:
 * [{"name", "public_key" (hex), "secrets" (only when limited)}]; NULL when
 * out of memory. */
struct json_t;
struct json_t *recipe_senders_json(const struct recipe *r);

/* The environment files service reads, in the order they are given to it:
 * the global one when any secret targets the global environment, then the
 * service's own when any targets "service:NAME". NULL when none; free with
 * strv_free(). -ENOMEM. */
int recipe_service_env_files(const struct recipe *r, const char *service, char ***out);

/* Resolves profile index p (0 = default). *out is freed with recipe_free(). */
int recipe_resolve(const tdx_image *image, size_t p, struct recipe **out, tdx_error *err);
/* The same by profile name (NULL: the default); -ENOENT naming it when the
 * image has no such profile. */
int recipe_resolve_profile(const tdx_image *image, const char *profile, struct recipe **out,
                           tdx_error *err);
/* The start of a public function that renders one profile of image into
 * its out parameter (given as has_out: whether it is non-NULL): image and
 * the out parameter are checked (-EINVAL "FUNC: invalid argument: image" or
 * "...: out", as tdx_check_arg() says it), then the profile is resolved. */
int recipe_resolve_checked(const char *func, const tdx_image *image, bool has_out,
                           const char *profile, struct recipe **r, tdx_error *err);
struct recipe *recipe_free(struct recipe *r);

/* network.mode is "dhcp" or "static": init (native) or systemd-networkd
 * (systemd images) configures a link. */
static inline bool recipe_has_network(const struct recipe *r)
{
    return r->native.net_mode && strcmp(r->native.net_mode, "none") != 0;
}
static inline void recipe_freep(struct recipe **r)
{
    recipe_free(*r);
}
#define _cleanup_recipe_ _cleanup_(recipe_freep)

/* Profile index by name (NULL/"" = default); -ENOENT if unknown. */
int image_find_profile(const tdx_image *image, const char *name, size_t *ret);
/* The same, failing with the one message for a profile that is not there:
 * 'unknown profile "X"; profiles: default, dev'. */
int image_profile_index(const tdx_image *image, const char *name, size_t *ret, tdx_error *err);

/* Frees an op and its spec. */
void op_free(struct op *op);

/* Writes "<origin>.<field>" or "<origin>: <field>" (field may be NULL) into buf. */
void op_where(const struct op *op, const char *field, char *buf, size_t size);

/* Convenience: the secret declared for SSH authorized keys. */
#define SSH_KEYS_SECRET_NAME "ssh_authorized_keys"
/* The directory the SSH keys secret goes to is sshd's: private. */
#define SSH_KEYS_DIR_MODE 0700

/* Where the agent listens unless the recipe says otherwise. */
#define DEFAULT_AGENT_LISTEN "vsock:1050"

#endif
