/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The private D-Bus interface between hvd and one hvd-vm (org.hvd1.VMProcess.xml beside
 * this file is the contract). hvd-vm listens on VM_CONTROL_SOCKET_DIR/<uuid>.sock in hvd's
 * runtime directory and serves one peer-to-peer connection at a time (the newest hvd wins:
 * a restarted hvd re-attaches there); the first connection is a socketpair hvd hands over
 * when it spawns the process. Errors are org.hvd1.Error.* (bus-error.h). */
#pragma once

#define VM_CONTROL_PATH "/org/hvd1/vmprocess"
#define VM_CONTROL_INTERFACE "org.hvd1.VMProcess"
#define VM_CONTROL_SOCKET_DIR "vm"      /* under the runtime directory */

/* How long hvd waits for any answer of a VM process before reporting it unresponsive:
 * above hvcore's bounded waits (5 s), which a Pause or Reset may use in full. */
#define VM_CONTROL_TIMEOUT_USEC (8ULL * 1000000ULL)

/* hvd-vm's exit statuses (a signal is reported as such). */
enum {
        VM_PROCESS_EXIT_STOPPED = 0,   /* stopped by Stop, or on SIGTERM */
        VM_PROCESS_EXIT_FAILED = 1,    /* could not set up (bad arguments, socket, plugin) */
        VM_PROCESS_EXIT_USAGE = 2,
};
