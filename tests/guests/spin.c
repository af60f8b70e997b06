/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spin: a busy loop that never leaves the guest on its own, for kick and pause tests.
 *
 * Output: "spin: start" once, then (with report=N) "spin: <count>" every N iterations.
 * Parameters:
 *   loops=N   stop after N iterations and exit with code 0 (default 0: spin forever)
 *   report=N  print the iteration count every N iterations (default 0: never)
 * The counter also lives in memory (spin_count, a 64-bit word in the guest's .bss), so a
 * debugger or a test reading guest RAM sees it move.
 */
#include "rt.h"

const char *rt_name = "spin";
volatile uint64_t spin_count;

void guest_main(const struct hv_pvh_start_info *si)
{
        uint64_t loops = rt_arg_u64("loops", 0), report = rt_arg_u64("report", 0), next = report;

        rt_puts("spin: start\n");
        for (;;) {
                uint64_t n = ++spin_count;
                if (n == next) {
                        rt_puts("spin: ");
                        rt_put_u64(n);
                        rt_putc('\n');
                        next += report;
                }
                if (n == loops) {
                        rt_puts("spin: done\n");
                        rt_exit(RT_EXIT_OK);
                }
        }
}
