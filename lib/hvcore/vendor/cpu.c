/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host CPU as CPUID describes it: vendor and brand strings. */
#include <stdint.h>
#include <string.h>

#include "hvcore/vendor.h"
#include "macros.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

HV_EXPORT void hv_cpu_get_vendor(char ret_vendor[static 13])
{
        unsigned int eax, ebx, ecx, edx;
        memset(ret_vendor, 0, 13);
        if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
                return;
        /* The vendor string is EBX, EDX, ECX in that order. */
        memcpy(ret_vendor, &ebx, 4);
        memcpy(ret_vendor + 4, &edx, 4);
        memcpy(ret_vendor + 8, &ecx, 4);
}

HV_EXPORT void hv_cpu_get_model_name(char ret_name[static 49])
{
        uint32_t regs[12];
        memset(ret_name, 0, 49);
        if (__get_cpuid_max(0x80000000, NULL) < 0x80000004)
                return;
        for (unsigned i = 0; i < 3; i++)
                __get_cpuid(0x80000002 + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
        char raw[49];
        memcpy(raw, regs, 48);
        raw[48] = 0;
        /* Brand strings are padded with leading and trailing spaces. */
        const char *p = raw;
        while (*p == ' ')
                p++;
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == ' ')
                n--;
        memcpy(ret_name, p, n);
}
#else
HV_EXPORT void hv_cpu_get_vendor(char ret_vendor[static 13]) { memset(ret_vendor, 0, 13); }
HV_EXPORT void hv_cpu_get_model_name(char ret_name[static 49]) { memset(ret_name, 0, 49); }
#endif
