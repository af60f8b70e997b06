/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 16550A UART of uart8250.h. Register semantics follow the PC16550D datasheet and what
 * Linux's 8250 driver checks when it probes and runs a port:
 *  - IER keeps its low four bits only (the probe writes 0x0f and reads it back; higher bits
 *    must read 0 or it takes the port for an XScale UART);
 *  - loopback mode feeds THR into the receiver and the MCR outputs into the MSR inputs (the
 *    probe writes LOOP|OUT2|RTS and expects CTS|DCD in MSR);
 *  - with the FIFOs on, IIR bits 7:6 read 11 and bits 5:4 read 0 (16550A, not 16750 nor
 *    NS16550A);
 *  - a THRE interrupt is cleared by reading IIR while it is the one reported, or by writing
 *    THR, and is raised again when THRI goes from 0 to 1 with THR empty (the driver tests
 *    both at startup).
 * Timing is not modelled: a byte leaves as soon as it is written, and the RX character
 * timeout (IIR 0x0c) is reported at once while the FIFO holds fewer bytes than the trigger
 * level, as if the host's burst had ended. The IRQ output is not gated by MCR OUT2 (as in the
 * usual virtual UARTs), so a guest that forgets OUT2 still gets interrupts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lock/lock.h"
#include "macros.h"
#include "devices/uart8250.h"

/* Register offsets. */
enum {
        UART_RBR = 0, /* read, DLAB=0; THR on write; DLL with DLAB=1 */
        UART_IER = 1, /* DLM with DLAB=1 */
        UART_IIR = 2, /* read; FCR on write */
        UART_LCR = 3,
        UART_MCR = 4,
        UART_LSR = 5,
        UART_MSR = 6,
        UART_SCR = 7,
};

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* THR empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08  /* modem status */
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c /* character timeout */
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_KEPT 0xc9 /* enable, DMA mode, RX trigger; bits 1-2 self-clear, 4-5 reserved */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI: latched until LSR is read */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* What the far end presents when not in loopback: a modem that is ready and connected. */
#define MSR_IDLE_INPUTS (MSR_CTS | MSR_DSR | MSR_DCD)

struct hv_uart {
        struct hv_mutex lock; /* HV_LOCK_DEVICE: everything below */
        const struct hv_uart_ops *ops;
        void *opaque;

        uint8_t ier, lcr, mcr, scr, dll, dlm;
        uint8_t fcr;     /* FCR_KEPT bits of the last FCR write */
        uint8_t msr;     /* inputs (7:4) and their deltas (3:0) */
        uint8_t lsr_err; /* LSR_ERRORS bits not yet read */
        uint8_t rbr;     /* the last byte read: RBR reads it again while the FIFO is empty */
        bool thr_ipending;

        uint8_t rx[HV_UART_FIFO_SIZE];
        unsigned rx_head, rx_count;
        uint8_t tx[HV_UART_FIFO_SIZE];
        unsigned tx_count;
        unsigned tx_inflight; /* bytes being handed to ops->transmit (the shift register) */

        bool rx_blocked;   /* the host was refused input: tell it when there is room */
        bool flushing;     /* a thread is delivering the ops (see uart_unlock_and_flush) */
        int irq_delivered; /* the level set_irq was last given */
};

static bool uart_fifo_on(const struct hv_uart *u) { return u->fcr & FCR_ENABLE; }

static unsigned uart_fifo_depth(const struct hv_uart *u) { return uart_fifo_on(u) ? HV_UART_FIFO_SIZE : 1; }

static unsigned uart_rx_trigger(const struct hv_uart *u)
{
        static const unsigned levels[4] = {1, 4, 8, 14};
        return uart_fifo_on(u) ? levels[u->fcr >> 6] : 1;
}

static size_t uart_rx_space_locked(const struct hv_uart *u)
{
        if (u->mcr & MCR_LOOP) /* the serial input is disconnected */
                return 0;
        return uart_fifo_depth(u) - MIN(u->rx_count, uart_fifo_depth(u));
}

/* The modem inputs: looped back from MCR, or the idle far end. */
static uint8_t uart_msr_inputs(const struct hv_uart *u)
{
        if (!(u->mcr & MCR_LOOP))
                return MSR_IDLE_INPUTS;
        return (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
               (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void uart_update_msr(struct hv_uart *u)
{
        uint8_t now = uart_msr_inputs(u), old = u->msr & 0xf0, changed = now ^ old;
        uint8_t delta = (changed & MSR_CTS ? MSR_DCTS : 0) | (changed & MSR_DSR ? MSR_DDSR : 0) |
                        (changed & MSR_DCD ? MSR_DDCD : 0) |
                        ((old & MSR_RI) && !(now & MSR_RI) ? MSR_TERI : 0); /* trailing edge only */
        u->msr = now | (u->msr & MSR_DELTAS) | delta;
}

/* The highest-priority pending interrupt as IIR reads it. */
static uint8_t uart_iir(const struct hv_uart *u)
{
        uint8_t id = IIR_NO_INT;
        if ((u->ier & IER_RLSI) && (u->lsr_err & LSR_ERRORS))
                id = IIR_RLSI;
        else if ((u->ier & IER_RDI) && u->rx_count > 0)
                id = u->rx_count >= uart_rx_trigger(u) ? IIR_RDI : IIR_CTI;
        else if ((u->ier & IER_THRI) && u->thr_ipending)
                id = IIR_THRI;
        else if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
                id = IIR_MSI;
        return id | (uart_fifo_on(u) ? IIR_FIFO_ON : 0);
}

static uint8_t uart_lsr(const struct hv_uart *u)
{
        uint8_t lsr = u->lsr_err;
        if (u->rx_count > 0)
                lsr |= LSR_DR;
        if (u->tx_count == 0) {
                lsr |= LSR_THRE;
                if (u->tx_inflight == 0)
                        lsr |= LSR_TEMT;
        }
        return lsr;
}

/* A byte reaches the receiver. A full FIFO loses it (the datasheet's overrun: the FIFO keeps
 * its contents); without FIFOs it replaces the unread byte in RBR. */
static void uart_rx_put(struct hv_uart *u, uint8_t byte)
{
        if (u->rx_count < uart_fifo_depth(u)) {
                u->rx[(u->rx_head + u->rx_count) % HV_UART_FIFO_SIZE] = byte;
                u->rx_count++;
                return;
        }
        u->lsr_err |= LSR_OE;
        if (!uart_fifo_on(u))
                u->rx[u->rx_head] = byte;
}

static uint8_t uart_rx_get(struct hv_uart *u)
{
        if (u->rx_count > 0) {
                u->rbr = u->rx[u->rx_head];
                u->rx_head = (u->rx_head + 1) % HV_UART_FIFO_SIZE;
                u->rx_count--;
        }
        return u->rbr;
}

static void uart_rx_clear(struct hv_uart *u)
{
        u->rx_head = 0;
        u->rx_count = 0;
}

static void uart_tx_clear(struct hv_uart *u)
{
        if (u->tx_count > 0)
                u->thr_ipending = true; /* THR became empty */
        u->tx_count = 0;
}

static void uart_write_thr(struct hv_uart *u, uint8_t byte)
{
        if (u->mcr & MCR_LOOP) {
                uart_rx_put(u, byte);
                u->thr_ipending = true; /* sent at once: THR is empty again */
                return;
        }
        if (u->tx_count >= uart_fifo_depth(u))
                return; /* the guest ignored THRE: the byte is lost, as on the chip */
        u->tx[u->tx_count++] = byte;
        u->thr_ipending = false;
}

static void uart_write_ier(struct hv_uart *u, uint8_t val)
{
        uint8_t old = u->ier;
        u->ier = val & IER_MASK;
        if ((old ^ u->ier) & IER_THRI)
                u->thr_ipending = (u->ier & IER_THRI) && u->tx_count == 0;
}

static void uart_write_fcr(struct hv_uart *u, uint8_t val)
{
        if ((val ^ u->fcr) & FCR_ENABLE) { /* switching the FIFOs on or off empties them */
                uart_rx_clear(u);
                uart_tx_clear(u);
        }
        if (!(val & FCR_ENABLE)) { /* the other bits only take with the enable bit */
                u->fcr = 0;
                return;
        }
        if (val & FCR_CLEAR_RX)
                uart_rx_clear(u);
        if (val & FCR_CLEAR_TX)
                uart_tx_clear(u);
        u->fcr = val & FCR_KEPT;
}

static void uart_write(struct hv_uart *u, uint16_t offset, uint8_t val)
{
        bool dlab = u->lcr & LCR_DLAB;
        switch (offset) {
        case UART_RBR:
                if (dlab)
                        u->dll = val;
                else
                        uart_write_thr(u, val);
                break;
        case UART_IER:
                if (dlab)
                        u->dlm = val;
                else
                        uart_write_ier(u, val);
                break;
        case UART_IIR:
                uart_write_fcr(u, val);
                break;
        case UART_LCR:
                u->lcr = val; /* word format and break are of no consequence here */
                break;
        case UART_MCR:
                u->mcr = val & MCR_MASK;
                uart_update_msr(u);
                break;
        case UART_SCR:
                u->scr = val;
                break;
        default: /* LSR and MSR are read-only; anything else is outside the UART */
                break;
        }
}

static uint8_t uart_read(struct hv_uart *u, uint16_t offset)
{
        bool dlab = u->lcr & LCR_DLAB;
        uint8_t v;
        switch (offset) {
        case UART_RBR:
                return dlab ? u->dll : uart_rx_get(u);
        case UART_IER:
                return dlab ? u->dlm : u->ier;
        case UART_IIR:
                v = uart_iir(u);
                if ((v & 0x0f) == IIR_THRI)
                        u->thr_ipending = false;
                return v;
        case UART_LCR:
                return u->lcr;
        case UART_MCR:
                return u->mcr;
        case UART_LSR:
                v = uart_lsr(u);
                u->lsr_err = 0;
                return v;
        case UART_MSR:
                v = u->msr;
                u->msr &= ~MSR_DELTAS;
                return v;
        case UART_SCR:
                return u->scr;
        default:
                return 0xff; /* nothing decodes this port */
        }
}

/* Delivers the consequences of the changes made under the lock, which the caller holds and
 * which this releases: queued TX bytes to ops->transmit, a new IRQ level to ops->set_irq, room
 * for refused input to ops->rx_ready. Only one thread delivers at a time; a thread that finds
 * another one at it just leaves, since that one looks at the state again before it stops. */
static void uart_unlock_and_flush(struct hv_uart *u)
{
        hv_lock_assert_held(&u->lock);
        if (u->flushing) {
                hv_mutex_unlock(&u->lock);
                return;
        }
        u->flushing = true;
        for (;;) {
                uint8_t buf[HV_UART_FIFO_SIZE];
                size_t n = u->tx_count;

                memcpy(buf, u->tx, n);
                u->tx_inflight = n;
                uart_tx_clear(u);

                int level = !(uart_iir(u) & IIR_NO_INT);
                bool irq = level != u->irq_delivered;
                u->irq_delivered = level;

                bool rx_ready = u->rx_blocked && uart_rx_space_locked(u) > 0;
                if (rx_ready)
                        u->rx_blocked = false;

                if (n == 0 && !irq && !rx_ready) {
                        u->flushing = false;
                        hv_mutex_unlock(&u->lock);
                        return;
                }
                hv_mutex_unlock(&u->lock);
                if (n > 0)
                        u->ops->transmit(u->opaque, buf, n);
                if (irq)
                        u->ops->set_irq(u->opaque, level);
                if (rx_ready)
                        u->ops->rx_ready(u->opaque);
                hv_mutex_lock(&u->lock);
                u->tx_inflight = 0;
        }
}

static void uart_power_on(struct hv_uart *u)
{
        u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
        u->dll = 0x0c; /* 9600 baud from the PC's 1.8432 MHz clock; the datasheet leaves it open */
        u->dlm = 0;
        u->msr = uart_msr_inputs(u);
        u->lsr_err = 0;
        u->rbr = 0;
        u->thr_ipending = false;
        uart_rx_clear(u);
        u->tx_count = 0;
}

int hv_uart_new(const struct hv_uart_ops *ops, void *opaque, struct hv_uart **ret)
{
        if (!ops || !ops->set_irq || !ops->transmit || !ret)
                return -EINVAL;
        struct hv_uart *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        hv_mutex_init(&u->lock, HV_LOCK_DEVICE);
        u->ops = ops;
        u->opaque = opaque;
        uart_power_on(u);
        *ret = u;
        return 0;
}

struct hv_uart *hv_uart_free(struct hv_uart *u)
{
        if (!u)
                return NULL;
        hv_mutex_destroy(&u->lock);
        free(u);
        return NULL;
}

int hv_uart_io(struct hv_uart *u, uint16_t offset, bool is_write, uint8_t *data)
{
        if (!u || !data)
                return -EINVAL;
        hv_mutex_lock(&u->lock);
        if (is_write)
                uart_write(u, offset, *data);
        else
                *data = uart_read(u, offset);
        uart_unlock_and_flush(u);
        return 0;
}

size_t hv_uart_receive(struct hv_uart *u, const uint8_t *buf, size_t len)
{
        if (!u || (!buf && len > 0))
                return 0;
        hv_mutex_lock(&u->lock);
        size_t n = MIN(len, uart_rx_space_locked(u));
        for (size_t i = 0; i < n; i++)
                uart_rx_put(u, buf[i]);
        if (n < len && u->ops->rx_ready)
                u->rx_blocked = true;
        uart_unlock_and_flush(u);
        return n;
}

size_t hv_uart_rx_space(struct hv_uart *u)
{
        if (!u)
                return 0;
        hv_mutex_lock(&u->lock);
        size_t n = uart_rx_space_locked(u);
        if (n == 0 && u->ops->rx_ready)
                u->rx_blocked = true;
        hv_mutex_unlock(&u->lock);
        return n;
}

void hv_uart_reset(struct hv_uart *u)
{
        if (!u)
                return;
        hv_mutex_lock(&u->lock);
        uart_power_on(u);
        uart_unlock_and_flush(u);
}
