/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hv_host_info_get(): /dev/kvm, the capabilities hvcore uses, the dirty-log modes and the
 * limits of one VM, gathered in one place (hvcore-owned: hvd issues no KVM ioctl). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>

#include "host/host-internal.h"
#include "hvcore/host.h"
#include "macros.h"

#ifndef KVM_DIRTY_LOG_INITIALLY_SET
#define KVM_DIRTY_LOG_INITIALLY_SET (1 << 1)
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif

static const char *const dirty_log_mode_names[_HV_DIRTY_LOG_MODE_MAX] = {
        [HV_DIRTY_LOG_BITMAP] = "bitmap",
        [HV_DIRTY_LOG_MANUAL_PROTECT] = "manual-protect",
        [HV_DIRTY_LOG_RING] = "ring",
        [HV_DIRTY_LOG_RING_ACQ_REL] = "ring-acq-rel",
};

HV_EXPORT const char *hv_dirty_log_mode_to_string(enum hv_dirty_log_mode m)
{
        return m >= 0 && m < _HV_DIRTY_LOG_MODE_MAX ? dirty_log_mode_names[m] : NULL;
}

uint32_t hv_host_vcpus_max(int fd)
{
        int max = hv_kvm_check_cap(fd, KVM_CAP_MAX_VCPUS);
        if (max <= 0)
                max = hv_kvm_check_cap(fd, KVM_CAP_NR_VCPUS);
        return max > 0 ? MIN((uint32_t)max, HV_VM_VCPUS_MAX) : HV_VM_VCPUS_MAX;
}

/* A capability's value from the table, by number; -ENOENT for one hvcore does not ask. */
static int64_t cap_value(const struct hv_host_info *info, long cap)
{
        for (size_t i = 0; i < hv_kvm_caps_count; i++)
                if (hv_kvm_caps[i].cap == cap)
                        return info->cap_values[i];
        return -ENOENT;
}

static uint32_t cap_u32(const struct hv_host_info *info, long cap)
{
        int64_t v = cap_value(info, cap);
        return v > 0 ? (uint32_t)MIN(v, (int64_t)UINT32_MAX) : 0;
}

static void host_kvm_caps(struct hv_host_info *info, int kvm_fd)
{
        /* Ask a VM where KVM allows it: per-VM values (ring size, memslots) are what the VMs get. */
        _cleanup_close_ int vm_fd = -EBADF;
        if (hv_kvm_check_cap(kvm_fd, KVM_CAP_CHECK_EXTENSION_VM) > 0) {
                vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
                if (vm_fd < 0)
                        vm_fd = -EBADF; /* the system fd answers instead */
        }
        int fd = vm_fd >= 0 ? vm_fd : kvm_fd;
        info->caps_from_vm = vm_fd >= 0;
        for (size_t i = 0; i < hv_kvm_caps_count; i++) {
                info->cap_values[i] = hv_kvm_check_cap(fd, hv_kvm_caps[i].cap);
                if (hv_kvm_caps[i].required && info->cap_values[i] <= 0 && !info->missing_cap)
                        info->missing_cap = hv_kvm_caps[i].name;
        }

        info->irqchip = cap_value(info, KVM_CAP_IRQCHIP) > 0;
        info->pit = cap_value(info, KVM_CAP_PIT2) > 0;
        info->immediate_exit = cap_value(info, KVM_CAP_IMMEDIATE_EXIT) > 0;
        info->kvm_max_vcpus = cap_u32(info, KVM_CAP_MAX_VCPUS);
        if (info->kvm_max_vcpus == 0)
                info->kvm_max_vcpus = cap_u32(info, KVM_CAP_NR_VCPUS);
        info->recommended_vcpus = cap_u32(info, KVM_CAP_NR_VCPUS);
        info->max_memslots = cap_u32(info, KVM_CAP_NR_MEMSLOTS);
        info->sync_regs = cap_value(info, KVM_CAP_SYNC_REGS);
        info->sync_regs_regs = info->sync_regs > 0 && (info->sync_regs & KVM_SYNC_X86_REGS);
        info->sync_regs_sregs = info->sync_regs > 0 && (info->sync_regs & KVM_SYNC_X86_SREGS);
        info->sync_regs_events = info->sync_regs > 0 && (info->sync_regs & KVM_SYNC_X86_EVENTS);
        info->manual_protect = cap_value(info, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
        info->manual_protect_enable = info->manual_protect > 0 &&
                                      (info->manual_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
        info->manual_protect_initially_set = info->manual_protect > 0 &&
                                             (info->manual_protect & KVM_DIRTY_LOG_INITIALLY_SET);
        uint32_t ring = cap_u32(info, KVM_CAP_DIRTY_LOG_RING);
        uint32_t ring_acq_rel = cap_u32(info, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
        info->dirty_ring_max_bytes = ring_acq_rel > 0 ? ring_acq_rel : ring;
        info->dirty_ring_max_entries = info->dirty_ring_max_bytes / (uint32_t)sizeof(struct kvm_dirty_gfn);
        info->dirty_ring_acq_rel = ring_acq_rel > 0;

        info->dirty_log_modes = 1u << HV_DIRTY_LOG_BITMAP;
        if (info->manual_protect_enable)
                info->dirty_log_modes |= 1u << HV_DIRTY_LOG_MANUAL_PROTECT;
        if (ring > 0)
                info->dirty_log_modes |= 1u << HV_DIRTY_LOG_RING;
        if (ring_acq_rel > 0)
                info->dirty_log_modes |= 1u << HV_DIRTY_LOG_RING_ACQ_REL;
        info->vm_max_vcpus = hv_host_vcpus_max(fd);
}

HV_EXPORT int hv_host_info_get(struct hv_host_info *ret_info)
{
        if (!ret_info)
                return -EINVAL;
        struct hv_host_info info = { .vm_max_vcpus = HV_VM_VCPUS_MAX, .vm_max_memory_mib = HV_VM_MEMORY_MIB_MAX };

        struct sysinfo si;
        if (sysinfo(&si) == 0)
                info.host_memory_mib = (uint64_t)si.totalram * si.mem_unit / (1024 * 1024);
        if (info.host_memory_mib > 0)
                info.vm_max_memory_mib = MIN(info.vm_max_memory_mib, info.host_memory_mib);

        _cleanup_close_ int kvm_fd = hv_kvm_open();
        if (kvm_fd < 0) {
                info.kvm_error = kvm_fd;
                if (kvm_fd == -EPROTO)
                        snprintf(info.kvm_problem, sizeof(info.kvm_problem), "KVM API version is not %d",
                                 HV_KVM_API_VERSION);
                else
                        snprintf(info.kvm_problem, sizeof(info.kvm_problem), "%s", strerror(-kvm_fd));
        } else {
                info.kvm_usable = true;
                info.api_version = HV_KVM_API_VERSION; /* hv_kvm_open() checked it */
                host_kvm_caps(&info, kvm_fd);
        }
        *ret_info = info;
        return 0;
}
