/* SPDX-License-Identifier: MIT */
/* Keys that go to tdx_image_set_native() (docs/recipe.md, docs/build.md):
 * kernel.modules and the "native" section (native images only),
 * network.mode/interface/address/gateway/dns and the "agent" section (both
 * backends: init or systemd-networkd and tdx-agent.service). Each with the
 * origin of the section it appears in, so messages name "kernel.modules". */
#include <stdint.h>

#include "json-loader.h"

int loader_native_keys(struct loader *L, json_t *v, const char *path, const char *const *keys)
{
    struct json_reader *R = &L->R;
    tdx_native_options o = TDX_NATIVE_OPTIONS_INIT;
    _cleanup_free_ const char **modules = NULL, **exclude = NULL, **dns = NULL;
    bool any = false;
    int r = 0;

    for (const char *const *k = keys; *k; k++)
        if (json_object_get(v, *k))
            any = true;
    if (!any)
        return 0;
    for (const char *const *k = keys; *k && r >= 0; k++) {
        if (streq(*k, "modules"))
            r = jr_strv(R, v, path, "modules", 0, 0, 512, NULL, &modules);
        else if (streq(*k, "exclude"))
            r = jr_strv(R, v, path, "exclude", 0, 0, LIST_MAX, NULL, &exclude);
        else if (streq(*k, "dns"))
            r = jr_strv(R, v, path, "dns", 0, 0, 8, NULL, &dns);
        else if (streq(*k, "compression"))
            r = jr_string(R, v, path, "compression", 0, NULL, &o.compression);
        else if (streq(*k, "test_provider"))
            r = jr_bool(R, v, path, "test_provider", 0, &o.test_provider);
        else if (streq(*k, "mode"))
            r = jr_string(R, v, path, "mode", 0, NULL, &o.network_mode);
        else if (streq(*k, "interface"))
            r = jr_string(R, v, path, "interface", 0, NULL, &o.network_interface);
        else if (streq(*k, "address"))
            r = jr_string(R, v, path, "address", 0, NULL, &o.network_address);
        else if (streq(*k, "gateway"))
            r = jr_string(R, v, path, "gateway", 0, NULL, &o.network_gateway);
    }
    if (r < 0)
        return r;
    o.modules = modules;
    o.exclude = exclude;
    o.network_dns = dns;
    loader_set_origin(L, path);
    return loader_done(L, tdx_image_set_native(L->image, &o, L->err));
}

int sec_native(struct loader *L, json_t *v, const char *path)
{
    int r;
    if ((r = jr_object(&L->R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(&L->R, v, path, ALLOWED("exclude", "compression"))) < 0)
        return r;
    return loader_native_keys(L, v, path, ALLOWED("exclude", "compression"));
}

int sec_agent(struct loader *L, json_t *v, const char *path)
{
    int r;
    if ((r = jr_object(&L->R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_keys(&L->R, v, path, ALLOWED("test_provider"))) < 0)
        return r;
    return loader_native_keys(L, v, path, ALLOWED("test_provider"));
}
