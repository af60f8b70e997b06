/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bus-watch.h"
#include "log.h"

/* Messages handled per wake-up, so a flood on one connection cannot starve the rest. */
#define BUS_PROCESS_BATCH 64

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static void lose(struct bus_watch *w, int r)
{
        if (w->dead)
                return;
        w->dead = r ? r : -ECONNRESET;
        if (w->io)
                event_del(w->io);
        if (w->timer)
                evtimer_del(w->timer);
        if (w->lost)
                w->lost(w, w->dead, w->userdata); /* may free w */
}

static void process(struct bus_watch *w)
{
        for (int i = 0; i < BUS_PROCESS_BATCH && !w->dead; i++) {
                int r = sd_bus_process(w->bus, NULL);
                if (r == 0)
                        return;
                if (r < 0) {
                        if (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE) {
                                lose(w, r);
                                return;
                        }
                        log_warning("processing a bus message failed: %s, ignoring", strerror(-r));
                }
        }
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
        process(arg);
}

int bus_watch_attach(struct bus_watch *w, struct event_base *base, sd_bus *bus,
                     void (*lost)(struct bus_watch *, int, void *), void *userdata)
{
        int fd = sd_bus_get_fd(bus);

        *w = (struct bus_watch){ .bus = bus, .base = base, .lost = lost, .userdata = userdata,
                                 .timeout = UINT64_MAX };
        if (fd < 0)
                return fd;
        w->io = event_new(base, fd, EV_READ | EV_PERSIST, on_io, w);
        w->timer = evtimer_new(base, on_io, w);
        if (!w->io || !w->timer) {
                bus_watch_detach(w);
                return -ENOMEM;
        }
        return 0;
}

void bus_watch_detach(struct bus_watch *w)
{
        if (w->io)
                event_free(w->io);
        if (w->timer)
                event_free(w->timer);
        w->io = w->timer = NULL;
}

void bus_watch_rearm(struct bus_watch *w)
{
        short want = 0;
        uint64_t t;
        int ev;

        if (!w->bus || !w->io || w->dead)
                return;
        ev = sd_bus_get_events(w->bus);
        if (ev < 0) {
                lose(w, ev);
                return;
        }
        if (ev & POLLIN)
                want |= EV_READ;
        if (ev & POLLOUT)
                want |= EV_WRITE;
        if (want != w->io_events) {
                event_del(w->io);
                event_assign(w->io, w->base, sd_bus_get_fd(w->bus), want | EV_PERSIST, on_io, w);
                if (want)
                        event_add(w->io, NULL);
                w->io_events = want;
        }
        if (sd_bus_get_timeout(w->bus, &t) < 0)
                t = UINT64_MAX;
        if (t == UINT64_MAX) {
                if (w->timeout != UINT64_MAX)
                        evtimer_del(w->timer);
        } else {
                uint64_t n = now_usec(), rel = t > n ? t - n : 0;
                struct timeval tv = { .tv_sec = (time_t)(rel / 1000000), .tv_usec = (suseconds_t)(rel % 1000000) };
                evtimer_add(w->timer, &tv);
        }
        w->timeout = t;
}
