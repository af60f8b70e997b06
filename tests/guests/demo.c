/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo: the guest of examples/demo.json and scripts/demo.sh. Prints a few lines, then counts
 * for ever ("demo: tick <n>"), reading nothing; it stops only when the VM is stopped.
 *
 * Parameters:
 *   tsc_khz=N  TSC frequency, filled in by the host: with it the guest ticks once per
 *              `interval` milliseconds of TSC time; without it, every 2^17 loop iterations
 *   interval=N milliseconds between ticks (default 1000)
 *   name=S     a name to greet with (default "demo")
 */
#include "rt.h"

const char *rt_name = "demo";

void guest_main(const struct hv_pvh_start_info *si)
{
        uint64_t khz = rt_arg_u64("tsc_khz", 0), interval = rt_arg_u64("interval", 1000);
        size_t name_len;
        const char *name = rt_arg("name", &name_len);

        rt_puts("demo: hello from ");
        if (name)
                rt_putn(name, name_len);
        else
                rt_puts("demo");
        rt_puts(", a PVH guest of hvd\ndemo: ");
        rt_put_u64(rt_ram_total() >> 20);
        rt_puts(" MiB of RAM, command line \"");
        rt_puts(rt_cmdline);
        rt_puts("\"\ndemo: counting; stop the VM to end me\n");

        uint64_t ticks = khz ? khz * (interval ? interval : 1) : 0;
        uint64_t next = rt_rdtsc() + ticks;
        for (uint64_t n = 1;; n++) {
                if (ticks) {
                        while ((int64_t)(rt_rdtsc() - next) < 0)
                                rt_pause();
                        next += ticks;
                } else {
                        for (volatile uint32_t i = 0; i < (1u << 17); i++)
                                ;
                }
                rt_puts("demo: tick ");
                rt_put_u64(n);
                rt_putc('\n');
        }
}
