/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What this host offers hvcore's VMs, in one call: whether /dev/kvm is usable (and why not),
 * its API version, the KVM capabilities hvcore uses, the dirty-log modes, and the limits a VM
 * must fit. hvd --check-host, hvd's Manager properties and the validation of VM definitions
 * all read it, so a definition that hv_vm_new() would refuse for its size is refused when it
 * is defined. Callers never issue KVM ioctls of their own. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <hvcore/kvm-host.h>

/* hvcore's own limits for one VM, whatever KVM allows: guest RAM is one slot below the
 * 32-bit PCI hole (3 GiB), and at most 64 vCPUs. hv_vm_new() refuses more; the host's limits
 * (hv_host_info.vm_max_*) are these or lower. */
#define HV_VM_MEMORY_MIB_MAX 3072u
#define HV_VM_VCPUS_MAX 64u

/* How a VM's dirty pages can be collected on this host. */
enum hv_dirty_log_mode {
        HV_DIRTY_LOG_BITMAP,         /* KVM_GET_DIRTY_LOG: always, with a usable /dev/kvm */
        HV_DIRTY_LOG_MANUAL_PROTECT, /* KVM_CLEAR_DIRTY_LOG: the bitmap cleared in chunks */
        HV_DIRTY_LOG_RING,           /* per-vCPU dirty rings */
        HV_DIRTY_LOG_RING_ACQ_REL,   /* dirty rings with acquire/release ordering (arm64-safe) */
        _HV_DIRTY_LOG_MODE_MAX,
        _HV_DIRTY_LOG_MODE_INVALID = -22,
};
/* "bitmap", "manual-protect", "ring", "ring-acq-rel", or NULL. */
const char *hv_dirty_log_mode_to_string(enum hv_dirty_log_mode m);

#define HV_HOST_CAPS_MAX 32

struct hv_host_info {
        /* /dev/kvm: usable, or why not (kvm_error is -errno from open(2), or -EPROTO for an
         * API version other than HV_KVM_API_VERSION; kvm_problem says it in words). */
        bool kvm_usable;
        int kvm_error;
        char kvm_problem[128];
        uint32_t api_version;        /* 0 when not usable */

        /* The capabilities of hv_kvm_caps[], asked of a fresh VM where KVM allows it (what
         * hvcore's VMs get; caps_from_vm), else of the system fd: cap_values[i] is
         * hv_kvm_caps[i]'s value, or -errno. Only with kvm_usable. */
        bool caps_from_vm;
        int64_t cap_values[HV_HOST_CAPS_MAX];
        const char *missing_cap;     /* the first required capability absent, or NULL */

        /* The figures hvcore depends on, by name (0/false when absent or not usable). */
        bool irqchip, pit, immediate_exit;
        uint32_t kvm_max_vcpus;      /* KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS */
        uint32_t recommended_vcpus;  /* KVM_CAP_NR_VCPUS */
        uint32_t max_memslots;       /* KVM_CAP_NR_MEMSLOTS */
        int64_t sync_regs;           /* KVM_CAP_SYNC_REGS bits, -errno when it cannot be asked */
        bool sync_regs_regs, sync_regs_sregs, sync_regs_events;
        int64_t manual_protect;      /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, -errno likewise */
        bool manual_protect_enable, manual_protect_initially_set;
        uint32_t dirty_ring_max_bytes, dirty_ring_max_entries;
        bool dirty_ring_acq_rel;
        uint32_t dirty_log_modes;    /* 1u << enum hv_dirty_log_mode, for each available */

        /* The limits of one VM on this host, what VM definitions are validated against:
         * vCPUs min(HV_VM_VCPUS_MAX, kvm_max_vcpus), memory min(HV_VM_MEMORY_MIB_MAX, host
         * RAM). Without a usable /dev/kvm, hvcore's own limits (HV_VM_VCPUS_MAX) and the host
         * RAM: a definition can still be written, and is checked again when it starts. */
        uint32_t vm_max_vcpus;
        uint64_t vm_max_memory_mib;
        uint64_t host_memory_mib;    /* physical RAM, 0 when unknown */
};

/* Fills *ret_info (always: an unusable /dev/kvm is a finding, not a failure). Opens and
 * closes /dev/kvm and, where KVM allows, a throw-away VM. 0, or -EINVAL for NULL. */
int hv_host_info_get(struct hv_host_info *ret_info);
