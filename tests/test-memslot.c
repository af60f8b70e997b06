/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Memslots and buses: validation, dispatch, and memslots added and deleted while vCPUs run
 * and a host reader translates guest addresses under SRCU: the guest keeps running, and
 * nobody touches a slot's memory after hv_memslot_delete returned (it is unmapped at once,
 * so a late access faults, under ASan or not). */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/bus.h"
#include "hv-test.h"
#include "vm/request.h"
#include "macros.h"
#include "mm/memslot.h"
#include "test-vm-guest.h"

#define SLOT1_GPA 0x1000000u /* 16 MiB */
#define SLOT1_SIZE 0x10000u

/* inc dword [ebx]; mov [SLOT1_GPA], ebx; jmp: writes the slot when it is there, makes an
 * MMIO exit when it is not. */
static const uint8_t writer_code[] = {
        0xff, 0x03,                         /* 0: inc dword [ebx] */
        0x89, 0x1d, 0x00, 0x00, 0x00, 0x01, /* 2: mov [0x1000000], ebx */
        0xeb, 0xf6,                         /* 8: jmp 0 */
};
static const struct raw_guest guest_writer = { writer_code, sizeof(writer_code), { 0 } };

START_TEST(test_memslot_validation)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        void *mem = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(mem, MAP_FAILED);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA + 1, SLOT1_SIZE, mem, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, SLOT1_SIZE - 1, mem, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, SLOT1_SIZE, (uint8_t *)mem + 1, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, 0, mem, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, HV_MEMSLOT_MAX, SLOT1_GPA, SLOT1_SIZE, mem, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, 1, UINT64_MAX & ~0xfffull, 0x2000, mem, 0), -EINVAL);
        ck_assert_int_eq(hv_memslot_set(vm, 1, 0x100000, SLOT1_SIZE, mem, 0), -EEXIST); /* inside RAM */
        ck_assert_int_eq(hv_memslot_delete(vm, 5), -ENOENT);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, SLOT1_SIZE, mem, 0), 0);
        ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA + 0x10000, SLOT1_SIZE, mem, 0), -EEXIST); /* move */
        ck_assert_int_eq(hv_memslot_set(vm, 2, SLOT1_GPA + 0x8000, SLOT1_SIZE, mem, 0), -EEXIST); /* overlap */

        int idx = hv_srcu_read_lock(&vm->srcu);
        ck_assert_ptr_eq(hv_gpa_to_hva(vm, SLOT1_GPA + 8, 8), (uint8_t *)mem + 8);
        ck_assert_ptr_null(hv_gpa_to_hva(vm, SLOT1_GPA + SLOT1_SIZE - 4, 8)); /* runs off the end */
        ck_assert_ptr_null(hv_gpa_to_hva(vm, SLOT1_GPA + SLOT1_SIZE, 1));
        ck_assert_ptr_eq(hv_gpa_to_hva(vm, 0x1000, 1), vm->ram.host + 0x1000);
        const struct hv_memslots *s = hv_memslots_get(vm);
        ck_assert_uint_eq(s->n, 2);
        ck_assert_uint_lt(s->slots[0].gpa, s->slots[1].gpa); /* sorted */
        uint64_t gen = s->generation;
        hv_srcu_read_unlock(&vm->srcu, idx);

        ck_assert_int_eq(hv_memslot_delete(vm, 1), 0);
        idx = hv_srcu_read_lock(&vm->srcu);
        ck_assert_ptr_null(hv_gpa_to_hva(vm, SLOT1_GPA, 1));
        ck_assert_uint_gt(hv_memslots_get(vm)->generation, gen);
        hv_srcu_read_unlock(&vm->srcu, idx);
        munmap(mem, SLOT1_SIZE);
        vm = hv_vm_free(vm);
}
END_TEST

struct dev {
        _Atomic int reads, writes;
        uint64_t last_off;
        uint8_t last;
};

static int dev_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
        struct dev *d = opaque;
        atomic_fetch_add(&d->reads, 1);
        memset(data, 0x42, len);
        d->last_off = off;
        return 0;
}

static int dev_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
        struct dev *d = opaque;
        atomic_fetch_add(&d->writes, 1);
        d->last = data[0];
        d->last_off = off;
        return 0;
}

static const struct hv_io_ops dev_ops = { .read = dev_read, .write = dev_write };

START_TEST(test_bus_dispatch)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        struct dev d = { 0 };
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_PIO, 0x500, 0x10, &dev_ops, &d), 0);
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_PIO, 0x508, 0x10, &dev_ops, &d), -EEXIST);
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_PIO, 0x3f8, 1, &dev_ops, &d), -EEXIST); /* COM1 */
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_PIO, 0x600, 0, &dev_ops, &d), -EINVAL);
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_MMIO, 0xd0000000, 0x1000, &dev_ops, &d), 0);

        uint8_t data[8];
        int idx = hv_srcu_read_lock(&vm->srcu);
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_PIO, 0x503, false, data, 1), 0);
        ck_assert_uint_eq(data[0], 0x42);
        ck_assert_uint_eq(d.last_off, 3);
        data[0] = 7;
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_PIO, 0x50f, true, data, 1), 0);
        ck_assert_uint_eq(d.last, 7);
        /* nobody there: reads are all ones */
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_PIO, 0x700, false, data, 4), -ENODEV);
        ck_assert_uint_eq(data[0] & data[1] & data[2] & data[3], 0xff);
        /* an access straddling the end of a range is not given to the device */
        int before = atomic_load(&d.reads);
        hv_bus_dispatch(vm, HV_BUS_PIO, 0x50e, false, data, 4);
        ck_assert_int_eq(atomic_load(&d.reads), before);
        ck_assert_uint_eq(data[0], 0xff);
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_MMIO, 0xd0000ff8, false, data, 8), 0);
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_PIO, 0xd0000000, false, data, 1), -ENODEV);
        hv_srcu_read_unlock(&vm->srcu, idx);

        ck_assert_int_eq(hv_bus_unregister(vm, HV_BUS_PIO, 0x500), 0);
        ck_assert_int_eq(hv_bus_unregister(vm, HV_BUS_PIO, 0x500), -ENOENT);
        idx = hv_srcu_read_lock(&vm->srcu);
        ck_assert_int_eq(hv_bus_dispatch(vm, HV_BUS_PIO, 0x503, false, data, 1), -ENODEV);
        hv_srcu_read_unlock(&vm->srcu, idx);
        vm = hv_vm_free(vm);
}
END_TEST

struct reader {
        struct hv_vm *vm;
        _Atomic bool stop;
        _Atomic uint64_t hits, misses;
};

static void *reader_thread(void *arg)
{
        struct reader *r = arg;
        while (!atomic_load(&r->stop)) {
                int idx = hv_srcu_read_lock(&r->vm->srcu);
                volatile uint32_t *p = hv_gpa_to_hva(r->vm, SLOT1_GPA, 4);
                if (p) {
                        (void)*p; /* faults if the slot's memory were already unmapped */
                        atomic_fetch_add(&r->hits, 1);
                } else
                        atomic_fetch_add(&r->misses, 1);
                hv_srcu_read_unlock(&r->vm->srcu, idx);
        }
        return NULL;
}

START_TEST(test_memslot_churn_while_vcpus_run)
{
        struct hv_vm *vm = raw_guest_vm_new(&guest_writer, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        struct reader rd = { .vm = vm };
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, reader_thread, &rd), 0);

        unsigned seen_by_guest = 0;
        for (int i = 0; i < 100; i++) {
                uint32_t *mem = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                ck_assert_ptr_ne(mem, MAP_FAILED);
                ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, SLOT1_SIZE, mem, 0), 0);
                /* the guest writes its counter address into the new slot */
                uint64_t t0 = hv_now_ns();
                while (!atomic_load((_Atomic uint32_t *)mem) && hv_now_ns() - t0 < 2000000000ull)
                        sched_yield();
                if (atomic_load((_Atomic uint32_t *)mem))
                        seen_by_guest++;
                ck_assert_int_eq(hv_memslot_delete(vm, 1), 0);
                munmap(mem, SLOT1_SIZE);
                uint32_t c = raw_guest_counter(vm, 0);
                while (raw_guest_counter(vm, 0) == c && hv_now_ns() - t0 < 4000000000ull)
                        sched_yield(); /* still running without the slot (MMIO exits) */
        }
        atomic_store(&rd.stop, true);
        pthread_join(t, NULL);
        ck_assert_uint_eq(seen_by_guest, 100);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        uint32_t c0 = raw_guest_counter(vm, 0), c1 = raw_guest_counter(vm, 1);
        while (raw_guest_counter(vm, 0) == c0 || raw_guest_counter(vm, 1) == c1)
                sched_yield();
        ck_assert_uint_gt(atomic_load(&rd.hits), 0);
        vm = hv_vm_free(vm);
}
END_TEST

/* A deleted slot's memory may go as soon as hv_memslot_delete returns, so no vCPU may still
 * be in a guest entry that began with the slot mapped: every vCPU that was in guest mode has
 * left that entry by then (the WAIT force-out). The spin guest never leaves on its own. */
START_TEST(test_memslot_delete_forces_vcpus_out)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        int forced = 0;
        for (int i = 0; i < 50; i++) {
                uint32_t *mem = mmap(NULL, SLOT1_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                ck_assert_ptr_ne(mem, MAP_FAILED);
                ck_assert_int_eq(hv_memslot_set(vm, 1, SLOT1_GPA, SLOT1_SIZE, mem, 0), 0);
                uint32_t before[2];
                for (uint32_t v = 0; v < 2; v++) {
                        uint64_t t0 = hv_now_ns();
                        while (hv_mode_of(atomic_load(&vm->vcpus[v]->mode_word)) != HV_IN_GUEST_MODE &&
                               hv_now_ns() - t0 < 2000000000ull)
                                sched_yield();
                        before[v] = atomic_load(&vm->vcpus[v]->mode_word);
                }
                ck_assert_int_eq(hv_memslot_delete(vm, 1), 0);
                for (uint32_t v = 0; v < 2; v++) {
                        uint32_t after = atomic_load(&vm->vcpus[v]->mode_word);
                        if (hv_mode_of(before[v]) != HV_IN_GUEST_MODE)
                                continue;
                        forced++;
                        ck_assert_msg(hv_mode_of(after) == HV_OUTSIDE_GUEST_MODE ||
                                              (after >> HV_MODE_BITS) != (before[v] >> HV_MODE_BITS),
                                      "vCPU %u is still in the entry it was in when the slot went", v);
                }
                munmap(mem, SLOT1_SIZE);
        }
        ck_assert_int_gt(forced, 0); /* vCPUs were in guest mode: the check was not vacuous */
        vm = hv_vm_free(vm);
}
END_TEST

static Suite *memslot_suite(void)
{
        Suite *s = suite_create("memslot");
        TCase *tc = tcase_create("memslot");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_memslot_validation);
        tcase_add_test(tc, test_bus_dispatch);
        tcase_add_test(tc, test_memslot_churn_while_vcpus_run);
        tcase_add_test(tc, test_memslot_delete_forces_vcpus_out);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        hv_test_require_kvm();
        if (raw_guest_vendor_load() < 0)
                return 1;
        return hv_test_run_suite(memslot_suite());
}
