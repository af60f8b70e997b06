/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vCPU entry / kick protocol of lib/hvcore/request.c (DESIGN.md "vCPU requests and
 * kicks", after the kernel's vcpu-requests.rst), for spin. tests/test-kick-model.sh checks it.
 *
 * Claim: a request made while the vCPU is IN_GUEST_MODE or entering (or at any other time)
 * is seen before the vCPU runs guest code again: the guest never runs while a request is
 * pending unless a kick is on its way that will end KVM_RUN. Plus: no invalid end state.
 *
 * Switches (spin -D...):
 *   WAY=1  kick by kvm_run->immediate_exit + a signal whose handler is empty (default)
 *   WAY=2  kick by a signal kept blocked in the thread and unblocked only inside KVM_RUN
 *          (KVM_SET_SIGNAL_MASK), consumed with sigtimedwait after EINTR
 * Mutations, each of which must give a counterexample:
 *   NO_BARRIER      no full barrier between storing IN_GUEST_MODE and reading the requests
 *   NO_CAS          the kicker reads the mode with a plain load, not the compare-and-swap
 *                   (whose locked instruction is the kicker's half of the Dekker barrier)
 *   NO_ENTRY_CHECK  the vCPU does not check the requests after storing IN_GUEST_MODE
 *   IE_LATE         (WAY=1) immediate_exit is cleared after the final request check
 *   SIG_UNBLOCKED   (WAY=2) the kick signal is not blocked outside KVM_RUN
 *   REACH           sanity, not a mutation: asserts that the guest never runs with a request
 *                   pending at all, to show the model does reach the states where a kick is
 *                   what gets the vCPU out.
 *
 * Memory model: Promela is sequentially consistent, so the reorderings that barriers forbid
 * are modelled with explicit store buffers (TSO, as on x86; a weaker CPU only adds more): a
 * store enters the storing thread's buffer and reaches memory later, at a moment the
 * `memory` process picks, or at a full barrier / locked instruction of that thread, which
 * drains it. Loads by other threads see memory only. */

#ifndef WAY
#define WAY 1
#endif
#ifndef ITER
#define ITER 3  /* vCPU loop iterations */
#endif
#define NKICK 2 /* threads making a request and kicking, concurrently */

/* vcpu->mode */
#define OUTSIDE_GUEST_MODE 0
#define IN_GUEST_MODE 1
#define EXITING_GUEST_MODE 2

byte mode = OUTSIDE_GUEST_MODE; /* vcpu->mode, in memory */
bit req = 0;         /* vcpu->requests (one request bit), in memory */
bit immediate_exit;  /* vcpu->run->immediate_exit (WAY=1) */
bit sig_pending;     /* the kick signal is pending for the vCPU thread */
bit in_guest;        /* ghost: KVM_RUN is running guest code */
byte kicking;        /* ghost: kickers between their request store and the end of their kick */

/* Store buffers: the vCPU's holds its stores to vcpu->mode, each kicker's its store to
 * vcpu->requests (hv_make_request's atomic or: a release, not a full barrier). */
bit vsb_full;
byte vsb_val;
bit ksb_full[NKICK];

/* The vCPU thread drains its buffer: a full barrier (atomic_thread_fence(seq_cst)) or a
 * locked read-modify-write. */
#define VCPU_DRAIN \
        if \
        :: vsb_full -> mode = vsb_val; vsb_full = 0 \
        :: else \
        fi

/* vcpu->mode = v, through the store buffer (one slot: an older store drains first). */
#define VCPU_STORE_MODE(v) atomic { VCPU_DRAIN; vsb_val = v; vsb_full = 1 }

#define REQUEST_PENDING (req || ksb_full[0] || ksb_full[1])
#if WAY == 1
#define KICK_OUTSTANDING (sig_pending || immediate_exit || kicking > 0)
#else
#define KICK_OUTSTANDING (sig_pending || kicking > 0)
#endif

/* Whether a pending kick signal can be taken by the (empty) handler while the thread runs in
 * user space: always with WAY=1; with WAY=2 only if the mask is wrong. */
#if WAY == 1 || defined(SIG_UNBLOCKED)
#define SIGNAL_TAKEN_IN_USER 1
#else
#define SIGNAL_TAKEN_IN_USER 0
#endif

proctype vcpu()
{
        byte i = 0;
        bit eintr;
        do
        :: i < ITER ->
                i++;
                eintr = 0;
#if WAY == 1 && !defined(IE_LATE)
                immediate_exit = 0; /* before the final request check */
#endif
                VCPU_STORE_MODE(IN_GUEST_MODE);
#ifndef NO_BARRIER
                atomic { VCPU_DRAIN }; /* smp_mb() */
#endif
#ifndef NO_ENTRY_CHECK
                if
                :: req -> /* hv_request_pending(): abort the entry */
                        VCPU_STORE_MODE(OUTSIDE_GUEST_MODE);
                        goto handle
                :: else
                fi;
#endif
#if WAY == 1 && defined(IE_LATE)
                immediate_exit = 0;
#endif
                /* KVM_RUN: a signal pending (and unblocked by the KVM_RUN mask) or
                 * immediate_exit at entry returns EINTR without running the guest. */
                atomic {
                        if
#if WAY == 1
                        :: immediate_exit || sig_pending ->
                                eintr = 1;
                                sig_pending = 0 /* delivered to the handler on the way out */
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
end_guest:              /* the guest may run for ever once nothing is pending */
                        if
                        :: atomic { sig_pending -> /* the kick ends KVM_RUN with EINTR */
                                in_guest = 0;
                                eintr = 1;
                                if
                                :: SIGNAL_TAKEN_IN_USER -> sig_pending = 0
                                :: else /* blocked again on return: stays pending */
                                fi }
                        :: atomic { in_guest = 0 } /* an exit of the guest's own (I/O, HLT) */
                        fi
                :: else
                fi;
                VCPU_STORE_MODE(OUTSIDE_GUEST_MODE);
#if WAY == 2 && !defined(SIG_UNBLOCKED)
                if
                :: eintr -> sig_pending = 0 /* sigtimedwait(kick signal, timeout 0) */
                :: else
                fi;
#endif
handle:         /* hv_check_request(): atomic test-and-clear, a locked instruction */
                atomic { VCPU_DRAIN; req = 0 }
        :: else ->
                break
        od
}

/* hv_make_request() then the kick, by thread `me`. */
proctype kicker(byte me)
{
        atomic { kicking++; ksb_full[me] = 1 } /* set the request bit (store buffered) */
#ifdef NO_CAS
        if
        :: mode == IN_GUEST_MODE -> mode = EXITING_GUEST_MODE /* plain load, plain store */
        :: else -> goto done
        fi;
#else
        atomic { /* cmpxchg(&vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE): drains first */
                if
                :: ksb_full[me] -> req = 1; ksb_full[me] = 0
                :: else
                fi;
                if
                :: mode == IN_GUEST_MODE -> mode = EXITING_GUEST_MODE
                :: else -> goto done
                fi
        }
#endif
#if WAY == 1
        immediate_exit = 1;
#endif
        sig_pending = 1; /* pthread_kill(vcpu thread, kick signal) */
done:
        kicking--
}

/* Stores leave the buffers for memory at any time. */
active proctype memory()
{
end:    do
        :: atomic { vsb_full -> mode = vsb_val; vsb_full = 0 }
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
