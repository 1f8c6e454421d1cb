/* SPDX-License-Identifier: MIT */
/* Paths inside the image that the emitter generates. Recipe files may not
 * use them (the JSON loader and the API reject such destinations). */
#ifndef TDXHOST_RECIPE_PATHS_H
#define TDXHOST_RECIPE_PATHS_H

#define IMG_AGENT_BINARY "/usr/sbin/tdx-agent"
#define IMG_AGENT_DIR "/etc/tdx-agent"
#define IMG_AGENT_MANIFEST "/etc/tdx-agent/secrets.json"
#define IMG_TDX_LIB_DIR "/usr/lib/tdx"
#define IMG_ON_BOOT_DIR "/usr/lib/tdx/on-boot.d"
#define IMG_VENDOR_UNIT_DIR "/usr/lib/systemd/system"
#define IMG_ADMIN_UNIT_DIR "/etc/systemd/system"
#define IMG_PRESET "/usr/lib/systemd/system-preset/10-tdx.preset"
#define IMG_SYSUSERS "/usr/lib/sysusers.d/tdx-recipe.conf"
#define IMG_TMPFILES "/etc/tmpfiles.d/tdx-recipe.conf"
#define IMG_SECRETS_TMPFILES "/etc/tmpfiles.d/tdx-secrets.conf"
#define IMG_NFTABLES "/etc/nftables.conf"
#define IMG_VSOCK_MODULES "/etc/modules-load.d/tdx-vsock.conf"
#define IMG_TDX_MODULES "/etc/modules-load.d/tdx-attestation.conf"
#define IMG_TEST_PROVIDER_MODULES "/etc/modules-load.d/tdx-test-provider.conf"
#define IMG_NETWORKD_DIR "/etc/systemd/network"
#define IMG_NETWORKD_CONFIG "/etc/systemd/network/80-tdx.network"
#define IMG_REPART_DIR "/usr/lib/repart.d"
#define IMG_SSHD_CONFIG "/etc/ssh/sshd_config.d/tdx.conf"
#define IMG_SSH_HOSTKEYS_DROPIN "/etc/systemd/system/ssh.service.d/tdx-host-keys.conf"
#define IMG_SSH_AUTHORIZED_KEYS "/root/.ssh/authorized_keys"
#define IMG_DEFAULT_TARGET_LINK "/etc/systemd/system/default.target"
#define IMG_APT_SOURCES_DIR "/etc/apt/sources.list.d"
#define IMG_APT_KEYRING_DIR "/etc/apt/keyrings"

/* Units we ship (units/ in the source tree). */
#define UNIT_AGENT "tdx-agent.service"
#define UNIT_AGENT_SOCKET "tdx-agent.socket"
#define UNIT_SECRETS_READY "secrets-ready.target"
#define UNIT_SECRETS_WAIT "tdx-secrets-wait.service"
#define UNIT_BOOT_HOOKS "tdx-boot-hooks.service"
#define UNIT_POWER_BUTTON "tdx-power-button.service"
#define UNIT_MINIMAL "minimal.target"

#endif
