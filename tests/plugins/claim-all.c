/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: claims every host, with the ops table of an older minor that ends after
 * cpuid_fixup and leaves the optional report NULL. The fields past `size` are set to traps:
 * the core must not read them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hvcore/vendor-abi.h"

static const char *claim_all_kvm_module(void) { return "kvm_fixture"; }
static int32_t claim_all_cpuid_fixup(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus)
{
        return cpuid && index < nr_vcpus ? 0 : -EINVAL;
}
static uint32_t trap_msrs_to_save(uint32_t *msrs, uint32_t max) { abort(); }
static void trap_decode_fail_entry(uint64_t hw_reason, char *buf, size_t len) { abort(); }

static const struct hv_vendor_ops claim_all_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = 0,
        .size = offsetof(struct hv_vendor_ops, msrs_to_save),
        .name = "test-claim-all",
        .cpu_vendors = NULL,
        .kvm_module = claim_all_kvm_module,
        .report = NULL,
        .cpuid_fixup = claim_all_cpuid_fixup,
        .msrs_to_save = trap_msrs_to_save,
        .decode_fail_entry = trap_decode_fail_entry,
};

__attribute__((visibility("default"))) int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host,
                                                                      char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        int32_t r = host->register_vendor(host, &claim_all_ops);
        snprintf(reason, reason_len, r < 0 ? "refused\nwith a second line" : "claims every host\n");
        return r;
}
