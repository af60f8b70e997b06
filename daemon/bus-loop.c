/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sd-bus on the libevent loop: an event on the bus fd for what sd_bus_get_events() asks,
 * and a timer for sd_bus_get_timeout(), both re-queried before every wait. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "hvd.h"
#include "log.h"

/* Messages handled per wake-up, so a flood on the bus cannot starve the consoles. */
#define BUS_PROCESS_BATCH 64

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static void bus_process(struct hvd *h)
{
        for (int i = 0; i < BUS_PROCESS_BATCH; i++) {
                int r = sd_bus_process(h->bus, NULL);
                if (r == 0)
                        return;
                if (r < 0) {
                        if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE) {
                                log_error("lost the connection to the bus: %s", strerror(-r));
                                h->exit_status = 1;
                                h->quit = true;
                                return;
                        }
                        log_warning("processing a bus message failed: %s, ignoring", strerror(-r));
                }
        }
}

static void on_bus_io(evutil_socket_t fd, short what, void *arg)
{
        bus_process(arg);
}

static void on_bus_timer(evutil_socket_t fd, short what, void *arg)
{
        bus_process(arg);
}

int hvd_bus_attach(struct hvd *h)
{
        int fd = sd_bus_get_fd(h->bus);

        if (fd < 0)
                return fd;
        h->bus_io = event_new(h->base, fd, EV_READ | EV_PERSIST, on_bus_io, h);
        h->bus_timer = evtimer_new(h->base, on_bus_timer, h);
        if (!h->bus_io || !h->bus_timer)
                return -ENOMEM;
        h->bus_io_events = 0;
        h->bus_timeout = UINT64_MAX;
        return 0;
}

void hvd_bus_detach(struct hvd *h)
{
        if (h->bus_io)
                event_free(h->bus_io);
        if (h->bus_timer)
                event_free(h->bus_timer);
        h->bus_io = h->bus_timer = NULL;
}

void hvd_bus_rearm(struct hvd *h)
{
        uint64_t t;
        short want = 0;
        int ev;

        if (!h->bus || !h->bus_io)
                return;
        ev = sd_bus_get_events(h->bus);
        if (ev < 0) {
                log_error("the bus connection failed: %s", strerror(-ev));
                h->exit_status = 1;
                h->quit = true;
                return;
        }
        if (ev & POLLIN)
                want |= EV_READ;
        if (ev & POLLOUT)
                want |= EV_WRITE;
        if (want != h->bus_io_events) {
                event_del(h->bus_io);
                event_assign(h->bus_io, h->base, sd_bus_get_fd(h->bus), want | EV_PERSIST, on_bus_io, h);
                if (want)
                        event_add(h->bus_io, NULL);
                h->bus_io_events = want;
        }
        if (sd_bus_get_timeout(h->bus, &t) < 0)
                t = UINT64_MAX;
        if (t == UINT64_MAX) {
                if (h->bus_timeout != UINT64_MAX)
                        evtimer_del(h->bus_timer);
        } else {
                uint64_t n = now_usec(), rel = t > n ? t - n : 0;
                struct timeval tv = { .tv_sec = (time_t)(rel / 1000000), .tv_usec = (suseconds_t)(rel % 1000000) };
                evtimer_add(h->bus_timer, &tv);
        }
        h->bus_timeout = t;
}
