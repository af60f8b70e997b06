/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus-error.h"
#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "macros.h"
#include "operation.h"
#include "vm-store.h"

/* --- vCPU threads and the worker: hand over, then wake the loop. Nothing else. --- */

static void post(struct machine *m, unsigned event)
{
        uint64_t one = 1;

        atomic_fetch_or_explicit(&m->events, event, memory_order_release);
        ssize_t k _unused_ = write(m->efd, &one, sizeof(one)); /* only fails when the counter is full: a wake is pending */
}

static void on_state_changed(struct hv_vm *vm, enum hv_vm_state state, const char *reason, void *userdata)
{
        post(userdata, MACHINE_EVENT_GUEST); /* the loop reads the state and reason from vm */
}

static void on_guest_reset(struct hv_vm *vm, void *userdata)
{
        post(userdata, MACHINE_EVENT_GUEST_RESET);
}

static void on_serial_output(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata)
{
        struct machine *m = userdata;

        /* a full pipe means the loop is behind: the output is dropped, as from a UART */
        ssize_t k _unused_ = write(m->out_fd[1], buf, len);
}

static void on_serial_input_ready(struct hv_vm *vm, void *userdata)
{
        post(userdata, MACHINE_EVENT_INPUT_READY);
}

static const struct hv_vm_callbacks callbacks = {
        .state_changed = on_state_changed,
        .serial_output = on_serial_output,
        .serial_input_ready = on_serial_input_ready,
        .guest_reset = on_guest_reset,
};

/* --- the loop --- */

static bool job_running(const struct machine *m)
{
        return m->state == VM_STATE_STARTING || m->state == VM_STATE_RESETTING;
}

/* Moves m to state, which the transition table gave for the input at hand. */
static void set_state(struct machine *m, enum vm_state state, const char *reason)
{
        bool was_active = vm_state_is_active(m->state);
        bool changed = m->state != state || strcmp(m->reason, reason) != 0;

        m->state = state;
        snprintf(m->reason, sizeof(m->reason), "%s", reason);
        /* Shutdown waits for the guest to stop, whatever stopped it */
        if (state == VM_STATE_SHUTOFF)
                operation_complete_all(m, VM_CALL_SHUTDOWN, 0, NULL);
        else if (state == VM_STATE_CRASHED)
                operation_complete_all(m, VM_CALL_SHUTDOWN, -EIO, m->reason);
        if (!changed)
                return;
        log_info("VM %s: %s (%s)", m->def->name, vm_state_to_string(state), reason);
        if (m->published)
                machine_emit_state(m);
        if (was_active != vm_state_is_active(state)) {
                if (vm_state_is_active(state))
                        m->hvd->n_running++;
                else
                        m->hvd->n_running--;
                hvd_running_changed(m->hvd);
        }
        if (!vm_state_is_active(state))
                hvd_check_stopped(m->hvd);
}

int machine_check(struct machine *m, enum vm_input call, char *msg)
{
        int r = vm_state_next(m->state, call);

        if (r < 0)
                vm_state_refusal(m->state, call, m->def->name, msg, MACHINE_REASON_MAX);
        return r;
}

/* Moves what vCPU threads wrote to the console: at most a pipe's worth (64 KiB) at a time,
 * so a guest that writes without a pause cannot hold the loop; the rest wakes it again. */
static void drain_output(struct machine *m)
{
        uint8_t buf[4096];
        ssize_t n;

        for (int i = 0; i < 16 && (n = read(m->out_fd[0], buf, sizeof(buf))) > 0; i++)
                console_write(&m->console, buf, (size_t)n);
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
        drain_output(arg);
}

/* Frees the hv_vm (joining its vCPU threads) and keeps the last output it produced. */
static void free_vm(struct machine *m)
{
        if (!m->vm)
                return;
        m->vm = hv_vm_free(m->vm);
        drain_output(m);
}

/* The same, and forgets what the VM reported: moot once it is gone. */
static void release_vm(struct machine *m)
{
        const unsigned guest = MACHINE_EVENT_GUEST | MACHINE_EVENT_GUEST_RESET | MACHINE_EVENT_INPUT_READY;

        free_vm(m);
        atomic_fetch_and(&m->events, ~guest);
        m->held &= ~guest;
}

static void *job_worker(void *arg)
{
        struct machine *m = arg;
        const struct vm_def *d = m->def; /* not changed while a job runs */
        const struct hv_vm_config cfg = {
                .name = d->name,
                .vcpus = d->vcpus,
                .memory_mib = d->memory_mib,
                .kernel = d->kernel,
                .initrd = d->initrd,
                .cmdline = d->cmdline,
        };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        int r;

        m->job_error[0] = 0;
        if (m->job_reset) {
                r = hv_vm_reset(m->vm); /* the loop leaves it alone until the job is done */
                if (r < 0) {
                        snprintf(m->job_error, sizeof(m->job_error), "cannot reset VM '%s': %s", d->name, strerror(-r));
                        r = r == -EBUSY ? r : -EIO;
                }
        } else {
                r = hv_vm_new(&cfg, &callbacks, m, &vm, &err);
                if (r < 0) {
                        snprintf(m->job_error, sizeof(m->job_error), "cannot build VM '%s': %s", d->name, err ? err : strerror(-r));
                        /* no vendor plugin, KVM lacking a capability: this host cannot (NotSupported) */
                        r = r == -EINVAL || r == -ENOEXEC ? -EINVAL : r == -ENODEV || r == -EOPNOTSUPP ? r : -EIO;
                } else {
                        r = hv_vm_start(vm);
                        if (r < 0) {
                                snprintf(m->job_error, sizeof(m->job_error), "cannot start VM '%s': %s", d->name, strerror(-r));
                                vm = hv_vm_free(vm);
                                r = -EIO;
                        }
                }
        }
        m->job_result = r;
        m->job_vm = vm;
        post(m, MACHINE_EVENT_JOB_DONE); /* release: the loop sees job_* written */
        return NULL;
}

/* Starts the worker for Start or Reset and moves m to next (starting or resetting). */
static int job_begin(struct machine *m, enum vm_state next, const char *why, char *msg)
{
        int r;

        if (m->hvd->n_starting >= MACHINE_STARTS_MAX) {
                snprintf(msg, MACHINE_REASON_MAX, "%u VMs are starting already; try again", m->hvd->n_starting);
                return -ENOSPC;
        }
        snprintf(m->job_why, sizeof(m->job_why), "%s", why);
        m->job_reset = next == VM_STATE_RESETTING;
        /* a report the last worker left behind was taken when it was joined */
        atomic_fetch_and(&m->events, ~(unsigned)MACHINE_EVENT_JOB_DONE);
        m->held &= ~(unsigned)MACHINE_EVENT_JOB_DONE;
        r = -pthread_create(&m->job_thread, NULL, job_worker, m);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot start a thread: %s", strerror(-r));
                return -EIO;
        }
        m->hvd->n_starting++;
        set_state(m, next, why);
        return 0;
}

/* Waits for the worker (bounded: hv_vm_* return in bounded time) and takes its result. */
static int job_join(struct machine *m, char *msg)
{
        (void)pthread_join(m->job_thread, NULL);
        m->hvd->n_starting--;
        if (!m->job_reset) {
                free_vm(m); /* what a crash left (it reported the crash: nothing of it is pending) */
                m->vm = m->job_vm; /* what the new guest reported so far stays pending */
        }
        m->job_vm = NULL;
        memcpy(msg, m->job_error, MACHINE_REASON_MAX);
        return m->job_result;
}

/* On the loop: the worker finished (or Stop or hvd's end waits for it); take its result,
 * move the state and answer the call that asked. */
static void job_finish(struct machine *m)
{
        struct hvd *h = m->hvd;
        enum vm_input call = m->job_reset ? VM_CALL_RESET : VM_CALL_START;
        enum vm_input event;
        char msg[MACHINE_REASON_MAX];
        int r;

        r = job_join(m, msg);
        if (r >= 0 && h->stopping) {
                (void)hv_vm_stop(m->vm);
                release_vm(m);
                r = -EBUSY;
                snprintf(msg, sizeof(msg), "VM '%s': hvd is stopping", m->def->name);
                event = VM_CALL_STOP;
        } else if (r >= 0)
                event = VM_EVENT_BUILT;
        else
                event = m->job_reset ? VM_EVENT_RESET_FAILED : VM_EVENT_START_FAILED; /* a failed reset lost the old guest */
        set_state(m, vm_state_next(m->state, event), r >= 0 ? m->job_why : msg);
        if (r >= 0)
                console_kick(&m->console); /* input held for the old guest goes to the new one */
        operation_complete_all(m, call, r, msg);
        hvd_check_stopped(h);
}

/* The guest stopped, crashed or asked for a reset (reported while no job ran, or held until
 * the job ended): hvcore's state says which, and whether the report is stale. */
static void handle_guest(struct machine *m)
{
        unsigned ev = m->held & (MACHINE_EVENT_GUEST | MACHINE_EVENT_GUEST_RESET);
        char reason[MACHINE_REASON_MAX], msg[MACHINE_REASON_MAX];
        enum vm_input input;
        enum hv_vm_state s;
        int next, r;

        m->held &= ~ev;
        if (!ev || !m->vm)
                return;
        s = hv_vm_get_state(m->vm);
        if (s == HV_VM_STATE_CRASHED)
                input = VM_EVENT_GUEST_CRASHED;
        else if (s != HV_VM_STATE_STOPPED)
                return; /* stale: a Reset on the loop came after the guest's report */
        else if ((ev & MACHINE_EVENT_GUEST_RESET) && m->def->on_reboot == VM_ON_REBOOT_RESTART && !m->hvd->stopping)
                input = VM_EVENT_GUEST_RESET;
        else
                input = VM_EVENT_GUEST_STOPPED;
        next = vm_state_next(m->state, input);
        if (next < 0)
                return; /* crashed already, or shut off: nothing to report */
        hv_vm_get_state_reason(m->vm, reason, sizeof(reason));
        if (input == VM_EVENT_GUEST_RESET) {
                r = job_begin(m, next, "rebooted by the guest", msg);
                if (r >= 0)
                        return;
                snprintf(reason, sizeof(reason), "reboot failed: %.200s", msg);
                input = VM_EVENT_GUEST_STOPPED;
                next = vm_state_next(m->state, input);
        }
        if (input == VM_EVENT_GUEST_STOPPED)
                release_vm(m);
        set_state(m, next, reason[0] ? reason : vm_input_to_string(input));
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
        struct machine *m = arg;
        uint64_t v;

        if (read(m->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
                int r = -errno;
                log_warning("VM %s: eventfd: %s, ignoring", m->def->name, strerror(-r));
        }
        drain_output(m); /* what the guest wrote before it stopped comes first */
        m->held |= atomic_exchange_explicit(&m->events, 0, memory_order_acquire);
        if (m->held & MACHINE_EVENT_INPUT_READY) {
                m->held &= ~(unsigned)MACHINE_EVENT_INPUT_READY;
                console_kick(&m->console); /* offer the consoles' held input again */
        }
        if (m->held & MACHINE_EVENT_JOB_DONE) {
                m->held &= ~(unsigned)MACHINE_EVENT_JOB_DONE;
                if (job_running(m))
                        job_finish(m); /* before any report of the new guest */
        }
        if (!job_running(m)) /* else the guest's report waits for the job's end */
                handle_guest(m);
}

static int console_input(const uint8_t *buf, size_t len, void *userdata)
{
        struct machine *m = userdata;

        if (m->state == VM_STATE_RESETTING)
                return 0; /* kept for the guest that comes back */
        if (!m->vm || (m->state != VM_STATE_RUNNING && m->state != VM_STATE_SHUTTING_DOWN))
                return -ENXIO; /* nobody to read it: dropped, like a UART with no guest */
        return hv_vm_serial_input(m->vm, buf, len);
}

static int machine_new(struct hvd *h, struct vm_def *def, struct machine **ret)
{
        struct machine *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->hvd = h;
        m->def = def;
        m->efd = m->out_fd[0] = m->out_fd[1] = -EBADF;
        r = machine_bus_path(def->name, &m->path);
        if (r < 0)
                goto fail;
        r = console_init(&m->console, h->base, (size_t)def->console_log_kib * 1024, console_input, m);
        if (r < 0)
                goto fail;
        m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->efd < 0 || pipe2(m->out_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
                r = negative_errno();
                goto fail;
        }
        m->efd_event = event_new(h->base, m->efd, EV_READ | EV_PERSIST, on_wake, m);
        m->out_event = event_new(h->base, m->out_fd[0], EV_READ | EV_PERSIST, on_output, m);
        if (!m->efd_event || !m->out_event || event_add(m->efd_event, NULL) < 0 || event_add(m->out_event, NULL) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        m->state = VM_STATE_SHUTOFF;
        snprintf(m->reason, sizeof(m->reason), "defined");
        *ret = m;
        return 0;
fail:
        m->def = NULL; /* the caller keeps it */
        machine_free(m);
        return r;
}

struct machine *machine_free(struct machine *m)
{
        char msg[MACHINE_REASON_MAX];

        if (!m)
                return NULL;
        if (job_running(m))
                (void)job_join(m, msg);
        if (m->vm) {
                (void)hv_vm_stop(m->vm);
                release_vm(m); /* no thread is left to write to the pipe or efd */
        }
        operation_complete_all(m, _VM_INPUT_INVALID, -EIO, "hvd is going away");
        m->slot = sd_bus_slot_unref(m->slot);
        if (m->efd_event)
                event_free(m->efd_event);
        if (m->out_event)
                event_free(m->out_event);
        safe_close(m->efd);
        safe_close(m->out_fd[0]);
        safe_close(m->out_fd[1]);
        console_done(&m->console);
        free(m->path);
        vm_def_free(m->def);
        free(m);
        return NULL;
}

/* Puts it on the bus and in hvd's list: the point of no return. */
static int machine_publish(struct machine *m)
{
        struct hvd *h = m->hvd;
        struct machine **tail = &h->machines, *last = NULL;
        int r;

        r = sd_bus_add_object_vtable(h->bus, &m->slot, m->path, "org.hvd1.VM", machine_vtable, m);
        if (r < 0)
                return r;
        for (; *tail; tail = &(*tail)->next)
                last = *tail;
        *tail = m;
        m->prev = last;
        m->published = true;
        h->n_defined++;
        (void)sd_bus_emit_object_added(h->bus, m->path);
        (void)sd_bus_emit_signal(h->bus, HVD_MANAGER_PATH, "org.hvd1.Manager", "VMAdded", "so", m->def->name, m->path);
        hvd_defined_changed(h);
        return 0;
}

int machine_add(struct hvd *h, struct vm_def *def, const char *json, char *msg, struct machine **ret)
{
        struct machine *m = NULL, *other = hvd_find_machine_by_uuid(h, def->uuid);
        int r;

        if (other) {
                snprintf(msg, MACHINE_REASON_MAX, "uuid: %s is VM '%s''s already", def->uuid, other->def->name);
                return -EEXIST;
        }
        if (hvd_find_machine(h, def->name)) {
                snprintf(msg, MACHINE_REASON_MAX, "a VM named '%s' exists already", def->name);
                return -EEXIST;
        }
        if (h->n_defined >= h->conf.max_vms) {
                snprintf(msg, MACHINE_REASON_MAX, "%u VMs are defined, the limit (MaxVMs in hvd.conf)", h->n_defined);
                return -ENOSPC;
        }
        r = machine_new(h, def, &m);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "%s", strerror(-r));
                return r;
        }
        if (json) {
                r = vm_store_write(h->state_fd, def->name, json);
                if (r < 0) {
                        snprintf(msg, MACHINE_REASON_MAX, "cannot write %s/%s.json: %s", h->state_dir, def->name, strerror(-r));
                        r = -EIO;
                        goto fail;
                }
        }
        r = machine_publish(m);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot put it on the bus: %s", strerror(-r));
                if (json)
                        (void)vm_store_remove(h->state_fd, def->name);
                goto fail;
        }
        if (ret)
                *ret = m;
        return 0;
fail:
        m->def = NULL; /* the caller keeps it */
        machine_free(m);
        return r;
}

void machine_unpublish_and_free(struct machine *m)
{
        struct hvd *h = m->hvd;

        if (m->published) {
                (void)sd_bus_emit_object_removed(h->bus, m->path);
                (void)sd_bus_emit_signal(h->bus, HVD_MANAGER_PATH, "org.hvd1.Manager", "VMRemoved", "so", m->def->name, m->path);
                if (m->prev)
                        m->prev->next = m->next;
                else
                        h->machines = m->next;
                if (m->next)
                        m->next->prev = m->prev;
                h->n_defined--;
                if (vm_state_is_active(m->state)) {
                        h->n_running--;
                        hvd_running_changed(h);
                }
                hvd_defined_changed(h);
        }
        machine_free(m);
}

/* A new operation for call, or none for a NULL call (nobody waits). */
static int operation_for(struct machine *m, enum vm_input call_kind, sd_bus_message *call, char *msg, struct operation **ret)
{
        int r;

        *ret = NULL;
        if (!call)
                return 0;
        r = operation_new(m, call_kind, call, ret);
        if (r == -ENOSPC)
                snprintf(msg, MACHINE_REASON_MAX, "%d calls are waiting for VMs already, the limit", HVD_OPERATIONS_MAX);
        else if (r < 0)
                snprintf(msg, MACHINE_REASON_MAX, "%s", strerror(-r));
        return r;
}

/* Start and Reset: the operation (if a call waits) and the worker. */
static int job_call(struct machine *m, enum vm_input call_kind, int next, sd_bus_message *call, const char *why, char *msg)
{
        struct operation *o;
        int r;

        r = operation_for(m, call_kind, call, msg, &o);
        if (r < 0)
                return r;
        r = job_begin(m, next, why, msg);
        if (r < 0 && o)
                operation_cancel(o);
        return r;
}

int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        struct stat st;
        int next;

        next = machine_check(m, VM_CALL_START, msg);
        if (next < 0)
                return next;
        if (m->hvd->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        /* say what is wrong with the files before KVM gets involved */
        if (stat(m->def->kernel, &st) < 0)
                snprintf(msg, MACHINE_REASON_MAX, "boot.kernel: %s: %s", m->def->kernel, strerror(errno));
        else if (!S_ISREG(st.st_mode))
                snprintf(msg, MACHINE_REASON_MAX, "boot.kernel: %s: not a regular file", m->def->kernel);
        else
                return job_call(m, VM_CALL_START, next, call, why, msg);
        if (m->state == VM_STATE_SHUTOFF)
                set_state(m, m->state, msg); /* the reason it does not start */
        return -EINVAL;
}

int machine_stop(struct machine *m, const char *why, char *msg)
{
        int next = machine_check(m, VM_CALL_STOP, msg);

        if (next < 0)
                return next;
        /* Stop is never refused for a Start or Reset in progress (a guest that reboots in a
         * loop is nearly always resetting): finish that job first. Its worker only builds the
         * VM (a few ms, no guest involved), so joining it here is bounded. */
        if (job_running(m)) {
                job_finish(m);
                if (m->state == VM_STATE_SHUTOFF)
                        return 0; /* it did not start */
                next = vm_state_next(m->state, VM_CALL_STOP);
        }
        if (m->vm) {
                (void)hv_vm_stop(m->vm);
                release_vm(m);
        }
        set_state(m, next, why);
        return 0;
}

/* Pause and Resume: the hvcore call, then the state the table gives. */
static int pause_or_resume(struct machine *m, enum vm_input call, int (*fn)(struct hv_vm *), const char *why, char *msg)
{
        int next, r;

        next = machine_check(m, call, msg);
        if (next < 0)
                return next;
        r = fn(m->vm);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot %s VM '%s': %s", vm_input_to_string(call), m->def->name, strerror(-r));
                /* a vCPU that did not park in time crashed the VM, and hvcore calls back only
                 * for what the guest did: take it as the guest's crash (a stop or a reset
                 * request that raced with the call comes as its own event) */
                if (hv_vm_get_state(m->vm) == HV_VM_STATE_CRASHED) {
                        m->held |= MACHINE_EVENT_GUEST;
                        handle_guest(m);
                }
                return r == -EBUSY ? r : -EIO;
        }
        set_state(m, next, why);
        return 0;
}

int machine_pause(struct machine *m, char *msg)
{
        return pause_or_resume(m, VM_CALL_PAUSE, hv_vm_pause, "paused by request", msg);
}

int machine_resume(struct machine *m, char *msg)
{
        return pause_or_resume(m, VM_CALL_RESUME, hv_vm_resume, "resumed by request", msg);
}

int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        int next = machine_check(m, VM_CALL_RESET, msg);

        if (next < 0)
                return next;
        if (m->hvd->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        return job_call(m, VM_CALL_RESET, next, call, why, msg);
}

static void on_shutdown_timeout(struct operation *o)
{
        struct machine *m = o->machine;
        char msg[MACHINE_REASON_MAX];
        int next = vm_state_next(m->state, VM_EVENT_SHUTDOWN_TIMEOUT);

        /* the last Shutdown to give up takes the VM back to running */
        if (next >= 0 && operation_count(m, VM_CALL_SHUTDOWN) == 1)
                set_state(m, next, "the guest did not shut down in time");
        snprintf(msg, sizeof(msg), "VM '%s' did not shut down in time; it is still %s%s", m->def->name,
                 vm_state_to_string(m->state),
                 m->shutdown_asked ? "" : ", and this guest cannot be asked to shut down (no Ctrl-Alt-Del path yet): use Stop");
        operation_complete(o, -ETIMEDOUT, msg);
}

int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg)
{
        struct operation *o;
        int next, r;

        next = machine_check(m, VM_CALL_SHUTDOWN, msg);
        if (next < 0)
                return next;
        r = operation_for(m, VM_CALL_SHUTDOWN, call, msg, &o);
        if (r < 0)
                return r;
        if (o) {
                r = operation_set_timeout(o, timeout_usec, on_shutdown_timeout);
                if (r < 0) {
                        operation_cancel(o);
                        snprintf(msg, MACHINE_REASON_MAX, "%s", strerror(-r));
                        return r;
                }
        }
        /* A guest that cannot be asked (-EOPNOTSUPP: no Ctrl-Alt-Del path yet) may still stop
         * on its own within the timeout; Shutdown waits for that and then says why it failed. */
        r = hv_vm_request_shutdown(m->vm);
        if (r < 0 && (r != -EOPNOTSUPP || !o)) {
                if (o)
                        operation_cancel(o);
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s': cannot ask the guest to shut down: %s", m->def->name, strerror(-r));
                return r == -EOPNOTSUPP ? r : -EIO;
        }
        m->shutdown_asked = r >= 0;
        set_state(m, next, call ? "shutdown requested" : "shutdown requested: hvd is stopping");
        return 0;
}

int machine_redefine(struct machine *m, struct vm_def *def, char *msg)
{
        int r = machine_check(m, VM_CALL_REDEFINE, msg);

        if (r < 0)
                return r;
        if (def->console_log_kib != m->def->console_log_kib &&
            console_resize(&m->console, (size_t)def->console_log_kib * 1024) < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "out of memory");
                return -ENOMEM;
        }
        vm_def_free(m->def);
        m->def = def;
        if (m->published)
                (void)sd_bus_emit_properties_changed(m->hvd->bus, m->path, "org.hvd1.VM",
                                                     "UUID", "VCPUs", "MemoryMiB", "Autostart", "Definition", NULL);
        return 0;
}
