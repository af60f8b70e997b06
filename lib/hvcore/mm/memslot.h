/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Memslots: guest-physical ranges backed by host memory. The slot array is immutable once
 * published; updates copy it under vm->slots_lock, publish the copy, wait for a vm->srcu
 * grace period and free the old one. Readers hold vm->srcu. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct hv_vm;

#define HV_MEMSLOT_MAX 64

struct hv_memslot {
        uint32_t id;    /* KVM slot number */
        uint32_t flags; /* KVM_MEM_* (KVM_MEM_LOG_DIRTY_PAGES later) */
        uint64_t gpa, size;
        uint8_t *host;
        bool invalid; /* being deleted: readers skip it */
};

struct hv_memslots {
        uint64_t generation;
        uint32_t n;
        struct hv_memslot slots[]; /* sorted by gpa, no overlaps */
};

/* Adds slot `id` (gpa, size and host page aligned; no overlap), or changes its flags when
 * it exists with the same range. The caller keeps the host mapping alive until the slot is
 * deleted. Takes vm->slots_lock: not from inside an SRCU read side. */
int hv_memslot_set(struct hv_vm *vm, uint32_t id, uint64_t gpa, uint64_t size, void *host, uint32_t flags);
/* Deletes slot `id`: marks it invalid and waits for readers, removes it from KVM, forces every
 * vCPU out of guest mode once (MEMSLOT_RELOAD with WAIT), publishes the array without it and
 * waits for readers again. When it returns the caller may unmap the host memory. */
int hv_memslot_delete(struct hv_vm *vm, uint32_t id);

/* Read side: vm->srcu held (asserted). */
const struct hv_memslots *hv_memslots_get(struct hv_vm *vm);
const struct hv_memslot *hv_memslot_find(const struct hv_memslots *slots, uint64_t gpa);
/* Host address of [gpa, gpa+len) if it lies inside one valid slot, else NULL. */
void *hv_gpa_to_hva(struct hv_vm *vm, uint64_t gpa, uint64_t len);

/* Frees the array at VM teardown (no readers left). */
void hv_memslots_free_all(struct hv_vm *vm);
