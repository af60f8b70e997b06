/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM of a VM process: built and started by Start, its callbacks handed over to the loop,
 * and its serial console: output into a bounded log and to hvd's stream, input from the
 * stream into the UART as fast as the guest takes it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include <hvcore/vm.h>

#include "hvd-vm.h"
#include "log.h"
#include "macros.h"
#include "sandbox.h"
#include "vm-def.h"

/* --- vCPU threads: hand over, then wake the loop --- */

static void post(struct vmp *p, unsigned event)
{
        uint64_t one = 1;

        atomic_fetch_or_explicit(&p->events, event, memory_order_release);
        ssize_t k _unused_ = write(p->efd, &one, sizeof(one)); /* fails only when a wake is pending */
}

static void on_state_changed(struct hv_vm *vm, enum hv_vm_state state, const char *reason, void *userdata)
{
        post(userdata, GUEST_EVENT_STOPPED);
}

static void on_guest_reset(struct hv_vm *vm, void *userdata)
{
        post(userdata, GUEST_EVENT_RESET);
}

static void on_serial_output(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata)
{
        struct vmp *p = userdata;

        /* a full pipe means the loop is behind: dropped, as from a UART */
        ssize_t k _unused_ = write(p->out_fd[1], buf, len);
}

static void on_serial_input_ready(struct hv_vm *vm, void *userdata)
{
        post(userdata, GUEST_EVENT_INPUT_READY);
}

static const struct hv_vm_callbacks callbacks = {
        .state_changed = on_state_changed,
        .serial_output = on_serial_output,
        .serial_input_ready = on_serial_input_ready,
        .guest_reset = on_guest_reset,
};

/* --- the console --- */

static void stream_close(struct vmp *p)
{
        if (p->stream_event)
                event_free(p->stream_event);
        p->stream_event = NULL;
        p->stream_fd = safe_close(p->stream_fd);
        p->input_len = 0;
}

/* Guest output: the log, and hvd's stream if it keeps up (else dropped for it: hvd's log
 * misses what a stalled hvd did not read, the process's own log does not). */
static void drain_output(struct vmp *p)
{
        uint8_t buf[4096];
        ssize_t n;

        for (int i = 0; i < 16 && (n = read(p->out_fd[0], buf, sizeof(buf))) > 0; i++) {
                byte_ring_write(&p->log, buf, (size_t)n);
                if (p->stream_fd >= 0 && send(p->stream_fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
                    errno != EAGAIN && errno != EWOULDBLOCK)
                        stream_close(p);
        }
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
        drain_output(arg);
}

/* Offers held input to the guest; reads the stream again only once all of it was taken. */
static void feed_input(struct vmp *p)
{
        int taken;

        if (!p->input_len)
                return;
        if (!p->vm || hv_vm_get_state(p->vm) != HV_VM_STATE_RUNNING) {
                p->input_len = 0; /* nobody reads it: dropped, like a UART with no guest */
        } else {
                taken = hv_vm_serial_input(p->vm, p->input, p->input_len);
                if (taken < 0)
                        taken = (int)p->input_len;
                memmove(p->input, p->input + taken, p->input_len - (size_t)taken);
                p->input_len -= (size_t)taken;
        }
        if (p->input_len == 0 && p->stream_event)
                event_add(p->stream_event, NULL);
}

static void on_stream(evutil_socket_t fd, short what, void *arg)
{
        struct vmp *p = arg;
        ssize_t n = recv(fd, p->input, sizeof(p->input), MSG_DONTWAIT);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                stream_close(p); /* hvd went away: the next one attaches again */
                return;
        }
        if (n < 0)
                return;
        p->input_len = (size_t)n;
        event_del(p->stream_event); /* until the guest took it (serial_input_ready) */
        feed_input(p);
}

int guest_attach_console(struct vmp *p, int *ret_fd, uint8_t **ret_log, size_t *ret_len)
{
        int sv[2], r;

        drain_output(p); /* what the pipe holds belongs to the log handed out now */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return -errno;
        r = byte_ring_copy(&p->log, ret_log, ret_len);
        if (r < 0)
                goto fail;
        stream_close(p);
        p->stream_fd = sv[0];
        p->stream_event = event_new(p->base, sv[0], EV_READ | EV_PERSIST, on_stream, p);
        if (!p->stream_event || event_add(p->stream_event, NULL) < 0) {
                free(*ret_log);
                stream_close(p);
                safe_close(sv[1]);
                return -ENOMEM;
        }
        *ret_fd = sv[1];
        return 0;
fail:
        safe_close(sv[0]);
        safe_close(sv[1]);
        return r;
}

/* --- the guest's own events --- */

static void handle_stopped(struct vmp *p, unsigned ev)
{
        char reason[256];
        enum hv_vm_state s = hv_vm_get_state(p->vm);

        if (s != HV_VM_STATE_STOPPED && s != HV_VM_STATE_CRASHED)
                return; /* stale: a Reset came after the report */
        hv_vm_get_state_reason(p->vm, reason, sizeof(reason));
        p->reset_requested = s == HV_VM_STATE_STOPPED && (ev & GUEST_EVENT_RESET);
        log_info("guest %s: %s", p->reset_requested ? "asked for a reset" : hv_vm_state_to_string(s), reason);
        control_emit_guest_stopped(p, p->reset_requested ? "reset" : hv_vm_state_to_string(s), reason);
        if (p->terminating && s == HV_VM_STATE_STOPPED)
                vmp_exit(p); /* SIGTERM asked for this */
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
        struct vmp *p = arg;
        unsigned ev;
        uint64_t v;

        if (read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_warning("eventfd: %s, ignoring", strerror(errno));
        drain_output(p); /* what the guest wrote before it stopped comes first */
        ev = atomic_exchange_explicit(&p->events, 0, memory_order_acquire);
        if (ev & GUEST_EVENT_INPUT_READY)
                feed_input(p);
        if ((ev & (GUEST_EVENT_STOPPED | GUEST_EVENT_RESET)) && p->vm)
                handle_stopped(p, ev);
}

void guest_report_crash(struct vmp *p)
{
        if (p->vm && hv_vm_get_state(p->vm) == HV_VM_STATE_CRASHED)
                handle_stopped(p, GUEST_EVENT_STOPPED);
}

const char *guest_state(struct vmp *p, char *reason, size_t len)
{
        if (!p->vm) {
                snprintf(reason, len, "%s", p->started ? "stopped" : "not started yet");
                return p->started ? "stopped" : "created";
        }
        hv_vm_get_state_reason(p->vm, reason, len);
        if (p->reset_requested && hv_vm_get_state(p->vm) == HV_VM_STATE_STOPPED)
                return "reset-requested";
        return hv_vm_state_to_string(hv_vm_get_state(p->vm));
}

int guest_start(struct vmp *p, char *msg, size_t len)
{
        const struct vm_def *d = p->def;
        const struct hv_vm_config cfg = {
                .name = d->name,
                .vcpus = d->vcpus,
                .memory_mib = d->memory_mib,
                .kernel = d->kernel,
                .initrd = d->initrd,
                .cmdline = d->cmdline,
                .kernel_fd = p->kernel_fd,
                .initrd_fd = p->initrd_fd,
        };
        const char *err = NULL;
        int r;

        if (p->started) {
                snprintf(msg, len, "VM '%s' was started in this process already", d->name);
                return -EBUSY;
        }
        p->started = true;
        r = hv_vm_new(&cfg, &callbacks, p, &p->vm, &err);
        if (r < 0) {
                snprintf(msg, len, "cannot build VM '%s': %s", d->name, err ? err : strerror(-r));
                /* no vendor plugin, KVM lacking a capability: this host cannot (NotSupported) */
                return r == -EINVAL || r == -ENOEXEC ? -EINVAL : r == -ENODEV || r == -EOPNOTSUPP ? r : -EIO;
        }
        /* the boot files live on in the VM (hvcore keeps its own fds for resets) */
        p->kernel_fd = safe_close(p->kernel_fd);
        p->initrd_fd = safe_close(p->initrd_fd);
        /* every thread exists now (vCPUs live as long as the VM): the filter covers them all
         * before the guest runs a single instruction */
        if (p->sandbox != VMP_SANDBOX_OFF) {
                r = sandbox_enter(p->sandbox == VMP_SANDBOX_LOG, msg, len);
                if (r < 0) {
                        p->vm = hv_vm_free(p->vm);
                        return -EIO;
                }
        }
        r = hv_vm_start(p->vm);
        if (r < 0) {
                snprintf(msg, len, "cannot start VM '%s': %s", d->name, strerror(-r));
                p->vm = hv_vm_free(p->vm);
                return -EIO;
        }
        return 0;
}

int guest_init(struct vmp *p)
{
        int r;

        p->efd = p->out_fd[0] = p->out_fd[1] = p->stream_fd = -EBADF;
        r = byte_ring_init(&p->log, (size_t)p->def->console_log_kib * 1024);
        if (r < 0)
                return r;
        p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p->efd < 0 || pipe2(p->out_fd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        p->efd_event = event_new(p->base, p->efd, EV_READ | EV_PERSIST, on_wake, p);
        p->out_event = event_new(p->base, p->out_fd[0], EV_READ | EV_PERSIST, on_output, p);
        if (!p->efd_event || !p->out_event || event_add(p->efd_event, NULL) < 0 || event_add(p->out_event, NULL) < 0)
                return -ENOMEM;
        return 0;
}

void guest_done(struct vmp *p)
{
        if (p->vm) {
                (void)hv_vm_stop(p->vm);
                p->vm = hv_vm_free(p->vm); /* joins the vCPU threads: nothing writes below any more */
        }
        stream_close(p);
        if (p->efd_event)
                event_free(p->efd_event);
        if (p->out_event)
                event_free(p->out_event);
        safe_close(p->efd);
        safe_close(p->out_fd[0]);
        safe_close(p->out_fd[1]);
        byte_ring_done(&p->log);
}
