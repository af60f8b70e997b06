/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* COM1 of a VM: the 8250 UART (uart8250.h) on PIO 0x3f8-0x3ff with IRQ 4 (KVM_IRQ_LINE), its
 * output handed to the serial_output callback on the vCPU thread that wrote it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct hv_vm;

#define HV_COM1_BASE 0x3f8
#define HV_COM1_IRQ 4

int hv_vm_serial_attach(struct hv_vm *vm);
void hv_vm_serial_detach(struct hv_vm *vm);
int hv_vm_serial_receive(struct hv_vm *vm, const uint8_t *buf, size_t len);
void hv_vm_serial_reset(struct hv_vm *vm);
