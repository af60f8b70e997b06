/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: claims every host, with the ops table of an older minor that ends after
 * kvm_module. The fields past `size` are set to traps: the core must not read them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvcore/vendor-abi.h"

static const char *claim_all_kvm_module(void) { return "kvm_fixture"; }
static void trap_report(hv_vendor_report_fn emit, void *userdata) { abort(); }

static const struct hv_vendor_ops claim_all_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = 0,
        .size = offsetof(struct hv_vendor_ops, report),
        .name = "test-claim-all",
        .cpu_vendors = NULL,
        .kvm_module = claim_all_kvm_module,
        .report = trap_report,
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        int32_t r = host->register_vendor(host, &claim_all_ops);
        snprintf(reason, reason_len, r < 0 ? "refused\nwith a second line" : "claims every host\n");
        return r;
}
