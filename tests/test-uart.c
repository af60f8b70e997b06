/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The COM1 UART at register level: what Linux's 8250 probe and startup check, the TX and RX
 * paths, interrupt identification, DLAB, loopback, hostile accesses, and concurrent use from a
 * "main thread" and "vCPU threads". */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hv-test.h"
#include "macros.h"
#include "devices/uart8250.h"

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define DLL RBR
#define DLM IER
#define FCR IIR

/* What the UART did to the outside, recorded by the ops. */
struct sink {
        pthread_mutex_t lock;
        uint8_t *tx;
        size_t tx_len, tx_cap;
        size_t tx_calls;
        int level;
        unsigned irq_calls;
        atomic_uint rx_ready_calls;
        bool level_repeated; /* set_irq was given the level it already had */
        struct hv_uart *echo_to; /* transmit loops the bytes back into this UART */
};

static void sink_set_irq(void *opaque, int level)
{
        struct sink *s = opaque;
        pthread_mutex_lock(&s->lock);
        if (level == s->level)
                s->level_repeated = true;
        s->level = level;
        s->irq_calls++;
        pthread_mutex_unlock(&s->lock);
}

static void sink_transmit(void *opaque, const uint8_t *buf, size_t len)
{
        struct sink *s = opaque;
        pthread_mutex_lock(&s->lock);
        if (s->tx_len + len > s->tx_cap) {
                s->tx_cap = MAX(s->tx_cap * 2, s->tx_len + len + 64);
                s->tx = realloc(s->tx, s->tx_cap);
                ck_assert_ptr_nonnull(s->tx);
        }
        memcpy(s->tx + s->tx_len, buf, len);
        s->tx_len += len;
        s->tx_calls++;
        struct hv_uart *echo = s->echo_to;
        pthread_mutex_unlock(&s->lock);
        if (echo)
                ck_assert_uint_eq(hv_uart_receive(echo, buf, len), len);
}

static void sink_rx_ready(void *opaque)
{
        struct sink *s = opaque;
        atomic_fetch_add(&s->rx_ready_calls, 1);
}

static const struct hv_uart_ops sink_ops = {
        .set_irq = sink_set_irq,
        .transmit = sink_transmit,
        .rx_ready = sink_rx_ready,
};

static struct sink sink;
static struct hv_uart *u;

static void setup(void)
{
        memset(&sink, 0, sizeof(sink));
        pthread_mutex_init(&sink.lock, NULL);
        ck_assert_int_eq(hv_uart_new(&sink_ops, &sink, &u), 0);
}

static void teardown(void)
{
        u = hv_uart_free(u);
        free(sink.tx);
        pthread_mutex_destroy(&sink.lock);
}

static uint8_t in(uint16_t off)
{
        uint8_t v = 0x5a;
        ck_assert_int_eq(hv_uart_io(u, off, false, &v), 0);
        return v;
}

static void out(uint16_t off, uint8_t v) { ck_assert_int_eq(hv_uart_io(u, off, true, &v), 0); }

/* Linux's autoconfig(), step by step, reduced to what decides the port type on a PC. */
static const char *linux_autoconfig(void)
{
        uint8_t save = in(IER);
        out(IER, 0);
        uint8_t s2 = in(IER) & 0x0f;
        out(IER, 0x0f);
        uint8_t s3 = in(IER) & 0x0f;
        out(IER, save);
        if (s2 != 0 || s3 != 0x0f)
                return "none (IER test)";

        uint8_t save_mcr = in(MCR), save_lcr = in(LCR);
        out(MCR, 0x10 | 0x0a); /* LOOP | OUT2 | RTS */
        uint8_t status = in(MSR) & 0xf0;
        out(MCR, save_mcr);
        if (status != 0x90)
                return "none (loopback test)";

        out(LCR, 0xbf); /* EFR would live at offset 2 on a 16650 */
        out(FCR, 0);
        out(LCR, 0);
        out(FCR, 0x01);
        uint8_t kind = in(IIR) >> 6;
        const char *type = kind == 0 ? "8250/16450" : kind == 1 ? "unknown" : kind == 2 ? "16550" : NULL;
        if (!type) {
                /* autoconfig_16550a: no EFR in either configuration mode ... */
                type = "16550A";
                out(LCR, 0x80);
                if (in(2) == 0)
                        type = "16650 or Motorola";
                out(LCR, 0xbf);
                if (in(2) == 0)
                        type = "16650V2";
                /* ... not a National Semiconductor NS16550A (MCR LOOP mirrored in bank 2) ... */
                out(LCR, 0);
                uint8_t m1 = in(MCR);
                out(LCR, 0xe0);
                uint8_t m2 = in(2);
                if (!((m1 ^ m2) & 0x10)) {
                        out(LCR, 0);
                        out(MCR, m1 ^ 0x10);
                        out(LCR, 0xe0);
                        m2 = in(2);
                        out(LCR, 0);
                        out(MCR, m1);
                        if ((m1 ^ m2) & 0x10)
                                type = "NS16550A";
                }
                /* ... not a 16750 (64-byte FIFO bit in IIR) ... */
                out(LCR, 0);
                out(FCR, 0x21);
                uint8_t i1 = in(IIR) >> 5;
                out(FCR, 0x01);
                out(LCR, 0x80);
                out(FCR, 0x21);
                uint8_t i2 = in(IIR) >> 5;
                out(FCR, 0x01);
                out(LCR, 0);
                if (i1 == 6 && i2 == 7)
                        type = "16750";
                /* ... not an XScale (IER bit 6 sticks) */
                uint8_t ier = in(IER);
                out(IER, ier | 0x40);
                if (in(IER) & 0x40)
                        type = "XScale";
                out(IER, ier);
        }
        out(LCR, save_lcr);
        return type;
}

/* Linux's size_fifo(): loopback at the fastest rate, send 256 bytes, count what arrives. */
static int linux_size_fifo(void)
{
        uint8_t old_lcr = in(LCR);
        out(LCR, 0);
        uint8_t old_fcr = in(FCR), old_mcr = in(MCR);
        out(FCR, 0x07);
        out(MCR, 0x10);
        out(LCR, 0x80);
        uint8_t dll = in(DLL), dlm = in(DLM);
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        for (int i = 0; i < 256; i++)
                out(RBR, (uint8_t)i);
        int count = 0;
        while ((in(LSR) & 0x01) && count < 256) {
                ck_assert_uint_eq(in(RBR), (uint8_t)count);
                count++;
        }
        out(FCR, old_fcr);
        out(MCR, old_mcr);
        out(LCR, 0x80);
        out(DLL, dll);
        out(DLM, dlm);
        out(LCR, old_lcr);
        return count;
}

START_TEST(test_new_rejects_bad_ops)
{
        struct hv_uart *x = NULL;
        struct hv_uart_ops no_tx = {.set_irq = sink_set_irq};
        struct hv_uart_ops no_irq = {.transmit = sink_transmit};
        ck_assert_int_eq(hv_uart_new(NULL, NULL, &x), -EINVAL);
        ck_assert_int_eq(hv_uart_new(&no_tx, NULL, &x), -EINVAL);
        ck_assert_int_eq(hv_uart_new(&no_irq, NULL, &x), -EINVAL);
        ck_assert_int_eq(hv_uart_new(&sink_ops, NULL, NULL), -EINVAL);
        ck_assert_ptr_null(x);
        ck_assert_ptr_null(hv_uart_free(NULL));
}
END_TEST

START_TEST(test_power_on_state)
{
        ck_assert_uint_eq(in(IER), 0);
        ck_assert_uint_eq(in(IIR), 0x01);
        ck_assert_uint_eq(in(LCR), 0);
        ck_assert_uint_eq(in(MCR), 0);
        ck_assert_uint_eq(in(LSR), 0x60);
        ck_assert_uint_eq(in(MSR), 0xb0); /* CTS, DSR, DCD; no deltas */
        ck_assert_uint_eq(in(SCR), 0);
        ck_assert_uint_eq(sink.irq_calls, 0);
}
END_TEST

START_TEST(test_scratch_register)
{
        out(SCR, 0xa5);
        ck_assert_uint_eq(in(SCR), 0xa5);
        out(SCR, 0x5a);
        ck_assert_uint_eq(in(SCR), 0x5a);
        out(LCR, 0x80); /* DLAB does not hide it */
        ck_assert_uint_eq(in(SCR), 0x5a);
}
END_TEST

START_TEST(test_ier_keeps_low_nibble)
{
        out(IER, 0xff);
        ck_assert_uint_eq(in(IER), 0x0f);
        out(IER, 0);
        ck_assert_uint_eq(in(IER), 0);
}
END_TEST

START_TEST(test_loopback_msr)
{
        out(MCR, 0x1a); /* LOOP | OUT2 | RTS */
        ck_assert_uint_eq(in(MSR) & 0xf0, 0x90);
        out(MCR, 0x15); /* LOOP | OUT1 | DTR */
        ck_assert_uint_eq(in(MSR) & 0xf0, 0x60);
        out(MCR, 0);
        ck_assert_uint_eq(in(MSR) & 0xf0, 0xb0);
        ck_assert_uint_eq(in(MCR), 0);
        out(MCR, 0xff);
        ck_assert_uint_eq(in(MCR), 0x1f); /* bits 5-7 do not exist on a 16550A */
}
END_TEST

START_TEST(test_linux_detects_16550a)
{
        out(SCR, 0x42);
        out(IER, 0x05);
        ck_assert_str_eq(linux_autoconfig(), "16550A");
        ck_assert_int_eq(linux_size_fifo(), 16);
        /* the probe restores what it touched */
        ck_assert_uint_eq(in(IER), 0x05);
        ck_assert_uint_eq(in(LCR), 0);
        ck_assert_uint_eq(in(MCR), 0);
        ck_assert_uint_eq(in(SCR), 0x42);
        ck_assert_uint_eq(sink.tx_len, 0); /* loopback bytes never leave */
}
END_TEST

/* Linux's serial8250_do_startup(): clear the FIFOs and latches, the LSR safety check, then
 * the THRE re-assertion test (UART_BUG_THRE) and the TX-enable test (UART_BUG_TXEN), both of
 * which a real 16550A passes. */
START_TEST(test_linux_startup_finds_no_bugs)
{
        ck_assert_str_eq(linux_autoconfig(), "16550A");
        out(FCR, 0x01);
        out(FCR, 0x07);
        out(FCR, 0);
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        ck_assert_uint_ne(in(LSR), 0xff);

        ck_assert_uint_eq(in(LSR) & 0x20, 0x20);
        out(IER, 0x02);
        uint8_t iir1 = in(IIR);
        out(IER, 0);
        out(IER, 0x02);
        uint8_t iir = in(IIR);
        out(IER, 0);
        ck_assert_msg(!(!(iir1 & 0x01) && (iir & 0x01)), "UART_BUG_THRE: %02x %02x", iir1, iir);
        ck_assert_uint_eq(iir1 & 0x01, 0);

        out(LCR, 0x03);
        out(MCR, 0x0b); /* DTR | RTS | OUT2 */
        out(IER, 0x02);
        uint8_t lsr = in(LSR);
        iir = in(IIR);
        out(IER, 0);
        ck_assert_msg(!((lsr & 0x40) && (iir & 0x01)), "UART_BUG_TXEN: lsr %02x iir %02x", lsr, iir);

        out(IER, 0x05); /* RLSI | RDI, as the driver leaves it */
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"k", 1), 1);
        ck_assert_int_eq(sink.level, 1);
}
END_TEST

START_TEST(test_fifo_id_bits)
{
        out(FCR, 0x01);
        ck_assert_uint_eq(in(IIR), 0xc1);
        out(FCR, 0x21); /* the 16750's 64-byte bit is not there */
        ck_assert_uint_eq(in(IIR) & 0x30, 0);
        out(FCR, 0x00);
        ck_assert_uint_eq(in(IIR), 0x01);
        out(FCR, 0xc6); /* enable bit clear: the rest is not taken */
        ck_assert_uint_eq(in(IIR), 0x01);
}
END_TEST

START_TEST(test_dlab_switching)
{
        out(IER, 0x03);
        out(LCR, 0x83);
        out(DLL, 0x01);
        out(DLM, 0x02);
        ck_assert_uint_eq(in(DLL), 0x01);
        ck_assert_uint_eq(in(DLM), 0x02);
        ck_assert_uint_eq(sink.tx_len, 0); /* the DLL write was not a THR write */
        ck_assert_uint_eq(in(LCR), 0x83);
        out(LCR, 0x03);
        ck_assert_uint_eq(in(IER), 0x03); /* the DLM write did not touch IER */
        out(RBR, 'x');
        ck_assert_uint_eq(sink.tx_len, 1);
        out(LCR, 0x80);
        ck_assert_uint_eq(in(DLL), 0x01);
        ck_assert_uint_eq(in(DLM), 0x02);
}
END_TEST

START_TEST(test_tx_path)
{
        const char *msg = "hello, world\n";
        for (const char *p = msg; *p; p++) {
                ck_assert_uint_eq(in(LSR) & 0x60, 0x60); /* what a polling console waits for */
                out(RBR, (uint8_t)*p);
        }
        ck_assert_uint_eq(sink.tx_len, strlen(msg));
        ck_assert_mem_eq(sink.tx, msg, strlen(msg));
        ck_assert_uint_eq(in(LSR), 0x60);
        ck_assert_uint_eq(sink.irq_calls, 0); /* no interrupt enabled */
}
END_TEST

START_TEST(test_thre_interrupt)
{
        out(FCR, 0x01);
        out(MCR, 0x0b);
        /* Linux's startup test: THRI with THR empty interrupts at once ... */
        out(IER, 0x02);
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(LSR) & 0x40, 0x40);
        ck_assert_uint_eq(in(IIR), 0xc2);
        /* ... reading IIR that reported it clears it ... */
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(in(IIR), 0xc1);
        /* ... and THRI 0 -> 1 raises it again */
        out(IER, 0);
        out(IER, 0x02);
        ck_assert_uint_eq(in(IIR), 0xc2);
        ck_assert_uint_eq(in(IIR), 0xc1);
        /* writing THR: the byte leaves, THR is empty again, interrupt */
        out(RBR, 'a');
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(IIR), 0xc2);
        /* disabling THRI drops the line */
        out(RBR, 'b');
        ck_assert_int_eq(sink.level, 1);
        out(IER, 0);
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(in(IIR), 0xc1);
        ck_assert(!sink.level_repeated);
        ck_assert_uint_eq(sink.irq_calls, 8);
}
END_TEST

START_TEST(test_rx_fifo_and_trigger)
{
        out(FCR, 0xc1); /* trigger at 14 */
        out(IER, 0x01);
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(hv_uart_rx_space(u), 16);
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"abc", 3), 3);
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(IIR), 0xcc); /* below the trigger: character timeout */
        ck_assert_uint_eq(in(LSR) & 0x01, 0x01);
        ck_assert_uint_eq(in(RBR), 'a');
        ck_assert_uint_eq(in(RBR), 'b');
        ck_assert_uint_eq(in(RBR), 'c');
        ck_assert_uint_eq(in(LSR) & 0x01, 0);
        ck_assert_uint_eq(in(IIR), 0xc1);
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(in(RBR), 'c'); /* an empty FIFO reads the last byte again */

        uint8_t data[20];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(0x30 + i);
        ck_assert_uint_eq(hv_uart_receive(u, data, sizeof(data)), 16);
        ck_assert_uint_eq(hv_uart_rx_space(u), 0);
        ck_assert_uint_eq(hv_uart_receive(u, data + 16, 4), 0);
        ck_assert_uint_eq(in(IIR), 0xc4); /* at or above the trigger: data available */
        ck_assert_uint_eq(in(LSR) & 0x02, 0); /* the host is never made to overrun */
        ck_assert_uint_eq(atomic_load(&sink.rx_ready_calls), 0);
        ck_assert_uint_eq(in(RBR), 0x30);
        ck_assert_uint_eq(atomic_load(&sink.rx_ready_calls), 1); /* room for the refused bytes */
        ck_assert_uint_eq(hv_uart_receive(u, data + 16, 4), 1);
        for (size_t i = 1; i < 17; i++)
                ck_assert_uint_eq(in(RBR), data[i]);
        ck_assert_uint_eq(in(LSR) & 0x01, 0);
        ck_assert_int_eq(sink.level, 0);

        out(FCR, 0x01 | 0x02); /* clear RX */
        ck_assert_uint_eq(hv_uart_receive(u, data, 5), 5);
        out(FCR, 0x03);
        ck_assert_uint_eq(in(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_rx_without_fifo)
{
        out(IER, 0x01);
        ck_assert_uint_eq(hv_uart_rx_space(u), 1);
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"xy", 2), 1);
        ck_assert_uint_eq(in(IIR), 0x04);
        ck_assert_uint_eq(in(RBR), 'x');
        ck_assert_uint_eq(atomic_load(&sink.rx_ready_calls), 1);
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"y", 1), 1);
        ck_assert_uint_eq(in(RBR), 'y');
}
END_TEST

START_TEST(test_loopback_overrun)
{
        out(FCR, 0x07);
        out(MCR, 0x10);
        ck_assert_uint_eq(hv_uart_rx_space(u), 0); /* the serial input is disconnected */
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"z", 1), 0);
        for (int i = 0; i < 17; i++)
                out(RBR, (uint8_t)i);
        ck_assert_uint_eq(sink.tx_len, 0);
        ck_assert_uint_eq(in(LSR), 0x63); /* DR, OE, THRE, TEMT */
        ck_assert_uint_eq(in(LSR), 0x61); /* OE is cleared by reading */
        for (int i = 0; i < 16; i++)
                ck_assert_uint_eq(in(RBR), i); /* the FIFO kept its bytes; the 17th was lost */
        ck_assert_uint_eq(in(LSR), 0x60);
        unsigned before = atomic_load(&sink.rx_ready_calls);
        out(MCR, 0); /* leaving loopback reconnects the input: the host is told */
        ck_assert_uint_eq(atomic_load(&sink.rx_ready_calls), before + 1);
        ck_assert_uint_eq(hv_uart_receive(u, (const uint8_t *)"z", 1), 1);
        ck_assert_uint_eq(in(RBR), 'z');

        /* without FIFOs an overrun replaces the unread byte */
        out(FCR, 0);
        out(MCR, 0x10);
        out(RBR, 'p');
        out(RBR, 'q');
        ck_assert_uint_eq(in(LSR), 0x63);
        ck_assert_uint_eq(in(RBR), 'q');
}
END_TEST

START_TEST(test_interrupt_priority)
{
        out(FCR, 0x01);
        out(MCR, 0x10); /* loopback: all inputs drop, deltas for CTS, DSR, DCD */
        for (int i = 0; i < 17; i++)
                out(RBR, (uint8_t)i); /* data available and an overrun */
        out(IER, 0x0f);
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(IIR), 0xc6); /* receiver line status first */
        ck_assert_uint_eq(in(IIR), 0xc6); /* reading IIR does not clear it */
        ck_assert_uint_eq(in(LSR) & 0x02, 0x02);
        ck_assert_uint_eq(in(IIR), 0xc4); /* then received data */
        for (int i = 0; i < 16; i++)
                in(RBR);
        ck_assert_uint_eq(in(IIR), 0xc2); /* then THR empty, cleared by that read */
        ck_assert_uint_eq(in(IIR), 0xc0); /* then modem status */
        ck_assert_uint_eq(in(MSR), 0x0b);
        ck_assert_uint_eq(in(IIR), 0xc1);
        ck_assert_int_eq(sink.level, 0);
        ck_assert(!sink.level_repeated);
}
END_TEST

START_TEST(test_msr_deltas)
{
        out(MCR, 0x10);
        ck_assert_uint_eq(in(MSR), 0x0b); /* DCTS, DDSR, DDCD */
        ck_assert_uint_eq(in(MSR), 0x00);
        out(MCR, 0x14); /* OUT1 -> RI: rising edge is not a delta */
        ck_assert_uint_eq(in(MSR), 0x40);
        out(MCR, 0x10);
        ck_assert_uint_eq(in(MSR), 0x04); /* TERI on the trailing edge */
        out(IER, 0x08);
        out(MCR, 0x12); /* RTS -> CTS */
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(IIR), 0x00);
        ck_assert_uint_eq(in(MSR), 0x11);
        ck_assert_int_eq(sink.level, 0);
}
END_TEST

START_TEST(test_tx_fifo_clear_and_reset)
{
        out(FCR, 0x01);
        out(IER, 0x0f);
        out(SCR, 7);
        out(MCR, 0x10);
        ck_assert_int_eq(sink.level, 1);
        hv_uart_reset(u);
        ck_assert_int_eq(sink.level, 0);
        ck_assert_uint_eq(in(IER), 0);
        ck_assert_uint_eq(in(IIR), 0x01);
        ck_assert_uint_eq(in(MCR), 0);
        ck_assert_uint_eq(in(MSR), 0xb0);
        ck_assert_uint_eq(in(SCR), 0);
        ck_assert_uint_eq(in(LSR), 0x60);
}
END_TEST

START_TEST(test_transmit_may_reenter)
{
        sink.echo_to = u; /* transmit feeds the bytes back through hv_uart_receive */
        out(FCR, 0x01);
        out(IER, 0x01);
        out(RBR, 'e');
        ck_assert_uint_eq(sink.tx_len, 1);
        ck_assert_int_eq(sink.level, 1);
        ck_assert_uint_eq(in(RBR), 'e');
        ck_assert_int_eq(sink.level, 0);
}
END_TEST

START_TEST(test_hostile_accesses)
{
        out(SCR, 0x11);
        out(IER, 0x05);
        for (unsigned off = 8; off <= 0xffff; off++) {
                ck_assert_uint_eq(in((uint16_t)off), 0xff);
                out((uint16_t)off, 0xff);
        }
        out(LSR, 0x00); /* read-only */
        out(MSR, 0xff);
        ck_assert_uint_eq(in(SCR), 0x11);
        ck_assert_uint_eq(in(IER), 0x05);
        ck_assert_uint_eq(in(LSR), 0x60);
        ck_assert_uint_eq(in(MSR), 0xb0);
        ck_assert_uint_eq(sink.tx_len, 0);
        uint8_t b = 0;
        ck_assert_int_eq(hv_uart_io(u, RBR, true, NULL), -EINVAL);
        ck_assert_int_eq(hv_uart_io(NULL, RBR, true, &b), -EINVAL);
        ck_assert_int_eq(hv_uart_io(u, 0x1234, true, &b), 0);
        ck_assert_uint_eq(hv_uart_receive(u, NULL, 3), 0);
        ck_assert_uint_eq(hv_uart_receive(NULL, (const uint8_t *)"a", 1), 0);

        /* any sequence of accesses keeps the invariants a driver relies on */
        unsigned seed = 12345;
        for (int i = 0; i < 50000; i++) {
                unsigned r = rand_r(&seed);
                uint16_t off = r % 8;
                uint8_t v = (uint8_t)(r >> 8);
                if (r & (1u << 20))
                        out(off, v);
                else
                        in(off);
                if ((r & 0xf000) == 0)
                        hv_uart_receive(u, &v, 1);
                if (!(in(LCR) & 0x80))
                        ck_assert_uint_eq(in(IER) & 0xf0, 0);
                in(IIR); /* may clear a THRE interrupt; the second read has no side effect */
                uint8_t iir = in(IIR);
                ck_assert_uint_eq(iir & 0x30, 0);
                ck_assert_int_eq(sink.level, !(iir & 0x01));
        }
        ck_assert(!sink.level_repeated);
}
END_TEST

/* Concurrency: the main thread feeds a byte stream while a vCPU thread drains it through the
 * registers and a second vCPU thread transmits; nothing is lost, duplicated or reordered. */
#define STREAM_LEN 20000

static void *feeder(void *arg)
{
        for (size_t sent = 0; sent < STREAM_LEN;) {
                uint8_t chunk[7];
                size_t n = MIN(sizeof(chunk), STREAM_LEN - sent);
                for (size_t i = 0; i < n; i++)
                        chunk[i] = (uint8_t)((sent + i) * 7);
                sent += hv_uart_receive(u, chunk, n);
                if (hv_uart_rx_space(u) == 0)
                        sched_yield();
        }
        return arg;
}

static void *drainer(void *arg)
{
        for (size_t got = 0; got < STREAM_LEN;) {
                if (!(in(LSR) & 0x01)) {
                        sched_yield();
                        continue;
                }
                uint8_t b = in(RBR);
                if (b != (uint8_t)(got * 7))
                        return (void *)"stream out of order";
                got++;
                in(IIR);
        }
        return arg;
}

static void *talker(void *arg)
{
        for (int i = 0; i < STREAM_LEN; i++) {
                while (!(in(LSR) & 0x20))
                        sched_yield();
                out(RBR, (uint8_t)i);
        }
        return arg;
}

START_TEST(test_concurrent_receive_and_drain)
{
        out(FCR, 0x81);
        out(IER, 0x07);
        pthread_t t[3];
        void *r[3];
        ck_assert_int_eq(pthread_create(&t[0], NULL, feeder, NULL), 0);
        ck_assert_int_eq(pthread_create(&t[1], NULL, drainer, NULL), 0);
        ck_assert_int_eq(pthread_create(&t[2], NULL, talker, NULL), 0);
        for (int i = 0; i < 3; i++) {
                ck_assert_int_eq(pthread_join(t[i], &r[i]), 0);
                ck_assert_msg(r[i] == NULL, "%s", (const char *)r[i]);
        }
        ck_assert_uint_eq(in(LSR) & 0x03, 0);
        ck_assert_uint_eq(sink.tx_len, STREAM_LEN);
        for (size_t i = 0; i < STREAM_LEN; i++)
                ck_assert_uint_eq(sink.tx[i], (uint8_t)i);
        ck_assert(!sink.level_repeated);
}
END_TEST

static Suite *uart_suite(void)
{
        Suite *s = suite_create("uart8250");
        TCase *tc = tcase_create("registers");
        tcase_set_timeout(tc, 60); /* the sanitizer builds are slow; nothing here waits */
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_new_rejects_bad_ops);
        tcase_add_test(tc, test_power_on_state);
        tcase_add_test(tc, test_scratch_register);
        tcase_add_test(tc, test_ier_keeps_low_nibble);
        tcase_add_test(tc, test_loopback_msr);
        tcase_add_test(tc, test_linux_detects_16550a);
        tcase_add_test(tc, test_linux_startup_finds_no_bugs);
        tcase_add_test(tc, test_fifo_id_bits);
        tcase_add_test(tc, test_dlab_switching);
        tcase_add_test(tc, test_tx_path);
        tcase_add_test(tc, test_thre_interrupt);
        tcase_add_test(tc, test_rx_fifo_and_trigger);
        tcase_add_test(tc, test_rx_without_fifo);
        tcase_add_test(tc, test_loopback_overrun);
        tcase_add_test(tc, test_interrupt_priority);
        tcase_add_test(tc, test_msr_deltas);
        tcase_add_test(tc, test_tx_fifo_clear_and_reset);
        tcase_add_test(tc, test_transmit_may_reenter);
        tcase_add_test(tc, test_hostile_accesses);
        tcase_add_test(tc, test_concurrent_receive_and_drain);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) { return hv_test_run_suite(uart_suite()); }
