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
        HV_LOCK_MMU,             /* vm->mmu_lock (rwlock) */
        HV_LOCK_MN_INVALIDATE,   /* vm->mn_invalidate_lock (spinlock) */
        HV_LOCK_DEVICE,          /* an emulated device's own state (mutex, leaf) */
        _HV_LOCK_CLASS_MAX,
        _HV_LOCK_CLASS_INVALID = -22,
};

const char *hv_lock_class_to_string(enum hv_lock_class c);

struct hv_mutex {
        pthread_mutex_t mutex;
        enum hv_lock_class lock_class;
        _Atomic(pthread_t) owner; /* for hv_lock_assert_held; 0 when free */
        _Atomic int held;
};
struct hv_rwlock {
        pthread_rwlock_t rwlock;
        enum hv_lock_class lock_class;
        _Atomic int writers;
        _Atomic int readers;
};
struct hv_spinlock {
        atomic_flag flag;
        enum hv_lock_class lock_class;
        _Atomic int held;
};

void hv_mutex_init(struct hv_mutex *m, enum hv_lock_class c);
void hv_mutex_destroy(struct hv_mutex *m);
void hv__mutex_lock(struct hv_mutex *m, const char *file, int line);
void hv__mutex_unlock(struct hv_mutex *m);
#define hv_mutex_lock(m) hv__mutex_lock((m), __FILE__, __LINE__)
#define hv_mutex_unlock(m) hv__mutex_unlock(m)

void hv_rwlock_init(struct hv_rwlock *l, enum hv_lock_class c);
void hv_rwlock_destroy(struct hv_rwlock *l);
void hv__read_lock(struct hv_rwlock *l, const char *file, int line);
void hv__read_unlock(struct hv_rwlock *l);
void hv__write_lock(struct hv_rwlock *l, const char *file, int line);
void hv__write_unlock(struct hv_rwlock *l);
#define hv_read_lock(l) hv__read_lock((l), __FILE__, __LINE__)
#define hv_read_unlock(l) hv__read_unlock(l)
#define hv_write_lock(l) hv__write_lock((l), __FILE__, __LINE__)
#define hv_write_unlock(l) hv__write_unlock(l)

void hv_spin_lock_init(struct hv_spinlock *l, enum hv_lock_class c);
void hv__spin_lock(struct hv_spinlock *l, const char *file, int line);
void hv__spin_unlock(struct hv_spinlock *l);
#define hv_spin_lock(l) hv__spin_lock((l), __FILE__, __LINE__)
#define hv_spin_unlock(l) hv__spin_unlock(l)

/* Asserts (with the validator: aborts with a report; without: no-op) that the calling
 * thread holds the lock. Works for hv_mutex, hv_rwlock (either side) and hv_spinlock. */
#define hv_lock_assert_held(l) hv__lock_assert_held(&(l)->lock_class, __FILE__, __LINE__)
void hv__lock_assert_held(const enum hv_lock_class *lock, const char *file, int line);
