/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "host/host-internal.h"
#include "hvcore/host.h"
#include "hvcore/kvm-host.h"
#include "macros.h"
#include "hvcore/hvcore.h"

#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif

int hv_kvm_open(void)
{
        _cleanup_close_ int fd = open(HV_KVM_DEVICE, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int version = ioctl(fd, KVM_GET_API_VERSION, 0);
        if (version < 0)
                return negative_errno();
        if (version != HV_KVM_API_VERSION)
                return -EPROTO;
        return TAKE_FD(fd);
}

int hv_kvm_check_cap(int fd, long cap)
{
        int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
        return r < 0 ? negative_errno() : r;
}

HV_EXPORT const struct hv_kvm_cap_desc hv_kvm_caps[] = {
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", true, "in-kernel PIC/IOAPIC/LAPIC" },
        { KVM_CAP_PIT2, "KVM_CAP_PIT2", false, "in-kernel PIT" },
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", true, "guest RAM from a memfd" },
        { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", true, "TSS address below 4 GiB" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", true, "KVM_GET_SUPPORTED_CPUID" },
        { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", true, "kicks that cannot be lost" },
        { KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS", false, "recommended vCPU count" },
        { KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS", false, "maximum vCPU count" },
        { KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS", false, "memory slots per VM" },
        { KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS", false, "registers shared through kvm_run" },
        { KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", false,
          "dirty bitmap cleared in chunks" },
        { KVM_CAP_DIRTY_LOG_RING, "KVM_CAP_DIRTY_LOG_RING", false, "per-vCPU dirty ring (bytes)" },
        { KVM_CAP_DIRTY_LOG_RING_ACQ_REL, "KVM_CAP_DIRTY_LOG_RING_ACQ_REL", false,
          "dirty ring with acquire/release ordering (bytes)" },
        { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD", false, "ioeventfd" },
        { KVM_CAP_IRQFD, "KVM_CAP_IRQFD", false, "irqfd" },
        { KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK", false, "kvmclock save/restore" },
};
HV_EXPORT const size_t hv_kvm_caps_count = ARRAY_SIZE(hv_kvm_caps);
_Static_assert(ARRAY_SIZE(hv_kvm_caps) <= HV_HOST_CAPS_MAX, "hv_host_info.cap_values holds every capability");

int hv_kvm_check_required_caps(int kvm_fd, const char **ret_missing)
{
        for (size_t i = 0; i < hv_kvm_caps_count; i++) {
                if (!hv_kvm_caps[i].required)
                        continue;
                if (hv_kvm_check_cap(kvm_fd, hv_kvm_caps[i].cap) <= 0) {
                        if (ret_missing)
                                *ret_missing = hv_kvm_caps[i].name;
                        return -EOPNOTSUPP;
                }
        }
        return 0;
}

HV_EXPORT const char *hv_version(void)
{
        return PACKAGE_VERSION;
}
