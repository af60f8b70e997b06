/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPU requests and kicks (vcpu-requests.rst in a process).
 *
 * ============================== THE ENTRY / KICK PROTOCOL ==============================
 * Shared per vCPU: `requests` (64-bit atomic bitmap), `mode_word` (32-bit atomic:
 * mode in bits 0-1, entry generation `gen` in bits 2-31), `run->immediate_exit` (u8 in the
 * kvm_run page, read by the kernel at the start of KVM_RUN, accessed with atomics here),
 * `wq_waiting` (atomic bool) with `wq_lock`/`wq_cond` (the wait queue; wq_lock is the
 * hv_mutex vcpu->wq_lock, a leaf of class HV_LOCK_VCPU_WQ), `mode_waiters`.
 * The kick signal (hv_kick_signal(), SIGRTMIN+4) has an EMPTY handler (SA_RESTART, so other
 * calls restart; KVM_RUN returns a plain -EINTR, which is never restarted) and is unblocked
 * in vCPU threads at all times.
 * All atomics below are seq_cst unless marked; "fence" = atomic_thread_fence(seq_cst).
 *
 * vCPU thread V (vcpu.c, one iteration of the run loop):
 *   V1  handle requests: for each bit b, if test(b): clear(b) (acq_rel RMW) + acquire fence
 *       (smp_rmb of kvm_check_request), then act (STOP, from hv_vm_free only, leaves the
 *       loop; an unknown bit crashes the VM).
 *   V2  if the VM's run target is not RUN: complete a pending PIO/MMIO (KVM_RUN with
 *       immediate_exit = 1), drop vcpu->mutex, then park = { loop: e := park_epoch;
 *       if target == RUN break; parked_epoch := e; notify; block; handle requests as in V1
 *       (under vcpu->mutex) }, goto V1, where
 *       block = { lock wq; wq_waiting := 1; while (requests == 0) cond_wait; wq_waiting := 0;
 *                 unlock wq }.
 *       (the controller stores epoch+1 and PARK before making its request, so a vCPU that
 *       read a stale epoch or a stale RUN target still meets the request: in block, or at
 *       V6. A controller waiting for parked_epoch == its epoch therefore knows each vCPU is
 *       asleep or about to be, out of guest mode and without vcpu->mutex.)
 *   V3  run->immediate_exit := 0                          (relaxed)
 *   V4  mode_word := (gen+1) << 2 | IN_GUEST_MODE        (gen := gen+1)
 *   V5  fence                                             (smp_mb of the Dekker pattern)
 *   V6  if (requests != 0) { mode_word := gen<<2 | OUTSIDE; fence; if mode_waiters: futex
 *                            wake; goto V1 }               (abort entry)
 *   V7  ioctl(KVM_RUN): returns -EINTR at once if immediate_exit != 0 when it starts, and
 *       -EINTR as soon as a signal is pending while it runs the guest.
 *   V8  mode_word := gen<<2 | OUTSIDE_GUEST_MODE; fence; if mode_waiters: futex wake
 *   V9  handle the exit (PIO/MMIO under SRCU, crash, ...), goto V1.
 *
 * Requester R (hv_make_request + hv_vcpu_kick, any thread, also V itself):
 *   R1  release fence (smp_wmb); requests |= 1 << b       (skipped for NO_ACTION)
 *   R2  unless NO_WAKEUP: if wq_waiting: lock wq; broadcast; unlock; return
 *                              (a sleeping vCPU is outside guest mode: nothing else to do)
 *   R3  fence                                             (smp_mb of the Dekker pattern)
 *   R4  w := mode_word; if mode(w) == IN_GUEST_MODE and
 *       CAS(mode_word, w, gen(w)<<2 | EXITING_GUEST_MODE) succeeds:
 *           run->immediate_exit := 1 (relaxed); pthread_kill(V, kick signal)
 *       (only the requester that wins the CAS signals: IPI reduction)
 *   R5  with WAIT, if mode(w) != OUTSIDE_GUEST_MODE: mode_waiters++; wait (futex on
 *       mode_word) until gen(mode_word) != gen(w) or mode(mode_word) == OUTSIDE; waiters--.
 *
 * Why no request is lost (way (a) of DESIGN.md: immediate_exit + signal):
 *  - Dekker (V4-V6 against R1,R3,R4): V6 sees the bit, or R4 sees IN_GUEST_MODE of this gen.
 *  - If R4 sees IN(gen) some requester wins the CAS for gen (if R lost it, the winner is
 *    about to signal). The winner stores immediate_exit = 1 BEFORE pthread_kill. The signal
 *    (i) lands while V is in KVM_RUN: -EINTR; (ii) lands between V4 and V7: the empty handler
 *    runs and KVM_RUN then sees immediate_exit = 1 (the store precedes the signal, whose
 *    delivery orders it) and returns -EINTR at once; (iii) lands after V7 returned for another
 *    reason: a spurious exit later. In every case V reaches V8 and then V1, which sees the
 *    bit, since R1 < R4 < V8 < V1 in the single total order.
 *  - A stale immediate_exit = 1 (winner of gen g delayed past V3 of gen g+1) only costs one
 *    spurious exit. V3 cannot erase a kick of its own generation: R4 writes immediate_exit
 *    only after its CAS read V4's store, which follows V3.
 *  - Sleeping: R1 < R2(load wq_waiting) and V's wq_waiting := 1 < its test of `requests`
 *    (both seq_cst): either R sees waiting and broadcasts under wq_lock (V is before the test
 *    or in cond_wait, so it wakes), or V's test sees the bit.
 *  - WAIT: returns once V is OUTSIDE or in a later entry (which began with V6's check, so it
 *    saw the bit; for NO_ACTION only "left guest mode once" is promised, as in KVM).
 * Why (a) and not (b) (blocked signal + KVM_SET_SIGNAL_MASK + sigtimedwait): (b) needs a
 * sigtimedwait system call after every interrupted KVM_RUN and leaves a pending kick that
 * makes every later entry fail until consumed; (a) costs one empty handler run per kick, needs
 * no extra call on the exit path, and peers/RESULTS.md measured its p99 lower (30 vs 46 us).
 * =======================================================================================
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "macros.h"
#include "vm/request.h"
#include "vm/vcpu.h"
#include "vm/vm-internal.h"

/* A request number beyond the bitmap is a programming error: report it where it was made
 * rather than let it alias another request (64 would have become TLB_FLUSH). */
_noreturn_ static void bad_request(unsigned req)
{
        fprintf(stderr, "hvcore: BUG: vCPU request %u is outside 0..%u\n", req & HV_REQUEST_MASK,
                HV_REQUEST_NR_BITS - 1);
        abort();
}

static inline uint64_t req_bit(unsigned req)
{
        unsigned nr = req & HV_REQUEST_MASK;
        if (_unlikely_(nr >= HV_REQUEST_NR_BITS))
                bad_request(req);
        return UINT64_C(1) << nr;
}

bool hv_request_pending(struct hv_vcpu *vcpu)
{
        return atomic_load(&vcpu->requests) != 0;
}

bool hv_test_request(unsigned req, struct hv_vcpu *vcpu)
{
        return atomic_load_explicit(&vcpu->requests, memory_order_relaxed) & req_bit(req);
}

void hv_clear_request(unsigned req, struct hv_vcpu *vcpu)
{
        atomic_fetch_and_explicit(&vcpu->requests, ~req_bit(req), memory_order_relaxed);
}

bool hv_check_request(unsigned req, struct hv_vcpu *vcpu)
{
        if (!hv_test_request(req, vcpu))
                return false;
        /* acq_rel so that TSan sees the pairing with make_request's release too */
        atomic_fetch_and_explicit(&vcpu->requests, ~req_bit(req), memory_order_acq_rel);
        atomic_thread_fence(memory_order_acquire); /* smp_rmb */
        return true;
}

void hv_make_request(unsigned req, struct hv_vcpu *vcpu)
{
        if (req & HV_REQUEST_NO_ACTION)
                return;
        atomic_thread_fence(memory_order_release); /* smp_wmb */
        atomic_fetch_or(&vcpu->requests, req_bit(req));
}

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
        return syscall(SYS_futex, (uint32_t *)uaddr, op, val, ts, NULL, 0);
}

static void mode_wake_waiters(struct hv_vcpu *vcpu)
{
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load(&vcpu->mode_waiters))
                futex(&vcpu->mode_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* R5: wait until the vCPU left the entry `seen` belongs to. */
static void wait_outside_guest_mode(struct hv_vcpu *vcpu, uint32_t seen)
{
        atomic_fetch_add(&vcpu->mode_waiters, 1);
        for (;;) {
                uint32_t w = atomic_load(&vcpu->mode_word);
                if ((w >> HV_MODE_BITS) != (seen >> HV_MODE_BITS) || hv_mode_of(w) == HV_OUTSIDE_GUEST_MODE)
                        break;
                /* bounded sleep: a lost futex wake would cost 1 ms, never a hang */
                struct timespec ts = { .tv_nsec = 1000000 };
                futex(&vcpu->mode_word, FUTEX_WAIT_PRIVATE, w, &ts);
        }
        atomic_fetch_sub(&vcpu->mode_waiters, 1);
}

bool hv_vcpu_wake_up(struct hv_vcpu *vcpu)
{
        if (!atomic_load(&vcpu->wq_waiting))
                return false;
        hv_mutex_lock(&vcpu->wq_lock);
        pthread_cond_broadcast(&vcpu->wq_cond);
        hv_mutex_unlock(&vcpu->wq_lock);
        return true;
}

/* R3-R4: returns the mode word seen, and whether this caller signalled. */
static uint32_t kick_send(struct hv_vcpu *vcpu, bool *ret_signalled)
{
        atomic_thread_fence(memory_order_seq_cst); /* smp_mb */
        uint32_t w = atomic_load(&vcpu->mode_word);
        *ret_signalled = false;
        if (hv_mode_of(w) != HV_IN_GUEST_MODE)
                return w;
        uint32_t seen = w;
        uint32_t exiting = (w & ~HV_MODE_MASK) | HV_EXITING_GUEST_MODE;
        /* A failed CAS overwrites w with the current word, which may already belong to a
         * later entry (g+1) that has seen the request; a WAIT must wait for the entry it
         * saw (g) to end, not for g+1 (nobody would kick it): return `seen`. The spin
         * model's CAS_FAIL_RELOAD mutant is this bug. */
        if (!atomic_compare_exchange_strong(&vcpu->mode_word, &w, exiting))
                return seen; /* someone else kicked this entry, or V left it */
        atomic_store_explicit((_Atomic uint8_t *)&vcpu->run->immediate_exit, 1, memory_order_relaxed);
        pthread_kill(atomic_load(&vcpu->tid), hv_kick_signal());
        atomic_fetch_add_explicit(&vcpu->nr_kicks, 1, memory_order_relaxed);
        *ret_signalled = true;
        return exiting;
}

static bool kick_one(struct hv_vcpu *vcpu, unsigned req, uint32_t *ret_seen)
{
        bool signalled = false;
        *ret_seen = HV_OUTSIDE_GUEST_MODE;
        if (!(req & HV_REQUEST_NO_WAKEUP) && hv_vcpu_wake_up(vcpu))
                return false;
        *ret_seen = kick_send(vcpu, &signalled);
        return signalled;
}

void hv_vcpu_kick(struct hv_vcpu *vcpu, unsigned req)
{
        uint32_t seen;
        kick_one(vcpu, req, &seen);
        if ((req & HV_REQUEST_WAIT) && hv_mode_of(seen) != HV_OUTSIDE_GUEST_MODE)
                wait_outside_guest_mode(vcpu, seen);
}

void hv_make_request_and_kick(unsigned req, struct hv_vcpu *vcpu)
{
        hv_make_request(req, vcpu);
        hv_vcpu_kick(vcpu, req);
}

bool hv_make_all_vcpus_request(struct hv_vm *vm, unsigned req)
{
        /* kick a batch, then wait for it: the waits overlap the exits */
        enum { BATCH = 64 };
        uint32_t seen[BATCH];
        bool any = false;

        /* vm->vcpus is fixed from hv_vm_new to hv_vm_free (vm-internal.h): no lock */
        for (uint32_t base = 0; base < vm->nr_vcpus; base += BATCH) {
                uint32_t n = MIN(vm->nr_vcpus - base, (uint32_t)BATCH);
                struct hv_vcpu *batch[BATCH];
                for (uint32_t i = 0; i < n; i++) {
                        struct hv_vcpu *vcpu = batch[i] = vm->vcpus[base + i];
                        seen[i] = HV_OUTSIDE_GUEST_MODE;
                        if (!vcpu) /* hv_vm_new failed before creating it: no thread runs */
                                continue;
                        hv_make_request(req, vcpu);
                        any |= kick_one(vcpu, req, &seen[i]);
                }
                if (req & HV_REQUEST_WAIT)
                        for (uint32_t i = 0; i < n; i++)
                                if (hv_mode_of(seen[i]) != HV_OUTSIDE_GUEST_MODE)
                                        wait_outside_guest_mode(batch[i], seen[i]);
        }
        return any;
}

bool hv_vcpu_enter_guest_mode(struct hv_vcpu *vcpu)
{
        atomic_store_explicit((_Atomic uint8_t *)&vcpu->run->immediate_exit, 0, memory_order_relaxed);
        uint32_t w = atomic_load_explicit(&vcpu->mode_word, memory_order_relaxed);
        uint32_t in = (w & ~HV_MODE_MASK) + (1u << HV_MODE_BITS);
        atomic_store(&vcpu->mode_word, in | HV_IN_GUEST_MODE);
        atomic_thread_fence(memory_order_seq_cst); /* smp_mb: Dekker with the kicker */
        if (!hv_request_pending(vcpu))
                return true;
        hv_vcpu_exit_guest_mode(vcpu);
        return false;
}

void hv_vcpu_exit_guest_mode(struct hv_vcpu *vcpu)
{
        uint32_t w = atomic_load_explicit(&vcpu->mode_word, memory_order_relaxed);
        atomic_store(&vcpu->mode_word, (w & ~HV_MODE_MASK) | HV_OUTSIDE_GUEST_MODE);
        mode_wake_waiters(vcpu);
}

void hv_vcpu_block(struct hv_vcpu *vcpu)
{
        hv_mutex_lock(&vcpu->wq_lock);
        atomic_store(&vcpu->wq_waiting, true);
        while (!hv_request_pending(vcpu))
                hv_mutex_cond_wait(&vcpu->wq_lock, &vcpu->wq_cond);
        atomic_store(&vcpu->wq_waiting, false);
        hv_mutex_unlock(&vcpu->wq_lock);
}

int hv_kick_signal(void)
{
        return SIGRTMIN + 4;
}

static void kick_handler(int sig)
{
        /* empty: its only job is to make KVM_RUN return -EINTR */
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;
static int kick_setup_error;

static void kick_setup(void)
{
        struct sigaction sa = { .sa_handler = kick_handler, .sa_flags = SA_RESTART };
        sigemptyset(&sa.sa_mask);
        if (sigaction(hv_kick_signal(), &sa, NULL) < 0)
                kick_setup_error = -errno;
}

int hv_kick_signal_setup(void)
{
        pthread_once(&kick_once, kick_setup);
        return kick_setup_error;
}
