/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "macros.h"
#include "string-table.h"
#include "vm-state.h"

static const char *const vm_state_table[_VM_STATE_MAX] = {
        [VM_STATE_SHUTOFF] = "shutoff",
        [VM_STATE_STARTING] = "starting",
        [VM_STATE_RUNNING] = "running",
        [VM_STATE_PAUSED] = "paused",
        [VM_STATE_RESETTING] = "resetting",
        [VM_STATE_SHUTTING_DOWN] = "shutting-down",
        [VM_STATE_CRASHED] = "crashed",
};

DEFINE_STRING_TABLE_LOOKUP(vm_state, enum vm_state, _VM_STATE_MAX);

static const char *const vm_input_table[_VM_INPUT_MAX] = {
        [VM_CALL_START] = "Start",
        [VM_CALL_STOP] = "Stop",
        [VM_CALL_PAUSE] = "Pause",
        [VM_CALL_RESUME] = "Resume",
        [VM_CALL_RESET] = "Reset",
        [VM_CALL_SHUTDOWN] = "Shutdown",
        [VM_CALL_REDEFINE] = "DefineVM",
        [VM_CALL_UNDEFINE] = "UndefineVM",
        [VM_EVENT_BUILT] = "built",
        [VM_EVENT_START_FAILED] = "start-failed",
        [VM_EVENT_RESET_FAILED] = "reset-failed",
        [VM_EVENT_GUEST_STOPPED] = "guest-stopped",
        [VM_EVENT_GUEST_RESET] = "guest-reset",
        [VM_EVENT_GUEST_CRASHED] = "guest-crashed",
        [VM_EVENT_SHUTDOWN_TIMEOUT] = "shutdown-timeout",
};

DEFINE_STRING_TABLE_LOOKUP(vm_input, enum vm_input, _VM_INPUT_MAX);

/* Every allowed transition; an absent entry is a refusal. Stored as next state + 1 so that
 * the zero an initializer leaves out means "refused". */
#define TO(s) ((s) + 1)
static const signed char transitions[_VM_STATE_MAX][_VM_INPUT_MAX] = {
        [VM_STATE_SHUTOFF] = {
                [VM_CALL_START] = TO(VM_STATE_STARTING),
                [VM_CALL_REDEFINE] = TO(VM_STATE_SHUTOFF),
                [VM_CALL_UNDEFINE] = TO(VM_STATE_SHUTOFF),
        },
        [VM_STATE_STARTING] = {
                /* Stop lets the build finish (milliseconds), then stops what it built */
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF),
                [VM_EVENT_BUILT] = TO(VM_STATE_RUNNING),
                [VM_EVENT_START_FAILED] = TO(VM_STATE_SHUTOFF),
        },
        [VM_STATE_RUNNING] = {
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF),
                [VM_CALL_PAUSE] = TO(VM_STATE_PAUSED),
                [VM_CALL_RESET] = TO(VM_STATE_RESETTING),
                [VM_CALL_SHUTDOWN] = TO(VM_STATE_SHUTTING_DOWN),
                [VM_EVENT_GUEST_STOPPED] = TO(VM_STATE_SHUTOFF),
                [VM_EVENT_GUEST_RESET] = TO(VM_STATE_RESETTING),
                [VM_EVENT_GUEST_CRASHED] = TO(VM_STATE_CRASHED),
        },
        [VM_STATE_PAUSED] = {
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF),
                [VM_CALL_RESUME] = TO(VM_STATE_RUNNING),
                [VM_CALL_RESET] = TO(VM_STATE_RESETTING),
                /* a vCPU's report that raced with Pause */
                [VM_EVENT_GUEST_STOPPED] = TO(VM_STATE_SHUTOFF),
                [VM_EVENT_GUEST_RESET] = TO(VM_STATE_RESETTING),
                [VM_EVENT_GUEST_CRASHED] = TO(VM_STATE_CRASHED),
        },
        [VM_STATE_RESETTING] = {
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF), /* a guest that reboots in a loop can be stopped */
                [VM_EVENT_BUILT] = TO(VM_STATE_RUNNING),
                [VM_EVENT_RESET_FAILED] = TO(VM_STATE_CRASHED),
        },
        [VM_STATE_SHUTTING_DOWN] = {
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF),
                [VM_CALL_SHUTDOWN] = TO(VM_STATE_SHUTTING_DOWN), /* waits with the others */
                [VM_EVENT_GUEST_STOPPED] = TO(VM_STATE_SHUTOFF),
                [VM_EVENT_GUEST_RESET] = TO(VM_STATE_RESETTING),
                [VM_EVENT_GUEST_CRASHED] = TO(VM_STATE_CRASHED),
                [VM_EVENT_SHUTDOWN_TIMEOUT] = TO(VM_STATE_RUNNING),
        },
        [VM_STATE_CRASHED] = {
                [VM_CALL_START] = TO(VM_STATE_STARTING),
                [VM_CALL_STOP] = TO(VM_STATE_SHUTOFF),
                [VM_CALL_RESET] = TO(VM_STATE_RESETTING),
        },
};
#undef TO

int vm_state_next(enum vm_state state, enum vm_input input)
{
        if ((int)state < 0 || state >= _VM_STATE_MAX || (int)input < 0 || input >= _VM_INPUT_MAX)
                return -EINVAL;
        if (transitions[state][input] == 0)
                return -EBUSY;
        return transitions[state][input] - 1;
}

bool vm_state_is_active(enum vm_state s)
{
        return s == VM_STATE_RUNNING || s == VM_STATE_PAUSED || s == VM_STATE_RESETTING || s == VM_STATE_SHUTTING_DOWN;
}

void vm_state_refusal(enum vm_state state, enum vm_input input, const char *name, char *buf, size_t size)
{
        /* "VM 'x' is <state>" first, as hvd has always said it (vmctl prints it after the verb);
         * a definition changes only while shut off: say so, the one way out */
        const char *st = vm_state_to_string(state) ?: "in an unknown state";
        if (input == VM_CALL_REDEFINE || input == VM_CALL_UNDEFINE)
                snprintf(buf, size, "VM '%s' is %s: shut it off to %s it", name, st,
                         input == VM_CALL_REDEFINE ? "redefine" : "undefine");
        else
                snprintf(buf, size, "VM '%s' is %s: cannot %s", name, st, vm_input_to_string(input) ?: "do that");
}
