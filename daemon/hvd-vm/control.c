/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's side of a VM process: a peer-to-peer sd-bus server (org.hvd1.VMProcess) on the
 * connection hvd handed over at spawn, and on the socket where a restarted hvd attaches.
 * One connection at a time: a new one replaces the old (only one hvd runs per state
 * directory, and the newest is the one that is alive). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus-error.h"
#include "hvd-vm.h"
#include "log.h"
#include "macros.h"
#include "vm-control.h"
#include "vm-def.h"

#include <hvcore/vm.h>

#define MSG_MAX 256

static int reply_errno(sd_bus_message *m, int r, const char *msg)
{
        return sd_bus_reply_method_errorf(m, hvd_bus_error_name(r), "%s", msg);
}

static int method_describe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vmp *p = userdata;
        char reason[256];
        const char *state = guest_state(p, reason, sizeof(reason));

        return sd_bus_reply_method_return(m, "ssssu", p->def->name, p->def->uuid, state, reason, (uint32_t)getpid());
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vmp *p = userdata;
        char msg[MSG_MAX];
        int r = guest_start(p, msg, sizeof(msg));

        if (r < 0) {
                log_error("%s", msg);
                return reply_errno(m, r, msg);
        }
        log_info("started");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vmp *p = userdata;
        int r;

        /* the socket goes first: hvd may start the VM again as soon as this process is gone */
        control_unlink(p);
        if (p->vm)
                (void)hv_vm_stop(p->vm);
        r = sd_bus_reply_method_return(m, NULL);
        vmp_exit(p);
        return r;
}

/* Pause, Resume, Reset, RequestShutdown: the hvcore call, and a crash it caused reported
 * before the error that says so. */
static int lifecycle(sd_bus_message *m, struct vmp *p, int (*fn)(struct hv_vm *), const char *what)
{
        char msg[MSG_MAX];
        int r;

        if (!p->vm) {
                snprintf(msg, sizeof(msg), "VM '%s' is not running: cannot %s", p->def->name, what);
                return reply_errno(m, -EBUSY, msg);
        }
        r = fn(p->vm);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "cannot %s VM '%s': %s", what, p->def->name, strerror(-r));
                guest_report_crash(p);
                return reply_errno(m, r == -EBUSY || r == -EOPNOTSUPP ? r : -EIO, msg);
        }
        if (fn == hv_vm_reset)
                p->reset_requested = false;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_pause(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return lifecycle(m, userdata, hv_vm_pause, "pause");
}

static int method_resume(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return lifecycle(m, userdata, hv_vm_resume, "resume");
}

static int method_reset(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return lifecycle(m, userdata, hv_vm_reset, "reset");
}

static int method_request_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return lifecycle(m, userdata, hv_vm_request_shutdown, "ask the guest to shut down");
}

static int method_attach_console(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct vmp *p = userdata;
        _cleanup_free_ uint8_t *log = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        r = guest_attach_console(p, &fd, &log, &len);
        if (r < 0)
                return reply_errno(m, r, "cannot attach the console");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "h", fd); /* duplicates it */
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', log, len);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static const sd_bus_vtable control_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Describe", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", name, "s", uuid, "s", state, "s", reason, "u", pid),
                                method_describe, 0),
        SD_BUS_METHOD("Start", NULL, NULL, method_start, 0),
        SD_BUS_METHOD("Stop", NULL, NULL, method_stop, 0),
        SD_BUS_METHOD("Pause", NULL, NULL, method_pause, 0),
        SD_BUS_METHOD("Resume", NULL, NULL, method_resume, 0),
        SD_BUS_METHOD("Reset", NULL, NULL, method_reset, 0),
        SD_BUS_METHOD("RequestShutdown", NULL, NULL, method_request_shutdown, 0),
        SD_BUS_METHOD_WITH_ARGS("AttachConsole", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", stream, "ay", log),
                                method_attach_console, 0),
        SD_BUS_SIGNAL_WITH_ARGS("GuestStopped", SD_BUS_ARGS("s", how, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

static void drop_connection(struct vmp *p)
{
        if (!p->bus)
                return;
        bus_watch_detach(&p->watch);
        p->slot = sd_bus_slot_unref(p->slot);
        p->bus = sd_bus_flush_close_unref(p->bus);
}

static void on_lost(struct bus_watch *w, int error, void *userdata)
{
        struct vmp *p = userdata;

        log_info("hvd detached (%s); the VM runs on", strerror(-error));
        drop_connection(p);
}

/* Serves fd (a connected stream socket) as the connection of hvd, replacing the old one. */
static int serve(struct vmp *p, int fd)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_slot *slot = NULL;
        sd_id128_t id;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        if (r >= 0)
                r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(bus, 1, id);
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, 1);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, &slot, VM_CONTROL_PATH, VM_CONTROL_INTERFACE, control_vtable, p);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_slot_unref(slot);
                return r;
        }
        drop_connection(p);
        p->bus = TAKE_PTR(bus);
        p->slot = slot;
        r = bus_watch_attach(&p->watch, p->base, p->bus, on_lost, p);
        if (r < 0)
                drop_connection(p);
        return r;
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct vmp *p = arg;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int fd, r;

        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        /* the socket is hvd's (mode 0600 in its runtime directory); still, only hvd's user or
         * root may drive this VM */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != geteuid() && cred.uid != 0)) {
                log_warning("refused a control connection from uid %u", (unsigned)cred.uid);
                safe_close(fd);
                return;
        }
        r = serve(p, fd);
        if (r < 0)
                log_warning("cannot serve a control connection: %s", strerror(-r));
        else
                log_info("hvd attached");
}

int control_init(struct vmp *p, int first_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (strlen(p->socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, p->socket_path);
        p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (p->listen_fd < 0)
                return -errno;
        (void)umask(0077);
        if (bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(p->listen_fd, 4) < 0)
                return -errno;
        p->listen_event = event_new(p->base, p->listen_fd, EV_READ | EV_PERSIST, on_accept, p);
        if (!p->listen_event || event_add(p->listen_event, NULL) < 0)
                return -ENOMEM;
        if (first_fd >= 0) {
                r = serve(p, first_fd);
                if (r < 0)
                        return r;
        }
        return 0;
}

void control_emit_guest_stopped(struct vmp *p, const char *how, const char *reason)
{
        if (p->bus)
                (void)sd_bus_emit_signal(p->bus, VM_CONTROL_PATH, VM_CONTROL_INTERFACE, "GuestStopped", "ss", how, reason);
}

void control_unlink(struct vmp *p)
{
        if (p->listen_event)
                event_free(p->listen_event);
        p->listen_event = NULL;
        if (p->listen_fd >= 0) {
                (void)unlink(p->socket_path);
                p->listen_fd = safe_close(p->listen_fd);
        }
}

void control_done(struct vmp *p)
{
        if (p->bus)
                (void)sd_bus_flush(p->bus);
        drop_connection(p);
        control_unlink(p);
}
