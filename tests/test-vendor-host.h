/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the vendor tests expect of this host, read independently of the code under test:
 * the CPU vendor from /proc/cpuinfo, the KVM module from /sys/module. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* vendor_id from /proc/cpuinfo ("" when absent). */
static inline void expect_cpu_vendor(char buf[static 13])
{
        buf[0] = 0;
        FILE *f = fopen("/proc/cpuinfo", "re");
        if (!f)
                return;
        char line[512];
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "vendor_id : %12s", buf) == 1)
                        break;
        fclose(f);
}

/* The plugin that should claim this host, or NULL for neither. */
static inline const char *expect_claiming_plugin(void)
{
        char v[13];
        expect_cpu_vendor(v);
        if (strcmp(v, "AuthenticAMD") == 0 || strcmp(v, "HygonGenuine") == 0)
                return "x86-svm";
        if (strcmp(v, "GenuineIntel") == 0)
                return "x86-vmx";
        return NULL;
}

/* The KVM vendor module loaded here, or NULL when it is none of the three we know. */
static inline const char *expect_kvm_module(void)
{
        static const char *const known[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
        for (size_t i = 0; i < 3; i++) {
                char path[64];
                snprintf(path, sizeof(path), "/sys/module/%s", known[i]);
                if (access(path, F_OK) == 0)
                        return known[i];
        }
        return NULL;
}

/* Whether the first flags line of /proc/cpuinfo has `flag`. */
static inline bool expect_cpu_flag(const char *flag)
{
        FILE *f = fopen("/proc/cpuinfo", "re");
        if (!f)
                return false;
        static char line[1 << 16];
        bool found = false;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "flags", 5) != 0)
                        continue;
                for (char *tok = strtok(strchr(line, ':') + 1, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
                        if (strcmp(tok, flag) == 0)
                                found = true;
                break;
        }
        fclose(f);
        return found;
}
