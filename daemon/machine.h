/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A defined VM as hvd manages it: its definition, its state, the running hv_vm (if any), its
 * console. vCPU threads reach it only through on_* callbacks that copy into `pending` under
 * `lock` and wake the loop through `efd`; everything else runs on the loop. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <hvcore/vm.h>
#include <systemd/sd-bus.h>

#include "console.h"
#include "vm-def.h"

struct hvd;
struct event;

enum machine_state {
        MACHINE_SHUTOFF,
        MACHINE_RUNNING,
        MACHINE_PAUSED,
        MACHINE_CRASHED,
        _MACHINE_STATE_MAX,
        _MACHINE_STATE_INVALID = -22,
};
const char *machine_state_to_string(enum machine_state s);
enum machine_state machine_state_from_string(const char *s);

#define MACHINE_REASON_MAX 256
#define MACHINE_PENDING_OUTPUT_MAX (64 * 1024)
#define MACHINE_SHUTDOWN_WAITERS_MAX 16
#define MACHINE_STARTS_MAX 16 /* VMs being built at once */

struct shutdown_waiter;

enum machine_job {
        MACHINE_JOB_NONE,
        MACHINE_JOB_START,
        MACHINE_JOB_RESET,
};

struct machine {
        struct hvd *hvd;
        struct machine *next, *prev;
        struct vm_def *def;
        char *path;
        sd_bus_slot *slot;
        bool published;

        enum machine_state state;
        char reason[MACHINE_REASON_MAX];
        struct hv_vm *vm;
        struct console console;

        int efd;
        struct event *efd_event;
        pthread_mutex_t lock;                  /* guards pending_* (vCPU threads write them) */
        uint8_t *pending_out;
        size_t pending_len;
        bool pending_input_ready;              /* the guest's UART has room for held console input */
        bool pending_state_valid;
        enum hv_vm_state pending_state;
        char pending_reason[MACHINE_REASON_MAX];

        struct shutdown_waiter *waiters;
        unsigned n_waiters;

        /* Start and Reset build a KVM VM (milliseconds of setup and loading): a worker
         * thread does it and the loop finishes the job when the worker wakes it (efd). While
         * a job runs, nothing else touches the hv_vm and other changes are refused. */
        enum machine_job job;
        pthread_t job_thread;
        sd_bus_message *job_call;            /* to reply to, NULL for autostart and reboots */
        char job_why[64];
        bool job_done;                       /* under lock: the worker finished */
        int job_result;                      /* under lock */
        struct hv_vm *job_vm;                /* under lock (start: the built, started VM) */
        char job_error[MACHINE_REASON_MAX];  /* under lock */
};

/* The one way a VM is added, at startup and by DefineVM: refuses a UUID that is another VM's
 * and more than MaxVMs (-EEXIST, -ENOSPC, with msg), builds the machine, writes json to the
 * state directory when it is non-NULL (DefineVM; -EIO), and publishes it: on the bus and in
 * hvd's list. Takes def on success only. */
int machine_add(struct hvd *h, struct vm_def *def, const char *json, char *msg, struct machine **ret);
struct machine *machine_free(struct machine *m);
/* Takes it off the bus and out of the list (must be shut off), then frees it. */
void machine_unpublish_and_free(struct machine *m);

bool machine_is_active(const struct machine *m); /* running or paused */
/* Lifecycle; on failure -errno and a message in msg (size MACHINE_REASON_MAX). */
/* Starts building the VM and returns; the reply to `call` (may be NULL) goes out once it
 * runs or failed. */
int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg);
bool machine_is_busy(const struct machine *m, char *msg); /* a job runs: no other change now */
int machine_stop(struct machine *m, const char *why, char *msg);
int machine_pause(struct machine *m, char *msg);
int machine_resume(struct machine *m, char *msg);
/* Resets the guest (a new KVM VM over the same RAM, the kernel loaded again) and returns;
 * the reply to `call` (may be NULL) goes out once it runs again. */
int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg);
/* Asks the guest to shut down; the reply to `call` goes out when the VM is shut off
 * (success) or after timeout_usec (org.hvd1.Error.Timeout). */
int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg);
/* Replaces the definition of a shut-off VM; takes def on success only. */
int machine_redefine(struct machine *m, struct vm_def *def, char *msg);

/* The bus side (machine-dbus.c). */
extern const sd_bus_vtable machine_vtable[];
int machine_bus_path(const char *name, char **ret);
void machine_emit_state(struct machine *m);
