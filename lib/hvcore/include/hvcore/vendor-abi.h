/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugin ABI. A plugin (plugins/x86-svm, plugins/x86-vmx) exports exactly one
 * symbol, HV_VENDOR_PLUGIN_ENTRY, which libhvcore calls under vendor_module_lock with a
 * host table; the plugin probes the host and either registers its ops table through
 * host->register_vendor() or declines, writing why in one line.
 *
 * Fixed-width fields, a major/minor version and the struct size: a plugin built against a
 * different major version is refused; new ops are only appended (minor bump), and the core
 * reads an op only when the plugin's `size` covers it.
 *
 * CONTRACT: the registry (lib/hvcore/vendor-registry.c) and both plugins build on this. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HV_VENDOR_ABI_MAJOR 1
#define HV_VENDOR_ABI_MINOR 0
#define HV_VENDOR_PLUGIN_ENTRY "hv_vendor_plugin_entry"

struct kvm_cpuid2;
struct hv_vendor_ops;

/* What the core tells a plugin about the host before it decides. */
struct hv_vendor_host {
        uint32_t abi_major, abi_minor, size;
        char cpu_vendor[13];     /* CPUID leaf 0, NUL-terminated */
        int32_t kvm_fd;          /* /dev/kvm, or -1 when it cannot be opened */
        int32_t kvm_open_errno;  /* errno of that failure, else 0 */
        /* Called by the plugin to register itself; returns 0, -EEXIST (another vendor is
         * registered: its name is in the message), -EPROTO (ABI mismatch) or -EINVAL. */
        int32_t (*register_vendor)(const struct hv_vendor_host *host, const struct hv_vendor_ops *ops);
};

/* One line of a plugin's host report ("kvm_module", "kvm_pvm"), for hvd --check-host. */
typedef void (*hv_vendor_report_fn)(void *userdata, const char *key, const char *value);

struct hv_vendor_ops {
        uint32_t abi_major, abi_minor, size; /* HV_VENDOR_ABI_*, sizeof(struct hv_vendor_ops) */
        const char *name;                    /* "x86-svm" */
        const char *cpu_vendors;             /* e.g. "AuthenticAMD HygonGenuine" */

        /* The KVM vendor module behind /dev/kvm ("kvm_amd", "kvm_intel", "kvm_pvm", ...). */
        const char *(*kvm_module)(void);
        /* Host capability report: module parameters that matter (nested, npt/ept, pml...). */
        void (*report)(hv_vendor_report_fn emit, void *userdata);
        /* Guest CPUID fix-ups on top of KVM_GET_SUPPORTED_CPUID for vCPU `index` of
         * `nr_vcpus`: vendor leaves, topology, hiding VMX/SVM unless nested is on. */
        int32_t (*cpuid_fixup)(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus);
        /* Vendor MSRs to save/restore; returns the count, writes up to `max`. */
        uint32_t (*msrs_to_save)(uint32_t *msrs, uint32_t max);
        /* KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason in words. */
        void (*decode_fail_entry)(uint64_t hw_reason, char *buf, size_t len);
        /* May a guest saved on a host of `src_vendor` (plugin name) resume here? 0 or -errno. */
        int32_t (*migration_compatible)(const char *src_vendor);
};

/* The plugin's one exported symbol. Returns 0 when it registered, or -errno when it declined
 * or failed, with the reason (one line) in `reason`. */
typedef int32_t (*hv_vendor_plugin_entry_fn)(const struct hv_vendor_host *host, char *reason,
                                             size_t reason_len);
