/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PIO and MMIO buses: address ranges handled by emulated devices. Like memslots, a bus is an
 * immutable sorted array replaced under vm->slots_lock and read under vm->srcu, so vCPU
 * threads dispatch exits without a lock. Device callbacks run on vCPU threads inside the
 * SRCU read side: they may take their own HV_LOCK_DEVICE lock, nothing else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct hv_vm;

enum hv_bus_kind {
        HV_BUS_PIO,
        HV_BUS_MMIO,
        _HV_BUS_MAX,
};

struct hv_io_ops {
        /* offset is relative to the range's base; len is 1, 2, 4 or 8. 0 or -errno (an
         * error is the device's business: a read then returns all ones). */
        int (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
        int (*write)(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct hv_bus_range {
        uint64_t base, len;
        const struct hv_io_ops *ops;
        void *opaque;
};

struct hv_bus {
        uint32_t n;
        struct hv_bus_range ranges[]; /* sorted by base, no overlaps */
};

#define HV_BUS_MAX_RANGES 256

/* Adds [base, base+len) (no overlap: -EEXIST). Takes slots_lock. */
int hv_bus_register(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t base, uint64_t len,
                    const struct hv_io_ops *ops, void *opaque);
/* Removes the range starting at base; when it returns no vCPU is inside its callbacks. */
int hv_bus_unregister(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t base);
/* Dispatches one access (vm->srcu held, asserted). Returns 0 when a device handled it, -ENODEV when
 * none is there (reads are then all ones, writes dropped). */
int hv_bus_dispatch(struct hv_vm *vm, enum hv_bus_kind kind, uint64_t addr, bool is_write,
                    uint8_t *data, uint32_t len);
void hv_buses_free_all(struct hv_vm *vm);
