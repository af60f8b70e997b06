/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvcore/vendor.h"
#include "macros.h"
#include "test-vm-guest.h"

int raw_guest_vendor_load(void)
{
        const char *dir = getenv("HVD_PLUGIN_DIR");
        if (!dir || !*dir)
                dir = "plugins";
        _cleanup_free_ struct hv_vendor_verdict *v = NULL;
        size_t n = 0;
        int r = hv_vendor_load_dir(dir, &v, &n);
        if (r < 0) {
                fprintf(stderr, "cannot read the plugin directory %s: %s\n", dir, strerror(-r));
                return r;
        }
        if (hv_vendor_get())
                return 0;
        fprintf(stderr, "no vendor plugin in %s claimed this host:\n", dir);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "  %s: %s: %s\n", v[i].name, hv_vendor_result_to_string(v[i].result), v[i].reason);
        return -ENODEV;
}

static const uint8_t spin_code[] = {
        0xff, 0x03, /* 0: inc dword [ebx] */
        0xeb, 0xfc, /* 2: jmp 0 */
};
const struct raw_guest raw_guest_spin = { spin_code, sizeof(spin_code), { 0, 0, 0, 0 } };

static const uint8_t halt_code[] = {
        0xfa,       /* 0: cli */
        0xf4,       /* 1: hlt */
        0xeb, 0xfc, /* 2: jmp 0 */
};
const struct raw_guest raw_guest_halt = { halt_code, sizeof(halt_code), { 0, 0, 0, 0 } };

static const uint8_t spin_halt_code[] = {
        0xff, 0x03, /* 0: inc dword [ebx] */
        0xeb, 0xfc, /* 2: jmp 0 */
        0xfa,       /* 4: cli */
        0xf4,       /* 5: hlt */
        0xeb, 0xfc, /* 6: jmp 4 */
};
const struct raw_guest raw_guest_spin_halt = { spin_halt_code, sizeof(spin_halt_code), { 0, 4, 4, 4 } };

int raw_guest_setup_vcpu(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        const struct raw_guest *g = opaque;
        if (g->len > RAW_COUNTER_GPA - RAW_CODE_GPA)
                return -E2BIG;
        memcpy(vm->ram.host + RAW_CODE_GPA, g->code, g->len);

        struct kvm_sregs s;
        if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
                return -errno;
        struct kvm_segment seg = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
                                   .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
        s.ds = s.es = s.fs = s.gs = s.ss = seg;
        seg.type = 11;
        seg.selector = 0x8;
        s.cs = seg;
        s.cr0 |= 1; /* PE */
        if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0)
                return -errno;
        struct kvm_regs r = {
                .rip = RAW_CODE_GPA + g->entry[vcpu->index & 3],
                .rflags = 2,
                .rsp = RAW_STACK_GPA - 256 * vcpu->index,
                .rbx = RAW_COUNTER_GPA + 64 * vcpu->index,
                .rsi = vcpu->index,
        };
        if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
                return -errno;
        /* application processors start waiting for INIT/SIPI: make them run at once */
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
        if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
                return -errno;
        return 0;
}

struct hv_vm *raw_guest_vm_new(const struct raw_guest *g, uint32_t vcpus, uint64_t mib,
                               const struct hv_vm_callbacks *cb, void *userdata)
{
        return raw_guest_vm_new_hooked(g, vcpus, mib, cb, userdata, NULL, NULL, NULL);
}

struct hv_vm *raw_guest_vm_new_hooked(const struct raw_guest *g, uint32_t vcpus, uint64_t mib,
                                      const struct hv_vm_callbacks *cb, void *userdata,
                                      void (*handle_requests)(struct hv_vm *, struct hv_vcpu *, void *),
                                      void (*before_run)(struct hv_vm *, struct hv_vcpu *, void *),
                                      void *request_opaque)
{
        struct hv_vm_config c = { .name = "raw", .vcpus = vcpus, .memory_mib = mib };
        struct hv_vm_hooks hooks = { .setup_vcpu = raw_guest_setup_vcpu, .opaque = (void *)g,
                                     .handle_requests = handle_requests, .before_run = before_run,
                                     .request_opaque = request_opaque,
                                     .request_bits = handle_requests ? ~UINT64_C(0) : 0 };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        int r = hv_vm_new_with_hooks(&c, cb, userdata, &hooks, &vm, &err);
        if (r < 0) {
                fprintf(stderr, "hv_vm_new: %s (%s)\n", err ? err : "?", strerror(-r));
                return NULL;
        }
        return vm;
}

uint32_t raw_guest_counter(struct hv_vm *vm, uint32_t i)
{
        return atomic_load_explicit((_Atomic uint32_t *)(vm->ram.host + RAW_COUNTER_GPA + 64 * i),
                                    memory_order_relaxed);
}
