/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The typed locks and SRCU: they exclude, they wait, the allowed orders of the hierarchy pass
 * the validator, and the hierarchy table is a partial order that says what DESIGN.md says. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv-test.h"
#include "macros.h"
#include "test-lock-any.h"

static void setup(void) { hv_lock_validator_reset(); }

START_TEST(test_class_strings)
{
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++) {
                const char *s = hv_lock_class_to_string(c);
                ck_assert_ptr_nonnull(s);
                ck_assert_int_eq(hv_lock_class_from_string(s), c);
        }
        ck_assert_ptr_null(hv_lock_class_to_string(_HV_LOCK_CLASS_MAX));
        ck_assert_ptr_null(hv_lock_class_to_string(-1));
        ck_assert_ptr_null(hv_lock_class_to_string(_HV_LOCK_CLASS_INVALID));
        ck_assert_int_eq(hv_lock_class_from_string("vm->locks"), _HV_LOCK_CLASS_INVALID);
        ck_assert_int_eq(hv_lock_class_from_string(""), _HV_LOCK_CLASS_INVALID);
        ck_assert_int_eq(hv_lock_class_from_string(NULL), _HV_LOCK_CLASS_INVALID);
        ck_assert_str_eq(hv_lock_class_to_string(HV_LOCK_SLOTS_ARCH), "vm->slots_arch_lock");
        for (int t = 0; t < _HV_LOCK_TYPE_MAX; t++)
                ck_assert_int_eq(hv_lock_type_from_string(hv_lock_type_to_string(t)), t);
        ck_assert_ptr_null(hv_lock_type_to_string(_HV_LOCK_TYPE_MAX));
        ck_assert_int_eq(hv_lock_type_from_string("semaphore"), _HV_LOCK_TYPE_INVALID);
}
END_TEST

/* The table is a strict partial order: no class is (transitively) inside itself. */
START_TEST(test_table_acyclic)
{
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++)
                ck_assert_msg(!hv_lock_order_allowed(c, c), "%s is inside itself", hv_lock_class_to_string(c));
        for (int a = 0; a < _HV_LOCK_CLASS_MAX; a++)
                for (int b = 0; b < _HV_LOCK_CLASS_MAX; b++)
                        ck_assert(!(hv_lock_order_allowed(a, b) && hv_lock_order_allowed(b, a)));
        ck_assert(!hv_lock_order_allowed(-1, HV_LOCK_VM));
        ck_assert(!hv_lock_order_allowed(HV_LOCK_VM, _HV_LOCK_CLASS_MAX));
}
END_TEST

/* The orders DESIGN.md (and locking.rst) state, and the SRCU rules. */
START_TEST(test_table_matches_design)
{
        static const enum hv_lock_class outer_inner[][2] = {
                {HV_LOCK_USAGE, HV_LOCK_VM_LIST}, {HV_LOCK_VM, HV_LOCK_VCPU},       {HV_LOCK_VM, HV_LOCK_SLOTS},
                {HV_LOCK_VM, HV_LOCK_IRQ},        {HV_LOCK_SLOTS, HV_LOCK_IRQ},     {HV_LOCK_SLOTS, HV_LOCK_SLOTS_ARCH},
                {HV_LOCK_SRCU, HV_LOCK_SLOTS_ARCH},
        };
        for (size_t i = 0; i < ARRAY_SIZE(outer_inner); i++)
                ck_assert(hv_lock_order_allowed(outer_inner[i][0], outer_inner[i][1]));
        /* synchronize_srcu runs under these three, so they are outside the read side */
        ck_assert(hv_lock_order_allowed(HV_LOCK_SLOTS, HV_LOCK_SRCU));
        ck_assert(hv_lock_order_allowed(HV_LOCK_VM, HV_LOCK_SRCU));
        ck_assert(hv_lock_order_allowed(HV_LOCK_VCPU, HV_LOCK_SRCU));
        static const enum hv_lock_class leaves[] = {HV_LOCK_VM_LIST, HV_LOCK_IRQ, HV_LOCK_DEVICE};
        for (size_t i = 0; i < ARRAY_SIZE(leaves); i++)
                ck_assert(hv_lock_class_is_leaf(leaves[i]));
        ck_assert(!hv_lock_class_is_leaf(HV_LOCK_VM));
        ck_assert_int_eq(hv_lock_hierarchy[HV_LOCK_SRCU].type, HV_LOCK_TYPE_SRCU);
}
END_TEST

/* The seed orders, written out by hand rather than read from the table: every test generated
 * from the table would follow a dropped or added order without a word. Each row is one direct
 * order of lock-hierarchy.c (DESIGN.md's, and those hvd adds, with why); the table must have
 * exactly these, and vcpu->mutex alone nests, under vm->lock. */
START_TEST(test_table_is_the_seed_list)
{
        static const enum hv_lock_class seeds[][2] = {
                /* DESIGN.md */
                {HV_LOCK_USAGE, HV_LOCK_VM_LIST},
                {HV_LOCK_VM, HV_LOCK_VCPU},
                {HV_LOCK_VM, HV_LOCK_SLOTS},
                {HV_LOCK_VM, HV_LOCK_IRQ},
                {HV_LOCK_SLOTS, HV_LOCK_IRQ},
                {HV_LOCK_SLOTS, HV_LOCK_SLOTS_ARCH},
                {HV_LOCK_SLOTS, HV_LOCK_SRCU}, /* synchronize runs under these three */
                {HV_LOCK_VCPU, HV_LOCK_SRCU},
                {HV_LOCK_SRCU, HV_LOCK_SLOTS_ARCH},
                /* hvd's: unloading the vendor checks its usage count */
                {HV_LOCK_VENDOR_MODULE, HV_LOCK_USAGE},
                /* lifecycle: state set and vCPUs woken under vm->lock */
                {HV_LOCK_VM, HV_LOCK_VCPU_WQ},
                {HV_LOCK_VM, HV_LOCK_VM_STATE},
                /* a vCPU thread handles exits (devices) and ends or stops the VM */
                {HV_LOCK_VCPU, HV_LOCK_DEVICE},
                {HV_LOCK_VCPU, HV_LOCK_VCPU_WQ},
                {HV_LOCK_VCPU, HV_LOCK_VM_STATE},
                /* deleting a memslot kicks every vCPU */
                {HV_LOCK_SLOTS, HV_LOCK_VCPU_WQ},
                /* PIO/MMIO handlers run inside the read side: devices, IRQ lines, debug-exit */
                {HV_LOCK_SRCU, HV_LOCK_IRQ},
                {HV_LOCK_SRCU, HV_LOCK_DEVICE},
                {HV_LOCK_SRCU, HV_LOCK_VCPU_WQ},
                {HV_LOCK_SRCU, HV_LOCK_VM_STATE},
        };
        uint32_t want[_HV_LOCK_CLASS_MAX] = {0};
        for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
                enum hv_lock_class o = seeds[i][0], in = seeds[i][1];
                ck_assert_msg(hv_lock_hierarchy[o].inside & HV_LOCK_BIT(in), "the table lost the order %s -> %s",
                              hv_lock_class_to_string(o), hv_lock_class_to_string(in));
                want[o] |= HV_LOCK_BIT(in);
        }
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++) {
                uint32_t extra = hv_lock_hierarchy[c].inside & ~want[c];
                ck_assert_msg(!extra, "the table has an order from %s not in the seed list (to %s)",
                              hv_lock_class_to_string(c),
                              hv_lock_class_to_string(extra ? __builtin_ctz(extra) : 0));
                ck_assert_int_eq(hv_lock_hierarchy[c].nest_under, c == HV_LOCK_VCPU ? HV_LOCK_VM : -1);
        }
}
END_TEST

START_TEST(test_validator_matches_build)
{
#ifdef HV_LOCK_VALIDATOR
        ck_assert(hv_lock_validator_enabled());
#else
        ck_assert(!hv_lock_validator_enabled());
#endif
}
END_TEST

/* Every allowed pair (transitive closure) passes: a held, b taken inside. Loop index a*N+b. */
START_TEST(test_allowed_pair)
{
        enum hv_lock_class a = _i / _HV_LOCK_CLASS_MAX, b = _i % _HV_LOCK_CLASS_MAX;
        if (!hv_lock_order_allowed(a, b))
                return;
        struct any_lock outer, inner;
        any_init(&outer, a);
        any_init(&inner, b);
        any_take(&outer);
        any_take(&inner);
        hv__lock_assert_held(any_id(&outer), __FILE__, __LINE__);
        hv__lock_assert_held(any_id(&inner), __FILE__, __LINE__);
        any_release(&inner);
        any_release(&outer);
        /* and again, released in the other order */
        any_take(&outer);
        any_take(&inner);
        any_release(&outer);
        any_release(&inner);
}
END_TEST

/* Entering a read side never blocks: allowed under any lock, leaves included. */
START_TEST(test_read_side_under_any_lock)
{
        enum hv_lock_class c = _i;
        struct any_lock l;
        struct hv_srcu srcu;
        any_init(&l, c);
        hv_srcu_init(&srcu);
        any_take(&l);
        int idx = hv_srcu_read_lock(&srcu);
        hv_srcu_read_unlock(&srcu, idx);
        any_release(&l);
}
END_TEST

/* A vCPU exit path: vcpu->mutex, then the read side, then slots_arch_lock and a device. */
START_TEST(test_vcpu_exit_path)
{
        struct hv_mutex vm, vcpu, arch, dev;
        struct hv_srcu srcu;
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_init(&vcpu, HV_LOCK_VCPU);
        hv_mutex_init(&arch, HV_LOCK_SLOTS_ARCH);
        hv_mutex_init(&dev, HV_LOCK_DEVICE);
        hv_srcu_init(&srcu);

        hv_mutex_lock(&vm);
        hv_mutex_lock(&vcpu);
        hv_mutex_unlock(&vm);
        int idx = hv_srcu_read_lock(&srcu);
        int idx2 = hv_srcu_read_lock(&srcu); /* read sides nest */
        hv_mutex_lock(&arch);                /* allowed inside the read side */
        hv_lock_assert_held(&arch);
        hv_lock_assert_held(&srcu);
        hv_mutex_unlock(&arch);
        hv_mutex_lock(&dev);
        hv_mutex_unlock(&dev);
        hv_srcu_read_unlock(&srcu, idx2);
        hv_srcu_read_unlock(&srcu, idx);
        hv_lock_assert_held(&vcpu);
        hv_lock_assert_not_held(&vm);
        hv_mutex_unlock(&vcpu);
        hv_lock_assert_not_held(&vcpu);

        hv_mutex_destroy(&vm);
        hv_mutex_destroy(&vcpu);
        hv_mutex_destroy(&arch);
        hv_mutex_destroy(&dev);
        hv_srcu_destroy(&srcu);
}
END_TEST

/* A memslot update: slots_lock, publish, synchronize under it (allowed), as under vm->lock
 * and vcpu->mutex. */
START_TEST(test_synchronize_under_outer_locks)
{
        struct hv_mutex vm, vcpu, slots;
        struct hv_srcu srcu;
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_init(&vcpu, HV_LOCK_VCPU);
        hv_mutex_init(&slots, HV_LOCK_SLOTS);
        hv_srcu_init(&srcu);
        hv_mutex_lock(&vm);
        hv_synchronize_srcu(&srcu);
        hv_mutex_lock(&slots);
        hv_synchronize_srcu(&srcu);
        hv_mutex_unlock(&slots);
        hv_mutex_lock(&vcpu);
        hv_synchronize_srcu(&srcu);
        hv_mutex_unlock(&vcpu);
        hv_mutex_unlock(&vm);
        hv_synchronize_srcu(&srcu);
}
END_TEST

/* Mutual exclusion: a non-atomic counter under the lock. */
enum { THREADS = 4, ROUNDS = 20000 };
static struct hv_mutex ex_mutex;
static long counter;

static void *exclusion_thread(void *arg)
{
        for (int i = 0; i < ROUNDS; i++) {
                hv_mutex_lock(&ex_mutex);
                long v = counter;
                __asm__ volatile("" ::: "memory");
                counter = v + 1;
                hv_mutex_unlock(&ex_mutex);
        }
        return NULL;
}

START_TEST(test_exclusion)
{
        pthread_t t[THREADS];
        hv_mutex_init(&ex_mutex, HV_LOCK_VM);
        counter = 0;
        for (int i = 0; i < THREADS; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, exclusion_thread, NULL), 0);
        for (int i = 0; i < THREADS; i++)
                ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(counter, (long)THREADS * ROUNDS);
}
END_TEST

/* trylock: fails while another thread holds the mutex; succeeds when it is free. */
static struct hv_mutex try_m;
static void *try_other(void *arg)
{
        bool got = hv_mutex_trylock(&try_m);
        if (got)
                hv_mutex_unlock(&try_m);
        *(bool *)arg = got;
        return NULL;
}

START_TEST(test_trylock)
{
        pthread_t t;
        bool got = true;
        hv_mutex_init(&try_m, HV_LOCK_DEVICE);
        hv_mutex_lock(&try_m);
        ck_assert_int_eq(pthread_create(&t, NULL, try_other, &got), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert(!got);
        hv_mutex_unlock(&try_m);
        ck_assert(hv_mutex_trylock(&try_m));
        hv_lock_assert_held(&try_m);
        hv_mutex_unlock(&try_m);
        ck_assert_int_eq(pthread_create(&t, NULL, try_other, &got), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert(got);
}
END_TEST

/* hv_mutex_cond_wait releases the mutex while waiting and holds it again on return. */
static struct hv_mutex cw_m;
static pthread_cond_t cw_c = PTHREAD_COND_INITIALIZER;
static bool cw_flag;
static void *cw_signaller(void *arg)
{
        hv_mutex_lock(&cw_m); /* only possible if the waiter released it */
        cw_flag = true;
        pthread_cond_signal(&cw_c);
        hv_mutex_unlock(&cw_m);
        return NULL;
}

START_TEST(test_cond_wait)
{
        pthread_t t;
        hv_mutex_init(&cw_m, HV_LOCK_VCPU);
        hv_mutex_lock(&cw_m);
        ck_assert_int_eq(pthread_create(&t, NULL, cw_signaller, NULL), 0);
        while (!cw_flag)
                ck_assert_int_eq(hv_mutex_cond_wait(&cw_m, &cw_c), 0);
        hv_lock_assert_held(&cw_m);
        struct timespec past = {0, 0};
        ck_assert_int_eq(hv_mutex_cond_timedwait(&cw_m, &cw_c, &past), -ETIMEDOUT);
        hv_mutex_unlock(&cw_m);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

/* hv_synchronize_srcu waits for a reader that entered before it. The reader holds its read
 * side until told to leave; the synchronizer must still be waiting at that point. */
static struct hv_srcu sync_srcu;
static _Atomic int reader_in, reader_go, sync_done;
static _Atomic(int *) published;

static void *srcu_reader(void *arg)
{
        int idx = hv_srcu_read_lock(&sync_srcu);
        int *p = hv_srcu_dereference(published);
        atomic_store(&reader_in, 1);
        while (!atomic_load(&reader_go))
                usleep(1000);
        /* the old object is still valid: the writer frees it only after the grace period */
        *(int *)arg = *p;
        hv_srcu_read_unlock(&sync_srcu, idx);
        return NULL;
}

static void *srcu_writer(void *arg)
{
        int *old = hv_srcu_dereference(published);
        hv_srcu_assign_pointer(published, (int *)arg);
        hv_synchronize_srcu(&sync_srcu);
        atomic_store(&sync_done, 1);
        *old = -1; /* what a free would do */
        free(old);
        return NULL;
}

START_TEST(test_srcu_waits_for_reader)
{
        pthread_t r, w;
        int seen = 0;
        int *first = malloc(sizeof(int)), *second = malloc(sizeof(int));
        ck_assert(first && second);
        *first = 1;
        *second = 2;
        hv_srcu_init(&sync_srcu);
        atomic_store(&published, first);
        ck_assert_int_eq(pthread_create(&r, NULL, srcu_reader, &seen), 0);
        while (!atomic_load(&reader_in))
                usleep(1000);
        ck_assert_int_eq(pthread_create(&w, NULL, srcu_writer, second), 0);
        usleep(50 * 1000);
        /* a correct grace period cannot have ended: the reader is still inside */
        ck_assert_int_eq(atomic_load(&sync_done), 0);
        atomic_store(&reader_go, 1);
        ck_assert_int_eq(pthread_join(r, NULL), 0);
        ck_assert_int_eq(pthread_join(w, NULL), 0);
        ck_assert_int_eq(seen, 1);
        ck_assert_int_eq(atomic_load(&sync_done), 1);
        int idx = hv_srcu_read_lock(&sync_srcu);
        ck_assert_int_eq(*hv_srcu_dereference(published), 2);
        hv_srcu_read_unlock(&sync_srcu, idx);
        free(second);
        hv_srcu_destroy(&sync_srcu);
}
END_TEST

static Suite *lock_suite(void)
{
        Suite *s = suite_create("lock");
        TCase *tc = tcase_create("table");
        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, test_class_strings);
        tcase_add_test(tc, test_table_acyclic);
        tcase_add_test(tc, test_table_matches_design);
        tcase_add_test(tc, test_table_is_the_seed_list);
        tcase_add_test(tc, test_validator_matches_build);
        suite_add_tcase(s, tc);

        /* without the validator, taking allowed orders checks nothing: left out, and said */
        tc = hv_test_tcase_needing("allowed", "validator");
        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_loop_test(tc, test_allowed_pair, 0, _HV_LOCK_CLASS_MAX * _HV_LOCK_CLASS_MAX);
        tcase_add_loop_test(tc, test_read_side_under_any_lock, 0, _HV_LOCK_CLASS_MAX);
        tcase_add_test(tc, test_vcpu_exit_path);
        tcase_add_test(tc, test_synchronize_under_outer_locks);
        suite_add_tcase(s, tc);

        tc = tcase_create("behaviour");
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, test_exclusion);
        tcase_add_test(tc, test_trylock);
        tcase_add_test(tc, test_cond_wait);
        tcase_add_test(tc, test_srcu_waits_for_reader);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!hv_lock_validator_enabled())
                hv_test_need_missing("validator", "assert only what the lock validator checks, and it is compiled out "
                                                  "(configure --enable-lock-validator)");
        return hv_test_run_suite(lock_suite());
}
