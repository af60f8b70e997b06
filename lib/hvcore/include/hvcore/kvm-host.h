/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host side of KVM: opening /dev/kvm, its API version, and the capabilities hvd uses
 * (kept as data, for hvd --check-host and the VM core). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HV_KVM_DEVICE "/dev/kvm"
#define HV_KVM_API_VERSION 12

/* Opens /dev/kvm (O_RDWR|O_CLOEXEC) and checks KVM_GET_API_VERSION.
 * Returns the fd, -errno from open(2), or -EPROTO for another API version. */
int hv_kvm_open(void);

/* KVM_CHECK_EXTENSION on a system or VM fd: the capability's value (>= 0) or -errno. */
int hv_kvm_check_cap(int fd, long cap);

/* A KVM capability hvd looks at: its number, its name as the kernel spells it, and whether
 * hvd cannot run VMs without it. */
struct hv_kvm_cap_desc {
        long cap;
        const char *name;
        bool required;
        const char *why; /* what hvd uses it for */
};
extern const struct hv_kvm_cap_desc hv_kvm_caps[];
extern const size_t hv_kvm_caps_count;

/* Checks every required capability; on failure writes the first missing one's name to
 * *ret_missing and returns -EOPNOTSUPP. */
int hv_kvm_check_required_caps(int kvm_fd, const char **ret_missing);
