/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vCPU object (internal): its KVM fd and kvm_run page, the request bitmap and mode word
 * (request.c), its wait queue, and the thread running the KVM_RUN loop (vcpu.c). */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lock/lock.h"

struct hv_vm;
struct kvm_run;
struct hv_vcpu_power_on;

struct hv_vcpu {
        struct hv_vm *vm;
        uint32_t index;
        int fd;
        struct kvm_run *run;
        size_t run_size;

        /* request.c: the bitmap, mode word (mode | entry generation << 2), WAIT waiters */
        _Atomic uint64_t requests;
        _Atomic uint32_t mode_word;
        _Atomic uint32_t mode_waiters;
        _Atomic pthread_t tid; /* written by the thread before its first IN_GUEST_MODE */

        /* Wait queue of a sleeping (parked) vCPU: vcpu->wq_lock (HV_LOCK_VCPU_WQ) is a leaf,
         * like the kernel's wait-queue spinlock: requesters take it under any other lock. */
        struct hv_mutex wq_lock;
        pthread_cond_t wq_cond;
        _Atomic bool wq_waiting;

        /* vcpu->mutex: held by the thread while it runs, dropped while parked. */
        struct hv_mutex mutex;
        pthread_t thread;
        bool thread_started;
        /* The last vm->park_epoch this vCPU acknowledged: it stored it with vcpu->mutex
         * released, out of guest mode, with no PIO/MMIO left half done, just before sleeping
         * (vcpu_park in vcpu.c). A controller that bumped the epoch waits for every vCPU to
         * acknowledge it or a later one (a guest stop bumps it too); a stale "parked" from an
         * earlier pause can never answer. */
        _Atomic uint32_t parked_epoch;
        _Atomic bool exited; /* the thread left its loop: only hv_vm_free asks for that */
        bool io_pending;     /* vCPU thread only: KVM has a PIO/MMIO exit to complete */

        struct hv_vcpu_power_on *power_on; /* power-on state, for a reset in place */

        /* Statistics and the benchmark's hook (read by other threads). */
        _Atomic uint64_t nr_exits, nr_kicks, nr_intr_exits;
        _Atomic bool stamp_exits;      /* record exit_ns after every KVM_RUN */
        _Atomic uint64_t exit_ns;      /* CLOCK_MONOTONIC when KVM_RUN last returned */
};

/* vcpu.c */
int hv_vcpu_create(struct hv_vm *vm, uint32_t index, struct hv_vcpu **ret);
int hv_vcpu_start_thread(struct hv_vcpu *vcpu);
void hv_vcpu_join(struct hv_vcpu *vcpu);
struct hv_vcpu *hv_vcpu_destroy(struct hv_vcpu *vcpu);
uint64_t hv_now_ns(void);
