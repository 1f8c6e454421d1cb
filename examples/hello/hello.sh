#!/bin/sh
# The hello service of examples/hello.json. Init starts it after the
# required secrets arrived (after_secrets), so the key is on disk already;
# it waits anyway, in case it is started by hand. Prints a fingerprint,
# never the key. busybox (from busybox-static) provides sh and the tools.
set -eu
key_file=${1:-/run/hello/key.hex}
while [ ! -s "$key_file" ]; do
    sleep 1
done
fingerprint=$(sha256sum "$key_file" | cut -c1-16)
echo "hello: key present (sha256 prefix $fingerprint)"
exec sleep 2147483647
