/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A virtual machine: guest RAM, vCPU threads, the serial port, a lifecycle.
 *
 * CONTRACT between lib/hvcore (vm.c, vcpu.c, ...) and hvd. Threads: the callbacks run on
 * vCPU threads and must only hand work to the caller's own loop (copy, then write an
 * eventfd): they run with the vCPU's vcpu->mutex held, some inside a vm->srcu read side, so a
 * callback that called an hv_vm_* function would deadlock. Every hv_vm_* function is called from one controlling thread (hvd's main loop)
 * and returns within a bounded time (no function waits for the guest's cooperation).
 *
 * Signals: vCPU threads are kicked out of KVM_RUN with SIGRTMIN+4, whose (empty) handler
 * libhvcore installs when the first vCPU thread starts; the process must leave that signal
 * alone. vCPU threads block every other signal, so hvd's own stay with its main loop. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct hv_vm;

enum hv_vm_state {
        HV_VM_STATE_CREATED,  /* built, vCPUs parked before their first entry */
        HV_VM_STATE_RUNNING,
        HV_VM_STATE_PAUSED,
        HV_VM_STATE_STOPPED,  /* guest exited (debug-exit port, hlt with no interrupts) or hv_vm_stop */
        HV_VM_STATE_CRASHED,  /* triple fault, KVM internal error, emulation or entry failure */
        _HV_VM_STATE_MAX,
        _HV_VM_STATE_INVALID = -22,
};
const char *hv_vm_state_to_string(enum hv_vm_state s); /* "created", "running", ... */

struct hv_vm_config {
        const char *name;      /* for messages and thread names */
        uint32_t vcpus;        /* 1 .. KVM's max */
        uint64_t memory_mib;   /* guest RAM */
        const char *kernel;    /* PVH ELF (bzImage later) */
        const char *initrd;    /* optional, NULL for none */
        const char *cmdline;   /* optional, NULL for "" */
        /* Optional, for a sandboxed process that cannot open files: when > 0, the kernel
         * (initrd) is read from this open file, which hvcore duplicates, and kernel (initrd)
         * only names it in messages. Otherwise hvcore opens the paths in hv_vm_new. Either
         * way the files are read from these fds again on every reset. */
        int kernel_fd, initrd_fd;
};

struct hv_vm_callbacks {
        /* The VM changed state on its own (guest exit, crash): new state and a reason. */
        void (*state_changed)(struct hv_vm *vm, enum hv_vm_state state, const char *reason,
                              void *userdata);
        /* Bytes the guest wrote to its serial port (COM1). */
        void (*serial_output)(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata);
        /* Optional (may be NULL): after hv_vm_serial_input took fewer bytes than offered, the
         * guest made room; offer the rest again (no polling needed). */
        void (*serial_input_ready)(struct hv_vm *vm, void *userdata);
        /* Optional (may be NULL): the guest asked for a reset (KVM_SYSTEM_EVENT_RESET, a write
         * to port 0xcf9). Its vCPUs leave the guest and the VM is STOPPED with the reason
         * "guest requested a reset"; the caller decides (hv_vm_reset, or stop there). Called
         * instead of state_changed; when NULL, state_changed(STOPPED) is called as for any
         * stop. */
        void (*guest_reset)(struct hv_vm *vm, void *userdata);
};

/* Builds the VM: KVM VM with irqchip and PIT, guest RAM, the kernel loaded, vCPUs created
 * and parked (state CREATED). Needs a registered vendor plugin (else -ENODEV, "no vendor
 * plugin is registered"). On failure nothing is left behind; *ret_error (if non-NULL) gets
 * a static or thread-local message naming the cause. */
int hv_vm_new(const struct hv_vm_config *config, const struct hv_vm_callbacks *callbacks,
              void *userdata, struct hv_vm **ret_vm, const char **ret_error);
/* Ends the vCPU threads (they live as long as the VM), joins them, frees everything. Accepts
 * NULL. A vCPU thread that does not leave within 5 s is reported on stderr and the VM is
 * left allocated (never freed under a running thread). */
struct hv_vm *hv_vm_free(struct hv_vm *vm);

/* Every call below returns within a bounded time. Where vCPUs must park (pause, stop, reset)
 * and one does not within 5 s, the VM becomes CRASHED naming it and the call -ETIMEDOUT. */
int hv_vm_start(struct hv_vm *vm);   /* CREATED -> RUNNING; -EBUSY otherwise */
int hv_vm_pause(struct hv_vm *vm);   /* RUNNING -> PAUSED: returns once every vCPU is parked */
int hv_vm_resume(struct hv_vm *vm);  /* PAUSED -> RUNNING */
int hv_vm_stop(struct hv_vm *vm);    /* any -> STOPPED: every vCPU parked, its thread kept */
/* In place (same KVM VM, vCPUs, RAM memfd): vCPUs, irqchip and PIT to their power-on state,
 * devices reset, RAM zeroed, the kernel loaded again, running (from any state but CREATED). */
int hv_vm_reset(struct hv_vm *vm);

enum hv_vm_state hv_vm_get_state(struct hv_vm *vm);
/* The reason for the last state change, copied into buf. */
void hv_vm_get_state_reason(struct hv_vm *vm, char *buf, size_t len);

/* Feeds bytes to the guest's serial port input FIFO; returns how many were taken (0 while it
 * is full: see serial_input_ready). */
int hv_vm_serial_input(struct hv_vm *vm, const uint8_t *buf, size_t len);

/* Asks the guest to shut down (Ctrl-Alt-Del). -EOPNOTSUPP until Linux guest support. */
int hv_vm_request_shutdown(struct hv_vm *vm);
