/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugin's fix-ups as the VM code uses them. hv_vm_new refuses to build a VM
 * while no plugin is registered, and counts the VM as the plugin's user until hv_vm_free, so
 * hv_vendor_unload cannot pull it from under a live VM (-EBUSY). */
#pragma once

#include <inttypes.h>
#include <stdio.h>

#include "hvcore/vendor-abi.h"

#include "hvcore/vendor.h"

static inline const struct hv_vendor_ops *hv_vm_vendor(void)
{
        return hv_vendor_get();
}

static inline int hv_vm_vendor_cpuid_fixup(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr)
{
        const struct hv_vendor_ops *ops = hv_vm_vendor();
        if (!ops || !ops->cpuid_fixup)
                return 0;
        return ops->cpuid_fixup(cpuid, index, nr);
}

static inline void hv_vm_vendor_decode_fail_entry(uint64_t reason, char *buf, size_t len)
{
        const struct hv_vendor_ops *ops = hv_vm_vendor();
        if (ops && ops->decode_fail_entry) {
                ops->decode_fail_entry(reason, buf, len);
                return;
        }
        snprintf(buf, len, "hardware reason 0x%" PRIx64, reason);
}
