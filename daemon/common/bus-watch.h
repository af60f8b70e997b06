/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One sd-bus connection on a libevent loop: an event on the connection's fd for what
 * sd_bus_get_events() asks and a timer for sd_bus_get_timeout(). sd-bus changes what it waits
 * for only when it is called, so the owner calls bus_watch_rearm() after calling into sd-bus
 * (hvd and hvd-vm do it before every wait of their loop). Used by hvd for the bus and for
 * each VM process's connection, and by hvd-vm for its connection to hvd. */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

struct event_base;
struct event;

struct bus_watch {
        sd_bus *bus;
        struct event_base *base;
        struct event *io, *timer;
        short io_events;          /* what io waits for now */
        uint64_t timeout;         /* what timer is armed for (absolute µs), UINT64_MAX for none */
        /* Called once when the connection is gone (EOF, error); the owner frees the watch. */
        void (*lost)(struct bus_watch *w, int error, void *userdata);
        void *userdata;
        int dead;                 /* lost was called (the error) */
};

/* Watches bus (a started connection; the watch takes no reference). */
int bus_watch_attach(struct bus_watch *w, struct event_base *base, sd_bus *bus,
                     void (*lost)(struct bus_watch *, int, void *), void *userdata);
void bus_watch_detach(struct bus_watch *w);
void bus_watch_rearm(struct bus_watch *w);
