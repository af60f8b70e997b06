/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime lock validator behind lock.c and srcu.c: a per-thread stack of held locks
 * (with where each was taken) checked on every acquisition against the hierarchy table and
 * against the orders any thread has shown so far. A violation is reported on stderr and the
 * process aborts. Only built with HV_LOCK_VALIDATOR_ON. */
#pragma once

#include "lock/lock.h"

/* internal to libhvcore: not exported from libhvcore.so */
#define HV_INTERNAL __attribute__((visibility("hidden")))

enum hv_lock_mode {
        HV_LOCK_MODE_EXCLUSIVE, /* mutex */
        HV_LOCK_MODE_SRCU_READ, /* SRCU read side: never blocks, may nest */
};

/* A lock is created (by the code at `from`): its class must exist and be of the lock's type. */
HV_INTERNAL void hv_lock_validator_init(const enum hv_lock_class *lock, enum hv_lock_type type, const void *from);
/* Before blocking on a lock: aborts if taking it could deadlock. */
HV_INTERNAL void hv_lock_validator_check(const enum hv_lock_class *lock, enum hv_lock_mode mode, const char *file,
                             int line);
/* The lock is now held by this thread. A thread that ends with locks or read sides still held
 * is reported when it exits. */
HV_INTERNAL void hv_lock_validator_push(const enum hv_lock_class *lock, enum hv_lock_mode mode, const char *file,
                            int line);
/* The lock is released by this thread; `from` is the caller, for the report. */
HV_INTERNAL void hv_lock_validator_pop(const enum hv_lock_class *lock, enum hv_lock_mode mode, const void *from);
/* Before hv_synchronize_srcu: waits for readers, so nothing a reader takes may be held. */
HV_INTERNAL void hv_lock_validator_synchronize(const enum hv_lock_class *srcu, const char *file, int line);
/* The lock is going away: it must not be held by this thread; `from` is the caller. */
HV_INTERNAL void hv_lock_validator_destroy(const enum hv_lock_class *lock, const void *from);
