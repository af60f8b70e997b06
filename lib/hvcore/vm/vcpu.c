/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPU threads: one per vCPU, running the KVM_RUN loop with the entry protocol of request.c,
 * parking on the wait queue while the VM is created or paused, and dispatching PIO/MMIO exits
 * through the buses under vm->srcu. Fatal exits crash the VM, never the process. */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "devices/bus.h"
#include "macros.h"
#include "vm/power-on.h"
#include "vm/request.h"
#include "vm/vcpu.h"
#include "vm/vm-internal.h"
#include "hvcore/vendor-abi.h"

uint64_t hv_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int vcpu_set_cpuid(struct hv_vcpu *vcpu)
{
        struct hv_vm *vm = vcpu->vm;
        uint32_t nent = 256;
        for (;;) {
                _cleanup_free_ struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
                if (!c)
                        return -ENOMEM;
                c->nent = nent;
                if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
                        if (errno == E2BIG && nent < 4096) {
                                nent *= 2;
                                continue;
                        }
                        return negative_errno();
                }
                int r = vm->vendor->cpuid_fixup(c, vcpu->index, vm->nr_vcpus);
                if (r < 0)
                        return r;
                if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
                        return negative_errno();
                return 0;
        }
}

int hv_vcpu_create(struct hv_vm *vm, uint32_t index, struct hv_vcpu **ret)
{
        struct hv_vcpu *vcpu = calloc(1, sizeof(*vcpu));
        if (!vcpu)
                return -ENOMEM;
        vcpu->vm = vm;
        vcpu->index = index;
        vcpu->fd = -EBADF;
        vcpu->run = MAP_FAILED;
        hv_mutex_init(&vcpu->wq_lock, HV_LOCK_VCPU_WQ);
        pthread_cond_init(&vcpu->wq_cond, NULL);
        hv_mutex_init(&vcpu->mutex, HV_LOCK_VCPU);

        int r;
        vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
        if (vcpu->fd < 0) {
                r = negative_errno();
                goto fail;
        }
        vcpu->run_size = vm->run_size;
        vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
        if (vcpu->run == MAP_FAILED) {
                r = negative_errno();
                goto fail;
        }
        r = vcpu_set_cpuid(vcpu);
        if (r < 0)
                goto fail;
        r = hv_vcpu_power_on_save(vcpu);
        if (r < 0)
                goto fail;
        *ret = vcpu;
        return 0;
fail:
        hv_vcpu_destroy(vcpu);
        return r;
}

struct hv_vcpu *hv_vcpu_destroy(struct hv_vcpu *vcpu)
{
        if (!vcpu)
                return NULL;
        hv_vcpu_power_on_free(vcpu);
        if (vcpu->run != MAP_FAILED)
                munmap(vcpu->run, vcpu->run_size);
        safe_close(vcpu->fd);
        hv_mutex_destroy(&vcpu->mutex);
        pthread_cond_destroy(&vcpu->wq_cond);
        hv_mutex_destroy(&vcpu->wq_lock);
        free(vcpu);
        return NULL;
}

static uint64_t vcpu_rip(struct hv_vcpu *vcpu)
{
        struct kvm_regs regs;
        return ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ? UINT64_MAX : regs.rip;
}

/* Crashes the VM (every vCPU parks); returns -ECANCELED, which ends the exit's handling. */
static int vcpu_crash(struct hv_vcpu *vcpu, const char *fmt, ...) _printf_(2, 3);
static int vcpu_crash(struct hv_vcpu *vcpu, const char *fmt, ...)
{
        char what[160], reason[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(reason, sizeof(reason), "vcpu %" PRIu32 ": %s (rip 0x%" PRIx64 ")", vcpu->index, what,
                 vcpu_rip(vcpu));
        hv_vm_crashed(vcpu->vm, reason);
        return -ECANCELED;
}

static int handle_io(struct hv_vcpu *vcpu)
{
        struct kvm_run *run = vcpu->run;
        uint32_t size = run->io.size, count = run->io.count;
        uint64_t off = run->io.data_offset;
        if ((size != 1 && size != 2 && size != 4) || count == 0 || off > vcpu->run_size ||
            (uint64_t)size * count > vcpu->run_size - off)
                return vcpu_crash(vcpu, "malformed PIO exit (size %u count %u)", size, count);
        uint8_t *data = (uint8_t *)run + off;
        bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
        int idx = hv_srcu_read_lock(&vcpu->vm->srcu);
        for (uint32_t i = 0; i < count; i++)
                hv_bus_dispatch(vcpu->vm, HV_BUS_PIO, run->io.port, is_write, data + (size_t)i * size, size);
        hv_srcu_read_unlock(&vcpu->vm->srcu, idx);
        vcpu->io_pending = true;
        return 0;
}

static int handle_mmio(struct hv_vcpu *vcpu)
{
        struct kvm_run *run = vcpu->run;
        uint32_t len = run->mmio.len;
        if (len == 0 || len > sizeof(run->mmio.data))
                return vcpu_crash(vcpu, "malformed MMIO exit (len %u)", len);
        int idx = hv_srcu_read_lock(&vcpu->vm->srcu);
        hv_bus_dispatch(vcpu->vm, HV_BUS_MMIO, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data, len);
        hv_srcu_read_unlock(&vcpu->vm->srcu, idx);
        vcpu->io_pending = true;
        return 0;
}

static int handle_internal_error(struct hv_vcpu *vcpu)
{
        struct kvm_run *run = vcpu->run;
        uint32_t sub = run->internal.suberror;
        if (sub == KVM_INTERNAL_ERROR_EMULATION) {
                char bytes[3 * 15 + 1] = "";
#ifdef KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES
                if (run->emulation_failure.ndata >= 3 &&
                    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
                        uint32_t n = MIN(run->emulation_failure.insn_size, 15u);
                        for (uint32_t i = 0; i < n; i++)
                                snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, " %02x",
                                         run->emulation_failure.insn_bytes[i]);
                }
#endif
                return vcpu_crash(vcpu, "KVM emulation failure%s%s", *bytes ? ", instruction" : "", bytes);
        }
        return vcpu_crash(vcpu, "KVM internal error, suberror %u", sub);
}

static int handle_exit(struct hv_vcpu *vcpu)
{
        struct kvm_run *run = vcpu->run;
        char buf[128];
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
                return handle_io(vcpu);
        case KVM_EXIT_MMIO:
                return handle_mmio(vcpu);
        case KVM_EXIT_INTR:
                return 0;
        case KVM_EXIT_HLT:
                hv_vm_guest_stopped(vcpu->vm, "guest halted");
                return 0;
        case KVM_EXIT_SHUTDOWN:
                return vcpu_crash(vcpu, "triple fault");
        case KVM_EXIT_INTERNAL_ERROR:
                return handle_internal_error(vcpu);
        case KVM_EXIT_FAIL_ENTRY:
                vcpu->vm->vendor->decode_fail_entry(run->fail_entry.hardware_entry_failure_reason, buf, sizeof(buf));
                return vcpu_crash(vcpu, "VM entry failed: %s", buf);
        case KVM_EXIT_SYSTEM_EVENT:
                switch (run->system_event.type) {
                case KVM_SYSTEM_EVENT_SHUTDOWN:
                        hv_vm_guest_stopped(vcpu->vm, "guest shut down");
                        return 0;
                case KVM_SYSTEM_EVENT_RESET:
                        hv_vm_guest_reset(vcpu->vm);
                        return 0;
                default:
                        return vcpu_crash(vcpu, "guest system event %u", run->system_event.type);
                }
        default:
                return vcpu_crash(vcpu, "unexpected KVM exit reason %u", run->exit_reason);
        }
}

/* V1 of the protocol, with vcpu->mutex held. Returns false when the loop must end (STOP:
 * only hv_vm_free asks for it). Every other request ends in the loop reading run_target. */
static bool vcpu_handle_requests(struct hv_vcpu *vcpu)
{
        struct hv_vm *vm = vcpu->vm;
        hv_lock_assert_held(&vcpu->mutex);
        if (vm->hooks.handle_requests)
                vm->hooks.handle_requests(vm, vcpu, vm->hooks.request_opaque);
        if (hv_check_request(HV_REQ_STOP, vcpu))
                return false;
        /* VM_DEAD, PAUSE and UNBLOCK come with a new run_target: waking the loop is all */
        hv_check_request(HV_REQ_VM_DEAD, vcpu);
        hv_check_request(HV_REQ_PAUSE, vcpu);
        hv_check_request(HV_REQ_UNBLOCK, vcpu);
        /* KVM reloads its own memslots and flushes its own TLBs; the exit was the point */
        hv_check_request(HV_REQ_MEMSLOT_RELOAD, vcpu);
        hv_check_request(HV_REQ_TLB_FLUSH, vcpu);
        hv_check_request(HV_REQ_DIRTY_RING_HARVEST, vcpu); /* no dirty ring yet */
        /* A bit that nothing handles is a bug in hvd: say so and kill the VM, rather than
         * clear it silently or let it abort every entry forever. Only those bits are cleared:
         * clearing everything would eat a request made since the checks above. */
        const uint64_t known = HV_REQUEST_GENERIC_BITS | vm->hooks.request_bits;
        uint64_t unknown = atomic_fetch_and(&vcpu->requests, known) & ~known;
        if (_unlikely_(unknown != 0)) {
                char reason[96];
                snprintf(reason, sizeof(reason), "vcpu %" PRIu32 ": unknown request bits 0x%" PRIx64 " (a bug in hvd)",
                         vcpu->index, unknown);
                hv_vm_crashed(vm, reason);
        }
        return true;
}

/* Lets KVM finish a PIO/MMIO exit before the vCPU parks: an IN's data reaches the guest's
 * register, a split MMIO its next part, only inside KVM_RUN. immediate_exit makes KVM do
 * that and return -EINTR without entering the guest (api.rst, KVM_RUN: "complete pending
 * operations"), so state read or written while parked (reset, migration) is whole. */
static void vcpu_complete_io(struct hv_vcpu *vcpu)
{
        /* bounded: a split MMIO needs a few rounds, never more than a handful */
        for (int round = 0; vcpu->io_pending && round < 16; round++) {
                vcpu->io_pending = false;
                atomic_store_explicit((_Atomic uint8_t *)&vcpu->run->immediate_exit, 1, memory_order_relaxed);
                int r = ioctl(vcpu->fd, KVM_RUN, 0);
                int err = errno;
                if (r < 0 && (err == EINTR || err == EAGAIN))
                        return;
                if (r < 0) {
                        vcpu_crash(vcpu, "KVM_RUN to complete an I/O exit failed: %s", strerror(err));
                        return;
                }
                if (handle_exit(vcpu) < 0)
                        return;
        }
        if (vcpu->io_pending) {
                vcpu->io_pending = false;
                vcpu_crash(vcpu, "an I/O exit did not complete in 16 rounds");
        }
}

/* V2: sleeps until the VM runs again, with vcpu->mutex released, handling requests in
 * between. Before each sleep it acknowledges the park epoch it read BEFORE run_target: a
 * controller bumps the epoch, sets PARK, then requests PAUSE, so a vCPU that read a stale
 * epoch is woken by that request and acknowledges the new one on its next round. Returns
 * false when the loop must end. */
static bool vcpu_park(struct hv_vcpu *vcpu)
{
        struct hv_vm *vm = vcpu->vm;
        bool go_on = true;
        vcpu_complete_io(vcpu);
        hv_mutex_unlock(&vcpu->mutex);
        for (;;) {
                uint32_t epoch = atomic_load(&vm->park_epoch);
                if (atomic_load(&vm->run_target) == HV_RUN_GO)
                        break;
                atomic_store(&vcpu->parked_epoch, epoch);
                hv_vm_notify_parked(vm);
                hv_vcpu_block(vcpu);
                hv_mutex_lock(&vcpu->mutex);
                go_on = vcpu_handle_requests(vcpu);
                hv_mutex_unlock(&vcpu->mutex);
                if (!go_on)
                        break;
        }
        hv_mutex_lock(&vcpu->mutex);
        return go_on;
}

static void *vcpu_thread(void *arg)
{
        struct hv_vcpu *vcpu = arg;
        struct hv_vm *vm = vcpu->vm;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, hv_kick_signal());
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        atomic_store(&vcpu->tid, pthread_self());

        hv_mutex_lock(&vcpu->mutex);
        for (;;) {
                if (hv_request_pending(vcpu) && !vcpu_handle_requests(vcpu))
                        break;
                if (atomic_load(&vm->run_target) != HV_RUN_GO) {
                        if (!vcpu_park(vcpu))
                                break;
                        continue;
                }
                if (!hv_vcpu_enter_guest_mode(vcpu))
                        continue;
                if (_unlikely_(vm->hooks.before_run != NULL))
                        vm->hooks.before_run(vm, vcpu, vm->hooks.request_opaque);
                int r = ioctl(vcpu->fd, KVM_RUN, 0);
                int err = errno;
                if (atomic_load_explicit(&vcpu->stamp_exits, memory_order_relaxed))
                        atomic_store_explicit(&vcpu->exit_ns, hv_now_ns(), memory_order_relaxed);
                hv_vcpu_exit_guest_mode(vcpu);
                atomic_fetch_add_explicit(&vcpu->nr_exits, 1, memory_order_relaxed);
                if (r < 0) {
                        if (err == EINTR || err == EAGAIN) {
                                atomic_fetch_add_explicit(&vcpu->nr_intr_exits, 1, memory_order_relaxed);
                                continue;
                        }
                        vcpu_crash(vcpu, "KVM_RUN failed: %s", strerror(err));
                        continue; /* the crash parked the VM */
                }
                /* a guest stop or crash set run_target to PARK: the loop parks next */
                (void)handle_exit(vcpu);
        }
        hv_mutex_unlock(&vcpu->mutex);
        atomic_store(&vcpu->exited, true);
        hv_vm_notify_parked(vm);
        return NULL;
}

int hv_vcpu_start_thread(struct hv_vcpu *vcpu)
{
        int r = hv_kick_signal_setup();
        if (r < 0)
                return r;
        atomic_store(&vcpu->exited, false);
        /* acknowledges no epoch yet: one before the current, in serial-number order */
        atomic_store(&vcpu->parked_epoch, atomic_load(&vcpu->vm->park_epoch) - 1);
        /* the thread starts with every signal blocked but the kick: hvd's own signals stay
         * with its main loop */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        char name[16];
        snprintf(name, sizeof(name), "vcpu%" PRIu32, vcpu->index);
        pthread_setname_np(vcpu->thread, name);
        vcpu->thread_started = true;
        return 0;
}

void hv_vcpu_join(struct hv_vcpu *vcpu)
{
        if (!vcpu->thread_started)
                return;
        pthread_join(vcpu->thread, NULL);
        vcpu->thread_started = false;
}
