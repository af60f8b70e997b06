/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's lock hierarchy (DESIGN.md, after the kernel's Documentation/virt/kvm/locking.rst).
 * Only direct orders are listed; hv_lock_order_allowed() uses their transitive closure.
 * A class with nothing inside it is a leaf. Pairs of non-leaf classes with no documented
 * order are left to the validator's observed-order (lockdep-style) check. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "lock/lock-hierarchy.h"
#include "macros.h"

#define B HV_LOCK_BIT

const struct hv_lock_class_info hv_lock_hierarchy[_HV_LOCK_CLASS_MAX] = {
        [HV_LOCK_VENDOR_MODULE] = {
                "vendor_module_lock", "vendor_module_lock", HV_LOCK_TYPE_MUTEX,
                /* unregistering checks the usage count */
                B(HV_LOCK_USAGE), -1,
                "loading and registering the vendor plugin, and the count of VMs holding its ops",
        },
        [HV_LOCK_USAGE] = {
                "hv_usage_lock", "kvm_usage_lock", HV_LOCK_TYPE_MUTEX,
                B(HV_LOCK_VM_LIST), -1,
                "the count of VMs using the vendor; hardware setup and teardown",
        },
        [HV_LOCK_VM_LIST] = {
                "hv_vm_list_lock", "kvm_lock", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "the list of VMs",
        },
        [HV_LOCK_VM] = {
                "vm->lock", "kvm->lock", HV_LOCK_TYPE_MUTEX,
                /* lifecycle: the state changes and the vCPUs are woken under it */
                B(HV_LOCK_VCPU) | B(HV_LOCK_SLOTS) | B(HV_LOCK_IRQ) | B(HV_LOCK_VCPU_WQ) | B(HV_LOCK_VM_STATE),
                -1,
                "VM-wide changes: lifecycle, vCPU creation",
        },
        [HV_LOCK_VCPU] = {
                "vcpu->mutex", "vcpu->mutex", HV_LOCK_TYPE_MUTEX,
                /* a vCPU thread that crashes or stops the VM sets its state and wakes the others */
                B(HV_LOCK_SRCU) | B(HV_LOCK_DEVICE) | B(HV_LOCK_VCPU_WQ) | B(HV_LOCK_VM_STATE),
                HV_LOCK_VM,
                "vCPU state; held by the vCPU thread while it runs",
        },
        [HV_LOCK_SLOTS] = {
                "vm->slots_lock", "kvm->slots_lock", HV_LOCK_TYPE_MUTEX,
                /* deleting a slot kicks every vCPU (MEMSLOT_RELOAD) */
                B(HV_LOCK_SLOTS_ARCH) | B(HV_LOCK_IRQ) | B(HV_LOCK_SRCU) | B(HV_LOCK_VCPU_WQ),
                -1,
                "memslot updates (hv_synchronize_srcu runs under it)",
        },
        [HV_LOCK_SLOTS_ARCH] = {
                "vm->slots_arch_lock", "kvm->slots_arch_lock", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "arch fields of memslots; released before hv_synchronize_srcu",
        },
        [HV_LOCK_IRQ] = {
                "vm->irq_lock", "kvm->irq_lock", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "interrupt lines (KVM_IRQ_LINE) and routing",
        },
        [HV_LOCK_SRCU] = {
                "vm->srcu", "kvm->srcu", HV_LOCK_TYPE_SRCU,
                /* the debug-exit device stops the VM from its PIO handler */
                B(HV_LOCK_SLOTS_ARCH) | B(HV_LOCK_IRQ) | B(HV_LOCK_DEVICE) | B(HV_LOCK_VCPU_WQ) | B(HV_LOCK_VM_STATE),
                -1,
                "memslots and the PIO/MMIO buses",
        },
        [HV_LOCK_DEVICE] = {
                "device->lock", "(none)", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "an emulated device's own state",
        },
        [HV_LOCK_VCPU_WQ] = {
                "vcpu->wq_lock", "vcpu->wait", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "a parked vCPU's wait queue: wq_cond and the wq_waiting flag",
        },
        [HV_LOCK_VM_STATE] = {
                "vm->state_lock", "(none)", HV_LOCK_TYPE_MUTEX,
                0, -1,
                "the VM's state, reason and exit code; park_cond",
        },
};

static uint32_t closure[_HV_LOCK_CLASS_MAX];
static pthread_once_t closure_once = PTHREAD_ONCE_INIT;
static _Atomic bool closure_ready; /* spares the validator's hot path a pthread_once call */

static void closure_compute(void)
{
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++)
                closure[c] = hv_lock_hierarchy[c].inside;
        /* Warshall: the table is tiny */
        for (int k = 0; k < _HV_LOCK_CLASS_MAX; k++)
                for (int i = 0; i < _HV_LOCK_CLASS_MAX; i++)
                        if (closure[i] & B(k))
                                closure[i] |= closure[k];
        atomic_store_explicit(&closure_ready, true, memory_order_release);
}

bool hv_lock_order_allowed(enum hv_lock_class outer, enum hv_lock_class inner)
{
        if (outer < 0 || outer >= _HV_LOCK_CLASS_MAX || inner < 0 || inner >= _HV_LOCK_CLASS_MAX)
                return false;
        if (!atomic_load_explicit(&closure_ready, memory_order_acquire))
                pthread_once(&closure_once, closure_compute);
        return closure[outer] & B(inner);
}

bool hv_lock_class_is_leaf(enum hv_lock_class c)
{
        return c >= 0 && c < _HV_LOCK_CLASS_MAX && hv_lock_hierarchy[c].inside == 0;
}

const char *hv_lock_class_to_string(enum hv_lock_class c)
{
        return c >= 0 && c < _HV_LOCK_CLASS_MAX ? hv_lock_hierarchy[c].name : NULL;
}

enum hv_lock_class hv_lock_class_from_string(const char *s)
{
        if (!s)
                return _HV_LOCK_CLASS_INVALID;
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++)
                if (strcmp(s, hv_lock_hierarchy[c].name) == 0)
                        return c;
        return _HV_LOCK_CLASS_INVALID;
}

static const char *const type_names[_HV_LOCK_TYPE_MAX] = {
        [HV_LOCK_TYPE_MUTEX] = "mutex",
        [HV_LOCK_TYPE_SRCU] = "srcu",
};

const char *hv_lock_type_to_string(enum hv_lock_type t)
{
        return t >= 0 && t < _HV_LOCK_TYPE_MAX ? type_names[t] : NULL;
}

enum hv_lock_type hv_lock_type_from_string(const char *s)
{
        if (!s)
                return _HV_LOCK_TYPE_INVALID;
        for (int t = 0; t < _HV_LOCK_TYPE_MAX; t++)
                if (strcmp(s, type_names[t]) == 0)
                        return t;
        return _HV_LOCK_TYPE_INVALID;
}
