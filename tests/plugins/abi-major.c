/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: a plugin built against the next ABI major; it tries to register on any host. */
#include <stdio.h>

#include "hvcore/vendor-abi.h"

static const struct hv_vendor_ops abi_major_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR + 1,
        .abi_minor = 0,
        .size = sizeof(struct hv_vendor_ops),
        .name = "test-abi-major",
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        int32_t r = host->register_vendor(host, &abi_major_ops);
        snprintf(reason, reason_len, "registration returned %d", r);
        return r;
}
