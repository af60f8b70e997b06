/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's lifecycle as hvd sees it: the states, the inputs that move it (calls from clients and
 * events from the VM), and the one table of allowed transitions. Pure: no bus, no loop, no
 * VM; machine.c asks it before doing anything, and tests/test-daemon-vmstate.c checks it
 * whole. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

enum vm_state {
        VM_STATE_SHUTOFF,
        VM_STATE_STARTING,      /* a worker builds the KVM VM; Start's reply waits */
        VM_STATE_RUNNING,
        VM_STATE_PAUSED,
        VM_STATE_RESETTING,     /* a worker rebuilds it over the same RAM; Reset's reply waits */
        VM_STATE_SHUTTING_DOWN, /* running, and a Shutdown waits for the guest to stop */
        VM_STATE_CRASHED,
        _VM_STATE_MAX,
        _VM_STATE_INVALID = -EINVAL,
};
/* The names the State property reports: "shutoff", "starting", ..., "shutting-down". */
const char *vm_state_to_string(enum vm_state s);
enum vm_state vm_state_from_string(const char *s);

enum vm_input {
        /* calls: a refusal is org.hvd1.Error.InvalidState */
        VM_CALL_START,
        VM_CALL_STOP,
        VM_CALL_PAUSE,
        VM_CALL_RESUME,
        VM_CALL_RESET,
        VM_CALL_SHUTDOWN,
        VM_CALL_REDEFINE,
        VM_CALL_UNDEFINE,
        /* events: a refusal means the event does not apply (a stale report): ignored */
        VM_EVENT_BUILT,            /* the worker's Start or Reset succeeded: the guest runs */
        VM_EVENT_START_FAILED,
        VM_EVENT_RESET_FAILED,     /* the old guest is lost with it */
        VM_EVENT_GUEST_STOPPED,    /* exited, halted, shut down; or asked for a reset with on_reboot shutoff */
        VM_EVENT_GUEST_RESET,      /* asked for a reset, with on_reboot restart */
        VM_EVENT_GUEST_CRASHED,
        VM_EVENT_SHUTDOWN_TIMEOUT, /* the last waiting Shutdown gave up: the guest still runs */
        _VM_INPUT_MAX,
        _VM_INPUT_INVALID = -EINVAL,
};
/* Calls by their D-Bus method names ("Start", ..., "DefineVM", "UndefineVM"), events by a
 * word ("built", "guest-stopped", ...). */
const char *vm_input_to_string(enum vm_input i);
enum vm_input vm_input_from_string(const char *s);

/* The state that input leads to from state, or -EBUSY when the table does not allow it
 * (-EINVAL for a value out of range). The same state is a valid answer (Shutdown while
 * shutting down, DefineVM of a shut-off VM). */
int vm_state_next(enum vm_state state, enum vm_input input);

/* Running, paused, resetting or shutting down: a guest exists (RunningVMs counts it). */
bool vm_state_is_active(enum vm_state s);

/* "VM 'demo' is shutoff: cannot Pause", into buf. */
void vm_state_refusal(enum vm_state state, enum vm_input input, const char *name, char *buf, size_t size);
