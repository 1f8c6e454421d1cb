/* SPDX-License-Identifier: MIT */
#include "source-urls.h"

#include <stdio.h>
#include <string.h>

void recipe_toolchain_url(const struct build_spec *b, char *buf, size_t size)
{
    const char *v = b->toolchain_version;

    if (b->toolchain_url) {
        snprintf(buf, size, "%s", b->toolchain_url);
        return;
    }
    switch (b->kind) {
    case TDX_BUILD_GO:
        snprintf(buf, size, "https://go.dev/dl/go%s.linux-amd64.tar.gz", v);
        break;
    case TDX_BUILD_RUST:
        snprintf(buf, size, "https://static.rust-lang.org/dist/rust-%s-x86_64-unknown-linux-gnu.tar.xz", v);
        break;
    default:
        snprintf(buf, size, "https://builds.dotnet.microsoft.com/dotnet/Sdk/%s/dotnet-sdk-%s-linux-x64.tar.gz",
                 v, v);
        break;
    }
}

void recipe_kernel_source_url(const struct recipe *r, char *buf, size_t size)
{
    const char *v = r->kernel.source_version;

    if (r->kernel.source_url)
        snprintf(buf, size, "%s", r->kernel.source_url);
    else
        snprintf(buf, size, "https://cdn.kernel.org/pub/linux/kernel/v%.*s.x/linux-%s.tar.xz",
                 (int)strcspn(v, "."), v, v);
}
