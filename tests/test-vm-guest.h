/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw-code guests for the VM tests and benchmarks: machine code written straight into guest
 * RAM at RAW_CODE_GPA, run in flat 32-bit protected mode set up through KVM_SET_SREGS (no
 * firmware, no loader), every vCPU made runnable. Each vCPU starts with ebx = its counter's
 * address (RAW_COUNTER_GPA + 64 * index) and esi = its index. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vm/vcpu.h"
#include "vm/vm-internal.h"

#define RAW_CODE_GPA 0x1000u
#define RAW_COUNTER_GPA 0x8000u
#define RAW_STACK_GPA 0xf000u

struct raw_guest {
        const uint8_t *code;
        size_t len;
        uint32_t entry[4]; /* per vCPU (index & 3) offsets into code */
};

/* inc dword [ebx]; jmp back: spins in the guest forever, counting. */
extern const struct raw_guest raw_guest_spin;
/* cli; hlt; jmp back: sleeps inside KVM_RUN. */
extern const struct raw_guest raw_guest_halt;
/* vCPU 0 spins and counts, others halt. */
extern const struct raw_guest raw_guest_spin_halt;

/* Loads the build's vendor plugins from $HVD_PLUGIN_DIR (default "plugins"), as hvd does:
 * hv_vm_new refuses to build a VM without one. 0 when a vendor is registered, else -errno
 * with a message on stderr. Programs call it once, before their first VM. */
int raw_guest_vendor_load(void);

/* hv_vm_hooks.setup_vcpu for a struct raw_guest passed as opaque. */
int raw_guest_setup_vcpu(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque);
/* A VM with `vcpus` vCPUs and `mib` MiB running `g` (CREATED state). */
struct hv_vm *raw_guest_vm_new(const struct raw_guest *g, uint32_t vcpus, uint64_t mib,
                               const struct hv_vm_callbacks *cb, void *userdata);
/* The same with a request hook (hv_vm_hooks.handle_requests). */
struct hv_vm *raw_guest_vm_new_hooked(const struct raw_guest *g, uint32_t vcpus, uint64_t mib,
                                      const struct hv_vm_callbacks *cb, void *userdata,
                                      void (*handle_requests)(struct hv_vm *, struct hv_vcpu *, void *),
                                      void (*before_run)(struct hv_vm *, struct hv_vcpu *, void *),
                                      void *request_opaque);
/* The counter of vCPU i. */
uint32_t raw_guest_counter(struct hv_vm *vm, uint32_t i);
