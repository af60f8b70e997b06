/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM's debug-exit port (0xf4) and reset control register (0xcf9), on its PIO bus. */
#pragma once

struct hv_vm;

/* Creates the devices and registers both ports: 0 or -errno. */
int hv_vm_ports_attach(struct hv_vm *vm);
/* Power-on values (a reset in place). */
void hv_vm_ports_reset(struct hv_vm *vm);
/* Frees what attach made; the buses are freed with the VM. */
void hv_vm_ports_detach(struct hv_vm *vm);
