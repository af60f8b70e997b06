/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPU requests and kicks: the API on a bare vCPU object, IPI reduction, wait-queue wake-ups,
 * and the stress test on real vCPUs in guest mode: many requesters, random flags, 100,000
 * requests; none may be lost, nothing may hang (pause/resume under requests: test-vm). */
#include <inttypes.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "hv-test.h"
#include "macros.h"
#include "vm/request.h"
#include "test-vm-guest.h"

/* ---- a bare vCPU object (no KVM) for the API tests */

struct bare {
        struct hv_vcpu vcpu;
        struct kvm_run run;
};

static struct bare *bare_new(void)
{
        struct bare *b = calloc(1, sizeof(*b));
        ck_assert_ptr_nonnull(b);
        b->vcpu.run = &b->run;
        hv_mutex_init(&b->vcpu.wq_lock, HV_LOCK_VCPU_WQ);
        pthread_cond_init(&b->vcpu.wq_cond, NULL);
        atomic_store(&b->vcpu.tid, pthread_self());
        return b;
}

static void bare_free(struct bare *b)
{
        pthread_cond_destroy(&b->vcpu.wq_cond);
        hv_mutex_destroy(&b->vcpu.wq_lock);
        free(b);
}

START_TEST(test_request_bits)
{
        struct bare *b = bare_new();
        struct hv_vcpu *v = &b->vcpu;
        ck_assert(!hv_request_pending(v));
        hv_make_request(HV_REQ_UNBLOCK, v);
        hv_make_request(HV_REQ_MEMSLOT_RELOAD, v); /* flags do not leak into the bit number */
        ck_assert(hv_request_pending(v));
        ck_assert(hv_test_request(HV_REQ_UNBLOCK, v));
        ck_assert(hv_test_request(7, v));
        ck_assert(!hv_test_request(HV_REQ_STOP, v));
        ck_assert(hv_check_request(HV_REQ_UNBLOCK, v));
        ck_assert(!hv_check_request(HV_REQ_UNBLOCK, v)); /* test-and-clear */
        ck_assert(hv_request_pending(v));
        hv_clear_request(HV_REQ_MEMSLOT_RELOAD, v);
        ck_assert(!hv_request_pending(v));
        /* OUTSIDE_GUEST_MODE logs no request */
        hv_make_request(HV_REQ_OUTSIDE_GUEST_MODE, v);
        ck_assert(!hv_request_pending(v));
        /* arch bits above the independent ones */
        hv_make_request(HV_REQUEST_ARCH_BASE + 5, v);
        ck_assert(hv_check_request(HV_REQUEST_ARCH_BASE + 5, v));
        bare_free(b);
}
END_TEST

START_TEST(test_entry_aborts_on_pending_request)
{
        struct bare *b = bare_new();
        struct hv_vcpu *v = &b->vcpu;
        b->run.immediate_exit = 1;
        ck_assert(hv_vcpu_enter_guest_mode(v));
        ck_assert_int_eq(b->run.immediate_exit, 0); /* cleared before the final check */
        uint32_t w = atomic_load(&v->mode_word);
        ck_assert_int_eq(hv_mode_of(w), HV_IN_GUEST_MODE);
        hv_vcpu_exit_guest_mode(v);
        ck_assert_int_eq(hv_mode_of(atomic_load(&v->mode_word)), HV_OUTSIDE_GUEST_MODE);

        hv_make_request(HV_REQ_PAUSE, v);
        ck_assert(!hv_vcpu_enter_guest_mode(v));
        ck_assert_int_eq(hv_mode_of(atomic_load(&v->mode_word)), HV_OUTSIDE_GUEST_MODE);
        /* every entry bumps the generation */
        ck_assert_uint_ne(atomic_load(&v->mode_word) >> HV_MODE_BITS, w >> HV_MODE_BITS);
        bare_free(b);
}
END_TEST

/* One thread, in order: the kicker that moves IN to EXITING signals, later ones do not.
 * Whether that move is a CAS only shows with kickers racing inside a window of nanoseconds,
 * which no test here hits reliably: tests/model/kick.pml's NO_CAS mutant is that check. */
START_TEST(test_kick_only_once_per_entry)
{
        ck_assert_int_eq(hv_kick_signal_setup(), 0);
        struct bare *b = bare_new();
        struct hv_vcpu *v = &b->vcpu;
        ck_assert(hv_vcpu_enter_guest_mode(v));
        /* the kick signals this thread: its handler is empty, so only the counters move */
        hv_make_request_and_kick(HV_REQ_UNBLOCK, v);
        ck_assert_int_eq(hv_mode_of(atomic_load(&v->mode_word)), HV_EXITING_GUEST_MODE);
        ck_assert_int_eq(b->run.immediate_exit, 1);
        ck_assert_uint_eq(atomic_load(&v->nr_kicks), 1);
        hv_make_request_and_kick(HV_REQ_PAUSE, v); /* EXITING: no second signal */
        ck_assert_uint_eq(atomic_load(&v->nr_kicks), 1);
        hv_vcpu_exit_guest_mode(v);
        hv_make_request_and_kick(HV_REQ_STOP, v); /* OUTSIDE: no signal */
        ck_assert_uint_eq(atomic_load(&v->nr_kicks), 1);
        bare_free(b);
}
END_TEST

static void make_request_64(void *arg)
{
        hv_make_request(64, arg);
}

/* Request numbers are bits 0..63: 64 is a bug reported where it is made, never TLB_FLUSH. */
START_TEST(test_request_out_of_range_aborts)
{
        struct bare *b = bare_new();
        int status;
        char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(make_request_64, &b->vcpu, &status, &err), 0);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %d", status);
        ck_assert_msg(strstr(err, "vCPU request 64 is outside 0..63"), "stderr: %s", err);
        ck_assert(!hv_request_pending(&b->vcpu));
        free(err);
        bare_free(b);
}
END_TEST

static void *sleeper(void *arg)
{
        hv_vcpu_block(arg);
        return NULL;
}

/* Until the sleeper is in pthread_cond_wait: it sets wq_waiting under wq_lock and releases
 * that lock only inside the wait, so taking wq_lock after seeing the flag means it sleeps
 * (before, a request posted between its flag and its test of the requests was seen at once,
 * and the NO_WAKEUP check below failed now and then). */
static void wait_until_waiting(struct hv_vcpu *v)
{
        while (!atomic_load(&v->wq_waiting))
                sched_yield();
        hv_mutex_lock(&v->wq_lock);
        hv_mutex_unlock(&v->wq_lock);
}

START_TEST(test_wake_and_no_wakeup)
{
        struct bare *b = bare_new();
        struct hv_vcpu *v = &b->vcpu;
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, sleeper, v), 0);
        wait_until_waiting(v);
        /* NO_WAKEUP: the request is logged but the sleeper is left asleep */
        hv_make_request_and_kick(HV_REQ_DIRTY_RING_HARVEST | HV_REQUEST_NO_WAKEUP, v);
        ck_assert(hv_request_pending(v));
        struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        ck_assert(atomic_load(&v->wq_waiting));
        /* a request without the flag wakes it */
        hv_make_request_and_kick(HV_REQ_UNBLOCK, v);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert(!atomic_load(&v->wq_waiting));
        bare_free(b);
}
END_TEST

/* ---- stress on real vCPUs */

#define STRESS_REQUESTERS 4
#define STRESS_REQUESTS 100000
#define STRESS_VCPUS 2
#define STRESS_BITS 8
#define STRESS_TIMEOUT_NS (5ull * 1000000000ull)

struct stress {
        struct hv_vm *vm;
        _Atomic uint64_t sent[STRESS_VCPUS][STRESS_BITS];
        _Atomic uint64_t handled[STRESS_VCPUS][STRESS_BITS];
        _Atomic uint64_t made, lost, waited_ns_max;
        _Atomic bool stop;
};

/* Widens a window of the entry protocol now and then (a few microseconds). */
static void stress_delay(struct stress *st)
{
        unsigned r = (unsigned)atomic_fetch_add(&st->made, 0) * 2654435761u;
        if ((r >> 28) < 4) {
                uint64_t t0 = hv_now_ns();
                while (hv_now_ns() - t0 < 2000)
                        ;
        }
}

/* V1..V6: a request made after this check is lost unless the entry's Dekker check or the
 * kick catches it */
static void stress_handle(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        struct stress *st = opaque;
        for (unsigned b = 0; b < STRESS_BITS; b++)
                if (hv_check_request(HV_REQUEST_ARCH_BASE + b, vcpu))
                        /* after check's read barrier: at least every seq made before the bit */
                        atomic_store(&st->handled[vcpu->index][b], atomic_load(&st->sent[vcpu->index][b]));
        stress_delay(st);
}

/* V6..V7: a kick landing here is lost unless immediate_exit catches it */
static void stress_before_run(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        stress_delay(opaque);
}

static void *requester(void *arg)
{
        struct stress *st = arg;
        unsigned seed = (unsigned)(uintptr_t)pthread_self();
        static const unsigned flags[] = { 0, HV_REQUEST_WAIT, HV_REQUEST_NO_WAKEUP,
                                          HV_REQUEST_WAIT | HV_REQUEST_NO_WAKEUP };
        for (int i = 0; i < STRESS_REQUESTS / STRESS_REQUESTERS; i++) {
                unsigned v = (unsigned)rand_r(&seed) % STRESS_VCPUS;
                unsigned b = (unsigned)rand_r(&seed) % STRESS_BITS;
                unsigned req = HV_REQUEST_ARCH_BASE + b + flags[rand_r(&seed) % ARRAY_SIZE(flags)];
                uint64_t seq = atomic_fetch_add(&st->sent[v][b], 1) + 1;
                hv_make_request_and_kick(req, st->vm->vcpus[v]);
                atomic_fetch_add(&st->made, 1);
                /* not lost: the vCPU acts on it (it never leaves the guest on its own) */
                uint64_t t0 = hv_now_ns();
                while (atomic_load(&st->handled[v][b]) < seq) {
                        if (hv_now_ns() - t0 > STRESS_TIMEOUT_NS) {
                                atomic_fetch_add(&st->lost, 1);
                                return NULL;
                        }
                        sched_yield();
                }
                uint64_t w = hv_now_ns() - t0, m = atomic_load(&st->waited_ns_max);
                while (w > m && !atomic_compare_exchange_weak(&st->waited_ns_max, &m, w))
                        ;
        }
        return NULL;
}

START_TEST(test_stress_requests_on_running_vcpus)
{
        static struct stress st;
        memset(&st, 0, sizeof(st));
        st.vm = raw_guest_vm_new_hooked(&raw_guest_spin_halt, STRESS_VCPUS, 2, NULL, NULL, stress_handle, stress_before_run, &st);
        ck_assert_ptr_nonnull(st.vm);
        ck_assert_int_eq(hv_vm_start(st.vm), 0);
        while (raw_guest_counter(st.vm, 0) == 0)
                sched_yield(); /* vCPU 0 is in the guest */

        pthread_t t[STRESS_REQUESTERS];
        for (int i = 0; i < STRESS_REQUESTERS; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, requester, &st), 0);
        /* vCPU 0 spins and vCPU 1 sleeps in KVM_RUN: neither leaves the guest unless kicked,
         * so a lost request is never picked up and its requester times out */
        for (int i = 0; i < STRESS_REQUESTERS; i++)
                pthread_join(t[i], NULL);
        ck_assert_uint_eq(atomic_load(&st.lost), 0);
        ck_assert_uint_eq(atomic_load(&st.made), STRESS_REQUESTS);
        for (int v = 0; v < STRESS_VCPUS; v++)
                for (int b = 0; b < STRESS_BITS; b++)
                        ck_assert_uint_eq(atomic_load(&st.handled[v][b]), atomic_load(&st.sent[v][b]));
        ck_assert_int_eq(hv_vm_get_state(st.vm), HV_VM_STATE_RUNNING);
        uint64_t kicks = 0, exits = 0;
        for (int v = 0; v < STRESS_VCPUS; v++) {
                kicks += atomic_load(&st.vm->vcpus[v]->nr_kicks);
                exits += atomic_load(&st.vm->vcpus[v]->nr_exits);
        }
        printf("stress: %d requests, %" PRIu64 " signals, %" PRIu64
               " exits, longest wait %.3f ms\n", STRESS_REQUESTS, kicks, exits,
               atomic_load(&st.waited_ns_max) / 1e6);
        st.vm = hv_vm_free(st.vm);
}
END_TEST

/* A WAIT request returns only once the vCPU is out of the entry it was in. */
START_TEST(test_outside_guest_mode_request)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        struct hv_vcpu *v = vm->vcpus[0];
        /* the guest runs: start's UNBLOCK is consumed, so any pending bit below is ours */
        uint32_t c0 = raw_guest_counter(vm, 0);
        while (raw_guest_counter(vm, 0) == c0)
                sched_yield();
        int seen_in_guest = 0;
        for (int i = 0; i < 2000; i++) {
                uint32_t before = atomic_load(&v->mode_word);
                hv_make_all_vcpus_request(vm, HV_REQ_OUTSIDE_GUEST_MODE);
                uint32_t after = atomic_load(&v->mode_word);
                if (hv_mode_of(before) == HV_IN_GUEST_MODE) {
                        seen_in_guest++;
                        ck_assert(hv_mode_of(after) == HV_OUTSIDE_GUEST_MODE ||
                                  (after >> HV_MODE_BITS) != (before >> HV_MODE_BITS));
                }
        }
        ck_assert_int_gt(seen_in_guest, 0); /* the check above was not vacuous */
        /* OUTSIDE_GUEST_MODE logged nothing, and nothing else made a request */
        ck_assert(!hv_request_pending(v));
        vm = hv_vm_free(vm);
}
END_TEST

static Suite *request_suite(void)
{
        Suite *s = suite_create("request");
        TCase *tc = tcase_create("api");
        tcase_add_test(tc, test_request_bits);
        tcase_add_test(tc, test_entry_aborts_on_pending_request);
        tcase_add_test(tc, test_kick_only_once_per_entry);
        tcase_add_test(tc, test_wake_and_no_wakeup);
        tcase_add_test(tc, test_request_out_of_range_aborts);
        suite_add_tcase(s, tc);
        tc = hv_test_tcase_kvm("vcpus");
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_outside_guest_mode_request);
        tcase_add_test(tc, test_stress_requests_on_running_vcpus);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        /* the API tests need no /dev/kvm; the vcpus ones are left out without it */
        if (hv_test_kvm_usable(NULL) && raw_guest_vendor_load() < 0)
                return 1;
        return hv_test_run_suite(request_suite());
}
