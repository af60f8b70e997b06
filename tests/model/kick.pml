/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vCPU entry / kick protocol of lib/hvcore/vm/request.c (its header comment, steps V1-V9 of
 * the vCPU thread and R1-R5 of a requester), for spin; tests/test-kick-model.sh checks it.
 *
 * Claim: a request made while the vCPU is IN_GUEST_MODE or entering (or at any other time)
 * is seen before the vCPU runs guest code again: the guest never runs while a request is
 * pending unless a kick is on its way that will end KVM_RUN (monitor below). And no deadlock:
 * no invalid end state, so a vCPU asleep on its wait queue is always woken by a request, and
 * a WAIT requester always returns. And WAIT (R5) means what it says: when it returns, the
 * vCPU has left the guest entry it was in (past its V6 check) when the request was made.
 *
 * Requester 0 makes a WAIT | NO_WAKEUP request (as MEMSLOT_RELOAD and TLB_FLUSH are),
 * requester 1 a plain one. With PAUSE_WAIT, requester 0 makes a WAIT request that also wakes
 * (PAUSE | WAIT: R2, and R5 only when it did not wake a sleeper) and requester 1 a
 * NO_WAKEUP one, so the vCPU asleep on its wait queue depends on requester 0's wake. Left out: NO_ACTION (makes no request), the futex wakes of mode
 * waiters (their waits have a timeout; here a waiter just blocks until the word changes).
 *
 * Switches (spin -D...):
 *   WAY=1  kick by kvm_run->immediate_exit + a signal with an empty handler, unblocked in the
 *          thread (request.c, DESIGN.md way (a); the default)
 *   WAY=2  DESIGN.md way (b): the signal is blocked in the thread and unblocked only inside
 *          KVM_RUN (KVM_SET_SIGNAL_MASK), then consumed by sigtimedwait after -EINTR
 * Mutations, each of which must give a counterexample (tests/test-kick-model.sh says which
 * kind: an assertion, or an invalid end state):
 *   NO_BARRIER        V5: no full barrier between storing IN_GUEST_MODE and reading requests
 *   NO_KICKER_BARRIER R1 a release-only RMW and no R3 fence: the requester's mode check (R4)
 *                     may read the mode before its request is visible; this is the barrier
 *                     that the kernel's kicker gets from its compare-and-swap
 *   NO_ENTRY_CHECK    V6: the vCPU does not check the requests after storing IN_GUEST_MODE
 *   MODE_CHECK_FIRST  R4 before R1: the requester looks at the mode before its request
 *   IE_LATE           (WAY=1) V3 after V6: immediate_exit cleared after the final check
 *   NO_IMMEDIATE_EXIT (WAY=1) the kick is the signal alone
 *   SIGNAL_BEFORE_IE  (WAY=1) pthread_kill before storing immediate_exit = 1
 *   SIG_UNBLOCKED     (WAY=2) the kick signal is not blocked outside KVM_RUN
 *   WAIT_NO_WAKE      (with PAUSE_WAIT) WAIT taken as NO_WAKEUP: R2 skipped, so a vCPU asleep
 *                     on its wait queue is never woken by a PAUSE | WAIT (invalid end state)
 *   WAKE_WITHOUT_LOCK R2: the broadcast is sent without taking wq_lock (a lost wake-up:
 *                     shows up as an invalid end state, the vCPU asleep with a request)
 *   WAIT_NO_GEN       R5 waits for OUTSIDE_GUEST_MODE only, not for a new generation: it can
 *                     miss the vCPU's short stay outside and wait for ever (invalid end state)
 *   WAIT_SKIPPED      R5 returns at once: the WAIT assertion fails (it is not vacuous)
 *   CAS_FAIL_RELOAD   R5 waits on the word a failed CAS found (C11's compare-exchange writes
 *                     it back into `w`) instead of the word R4 read: when V left the entry
 *                     and entered the next one between the two, the requester waits for that
 *                     next entry to end, and nothing kicks it (invalid end state). This is
 *                     what request.c at 3bf142b does (kick_send returns `w` after a failed
 *                     CAS); the model's R5 waits on the word R4 read, which is correct.
 *   REACH             sanity, not a mutation: asserts the guest never runs with a request
 *                     pending at all, to show the model reaches the states where only a kick
 *                     gets the vCPU out
 *   NO_CAS            R4 without the compare-and-swap: a plain store of EXITING_GUEST_MODE
 *                     (and of the generation it read) can land after V stored OUTSIDE of a
 *                     later entry, so the word says "in entry g, exiting" for ever and a WAIT
 *                     requester waits for ever (invalid end state); the request claim alone
 *                     would hold without it, since R3 is the requester's barrier.
 *
 * Memory model: Promela is sequentially consistent, so the reorderings that barriers forbid
 * are modelled with explicit store buffers (TSO, as on x86; a weaker CPU only adds more): a
 * store enters the storing thread's buffer and reaches memory later, at a moment the `memory`
 * process picks, or at a full barrier or a seq_cst read-modify-write of that thread, which
 * drains it. Other threads' loads see memory only. seq_cst stores and read-modify-writes of
 * request.c are modelled as going to memory at once (x86 compiles them to locked
 * instructions or xchg). */

#ifndef WAY
#define WAY 1
#endif
#ifndef ITER
#define ITER 3  /* vCPU run-loop iterations */
#endif
#define NKICK 2 /* requesters running hv_make_request + hv_vcpu_kick concurrently */
/* the requester whose request wakes a sleeping vCPU (R2); requester 0 always WAITs (R5) */
#ifdef PAUSE_WAIT
#define WAKER 0
#else
#define WAKER 1
#endif

/* mode(vcpu->mode_word) */
#define OUTSIDE_GUEST_MODE 0
#define IN_GUEST_MODE 1
#define EXITING_GUEST_MODE 2

byte mode = OUTSIDE_GUEST_MODE; /* vcpu->mode_word in memory: mode ... */
byte gen = 0;                   /* ... and entry generation */
bit req = 0;         /* vcpu->requests (one request bit), in memory */
bit immediate_exit;  /* vcpu->run->immediate_exit */
bit sig_pending;     /* the kick signal (hv_kick_signal()) is pending for the vCPU thread */
bit wq_waiting;      /* vcpu->wq_waiting */
bit wq_lock;         /* vcpu->wq_lock held */
bit wq_asleep;       /* the vCPU is in pthread_cond_wait(&vcpu->wq_cond) */
bit in_guest;        /* ghost: KVM_RUN is running guest code */
byte kicking;        /* ghost: requesters between R1 and their return */
bit to_wake = 1;     /* ghost: requester WAKER (the one that wakes) has not done R1 yet */
byte committed;      /* ghost: gen of the entry V is in past its V6 check; 0 when none */

/* The vCPU thread's store buffer, for its stores to mode_word (V4, V6, V8), and the
 * requesters' (only used by NO_KICKER_BARRIER) for R1. */
bit vsb_full;
byte vsb_mode, vsb_gen;
bit ksb_full[NKICK];

/* The vCPU thread drains its store buffer (full fence, locked instruction). */
#define VCPU_DRAIN \
        if \
        :: vsb_full -> mode = vsb_mode; gen = vsb_gen; vsb_full = 0 \
        :: else \
        fi

/* mode_word := g << 2 | m, through the store buffer (one slot: an older store drains first) */
#define VCPU_STORE_MODE(m, g) atomic { VCPU_DRAIN; vsb_mode = m; vsb_gen = g; vsb_full = 1 }

#define REQUEST_PENDING (req || ksb_full[0] || ksb_full[1])
/* What can still end a running guest: the signal, or a requester that has yet to send it.
 * (immediate_exit counts only when KVM_RUN starts, not once the guest runs.) */
#define KICK_OUTSTANDING (sig_pending || kicking > 0)

/* Whether a pending kick signal is taken by the empty handler while the thread is in user
 * space: always with WAY=1; with WAY=2 only if the thread's mask is wrong. */
#if WAY == 1 || defined(SIG_UNBLOCKED)
#define SIGNAL_TAKEN_IN_USER 1
#else
#define SIGNAL_TAKEN_IN_USER 0
#endif

/* The kick signal ends KVM_RUN with -EINTR. */
#define KICKED_OUT \
        atomic { \
                sig_pending -> \
                in_guest = 0; \
                eintr = 1; \
                if \
                :: SIGNAL_TAKEN_IN_USER -> sig_pending = 0 \
                :: else /* blocked again on return: stays pending */ \
                fi \
        }

proctype vcpu()
{
        byte i = 0;
        byte vgen = 0; /* gen of the vCPU's latest entry (it reads its own word relaxed) */
        bit eintr;
        do
        :: i < ITER ->
                i++;
                eintr = 0;
v1:             /* V1: hv_check_request(): test, then clear with a locked instruction */
                if
                :: req -> atomic { VCPU_DRAIN; req = 0 }
                :: else
                fi;
                /* V2: parked (VM paused or not started) while a request is yet to come */
                if
                :: to_wake ->
                        atomic { !wq_lock -> wq_lock = 1 };
                        atomic { VCPU_DRAIN; wq_waiting = 1 };
                        do
                        :: req -> break
                        :: else -> /* pthread_cond_wait: unlocks and sleeps at once */
                                atomic { wq_lock = 0; wq_asleep = 1 };
                                atomic { !wq_asleep && !wq_lock -> wq_lock = 1 }
                        od;
                        wq_waiting = 0;
                        wq_lock = 0;
                        goto v1
                :: true
                fi;
#if WAY == 1 && !defined(IE_LATE)
                immediate_exit = 0; /* V3 */
#endif
                atomic { /* V4: gen from its own word (relaxed load), plus one */
                        VCPU_DRAIN;
                        vgen = gen + 1;
                        vsb_mode = IN_GUEST_MODE;
                        vsb_gen = vgen;
                        vsb_full = 1
                }
#ifndef NO_BARRIER
                atomic { VCPU_DRAIN }; /* V5: fence */
#endif
#ifndef NO_ENTRY_CHECK
                if
                :: req -> /* V6: abort the entry */
                        VCPU_STORE_MODE(OUTSIDE_GUEST_MODE, vgen);
                        atomic { VCPU_DRAIN };
                        goto next
                :: else -> committed = vgen
                fi;
#else
                committed = vgen;
#endif
#if WAY == 1 && defined(IE_LATE)
                immediate_exit = 0;
#endif
                /* V7: KVM_RUN returns -EINTR without running the guest if immediate_exit is
                 * set or a signal its mask lets through is pending when it starts. */
                atomic {
                        if
#if WAY == 1
                        :: immediate_exit || sig_pending ->
                                eintr = 1;
                                sig_pending = 0 /* taken by the handler on the way out */
#else
                        :: sig_pending ->
                                eintr = 1
#ifdef SIG_UNBLOCKED
                                ; sig_pending = 0
#endif
#endif
                        :: else ->
                                in_guest = 1
                        fi
                }
                if
                :: in_guest ->
                        if
                        :: true -> /* a guest that exits by itself too (I/O, HLT, ...) */
                                if
                                :: KICKED_OUT
                                :: atomic { in_guest = 0 }
                                fi
                        :: true -> /* a guest that computes until it is kicked */
end_guest:                      KICKED_OUT /* for ever, if nothing is pending */
                        fi
                :: else
                fi;
                committed = 0;
                VCPU_STORE_MODE(OUTSIDE_GUEST_MODE, vgen); /* V8 */
                atomic { VCPU_DRAIN };
#if WAY == 2 && !defined(SIG_UNBLOCKED)
                if
                :: eintr -> sig_pending = 0 /* sigtimedwait(kick signal, timeout 0) */
                :: else
                fi;
#endif
next:           skip /* V9, then V1 */
        :: else ->
                break
        od
}

/* hv_make_request() + hv_vcpu_kick() by requester `me`: 0 with WAIT | NO_WAKEUP, 1 plain
 * (with PAUSE_WAIT: 0 with WAIT, 1 with NO_WAKEUP). */
proctype kicker(byte me)
{
        byte wmode = OUTSIDE_GUEST_MODE, wgen, pre;
#ifdef MODE_CHECK_FIRST
        atomic { wmode = mode; wgen = gen }
#endif
        atomic { /* R1 */
                kicking++;
                pre = committed;
                if
                :: me == WAKER -> to_wake = 0
                :: else
                fi;
#ifdef NO_KICKER_BARRIER
                ksb_full[me] = 1
#else
                req = 1
#endif
        }
        if /* R2 (not with NO_WAKEUP): a sleeping vCPU is outside guest mode: wake it, return */
#ifndef WAIT_NO_WAKE
        :: me == WAKER && wq_waiting ->
#ifndef WAKE_WITHOUT_LOCK
                atomic { !wq_lock -> wq_lock = 1 };
                wq_asleep = 0;
                wq_lock = 0;
#else
                wq_asleep = 0;
#endif
                goto done
#endif
        :: else
        fi;
        /* R3: fence (drains nothing here unless NO_KICKER_BARRIER, which removes it) */
#ifndef MODE_CHECK_FIRST
        atomic { wmode = mode; wgen = gen } /* R4: w := mode_word */
#endif
        if
        :: wmode == IN_GUEST_MODE ->
#ifdef NO_CAS
                mode = EXITING_GUEST_MODE;
                gen = wgen;
#else
                atomic {
                        if
                        :: mode == IN_GUEST_MODE && gen == wgen -> mode = EXITING_GUEST_MODE
                        :: else -> /* another requester kicked this entry, or V left it */
#ifdef CAS_FAIL_RELOAD
                                wmode = mode; /* R5 would wait on the word the CAS found */
                                wgen = gen;
#endif
                                goto done
                        fi
                }
#endif
#if WAY == 1 && !defined(NO_IMMEDIATE_EXIT) && !defined(SIGNAL_BEFORE_IE)
                immediate_exit = 1;
#endif
                sig_pending = 1; /* pthread_kill(V, kick signal) */
#if WAY == 1 && defined(SIGNAL_BEFORE_IE)
                immediate_exit = 1;
#endif
        :: else
        fi;
done:
        kicking--;
        /* R5 (WAIT): if the word R4 read was not OUTSIDE, wait until the vCPU left that entry */
        if
        :: me == 0 && wmode != OUTSIDE_GUEST_MODE ->
#if defined(WAIT_NO_GEN)
                mode == OUTSIDE_GUEST_MODE;
#elif !defined(WAIT_SKIPPED)
                (gen != wgen || mode == OUTSIDE_GUEST_MODE);
#endif
                assert(pre == 0 || committed != pre)
        :: me == 0 && wmode == OUTSIDE_GUEST_MODE -> /* R4 saw it outside, or R2 woke it */
                assert(pre == 0 || committed != pre)
        :: else
        fi
}

/* Stores leave the buffers for memory at any time. */
active proctype memory()
{
end:    do
        :: atomic { vsb_full -> mode = vsb_mode; gen = vsb_gen; vsb_full = 0 }
        :: atomic { ksb_full[0] -> req = 1; ksb_full[0] = 0 }
        :: atomic { ksb_full[1] -> req = 1; ksb_full[1] = 0 }
        od
}

#if SIGNAL_TAKEN_IN_USER
/* The empty handler runs whenever the thread is in user space with the signal pending. */
active proctype signal_handler()
{
end:    do
        :: atomic { sig_pending && !in_guest -> sig_pending = 0 }
        od
}
#endif

/* The claim, checked in every reachable state. */
active proctype monitor()
{
#ifdef REACH
end:    atomic { (in_guest && REQUEST_PENDING) -> assert(false) }
#else
end:    atomic { (in_guest && REQUEST_PENDING && !KICK_OUTSTANDING) -> assert(false) }
#endif
}

init
{
        atomic {
                run vcpu();
                run kicker(0);
                run kicker(1)
        }
}
