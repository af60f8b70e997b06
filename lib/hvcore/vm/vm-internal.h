/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* struct hv_vm (internal): what vm.c, vcpu.c, request.c, memslot.c and bus.c share.
 * Locks (hvcore-locking(7)): vm->lock outside vcpu->mutex, outside slots_lock and irq_lock;
 * slots_lock outside slots_arch_lock; memslots and buses are read under vm->srcu;
 * vm->state_lock and vcpu->wq_lock are leaves, taken under any of those. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "mm/guest-memory.h"
#include "hvcore/vm.h"
#include "lock/lock.h"
#include "mm/memslot.h"
#include "boot/pvh.h"
#include "lock/srcu.h"
#include "vendor/vendor-registry.h"

struct hv_vendor_ops;

struct hv_vcpu;
struct hv_vm_power_on;
struct kvm_run;
struct hv_serial;
struct hv_debug_exit;

/* What the vCPU threads are told to do (vm->run_target). */
enum hv_run_target {
        HV_RUN_PARK, /* created, paused, stopped, crashed, resetting: sleep on the wait queue */
        HV_RUN_GO,   /* run the guest */
};

/* Test/benchmark hooks: set up each vCPU after it is created (and after a reset) when no
 * kernel is given; raw code guests use this. Called with vcpu->mutex held (asserted). */
struct hv_vm_hooks {
        int (*setup_vcpu)(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque);
        /* Runs first in the vCPU's request handling (V1), on the vCPU thread. */
        void (*handle_requests)(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque);
        void *opaque;         /* for setup_vcpu */
        void *request_opaque; /* for handle_requests */
        uint64_t request_bits; /* the request bits handle_requests consumes */
        /* Runs between the entry's request check and KVM_RUN (V6..V7): tests widen that
         * window with it to prove a kick landing there is not lost. */
        void (*before_run)(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque);
};

struct hv_vm {
        char *name;
        struct hv_vm_config config; /* strings owned below */
        char *kernel, *initrd, *cmdline;
        int kernel_fd, initrd_fd;       /* opened (or duplicated) in hv_vm_new, read on every load */
        struct hv_vm_callbacks callbacks;
        void *userdata;
        struct hv_vm_hooks hooks;
        struct hv_vendor_user vendor_user; /* counted in hv_usage_lock's count */
        const struct hv_vendor_ops *vendor; /* while vendor_user is counted; every op set */

        int kvm_fd, vm_fd;
        size_t run_size;
        struct hv_guest_ram ram;
        struct hv_pvh_boot boot; /* where the kernel was loaded, for vCPU 0 */

        struct hv_mutex lock;            /* vm->lock: lifecycle, vCPU creation */
        struct hv_mutex slots_lock;      /* memslot and bus updates */
        struct hv_mutex slots_arch_lock; /* arch fields of memslots */
        struct hv_mutex irq_lock;        /* interrupt lines */
        struct hv_srcu srcu;             /* memslots, buses */

        struct hv_memslots *_Atomic memslots;
        struct hv_bus *_Atomic buses[_HV_BUS_MAX];

        /* Created in hv_vm_new before any thread runs and freed only by hv_vm_free once every
         * vCPU thread is joined: the array and its vCPUs never change in between (a reset is
         * done in place), so requesters read it without a lock, as KVM's kvm_for_each_vcpu. */
        uint32_t nr_vcpus;
        struct hv_vcpu **vcpus;
        /* Written under state_lock, read by vCPU threads without it. A controller that needs
         * every vCPU parked bumps park_epoch with run_target = PARK, then requests PAUSE. */
        _Atomic int run_target;
        _Atomic uint32_t park_epoch;
        struct hv_vm_power_on *power_on; /* irqchip and PIT at power-on */

        /* State word and reason: changed by the controller (under vm->lock) and by vCPU
         * threads (crash, guest exit) that may not take vm->lock while holding vcpu->mutex,
         * so vm->state_lock (HV_LOCK_VM_STATE, a leaf) guards them; park_cond (waited on
         * with it) tells the controller that vCPUs parked or exited. */
        struct hv_mutex state_lock;
        pthread_cond_t park_cond;
        enum hv_vm_state state;
        char reason[256];

        struct hv_serial *serial;
        struct hv_debug_exit *debug_exit;
        _Atomic uint8_t reset_control;  /* port 0xcf9's value (RST_CPU never sticks) */
        int32_t exit_code; /* debug-exit status ((code << 1) | 1), -1 before */
};

int hv_vm_new_with_hooks(const struct hv_vm_config *config, const struct hv_vm_callbacks *callbacks,
                         void *userdata, const struct hv_vm_hooks *hooks, struct hv_vm **ret_vm,
                         const char **ret_error);

/* Called on vCPU threads: the guest stopped (debug exit, shutdown) or crashed. The first
 * such event wins; every vCPU is told to leave its loop (STOP or VM_DEAD). */
void hv_vm_guest_stopped(struct hv_vm *vm, const char *reason);
/* The guest asked for a reset: stopped like the above, reported through guest_reset. */
void hv_vm_guest_reset(struct hv_vm *vm);
/* The guest exited through the debug-exit port: stopped, with its exit status. */
void hv_vm_guest_exited(struct hv_vm *vm, const char *reason, int32_t exit_code);
void hv_vm_crashed(struct hv_vm *vm, const char *reason);
/* Called on vCPU threads when they park or leave their loop. */
void hv_vm_notify_parked(struct hv_vm *vm);
/* Serial IRQ line (KVM_IRQ_LINE), from the UART's set_irq. */
int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level);
