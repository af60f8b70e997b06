/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-error.h"
#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "machined.h"
#include "macros.h"
#include "operation.h"
#include "vm-control.h"
#include "vm-process.h"
#include "vm-store.h"

/* Moves m to state, which the transition table gave for the input at hand. */
static void set_state(struct machine *m, enum vm_state state, const char *reason)
{
        bool was_active = vm_state_is_active(m->state);
        bool changed = m->state != state || strcmp(m->reason, reason) != 0;
        char copy[MACHINE_REASON_MAX];

        snprintf(copy, sizeof(copy), "%s", reason); /* reason may be m->reason itself */
        m->state = state;
        memcpy(m->reason, copy, sizeof(m->reason));
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
}

int machine_check(struct machine *m, enum vm_input call, char *msg)
{
        int r = vm_state_next(m->state, call);

        if (r < 0)
                vm_state_refusal(m->state, call, m->def->name, msg, MACHINE_REASON_MAX);
        return r;
}

/* --- the end of a VM process --- */

/* What the process's coming exit means. Stop's meaning wins over any other (a crashed VM
 * that is stopped is shut off); otherwise the first reason stays. */
static void expect_exit(struct machine *m, enum vm_input input, int error, const char *reason)
{
        if (m->exit_expected && input != VM_CALL_STOP)
                return;
        m->exit_expected = true;
        m->exit_input = input;
        m->exit_error = error;
        snprintf(m->exit_reason, sizeof(m->exit_reason), "%s", reason);
}

/* Ends the process, which then means input (the state follows when it is gone). */
static void end_process(struct machine *m, enum vm_input input, int error, const char *reason)
{
        expect_exit(m, input, error, reason);
        vm_process_stop(m->proc);
}

void machine_process_exited(struct machine *m, const char *how)
{
        char reason[MACHINE_REASON_MAX], msg[MACHINE_REASON_MAX];
        enum vm_input input;
        int next, error;

        m->proc = vm_process_free(m->proc);
        m->hvd->n_processes--;
        m->call_in_flight = false;
        if (m->exit_expected) {
                input = m->exit_input;
                error = m->exit_error;
                snprintf(reason, sizeof(reason), "%s", m->exit_reason);
        } else {
                /* nobody asked: the VM process crashed or was killed */
                input = m->state == VM_STATE_STARTING ? VM_EVENT_START_FAILED
                      : m->state == VM_STATE_RESETTING ? VM_EVENT_RESET_FAILED
                      : VM_EVENT_GUEST_CRASHED;
                error = -EIO;
                snprintf(reason, sizeof(reason), "%s", how);
                log_warning("VM %s: %s", m->def->name, how);
        }
        m->exit_expected = false;
        next = vm_state_next(m->state, input);
        if (next >= 0)
                set_state(m, next, reason);
        else if (m->state != VM_STATE_SHUTOFF && m->state != VM_STATE_CRASHED)
                set_state(m, VM_STATE_CRASHED, reason); /* never active without a process */
        /* every call that waited for this process is answered now */
        operation_complete_all(m, VM_CALL_STOP, 0, NULL);
        if (input == VM_EVENT_START_FAILED || input == VM_EVENT_RESET_FAILED)
                snprintf(msg, sizeof(msg), "%s", reason);
        else
                snprintf(msg, sizeof(msg), "VM '%s' is %s: %.180s", m->def->name, vm_state_to_string(m->state), reason);
        operation_complete_all(m, _VM_INPUT_INVALID, error < 0 ? error : -EIO, msg);
}

void machine_process_unresponsive(struct machine *m, const char *why)
{
        int next = vm_state_next(m->state, VM_EVENT_GUEST_CRASHED);

        log_error("VM %s: %s", m->def->name, why);
        if (next >= 0)
                set_state(m, next, why);
}

/* The reply of a call to the VM process: 0 on success, else -errno with msg. A call that
 * ended with the connection (the process is gone) is answered when the pidfd says how it
 * went: -ESHUTDOWN. */
static int reply_result(struct machine *m, sd_bus_message *reply, const char *method, char *msg)
{
        const sd_bus_error *e;
        int r;

        if (!sd_bus_message_is_method_error(reply, NULL))
                return 0;
        if (!sd_bus_is_open(sd_bus_message_get_bus(reply)))
                return -ESHUTDOWN;
        e = sd_bus_message_get_error(reply);
        r = -sd_bus_message_get_errno(reply);
        if (r == 0)
                r = -EIO;
        if (sd_bus_error_has_name(e, SD_BUS_ERROR_TIMEOUT) || sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY)) {
                snprintf(msg, MACHINE_REASON_MAX, "VM process %d did not answer %s within %llu s", (int)m->proc->pid,
                         method, (unsigned long long)(VM_CONTROL_TIMEOUT_USEC / 1000000));
                machine_process_unresponsive(m, msg);
                return -ETIMEDOUT;
        }
        snprintf(msg, MACHINE_REASON_MAX, "%s", e->message ? e->message : strerror(-r));
        return r;
}

/* --- what the guest did --- */

static int on_built(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* Resets in place: the process boots the guest again. State resetting until it answers. */
static int reset_in_place(struct machine *m, const char *why, char *msg)
{
        int r = vm_process_call(m->proc, "Reset", on_built, m);

        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot reach the VM process: %s", strerror(-r));
                return -EIO;
        }
        m->call_in_flight = true;
        set_state(m, VM_STATE_RESETTING, why);
        return 0;
}

void machine_process_guest_stopped(struct machine *m, const char *how, const char *reason)
{
        char msg[MACHINE_REASON_MAX];
        int next;

        if (m->exit_expected || !m->proc)
                return; /* ending anyway */
        if (streq(how, "crashed")) {
                next = vm_state_next(m->state, VM_EVENT_GUEST_CRASHED);
                if (next < 0)
                        return;
                set_state(m, next, reason);
                /* nothing more runs there: the process and its guest RAM go */
                end_process(m, VM_EVENT_GUEST_CRASHED, -EIO, reason);
                return;
        }
        if (streq(how, "reset") && m->def->on_reboot == VM_ON_REBOOT_RESTART &&
            vm_state_next(m->state, VM_EVENT_GUEST_RESET) >= 0) {
                if (reset_in_place(m, "rebooted by the guest", msg) >= 0)
                        return;
                log_warning("VM %s: reboot failed: %s", m->def->name, msg);
        }
        if (vm_state_next(m->state, VM_EVENT_GUEST_STOPPED) < 0)
                return;
        end_process(m, VM_EVENT_GUEST_STOPPED, 0, reason[0] ? reason : "guest stopped");
}

/* Start's and Reset's answer: the guest runs. */
static int on_built(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct machine *m = userdata;
        enum vm_input call = m->state == VM_STATE_RESETTING ? VM_CALL_RESET : VM_CALL_START;
        char msg[MACHINE_REASON_MAX];
        int r, next;

        m->call_in_flight = false;
        r = reply_result(m, reply, call == VM_CALL_RESET ? "Reset" : "Start", msg);
        if (r == -ESHUTDOWN || r == -ETIMEDOUT || m->exit_expected)
                return 0; /* answered when the process is gone */
        if (r < 0) {
                log_error("VM %s: %s", m->def->name, msg);
                end_process(m, call == VM_CALL_RESET ? VM_EVENT_RESET_FAILED : VM_EVENT_START_FAILED, r, msg);
                return 0;
        }
        next = vm_state_next(m->state, VM_EVENT_BUILT);
        if (next < 0)
                return 0;
        set_state(m, next, call == VM_CALL_RESET && streq(m->reason, "rebooted by the guest") ? m->reason
                           : call == VM_CALL_RESET ? "reset by request" : m->reason);
        console_kick(&m->console); /* input held for the old guest goes to the new one */
        operation_complete_all(m, call, 0, NULL);
        return 0;
}

/* --- the console --- */

static int console_input(const uint8_t *buf, size_t len, void *userdata)
{
        struct machine *m = userdata;
        int r;

        if (m->state == VM_STATE_RESETTING || m->state == VM_STATE_STARTING)
                return 0; /* kept for the guest that comes */
        if (!m->proc || (m->state != VM_STATE_RUNNING && m->state != VM_STATE_SHUTTING_DOWN))
                return -ENXIO; /* nobody to read it: dropped, like a UART with no guest */
        r = vm_process_console_input(m->proc, buf, len);
        return r == -ENOTCONN ? 0 : r; /* not attached yet: held, offered again once it is */
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
        r = machine_bus_path(def->name, &m->path);
        if (r < 0)
                goto fail;
        r = console_init(&m->console, h->base, (size_t)def->console_log_kib * 1024, console_input, m);
        if (r < 0)
                goto fail;
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
        if (!m)
                return NULL;
        /* hvd exits: the VM runs on in its process, and the next hvd adopts it */
        if (m->proc) {
                m->proc = vm_process_free(m->proc);
                m->hvd->n_processes--;
        }
        operation_complete_all(m, _VM_INPUT_INVALID, -EIO, "hvd is going away");
        m->slot = sd_bus_slot_unref(m->slot);
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

/* The process, if it is there and not on its way out; else -EBUSY naming why not. */
static int need_process(struct machine *m, enum vm_input call, char *msg)
{
        if (m->proc && !m->exit_expected && !m->call_in_flight)
                return 0;
        snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is %s: cannot %s; try again", m->def->name,
                 !m->proc || m->exit_expected ? "stopping" : "busy with another call", vm_input_to_string(call));
        return -EBUSY;
}

/* A boot file, opened here (hvd's permissions and paths) for the VM process. */
static int open_boot_file(const char *field, const char *path, int *ret, char *msg)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "%s: %s: %s", field, path, strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(msg, MACHINE_REASON_MAX, "%s: %s: not a regular file", field, path);
                safe_close(fd);
                return -EINVAL;
        }
        *ret = fd;
        return 0;
}

/* Where systemd runs: the VM process gets a scope of its own (machine-NAME.scope), listed by
 * machinectl. Blocks for at most MACHINED_TIMEOUT_USEC (machined answers in milliseconds);
 * a VM that cannot be registered runs all the same. */
static void register_with_machined(struct machine *m)
{
        /* the scope's stop timeout: above hvd-vm's own bound for a guest to shut down */
        uint64_t stop_usec = m->hvd->conf.shutdown_timeout_usec + 15 * UINT64_C(1000000);
        char msg[MACHINE_REASON_MAX];
        int r;

        r = machined_register(m->hvd->bus, m->def->name, m->def->uuid, m->proc->pid, NULL, stop_usec, msg, sizeof(msg));
        if (r == -ENOENT)
                log_debug("VM %s: not registered with systemd-machined: %s", m->def->name, msg);
        else if (r < 0)
                log_warning("VM %s: not registered with systemd-machined: %s", m->def->name, msg);
}

/* Start (and Reset of a VM whose process is gone): a new VM process, then Start there. */
static int spawn(struct machine *m, enum vm_input call_kind, int next, sd_bus_message *call, const char *why, char *msg)
{
        struct hvd *h = m->hvd;
        _cleanup_close_ int kernel_fd = -EBADF, initrd_fd = -EBADF;
        struct operation *o;
        int r;

        if (h->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        if (m->proc) { /* a crashed VM's process on its way out */
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s''s last process is still exiting; try again", m->def->name);
                return -EBUSY;
        }
        if (h->n_processes >= h->conf.max_vms) {
                snprintf(msg, MACHINE_REASON_MAX, "%u VM processes run already, the limit (MaxVMs in hvd.conf)", h->n_processes);
                return -ENOSPC;
        }
        /* the definition was checked against this host's limits when it was defined; one
         * loaded from disk may come from another host (a host without KVM: the VM process says
         * why it cannot build the VM) */
        if (h->host.kvm_usable && (m->def->vcpus > h->host.vm_max_vcpus || m->def->memory_mib > h->host.vm_max_memory_mib)) {
                snprintf(msg, MACHINE_REASON_MAX, "%s: %llu is more than this host allows (%llu)",
                         m->def->vcpus > h->host.vm_max_vcpus ? "vcpus" : "memory_mib",
                         m->def->vcpus > h->host.vm_max_vcpus ? (unsigned long long)m->def->vcpus : (unsigned long long)m->def->memory_mib,
                         m->def->vcpus > h->host.vm_max_vcpus ? (unsigned long long)h->host.vm_max_vcpus : (unsigned long long)h->host.vm_max_memory_mib);
                return -EINVAL;
        }
        /* say what is wrong with the files before a process or KVM gets involved */
        r = open_boot_file("boot.kernel", m->def->kernel, &kernel_fd, msg);
        if (r >= 0 && m->def->initrd)
                r = open_boot_file("boot.initrd", m->def->initrd, &initrd_fd, msg);
        if (r < 0) {
                if (m->state == VM_STATE_SHUTOFF)
                        set_state(m, m->state, msg); /* the reason it does not start */
                return r;
        }
        r = operation_for(m, call_kind, call, msg, &o);
        if (r < 0)
                return r;
        r = vm_process_spawn(m, kernel_fd, initrd_fd, msg, &m->proc);
        if (r < 0) {
                if (o)
                        operation_cancel(o);
                return -EIO;
        }
        h->n_processes++;
        m->exit_expected = false;
        /* both queued at once, answered in order: the console is attached before the guest
         * prints (and the process keeps a log of everything anyway) */
        (void)vm_process_attach_console(m->proc);
        r = vm_process_call(m->proc, "Start", on_built, m);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot reach the VM process: %s", strerror(-r));
                end_process(m, VM_EVENT_START_FAILED, -EIO, msg);
        } else
                m->call_in_flight = true;
        if (!h->user_mode && r >= 0)
                register_with_machined(m); /* while the process builds the VM */
        set_state(m, next, why);
        return 0;
}

int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        int next = machine_check(m, VM_CALL_START, msg);

        return next < 0 ? next : spawn(m, VM_CALL_START, next, call, why, msg);
}

int machine_stop(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        struct operation *o;
        int next = machine_check(m, VM_CALL_STOP, msg), r;

        if (next < 0)
                return next;
        if (!m->proc) {
                set_state(m, next, why); /* a crashed VM whose process is gone */
                return 1;
        }
        r = operation_for(m, VM_CALL_STOP, call, msg, &o);
        if (r < 0)
                return r;
        /* Stop is never refused for a Start or Reset in progress (a guest that reboots in a
         * loop is nearly always resetting): the process goes, and its calls fail */
        end_process(m, VM_CALL_STOP, 0, why);
        return 0;
}

static int on_paused_or_resumed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct machine *m = userdata;
        enum vm_input call = m->state == VM_STATE_PAUSED ? VM_CALL_RESUME : VM_CALL_PAUSE;
        char msg[MACHINE_REASON_MAX];
        int r, next;

        m->call_in_flight = false;
        r = reply_result(m, reply, vm_input_to_string(call), msg);
        if (r == -ESHUTDOWN)
                return 0;
        if (r < 0) {
                operation_complete_all(m, call, r == -EBUSY ? r : r == -ETIMEDOUT ? r : -EIO, msg);
                return 0;
        }
        next = vm_state_next(m->state, call);
        if (next >= 0)
                set_state(m, next, call == VM_CALL_PAUSE ? "paused by request" : "resumed by request");
        operation_complete_all(m, call, 0, NULL);
        return 0;
}

static int pause_or_resume(struct machine *m, enum vm_input call, sd_bus_message *msg_call, char *msg)
{
        struct operation *o;
        int r = machine_check(m, call, msg);

        if (r < 0)
                return r;
        r = need_process(m, call, msg);
        if (r < 0)
                return r;
        r = operation_for(m, call, msg_call, msg, &o);
        if (r < 0)
                return r;
        r = vm_process_call(m->proc, vm_input_to_string(call), on_paused_or_resumed, m);
        if (r < 0) {
                if (o)
                        operation_cancel(o);
                snprintf(msg, MACHINE_REASON_MAX, "cannot reach the VM process: %s", strerror(-r));
                return -EIO;
        }
        m->call_in_flight = true;
        return 0;
}

int machine_pause(struct machine *m, sd_bus_message *call, char *msg)
{
        return pause_or_resume(m, VM_CALL_PAUSE, call, msg);
}

int machine_resume(struct machine *m, sd_bus_message *call, char *msg)
{
        return pause_or_resume(m, VM_CALL_RESUME, call, msg);
}

int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg)
{
        struct operation *o;
        int next = machine_check(m, VM_CALL_RESET, msg), r;

        if (next < 0)
                return next;
        if (!m->proc)
                return spawn(m, VM_CALL_RESET, next, call, why, msg); /* crashed, its process gone */
        if (m->hvd->stopping) {
                snprintf(msg, MACHINE_REASON_MAX, "hvd is stopping");
                return -EBUSY;
        }
        r = need_process(m, VM_CALL_RESET, msg);
        if (r < 0)
                return r;
        r = operation_for(m, VM_CALL_RESET, call, msg, &o);
        if (r < 0)
                return r;
        r = reset_in_place(m, why, msg);
        if (r < 0 && o)
                operation_cancel(o);
        return r;
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

static int on_shutdown_asked(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct machine *m = userdata;
        char msg[MACHINE_REASON_MAX];
        int r = reply_result(m, reply, "RequestShutdown", msg);

        /* A guest that cannot be asked (-EOPNOTSUPP: no Ctrl-Alt-Del path yet) may still stop
         * on its own within the timeout; Shutdown waits for that and then says why it failed. */
        if (r == -EOPNOTSUPP)
                m->shutdown_asked = false;
        else if (r < 0 && r != -ESHUTDOWN && r != -ETIMEDOUT) {
                operation_complete_all(m, VM_CALL_SHUTDOWN, -EIO, msg);
                if (vm_state_next(m->state, VM_EVENT_SHUTDOWN_TIMEOUT) >= 0)
                        set_state(m, VM_STATE_RUNNING, "the guest could not be asked to shut down");
        }
        return 0;
}

int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg)
{
        struct operation *o;
        int next, r;

        next = machine_check(m, VM_CALL_SHUTDOWN, msg);
        if (next < 0)
                return next;
        if (!m->proc || m->exit_expected) {
                snprintf(msg, MACHINE_REASON_MAX, "VM '%s' is stopping: cannot Shutdown", m->def->name);
                return -EBUSY;
        }
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
        if (m->state != VM_STATE_SHUTTING_DOWN) {
                r = vm_process_call(m->proc, "RequestShutdown", on_shutdown_asked, m);
                if (r < 0) {
                        if (o)
                                operation_cancel(o);
                        snprintf(msg, MACHINE_REASON_MAX, "cannot reach the VM process: %s", strerror(-r));
                        return -EIO;
                }
                m->shutdown_asked = true; /* until the process says it cannot */
        }
        set_state(m, next, "shutdown requested");
        return 0;
}

void machine_adopt(struct machine *m, struct vm_process *p, const char *state, const char *reason)
{
        char why[MACHINE_REASON_MAX];

        m->proc = p;
        vm_process_attach(p, m);
        m->hvd->n_processes++;
        snprintf(why, sizeof(why), "%s (re-attached to VM process %d)", reason, (int)p->pid);
        (void)vm_process_attach_console(p);
        if (streq(state, "running") || streq(state, "paused"))
                set_state(m, streq(state, "running") ? VM_STATE_RUNNING : VM_STATE_PAUSED, why);
        else if (streq(state, "crashed")) {
                set_state(m, VM_STATE_CRASHED, reason);
                end_process(m, VM_EVENT_GUEST_CRASHED, -EIO, reason);
        } else if (streq(state, "stopped") || streq(state, "reset-requested")) {
                set_state(m, VM_STATE_RUNNING, why); /* what the guest did next is decided now */
                machine_process_guest_stopped(m, streq(state, "stopped") ? "stopped" : "reset", reason);
        } else {
                /* created: the hvd that started it went before it ran */
                set_state(m, VM_STATE_STARTING, why);
                end_process(m, VM_EVENT_START_FAILED, -EIO, "the start was interrupted: hvd went away before the VM ran");
        }
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
