/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rt.h"

const char *rt_cmdline = "";
static const struct hv_pvh_start_info *start_info;

void rt_putc(char c)
{
        while (!(rt_inb(RT_COM1 + RT_UART_LSR) & RT_UART_LSR_THRE))
                rt_pause();
        rt_outb(RT_COM1, (uint8_t)c);
}

void rt_putn(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                rt_putc(s[i]);
}

void rt_puts(const char *s)
{
        while (*s)
                rt_putc(*s++);
}

uint64_t rt_udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
        /* long division in two 32-bit steps: the hardware divl does the work */
        uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi = hi / d, r = hi % d, qlo;
        __asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
        if (rem)
                *rem = r;
        return ((uint64_t)qhi << 32) | qlo;
}

void rt_put_u64(uint64_t v)
{
        char buf[21];
        int i = 0;
        do {
                uint32_t r;
                v = rt_udiv64(v, 10, &r);
                buf[i++] = (char)('0' + r);
        } while (v);
        while (i)
                rt_putc(buf[--i]);
}

void rt_put_hex(uint64_t v)
{
        int shift = 60;
        while (shift > 0 && !((v >> shift) & 0xf))
                shift -= 4;
        rt_puts("0x");
        for (; shift >= 0; shift -= 4)
                rt_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

int rt_getc_nowait(void)
{
        if (!(rt_inb(RT_COM1 + RT_UART_LSR) & RT_UART_LSR_DR))
                return -1;
        return rt_inb(RT_COM1);
}

char rt_getc(void)
{
        for (;;) {
                int c = rt_getc_nowait();
                if (c >= 0)
                        return (char)c;
                /* every poll is a VM exit: space them out a little */
                for (int i = 0; i < 256; i++)
                        rt_pause();
        }
}

_Noreturn void rt_exit(uint32_t code)
{
        rt_outl(RT_DEBUG_EXIT_PORT, code);
        for (;;)
                __asm__ volatile("cli; hlt");
}

_Noreturn void rt_die(const char *msg)
{
        rt_puts(rt_name);
        rt_puts(": error: ");
        rt_puts(msg);
        rt_putc('\n');
        rt_exit(RT_EXIT_USAGE);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

const char *rt_arg(const char *key, size_t *ret_len)
{
        size_t klen = 0;
        while (key[klen])
                klen++;
        for (const char *p = rt_cmdline; *p;) {
                while (is_space(*p))
                        p++;
                const char *w = p;
                while (*p && !is_space(*p))
                        p++;
                size_t i = 0;
                while (i < klen && w + i < p && w[i] == key[i])
                        i++;
                if (i == klen && w + klen < p && w[klen] == '=') {
                        if (ret_len)
                                *ret_len = (size_t)(p - (w + klen + 1));
                        return w + klen + 1;
                }
        }
        return NULL;
}

bool rt_arg_is(const char *key, const char *value)
{
        size_t n, i = 0;
        const char *v = rt_arg(key, &n);
        if (!v)
                return false;
        for (; i < n; i++)
                if (value[i] != v[i])
                        return false;
        return value[i] == 0;
}

uint64_t rt_arg_u64(const char *key, uint64_t def)
{
        size_t n;
        const char *v = rt_arg(key, &n);
        if (!v)
                return def;
        uint64_t x = 0;
        unsigned base = 10;
        size_t i = 0;
        if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
                base = 16;
                i = 2;
        }
        if (i == n)
                goto bad;
        for (; i < n; i++) {
                char c = v[i];
                unsigned d;
                if (c >= '0' && c <= '9')
                        d = (unsigned)(c - '0');
                else if (base == 16 && c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a' + 10);
                else if (base == 16 && c >= 'A' && c <= 'F')
                        d = (unsigned)(c - 'A' + 10);
                else
                        goto bad;
                if (x >> 59)
                        goto bad; /* would overflow */
                x = x * base + d;
        }
        return x;
bad:
        rt_puts(rt_name);
        rt_puts(": error: bad number in ");
        rt_puts(key);
        rt_puts("=\n");
        rt_exit(RT_EXIT_USAGE);
}

static const struct hv_pvh_memmap_entry *memmap(uint32_t *n)
{
        *n = start_info->memmap_entries;
        return (const struct hv_pvh_memmap_entry *)(uintptr_t)start_info->memmap_paddr;
}

uint64_t rt_ram_end(uint64_t addr)
{
        uint32_t n;
        const struct hv_pvh_memmap_entry *m = memmap(&n);
        for (uint32_t i = 0; i < n; i++)
                if (m[i].type == HV_PVH_MEMMAP_RAM && addr >= m[i].addr && addr - m[i].addr < m[i].size)
                        return m[i].addr + m[i].size;
        return 0;
}

uint64_t rt_ram_total(void)
{
        uint32_t n;
        uint64_t sum = 0;
        const struct hv_pvh_memmap_entry *m = memmap(&n);
        for (uint32_t i = 0; i < n; i++)
                if (m[i].type == HV_PVH_MEMMAP_RAM)
                        sum += m[i].size;
        return sum;
}

_Noreturn void rt_start(const struct hv_pvh_start_info *si);
_Noreturn void rt_start(const struct hv_pvh_start_info *si)
{
        if (!si || si->magic != HV_PVH_START_MAGIC)
                rt_die("no PVH start info in %ebx (bad magic)");
        start_info = si;
        if (si->version < 1 || si->memmap_paddr == 0 || si->memmap_paddr >> 32 || si->memmap_entries == 0)
                rt_die("PVH start info has no memory map (version 1 needed)");
        if (si->cmdline_paddr && !(si->cmdline_paddr >> 32))
                rt_cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
        guest_main(si);
        rt_exit(RT_EXIT_OK);
}
