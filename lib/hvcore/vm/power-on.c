/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Power-on state saved from KVM right after creation and written back by a reset in place.
 * Why a snapshot rather than hvcore's own table of reset values: KVM already computes them
 * (kvm_vcpu_reset, the irqchip's and PIT's init), host by host and vendor by vendor; copying
 * them back is exact wherever KVM runs, and a table here would drift from it. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "host/host-internal.h"
#include "hvcore/kvm-host.h"
#include "lock/lock.h"
#include "macros.h"
#include "vm/power-on.h"
#include "vm/vcpu.h"
#include "vm/vm-internal.h"

struct hv_vcpu_power_on {
        struct kvm_regs regs;
        struct kvm_sregs sregs;
        struct kvm_fpu fpu;
        struct kvm_lapic_state lapic;
        struct kvm_mp_state mp_state;
        struct kvm_vcpu_events events;
        struct kvm_debugregs debugregs;
        struct kvm_xcrs xcrs;
        bool has_xcrs;
        struct kvm_msrs *msrs; /* the MSRs KVM lists that could be read */
};

struct hv_vm_power_on {
        struct kvm_irqchip chips[3]; /* PIC master, PIC slave, IOAPIC */
        struct kvm_pit_state2 pit;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
        return ioctl(fd, req, arg) < 0 ? negative_errno() : 0;
}

/* KVM's list of MSRs to save (KVM_GET_MSR_INDEX_LIST), as an empty kvm_msrs to fill. */
static int msr_list(int kvm_fd, struct kvm_msrs **ret)
{
        struct kvm_msr_list probe = { .nmsrs = 0 };
        if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
                return negative_errno();
        uint32_t n = probe.nmsrs;
        _cleanup_free_ struct kvm_msr_list *list = calloc(1, sizeof(*list) + n * sizeof(list->indices[0]));
        struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
        if (!list || !msrs) {
                free(msrs);
                return -ENOMEM;
        }
        list->nmsrs = n;
        if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
                int r = negative_errno();
                free(msrs);
                return r;
        }
        msrs->nmsrs = list->nmsrs;
        for (uint32_t i = 0; i < list->nmsrs; i++)
                msrs->entries[i].index = list->indices[i];
        *ret = msrs;
        return 0;
}

/* KVM_GET_MSRS / KVM_SET_MSRS stop at the first MSR they cannot access and return how many
 * they did. Goes on past such an MSR; on a read the MSR is dropped from the list (KVM lists
 * some that a given vCPU does not have), on a write it is skipped. */
static int msrs_transfer(int vcpu_fd, unsigned long req, struct kvm_msrs *msrs)
{
        uint32_t done = 0, kept = 0;
        _cleanup_free_ struct kvm_msrs *part =
                calloc(1, sizeof(*part) + msrs->nmsrs * sizeof(part->entries[0]));
        if (!part)
                return -ENOMEM;
        while (done < msrs->nmsrs) {
                part->nmsrs = msrs->nmsrs - done;
                memcpy(part->entries, msrs->entries + done, part->nmsrs * sizeof(part->entries[0]));
                int n = ioctl(vcpu_fd, req, part);
                if (n < 0)
                        return negative_errno();
                if (req == KVM_GET_MSRS) {
                        memmove(msrs->entries + kept, part->entries, (size_t)n * sizeof(part->entries[0]));
                        kept += (uint32_t)n;
                }
                done += (uint32_t)n + 1; /* past the one that failed (or the end) */
        }
        if (req == KVM_GET_MSRS)
                msrs->nmsrs = kept;
        return 0;
}

int hv_vcpu_power_on_save(struct hv_vcpu *vcpu)
{
        struct hv_vcpu_power_on *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        int fd = vcpu->fd, r;
        if ((r = xioctl(fd, KVM_GET_REGS, &p->regs)) < 0 || (r = xioctl(fd, KVM_GET_SREGS, &p->sregs)) < 0 ||
            (r = xioctl(fd, KVM_GET_FPU, &p->fpu)) < 0 || (r = xioctl(fd, KVM_GET_LAPIC, &p->lapic)) < 0 ||
            (r = xioctl(fd, KVM_GET_MP_STATE, &p->mp_state)) < 0 ||
            (r = xioctl(fd, KVM_GET_VCPU_EVENTS, &p->events)) < 0 ||
            (r = xioctl(fd, KVM_GET_DEBUGREGS, &p->debugregs)) < 0)
                goto fail;
        p->has_xcrs = hv_kvm_check_cap(vcpu->vm->kvm_fd, KVM_CAP_XCRS) > 0;
        if (p->has_xcrs && (r = xioctl(fd, KVM_GET_XCRS, &p->xcrs)) < 0)
                goto fail;
        r = msr_list(vcpu->vm->kvm_fd, &p->msrs);
        if (r >= 0)
                r = msrs_transfer(fd, KVM_GET_MSRS, p->msrs);
        if (r < 0)
                goto fail;
        vcpu->power_on = p;
        return 0;
fail:
        free(p->msrs);
        free(p);
        return r;
}

int hv_vcpu_power_on_restore(struct hv_vcpu *vcpu)
{
        hv_lock_assert_held(&vcpu->mutex);
        struct hv_vcpu_power_on *p = vcpu->power_on;
        if (!p)
                return -ENODATA;
        int fd = vcpu->fd, r;
        /* MSRs first: KVM_SET_SREGS then fixes what depends on EFER/APIC base consistently */
        if ((r = msrs_transfer(fd, KVM_SET_MSRS, p->msrs)) < 0 || (r = xioctl(fd, KVM_SET_SREGS, &p->sregs)) < 0 ||
            (r = xioctl(fd, KVM_SET_REGS, &p->regs)) < 0 || (r = xioctl(fd, KVM_SET_FPU, &p->fpu)) < 0 ||
            (p->has_xcrs && (r = xioctl(fd, KVM_SET_XCRS, &p->xcrs)) < 0) ||
            (r = xioctl(fd, KVM_SET_LAPIC, &p->lapic)) < 0 || (r = xioctl(fd, KVM_SET_MP_STATE, &p->mp_state)) < 0 ||
            (r = xioctl(fd, KVM_SET_VCPU_EVENTS, &p->events)) < 0 ||
            (r = xioctl(fd, KVM_SET_DEBUGREGS, &p->debugregs)) < 0)
                return r;
        return 0;
}

void hv_vcpu_power_on_free(struct hv_vcpu *vcpu)
{
        if (!vcpu->power_on)
                return;
        free(vcpu->power_on->msrs);
        free(vcpu->power_on);
        vcpu->power_on = NULL;
}

int hv_vm_power_on_save(struct hv_vm *vm)
{
        struct hv_vm_power_on *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        int r = 0;
        for (uint32_t i = 0; i < ARRAY_SIZE(p->chips) && r >= 0; i++) {
                p->chips[i].chip_id = i;
                r = xioctl(vm->vm_fd, KVM_GET_IRQCHIP, &p->chips[i]);
        }
        if (r >= 0)
                r = xioctl(vm->vm_fd, KVM_GET_PIT2, &p->pit);
        if (r < 0) {
                free(p);
                return r;
        }
        vm->power_on = p;
        return 0;
}

int hv_vm_power_on_restore(struct hv_vm *vm)
{
        hv_lock_assert_held(&vm->lock);
        struct hv_vm_power_on *p = vm->power_on;
        if (!p)
                return -ENODATA;
        int r = 0;
        for (uint32_t i = 0; i < ARRAY_SIZE(p->chips) && r >= 0; i++)
                r = xioctl(vm->vm_fd, KVM_SET_IRQCHIP, &p->chips[i]);
        if (r >= 0)
                r = xioctl(vm->vm_fd, KVM_SET_PIT2, &p->pit);
        return r;
}

void hv_vm_power_on_free(struct hv_vm *vm)
{
        free(vm->power_on);
        vm->power_on = NULL;
}
