/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM's small PIO devices and their glue to the VM's lifecycle: the debug-exit port (a
 * guest's exit code stops the VM) and the PC reset control register (a guest's reset request
 * is reported as such; hvd decides with on_reboot). Both run on the vCPU thread that wrote,
 * inside vcpu->mutex and a vm->srcu read side, and take no lock of their own. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "devices/bus.h"
#include "devices/debug-exit.h"
#include "devices/vm-ports.h"
#include "macros.h"
#include "vm/vm-internal.h"

/* ---- debug-exit device (port 0xf4, QEMU isa-debug-exit compatible) */

static void debug_exit_exit(void *opaque, uint32_t code)
{
        struct hv_vm *vm = opaque;
        uint32_t status = hv_debug_exit_status(code);
        char reason[80];
        snprintf(reason, sizeof(reason), "guest exited with code %" PRIu32 " (status %" PRIu32 ")", code, status);
        /* several vCPUs may exit at once: the first one's code is kept */
        hv_vm_guest_exited(vm, reason, (int32_t)status);
}

static const struct hv_debug_exit_ops debug_exit_dev_ops = { .exit = debug_exit_exit };

static int debug_exit_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        hv_debug_exit_io(vm->debug_exit, (uint16_t)offset, false, data, len);
        return 0;
}

static int debug_exit_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        uint8_t buf[8];
        memcpy(buf, data, MIN(len, (uint32_t)sizeof(buf)));
        hv_debug_exit_io(vm->debug_exit, (uint16_t)offset, true, buf, MIN(len, (uint32_t)sizeof(buf)));
        return 0;
}

static const struct hv_io_ops debug_exit_ops = { .read = debug_exit_read, .write = debug_exit_write };


/* ---- reset control register (port 0xcf9, as on PC chipsets): a write with RST_CPU (bit 2)
 * set is the guest asking for a reset, as Linux's reboot=pci does; hvd decides (on_reboot). */

#define HV_RESET_CONTROL_PORT 0xcf9
#define HV_RESET_CONTROL_RST_CPU 0x04

static int reset_control_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        memset(data, 0, len);
        data[0] = atomic_load_explicit(&vm->reset_control, memory_order_relaxed);
        return 0;
}

static int reset_control_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        atomic_store_explicit(&vm->reset_control, data[0] & ~HV_RESET_CONTROL_RST_CPU, memory_order_relaxed);
        if (data[0] & HV_RESET_CONTROL_RST_CPU)
                hv_vm_guest_reset(vm);
        return 0;
}

static const struct hv_io_ops reset_control_ops = { .read = reset_control_read, .write = reset_control_write };

int hv_vm_ports_attach(struct hv_vm *vm)
{
        int r = hv_debug_exit_new(&debug_exit_dev_ops, vm, &vm->debug_exit);
        if (r >= 0)
                r = hv_bus_register(vm, HV_BUS_PIO, HV_DEBUG_EXIT_PORT, HV_DEBUG_EXIT_SIZE, &debug_exit_ops, vm);
        if (r >= 0)
                r = hv_bus_register(vm, HV_BUS_PIO, HV_RESET_CONTROL_PORT, 1, &reset_control_ops, vm);
        return r;
}

void hv_vm_ports_reset(struct hv_vm *vm)
{
        atomic_store_explicit(&vm->reset_control, 0, memory_order_relaxed);
}

void hv_vm_ports_detach(struct hv_vm *vm)
{
        vm->debug_exit = hv_debug_exit_free(vm->debug_exit);
}
