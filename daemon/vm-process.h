/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One hvd-vm as hvd sees it: the process (spawned here, or adopted after a restart of hvd),
 * its private D-Bus connection (vm-control.h), its console stream, and the pidfd that says
 * when it is gone. Everything on hvd's loop; calls are asynchronous and bounded
 * (VM_CONTROL_TIMEOUT_USEC), so a VM process that hangs holds up nobody. machine.c drives
 * it and hears back through the vm_process_* callbacks it implements below. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "bus-watch.h"

struct machine;
struct event;

struct vm_process {
        struct machine *machine;
        pid_t pid;
        int pidfd;
        bool child;               /* ours: waitid tells how it ended */
        struct event *pidfd_event, *kill_timer;
        sd_bus *bus;
        struct bus_watch watch;
        sd_bus_slot *signal_slot;
        int stream_fd;            /* the console stream, -1 until attached */
        struct event *stream_event, *stream_writable;
        bool stopping;            /* Stop was sent: the exit is expected */
};

/* Spawns hvd-vm for m with the boot files (opened by the caller) and starts nothing yet.
 * -errno with msg (MACHINE_REASON_MAX) on failure. */
int vm_process_spawn(struct machine *m, int kernel_fd, int initrd_fd, char *msg, struct vm_process **ret);
/* Connects to the VM process listening on socket_path (an earlier hvd spawned it): on
 * success *ret is connected (pid known, pidfd watched), not yet attached to a machine;
 * -ECONNREFUSED/-ENOENT: nobody listens (a stale socket). Synchronous: hvd's startup. */
int vm_process_connect(struct event_base *base, const char *socket_path, struct vm_process **ret);
/* Describe, synchronously and bounded (startup only). */
int vm_process_describe(struct vm_process *p, char **name, char **uuid, char **state, char **reason);
void vm_process_attach(struct vm_process *p, struct machine *m);

/* An asynchronous call of method (no arguments); callback as sd-bus calls it. */
int vm_process_call(struct vm_process *p, const char *method, sd_bus_message_handler_t callback, void *userdata);
/* Asks for the console stream; the log and then the stream go to machine's console. */
int vm_process_attach_console(struct vm_process *p);
/* Guest input for the console stream: bytes taken, 0 while the stream is full (the
 * console is kicked once it has room), -errno when there is no stream. */
int vm_process_console_input(struct vm_process *p, const uint8_t *buf, size_t len);
/* Sends Stop and, if the process has not exited VM_CONTROL_TIMEOUT_USEC later, SIGKILL. */
void vm_process_stop(struct vm_process *p);
/* Forgets it (hvd exits): closes the connection, leaves the process running. */
struct vm_process *vm_process_free(struct vm_process *p);

/* machine.c's side (machine.c implements them) */
void machine_process_guest_stopped(struct machine *m, const char *how, const char *reason);
/* The process is gone; reason says how (exit status or signal). p is freed after this. */
void machine_process_exited(struct machine *m, const char *reason);
void machine_process_unresponsive(struct machine *m, const char *reason);
