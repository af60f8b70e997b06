/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test guests' tiny runtime: COM1 output and input, the debug-exit port, the TSC, the
 * command line (key=value words) and the memory map from hv_pvh_start_info. Freestanding
 * 32-bit code: no libc, no libgcc (64-bit division is done by rt_udiv64 here). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/pvh-abi.h"

/* Guest ABI shared with hvd's VM core and with QEMU (-M microvm + isa-debug-exit). */
#define RT_COM1 0x3f8
#define RT_UART_LSR 5
#define RT_UART_LSR_DR 0x01   /* a received byte waits in RBR */
#define RT_UART_LSR_THRE 0x20 /* THR can take a byte */
#define RT_DEBUG_EXIT_PORT 0xf4 /* 4 bytes wide; QEMU exits with status (value << 1) | 1 */

/* Exit codes shared by all guests (a guest's own parameters may choose others). */
#define RT_EXIT_OK 0
#define RT_EXIT_VERIFY 1 /* the dirtier found a page that is not what it wrote */
#define RT_EXIT_USAGE 2  /* bad start info, bad or missing parameter, not enough RAM */

/* Each guest defines this; rt_start calls it with a checked start info. */
void guest_main(const struct hv_pvh_start_info *si);

static inline void rt_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void rt_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t rt_inb(uint16_t port)
{
        uint8_t v;
        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}
static inline uint64_t rt_rdtsc(void)
{
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
}
static inline void rt_pause(void) { __asm__ volatile("pause" ::: "memory"); }

void rt_putc(char c);
void rt_puts(const char *s);
void rt_putn(const char *s, size_t n);
void rt_put_u64(uint64_t v);
void rt_put_hex(uint64_t v);
/* A received byte, or -1 when none is waiting. */
int rt_getc_nowait(void);
/* Waits for a received byte (polling LSR.DR with a short pause between polls). */
char rt_getc(void);

/* Writes code to the debug-exit port; halts for good if the VMM lets the guest go on. */
_Noreturn void rt_exit(uint32_t code);
/* Prints "<guest>: error: <msg>" and exits with RT_EXIT_USAGE. */
_Noreturn void rt_die(const char *msg);

/* q = n / d, *rem = n % d, without libgcc. d must not be 0. */
uint64_t rt_udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* The value of key=VALUE on the command line: a pointer to VALUE and its length, or NULL. */
const char *rt_arg(const char *key, size_t *ret_len);
/* key=NUMBER (decimal, or hex with 0x); def when absent; rt_die when malformed. */
uint64_t rt_arg_u64(const char *key, uint64_t def);
bool rt_arg_is(const char *key, const char *value);

/* The command line (never NULL) and the name the guest gives in messages. */
extern const char *rt_cmdline;
extern const char *rt_name;
/* End of the RAM range (from the memory map) that contains addr; 0 when addr is not RAM. */
uint64_t rt_ram_end(uint64_t addr);
/* Sum of all RAM entries of the memory map. */
uint64_t rt_ram_total(void);

/* From the linker script. */
extern char __image_start[], __image_end[];
