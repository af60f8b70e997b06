/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPU requests and kicks, after the kernel's vcpu-requests.rst. The protocol (modes,
 * barriers, the kick that cannot be lost) is written down at the top of request.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct hv_vcpu;
struct hv_vm;

/* A request is a bit number (0..63) in the low 8 bits, flags above HV_REQUEST_MASK. A number
 * of 64 or more is a bug in hvd (it would alias bit n % 64): hv_make_request aborts on it. */
#define HV_REQUEST_MASK 0xffu
#define HV_REQUEST_NR_BITS 64u
#define HV_REQUEST_NO_WAKEUP (1u << 8)  /* do not wake a sleeping vCPU for it */
#define HV_REQUEST_WAIT (1u << 9)       /* the requester waits until the vCPU left guest mode */
#define HV_REQUEST_NO_ACTION (1u << 10) /* log no bit: only the kick (and its WAIT) */
#define HV_REQUEST_ARCH_BASE 8          /* bits 0-7 are architecture independent */
#define HV_REQUEST_GENERIC_BITS ((UINT64_C(1) << HV_REQUEST_ARCH_BASE) - 1)

/* Architecture independent requests (bits 0-7). */
#define HV_REQ_TLB_FLUSH (0u | HV_REQUEST_WAIT | HV_REQUEST_NO_WAKEUP)
#define HV_REQ_VM_DEAD 1u
#define HV_REQ_UNBLOCK 2u
/* Logs nothing; guarantees the vCPU has left guest mode before the caller goes on. */
#define HV_REQ_OUTSIDE_GUEST_MODE (3u | HV_REQUEST_NO_ACTION | HV_REQUEST_WAIT | HV_REQUEST_NO_WAKEUP)
#define HV_REQ_PAUSE 4u
#define HV_REQ_STOP 5u /* leave the run loop: hv_vm_free only (threads live as long as the VM) */
#define HV_REQ_DIRTY_RING_HARVEST 6u
#define HV_REQ_MEMSLOT_RELOAD (7u | HV_REQUEST_WAIT | HV_REQUEST_NO_WAKEUP)
/* x86 requests start at HV_REQUEST_ARCH_BASE (none yet). */

/* vcpu->mode */
enum hv_vcpu_mode {
        HV_OUTSIDE_GUEST_MODE,
        HV_IN_GUEST_MODE,
        HV_EXITING_GUEST_MODE,
        HV_READING_SHADOW_PAGE_TABLES,
};
/* vcpu->mode_word holds the mode in its low 2 bits and an entry generation above them,
 * bumped at every store of IN_GUEST_MODE, so a WAIT can tell "still in the entry I
 * kicked" from "left it and entered again". 32 bits so that it can be a futex. */
#define HV_MODE_BITS 2u
#define HV_MODE_MASK 3u
static inline enum hv_vcpu_mode hv_mode_of(uint32_t word) { return (enum hv_vcpu_mode)(word & HV_MODE_MASK); }

bool hv_request_pending(struct hv_vcpu *vcpu);
bool hv_test_request(unsigned req, struct hv_vcpu *vcpu);
void hv_clear_request(unsigned req, struct hv_vcpu *vcpu);
/* Test and clear, then a read barrier pairing with the write barrier of hv_make_request. */
bool hv_check_request(unsigned req, struct hv_vcpu *vcpu);
/* Write barrier (state written before is seen by the vCPU that checks req), then set. */
void hv_make_request(unsigned req, struct hv_vcpu *vcpu);
/* Makes the vCPU act on its requests soon: wakes it if it sleeps (unless req has NO_WAKEUP),
 * sends the kick signal if it is in guest mode (IPI reduction: only the caller that moves
 * IN_GUEST_MODE to EXITING_GUEST_MODE signals), and with WAIT waits until it left guest mode. */
void hv_vcpu_kick(struct hv_vcpu *vcpu, unsigned req);
/* hv_make_request + hv_vcpu_kick. */
void hv_make_request_and_kick(unsigned req, struct hv_vcpu *vcpu);
/* Makes req of every vCPU of vm and kicks them all, honouring the flags; with WAIT, first
 * kicks all, then waits for each. Returns true when at least one vCPU was signalled. */
bool hv_make_all_vcpus_request(struct hv_vm *vm, unsigned req);

/* vCPU side. Entry: clears immediate_exit, stores IN_GUEST_MODE, full barrier, checks
 * pending requests. Returns false (mode back to OUTSIDE) when entry must be aborted. */
bool hv_vcpu_enter_guest_mode(struct hv_vcpu *vcpu);
/* After KVM_RUN returned (or entry was aborted): OUTSIDE_GUEST_MODE, waking WAIT waiters. */
void hv_vcpu_exit_guest_mode(struct hv_vcpu *vcpu);
/* Sleeps on the vCPU's wait queue until a request is pending (or woken). */
void hv_vcpu_block(struct hv_vcpu *vcpu);
/* Wakes the vCPU if it sleeps on its wait queue; true when it did. */
bool hv_vcpu_wake_up(struct hv_vcpu *vcpu);

/* The kick signal: installs its (empty) handler once per process. 0 or -errno. */
int hv_kick_signal_setup(void);
int hv_kick_signal(void);
