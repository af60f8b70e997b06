/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "macros.h"
#include "mm/memslot.h"
#include "vm/request.h"
#include "vm/vm-internal.h"

static struct hv_memslots *slots_dup(const struct hv_memslots *old, uint32_t extra)
{
        uint32_t n = old ? old->n : 0;
        struct hv_memslots *s = malloc(sizeof(*s) + (n + extra) * sizeof(s->slots[0]));
        if (!s)
                return NULL;
        s->generation = old ? old->generation + 1 : 1;
        s->n = n;
        if (n)
                memcpy(s->slots, old->slots, n * sizeof(s->slots[0]));
        return s;
}

/* Publish under slots_lock, wait for the readers of the old array, free it. */
static void slots_publish(struct hv_vm *vm, struct hv_memslots *new)
{
        hv_lock_assert_held(&vm->slots_lock);
        struct hv_memslots *old = atomic_load_explicit(&vm->memslots, memory_order_relaxed);
        hv_srcu_assign_pointer(vm->memslots, new);
        hv_synchronize_srcu(&vm->srcu);
        free(old);
}

static int kvm_set_region(struct hv_vm *vm, const struct hv_memslot *s, bool delete)
{
        struct kvm_userspace_memory_region r = {
                .slot = s->id,
                .flags = s->flags,
                .guest_phys_addr = s->gpa,
                .memory_size = delete ? 0 : s->size,
                .userspace_addr = (uintptr_t)s->host,
        };
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
                return negative_errno();
        return 0;
}

static int slot_index(const struct hv_memslots *s, uint32_t id)
{
        for (uint32_t i = 0; s && i < s->n; i++)
                if (s->slots[i].id == id)
                        return (int)i;
        return -ENOENT;
}

int hv_memslot_set(struct hv_vm *vm, uint32_t id, uint64_t gpa, uint64_t size, void *host, uint32_t flags)
{
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
        if (size == 0 || gpa % page || size % page || (uintptr_t)host % page || gpa + size < gpa ||
            id >= HV_MEMSLOT_MAX)
                return -EINVAL;

        hv_mutex_lock(&vm->slots_lock);
        int r;
        struct hv_memslots *cur = atomic_load_explicit(&vm->memslots, memory_order_relaxed);
        int idx = slot_index(cur, id);
        struct hv_memslot slot = { .id = id, .flags = flags, .gpa = gpa, .size = size, .host = host };

        if (idx >= 0) {
                struct hv_memslot *o = &cur->slots[idx];
                if (o->gpa != gpa || o->size != size || o->host != host) {
                        r = -EEXIST; /* moving a slot is delete + add */
                        goto out;
                }
        } else {
                for (uint32_t i = 0; cur && i < cur->n; i++) {
                        const struct hv_memslot *o = &cur->slots[i];
                        if (gpa < o->gpa + o->size && o->gpa < gpa + size) {
                                r = -EEXIST;
                                goto out;
                        }
                }
        }

        hv_mutex_lock(&vm->slots_arch_lock);
        struct hv_memslots *new = slots_dup(cur, 1);
        if (!new) {
                hv_mutex_unlock(&vm->slots_arch_lock);
                r = -ENOMEM;
                goto out;
        }
        r = kvm_set_region(vm, &slot, false);
        if (r < 0) {
                hv_mutex_unlock(&vm->slots_arch_lock);
                free(new);
                goto out;
        }
        if (idx >= 0)
                new->slots[idx].flags = flags;
        else {
                uint32_t at = 0;
                while (at < new->n && new->slots[at].gpa < gpa)
                        at++;
                memmove(&new->slots[at + 1], &new->slots[at], (new->n - at) * sizeof(new->slots[0]));
                new->slots[at] = slot;
                new->n++;
        }
        hv_mutex_unlock(&vm->slots_arch_lock); /* released before the grace period */
        slots_publish(vm, new);
        r = 0;
out:
        hv_mutex_unlock(&vm->slots_lock);
        return r;
}

int hv_memslot_delete(struct hv_vm *vm, uint32_t id)
{
        hv_mutex_lock(&vm->slots_lock);
        int r;
        struct hv_memslots *cur = atomic_load_explicit(&vm->memslots, memory_order_relaxed);
        int idx = slot_index(cur, id);
        if (idx < 0) {
                r = idx;
                goto out;
        }

        /* 1. readers stop using it */
        hv_mutex_lock(&vm->slots_arch_lock);
        struct hv_memslots *invalid = slots_dup(cur, 0), *gone = slots_dup(cur, 0);
        if (!invalid || !gone) {
                hv_mutex_unlock(&vm->slots_arch_lock);
                free(invalid);
                free(gone);
                r = -ENOMEM;
                goto out;
        }
        invalid->slots[idx].invalid = true;
        struct hv_memslot victim = cur->slots[idx];
        hv_mutex_unlock(&vm->slots_arch_lock);
        slots_publish(vm, invalid);

        /* 2. KVM forgets it, and no vCPU stays in a guest entry that began before */
        r = kvm_set_region(vm, &victim, true);
        if (r >= 0 && vm->vcpus)
                hv_make_all_vcpus_request(vm, HV_REQ_MEMSLOT_RELOAD);

        /* 3. the array without it; on a KVM failure, the slot becomes valid again */
        hv_mutex_lock(&vm->slots_arch_lock);
        if (r >= 0) {
                memmove(&gone->slots[idx], &gone->slots[idx + 1], (gone->n - idx - 1) * sizeof(gone->slots[0]));
                gone->n--;
        }
        gone->generation = invalid->generation + 1;
        hv_mutex_unlock(&vm->slots_arch_lock);
        slots_publish(vm, gone);
out:
        hv_mutex_unlock(&vm->slots_lock);
        return r;
}

const struct hv_memslots *hv_memslots_get(struct hv_vm *vm)
{
        hv_lock_assert_held(&vm->srcu);
        return hv_srcu_dereference(vm->memslots);
}

const struct hv_memslot *hv_memslot_find(const struct hv_memslots *slots, uint64_t gpa)
{
        if (!slots)
                return NULL;
        uint32_t lo = 0, hi = slots->n;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                const struct hv_memslot *s = &slots->slots[mid];
                if (gpa < s->gpa)
                        hi = mid;
                else if (gpa - s->gpa >= s->size)
                        lo = mid + 1;
                else
                        return s->invalid ? NULL : s;
        }
        return NULL;
}

void *hv_gpa_to_hva(struct hv_vm *vm, uint64_t gpa, uint64_t len)
{
        const struct hv_memslot *s = hv_memslot_find(hv_memslots_get(vm), gpa);
        if (!s || len > s->size - (gpa - s->gpa))
                return NULL;
        return s->host + (gpa - s->gpa);
}

void hv_memslots_free_all(struct hv_vm *vm)
{
        free(atomic_exchange(&vm->memslots, NULL));
}
