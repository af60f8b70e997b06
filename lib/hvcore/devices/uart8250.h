/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An 8250-family UART as a PC's COM1 (I/O 0x3f8-0x3ff, IRQ 4), behaving as a 16550A: the
 * registers Linux's 8250 driver probes and drives (RBR/THR, IER, IIR/FCR, LCR with DLAB,
 * MCR with loopback, LSR, MSR, SCR, DLL/DLM), 16-byte FIFOs, the four interrupt sources in
 * the datasheet's priority order. Transmission takes no time: a byte written to THR is handed
 * to ops->transmit at once (or to the RX FIFO in loopback mode).
 *
 * Threads and locks: hv_uart_io runs on vCPU threads, hv_uart_receive/hv_uart_rx_space on the
 * main thread; the state is guarded by one hv_mutex of class HV_LOCK_DEVICE (a leaf). The ops
 * are called WITHOUT that lock, so they may take any lock that is not held by the caller of
 * hv_uart_*: one thread at a time delivers them (whichever made a change; the others leave
 * their change to it), so set_irq sees the level changes in order and transmit sees the bytes
 * in the order the guest wrote them. An op may call back into hv_uart_* (its change is then
 * delivered after it returns). Callers of hv_uart_* must not hold a lock that the ops take. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_UART_COM1_BASE 0x3f8
#define HV_UART_COM1_IRQ 4
#define HV_UART_NR_PORTS 8 /* width of the I/O range */
#define HV_UART_FIFO_SIZE 16

struct hv_uart;

struct hv_uart_ops {
        /* The interrupt output changed to level (0 or 1); called only on a change. */
        void (*set_irq)(void *opaque, int level);
        /* Bytes the guest sent (never in loopback mode); len >= 1. */
        void (*transmit)(void *opaque, const uint8_t *buf, size_t len);
        /* Optional (may be NULL): the guest made room in the RX FIFO (or left loopback mode)
         * after hv_uart_receive took fewer bytes than offered or hv_uart_rx_space returned 0;
         * the host should offer its pending input again. */
        void (*rx_ready)(void *opaque);
};

/* ops must outlive the UART; set_irq and transmit are mandatory. */
int hv_uart_new(const struct hv_uart_ops *ops, void *opaque, struct hv_uart **ret);
/* Accepts NULL; returns NULL. No other thread may be inside hv_uart_* any more. */
struct hv_uart *hv_uart_free(struct hv_uart *u);

/* One byte-wide guest access at offset 0..7 from the base. A read stores the value in *data;
 * offsets outside the range read 0xff and ignore writes. Returns 0, or -EINVAL for a NULL
 * u or data (a caller's bug, never the guest's: every guest access succeeds). */
int hv_uart_io(struct hv_uart *u, uint16_t offset, bool is_write, uint8_t *data);

/* Host -> guest: puts up to len bytes into the RX FIFO and returns how many it took (0 while
 * the FIFO is full or in loopback mode, where the serial input is disconnected). Never causes
 * an overrun: bytes not taken stay with the caller (see ops->rx_ready). */
size_t hv_uart_receive(struct hv_uart *u, const uint8_t *buf, size_t len);
/* How many bytes hv_uart_receive would take now. */
size_t hv_uart_rx_space(struct hv_uart *u);

/* Back to the power-on state (as on a system reset); pending TX bytes are dropped. */
void hv_uart_reset(struct hv_uart *u);
