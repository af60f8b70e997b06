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
                struct hv_srcu s;
        };
};

static inline void any_init(struct any_lock *l, enum hv_lock_class c)
{
        l->c = c;
        switch (hv_lock_hierarchy[c].type) {
        case HV_LOCK_TYPE_MUTEX: hv_mutex_init(&l->m, c); break;
        default: hv_srcu_init(&l->s); break;
        }
}

/* Takes the lock (the read side of SRCU), reporting file:line. */
static inline void any_take_at(struct any_lock *l, const char *file, int line)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: hv__mutex_lock(&l->m, file, line); break;
        default: l->srcu_idx = hv__srcu_read_lock(&l->s, file, line); break;
        }
}
#define any_take(l) any_take_at((l), __FILE__, __LINE__)

/* The lock's identity, for hv__lock_assert_held. */
static inline const enum hv_lock_class *any_id(const struct any_lock *l)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: return &l->m.lock_class;
        default: return &l->s.lock_class;
        }
}

static inline void any_release(struct any_lock *l)
{
        switch (hv_lock_hierarchy[l->c].type) {
        case HV_LOCK_TYPE_MUTEX: hv_mutex_unlock(&l->m); break;
        default: hv_srcu_read_unlock(&l->s, l->srcu_idx); break;
        }
}
