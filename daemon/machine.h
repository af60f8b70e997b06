/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A defined VM as hvd manages it: its definition, its state (vm-state.h), the VM process
 * that runs it (vm-process.h, while it runs), its console, the calls waiting on it
 * (operation.h). Everything here runs on hvd's loop (hvd has no other thread).
 *
 * A VM leaves a process-backed state (starting, running, paused, resetting, shutting down)
 * for shut off only once its process is gone: `exit_input` says what that exit means (Stop
 * was asked, the guest stopped, Start failed); an exit nobody expected is the VM's crash. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "console.h"
#include "vm-def.h"
#include "vm-state.h"

struct hvd;
struct operation;
struct vm_process;

#define MACHINE_REASON_MAX 256

struct machine {
        struct hvd *hvd;
        struct machine *next, *prev;
        struct vm_def *def;
        char *path;
        sd_bus_slot *slot;
        bool published;

        enum vm_state state;
        char reason[MACHINE_REASON_MAX];
        struct console console;
        struct operation *operations;    /* calls waiting for this VM */
        bool shutdown_asked;             /* the guest could be asked to shut down (else it may stop by itself) */

        struct vm_process *proc;         /* the VM process, while there is one */
        bool call_in_flight;             /* a Pause, Resume or Reset is with the process */
        bool exit_expected;              /* the process was asked to end: */
        enum vm_input exit_input;        /*   what its exit means for the state */
        int exit_error;                  /*   and for the calls waiting (0: success) */
        char exit_reason[MACHINE_REASON_MAX];
};

/* The one way a VM is added, at startup and by DefineVM: refuses a UUID that is another VM's
 * and more than MaxVMs (-EEXIST, -ENOSPC, with msg), builds the machine, writes json to the
 * state directory when it is non-NULL (DefineVM; -EIO), and publishes it: on the bus and in
 * hvd's list. Takes def on success only. */
int machine_add(struct hvd *h, struct vm_def *def, const char *json, char *msg, struct machine **ret);
struct machine *machine_free(struct machine *m);
/* Takes it off the bus and out of the list (must be shut off), then frees it. */
void machine_unpublish_and_free(struct machine *m);

/* Whether the state allows call: the state it leads to, or -EBUSY with "VM '<name>' is
 * <state>: cannot <call>" in msg (size MACHINE_REASON_MAX). */
int machine_check(struct machine *m, enum vm_input call, char *msg);

/* Lifecycle: -errno with a message in msg (size MACHINE_REASON_MAX) when refused; 1 when
 * done (answer the call now); 0 when the answer goes to `call` later, through an operation
 * (call NULL: nobody waits, as for autostart). */
/* Spawns the VM process and starts the VM there; answered once it runs or failed. */
int machine_start(struct machine *m, sd_bus_message *call, const char *why, char *msg);
/* Stops the VM process; answered once it is gone. */
int machine_stop(struct machine *m, sd_bus_message *call, const char *why, char *msg);
int machine_pause(struct machine *m, sd_bus_message *call, char *msg);
int machine_resume(struct machine *m, sd_bus_message *call, char *msg);
/* Resets the guest in place (or, for a crashed VM whose process is gone, in a new one). */
int machine_reset(struct machine *m, sd_bus_message *call, const char *why, char *msg);
/* Asks the guest to shut down; answered when the VM is shut off (success) or after
 * timeout_usec (org.hvd1.Error.Timeout). */
int machine_shutdown(struct machine *m, sd_bus_message *call, uint64_t timeout_usec, char *msg);
/* A VM process found at startup (an earlier hvd started it) runs this VM now: serve it
 * again in the state it reports. Takes p. */
void machine_adopt(struct machine *m, struct vm_process *p, const char *state, const char *reason);
/* Replaces the definition of a shut-off VM; takes def on success only. */
int machine_redefine(struct machine *m, struct vm_def *def, char *msg);

/* The bus side (machine-dbus.c). */
extern const sd_bus_vtable machine_vtable[];
int machine_bus_path(const char *name, char **ret);
void machine_emit_state(struct machine *m);
