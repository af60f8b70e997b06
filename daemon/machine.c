/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
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
#include "vm-store.h"

static const char *const state_table[_MACHINE_STATE_MAX] = {
        [MACHINE_SHUTOFF] = "shutoff",
        [MACHINE_RUNNING] = "running",
        [MACHINE_PAUSED] = "paused",
        [MACHINE_CRASHED] = "crashed",
};

const char *machine_state_to_string(enum machine_state s)
{
        return s >= 0 && s < _MACHINE_STATE_MAX ? state_table[s] : NULL;
}

enum machine_state machine_state_from_string(const char *s)
{
        for (int i = 0; s && i < _MACHINE_STATE_MAX; i++)
                if (strcmp(state_table[i], s) == 0)
                        return i;
        return _MACHINE_STATE_INVALID;
}

struct shutdown_waiter {
        struct machine *machine;
        sd_bus_message *call;
        struct event *timer;
        bool asked; /* false: the guest could not be asked to stop; we only wait for it */
        struct shutdown_waiter *next;
};

bool machine_is_active(const struct machine *m)
{
        return m->state == MACHINE_RUNNING || m->state == MACHINE_PAUSED;
}

/* --- vCPU threads: copy, then wake the loop. Nothing else. --- */

static void wake(struct machine *m)
{
        uint64_t one = 1;
        ssize_t k _unused_ = write(m->efd, &one, sizeof(one));
}

static void on_state_changed(struct hv_vm *vm, enum hv_vm_state state, const char *reason, void *userdata)
{
        struct machine *m = userdata;

        pthread_mutex_lock(&m->lock);
        m->pending_state_valid = true;
        m->pending_state = state;
        snprintf(m->pending_reason, sizeof(m->pending_reason), "%s", reason ? reason : "");
        pthread_mutex_unlock(&m->lock);
        wake(m);
}

static void on_serial_output(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata)
{
        struct machine *m = userdata;
        bool was_empty;
        size_t n;

        pthread_mutex_lock(&m->lock);
        was_empty = m->pending_len == 0;
        n = MIN(len, MACHINE_PENDING_OUTPUT_MAX - m->pending_len); /* the loop is behind: drop */
        memcpy(m->pending_out + m->pending_len, buf, n);
        m->pending_len += n;
        pthread_mutex_unlock(&m->lock);
        if (was_empty && n > 0)
                wake(m);
}

static void on_serial_input_ready(struct hv_vm *vm, void *userdata)
{
        struct machine *m = userdata;

        pthread_mutex_lock(&m->lock);
        m->pending_input_ready = true;
        pthread_mutex_unlock(&m->lock);
        wake(m);
}

static const struct hv_vm_callbacks callbacks = {
        .state_changed = on_state_changed,
        .serial_output = on_serial_output,
        .serial_input_ready = on_serial_input_ready,
};

/* --- the loop --- */

static void waiter_free(struct shutdown_waiter *w)
{
        struct machine *m = w->machine;

        for (struct shutdown_waiter **p = &m->waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        m->n_waiters--;
        if (w->timer)
                event_free(w->timer);
        sd_bus_message_unref(w->call);
        free(w);
}

/* Replies to every pending Shutdown: success (error NULL) or the error. */
static void waiters_complete(struct machine *m, const char *error_name, const char *message)
{
        while (m->waiters) {
                struct shutdown_waiter *w = m->waiters;
                int r = error_name ? sd_bus_reply_method_errorf(w->call, error_name, "%s", message)
                                   : sd_bus_reply_method_return(w->call, NULL);
                if (r < 0)
                        log_warning("VM %s: cannot reply to Shutdown: %s, ignoring", m->def->name, strerror(-r));
                waiter_free(w);
        }
}

static void set_state(struct machine *m, enum machine_state state, const char *reason)
{
        bool was_active = machine_is_active(m);
        bool changed = m->state != state || strcmp(m->reason, reason) != 0;

        m->state = state;
        snprintf(m->reason, sizeof(m->reason), "%s", reason);
        if (!changed)
                return;
        log_info("VM %s: %s (%s)", m->def->name, machine_state_to_string(state), reason);
        if (m->published)
                machine_emit_state(m);
        if (was_active != machine_is_active(m)) {
                if (machine_is_active(m))
                        m->hvd->n_running++;
                else
                        m->hvd->n_running--;
                hvd_running_changed(m->hvd);
        }
        if (state == MACHINE_SHUTOFF)
                waiters_complete(m, NULL, NULL);
        else if (state == MACHINE_CRASHED)
                waiters_complete(m, HVD_ERROR_FAILED, m->reason);
        if (!machine_is_active(m))
                hvd_check_stopped(m->hvd);
}

/* Moves what vCPU threads left in pending to the console; returns the pending state change
 * (when ret_state is non-NULL: while a job runs the report waits for its end). */
static bool drain(struct machine *m, enum hv_vm_state *ret_state, char *ret_reason)
{
        static uint8_t buf[MACHINE_PENDING_OUTPUT_MAX]; /* the loop's thread only */
        size_t n;
        bool have_state;

        pthread_mutex_lock(&m->lock);
        n = m->pending_len;
        memcpy(buf, m->pending_out, n);
        m->pending_len = 0;
        have_state = ret_state && m->pending_state_valid;
        if (have_state) {
                *ret_state = m->pending_state;
                memcpy(ret_reason, m->pending_reason, MACHINE_REASON_MAX);
                m->pending_state_valid = false;
        }
        pthread_mutex_unlock(&m->lock);
        if (n > 0)
                console_write(&m->console, buf, n);
        return have_state;
}

/* Frees the hv_vm (joining its vCPU threads) and keeps the last output it produced. */
static void release_vm(struct machine *m)
{
        enum hv_vm_state s;
        char reason[MACHINE_REASON_MAX];

        if (!m->vm)
                return;
        m->vm = hv_vm_free(m->vm);
        (void)drain(m, &s, reason); /* no thread is left to report: a late state change is moot */
}

/* libhvcore reports a guest's reset request (KVM_SYSTEM_EVENT_RESET) as a stop whose
 * reason says so. */
static bool reason_is_reboot(const char *reason)
{
        return strstr(reason, "requested a reset") || strstr(reason, "reboot");
}

static void job_finish(struct machine *m);
static int job_join(struct machine *m, char *msg);

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
        struct machine *m = arg;
        enum hv_vm_state s;
        char reason[MACHINE_REASON_MAX];
        uint64_t v;
        char msg[MACHINE_REASON_MAX];

        if (read(m->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_warning("VM %s: eventfd: %s, ignoring", m->def->name, strerror(errno));
        pthread_mutex_lock(&m->lock);
        bool input_ready = m->pending_input_ready;
        m->pending_input_ready = false;
        pthread_mutex_unlock(&m->lock);
        if (input_ready)
                console_kick(&m->console); /* offer the consoles' held input again */
        if (m->job != MACHINE_JOB_NONE) {
                bool done;
                pthread_mutex_lock(&m->lock);
                done = m->job_done;
                pthread_mutex_unlock(&m->lock);
                if (done)
                        job_finish(m); /* before any state change the new guest reported */
        }
        if (m->job != MACHINE_JOB_NONE) {
                (void)drain(m, NULL, NULL); /* the guest's report waits for the job's end */
                return;
        }
        if (!drain(m, &s, reason) || !m->vm)
                return;
        if (hv_vm_get_state(m->vm) != s)
                return; /* stale: a Reset or Stop on the loop came after the guest's report */
        switch (s) {
        case HV_VM_STATE_RUNNING:
                set_state(m, MACHINE_RUNNING, reason[0] ? reason : "running");
                break;
        case HV_VM_STATE_PAUSED:
                set_state(m, MACHINE_PAUSED, reason[0] ? reason : "paused");
                break;
        case HV_VM_STATE_STOPPED:
                if (reason_is_reboot(reason) && m->def->on_reboot == VM_ON_REBOOT_RESTART && !m->hvd->stopping) {
                        if (machine_reset(m, NULL, "rebooted by the guest", msg) >= 0)
                                break;
                        snprintf(reason, sizeof(reason), "reboot failed: %.200s", msg);
                }
                release_vm(m);
                set_state(m, MACHINE_SHUTOFF, reason[0] ? reason : "guest stopped");
                break;
        case HV_VM_STATE_CRASHED:
                set_state(m, MACHINE_CRASHED, reason[0] ? reason : "guest crashed");
                break;
        default:
                break;
        }
}

static int console_input(const uint8_t *buf, size_t len, void *userdata)
{
        struct machine *m = userdata;

        if (m->job == MACHINE_JOB_RESET)
                return 0; /* kept for the guest that comes back */
        if (!m->vm || m->state != MACHINE_RUNNING)
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
        m->efd = -EBADF;
        pthread_mutex_init(&m->lock, NULL);
        r = machine_bus_path(def->name, &m->path);
        if (r < 0)
                goto fail;
        m->pending_out = malloc(MACHINE_PENDING_OUTPUT_MAX);
        if (!m->pending_out) {
                r = -ENOMEM;
                goto fail;
        }
        r = console_init(&m->console, h->base, (size_t)def->console_log_kib * 1024, console_input, m);
        if (r < 0)
                goto fail;
        m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->efd < 0) {
                r = -errno;
                goto fail;
        }
        m->efd_event = event_new(h->base, m->efd, EV_READ | EV_PERSIST, on_wake, m);
        if (!m->efd_event || event_add(m->efd_event, NULL) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        m->state = MACHINE_SHUTOFF;
        snprintf(m->reason, sizeof(m->reason), "defined");
        m->def = def;
        *ret = m;
        return 0;
fail:
        machine_free(m);
        return r;
}

struct machine *machine_free(struct machine *m)
{
        if (!m)
                return NULL;
        if (m->job != MACHINE_JOB_NONE) {
                char msg[MACHINE_REASON_MAX];
                (void)job_join(m, msg);
                m->job_call = sd_bus_message_unref(m->job_call);
        }
        if (m->vm) {
                (void)hv_vm_stop(m->vm);
                release_vm(m);
        }
        waiters_complete(m, HVD_ERROR_FAILED, "hvd is going away");
        m->slot = sd_bus_slot_unref(m->slot);
        if (m->efd_event)
                event_free(m->efd_event);
        safe_close(m->efd);
        console_done(&m->console);
        free(m->pending_out);
        pthread_mutex_destroy(&m->lock);
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
                if (machine_is_active(m)) {
                        h->n_running--;
                        hvd_running_changed(h);
                }
                hvd_defined_changed(h);
        }
        machine_free(m);
}

bool machine_is_busy(const struct machine *m, char *msg)
{
        if (m->job != MACHINE_JOB_NONE)
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s", m->def->name,
                         m->job == MACHINE_JOB_START ? "starting" : "resetting");
        return m->job != MACHINE_JOB_NONE;
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
        char msg[MACHINE_REASON_MAX] = "";
        int r;

        if (m->job == MACHINE_JOB_RESET) {
                vm = m->vm; /* the loop leaves it alone until the job is done */
                r = hv_vm_reset(vm);
                if (r < 0) {
                        snprintf(msg, sizeof(msg), "cannot reset VM '%s': %s", d->name, strerror(-r));
                        r = r == -EBUSY ? r : -EIO;
                }
        } else {
                r = hv_vm_new(&cfg, &callbacks, m, &vm, &err);
                if (r < 0) {
                        snprintf(msg, sizeof(msg), "cannot build VM '%s': %s", d->name, err ? err : strerror(-r));
                        r = r == -EINVAL || r == -ENOEXEC ? -EINVAL : -EIO;
                } else {
                        r = hv_vm_start(vm);
                        if (r < 0) {
                                snprintf(msg, sizeof(msg), "cannot start VM '%s': %s", d->name, strerror(-r));
                                vm = hv_vm_free(vm);
                                r = -EIO;
                        }
                }
        }
        pthread_mutex_lock(&m->lock);
        m->job_done = true;
        m->job_result = r;
        m->job_vm = vm;
        memcpy(m->job_error, msg, sizeof(msg));
        pthread_mutex_unlock(&m->lock);
        wake(m);
        return NULL;
}

static int job_begin(struct machine *m, enum machine_job job, sd_bus_message *call, const char *why, char *msg)
{
        int r;

        if (m->hvd->n_starting >= MACHINE_STARTS_MAX) {
                snprintf(msg, MACHINE_REASON_MAX, "%u VMs are starting already; try again", m->hvd->n_starting);
                return -ENOSPC;
        }
        snprintf(m->job_why, sizeof(m->job_why), "%s", why);
        m->job_done = false;
        m->job = job;
        r = -pthread_create(&m->job_thread, NULL, job_worker, m);
        if (r < 0) {
                m->job = MACHINE_JOB_NONE;
                snprintf(msg, MACHINE_REASON_MAX, "cannot start a thread: %s", strerror(-r));
                return -EIO;
        }
        m->hvd->n_starting++;
        m->job_call = call ? sd_bus_message_ref(call) : NULL;
        return 0;
}

/* Waits for a job's worker (bounded: hv_vm_* return in bounded time) and takes its result. */
static int job_join(struct machine *m, char *msg)
{
        int r;

        (void)pthread_join(m->job_thread, NULL);
        pthread_mutex_lock(&m->lock);
        r = m->job_result;
        if (m->job == MACHINE_JOB_START)
                m->vm = m->job_vm;
        m->job_vm = NULL;
        m->job_done = false;
        memcpy(msg, m->job_error, MACHINE_REASON_MAX);
        pthread_mutex_unlock(&m->lock);
        m->job = MACHINE_JOB_NONE;
        m->hvd->n_starting--;
        return r;
}

/* On the loop: the worker finished; take its result and reply. */
static void job_finish(struct machine *m)
{
        struct hvd *h = m->hvd;
        enum machine_job job = m->job;
        char msg[MACHINE_REASON_MAX];
        int r;

        r = job_join(m, msg);
        if (r >= 0 && h->stopping) {
                (void)hv_vm_stop(m->vm);
                release_vm(m);
                r = -EBUSY;
                snprintf(msg, sizeof(msg), "VM '%s': hvd is stopping", m->def->name);
        }
        if (r >= 0) {
                set_state(m, MACHINE_RUNNING, m->job_why);
                console_kick(&m->console); /* input held for the old guest goes to the new one */
        } else if (job == MACHINE_JOB_START || !m->vm)
                set_state(m, MACHINE_SHUTOFF, msg);
        else if (r != -EBUSY && hv_vm_get_state(m->vm) == HV_VM_STATE_CRASHED)
                set_state(m, MACHINE_CRASHED, msg); /* a failed reset lost the old guest */
        if (m->job_call) {
                r = r < 0 ? sd_bus_reply_method_errorf(m->job_call, hvd_bus_error_name(r), "%s", msg)
                          : sd_bus_reply_method_return(m->job_call, NULL);
                if (r < 0)
                        log_warning("VM %s: cannot reply: %s, ignoring", m->def->name, strerror(-r));
                m->job_call = sd_bus_message_unref(m->job_call);
        }
        hvd_check_stopped(h);
}

int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        struct stat st;
        int r;

        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (machine_is_active(m)) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s", m->def->name, machine_state_to_string(m->state));
                return -EBUSY;
        }
        if (m->hvd->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        if (m->state == MACHINE_CRASHED)
                release_vm(m);
        /* say what is wrong with the files before KVM gets involved */
        if (stat(m->def->kernel, &st) < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "boot.kernel: %s: %s", m->def->kernel, strerror(errno));
                set_state(m, MACHINE_SHUTOFF, msg);
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(msg, MACHINE_REASON_MAX, "boot.kernel: %s: not a regular file", m->def->kernel);
                set_state(m, MACHINE_SHUTOFF, msg);
                return -EINVAL;
        }
        r = job_begin(m, MACHINE_JOB_START, call, why, msg);
        if (r < 0)
                return r;
        set_state(m, MACHINE_SHUTOFF, "starting");
        return 0;
}

int machine_stop(struct machine *m, const char *why, char *msg)
{
        /* Stop is never refused for a Start or Reset in progress (a guest that reboots in a
         * loop is nearly always resetting): finish that job first. Its worker only builds the
         * VM (a few ms, no guest involved), so joining it here is bounded. */
        if (m->job != MACHINE_JOB_NONE)
                job_finish(m);
        if (!m->vm) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is not running", m->def->name);
                return -EBUSY;
        }
        (void)hv_vm_stop(m->vm);
        release_vm(m);
        set_state(m, MACHINE_SHUTOFF, why);
        return 0;
}

int machine_pause(struct machine *m, char *msg)
{
        int r;

        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (m->state != MACHINE_RUNNING) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s, not running", m->def->name, machine_state_to_string(m->state));
                return -EBUSY;
        }
        r = hv_vm_pause(m->vm);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot pause VM '%s': %s", m->def->name, strerror(-r));
                return r == -EBUSY ? r : -EIO;
        }
        set_state(m, MACHINE_PAUSED, "paused by request");
        return 0;
}

int machine_resume(struct machine *m, char *msg)
{
        int r;

        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (m->state != MACHINE_PAUSED) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s, not paused", m->def->name, machine_state_to_string(m->state));
                return -EBUSY;
        }
        r = hv_vm_resume(m->vm);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot resume VM '%s': %s", m->def->name, strerror(-r));
                return r == -EBUSY ? r : -EIO;
        }
        set_state(m, MACHINE_RUNNING, "resumed by request");
        return 0;
}

int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (!m->vm) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is not running", m->def->name);
                return -EBUSY;
        }
        if (m->hvd->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        return job_begin(m, MACHINE_JOB_RESET, call, why, msg);
}

static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct shutdown_waiter *w = arg;
        struct machine *m = w->machine;
        int r;

        if (w->asked)
                r = sd_bus_reply_method_errorf(w->call, HVD_ERROR_TIMEOUT,
                                               "VM '%s' did not shut down in time; it is still %s",
                                               m->def->name, machine_state_to_string(m->state));
        else
                r = sd_bus_reply_method_errorf(w->call, HVD_ERROR_TIMEOUT,
                                               "VM '%s' did not shut down in time; it is still %s, and this guest cannot "
                                               "be asked to shut down (no Ctrl-Alt-Del path yet): use Stop",
                                               m->def->name, machine_state_to_string(m->state));
        if (r < 0)
                log_warning("VM %s: cannot reply to Shutdown: %s, ignoring", m->def->name, strerror(-r));
        waiter_free(w);
        hvd_bus_rearm(m->hvd);
}

int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg)
{
        struct shutdown_waiter *w;
        struct timeval tv = { .tv_sec = (time_t)(timeout_usec / 1000000), .tv_usec = (suseconds_t)(timeout_usec % 1000000) };
        int r;

        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (m->state != MACHINE_RUNNING) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s, not running", m->def->name, machine_state_to_string(m->state));
                return -EBUSY;
        }
        if (m->n_waiters >= MACHINE_SHUTDOWN_WAITERS_MAX) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s': too many Shutdown calls in progress", m->def->name);
                return -ENOSPC;
        }
        /* A guest that cannot be asked (-EOPNOTSUPP: no Ctrl-Alt-Del path yet) may still stop
         * on its own within the timeout; Shutdown waits for that and then says why it failed. */
        r = hv_vm_request_shutdown(m->vm);
        if (r < 0 && r != -EOPNOTSUPP) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s': cannot ask the guest to shut down", m->def->name);
                return -EIO;
        }
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->asked = r >= 0;
        w->machine = m;
        w->call = sd_bus_message_ref(call);
        w->timer = evtimer_new(m->hvd->base, on_shutdown_timeout, w);
        if (!w->timer || evtimer_add(w->timer, &tv) < 0) {
                if (w->timer)
                        event_free(w->timer);
                sd_bus_message_unref(w->call);
                free(w);
                return -ENOMEM;
        }
        w->next = m->waiters;
        m->waiters = w;
        m->n_waiters++;
        return 0;
}

int machine_redefine(struct machine *m, struct vm_def *def, char *msg)
{
        if (machine_is_busy(m, msg))
                return -EBUSY;
        if (m->state != MACHINE_SHUTOFF) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s: shut it off to redefine it", m->def->name, machine_state_to_string(m->state));
                return -EBUSY;
        }
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
