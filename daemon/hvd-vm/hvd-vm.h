/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd-vm: the process that runs one VM (DESIGN.md, "Processes"). hvd spawns it with the
 * definition and the boot files as fds; it serves hvd over a private peer-to-peer D-Bus
 * connection (control.c), runs the KVM VM and its console (guest.c) in a sandbox
 * (sandbox.c), and outlives hvd. One libevent loop in the main thread; vCPU threads hand
 * over to it as in hvd: serial output through a pipe, everything else as bits in `events`
 * followed by a write to `efd` (read efd first, then take the bits: nothing is lost). */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "bus-watch.h"
#include "byte-ring.h"

struct event_base;
struct event;
struct hv_vm;
struct vm_def;

enum {
        GUEST_EVENT_STOPPED = 1u << 0,     /* stopped or crashed: hv_vm_get_state says which */
        GUEST_EVENT_RESET = 1u << 1,       /* the guest asked for a reset */
        GUEST_EVENT_INPUT_READY = 1u << 2, /* the UART has room for held input */
};

#define VMP_INPUT_MAX 4096

struct vmp {
        struct event_base *base;
        struct vm_def *def;
        char *socket_path;
        int kernel_fd, initrd_fd;
        uint64_t shutdown_timeout_usec;
        enum { VMP_SANDBOX_ON, VMP_SANDBOX_LOG, VMP_SANDBOX_OFF } sandbox; /* --sandbox= */

        /* control.c: the listening socket and the current connection of hvd (or none) */
        int listen_fd;
        struct event *listen_event;
        sd_bus *bus;
        struct bus_watch watch;
        sd_bus_slot *slot;

        /* guest.c */
        struct hv_vm *vm;
        bool started, reset_requested;
        int efd, out_fd[2];
        struct event *efd_event, *out_event;
        _Atomic unsigned events;
        struct byte_ring log;
        int stream_fd;             /* the console stream to hvd, -1 when none */
        struct event *stream_event;
        uint8_t input[VMP_INPUT_MAX];
        size_t input_len;          /* read from the stream, not taken by the guest yet */

        /* hvd-vm.c */
        struct event *sig_term, *sig_int, *shutdown_timer, *test_hook;
        bool terminating, quit;
        int exit_status;
};

/* control.c */
int control_init(struct vmp *p, int first_connection_fd);
void control_done(struct vmp *p);
/* Tells hvd (when attached) that the guest stopped: how is "stopped", "crashed", "reset". */
void control_emit_guest_stopped(struct vmp *p, const char *how, const char *reason);
/* Stops listening and removes the socket (the process is about to exit). */
void control_unlink(struct vmp *p);

/* guest.c */
int guest_init(struct vmp *p);
void guest_done(struct vmp *p);
/* Builds the VM, enters the sandbox, starts it. -errno with msg on failure. */
int guest_start(struct vmp *p, char *msg, size_t len);
/* The state as Describe reports it. */
const char *guest_state(struct vmp *p, char *reason, size_t len);
/* A new console stream (replacing the old one): the fd for hvd and the log so far. */
int guest_attach_console(struct vmp *p, int *ret_fd, uint8_t **ret_log, size_t *ret_len);
/* After a failed lifecycle call: tells hvd if the VM crashed meanwhile. */
void guest_report_crash(struct vmp *p);

/* hvd-vm.c: stops the VM and ends the loop (exit status 0). */
void vmp_exit(struct vmp *p);
/* SIGTERM: ask the guest to shut down, stop it after shutdown_timeout_usec. */
void vmp_terminate(struct vmp *p);
