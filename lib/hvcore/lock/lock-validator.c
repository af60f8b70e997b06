/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lock validator. Each thread keeps the locks it holds, innermost last, with the file and
 * line of each acquisition. Taking a lock checks every held lock against it:
 *   - the documented order (hv_lock_hierarchy, transitively closed) and its leaf classes;
 *   - the SRCU read-side rule (nothing that hv_synchronize_srcu may run under);
 *   - lockdep-style, the orders observed so far by any thread: an undocumented pair of classes
 *     must always nest the same way, so the first reverse nesting is reported even if it never
 *     deadlocks; and the observed orders never form a cycle of any length (A before B, B before
 *     C, C before A), reported the first time the closing order is seen.
 * The observed orders are a global matrix of atomics (with where each was first seen) and, for
 * the cycle search, a bitmask of successors per class. A pair is recorded before its reverse is
 * looked at (both sequentially consistent), so two threads that race to establish opposite
 * orders cannot both miss each other. Only the thread that records a new order searches for a
 * cycle through it, after publishing it: of the orders closing a cycle, the one published last
 * is searched with every other one visible. A known order costs two loads, no search.
 *
 * Several locks of a class that nests under another (vcpu->mutex under vm->lock) taken in a
 * row are one entry of the held stack with a count, like lockdep's references, so that every
 * vCPU mutex of the largest VM can be held at once; such a lock is then told apart by its
 * owner field (those classes are mutexes). */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock/lock-hierarchy.h"
#include "lock/lock-validator.h"
#include "macros.h"

#ifdef HV_LOCK_VALIDATOR_ON

#define MAX_HELD 48
/* The matrix has one more column than there are classes: "held across hv_synchronize_srcu". */
#define SYNC_COLUMN _HV_LOCK_CLASS_MAX
#define N_COLUMNS (_HV_LOCK_CLASS_MAX + 1)

struct held_lock {
        const enum hv_lock_class *lock; /* of a run: the first one taken */
        enum hv_lock_class lock_class;
        enum hv_lock_mode mode;
        bool run;       /* stands for several locks of a nest_under class, taken in a row */
        unsigned count; /* how many locks it stands for (1 unless a run) */
        const char *file;
        int line;
};

/* initial-exec: libhvcore.so is linked, not dlopened, and this spares a __tls_get_addr call */
static _Thread_local __attribute__((tls_model("initial-exec"))) struct {
        unsigned depth;
        struct held_lock stack[MAX_HELD];
} held;

enum { SEEN_NONE, SEEN_WRITING, SEEN_READY };

/* The first time a thread took `inner` while holding `outer`. */
struct order_seen {
        _Atomic unsigned state;
        pid_t tid;
        char *outer_file, *inner_file;
        int outer_line, inner_line;
};

static struct order_seen seen[_HV_LOCK_CLASS_MAX][N_COLUMNS];
/* The same orders as a graph over classes, for the cycle search: bit b of succ[a] once `b` was
 * taken while `a` was held. A lock held across hv_synchronize_srcu (SYNC_COLUMN) is an edge to
 * the SRCU class: the synchronize waits for readers as if it took the read side. */
static _Atomic uint32_t succ[_HV_LOCK_CLASS_MAX];
_Static_assert(_HV_LOCK_CLASS_MAX <= 32, "succ[] is a 32-bit mask per class");

static unsigned column_node(unsigned col) { return col == SYNC_COLUMN ? HV_LOCK_SRCU : col; }
static unsigned node_column(unsigned node) { return node == HV_LOCK_SRCU ? SYNC_COLUMN : node; }

/* A lock of a run is a mutex (lock_class_nests checks it): is it held by this thread? */
static bool mutex_owned_here(const enum hv_lock_class *lock)
{
        const struct hv_mutex *m = (const void *)((const char *)lock - offsetof(struct hv_mutex, lock_class));
        return atomic_load_explicit(&m->held, memory_order_relaxed) &&
               pthread_equal(atomic_load_explicit(&m->owner, memory_order_relaxed), pthread_self());
}

static bool lock_class_nests(enum hv_lock_class c)
{
        return hv_lock_hierarchy[c].nest_under >= 0 && hv_lock_hierarchy[c].type == HV_LOCK_TYPE_MUTEX;
}

/* Does held entry h stand for `lock`? */
static bool entry_holds(const struct held_lock *h, const enum hv_lock_class *lock)
{
        if (!h->run)
                return h->lock == lock;
        return h->lock_class == *lock && mutex_owned_here(lock);
}

static const char *class_name(enum hv_lock_class c)
{
        const char *s = hv_lock_class_to_string(c);
        return s ?: "(invalid class)";
}

static const char *loc_file(const char *f) { return f ?: "?"; }

/* The report: built in a static buffer (we are about to abort) and written at once. */
static char report_buf[16384];
static size_t report_len;

_printf_(1, 2) static void say(const char *fmt, ...)
{
        if (report_len >= sizeof(report_buf) - 1)
                return;
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(report_buf + report_len, sizeof(report_buf) - report_len, fmt, ap);
        va_end(ap);
        if (k > 0)
                report_len = MIN(report_len + (size_t)k, sizeof(report_buf) - 1);
}

static void say_held_stack(void)
{
        say("  locks held by thread %d (outermost first):\n", (int)gettid());
        if (held.depth == 0)
                say("    (none)\n");
        for (unsigned i = 0; i < held.depth; i++) {
                const struct held_lock *h = &held.stack[i];
                if (h->run) {
                        say("    #%u %u locks of class %s, the first (%p) taken at %s:%d\n", i, h->count,
                            class_name(h->lock_class), (const void *)h->lock, loc_file(h->file), h->line);
                        continue;
                }
                say("    #%u %s (%p)%s taken at %s:%d\n", i, class_name(h->lock_class), (const void *)h->lock,
                    h->mode == HV_LOCK_MODE_SRCU_READ ? " [read side]" : "", loc_file(h->file), h->line);
        }
}

_noreturn_ static void report_end(void)
{
        say_held_stack();
        say("  see hvcore-locking(7)\n");
        size_t off = 0;
        while (off < report_len) {
                ssize_t k = write(STDERR_FILENO, report_buf + off, report_len - off);
                if (k <= 0)
                        break;
                off += (size_t)k;
        }
        abort();
}

static void report_begin(const char *rule, const char *summary)
{
        /* one report per process: a second thread that trips meanwhile waits for the abort */
        static atomic_flag reporting = ATOMIC_FLAG_INIT;
        if (atomic_flag_test_and_set(&reporting))
                for (;;)
                        pause();
        report_len = 0;
        say("hvd lock validator: %s violated: %s\n", rule, summary);
}

static void say_acquiring(const char *verb, const enum hv_lock_class *lock, enum hv_lock_class c, const char *file,
                          int line)
{
        say("  %s %s (%p) at %s:%d\n", verb, class_name(c), (const void *)lock, loc_file(file), line);
}

static void say_holding(const struct held_lock *h)
{
        say("  while holding %s (%p) taken at %s:%d\n", class_name(h->lock_class), (const void *)h->lock,
            loc_file(h->file), h->line);
}

_noreturn_ static void report_pair(const char *rule, const char *summary, const enum hv_lock_class *lock,
                                   enum hv_lock_class c, const char *file, int line, const struct held_lock *h,
                                   const char *why)
{
        report_begin(rule, summary);
        say_acquiring("acquiring", lock, c, file, line);
        say_holding(h);
        say("  rule: %s\n", why);
        report_end();
}

static const struct order_seen *seen_wait(unsigned outer, unsigned inner)
{
        struct order_seen *s = &seen[outer][inner];
        /* the recording thread is between two stores: give it a moment */
        while (atomic_load(&s->state) == SEEN_WRITING)
                sched_yield();
        return s;
}

/* Records "inner taken while outer held" unless already known; returns whether this call
 * recorded it (then, and only then, the caller searches for a cycle through it). */
static bool seen_record(unsigned outer, unsigned inner, const struct held_lock *h, const char *file, int line)
{
        struct order_seen *s = &seen[outer][inner];
        unsigned expected = SEEN_NONE;
        if (atomic_load(&s->state) != SEEN_NONE ||
            !atomic_compare_exchange_strong(&s->state, &expected, SEEN_WRITING))
                return false;
        /* copies: the code that took the locks may be a plugin unloaded since */
        s->tid = gettid();
        s->outer_file = h->file ? strdup(h->file) : NULL;
        s->outer_line = h->line;
        s->inner_file = file ? strdup(file) : NULL;
        s->inner_line = line;
        atomic_store(&s->state, SEEN_READY);
        /* published after the record is READY: a search that sees the edge can print it */
        atomic_fetch_or(&succ[outer], HV_LOCK_BIT(column_node(inner)));
        return true;
}

static bool seen_reverse(unsigned outer, unsigned inner)
{
        return inner < _HV_LOCK_CLASS_MAX && atomic_load(&seen[inner][outer].state) != SEEN_NONE;
}

/* A path of observed orders from `from` to `to` (breadth first, so the shortest): fills
 * path[0..n] with the classes on it and returns the number of edges n, or 0 if there is none. */
static unsigned observed_path(unsigned from, unsigned to, unsigned path[static _HV_LOCK_CLASS_MAX + 1])
{
        int parent[_HV_LOCK_CLASS_MAX];
        unsigned queue[_HV_LOCK_CLASS_MAX], head = 0, tail = 0;
        uint32_t visited = HV_LOCK_BIT(from);

        queue[tail++] = from;
        while (head < tail) {
                unsigned x = queue[head++];
                uint32_t next = atomic_load(&succ[x]) & ~visited;
                for (unsigned y = 0; next; y++) {
                        if (!(next & HV_LOCK_BIT(y)))
                                continue;
                        next &= ~HV_LOCK_BIT(y);
                        visited |= HV_LOCK_BIT(y);
                        parent[y] = (int)x;
                        if (y == to) {
                                unsigned n = 0;
                                for (unsigned z = to; z != from; z = (unsigned)parent[z])
                                        n++;
                                unsigned z = to;
                                for (unsigned k = n;; k--) {
                                        path[k] = z;
                                        if (k == 0)
                                                break;
                                        z = (unsigned)parent[z];
                                }
                                return n;
                        }
                        queue[tail++] = y;
                }
        }
        return 0;
}

static void say_edge(unsigned outer, unsigned inner_node)
{
        unsigned col = node_column(inner_node);
        const struct order_seen *s = seen_wait(outer, col);
        if (col == SYNC_COLUMN)
                say("    thread %d called hv_synchronize_srcu at %s:%d while holding %s taken at %s:%d\n",
                    (int)s->tid, loc_file(s->inner_file), s->inner_line, class_name(outer), loc_file(s->outer_file),
                    s->outer_line);
        else
                say("    thread %d took %s at %s:%d while holding %s taken at %s:%d\n", (int)s->tid,
                    class_name(inner_node), loc_file(s->inner_file), s->inner_line, class_name(outer),
                    loc_file(s->outer_file), s->outer_line);
}

/* The order outer -> inner (a column) was just recorded by this thread: if the classes
 * observed so far lead from inner back to outer, they form a cycle, reported here. A cycle of
 * two is the reverse order, which the caller reports with its own words first. */
static void cycle_check(unsigned outer, unsigned inner, const char *verb, const enum hv_lock_class *lock,
                        enum hv_lock_class c, const char *file, int line, const struct held_lock *h)
{
        unsigned path[_HV_LOCK_CLASS_MAX + 1];
        unsigned n = observed_path(column_node(inner), outer, path);
        if (n == 0)
                return;
        report_begin("lock order (observed cycle)", "lock classes taken in a cycle (possible deadlock)");
        say_acquiring(verb, lock, c, file, line);
        say_holding(h);
        say("  which closes the cycle %s", class_name(outer));
        for (unsigned k = 0; k <= n; k++)
                say(" -> %s", class_name(path[k]));
        say("\n  the other orders of the cycle, each where it was first seen:\n");
        for (unsigned k = 0; k < n; k++)
                say_edge(path[k], path[k + 1]);
        say("  rule: the orders observed between lock classes never form a cycle (lockdep-style): "
            "each thread could hold one lock of it and wait for the next\n");
        report_end();
}

static bool holds_class(enum hv_lock_class c)
{
        for (unsigned i = 0; i < held.depth; i++)
                if (held.stack[i].lock_class == c)
                        return true;
        return false;
}

static enum hv_lock_class lock_class_of(const enum hv_lock_class *lock, const char *file, int line, const void *from)
{
        enum hv_lock_class c = *lock;
        if (c < 0 || c >= _HV_LOCK_CLASS_MAX) {
                report_begin("lock class", "a lock with no valid class (not initialised?)");
                if (file)
                        say("  lock %p (class %d) used at %s:%d\n", (const void *)lock, (int)c, file, line);
                else
                        say("  lock %p (class %d) created by code at %p\n", (const void *)lock, (int)c, from);
                say("  rule: every lock is created with its class (hv_*_init)\n");
                report_end();
        }
        return c;
}

void hv_lock_validator_init(const enum hv_lock_class *lock, enum hv_lock_type type, const void *from)
{
        enum hv_lock_class c = lock_class_of(lock, NULL, 0, from);
        if (hv_lock_hierarchy[c].type != type) {
                report_begin("lock class", "a lock created with a class of another type");
                say("  creating a %s (%p) of class %s, by code at %p\n", hv_lock_type_to_string(type),
                    (const void *)lock, class_name(c), from);
                say("  rule: %s is a %s\n", class_name(c), hv_lock_type_to_string(hv_lock_hierarchy[c].type));
                report_end();
        }
}

_noreturn_ static void report_inversion(const enum hv_lock_class *lock, enum hv_lock_class c, const char *file,
                                        int line, const struct held_lock *h, unsigned rev_outer, unsigned rev_inner)
{
        const struct order_seen *s = seen_wait(rev_outer, rev_inner);
        report_begin("lock order (observed)", "two lock classes taken in both orders (possible deadlock)");
        say_acquiring("acquiring", lock, c, file, line);
        say_holding(h);
        if (rev_inner == SYNC_COLUMN)
                say("  but thread %d called hv_synchronize_srcu at %s:%d while holding %s taken at %s:%d\n",
                    (int)s->tid, loc_file(s->inner_file), s->inner_line, class_name(rev_outer),
                    loc_file(s->outer_file), s->outer_line);
        else
                say("  but thread %d took %s at %s:%d while holding %s taken at %s:%d\n", (int)s->tid,
                    class_name(rev_inner), loc_file(s->inner_file), s->inner_line, class_name(rev_outer),
                    loc_file(s->outer_file), s->outer_line);
        say("  rule: two classes without a documented order must always nest the same way (lockdep-style)\n");
        report_end();
}

void hv_lock_validator_check(const enum hv_lock_class *lock, enum hv_lock_mode mode, const char *file, int line)
{
        enum hv_lock_class b = lock_class_of(lock, file, line, NULL);

        /* Entering a read side never blocks, and read sides nest: nothing to check. What is
         * taken inside it is checked against it later. */
        if (mode == HV_LOCK_MODE_SRCU_READ)
                return;

        for (unsigned i = held.depth; i-- > 0;) {
                const struct held_lock *h = &held.stack[i];
                enum hv_lock_class a = h->lock_class;

                if (entry_holds(h, lock))
                        report_pair("recursion", "a lock taken again by the thread that holds it", lock, b, file,
                                    line, h, "locks are not recursive: this thread would wait for itself");
                if (a == b) {
                        int nest = hv_lock_hierarchy[b].nest_under;
                        if (nest >= 0 && holds_class(nest))
                                continue;
                        char why[256];
                        if (nest >= 0)
                                snprintf(why, sizeof(why),
                                         "two locks of class %s may be held together only under %s, which "
                                         "serialises everyone who takes several",
                                         class_name(b), class_name(nest));
                        else
                                snprintf(why, sizeof(why), "two locks of class %s are never held together",
                                         class_name(b));
                        report_pair("same-class nesting", "two locks of one class held together", lock, b, file,
                                    line, h, why);
                }
                if (a == HV_LOCK_SRCU && hv_lock_order_allowed(b, HV_LOCK_SRCU)) {
                        char why[256];
                        snprintf(why, sizeof(why),
                                 "%s is never taken inside a %s read side: hv_synchronize_srcu runs under it",
                                 class_name(b), class_name(a));
                        report_pair("SRCU read side", "a lock taken inside an SRCU read-side section", lock, b,
                                    file, line, h, why);
                }
                if (hv_lock_order_allowed(a, b)) {
                        /* documented, so never reversed; but it may be part of a longer cycle */
                        if (seen_record(a, b, h, file, line))
                                cycle_check(a, b, "acquiring", lock, b, file, line, h);
                        continue;
                }
                if (hv_lock_order_allowed(b, a)) {
                        char why[256];
                        snprintf(why, sizeof(why), "%s is taken outside %s", class_name(b), class_name(a));
                        report_pair("lock order", "locks taken against the documented order", lock, b, file,
                                    line, h, why);
                }
                if (hv_lock_class_is_leaf(a)) {
                        char why[256];
                        snprintf(why, sizeof(why), "%s is a leaf: no other lock is taken inside it",
                                 class_name(a));
                        report_pair("leaf lock", "a lock taken inside a leaf lock", lock, b, file, line, h, why);
                }
                bool fresh = seen_record(a, b, h, file, line);
                if (seen_reverse(a, b))
                        report_inversion(lock, b, file, line, h, b, a);
                if (a == HV_LOCK_SRCU && atomic_load(&seen[b][SYNC_COLUMN].state) != SEEN_NONE)
                        report_inversion(lock, b, file, line, h, b, SYNC_COLUMN);
                if (fresh)
                        cycle_check(a, b, "acquiring", lock, b, file, line, h);
        }
}

/* A thread must not end with a lock or a read side held (a leaked read side stalls every
 * hv_synchronize_srcu forever): a thread-specific key's destructor looks at exit. */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static _Thread_local __attribute__((tls_model("initial-exec"))) bool exit_hooked;

static void thread_exit_check(void *unused)
{
        if (held.depth == 0)
                return;
        report_begin("thread exit", "a thread ended while holding locks");
        say("  rule: a thread releases every lock and leaves every read side before it ends\n");
        report_end();
}

static void exit_key_create(void)
{
        if (pthread_key_create(&exit_key, thread_exit_check) != 0)
                abort();
}

static void exit_hook(void)
{
        exit_hooked = true;
        pthread_once(&exit_key_once, exit_key_create);
        (void)pthread_setspecific(exit_key, &exit_hooked);
}

void hv_lock_validator_push(const enum hv_lock_class *lock, enum hv_lock_mode mode, const char *file, int line)
{
        if (_unlikely_(!exit_hooked))
                exit_hook();
        if (held.depth > 0 && mode == HV_LOCK_MODE_EXCLUSIVE) {
                struct held_lock *top = &held.stack[held.depth - 1];
                if (top->lock_class == *lock && top->mode == mode && lock_class_nests(*lock)) {
                        top->run = true;
                        top->count++;
                        return;
                }
        }
        if (held.depth >= MAX_HELD) {
                report_begin("held-lock limit", "too many locks held by one thread");
                say_acquiring("acquiring", lock, *lock, file, line);
                say("  rule: a thread holds at most %d locks (a leak of read sides or locks?)\n", MAX_HELD);
                report_end();
        }
        held.stack[held.depth++] = (struct held_lock){
                .lock = lock, .lock_class = *lock, .mode = mode, .count = 1, .file = file, .line = line};
}

static void held_remove(unsigned i)
{
        if (--held.stack[i].count > 0)
                return; /* a run that still holds others */
        memmove(&held.stack[i], &held.stack[i + 1], (held.depth - i - 1) * sizeof(held.stack[0]));
        held.depth--;
}

void hv_lock_validator_pop(const enum hv_lock_class *lock, enum hv_lock_mode mode, const void *from)
{
        unsigned top = held.depth - 1;
        if (held.depth > 0 && held.stack[top].lock == lock && held.stack[top].mode == mode && !held.stack[top].run) {
                held.depth = top; /* the usual case: innermost first */
                return;
        }
        /* a lock of its own entry first, so that a run does not take its place */
        for (unsigned i = held.depth; i-- > 0;)
                if (!held.stack[i].run && held.stack[i].lock == lock && held.stack[i].mode == mode) {
                        held_remove(i);
                        return;
                }
        for (unsigned i = held.depth; i-- > 0;)
                if (held.stack[i].run && held.stack[i].mode == mode && entry_holds(&held.stack[i], lock)) {
                        held_remove(i);
                        return;
                }
        report_begin("unlock", "a lock released by a thread that does not hold it");
        say("  releasing %s (%p)%s from code at %p\n", class_name(*lock), (const void *)lock,
            mode == HV_LOCK_MODE_SRCU_READ ? " [read side]" : "", from);
        say("  rule: only the thread that took a lock releases it, once, on the same side\n");
        report_end();
}

void hv_lock_validator_synchronize(const enum hv_lock_class *srcu, const char *file, int line)
{
        enum hv_lock_class s = lock_class_of(srcu, file, line, NULL);
        for (unsigned i = held.depth; i-- > 0;) {
                const struct held_lock *h = &held.stack[i];
                enum hv_lock_class a = h->lock_class;
                char why[256];

                if (a == HV_LOCK_SRCU) {
                        report_begin("SRCU read side", "hv_synchronize_srcu inside an SRCU read-side section");
                        say_acquiring("synchronizing", srcu, s, file, line);
                        say("  inside the read side of %s (%p) entered at %s:%d\n", class_name(a),
                            (const void *)h->lock, loc_file(h->file), h->line);
                        say("  rule: hv_synchronize_srcu waits for every read side, including this thread's\n");
                        report_end();
                }
                if (hv_lock_order_allowed(a, s)) {
                        if (seen_record(a, SYNC_COLUMN, h, file, line))
                                cycle_check(a, SYNC_COLUMN, "synchronizing", srcu, s, file, line, h);
                        continue;
                }
                if (hv_lock_order_allowed(s, a)) {
                        snprintf(why, sizeof(why),
                                 "%s may be taken inside a %s read side, so it is released before "
                                 "hv_synchronize_srcu",
                                 class_name(a), class_name(s));
                        report_begin("SRCU synchronize", "hv_synchronize_srcu under a lock that readers take");
                        say_acquiring("synchronizing", srcu, s, file, line);
                        say_holding(h);
                        say("  rule: %s\n", why);
                        report_end();
                }
                if (hv_lock_class_is_leaf(a)) {
                        snprintf(why, sizeof(why), "%s is a leaf: nothing that waits happens inside it",
                                 class_name(a));
                        report_begin("leaf lock", "hv_synchronize_srcu inside a leaf lock");
                        say_acquiring("synchronizing", srcu, s, file, line);
                        say_holding(h);
                        say("  rule: %s\n", why);
                        report_end();
                }
                bool fresh = seen_record(a, SYNC_COLUMN, h, file, line);
                if (atomic_load(&seen[s][a].state) != SEEN_NONE) {
                        const struct order_seen *r = seen_wait(s, a);
                        report_begin("lock order (observed)",
                                     "hv_synchronize_srcu under a lock that a reader took (possible deadlock)");
                        say_acquiring("synchronizing", srcu, s, file, line);
                        say_holding(h);
                        say("  but thread %d took %s at %s:%d inside the read side entered at %s:%d\n", (int)r->tid,
                            class_name(a), loc_file(r->inner_file), r->inner_line, loc_file(r->outer_file),
                            r->outer_line);
                        say("  rule: a lock held across hv_synchronize_srcu is never taken inside a read side\n");
                        report_end();
                }
                if (fresh)
                        cycle_check(a, SYNC_COLUMN, "synchronizing", srcu, s, file, line, h);
        }
}

void hv_lock_validator_destroy(const enum hv_lock_class *lock, const void *from)
{
        for (unsigned i = 0; i < held.depth; i++)
                if (entry_holds(&held.stack[i], lock)) {
                        report_begin("destroy", "a lock destroyed while held");
                        say("  destroying %s (%p) from code at %p\n", class_name(*lock), (const void *)lock, from);
                        say("  it was taken at %s:%d\n", loc_file(held.stack[i].file), held.stack[i].line);
                        say("  rule: a lock is released before it is destroyed\n");
                        report_end();
                }
}

static bool is_held(const enum hv_lock_class *lock)
{
        for (unsigned i = 0; i < held.depth; i++)
                if (entry_holds(&held.stack[i], lock))
                        return true;
        return false;
}

void hv__lock_assert_held(const enum hv_lock_class *lock, const char *file, int line)
{
        if (is_held(lock))
                return;
        report_begin("assertion", "a lock that must be held is not held by this thread");
        say("  hv_lock_assert_held(%s (%p)) at %s:%d\n", class_name(*lock), (const void *)lock, loc_file(file), line);
        say("  rule: the caller holds %s here\n", class_name(*lock));
        report_end();
}

void hv__lock_assert_not_held(const enum hv_lock_class *lock, const char *file, int line)
{
        for (unsigned i = 0; i < held.depth; i++)
                if (entry_holds(&held.stack[i], lock)) {
                        report_begin("assertion", "a lock that must not be held is held by this thread");
                        say("  hv_lock_assert_not_held(%s (%p)) at %s:%d\n", class_name(*lock), (const void *)lock,
                            loc_file(file), line);
                        say("  it was taken at %s:%d\n", loc_file(held.stack[i].file), held.stack[i].line);
                        say("  rule: the caller does not hold %s here\n", class_name(*lock));
                        report_end();
                }
}

bool hv_lock_validator_enabled(void) { return true; }

void hv_lock_validator_reset(void)
{
        for (unsigned i = 0; i < _HV_LOCK_CLASS_MAX; i++)
                for (unsigned j = 0; j < N_COLUMNS; j++) {
                        struct order_seen *s = &seen[i][j];
                        if (atomic_load(&s->state) == SEEN_READY) {
                                free(s->outer_file);
                                free(s->inner_file);
                        }
                        *s = (struct order_seen){};
                }
        for (unsigned i = 0; i < _HV_LOCK_CLASS_MAX; i++)
                atomic_store(&succ[i], 0);
}

#else /* !HV_LOCK_VALIDATOR_ON */

void hv__lock_assert_held(const enum hv_lock_class *lock, const char *file, int line) {}
void hv__lock_assert_not_held(const enum hv_lock_class *lock, const char *file, int line) {}
bool hv_lock_validator_enabled(void) { return false; }
void hv_lock_validator_reset(void) {}

#endif
