/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host side of KVM as data: the device, its API version, and the capabilities hvcore
 * uses (for hvd --check-host and the VM core). Only libhvcore opens /dev/kvm and asks it:
 * callers read the answers with hv_host_info_get() (hvcore/host.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HV_KVM_DEVICE "/dev/kvm"
#define HV_KVM_API_VERSION 12

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
