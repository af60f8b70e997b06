/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: registers a table without a name, then (wrongly) claims success. */
#include <stdio.h>

#include "hvcore/vendor-abi.h"

static const struct hv_vendor_ops no_name_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = HV_VENDOR_ABI_MINOR,
        .size = sizeof(struct hv_vendor_ops),
        .name = NULL,
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        (void)host->register_vendor(host, &no_name_ops);
        return 0;
}
