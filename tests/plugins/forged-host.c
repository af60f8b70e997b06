/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: registers with a copy of the host table instead of the one it was given. */
#include <stdio.h>

#include "hvcore/vendor-abi.h"

static const struct hv_vendor_ops forged_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = HV_VENDOR_ABI_MINOR,
        .size = sizeof(struct hv_vendor_ops),
        .name = "test-forged-host",
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        struct hv_vendor_host copy = *host;
        return copy.register_vendor(&copy, &forged_ops);
}
