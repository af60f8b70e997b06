/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"
#include "macros.h"
#include "vm/vm-internal.h"

static int bus_replace(struct hv_vm *vm, enum hv_bus_kind kind, struct hv_bus *new)
{
        hv_lock_assert_held(&vm->slots_lock);
        struct hv_bus *old = atomic_load_explicit(&vm->buses[kind], memory_order_relaxed);
        hv_srcu_assign_pointer(vm->buses[kind], new);
        hv_synchronize_srcu(&vm->srcu);
        free(old);
        return 0;
}

int hv_bus_register(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t base, uint64_t len,
                    const struct hv_io_ops *ops, void *opaque)
{
        if (kind < 0 || kind >= _HV_BUS_MAX || len == 0 || base + len < base || !ops)
                return -EINVAL;
        hv_mutex_lock(&vm->slots_lock);
        int r;
        struct hv_bus *cur = atomic_load_explicit(&vm->buses[kind], memory_order_relaxed);
        uint32_t n = cur ? cur->n : 0;
        if (n >= HV_BUS_MAX_RANGES) {
                r = -ENOSPC;
                goto out;
        }
        uint32_t at = 0;
        for (uint32_t i = 0; i < n; i++) {
                const struct hv_bus_range *o = &cur->ranges[i];
                if (base < o->base + o->len && o->base < base + len) {
                        r = -EEXIST;
                        goto out;
                }
                if (o->base < base)
                        at = i + 1;
        }
        struct hv_bus *new = malloc(sizeof(*new) + (n + 1) * sizeof(new->ranges[0]));
        if (!new) {
                r = -ENOMEM;
                goto out;
        }
        if (n)
                memcpy(new->ranges, cur->ranges, n * sizeof(new->ranges[0]));
        memmove(&new->ranges[at + 1], &new->ranges[at], (n - at) * sizeof(new->ranges[0]));
        new->ranges[at] = (struct hv_bus_range){ .base = base, .len = len, .ops = ops, .opaque = opaque };
        new->n = n + 1;
        r = bus_replace(vm, kind, new);
out:
        hv_mutex_unlock(&vm->slots_lock);
        return r;
}

int hv_bus_unregister(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t base)
{
        if (kind < 0 || kind >= _HV_BUS_MAX)
                return -EINVAL;
        hv_mutex_lock(&vm->slots_lock);
        int r = -ENOENT;
        struct hv_bus *cur = atomic_load_explicit(&vm->buses[kind], memory_order_relaxed);
        for (uint32_t i = 0; cur && i < cur->n; i++) {
                if (cur->ranges[i].base != base)
                        continue;
                struct hv_bus *new = malloc(sizeof(*new) + cur->n * sizeof(new->ranges[0]));
                if (!new) {
                        r = -ENOMEM;
                        break;
                }
                memcpy(new->ranges, cur->ranges, i * sizeof(new->ranges[0]));
                memcpy(&new->ranges[i], &cur->ranges[i + 1], (cur->n - i - 1) * sizeof(new->ranges[0]));
                new->n = cur->n - 1;
                r = bus_replace(vm, kind, new);
                break;
        }
        hv_mutex_unlock(&vm->slots_lock);
        return r;
}

int hv_bus_dispatch(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t addr, bool is_write,
                    uint8_t *data, uint32_t len)
{
        hv_lock_assert_held(&vm->srcu);
        const struct hv_bus *bus = hv_srcu_dereference(vm->buses[kind]);
        uint32_t lo = 0, hi = bus ? bus->n : 0;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                const struct hv_bus_range *r = &bus->ranges[mid];
                if (addr < r->base)
                        hi = mid;
                else if (addr - r->base >= r->len)
                        lo = mid + 1;
                else {
                        /* an access straddling the range's end is the guest's bug: clip it */
                        uint64_t off = addr - r->base;
                        if (len > r->len - off)
                                break;
                        int k = is_write ? (r->ops->write ? r->ops->write(r->opaque, off, data, len) : 0)
                                         : (r->ops->read ? r->ops->read(r->opaque, off, data, len) : -EIO);
                        if (k < 0 && !is_write)
                                memset(data, 0xff, len);
                        return 0;
                }
        }
        if (!is_write)
                memset(data, 0xff, len);
        return -ENODEV;
}

void hv_buses_free_all(struct hv_vm *vm)
{
        for (int k = 0; k < _HV_BUS_MAX; k++)
                free(atomic_exchange(&vm->buses[k], NULL));
}
