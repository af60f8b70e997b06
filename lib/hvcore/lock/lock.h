/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's typed locks. Every lock is created with its class; with the validator built in
 * (--enable-lock-validator) every acquisition is checked against the hierarchy of
 * hvcore-locking(7) (DESIGN.md, after the kernel's locking.rst) and against the orders
 * observed so far (lockdep-style). Without it these are thin wrappers over pthreads.
 *
 * CONTRACT (implemented in lock.c / lock-validator.c / srcu.c): the names below are what the
 * rest of hvcore codes against. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* The validator is built in with --enable-lock-validator (config.h's HV_LOCK_VALIDATOR). The
 * benchmark compiles the lock sources a second time with HV_LOCK_VALIDATOR_FORCE_OFF or
 * HV_LOCK_VALIDATOR_FORCE_ON to compare both in one run. */
#if (defined(HV_LOCK_VALIDATOR) || defined(HV_LOCK_VALIDATOR_FORCE_ON)) && !defined(HV_LOCK_VALIDATOR_FORCE_OFF)
#define HV_LOCK_VALIDATOR_ON 1
#endif

/* Lock classes, outermost first where an order exists. */
enum hv_lock_class {
        HV_LOCK_VENDOR_MODULE,   /* vendor_module_lock (mutex) */
        HV_LOCK_USAGE,           /* hv_usage_lock (mutex) */
        HV_LOCK_VM_LIST,         /* hv_vm_list_lock (mutex) */
        HV_LOCK_VM,              /* vm->lock (mutex) */
        HV_LOCK_VCPU,            /* vcpu->mutex (mutex) */
        HV_LOCK_SLOTS,           /* vm->slots_lock (mutex) */
        HV_LOCK_SLOTS_ARCH,      /* vm->slots_arch_lock (mutex) */
        HV_LOCK_IRQ,             /* vm->irq_lock (mutex) */
        HV_LOCK_SRCU,            /* vm->srcu (SRCU read side) */
        HV_LOCK_DEVICE,          /* an emulated device's own state (mutex, leaf) */
        HV_LOCK_VCPU_WQ,         /* vcpu->wq_lock (mutex, leaf): a parked vCPU's wait queue */
        HV_LOCK_VM_STATE,        /* vm->state_lock (mutex, leaf): the VM's state and reason */
        _HV_LOCK_CLASS_MAX,
        _HV_LOCK_CLASS_INVALID = -22,
};

const char *hv_lock_class_to_string(enum hv_lock_class c);
/* The inverse, for tools and tests: _HV_LOCK_CLASS_INVALID when unknown. */
enum hv_lock_class hv_lock_class_from_string(const char *s);

/* What kind of lock a class is; a lock must be created with a class of its own kind. */
enum hv_lock_type {
        HV_LOCK_TYPE_MUTEX,
        HV_LOCK_TYPE_SRCU,
        _HV_LOCK_TYPE_MAX,
        _HV_LOCK_TYPE_INVALID = -22,
};
const char *hv_lock_type_to_string(enum hv_lock_type t);
enum hv_lock_type hv_lock_type_from_string(const char *s);

/* The address of lock_class is the lock's identity for the validator. owner/held are
 * debugging aids kept up to date only in validator builds (the validator's own
 * per-thread record is what hv_lock_assert_held checks). */
struct hv_mutex {
        pthread_mutex_t mutex;
        enum hv_lock_class lock_class;
        _Atomic(pthread_t) owner; /* 0 when free */
        _Atomic int held;
};

void hv_mutex_init(struct hv_mutex *m, enum hv_lock_class c);
void hv_mutex_destroy(struct hv_mutex *m);
void hv__mutex_lock(struct hv_mutex *m, const char *file, int line);
void hv__mutex_unlock(struct hv_mutex *m);
#define hv_mutex_lock(m) hv__mutex_lock((m), __FILE__, __LINE__)
#define hv_mutex_unlock(m) hv__mutex_unlock(m)
/* Returns true when the mutex was taken. A trylock cannot deadlock, so it is not checked
 * against the order, but once taken the mutex counts as held like any other. */
bool hv__mutex_trylock(struct hv_mutex *m, const char *file, int line);
#define hv_mutex_trylock(m) hv__mutex_trylock((m), __FILE__, __LINE__)
/* pthread_cond_wait/timedwait on a held hv_mutex (the validator checks it is held).
 * Return 0 or -errno (-ETIMEDOUT). */
int hv__mutex_cond_wait(struct hv_mutex *m, pthread_cond_t *c, const struct timespec *abstime,
                        const char *file, int line);
#define hv_mutex_cond_wait(m, c) hv__mutex_cond_wait((m), (c), NULL, __FILE__, __LINE__)
#define hv_mutex_cond_timedwait(m, c, abstime) hv__mutex_cond_wait((m), (c), (abstime), __FILE__, __LINE__)

/* Asserts (with the validator: aborts with a report; without: no-op) that the calling
 * thread holds the lock. Works for hv_mutex and for the read side of hv_srcu. */
#define hv_lock_assert_held(l) hv__lock_assert_held(&(l)->lock_class, __FILE__, __LINE__)
void hv__lock_assert_held(const enum hv_lock_class *lock, const char *file, int line);
/* The opposite (lockdep_assert_not_held): the calling thread does not hold the lock. */
#define hv_lock_assert_not_held(l) hv__lock_assert_not_held(&(l)->lock_class, __FILE__, __LINE__)
void hv__lock_assert_not_held(const enum hv_lock_class *lock, const char *file, int line);

/* Whether this build checks locks (false when the validator is compiled out). */
bool hv_lock_validator_enabled(void);
/* Forgets the lock orders observed so far (for test programs that reuse one process); only
 * while no other thread takes or releases locks. */
void hv_lock_validator_reset(void);
