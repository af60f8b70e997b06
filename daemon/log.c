/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool use_prefix;
static int max_priority = 6;

void log_open(void)
{
        const char *lvl = getenv("HVD_LOG_LEVEL");

        /* systemd connects stderr to the journal and says so in $JOURNAL_STREAM */
        use_prefix = getenv("JOURNAL_STREAM") != NULL;
        if (lvl && lvl[0] >= '0' && lvl[0] <= '7' && !lvl[1])
                max_priority = lvl[0] - '0';
}

void log_msg(int priority, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        if (priority > max_priority)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (use_prefix)
                fprintf(stderr, "<%d>%s\n", priority, buf);
        else
                fprintf(stderr, "hvd: %s\n", buf);
}
