/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Code both x86 vendor plugins share (compiled into each; never exported: a plugin's only
 * public symbol is its entry). A plugin describes itself with a struct plugin_desc and
 * keeps only what differs between vendors in its own directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvcore/vendor-abi.h"

#define PLUGIN_HIDDEN __attribute__((visibility("hidden")))
#define PLUGIN_EXPORT __attribute__((visibility("default")))

#define PLUGIN_SYSFS_MODULES "/sys/module"
#define PLUGIN_CPUINFO "/proc/cpuinfo"

/* What a plugin learned about the host when it claimed it. */
struct plugin_host_info {
        char kvm_module[32]; /* "kvm_amd", "kvm_intel", "kvm_pvm", ... or "unknown" */
        bool cpu_flag;       /* the vendor's flag (svm, vmx) is in /proc/cpuinfo */
        bool nested;         /* the KVM module's "nested" parameter is on */
};

struct plugin_desc {
        const char *name;            /* "x86-svm" */
        const char *cpu_vendors;     /* "AuthenticAMD HygonGenuine" */
        const char *cpu_flag;        /* "svm" */
        const char *native_module;   /* "kvm_amd" */
        const char *const *params;   /* the native module's parameters that matter, NULL-ended */
        const struct hv_vendor_ops *ops;
        struct plugin_host_info *info; /* the plugin's state, written once it has registered */
};

/* The whole entry protocol: ABI and vendor checks, /dev/kvm, probing, registering, and the
 * one-line reason. */
PLUGIN_HIDDEN int32_t plugin_entry(const struct plugin_desc *d, const struct hv_vendor_host *host,
                                   char *reason, size_t reason_len);
/* The report op's body: the module, what runs guest code, the parameters that matter. */
PLUGIN_HIDDEN void plugin_report(const struct plugin_desc *d, hv_vendor_report_fn emit, void *userdata);
PLUGIN_HIDDEN int32_t plugin_migration_compatible(const struct plugin_desc *d, const char *src_vendor);

/* Host probing, each testable on its own with fake inputs. */
/* Is `vendor` (at most 12 characters) one of the space-separated `list`? */
PLUGIN_HIDDEN bool plugin_vendor_in_list(const char *vendor, const char *list);
/* 1 when the first "flags" line of a /proc/cpuinfo stream has `flag` as a whole word, 0 when
 * it does not, -ENOENT when there is no flags line. */
PLUGIN_HIDDEN int plugin_cpuinfo_has_flag(FILE *cpuinfo, const char *flag);
/* The KVM vendor module under `modules_dir` (/sys/module): kvm_intel, kvm_amd, kvm_pvm first,
 * then any other kvm_* directory. 0, or -ENOENT when there is none. */
PLUGIN_HIDDEN int plugin_kvm_module_detect(const char *modules_dir, char *buf, size_t len);
/* A module parameter's value, trailing newline removed. 0 or -errno. */
PLUGIN_HIDDEN int plugin_module_param(const char *modules_dir, const char *module, const char *param,
                                      char *buf, size_t len);
/* "Y", "y", "1" (and any non-zero number) are on. */
PLUGIN_HIDDEN bool plugin_param_is_on(const char *value);
PLUGIN_HIDDEN void plugin_probe(const struct plugin_desc *d, const char *modules_dir, FILE *cpuinfo,
                                struct plugin_host_info *ret_info);

/* CPUID edits shared by both vendors. */
struct kvm_cpuid2;
struct kvm_cpuid_entry2;
/* The entry for (function, index), or NULL. */
PLUGIN_HIDDEN struct kvm_cpuid_entry2 *plugin_cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t function,
                                                         uint32_t index);
/* Bits needed to number nr_vcpus cores (ceil(log2)). */
PLUGIN_HIDDEN uint32_t plugin_core_bits(uint32_t nr_vcpus);
/* One package of nr_vcpus cores with one thread each, APIC ID = vCPU index: leaf 1 and the
 * extended topology leaves 0xb/0x1f. -EINVAL for a NULL table or index >= nr_vcpus. */
PLUGIN_HIDDEN int32_t plugin_cpuid_topology(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus);
