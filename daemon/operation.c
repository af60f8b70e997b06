/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bus-error.h"
#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "operation.h"

int operation_new(struct machine *m, enum vm_input call, sd_bus_message *message, struct operation **ret)
{
        struct operation *o;

        if (m->hvd->n_operations >= HVD_OPERATIONS_MAX)
                return -ENOSPC;
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->machine = m;
        o->call = call;
        o->message = sd_bus_message_ref(message);
        o->next = m->operations;
        m->operations = o;
        m->hvd->n_operations++;
        *ret = o;
        return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct operation *o = arg;
        struct hvd *h = o->machine->hvd;

        o->on_timeout(o);
        hvd_bus_rearm(h); /* the answer is queued: have it sent */
}

int operation_set_timeout(struct operation *o, uint64_t usec, operation_timeout_t on_timeout)
{
        struct timeval tv = { .tv_sec = (time_t)(usec / 1000000), .tv_usec = (suseconds_t)(usec % 1000000) };

        o->timer = evtimer_new(o->machine->hvd->base, on_timer, o);
        if (!o->timer || evtimer_add(o->timer, &tv) < 0)
                return -ENOMEM;
        o->on_timeout = on_timeout;
        return 0;
}

void operation_cancel(struct operation *o)
{
        struct machine *m = o->machine;

        for (struct operation **p = &m->operations; *p; p = &(*p)->next)
                if (*p == o) {
                        *p = o->next;
                        break;
                }
        m->hvd->n_operations--;
        if (o->timer)
                event_free(o->timer);
        sd_bus_message_unref(o->message);
        free(o);
}

void operation_complete(struct operation *o, int r, const char *msg)
{
        struct machine *m = o->machine;

        r = r < 0 ? sd_bus_reply_method_errorf(o->message, hvd_bus_error_name(r), "%s", msg)
                  : sd_bus_reply_method_return(o->message, NULL);
        if (r < 0)
                log_warning("VM %s: cannot answer %s: %s, ignoring", m->def->name, vm_input_to_string(o->call), strerror(-r));
        operation_cancel(o);
}

void operation_complete_all(struct machine *m, enum vm_input call, int r, const char *msg)
{
        struct operation **p = &m->operations;

        while (*p)
                if (call == _VM_INPUT_INVALID || (*p)->call == call)
                        operation_complete(*p, r, msg); /* unlinks it: *p is the next one */
                else
                        p = &(*p)->next;
}

unsigned operation_count(const struct machine *m, enum vm_input call)
{
        unsigned n = 0;

        for (const struct operation *o = m->operations; o; o = o->next)
                n += o->call == call;
        return n;
}
