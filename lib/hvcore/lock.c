/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER: plain pthread wrappers so that the tree links while the real locks and the
 * validator are written on the `locks` branch, which replaces this file. */
#include <stdlib.h>

#include "lock.h"

const char *hv_lock_class_to_string(enum hv_lock_class c)
{
        static const char *const names[_HV_LOCK_CLASS_MAX] = {
                "vendor_module_lock", "hv_usage_lock", "hv_vm_list_lock", "vm->lock", "vcpu->mutex",
                "vm->slots_lock", "vm->slots_arch_lock", "vm->irq_lock", "vm->srcu", "vm->mmu_lock",
                "vm->mn_invalidate_lock", "device->lock",
        };
        return c >= 0 && c < _HV_LOCK_CLASS_MAX ? names[c] : NULL;
}

void hv_mutex_init(struct hv_mutex *m, enum hv_lock_class c)
{
        pthread_mutex_init(&m->mutex, NULL);
        m->lock_class = c;
        m->held = 0;
}
void hv_mutex_destroy(struct hv_mutex *m) { pthread_mutex_destroy(&m->mutex); }
void hv__mutex_lock(struct hv_mutex *m, const char *file, int line)
{
        pthread_mutex_lock(&m->mutex);
        m->held = 1;
}
void hv__mutex_unlock(struct hv_mutex *m)
{
        m->held = 0;
        pthread_mutex_unlock(&m->mutex);
}
void hv_rwlock_init(struct hv_rwlock *l, enum hv_lock_class c)
{
        pthread_rwlock_init(&l->rwlock, NULL);
        l->lock_class = c;
}
void hv_rwlock_destroy(struct hv_rwlock *l) { pthread_rwlock_destroy(&l->rwlock); }
void hv__read_lock(struct hv_rwlock *l, const char *file, int line) { pthread_rwlock_rdlock(&l->rwlock); }
void hv__read_unlock(struct hv_rwlock *l) { pthread_rwlock_unlock(&l->rwlock); }
void hv__write_lock(struct hv_rwlock *l, const char *file, int line) { pthread_rwlock_wrlock(&l->rwlock); }
void hv__write_unlock(struct hv_rwlock *l) { pthread_rwlock_unlock(&l->rwlock); }
void hv_spin_lock_init(struct hv_spinlock *l, enum hv_lock_class c)
{
        atomic_flag_clear(&l->flag);
        l->lock_class = c;
}
void hv__spin_lock(struct hv_spinlock *l, const char *file, int line)
{
        while (atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire))
                ;
}
void hv__spin_unlock(struct hv_spinlock *l) { atomic_flag_clear_explicit(&l->flag, memory_order_release); }
void hv__lock_assert_held(const enum hv_lock_class *lock, const char *file, int line) {}
