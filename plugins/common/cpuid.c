/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest CPUID topology both vendors share: one package of nr_vcpus cores, one thread per
 * core, APIC ID = vCPU index. Only entries KVM_GET_SUPPORTED_CPUID returned are edited:
 * the table's size is the caller's. */
#include <errno.h>
#include <linux/kvm.h>

#include "plugin.h"

struct kvm_cpuid_entry2 *plugin_cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t function, uint32_t index)
{
        for (uint32_t i = 0; i < cpuid->nent; i++) {
                struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
                if (e->function != function)
                        continue;
                if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
                        continue;
                return e;
        }
        return NULL;
}

uint32_t plugin_core_bits(uint32_t nr_vcpus)
{
        uint32_t bits = 0;
        while (bits < 32 && (1ull << bits) < nr_vcpus)
                bits++;
        return bits;
}

int32_t plugin_cpuid_topology(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus)
{
        if (!cpuid || index >= nr_vcpus)
                return -EINVAL;
        uint32_t bits = plugin_core_bits(nr_vcpus);
        uint32_t addressable = bits >= 8 ? 255 : (1u << bits);

        struct kvm_cpuid_entry2 *e = plugin_cpuid_find(cpuid, 1, 0);
        if (e) {
                /* EBX[31:24] initial APIC ID, [23:16] addressable IDs; EDX.HTT when > 1. */
                e->ebx = (e->ebx & 0x0000ffffu) | ((index & 0xffu) << 24) | (addressable << 16);
                if (nr_vcpus > 1)
                        e->edx |= 1u << 28;
                else
                        e->edx &= ~(1u << 28);
        }

        /* Extended topology (0xb, and 0x1f where present): level 0 SMT with one thread,
         * level 1 cores; EDX the x2APIC ID at every level. */
        static const uint32_t leaves[] = { 0xb, 0x1f };
        for (unsigned l = 0; l < 2; l++)
                for (uint32_t i = 0; i < cpuid->nent; i++) {
                        e = &cpuid->entries[i];
                        if (e->function != leaves[l])
                                continue;
                        switch (e->index) {
                        case 0:
                                e->eax = 0;
                                e->ebx = 1;
                                e->ecx = (1u << 8) | 0;
                                break;
                        case 1:
                                e->eax = bits;
                                e->ebx = nr_vcpus & 0xffffu;
                                e->ecx = (2u << 8) | 1;
                                break;
                        default:
                                e->eax = 0;
                                e->ebx = 0;
                                e->ecx = e->index & 0xffu;
                                break;
                        }
                        e->edx = index;
                }
        return 0;
}
