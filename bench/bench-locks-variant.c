/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The timed loops of bench-locks, compiled once per validator setting (see bench-locks.h).
 * Each loop takes and releases one lock n times, uncontended, from one thread. */
#include <stdbool.h>

#include "lock/lock.h"
#include "lock/srcu.h"

static struct hv_mutex vm_lock, vcpu_mutex, device_lock;
static struct hv_srcu srcu;

static void setup(void)
{
        static bool done;
        if (done)
                return;
        done = true;
        hv_mutex_init(&vm_lock, HV_LOCK_VM);
        hv_mutex_init(&vcpu_mutex, HV_LOCK_VCPU);
        hv_mutex_init(&device_lock, HV_LOCK_DEVICE);
        hv_srcu_init(&srcu);
}

static void mutex_loop(long n)
{
        for (long i = 0; i < n; i++) {
                hv_mutex_lock(&device_lock);
                hv_mutex_unlock(&device_lock);
        }
}

/* the validator checks against every held lock: cost with two held (a vCPU exit's depth) */
static void mutex_nested_loop(long n)
{
        hv_mutex_lock(&vm_lock);
        hv_mutex_lock(&vcpu_mutex);
        for (long i = 0; i < n; i++) {
                hv_mutex_lock(&device_lock);
                hv_mutex_unlock(&device_lock);
        }
        hv_mutex_unlock(&vcpu_mutex);
        hv_mutex_unlock(&vm_lock);
}

static void srcu_read_loop(long n)
{
        for (long i = 0; i < n; i++) {
                int idx = hv_srcu_read_lock(&srcu);
                hv_srcu_read_unlock(&srcu, idx);
        }
}

static void synchronize_loop(long n)
{
        for (long i = 0; i < n; i++)
                hv_synchronize_srcu(&srcu);
}

static const struct bench_op ops[] = {
        {"mutex lock+unlock", mutex_loop, 1},
        {"mutex lock+unlock, 2 held", mutex_nested_loop, 1},
        {"srcu read lock+unlock", srcu_read_loop, 1},
        {"synchronize_srcu, no reader", synchronize_loop, 1000},
        {NULL, NULL, 0},
};

int bench_locks_ops(const struct bench_op **ret_ops)
{
        setup();
        *ret_ops = ops;
        return hv_lock_validator_enabled();
}
