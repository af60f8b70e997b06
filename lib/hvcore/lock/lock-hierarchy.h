/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lock hierarchy as data: one entry per lock class, with the classes that may be taken
 * while it is held. The validator checks against this table, and test-lock-manpage checks
 * that hvcore-locking(7) documents the same table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lock/lock.h"

/* internal to libhvcore: not exported from libhvcore.so */
#define HV_INTERNAL __attribute__((visibility("hidden")))

#define HV_LOCK_BIT(c) (UINT32_C(1) << (c))

struct hv_lock_class_info {
        const char *name;     /* as hvd's code and hvcore-locking(7) spell it */
        const char *kvm_name; /* the lock of Documentation/virt/kvm/locking.rst it follows */
        enum hv_lock_type type;
        uint32_t inside; /* HV_LOCK_BIT()s of the classes that may be taken while it is held */
        /* Another lock of the same class may be taken while one is held, but only by a
         * thread that holds nest_under (KVM's mutex_lock_nest_lock); else -1. */
        int nest_under;
        const char *protects;
};

HV_INTERNAL extern const struct hv_lock_class_info hv_lock_hierarchy[_HV_LOCK_CLASS_MAX];

/* The documented order, transitively closed: may `inner` be taken while `outer` is held? */
HV_INTERNAL bool hv_lock_order_allowed(enum hv_lock_class outer, enum hv_lock_class inner);
/* A leaf class: nothing may be taken inside it (its `inside` set is empty). */
HV_INTERNAL bool hv_lock_class_is_leaf(enum hv_lock_class c);
