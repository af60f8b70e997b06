/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-locks: the lock sources are compiled twice into the benchmark, once with the validator
 * forced on and once forced off, so both run in one process on the same machine state. Each
 * copy gets its symbols prefixed (this header is force-included with BENCH_VARIANT set) and
 * exports the same table of timed loops. */
#pragma once

struct bench_op {
        const char *name;
        /* runs the operation n times */
        void (*loop)(long n);
        /* iterations are divided by this for slow operations */
        int divisor;
};

#define BENCH_CAT_(a, b) a##_##b
#define BENCH_CAT(a, b) BENCH_CAT_(a, b)

#ifdef BENCH_VARIANT
#define BENCH_NAME(x) BENCH_CAT(BENCH_VARIANT, x)
/* lock.h */
#define hv_lock_class_to_string BENCH_NAME(hv_lock_class_to_string)
#define hv_lock_class_from_string BENCH_NAME(hv_lock_class_from_string)
#define hv_lock_type_to_string BENCH_NAME(hv_lock_type_to_string)
#define hv_lock_type_from_string BENCH_NAME(hv_lock_type_from_string)
#define hv_mutex_init BENCH_NAME(hv_mutex_init)
#define hv_mutex_destroy BENCH_NAME(hv_mutex_destroy)
#define hv__mutex_lock BENCH_NAME(hv__mutex_lock)
#define hv__mutex_unlock BENCH_NAME(hv__mutex_unlock)
#define hv__mutex_trylock BENCH_NAME(hv__mutex_trylock)
#define hv__mutex_cond_wait BENCH_NAME(hv__mutex_cond_wait)
#define hv__lock_assert_held BENCH_NAME(hv__lock_assert_held)
#define hv__lock_assert_not_held BENCH_NAME(hv__lock_assert_not_held)
#define hv_lock_validator_enabled BENCH_NAME(hv_lock_validator_enabled)
#define hv_lock_validator_reset BENCH_NAME(hv_lock_validator_reset)
/* lock-hierarchy.h */
#define hv_lock_hierarchy BENCH_NAME(hv_lock_hierarchy)
#define hv_lock_order_allowed BENCH_NAME(hv_lock_order_allowed)
#define hv_lock_class_is_leaf BENCH_NAME(hv_lock_class_is_leaf)
/* lock-validator.h */
#define hv_lock_validator_init BENCH_NAME(hv_lock_validator_init)
#define hv_lock_validator_check BENCH_NAME(hv_lock_validator_check)
#define hv_lock_validator_push BENCH_NAME(hv_lock_validator_push)
#define hv_lock_validator_pop BENCH_NAME(hv_lock_validator_pop)
#define hv_lock_validator_synchronize BENCH_NAME(hv_lock_validator_synchronize)
#define hv_lock_validator_destroy BENCH_NAME(hv_lock_validator_destroy)
/* srcu.h */
#define hv_srcu_init BENCH_NAME(hv_srcu_init)
#define hv_srcu_destroy BENCH_NAME(hv_srcu_destroy)
#define hv__srcu_read_lock BENCH_NAME(hv__srcu_read_lock)
#define hv__srcu_read_unlock BENCH_NAME(hv__srcu_read_unlock)
#define hv__synchronize_srcu BENCH_NAME(hv__synchronize_srcu)
/* the variant's own table */
#define bench_locks_ops BENCH_NAME(bench_locks_ops)
int bench_locks_ops(const struct bench_op **ret_ops);
#else
int validator_on_bench_locks_ops(const struct bench_op **ret_ops);
int validator_off_bench_locks_ops(const struct bench_op **ret_ops);
#endif
