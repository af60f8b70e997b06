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

/* What the core tells a plugin about the host before it decides. Valid only during the entry
 * call: the plugin must not keep `host` or `kvm_fd` (the core closes the fd afterwards). */
struct hv_vendor_host {
        uint32_t abi_major, abi_minor, size;
        char cpu_vendor[13];     /* CPUID leaf 0, NUL-terminated */
        int32_t kvm_fd;          /* /dev/kvm, or -1 when it cannot be opened */
        int32_t kvm_open_errno;  /* errno of that failure, else 0 */
        /* Called by the plugin, from inside its entry call, to register itself; returns 0,
         * -EEXIST (a vendor is already registered: the core's verdict names it), -EPROTO (ABI
         * mismatch) or -EINVAL (malformed table, or called outside the entry call). The core
         * copies `ops` (the strings and functions must stay valid while the plugin is loaded);
         * the table goes live only when the entry returns 0, so a plugin may finish its own
         * setup after a successful register_vendor(), and must not touch its state if it fails. */
        int32_t (*register_vendor)(const struct hv_vendor_host *host, const struct hv_vendor_ops *ops);
};

/* One line of a plugin's host report ("kvm_module", "kvm_pvm"), for hvd --check-host. */
typedef void (*hv_vendor_report_fn)(void *userdata, const char *key, const char *value);

/* The vendor ops, in table order: one line each, as in Linux's kvm-x86-ops.h. Each op is
 * tagged
 *   HV_VENDOR_OP           mandatory: a table without it is refused, naming the op;
 *   HV_VENDOR_OP_OPTIONAL  the core fills a missing op with its own default (vendor-registry.c
 *                          has a default_<name>() for each: the build fails without one);
 *   HV_VENDOR_OP_RET0      a missing op returns 0.
 * The list expands to the members of struct hv_vendor_ops (so the layout is the order here),
 * to the registry's checks and to its defaults: adding an op is one line, appended at the end
 * (minor bump). Only ops of minor 0 may be mandatory: a plugin built against an older minor
 * does not have the later ones. Each op runs outside vendor_module_lock, on any thread,
 * possibly concurrently. */
#define HV_VENDOR_OPS_LIST(HV_VENDOR_OP, HV_VENDOR_OP_OPTIONAL, HV_VENDOR_OP_RET0)                  \
        /* The KVM vendor module behind /dev/kvm ("kvm_amd", "kvm_intel", "kvm_pvm", ...). */        \
        HV_VENDOR_OP(const char *, kvm_module, (void))                                                \
        /* Host capability report: module parameters that matter (nested, npt/ept, pml...), one    \
         * emit() per key, in a stable order. Default: nothing. */                                   \
        HV_VENDOR_OP_OPTIONAL(void, report, (hv_vendor_report_fn emit, void *userdata))              \
        /* Guest CPUID fix-ups on top of KVM_GET_SUPPORTED_CPUID for vCPU `index` of `nr_vcpus`:   \
         * vendor leaves, topology, hiding VMX/SVM unless nested is on. Only edits entries          \
         * already present. 0, or -EINVAL for index >= nr_vcpus. */                                  \
        HV_VENDOR_OP(int32_t, cpuid_fixup, (struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus)) \
        /* Vendor MSRs to save/restore (candidates: the core keeps those in                         \
         * KVM_GET_MSR_INDEX_LIST); returns the full count, writes up to `max`. */                   \
        HV_VENDOR_OP_RET0(uint32_t, msrs_to_save, (uint32_t *msrs, uint32_t max))                   \
        /* KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason in words (always NUL-terminated       \
         * when len > 0). Default: the number in hex. */                                             \
        HV_VENDOR_OP_OPTIONAL(void, decode_fail_entry, (uint64_t hw_reason, char *buf, size_t len))  \
        /* May a guest saved on a host of `src_vendor` (plugin name) resume here? 0, or -EXDEV     \
         * (other vendor), -EINVAL (NULL). Default: only the same plugin name. */                    \
        HV_VENDOR_OP_OPTIONAL(int32_t, migration_compatible, (const char *src_vendor))

/* The ops table. `name` is mandatory, and so is every HV_VENDOR_OP above; the others may be
 * NULL (or lie beyond `size`, for a plugin built against an older minor): the core fills in
 * a default, so callers never test for NULL. */
struct hv_vendor_ops {
        uint32_t abi_major, abi_minor, size; /* HV_VENDOR_ABI_*, sizeof(struct hv_vendor_ops) */
        const char *name;                    /* "x86-svm"; at most 31 characters */
        const char *cpu_vendors;             /* e.g. "AuthenticAMD HygonGenuine" (default "") */
#define HV_VENDOR_OP_MEMBER_(ret, op, args) ret(*op) args;
        HV_VENDOR_OPS_LIST(HV_VENDOR_OP_MEMBER_, HV_VENDOR_OP_MEMBER_, HV_VENDOR_OP_MEMBER_)
#undef HV_VENDOR_OP_MEMBER_
};

/* The plugin's one exported symbol, called under vendor_module_lock. Returns 0 when it
 * registered, or -errno when it declined (-ENODEV: not this host's vendor or no usable
 * /dev/kvm; -EPROTO: ABI mismatch) or failed, with the reason (one line, no newline) in
 * `reason` either way: why it claimed the host, or why not. */
typedef int32_t (*hv_vendor_plugin_entry_fn)(const struct hv_vendor_host *host, char *reason,
                                             size_t reason_len);
