/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm->srcu: sleepable read-copy-update over liburcu (the bulletproof flavour, so no thread
 * has to register). Readers may sleep; hv_synchronize_srcu waits for every reader that
 * started before it. Rules (checked by the validator): no slots_lock, vm->lock or
 * vcpu->mutex inside a read side, and no hv_synchronize_srcu inside one; slots_arch_lock is
 * allowed.
 *
 * CONTRACT (implemented in srcu.c). */
#pragma once

#include "lock/lock.h"

struct hv_srcu {
        enum hv_lock_class lock_class; /* HV_LOCK_SRCU */
};

void hv_srcu_init(struct hv_srcu *s);
void hv_srcu_destroy(struct hv_srcu *s);
/* Returns an index to hand back to hv_srcu_read_unlock. */
int hv__srcu_read_lock(struct hv_srcu *s, const char *file, int line);
void hv__srcu_read_unlock(struct hv_srcu *s, int idx);
#define hv_srcu_read_lock(s) hv__srcu_read_lock((s), __FILE__, __LINE__)
#define hv_srcu_read_unlock(s, idx) hv__srcu_read_unlock((s), (idx))
void hv__synchronize_srcu(struct hv_srcu *s, const char *file, int line);
#define hv_synchronize_srcu(s) hv__synchronize_srcu((s), __FILE__, __LINE__)

/* Publish and read SRCU-protected pointers (rcu_assign_pointer / rcu_dereference). */
#define hv_srcu_assign_pointer(p, v) atomic_store_explicit(&(p), (v), memory_order_release)
#define hv_srcu_dereference(p) atomic_load_explicit(&(p), memory_order_consume)
