/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's connections on its loop (bus-watch.h): the bus, and each VM process's. */
#include <errno.h>
#include <string.h>

#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "vm-process.h"

static void on_bus_lost(struct bus_watch *w, int error, void *userdata)
{
        struct hvd *h = userdata;

        log_error("lost the connection to the bus: %s", strerror(-error));
        h->exit_status = 1;
        h->quit = true;
}

int hvd_bus_attach(struct hvd *h)
{
        return bus_watch_attach(&h->bus_watch, h->base, h->bus, on_bus_lost, h);
}

void hvd_bus_detach(struct hvd *h)
{
        bus_watch_detach(&h->bus_watch);
}

void hvd_bus_rearm(struct hvd *h)
{
        bus_watch_rearm(&h->bus_watch);
        for (struct machine *m = h->machines; m; m = m->next)
                if (m->proc)
                        bus_watch_rearm(&m->proc->watch);
}
