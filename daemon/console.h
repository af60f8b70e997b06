/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's serial console on the loop: a bounded log of the guest's output, and clients (one
 * end of a socketpair each, handed out by OpenConsole) that receive the output and whose
 * input goes to the guest. A slow client loses output rather than holding anyone up. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "byte-ring.h"

struct event_base;
struct evbuffer;

#define CONSOLE_CLIENTS_MAX 16
#define CONSOLE_CLIENT_BACKLOG_MAX (256 * 1024) /* output queued for one client */

/* Where client input goes (the guest's UART); returns bytes taken (fewer than len while the
 * guest has no room: the rest is offered again later) or -errno (dropped). */
typedef int (*console_input_fn)(const uint8_t *buf, size_t len, void *userdata);

struct console_client;

struct console {
        struct event_base *base;
        struct byte_ring log;
        struct console_client *clients;
        unsigned n_clients;
        console_input_fn input;
        void *userdata;
        struct evbuffer *orphan_input; /* input of clients that left, not yet taken (bounded) */
};

int console_init(struct console *c, struct event_base *base, size_t log_size,
                 console_input_fn input, void *userdata);
void console_done(struct console *c);
/* A new log size; keeps the most recent output that fits. */
int console_resize(struct console *c, size_t log_size);
/* Guest output: appended to the log and queued to every client. */
void console_write(struct console *c, const uint8_t *buf, size_t len);
/* A new client; returns the other end of its socketpair (the caller's to close/hand out). */
int console_open(struct console *c, int *ret_fd);
/* Offers held input again now (the guest made room). */
void console_kick(struct console *c);
/* The log in order, copied into a malloc'd buffer. */
int console_get_log(const struct console *c, uint8_t **ret, size_t *ret_len);
