/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo: reads COM1 and answers, for console tests.
 *
 * Prints "echo: ready" once. Then, in line mode (the default), for every line received
 * (ended by \n or \r; empty lines are ignored; lines are cut at 200 bytes) it answers
 * "echo: <line>"; the line "quit" makes it print "echo: bye" and exit with code `exit=`.
 * In raw mode (mode=raw) every byte received is sent back unchanged, and a byte 0x04 (^D)
 * makes it exit.
 * Parameters:
 *   mode=line|raw  (default line)
 *   exit=N         exit code on quit (default 0)
 */
#include "rt.h"

const char *rt_name = "echo";

#define LINE_MAX_BYTES 200

void guest_main(const struct hv_pvh_start_info *si)
{
        uint32_t code = (uint32_t)rt_arg_u64("exit", 0);
        bool raw = rt_arg_is("mode", "raw");
        char line[LINE_MAX_BYTES];
        size_t n = 0;

        if (!raw && rt_arg("mode", NULL) && !rt_arg_is("mode", "line"))
                rt_die("mode= must be line or raw");
        rt_puts("echo: ready\n");
        for (;;) {
                char c = rt_getc();
                if (raw) {
                        if (c == 0x04)
                                rt_exit(code);
                        rt_putc(c);
                        continue;
                }
                if (c != '\n' && c != '\r') {
                        if (n < sizeof(line))
                                line[n++] = c;
                        continue;
                }
                if (n == 0)
                        continue;
                if (n == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't') {
                        rt_puts("echo: bye\n");
                        rt_exit(code);
                }
                rt_puts("echo: ");
                rt_putn(line, n);
                rt_putc('\n');
                n = 0;
        }
}
