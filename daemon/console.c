/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "console.h"
#include "macros.h"

#define CONSOLE_INPUT_BACKLOG_MAX 4096 /* input held while the guest's UART is full */

struct console_client {
        struct console *console;
        struct bufferevent *bev;
        struct console_client *next, *prev;
};

int console_init(struct console *c, struct event_base *base, size_t log_size,
                 console_input_fn input, void *userdata)
{
        *c = (struct console){ .base = base, .input = input, .userdata = userdata };
        c->orphan_input = evbuffer_new();
        if (byte_ring_init(&c->log, log_size) < 0 || !c->orphan_input) {
                console_done(c);
                return -ENOMEM;
        }
        return 0;
}

static void client_free(struct console_client *cl)
{
        struct console *c = cl->console;

        if (cl->prev)
                cl->prev->next = cl->next;
        else
                c->clients = cl->next;
        if (cl->next)
                cl->next->prev = cl->prev;
        c->n_clients--;
        /* what it typed and the guest has not read yet still reaches the guest (bounded) */
        struct evbuffer *in = bufferevent_get_input(cl->bev);
        size_t room = CONSOLE_INPUT_BACKLOG_MAX - MIN(evbuffer_get_length(c->orphan_input), (size_t)CONSOLE_INPUT_BACKLOG_MAX);
        (void)evbuffer_remove_buffer(in, c->orphan_input, MIN(evbuffer_get_length(in), room));
        bufferevent_free(cl->bev); /* closes our end: the client sees EOF */
        free(cl);
}

void console_done(struct console *c)
{
        while (c->clients)
                client_free(c->clients);
        byte_ring_done(&c->log);
        if (c->orphan_input)
                evbuffer_free(c->orphan_input);
        c->orphan_input = NULL;
}

void console_write(struct console *c, const uint8_t *buf, size_t len)
{
        byte_ring_write(&c->log, buf, len);
        for (struct console_client *cl = c->clients; cl; cl = cl->next) {
                struct evbuffer *out = bufferevent_get_output(cl->bev);
                if (evbuffer_get_length(out) + len > CONSOLE_CLIENT_BACKLOG_MAX)
                        continue; /* a client that does not read loses output, nobody waits */
                (void)evbuffer_add(out, buf, len);
        }
}

/* Offers the client's input to the guest; what the UART cannot take yet stays in the
 * bufferevent (which stops reading the socket past its watermark) and is offered again by
 * console_kick() when the guest has made room (hvcore's serial_input_ready). */
/* Offers the bytes of `in` to the guest; returns false when the guest had no room for all
 * of them (the rest stays in `in`). */
static bool feed(struct console *c, struct evbuffer *in)
{
        uint8_t buf[CONSOLE_INPUT_BACKLOG_MAX];
        ev_ssize_t n;
        int taken;

        while ((n = evbuffer_copyout(in, buf, sizeof(buf))) > 0) {
                taken = c->input ? c->input(buf, (size_t)n, c->userdata) : (int)n;
                if (taken < 0)
                        taken = (int)n; /* nobody can take it: dropped */
                evbuffer_drain(in, (size_t)taken);
                if (taken < n)
                        return false;
        }
        return true;
}

static void client_feed(struct console_client *cl)
{
        /* input left by clients that are gone is older: it goes first */
        if (feed(cl->console, cl->console->orphan_input))
                (void)feed(cl->console, bufferevent_get_input(cl->bev));
}

static void client_read(struct bufferevent *bev, void *arg)
{
        client_feed(arg);
}

void console_kick(struct console *c)
{
        if (!feed(c, c->orphan_input))
                return;
        for (struct console_client *cl = c->clients; cl; cl = cl->next)
                client_feed(cl);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
        struct console_client *cl = arg;
        struct console *c = cl->console;

        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
                client_free(cl);
                (void)feed(c, c->orphan_input); /* its last bytes may not have been offered yet */
        }
}

int console_open(struct console *c, int *ret_fd)
{
        struct console_client *cl;
        int sv[2];

        if (c->n_clients >= CONSOLE_CLIENTS_MAX)
                return -ENOSPC;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return -errno;
        cl = calloc(1, sizeof(*cl));
        if (!cl) {
                safe_close(sv[0]);
                safe_close(sv[1]);
                return -ENOMEM;
        }
        cl->console = c;
        cl->bev = bufferevent_socket_new(c->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
        if (!cl->bev) {
                free(cl);
                safe_close(sv[0]);
                safe_close(sv[1]);
                return -ENOMEM;
        }
        bufferevent_setcb(cl->bev, client_read, NULL, client_event, cl);
        bufferevent_setwatermark(cl->bev, EV_READ, 0, CONSOLE_INPUT_BACKLOG_MAX);
        (void)bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
        cl->next = c->clients;
        if (c->clients)
                c->clients->prev = cl;
        c->clients = cl;
        c->n_clients++;
        *ret_fd = sv[1];
        return 0;
}

int console_get_log(const struct console *c, uint8_t **ret, size_t *ret_len)
{
        return byte_ring_copy(&c->log, ret, ret_len);
}

int console_resize(struct console *c, size_t log_size)
{
        return byte_ring_resize(&c->log, log_size);
}
