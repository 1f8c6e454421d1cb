#!/bin/sh
# Runs inside the image after packages and files are in (postinst).
set -eu
# No interactive logins on consoles: the node is operated through its APIs.
for unit in getty@.service serial-getty@.service; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done
cat >/etc/sysctl.d/90-node.conf <<'CONF'
kernel.kptr_restrict = 2
kernel.dmesg_restrict = 1
net.ipv4.conf.all.rp_filter = 1
CONF
