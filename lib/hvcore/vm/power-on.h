/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Power-on state, for a reset done in place. KVM gives a fresh vCPU, irqchip and PIT their
 * reset values; hvcore saves those once, right after creating them, and a reset writes them
 * back (as a PC's RESET line does), keeping the KVM VM, its vCPUs, memslots and RAM. */
#pragma once

struct hv_vcpu;
struct hv_vm;
struct hv_vcpu_power_on;
struct hv_vm_power_on;

/* Save a just-created vCPU's state (registers, special and debug registers, FPU, XCRs,
 * LAPIC, MP state, events, MSRs). 0 or -errno. */
int hv_vcpu_power_on_save(struct hv_vcpu *vcpu);
/* Write it back; the caller holds vcpu->mutex and the vCPU is parked. 0 or -errno. */
int hv_vcpu_power_on_restore(struct hv_vcpu *vcpu);
void hv_vcpu_power_on_free(struct hv_vcpu *vcpu);

/* The same for the in-kernel irqchip (both PICs, the IOAPIC), the PIT and the clock; saved
 * once both exist, restored with every vCPU parked under vm->lock. */
int hv_vm_power_on_save(struct hv_vm *vm);
int hv_vm_power_on_restore(struct hv_vm *vm);
void hv_vm_power_on_free(struct hv_vm *vm);
