/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool use_prefix;
static char ident[96] = "hvd";
static bool ident_in_journal; /* a VM process shares hvd's journal stream: say whose line it is */
static int max_priority = 6;

void log_open(void)
{
        const char *lvl = getenv("HVD_LOG_LEVEL");

        /* systemd connects stderr to the journal and says so in $JOURNAL_STREAM */
        use_prefix = getenv("JOURNAL_STREAM") != NULL;
        if (lvl && lvl[0] >= '0' && lvl[0] <= '7' && !lvl[1])
                max_priority = lvl[0] - '0';
}

void log_set_ident(const char *s)
{
        snprintf(ident, sizeof(ident), "%s", s);
        ident_in_journal = true;
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
                fprintf(stderr, "<%d>%s%s%s\n", priority, ident_in_journal ? ident : "", ident_in_journal ? ": " : "", buf);
        else
                fprintf(stderr, "%s: %s\n", ident, buf);
}
