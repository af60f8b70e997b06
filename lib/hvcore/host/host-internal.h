/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host limits shared by hv_host_info_get() and hv_vm_new(): one function each, so what a
 * definition is validated against and what a VM is built with never disagree. */
#pragma once

#include <stdint.h>

/* min(HV_VM_VCPUS_MAX, KVM's KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS) asked of `fd` (a
 * system or VM fd); HV_VM_VCPUS_MAX when KVM tells neither. */
uint32_t hv_host_vcpus_max(int fd);
