/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's typed locks: pthread mutexes, each created with its class (SRCU is in srcu.c).
 * With the validator built in, every acquisition is checked before it blocks (so a would-be
 * deadlock is reported instead of hanging) and recorded once it succeeds. Without it these are
 * the bare pthread calls. */
#include "lock/lock.h"
#include "lock/lock-validator.h"

#ifdef HV_LOCK_VALIDATOR_ON
#define CALLER __builtin_return_address(0)
#define VALIDATE(x) x
#else
#define VALIDATE(x) \
        do {        \
        } while (0)
#endif

void hv_mutex_init(struct hv_mutex *m, enum hv_lock_class c)
{
        pthread_mutex_init(&m->mutex, NULL);
        m->lock_class = c;
        atomic_init(&m->owner, (pthread_t)0);
        atomic_init(&m->held, 0);
        VALIDATE(hv_lock_validator_init(&m->lock_class, HV_LOCK_TYPE_MUTEX, CALLER));
}

void hv_mutex_destroy(struct hv_mutex *m)
{
        VALIDATE(hv_lock_validator_destroy(&m->lock_class, CALLER));
        pthread_mutex_destroy(&m->mutex);
}

#ifdef HV_LOCK_VALIDATOR_ON
static void mutex_mark(struct hv_mutex *m, bool held)
{
        atomic_store_explicit(&m->owner, held ? pthread_self() : (pthread_t)0, memory_order_relaxed);
        atomic_store_explicit(&m->held, held, memory_order_relaxed);
}
#endif

void hv__mutex_lock(struct hv_mutex *m, const char *file, int line)
{
        VALIDATE(hv_lock_validator_check(&m->lock_class, HV_LOCK_MODE_EXCLUSIVE, file, line));
        pthread_mutex_lock(&m->mutex);
        VALIDATE(hv_lock_validator_push(&m->lock_class, HV_LOCK_MODE_EXCLUSIVE, file, line));
        VALIDATE(mutex_mark(m, true));
}

bool hv__mutex_trylock(struct hv_mutex *m, const char *file, int line)
{
        if (pthread_mutex_trylock(&m->mutex) != 0)
                return false;
        VALIDATE(hv_lock_validator_push(&m->lock_class, HV_LOCK_MODE_EXCLUSIVE, file, line));
        VALIDATE(mutex_mark(m, true));
        return true;
}

void hv__mutex_unlock(struct hv_mutex *m)
{
        VALIDATE(hv_lock_validator_pop(&m->lock_class, HV_LOCK_MODE_EXCLUSIVE, CALLER));
        VALIDATE(mutex_mark(m, false));
        pthread_mutex_unlock(&m->mutex);
}

int hv__mutex_cond_wait(struct hv_mutex *m, pthread_cond_t *c, const struct timespec *abstime, const char *file,
                        int line)
{
        VALIDATE(hv__lock_assert_held(&m->lock_class, file, line));
        VALIDATE(mutex_mark(m, false));
        int r = abstime ? pthread_cond_timedwait(c, &m->mutex, abstime) : pthread_cond_wait(c, &m->mutex);
        VALIDATE(mutex_mark(m, true));
        return -r;
}
