/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A call that completes later (Start, Reset, Shutdown; Migrate next): an operation owns the
 * D-Bus call it will answer, belongs to one machine, and may carry a timeout. hvd holds at
 * most HVD_OPERATIONS_MAX at once (a caller past that gets LimitExceeded). Every operation
 * ends in operation_complete: answered once, then freed; a machine that goes away completes
 * its own with an error. The model is systemd machined's src/machine/operation.c. */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "vm-state.h"

#define HVD_OPERATIONS_MAX 64

struct machine;
struct event;
struct operation;

/* Runs on the loop when the operation's timeout expires; it must complete the operation. */
typedef void (*operation_timeout_t)(struct operation *o);

struct operation {
        struct machine *machine;
        enum vm_input call;       /* VM_CALL_START, VM_CALL_RESET, VM_CALL_SHUTDOWN */
        sd_bus_message *message;  /* the call to answer */
        struct event *timer;
        operation_timeout_t on_timeout;
        struct operation *next;   /* the machine's list */
};

/* A new operation for call on m, answering message; -ENOSPC past HVD_OPERATIONS_MAX. */
int operation_new(struct machine *m, enum vm_input call, sd_bus_message *message, struct operation **ret);
/* Calls on_timeout after usec unless the operation completed before. */
int operation_set_timeout(struct operation *o, uint64_t usec, operation_timeout_t on_timeout);
/* Answers the call: success for r >= 0, else the error named for r with msg; then frees o. */
void operation_complete(struct operation *o, int r, const char *msg);
/* Frees o without answering (it was never announced: the method handler reports the error). */
void operation_cancel(struct operation *o);
/* Completes every operation of m for call (_VM_INPUT_INVALID: all of them). */
void operation_complete_all(struct machine *m, enum vm_input call, int r, const char *msg);
/* How many operations of m wait for call. */
unsigned operation_count(const struct machine *m, enum vm_input call);
