/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VERB --all: one org.hvd1.VM call for every VM whose state asks for it, the calls in flight
 * together, one outcome per VM. The verbs describe what they call and for which states. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vmctl.h"

/* What --all does with a VM in a given state. */
enum vmctl_all_action {
        VMCTL_ALL_IGNORE, /* left alone, not reported */
        VMCTL_ALL_CALL,   /* gets the call */
        VMCTL_ALL_SKIP,   /* reported as skipped: a failure, the guest is still there */
};

struct vmctl_all_state {
        const char *state;            /* State as hvd names it; NULL: any other state (ends the table) */
        enum vmctl_all_action action;
        const char *why;              /* VMCTL_ALL_SKIP: follows "VM 'x' is <state>: " */
};

struct vmctl_all_verb {
        const char *method;                   /* the org.hvd1.VM method */
        bool send_timeout;                    /* timeout_usec is its one argument ("t") */
        uint64_t timeout_usec;
        uint64_t call_usec;                   /* how long each reply may take (0: sd-bus's default) */
        const struct vmctl_all_state *states; /* first match wins */
        const char *done;                     /* "<name>: <done>" on success */
        const char *none;                     /* printed when no VM is concerned */
};

/* Runs verb on every VM concerned, prints one line per VM (successes on stdout, failures on
 * stderr as vmctl_report() does; with --json one array at the end) and returns the exit code:
 * 0 when every VM concerned succeeded (or there was none), else the failures' exit code when
 * they share one, else VMCTL_EXIT_FAILURE. */
int vmctl_all_run(struct vmctl *v, const struct vmctl_all_verb *verb);
