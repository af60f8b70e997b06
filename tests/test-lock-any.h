/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For the lock tests: one lock of any class, created with the type its class calls for, so a
 * test can walk the hierarchy table and take "a lock of class c". */
#pragma once

#include "lock/lock-hierarchy.h"
#include "lock/lock.h"
#include "lock/srcu.h"

struct any_lock {
        enum hv_lock_class c;
        int srcu_idx;
        union {
                struct hv_mutex m;
                struct hv_rwlock rw;
                struct hv_spinlock sp;
                struct hv_srcu s;
        };
};

static inline void any_init(struct any_lock *l, enum hv_lock_class c)
{
        l->c = c;
        switch (hv_lock_hierarchy[c].type) {
        case HV_LOCK_TYPE_MUTEX: hv_mutex_init(&l->m, c); break;
        case HV_LOCK_TYPE_RWLOCK: hv_rwlock_init(&l->rw, c); break;
        case HV_LOCK_TYPE_SPINLOCK: hv_spin_lock_init(&l->sp, c); break;
        default: hv_srcu_init(&l->s); break;
        }
}

/* Takes the lock (the write side of an rwlock, the read side of SRCU), reporting file:line. */
static inline void any_take_at(struct any_lock *l, const char *file, int line)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: hv__mutex_lock(&l->m, file, line); break;
        case HV_LOCK_TYPE_RWLOCK: hv__write_lock(&l->rw, file, line); break;
        case HV_LOCK_TYPE_SPINLOCK: hv__spin_lock(&l->sp, file, line); break;
        default: l->srcu_idx = hv__srcu_read_lock(&l->s, file, line); break;
        }
}
#define any_take(l) any_take_at((l), __FILE__, __LINE__)

/* The lock's identity, for hv__lock_assert_held. */
static inline const enum hv_lock_class *any_id(const struct any_lock *l)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: return &l->m.lock_class;
        case HV_LOCK_TYPE_RWLOCK: return &l->rw.lock_class;
        case HV_LOCK_TYPE_SPINLOCK: return &l->sp.lock_class;
        default: return &l->s.lock_class;
        }
}

static inline void any_release(struct any_lock *l)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: hv_mutex_unlock(&l->m); break;
        case HV_LOCK_TYPE_RWLOCK: hv_write_unlock(&l->rw); break;
        case HV_LOCK_TYPE_SPINLOCK: hv_spin_unlock(&l->sp); break;
        default: hv_srcu_read_unlock(&l->s, l->srcu_idx); break;
        }
}
