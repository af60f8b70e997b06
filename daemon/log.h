/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's log: stderr, with <N> priority prefixes the journal understands when under systemd. */
#pragma once

#include <systemd/sd-daemon.h>

void log_open(void);
/* What each line starts with (default "hvd"); hvd-vm says which VM it runs. */
void log_set_ident(const char *ident);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(3, __VA_ARGS__)
#define log_warning(...) log_msg(4, __VA_ARGS__)
#define log_notice(...) log_msg(5, __VA_ARGS__)
#define log_info(...) log_msg(6, __VA_ARGS__)
#define log_debug(...) log_msg(7, __VA_ARGS__)
