/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The validator's rules, one test per rule of the hierarchy: each breaks it in a child and
 * expects an abort with a report naming both locks, where each was taken and the rule.
 * The rules are walked from the hierarchy table itself, so a new order gets its test. */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include "hv-test.h"
#include "macros.h"
#include "test-lock-any.h"
#include "vm/vm-internal.h"

static void expect_abort(void (*fn)(void *), void *arg, const char *const *needles)
{
        int status;
        _cleanup_free_ char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(fn, arg, &status, &err), 0);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                      "child did not abort (status 0x%x); stderr:\n%s", status, err);
        ck_assert_msg(strstr(err, "hvd lock validator: "), "no validator report:\n%s", err);
        for (; *needles; needles++)
                ck_assert_msg(strstr(err, *needles), "report lacks \"%s\":\n%s", *needles, err);
}
#define EXPECT_ABORT(fn, arg, ...) expect_abort((fn), (arg), (const char *const[]){__VA_ARGS__, NULL})

static char *fmt(const char *f, ...) _printf_(1, 2);
static char *fmt(const char *f, ...)
{
        static char bufs[8][256];
        static unsigned next;
        char *b = bufs[next++ % ARRAY_SIZE(bufs)];
        va_list ap;
        va_start(ap, f);
        vsnprintf(b, sizeof(bufs[0]), f, ap);
        va_end(ap);
        return b;
}
#define AT(line) fmt("test-lock-rules.c:%d", (line))
#define NAME(c) hv_lock_class_to_string(c)

/* The direct orders of the table, outer then inner, without those whose outer is the SRCU
 * read side (entering a read side never blocks, so its reverse breaks no order; the matching
 * rule is "no synchronize under a lock that readers take", tested below). */
static struct { enum hv_lock_class outer, inner; } edges[64];
static int n_edges;
static enum hv_lock_class srcu_inside[_HV_LOCK_CLASS_MAX], leaves[_HV_LOCK_CLASS_MAX];
static int n_srcu_inside, n_leaves;
static const enum hv_lock_class srcu_forbidden[] = {HV_LOCK_SLOTS, HV_LOCK_VM, HV_LOCK_VCPU};

static void table_walk(void)
{
        for (int a = 0; a < _HV_LOCK_CLASS_MAX; a++) {
                if (hv_lock_class_is_leaf(a))
                        leaves[n_leaves++] = a;
                for (int b = 0; b < _HV_LOCK_CLASS_MAX; b++) {
                        if (!(hv_lock_hierarchy[a].inside & HV_LOCK_BIT(b)))
                                continue;
                        if (a == HV_LOCK_SRCU)
                                srcu_inside[n_srcu_inside++] = b;
                        else if (n_edges < (int)ARRAY_SIZE(edges)) {
                                edges[n_edges].outer = a;
                                edges[n_edges++].inner = b;
                        }
                }
        }
}

/* Rule: the documented order. Taking the outer lock while holding the inner one. */
static void reverse_edge(void *arg)
{
        int i = *(int *)arg;
        struct any_lock outer, inner;
        any_init(&outer, edges[i].outer);
        any_init(&inner, edges[i].inner);
        any_take(&inner);
        any_take(&outer);
}

START_TEST(test_order_reversed)
{
        int i = _i;
        enum hv_lock_class o = edges[i].outer, in = edges[i].inner;
        if (in == HV_LOCK_SRCU) /* the SRCU rule is the more precise diagnosis */
                EXPECT_ABORT(reverse_edge, &i, "SRCU read side violated", fmt("acquiring %s", NAME(o)),
                             fmt("while holding %s", NAME(in)), fmt("%s is never taken inside", NAME(o)));
        else
                EXPECT_ABORT(reverse_edge, &i, "lock order violated", fmt("acquiring %s", NAME(o)),
                             fmt("while holding %s", NAME(in)),
                             fmt("rule: %s is taken outside %s", NAME(o), NAME(in)));
}
END_TEST

/* The order is transitive: vm->lock outside vm->slots_arch_lock through vm->slots_lock. */
static void reverse_transitive(void *arg)
{
        struct hv_mutex arch, vm;
        hv_mutex_init(&arch, HV_LOCK_SLOTS_ARCH);
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_lock(&arch);
        hv_mutex_lock(&vm);
}

START_TEST(test_order_transitive)
{
        ck_assert(!(hv_lock_hierarchy[HV_LOCK_VM].inside & HV_LOCK_BIT(HV_LOCK_SLOTS_ARCH)));
        EXPECT_ABORT(reverse_transitive, NULL, "lock order violated",
                     "rule: vm->lock is taken outside vm->slots_arch_lock");
}
END_TEST

/* Both locks and where each was taken appear in the report. */
static void order_with_lines(void *arg)
{
        struct hv_mutex vm, vcpu;
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_init(&vcpu, HV_LOCK_VCPU);
        hv_mutex_lock(&vcpu);
        hv_mutex_lock(&vm); /* must stay on the next line */
}

START_TEST(test_report_names_both_places)
{
        int status;
        _cleanup_free_ char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(order_with_lines, NULL, &status, &err), 0);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
        /* the two calls are on consecutive lines inside order_with_lines */
        const char *a = strstr(err, "acquiring vm->lock ("), *h = strstr(err, "while holding vcpu->mutex (");
        ck_assert_msg(a && h, "%s", err);
        int la = 0, lh = 0;
        ck_assert_int_eq(sscanf(strstr(a, " at ") + 4, "%*[^:]:%d", &la), 1);
        ck_assert_int_eq(sscanf(strstr(h, " taken at ") + 10, "%*[^:]:%d", &lh), 1);
        ck_assert_int_eq(la, lh + 1);
        ck_assert_msg(strstr(a, "test-lock-rules.c:"), "%s", err);
        ck_assert_msg(strstr(err, "rule: vm->lock is taken outside vcpu->mutex"), "%s", err);
        ck_assert_msg(strstr(err, "locks held by thread"), "%s", err);
}
END_TEST

/* Rule: vm->slots_lock, vm->lock and vcpu->mutex are never taken inside a read side. */
static void lock_in_read_side(void *arg)
{
        enum hv_lock_class c = *(enum hv_lock_class *)arg;
        struct hv_srcu srcu;
        struct hv_mutex m;
        hv_srcu_init(&srcu);
        hv_mutex_init(&m, c);
        (void)hv_srcu_read_lock(&srcu);
        hv_mutex_lock(&m);
}

START_TEST(test_srcu_forbidden)
{
        enum hv_lock_class c = srcu_forbidden[_i];
        EXPECT_ABORT(lock_in_read_side, &c, "SRCU read side violated", fmt("acquiring %s", NAME(c)),
                     "while holding vm->srcu",
                     fmt("%s is never taken inside a vm->srcu read side: hv_synchronize_srcu runs under it",
                         NAME(c)));
}
END_TEST

/* Rule: no hv_synchronize_srcu inside a read side. */
static void sync_in_read_side(void *arg)
{
        struct hv_srcu srcu;
        hv_srcu_init(&srcu);
        (void)hv_srcu_read_lock(&srcu);
        hv_synchronize_srcu(&srcu);
}

START_TEST(test_srcu_synchronize_in_read_side)
{
        EXPECT_ABORT(sync_in_read_side, NULL, "SRCU read side violated",
                     "hv_synchronize_srcu inside an SRCU read-side section", "synchronizing vm->srcu",
                     "inside the read side of vm->srcu", "including this thread's");
}
END_TEST

/* A read side of another hv_srcu counts too: liburcu-bp has one grace-period domain. */
static void sync_in_other_read_side(void *arg)
{
        struct hv_srcu a, b;
        hv_srcu_init(&a);
        hv_srcu_init(&b);
        (void)hv_srcu_read_lock(&a);
        hv_synchronize_srcu(&b);
}

START_TEST(test_srcu_synchronize_in_other_read_side)
{
        EXPECT_ABORT(sync_in_other_read_side, NULL, "SRCU read side violated", "inside the read side of vm->srcu");
}
END_TEST

/* Rule: what a read side may take (vm->slots_arch_lock, ...) is released before synchronize. */
static void sync_under_reader_lock(void *arg)
{
        enum hv_lock_class c = *(enum hv_lock_class *)arg;
        struct any_lock l;
        struct hv_srcu srcu;
        any_init(&l, c);
        hv_srcu_init(&srcu);
        any_take(&l);
        hv_synchronize_srcu(&srcu);
}

START_TEST(test_srcu_synchronize_under_reader_lock)
{
        enum hv_lock_class c = srcu_inside[_i];
        EXPECT_ABORT(sync_under_reader_lock, &c, "SRCU synchronize violated", fmt("while holding %s", NAME(c)),
                     fmt("rule: %s may be taken inside a vm->srcu read side, so it is released before "
                         "hv_synchronize_srcu",
                         NAME(c)));
}
END_TEST

/* Rule: nothing is taken inside a leaf. */
static void take_inside(void *arg)
{
        const enum hv_lock_class *pair = arg;
        struct any_lock outer, inner;
        any_init(&outer, pair[0]);
        any_init(&inner, pair[1]);
        any_take(&outer);
        any_take(&inner);
}

START_TEST(test_leaf)
{
        enum hv_lock_class pair[2] = {leaves[_i], _HV_LOCK_CLASS_INVALID};
        /* a class with no documented order to the leaf, so that only the leaf rule applies */
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++)
                if (c != pair[0] && c != HV_LOCK_SRCU && !hv_lock_order_allowed(c, pair[0]) &&
                    !hv_lock_order_allowed(pair[0], c)) {
                        pair[1] = c;
                        break;
                }
        ck_assert_int_ge(pair[1], 0);
        EXPECT_ABORT(take_inside, pair, "leaf lock violated", fmt("acquiring %s", NAME(pair[1])),
                     fmt("while holding %s", NAME(pair[0])),
                     fmt("rule: %s is a leaf: no other lock is taken inside it", NAME(pair[0])));
}
END_TEST

/* Rule (lockdep-style): an undocumented pair nests one way only. Another thread takes
 * vcpu->mutex then vm->slots_lock and ends; later this thread takes them the other way round.
 * Nothing deadlocks, and the inversion is still reported. */
static struct hv_mutex inv_vcpu, inv_slots;

static void *inversion_thread(void *arg)
{
        hv_mutex_lock(&inv_vcpu);
        hv_mutex_lock(&inv_slots);
        hv_mutex_unlock(&inv_slots);
        hv_mutex_unlock(&inv_vcpu);
        return NULL;
}

static void inversion(void *arg)
{
        pthread_t t;
        hv_mutex_init(&inv_vcpu, HV_LOCK_VCPU);
        hv_mutex_init(&inv_slots, HV_LOCK_SLOTS);
        if (pthread_create(&t, NULL, inversion_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
                _exit(2);
        hv_mutex_lock(&inv_slots);
        hv_mutex_lock(&inv_vcpu);
}

START_TEST(test_inversion_other_thread)
{
        int status;
        _cleanup_free_ char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(inversion, NULL, &status, &err), 0);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status 0x%x: %s", status, err);
        ck_assert_msg(strstr(err, "lock order (observed) violated"), "%s", err);
        ck_assert_msg(strstr(err, "acquiring vcpu->mutex"), "%s", err);
        ck_assert_msg(strstr(err, "while holding vm->slots_lock"), "%s", err);
        ck_assert_msg(strstr(err, "but thread "), "%s", err);
        ck_assert_msg(strstr(err, "took vm->slots_lock at "), "%s", err);
        ck_assert_msg(strstr(err, "while holding vcpu->mutex taken at "), "%s", err);
        ck_assert_msg(strstr(err, "must always nest the same way"), "%s", err);
        /* four distinct places: the other thread's two and this thread's two */
        int places = 0;
        for (const char *p = err; (p = strstr(p, "test-lock-rules.c:")); p++)
                places++;
        ck_assert_int_ge(places, 4);
}
END_TEST

/* The same pair in the same order from two threads is fine. */
static void *same_order_thread(void *arg)
{
        hv_mutex_lock(&inv_vcpu);
        hv_mutex_lock(&inv_slots);
        hv_mutex_unlock(&inv_slots);
        hv_mutex_unlock(&inv_vcpu);
        return NULL;
}

START_TEST(test_same_order_two_threads_passes)
{
        pthread_t t[2];
        hv_mutex_init(&inv_vcpu, HV_LOCK_VCPU);
        hv_mutex_init(&inv_slots, HV_LOCK_SLOTS);
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, same_order_thread, NULL), 0);
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        same_order_thread(NULL);
        hv_mutex_destroy(&inv_vcpu);
        hv_mutex_destroy(&inv_slots);
}
END_TEST

/* Rule (lockdep-style): the observed orders never form a cycle of any length. Each order of
 * the cycle but the last is shown by a thread of its own, which ends; then this thread takes
 * the closing order. No two of the classes have a documented order, except where said, and no
 * pair is ever reversed, so only the cycle search can see it. */
struct cycle {
        unsigned n;                      /* classes in the cycle */
        enum hv_lock_class classes[5];   /* classes[i] before classes[i + 1], the last before the first */
        struct any_lock locks[5];
        unsigned edge;                   /* for the thread */
};

static void cycle_take(struct cycle *cy, unsigned e)
{
        struct any_lock *outer = &cy->locks[e], *inner = &cy->locks[(e + 1) % cy->n];
        any_take(outer);
        any_take(inner);
        any_release(inner);
        any_release(outer);
}

static void *cycle_thread(void *arg)
{
        struct cycle *cy = arg;
        cycle_take(cy, cy->edge);
        return NULL;
}

static void cycle_run(void *arg)
{
        struct cycle *cy = arg;
        for (unsigned i = 0; i < cy->n; i++)
                any_init(&cy->locks[i], cy->classes[i]);
        for (cy->edge = 0; cy->edge + 1 < cy->n; cy->edge++) {
                pthread_t t;
                if (pthread_create(&t, NULL, cycle_thread, cy) != 0 || pthread_join(t, NULL) != 0)
                        _exit(2);
        }
        cycle_take(cy, cy->n - 1);
}

static void expect_cycle(struct cycle *cy)
{
        int status;
        _cleanup_free_ char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(cycle_run, cy, &status, &err), 0);
        ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status 0x%x: %s", status, err);
        ck_assert_msg(strstr(err, "lock order (observed cycle) violated"), "%s", err);
        enum hv_lock_class last = cy->classes[cy->n - 1], first = cy->classes[0];
        ck_assert_msg(strstr(err, fmt("acquiring %s", NAME(first))), "%s", err);
        ck_assert_msg(strstr(err, fmt("while holding %s", NAME(last))), "%s", err);
        /* the cycle, closed by the order just taken */
        char want[512] = "";
        for (unsigned i = 0; i <= cy->n; i++)
                snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? " -> " : "",
                         NAME(cy->classes[(cy->n - 1 + i) % cy->n]));
        ck_assert_msg(strstr(err, fmt("which closes the cycle %s", want)), "lacks \"%s\":\n%s", want, err);
        /* every other order, by the thread that showed it, with both places */
        for (unsigned i = 0; i + 1 < cy->n; i++)
                ck_assert_msg(strstr(err, fmt("took %s at ", NAME(cy->classes[i + 1]))) &&
                                      strstr(err, fmt("while holding %s taken at ", NAME(cy->classes[i]))),
                              "order %u missing:\n%s", i, err);
        int places = 0;
        for (const char *p = err; (p = strstr(p, "test-lock-rules.c:")); p++)
                places++;
        ck_assert_int_ge(places, 2 * (int)cy->n);
        ck_assert_msg(strstr(err, "never form a cycle"), "%s", err);
}

START_TEST(test_cycle_of_three)
{
        struct cycle cy = {3, {HV_LOCK_VENDOR_MODULE, HV_LOCK_VCPU, HV_LOCK_SLOTS}};
        expect_cycle(&cy);
}
END_TEST

/* Four, through a documented order (vendor_module_lock outside hv_usage_lock) once observed. */
START_TEST(test_cycle_of_four)
{
        struct cycle cy = {4, {HV_LOCK_VENDOR_MODULE, HV_LOCK_USAGE, HV_LOCK_VCPU, HV_LOCK_SLOTS}};
        expect_cycle(&cy);
}
END_TEST

/* Through the SRCU read side: a lock held across hv_synchronize_srcu waits for every reader,
 * as if it took the read side. Thread 1 synchronizes under vcpu->mutex; thread 2 takes
 * vendor_module_lock inside a read side; this thread takes vcpu->mutex inside
 * vendor_module_lock: each waits for the next. */
static struct hv_srcu cyc_srcu;
static struct hv_mutex cyc_vcpu, cyc_vendor;

static void *cyc_sync_under_vcpu(void *arg)
{
        hv_mutex_lock(&cyc_vcpu);
        hv_synchronize_srcu(&cyc_srcu);
        hv_mutex_unlock(&cyc_vcpu);
        return NULL;
}

static void *cyc_reader_takes_vendor(void *arg)
{
        int idx = hv_srcu_read_lock(&cyc_srcu);
        hv_mutex_lock(&cyc_vendor);
        hv_mutex_unlock(&cyc_vendor);
        hv_srcu_read_unlock(&cyc_srcu, idx);
        return NULL;
}

static void cycle_through_srcu(void *arg)
{
        pthread_t t;
        hv_srcu_init(&cyc_srcu);
        hv_mutex_init(&cyc_vcpu, HV_LOCK_VCPU);
        hv_mutex_init(&cyc_vendor, HV_LOCK_VENDOR_MODULE);
        if (pthread_create(&t, NULL, cyc_sync_under_vcpu, NULL) != 0 || pthread_join(t, NULL) != 0 ||
            pthread_create(&t, NULL, cyc_reader_takes_vendor, NULL) != 0 || pthread_join(t, NULL) != 0)
                _exit(2);
        hv_mutex_lock(&cyc_vendor);
        hv_mutex_lock(&cyc_vcpu);
}

START_TEST(test_cycle_through_srcu)
{
        EXPECT_ABORT(cycle_through_srcu, NULL, "lock order (observed cycle) violated", "acquiring vcpu->mutex",
                     "while holding vendor_module_lock",
                     "which closes the cycle vendor_module_lock -> vcpu->mutex -> vm->srcu -> vendor_module_lock",
                     "called hv_synchronize_srcu at ", "while holding vcpu->mutex taken at ",
                     "took vendor_module_lock at ", "while holding vm->srcu taken at ", "test-lock-rules.c:");
}
END_TEST

/* The same three orders at the same time: each thread holds its first lock when all of them
 * reach for their second, so without the validator they would deadlock. Each checks before it
 * blocks, and the one that publishes its order last sees the other two: the process aborts
 * with the cycle instead of hanging. */
static struct cycle race_cy = {3, {HV_LOCK_VENDOR_MODULE, HV_LOCK_VCPU, HV_LOCK_SLOTS}};
static pthread_barrier_t race_barrier;

static void *race_thread(void *arg)
{
        unsigned e = (unsigned)(uintptr_t)arg;
        any_take(&race_cy.locks[e]);
        pthread_barrier_wait(&race_barrier);
        any_take(&race_cy.locks[(e + 1) % race_cy.n]);
        return NULL;
}

static void cycle_race(void *arg)
{
        pthread_t t[3];
        for (unsigned i = 0; i < race_cy.n; i++)
                any_init(&race_cy.locks[i], race_cy.classes[i]);
        pthread_barrier_init(&race_barrier, NULL, race_cy.n);
        for (unsigned i = 0; i < race_cy.n; i++)
                if (pthread_create(&t[i], NULL, race_thread, (void *)(uintptr_t)i) != 0)
                        _exit(2);
        for (unsigned i = 0; i < race_cy.n; i++)
                pthread_join(t[i], NULL);
        _exit(3); /* unreachable: they deadlock or the validator aborts */
}

START_TEST(test_cycle_three_threads_at_once)
{
        EXPECT_ABORT(cycle_race, NULL, "lock order (observed cycle) violated", "which closes the cycle",
                     "vendor_module_lock", "vcpu->mutex", "vm->slots_lock");
}
END_TEST

/* A diamond is no cycle: A before B and C, both before D, and A before D. */
START_TEST(test_diamond_passes)
{
        static struct cycle cy = {4, {HV_LOCK_VENDOR_MODULE, HV_LOCK_VCPU, HV_LOCK_SLOTS, HV_LOCK_VCPU_WQ}};
        static const unsigned pairs[][2] = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {0, 3}};
        for (unsigned i = 0; i < cy.n; i++)
                any_init(&cy.locks[i], cy.classes[i]);
        for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
                any_take(&cy.locks[pairs[i][0]]);
                any_take(&cy.locks[pairs[i][1]]);
                any_release(&cy.locks[pairs[i][1]]);
                any_release(&cy.locks[pairs[i][0]]);
        }
        /* and all four at once, in order */
        for (unsigned i = 0; i < cy.n; i++)
                any_take(&cy.locks[i]);
        for (unsigned i = cy.n; i-- > 0;)
                any_release(&cy.locks[i]);
}
END_TEST

/* Lockdep-style with SRCU: a reader took hv_usage_lock (undocumented against vm->srcu), so
 * hv_synchronize_srcu under hv_usage_lock could wait forever for that reader. And the other way
 * round: once synchronize ran under it, taking it inside a read side is reported. */
static struct hv_srcu inv_srcu;
static struct hv_mutex inv_usage;

static void *reader_takes_usage(void *arg)
{
        int idx = hv_srcu_read_lock(&inv_srcu);
        hv_mutex_lock(&inv_usage);
        hv_mutex_unlock(&inv_usage);
        hv_srcu_read_unlock(&inv_srcu, idx);
        return NULL;
}

static void *sync_under_usage(void *arg)
{
        hv_mutex_lock(&inv_usage);
        hv_synchronize_srcu(&inv_srcu);
        hv_mutex_unlock(&inv_usage);
        return NULL;
}

static void srcu_inversion(void *arg)
{
        bool reader_first = *(bool *)arg;
        pthread_t t;
        hv_srcu_init(&inv_srcu);
        hv_mutex_init(&inv_usage, HV_LOCK_USAGE);
        if (pthread_create(&t, NULL, reader_first ? reader_takes_usage : sync_under_usage, NULL) != 0 ||
            pthread_join(t, NULL) != 0)
                _exit(2);
        (reader_first ? sync_under_usage : reader_takes_usage)(NULL);
}

START_TEST(test_inversion_srcu_reader_then_synchronize)
{
        bool reader_first = true;
        EXPECT_ABORT(srcu_inversion, &reader_first, "lock order (observed) violated", "synchronizing vm->srcu",
                     "while holding hv_usage_lock", "took hv_usage_lock at ", "inside the read side entered at ",
                     "test-lock-rules.c:");
}
END_TEST

START_TEST(test_inversion_srcu_synchronize_then_reader)
{
        bool reader_first = false;
        EXPECT_ABORT(srcu_inversion, &reader_first, "lock order (observed) violated", "acquiring hv_usage_lock",
                     "while holding vm->srcu", "called hv_synchronize_srcu at ",
                     "while holding hv_usage_lock taken at ", "test-lock-rules.c:");
}
END_TEST

/* Rule: locks are not recursive. */
static void recursion(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, HV_LOCK_VM);
        hv_mutex_lock(&m);
        hv_mutex_lock(&m);
}

START_TEST(test_recursion)
{
        EXPECT_ABORT(recursion, NULL, "recursion violated", "acquiring vm->lock", "while holding vm->lock",
                     "would wait for itself");
}
END_TEST

/* Rule: two locks of one class are never held together... */
static void two_of_class(void *arg)
{
        enum hv_lock_class c = *(enum hv_lock_class *)arg;
        struct hv_mutex a, b;
        hv_mutex_init(&a, c);
        hv_mutex_init(&b, c);
        hv_mutex_lock(&a);
        hv_mutex_lock(&b);
}

START_TEST(test_same_class)
{
        enum hv_lock_class c = HV_LOCK_DEVICE;
        EXPECT_ABORT(two_of_class, &c, "same-class nesting violated", "acquiring device->lock",
                     "while holding device->lock", "two locks of class device->lock are never held together");
}
END_TEST

/* ...except vCPU mutexes, and only under vm->lock. */
START_TEST(test_vcpu_nesting_without_vm_lock)
{
        enum hv_lock_class c = HV_LOCK_VCPU;
        EXPECT_ABORT(two_of_class, &c, "same-class nesting violated", "acquiring vcpu->mutex",
                     "may be held together only under vm->lock");
}
END_TEST

START_TEST(test_vcpu_nesting_under_vm_lock_passes)
{
        struct hv_mutex vm, vcpu[4];
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_lock(&vm);
        for (int i = 0; i < 4; i++) {
                hv_mutex_init(&vcpu[i], HV_LOCK_VCPU);
                hv_mutex_lock(&vcpu[i]);
        }
        for (int i = 0; i < 4; i++)
                hv_mutex_unlock(&vcpu[i]); /* any release order */
        hv_mutex_unlock(&vm);
}
END_TEST

/* Every vCPU mutex of the largest VM at once under vm->lock: hvcore accepts as many vCPUs as
 * KVM_CAP_MAX_VCPUS says (1024 on x86 hosts here, 4096 with CONFIG_MAXSMP). They count as one
 * entry of the held stack, yet each is still known to be held, and released in any order. */
enum { MAX_VCPUS = 4096 };

START_TEST(test_vcpu_nesting_largest_vm_passes)
{
        static struct hv_mutex vm, other, vcpu[MAX_VCPUS];
        hv_mutex_init(&vm, HV_LOCK_VM);
        hv_mutex_init(&other, HV_LOCK_VCPU);
        hv_mutex_lock(&vm);
        for (int i = 0; i < MAX_VCPUS; i++) {
                hv_mutex_init(&vcpu[i], HV_LOCK_VCPU);
                hv_mutex_lock(&vcpu[i]);
        }
        for (int i = 0; i < MAX_VCPUS; i++)
                hv_lock_assert_held(&vcpu[i]);
        hv_lock_assert_not_held(&other);
        for (int i = 0; i < MAX_VCPUS; i += 2) /* every other one first */
                hv_mutex_unlock(&vcpu[i]);
        for (int i = 0; i < MAX_VCPUS; i += 2)
                hv_lock_assert_not_held(&vcpu[i]);
        hv_lock_assert_held(&vcpu[1]);
        for (int i = MAX_VCPUS - 1; i > 0; i -= 2)
                hv_mutex_unlock(&vcpu[i]);
        hv_lock_assert_not_held(&vcpu[1]);
        hv_mutex_unlock(&vm);
        for (int i = 0; i < MAX_VCPUS; i++)
                hv_mutex_destroy(&vcpu[i]);
}
END_TEST

/* A vCPU mutex of such a run is still not recursive... */
static struct hv_mutex run_vm, run_vcpu[3];

static void lock_vcpu_run(void)
{
        hv_mutex_init(&run_vm, HV_LOCK_VM);
        hv_mutex_lock(&run_vm);
        for (size_t i = 0; i < ARRAY_SIZE(run_vcpu); i++) {
                hv_mutex_init(&run_vcpu[i], HV_LOCK_VCPU);
                hv_mutex_lock(&run_vcpu[i]);
        }
}

static void vcpu_run_recursion(void *arg)
{
        lock_vcpu_run();
        hv_mutex_lock(&run_vcpu[1]);
}

START_TEST(test_vcpu_run_recursion)
{
        EXPECT_ABORT(vcpu_run_recursion, NULL, "recursion violated", "acquiring vcpu->mutex",
                     "3 locks of class vcpu->mutex, the first");
}
END_TEST

/* ...and one released twice is still reported. */
static void vcpu_run_unlock_twice(void *arg)
{
        lock_vcpu_run();
        hv_mutex_unlock(&run_vcpu[1]);
        hv_mutex_unlock(&run_vcpu[1]);
}

START_TEST(test_vcpu_run_unlock_twice)
{
        EXPECT_ABORT(vcpu_run_unlock_twice, NULL, "unlock violated", "releasing vcpu->mutex");
}
END_TEST

/* vm->irq_lock is real: every interrupt line goes through hv_vm_set_irq_line, which takes it
 * (a leaf) around KVM_IRQ_LINE. A device that raised its line under its own lock breaks the
 * leaf rule of device->lock. (No VM fd here: the ioctl is never reached.) */
static void irq_line_under_device_lock(void *arg)
{
        static struct hv_vm vm;
        struct hv_mutex dev;
        vm.vm_fd = -EBADF;
        hv_mutex_init(&vm.irq_lock, HV_LOCK_IRQ);
        hv_mutex_init(&dev, HV_LOCK_DEVICE);
        if (hv_vm_set_irq_line(&vm, 4, true) != -EBADF) /* allowed with nothing held */
                _exit(2);
        hv_mutex_lock(&dev);
        (void)hv_vm_set_irq_line(&vm, 4, true);
}

START_TEST(test_irq_line_takes_irq_lock)
{
        EXPECT_ABORT(irq_line_under_device_lock, NULL, "leaf lock violated", "acquiring vm->irq_lock",
                     "while holding device->lock", "vm.c:");
}
END_TEST

/* Rule: only the holder releases a lock, once. */
static void unlock_not_held(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, HV_LOCK_IRQ);
        hv_mutex_lock(&m);
        hv_mutex_unlock(&m);
        hv_mutex_unlock(&m);
}

START_TEST(test_unlock_not_held)
{
        EXPECT_ABORT(unlock_not_held, NULL, "unlock violated", "releasing vm->irq_lock");
}
END_TEST

/* Leaving a read side that was never entered. */
static void wrong_side(void *arg)
{
        struct hv_srcu s;
        hv_srcu_init(&s);
        hv_srcu_read_unlock(&s, 0);
}

START_TEST(test_unlock_wrong_side)
{
        EXPECT_ABORT(wrong_side, NULL, "unlock violated", "releasing vm->srcu", "[read side]", "on the same side");
}
END_TEST

/* hv_lock_assert_held / hv_lock_assert_not_held. */
static void assert_held_fails(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, HV_LOCK_SLOTS);
        hv_lock_assert_held(&m);
}

START_TEST(test_assert_held)
{
        EXPECT_ABORT(assert_held_fails, NULL, "assertion violated", "hv_lock_assert_held(vm->slots_lock",
                     "test-lock-rules.c:");
}
END_TEST

static void *assert_held_thread(void *arg)
{
        hv_lock_assert_held((struct hv_mutex *)arg);
        return NULL;
}

static void assert_held_other_thread_fails(void *arg)
{
        static struct hv_mutex l;
        hv_mutex_init(&l, HV_LOCK_DEVICE);
        hv_mutex_lock(&l);
        pthread_t t;
        /* held, but by this thread: the check in another thread must fail */
        if (pthread_create(&t, NULL, assert_held_thread, &l) != 0)
                _exit(2);
        pthread_join(t, NULL);
}

START_TEST(test_assert_held_other_thread)
{
        EXPECT_ABORT(assert_held_other_thread_fails, NULL, "assertion violated",
                     "hv_lock_assert_held(device->lock");
}
END_TEST

static void assert_not_held_fails(void *arg)
{
        struct hv_srcu l;
        hv_srcu_init(&l);
        (void)hv_srcu_read_lock(&l);
        hv_lock_assert_not_held(&l);
}

START_TEST(test_assert_not_held)
{
        EXPECT_ABORT(assert_not_held_fails, NULL, "assertion violated", "hv_lock_assert_not_held(vm->srcu",
                     "it was taken at ", "test-lock-rules.c:");
}
END_TEST

/* A lock is created with a class of its own type, and with a class that exists. */
static void wrong_type(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, HV_LOCK_SRCU);
}

START_TEST(test_class_type)
{
        EXPECT_ABORT(wrong_type, NULL, "lock class violated", "creating a mutex", "by code at 0x",
                     "rule: vm->srcu is a srcu");
}
END_TEST

static void bad_class(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, (enum hv_lock_class)99);
}

START_TEST(test_class_invalid)
{
        EXPECT_ABORT(bad_class, NULL, "lock class violated", "(class 99)");
}
END_TEST

static void destroy_held(void *arg)
{
        struct hv_mutex m;
        hv_mutex_init(&m, HV_LOCK_DEVICE);
        hv_mutex_lock(&m);
        hv_mutex_destroy(&m);
}

START_TEST(test_destroy_held)
{
        EXPECT_ABORT(destroy_held, NULL, "destroy violated", "destroying device->lock");
}
END_TEST

/* The held-lock limit catches a leaked read side in a loop. */
static void leak_read_sides(void *arg)
{
        struct hv_srcu s;
        hv_srcu_init(&s);
        for (int i = 0; i < 1000; i++)
                (void)hv_srcu_read_lock(&s);
}

START_TEST(test_held_limit)
{
        EXPECT_ABORT(leak_read_sides, NULL, "held-lock limit violated");
}
END_TEST

/* A thread that ends inside a read side is reported when it exits. */
static struct hv_srcu exit_srcu;
static void *leave_read_side_open(void *arg)
{
        (void)hv_srcu_read_lock(&exit_srcu);
        return NULL;
}

static void thread_exits_in_read_side(void *arg)
{
        pthread_t t;
        hv_srcu_init(&exit_srcu);
        if (pthread_create(&t, NULL, leave_read_side_open, NULL) != 0)
                _exit(2);
        pthread_join(t, NULL);
}

START_TEST(test_thread_exit_holding)
{
        EXPECT_ABORT(thread_exits_in_read_side, NULL, "thread exit violated", "vm->srcu", "[read side] taken at ");
}
END_TEST

/* A thread that released everything ends quietly. */
static void *balanced(void *arg)
{
        int idx = hv_srcu_read_lock(&exit_srcu);
        hv_srcu_read_unlock(&exit_srcu, idx);
        return NULL;
}

START_TEST(test_thread_exit_clean_passes)
{
        pthread_t t;
        hv_srcu_init(&exit_srcu);
        ck_assert_int_eq(pthread_create(&t, NULL, balanced, NULL), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

static Suite *lock_rules_suite(void)
{
        Suite *s = suite_create("lock-rules");
        TCase *tc = tcase_create("rules");
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_order_reversed, 0, n_edges);
        tcase_add_test(tc, test_order_transitive);
        tcase_add_test(tc, test_report_names_both_places);
        tcase_add_loop_test(tc, test_srcu_forbidden, 0, (int)ARRAY_SIZE(srcu_forbidden));
        tcase_add_test(tc, test_srcu_synchronize_in_read_side);
        tcase_add_test(tc, test_srcu_synchronize_in_other_read_side);
        tcase_add_loop_test(tc, test_srcu_synchronize_under_reader_lock, 0, n_srcu_inside);
        tcase_add_loop_test(tc, test_leaf, 0, n_leaves);
        tcase_add_test(tc, test_inversion_other_thread);
        tcase_add_test(tc, test_same_order_two_threads_passes);
        tcase_add_test(tc, test_cycle_of_three);
        tcase_add_test(tc, test_cycle_of_four);
        tcase_add_test(tc, test_cycle_through_srcu);
        tcase_add_test(tc, test_cycle_three_threads_at_once);
        tcase_add_test(tc, test_diamond_passes);
        tcase_add_test(tc, test_inversion_srcu_reader_then_synchronize);
        tcase_add_test(tc, test_inversion_srcu_synchronize_then_reader);
        tcase_add_test(tc, test_recursion);
        tcase_add_test(tc, test_same_class);
        tcase_add_test(tc, test_vcpu_nesting_without_vm_lock);
        tcase_add_test(tc, test_vcpu_nesting_under_vm_lock_passes);
        tcase_add_test(tc, test_vcpu_nesting_largest_vm_passes);
        tcase_add_test(tc, test_vcpu_run_recursion);
        tcase_add_test(tc, test_vcpu_run_unlock_twice);
        tcase_add_test(tc, test_irq_line_takes_irq_lock);
        tcase_add_test(tc, test_unlock_not_held);
        tcase_add_test(tc, test_unlock_wrong_side);
        tcase_add_test(tc, test_assert_held);
        tcase_add_test(tc, test_assert_held_other_thread);
        tcase_add_test(tc, test_assert_not_held);
        tcase_add_test(tc, test_class_type);
        tcase_add_test(tc, test_class_invalid);
        tcase_add_test(tc, test_destroy_held);
        tcase_add_test(tc, test_held_limit);
        tcase_add_test(tc, test_thread_exit_holding);
        tcase_add_test(tc, test_thread_exit_clean_passes);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!hv_lock_validator_enabled()) {
                printf("SKIP: the lock validator is compiled out (configure --enable-lock-validator)\n");
                return 77;
        }
        table_walk();
        return hv_test_run_suite(lock_rules_suite());
}
