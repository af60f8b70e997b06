/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm->srcu over liburcu's bulletproof flavour: no thread registers, read sides may sleep.
 * liburcu-bp has one grace-period domain per process, so hv_synchronize_srcu waits for the
 * read sides of every hv_srcu, not only its own: correct, sometimes longer. It also means a
 * synchronize inside any read side would wait for itself, which the validator reports.
 *
 * ThreadSanitizer cannot see liburcu's grace periods (the library is not instrumented), so
 * under TSan each read side ends with a release and each grace period with an acquire on one
 * address: the happens-before that RCU guarantees, stated where TSan sees it rather than left
 * to whatever of liburcu's internals it happens to intercept.
 */
#include <urcu-bp.h>

#include "lock/lock-validator.h"
#include "lock/srcu.h"

#if defined(__SANITIZE_THREAD__)
#define HV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HV_TSAN 1
#endif
#endif

#ifdef HV_TSAN
#include <sanitizer/tsan_interface.h>
static char grace_period; /* the address TSan synchronizes on */
#define tsan_release() __tsan_release(&grace_period)
#define tsan_acquire() __tsan_acquire(&grace_period)
#else
#define tsan_release() do {} while (0)
#define tsan_acquire() do {} while (0)
#endif

void hv_srcu_init(struct hv_srcu *s)
{
        s->lock_class = HV_LOCK_SRCU;
#ifdef HV_LOCK_VALIDATOR_ON
        hv_lock_validator_init(&s->lock_class, HV_LOCK_TYPE_SRCU, __builtin_return_address(0));
#endif
}

void hv_srcu_destroy(struct hv_srcu *s)
{
#ifdef HV_LOCK_VALIDATOR_ON
        hv_lock_validator_destroy(&s->lock_class, __builtin_return_address(0));
#endif
}

int hv__srcu_read_lock(struct hv_srcu *s, const char *file, int line)
{
#ifdef HV_LOCK_VALIDATOR_ON
        hv_lock_validator_check(&s->lock_class, HV_LOCK_MODE_SRCU_READ, file, line);
        hv_lock_validator_push(&s->lock_class, HV_LOCK_MODE_SRCU_READ, file, line);
#endif
        urcu_bp_read_lock();
        return 0;
}

void hv__srcu_read_unlock(struct hv_srcu *s, int idx)
{
#ifdef HV_LOCK_VALIDATOR_ON
        hv_lock_validator_pop(&s->lock_class, HV_LOCK_MODE_SRCU_READ, __builtin_return_address(0));
#endif
        tsan_release();
        urcu_bp_read_unlock();
}

void hv__synchronize_srcu(struct hv_srcu *s, const char *file, int line)
{
#ifdef HV_LOCK_VALIDATOR_ON
        hv_lock_validator_synchronize(&s->lock_class, file, line);
#endif
        urcu_bp_synchronize_rcu();
        tsan_acquire();
}
