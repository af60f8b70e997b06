/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: a full-size table that leaves the mandatory cpuid_fixup NULL. */
#include <stdio.h>

#include "hvcore/vendor-abi.h"

static const char *no_mandatory_kvm_module(void) { return "kvm_fixture"; }

static const struct hv_vendor_ops no_mandatory_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = HV_VENDOR_ABI_MINOR,
        .size = sizeof(struct hv_vendor_ops),
        .name = "test-no-mandatory",
        .kvm_module = no_mandatory_kvm_module,
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        int32_t r = host->register_vendor(host, &no_mandatory_ops);
        snprintf(reason, reason_len, "claims every host");
        return r;
}
