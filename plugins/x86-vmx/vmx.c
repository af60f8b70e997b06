/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* x86-vmx: the vendor plugin for Intel hosts (kvm_intel, or another KVM vendor module on an
 * Intel CPU). Only what differs from AMD lives here. */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>

#include "plugin.h"

#define CPUID_FEATURES 1u
#define CPUID_ECX_VMX (1u << 5)
#define CPUID_CACHE_PARAMS 4u

/* KVM's hardware_entry_failure_reason on VMX is either the full exit reason, with bit 31
 * ("VM-entry failure") set, or, when VMLAUNCH/VMRESUME itself failed, the VM-instruction
 * error number. */
#define VMX_EXIT_REASON_FAILED_VMENTRY (UINT64_C(1) << 31)

static struct plugin_host_info vmx_info;
static const struct hv_vendor_ops vmx_ops;

static const char *const vmx_params[] = { "nested", "ept", "unrestricted_guest", "enable_apicv", "pml",
                                          "vpid", "flexpriority", "enable_shadow_vmcs", "preemption_timer",
                                          NULL };

static const struct plugin_desc vmx_desc = {
        .name = "x86-vmx",
        .cpu_vendors = "GenuineIntel",
        .cpu_flag = "vmx",
        .native_module = "kvm_intel",
        .params = vmx_params,
        .ops = &vmx_ops,
        .info = &vmx_info,
};

static const char *vmx_kvm_module(void) { return vmx_info.kvm_module; }

static void vmx_report(hv_vendor_report_fn emit, void *userdata) { plugin_report(&vmx_desc, emit, userdata); }

static int32_t vmx_cpuid_fixup(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus)
{
        int32_t r = plugin_cpuid_topology(cpuid, index, nr_vcpus);
        if (r < 0)
                return r;
        struct kvm_cpuid_entry2 *e;
        /* A guest sees VMX only when the host can run it nested. */
        if (!vmx_info.nested && (e = plugin_cpuid_find(cpuid, CPUID_FEATURES, 0)))
                e->ecx &= ~CPUID_ECX_VMX;
        /* Deterministic cache parameters: EAX[31:26] cores per package - 1, [25:14] threads
         * sharing the cache - 1 (one thread per core: only the L3 is shared). */
        uint32_t bits = plugin_core_bits(nr_vcpus);
        uint32_t cores = (1u << (bits > 6 ? 6 : bits)) - 1;
        for (uint32_t i = 0; i < cpuid->nent; i++) {
                e = &cpuid->entries[i];
                if (e->function != CPUID_CACHE_PARAMS || (e->eax & 0x1f) == 0)
                        continue;
                uint32_t level = (e->eax >> 5) & 0x7;
                uint32_t sharing = level >= 3 ? ((1u << (bits > 12 ? 12 : bits)) - 1) & 0xfffu : 0;
                e->eax = (e->eax & 0x3fffu) | (sharing << 14) | ((cores & 0x3fu) << 26);
        }
        return 0;
}

static uint32_t vmx_msrs_to_save(uint32_t *msrs, uint32_t max)
{
        static const uint32_t always[] = {
                0x0000003a, /* MSR_IA32_FEAT_CTL */
                0x00000122, /* MSR_IA32_TSX_CTRL */
                0x000000e1, /* MSR_IA32_UMWAIT_CONTROL */
        };
        uint32_t n = 0;
        for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++, n++)
                if (msrs && n < max)
                        msrs[n] = always[i];
        /* Nested: the VMX capability MSRs, IA32_VMX_BASIC (0x480) to IA32_VMX_VMFUNC (0x491). */
        if (vmx_info.nested)
                for (uint32_t m = 0x480; m <= 0x491; m++, n++)
                        if (msrs && n < max)
                                msrs[n] = m;
        return n;
}

static const char *vmx_instruction_error(uint64_t e)
{
        switch (e) {
        case 3: return "VMCLEAR with VMXON pointer";
        case 4: return "VMLAUNCH with non-clear VMCS";
        case 5: return "VMRESUME with non-launched VMCS";
        case 6: return "VMRESUME after VMXOFF";
        case 7: return "VM entry with invalid control field(s)";
        case 8: return "VM entry with invalid host-state field(s)";
        case 9: return "VMPTRLD with invalid physical address";
        case 11: return "VMPTRLD with incorrect VMCS revision identifier";
        case 12: return "VMREAD/VMWRITE of an unsupported VMCS component";
        case 13: return "VMWRITE to a read-only VMCS component";
        case 26: return "VM entry with events blocked by MOV SS";
        case 28: return "invalid operand to INVEPT/INVVPID";
        default: return NULL;
        }
}

static void vmx_decode_fail_entry(uint64_t hw_reason, char *buf, size_t len)
{
        if (!buf || len == 0)
                return;
        if (hw_reason & VMX_EXIT_REASON_FAILED_VMENTRY) {
                uint32_t basic = hw_reason & 0xffffu;
                const char *what = basic == 33   ? "invalid guest state"
                                   : basic == 34 ? "MSR loading"
                                   : basic == 41 ? "machine-check event"
                                                 : NULL;
                if (what)
                        snprintf(buf, len, "VM-entry failure due to %s (exit reason %" PRIu32 ")", what, basic);
                else
                        snprintf(buf, len, "VM-entry failure, exit reason %" PRIu32 " (0x%" PRIx64 ")", basic,
                                 hw_reason);
                return;
        }
        const char *what = vmx_instruction_error(hw_reason);
        if (what)
                snprintf(buf, len, "VM-instruction error %" PRIu64 ": %s", hw_reason, what);
        else
                snprintf(buf, len, "VMX entry failure 0x%" PRIx64, hw_reason);
}

static int32_t vmx_migration_compatible(const char *src_vendor)
{
        return plugin_migration_compatible(&vmx_desc, src_vendor);
}

static const struct hv_vendor_ops vmx_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = HV_VENDOR_ABI_MINOR,
        .size = sizeof(struct hv_vendor_ops),
        .name = "x86-vmx",
        .cpu_vendors = "GenuineIntel",
        .kvm_module = vmx_kvm_module,
        .report = vmx_report,
        .cpuid_fixup = vmx_cpuid_fixup,
        .msrs_to_save = vmx_msrs_to_save,
        .decode_fail_entry = vmx_decode_fail_entry,
        .migration_compatible = vmx_migration_compatible,
};

PLUGIN_EXPORT int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        return plugin_entry(&vmx_desc, host, reason, reason_len);
}
