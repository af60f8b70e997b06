/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hello: prints a fixed greeting, what it was booted with, and exits.
 *
 * Output (COM1):
 *   hello from hvd test guest
 *   hello: cmdline "<command line>"
 *   hello: ram <bytes> bytes in <n> memory map entries, <m> modules
 *   hello: module 0 at <paddr> size <bytes>          (one line per module)
 *   hello: exit <code>
 * Parameters:
 *   exit=N   value written to the debug-exit port (default 0; QEMU exits with (N << 1) | 1)
 *   quiet=1  print only the first line
 *   reset=1  instead of exiting, ask for a reset through the PC reset control register
 *            (port 0xcf9, RST_CPU|SYS_RST as Linux's reboot=pci writes); prints
 *            "hello: reset" first. Where nothing resets it (QEMU microvm), it exits as usual.
 */
#include "rt.h"

const char *rt_name = "hello";

void guest_main(const struct hv_pvh_start_info *si)
{
        uint32_t code = (uint32_t)rt_arg_u64("exit", 0);

        rt_puts("hello from hvd test guest\n");
        if (!rt_arg_is("quiet", "1")) {
                rt_puts("hello: cmdline \"");
                rt_puts(rt_cmdline);
                rt_puts("\"\nhello: ram ");
                rt_put_u64(rt_ram_total());
                rt_puts(" bytes in ");
                rt_put_u64(si->memmap_entries);
                rt_puts(" memory map entries, ");
                rt_put_u64(si->nr_modules);
                rt_puts(" modules\n");
                const struct hv_pvh_modlist_entry *mod =
                        (const struct hv_pvh_modlist_entry *)(uintptr_t)si->modlist_paddr;
                for (uint32_t i = 0; mod && i < si->nr_modules && i < 8; i++) {
                        rt_puts("hello: module ");
                        rt_put_u64(i);
                        rt_puts(" at ");
                        rt_put_hex(mod[i].paddr);
                        rt_puts(" size ");
                        rt_put_u64(mod[i].size);
                        rt_putc('\n');
                }
                if (rt_arg_is("reset", "1")) {
                        rt_puts("hello: reset\n");
                        rt_outb(0xcf9, 0x06);
                }
                rt_puts("hello: exit ");
                rt_put_u64(code);
                rt_putc('\n');
        }
        rt_exit(code);
}
