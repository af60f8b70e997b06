/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "macros.h"
#include "vm/vm-internal.h"
#include "vm/vm-serial.h"

#include "devices/uart8250.h"

struct hv_serial {
        struct hv_uart *uart;
};

static void serial_set_irq(void *opaque, int level)
{
        hv_vm_set_irq_line(opaque, HV_COM1_IRQ, level);
}

static void serial_transmit(void *opaque, const uint8_t *buf, size_t len)
{
        struct hv_vm *vm = opaque;
        if (vm->callbacks.serial_output)
                vm->callbacks.serial_output(vm, buf, len, vm->userdata);
}

static void serial_rx_ready(void *opaque)
{
        struct hv_vm *vm = opaque;
        if (vm->callbacks.serial_input_ready)
                vm->callbacks.serial_input_ready(vm, vm->userdata);
}

static const struct hv_uart_ops serial_uart_ops = {
        .set_irq = serial_set_irq, .transmit = serial_transmit, .rx_ready = serial_rx_ready,
};

/* The UART is byte wide: a wider access touches consecutive registers. */
static int serial_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        for (uint32_t i = 0; i < len; i++)
                hv_uart_io(vm->serial->uart, (uint16_t)(offset + i), false, &data[i]);
        return 0;
}

static int serial_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
        struct hv_vm *vm = opaque;
        for (uint32_t i = 0; i < len; i++) {
                uint8_t b = data[i];
                hv_uart_io(vm->serial->uart, (uint16_t)(offset + i), true, &b);
        }
        return 0;
}

static int serial_new(struct hv_vm *vm, struct hv_serial *s)
{
        return hv_uart_new(&serial_uart_ops, vm, &s->uart);
}

static void serial_free(struct hv_serial *s)
{
        hv_uart_free(s->uart);
}

int hv_vm_serial_receive(struct hv_vm *vm, const uint8_t *buf, size_t len)
{
        if (!vm->serial)
                return -ENODEV;
        return (int)hv_uart_receive(vm->serial->uart, buf, MIN(len, (size_t)INT_MAX));
}

void hv_vm_serial_reset(struct hv_vm *vm)
{
        if (vm->serial)
                hv_uart_reset(vm->serial->uart);
}


static const struct hv_io_ops serial_io_ops = { .read = serial_read, .write = serial_write };

int hv_vm_serial_attach(struct hv_vm *vm)
{
        struct hv_serial *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        int r = serial_new(vm, s);
        if (r < 0) {
                free(s);
                return r;
        }
        vm->serial = s;
        r = hv_bus_register(vm, HV_BUS_PIO, HV_COM1_BASE, 8, &serial_io_ops, vm);
        if (r < 0) {
                hv_vm_serial_detach(vm);
                return r;
        }
        return 0;
}

void hv_vm_serial_detach(struct hv_vm *vm)
{
        if (!vm->serial)
                return;
        serial_free(vm->serial);
        free(vm->serial);
        vm->serial = NULL;
}
