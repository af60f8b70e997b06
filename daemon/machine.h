/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A defined VM as hvd manages it: its definition, its state (vm-state.h), the running hv_vm
 * (if any), its console, the calls waiting on it (operation.h).
 *
 * Threads: everything here runs on the loop, except what vCPU threads and the Start/Reset
 * worker hand over, without a lock: serial output goes through a pipe (vCPU threads write,
 * the loop reads; a write of at most PIPE_BUF is atomic, a full pipe drops output as a slow
 * loop must), and everything else is a bit set in `events` (atomic) followed by a write to
 * `efd`. The loop reads efd first, then takes the bits: a bit set after it took them comes
 * with a write of its own, so nothing is lost. The threads that write are gone before the
 * machine is: hv_vm_free joins the vCPU threads and the loop joins the worker. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hvcore/vm.h>
#include <systemd/sd-bus.h>

#include "console.h"
#include "vm-def.h"
#include "vm-state.h"

struct hvd;
struct event;
struct operation;

#define MACHINE_REASON_MAX 256
#define MACHINE_STARTS_MAX 16 /* VMs being built (or rebuilt) by a worker at once */

/* What other threads tell the loop (bits of machine.events). */
enum {
        MACHINE_EVENT_INPUT_READY = 1u << 0, /* the guest's UART has room for held console input */
        MACHINE_EVENT_GUEST = 1u << 1,       /* the guest stopped or crashed: hv_vm_get_state says which */
        MACHINE_EVENT_GUEST_RESET = 1u << 2, /* the guest asked for a reset */
        MACHINE_EVENT_JOB_DONE = 1u << 3,    /* the worker finished: job_* are written */
};

struct machine {
        struct hvd *hvd;
        struct machine *next, *prev;
        struct vm_def *def;
        char *path;
        sd_bus_slot *slot;
        bool published;

        enum vm_state state;
        char reason[MACHINE_REASON_MAX];
        struct hv_vm *vm;                /* the loop leaves it to the worker while resetting */
        struct console console;
        struct operation *operations;    /* calls waiting for this VM */
        bool shutdown_asked;             /* the guest could be asked to shut down (else it may stop by itself) */

        int efd;
        struct event *efd_event;
        _Atomic unsigned events;         /* MACHINE_EVENT_* */
        unsigned held;                   /* the loop's: bits taken, not handled yet */
        int out_fd[2];                   /* serial output: [1] written by vCPU threads, [0] read by the loop */
        struct event *out_event;

        /* Start and Reset build a KVM VM (milliseconds of setup and loading) on a worker
         * thread, in state starting or resetting; the loop finishes the job when the worker
         * sets MACHINE_EVENT_JOB_DONE. The worker writes job_* before that; the loop reads them
         * after joining it. */
        pthread_t job_thread;
        bool job_reset;
        char job_why[64];
        int job_result;
        struct hv_vm *job_vm;            /* start: the built, started VM */
        char job_error[MACHINE_REASON_MAX];
};

/* The one way a VM is added, at startup and by DefineVM: refuses a UUID that is another VM's
 * and more than MaxVMs (-EEXIST, -ENOSPC, with msg), builds the machine, writes json to the
 * state directory when it is non-NULL (DefineVM; -EIO), and publishes it: on the bus and in
 * hvd's list. Takes def on success only. */
int machine_add(struct hvd *h, struct vm_def *def, const char *json, char *msg, struct machine **ret);
struct machine *machine_free(struct machine *m);
/* Takes it off the bus and out of the list (must be shut off), then frees it. */
void machine_unpublish_and_free(struct machine *m);

/* Whether the state allows call: the state it leads to, or -EBUSY with "cannot <call>: VM
 * '<name>' is <state>" in msg (size MACHINE_REASON_MAX). */
int machine_check(struct machine *m, enum vm_input call, char *msg);

/* Lifecycle; on failure -errno and a message in msg (size MACHINE_REASON_MAX). A call that
 * completes later answers `call` (NULL: nobody waits, as for autostart) through an
 * operation: the method handler returns 1 and the answer goes out when it is done. */
/* Builds and starts the VM on a worker; answered once it runs or failed. */
int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg);
int machine_stop(struct machine *m, const char *why, char *msg);
int machine_pause(struct machine *m, char *msg);
int machine_resume(struct machine *m, char *msg);
/* Resets the guest (a new KVM VM over the same RAM, the kernel loaded again) on a worker;
 * answered once it runs again. */
int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg);
/* Asks the guest to shut down; answered when the VM is shut off (success) or after
 * timeout_usec (org.hvd1.Error.Timeout). call NULL (hvd stopping): no answer, no timeout. */
int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg);
/* Replaces the definition of a shut-off VM; takes def on success only. */
int machine_redefine(struct machine *m, struct vm_def *def, char *msg);

/* The bus side (machine-dbus.c). */
extern const sd_bus_vtable machine_vtable[];
int machine_bus_path(const char *name, char **ret);
void machine_emit_state(struct machine *m);
