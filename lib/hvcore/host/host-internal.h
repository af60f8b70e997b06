/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /dev/kvm inside libhvcore (the VM core, the registry, hv_host_info_get()), and the host
 * limits hv_host_info_get() and hv_vm_new() share, so what a definition is validated against
 * and what a VM is built with never disagree. */
#pragma once

#include <stdint.h>

/* Opens /dev/kvm (O_RDWR|O_CLOEXEC) and checks KVM_GET_API_VERSION.
 * Returns the fd, -errno from open(2), or -EPROTO for another API version. */
int hv_kvm_open(void);

/* KVM_CHECK_EXTENSION on a system or VM fd: the capability's value (>= 0) or -errno. */
int hv_kvm_check_cap(int fd, long cap);

/* Checks every required capability of hv_kvm_caps[]; on failure writes the first missing
 * one's name to *ret_missing and returns -EOPNOTSUPP. */
int hv_kvm_check_required_caps(int kvm_fd, const char **ret_missing);

/* min(HV_VM_VCPUS_MAX, KVM's KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS) asked of `fd` (a
 * system or VM fd); HV_VM_VCPUS_MAX when KVM tells neither. */
uint32_t hv_host_vcpus_max(int fd);
