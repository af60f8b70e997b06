/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* x86-svm: the vendor plugin for AMD and Hygon hosts (kvm_amd, or another KVM vendor module
 * such as kvm_pvm on an AMD CPU). Only what differs from Intel lives here. */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>

#include "plugin.h"

#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_ECX_SVM (1u << 2)
#define CPUID_SVM_FEATURES 0x8000000au
#define CPUID_ADDR_SIZES 0x80000008u
#define CPUID_EXT_APIC_ID 0x8000001eu

/* SVM exit codes KVM hands back in hardware_entry_failure_reason. */
#define SVM_EXIT_ERR UINT64_C(0xffffffffffffffff) /* VMEXIT_INVALID */
#define SVM_EXIT_BUSY UINT64_C(0xfffffffffffffffe)

static struct plugin_host_info svm_info;
static const struct hv_vendor_ops svm_ops;

static const char *const svm_params[] = { "nested", "npt", "avic", "sev", "sev_es", "sev_snp", "nrips",
                                          "vgif", "vls", "lbrv", "pause_filter_count", NULL };

static const struct plugin_desc svm_desc = {
        .name = "x86-svm",
        .cpu_vendors = "AuthenticAMD HygonGenuine",
        .cpu_flag = "svm",
        .native_module = "kvm_amd",
        .params = svm_params,
        .ops = &svm_ops,
        .info = &svm_info,
};

static const char *svm_kvm_module(void) { return svm_info.kvm_module; }

static void svm_report(hv_vendor_report_fn emit, void *userdata) { plugin_report(&svm_desc, emit, userdata); }

static int32_t svm_cpuid_fixup(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus)
{
        int32_t r = plugin_cpuid_topology(cpuid, index, nr_vcpus);
        if (r < 0)
                return r;
        struct kvm_cpuid_entry2 *e;
        /* A guest sees SVM only when the host can run it nested. */
        if (!svm_info.nested) {
                if ((e = plugin_cpuid_find(cpuid, CPUID_EXT_FEATURES, 0)))
                        e->ecx &= ~CPUID_EXT_ECX_SVM;
                if ((e = plugin_cpuid_find(cpuid, CPUID_SVM_FEATURES, 0)))
                        e->eax = e->ebx = e->ecx = e->edx = 0;
        }
        uint32_t bits = plugin_core_bits(nr_vcpus);
        /* ECX[7:0] cores - 1, [15:12] APIC ID bits for the core number. */
        if ((e = plugin_cpuid_find(cpuid, CPUID_ADDR_SIZES, 0)))
                e->ecx = (e->ecx & ~0xf0ffu) | ((nr_vcpus - 1) & 0xffu) | ((bits & 0xfu) << 12);
        /* Extended APIC ID, core (compute unit) ID with one thread each, node 0. */
        if ((e = plugin_cpuid_find(cpuid, CPUID_EXT_APIC_ID, 0))) {
                e->eax = index;
                e->ebx = index & 0xffu;
                e->ecx = 0;
        }
        return 0;
}

static uint32_t svm_msrs_to_save(uint32_t *msrs, uint32_t max)
{
        static const uint32_t always[] = {
                0xc0010015, /* MSR_K7_HWCR */
                0xc001011f, /* MSR_AMD64_VIRT_SPEC_CTRL */
        };
        static const uint32_t nested[] = {
                0xc0010114, /* MSR_VM_CR */
                0xc0010117, /* MSR_VM_HSAVE_PA */
                0xc0000104, /* MSR_AMD64_TSC_RATIO */
        };
        uint32_t n = 0;
        for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++, n++)
                if (msrs && n < max)
                        msrs[n] = always[i];
        if (svm_info.nested)
                for (size_t i = 0; i < sizeof(nested) / sizeof(nested[0]); i++, n++)
                        if (msrs && n < max)
                                msrs[n] = nested[i];
        return n;
}

static void svm_decode_fail_entry(uint64_t hw_reason, char *buf, size_t len)
{
        if (!buf || len == 0)
                return;
        if (hw_reason == SVM_EXIT_ERR)
                snprintf(buf, len, "VMRUN failed: invalid guest state in the VMCB (VMEXIT_INVALID)");
        else if (hw_reason == SVM_EXIT_BUSY)
                snprintf(buf, len, "VMRUN failed: VMSA busy (VMEXIT_BUSY)");
        else
                snprintf(buf, len, "SVM exit code 0x%" PRIx64 " on entry", hw_reason);
}

static int32_t svm_migration_compatible(const char *src_vendor)
{
        return plugin_migration_compatible(&svm_desc, src_vendor);
}

static const struct hv_vendor_ops svm_ops = {
        .abi_major = HV_VENDOR_ABI_MAJOR,
        .abi_minor = HV_VENDOR_ABI_MINOR,
        .size = sizeof(struct hv_vendor_ops),
        .name = "x86-svm",
        .cpu_vendors = "AuthenticAMD HygonGenuine",
        .kvm_module = svm_kvm_module,
        .report = svm_report,
        .cpuid_fixup = svm_cpuid_fixup,
        .msrs_to_save = svm_msrs_to_save,
        .decode_fail_entry = svm_decode_fail_entry,
        .migration_compatible = svm_migration_compatible,
};

PLUGIN_EXPORT int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len);
int32_t hv_vendor_plugin_entry(const struct hv_vendor_host *host, char *reason, size_t reason_len)
{
        return plugin_entry(&svm_desc, host, reason, reason_len);
}
