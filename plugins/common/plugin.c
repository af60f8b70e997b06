/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The entry protocol and the host report, the same for every x86 vendor plugin. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

/* The part of struct hv_vendor_host this plugin reads. */
#define HOST_MIN_SIZE (offsetof(struct hv_vendor_host, register_vendor) + sizeof(void *))

/* What actually runs guest code, in words. */
static void execution_words(const struct plugin_desc *d, const struct plugin_host_info *info, char *buf,
                            size_t len)
{
        if (strcmp(info->kvm_module, "kvm_pvm") == 0)
                snprintf(buf, len,
                         "kvm_pvm, %s %s flag: guest code runs in KVM's instruction emulator "
                         "(only PVM-enlightened kernels run natively)",
                         info->cpu_flag ? "with" : "no", d->cpu_flag);
        else if (strcmp(info->kvm_module, d->native_module) == 0)
                snprintf(buf, len, "%s, %s", info->kvm_module,
                         info->cpu_flag ? "hardware virtualization" : "but no flag in /proc/cpuinfo");
        else if (strcmp(info->kvm_module, "unknown") == 0)
                snprintf(buf, len, "no KVM vendor module found in " PLUGIN_SYSFS_MODULES ", %s %s flag",
                         info->cpu_flag ? "with" : "no", d->cpu_flag);
        else
                snprintf(buf, len, "%s (not %s), %s %s flag", info->kvm_module, d->native_module,
                         info->cpu_flag ? "with" : "no", d->cpu_flag);
}

int32_t plugin_entry(const struct plugin_desc *d, const struct hv_vendor_host *host, char *reason,
                     size_t reason_len)
{
        char dummy[1];
        if (!reason || reason_len == 0) {
                reason = dummy;
                reason_len = sizeof(dummy);
        }
        reason[0] = 0;
        /* Read nothing else of `host` before its version says we understand it. */
        if (!host || host->abi_major != HV_VENDOR_ABI_MAJOR || host->size < HOST_MIN_SIZE) {
                snprintf(reason, reason_len, "built for vendor ABI %d.%d, libhvcore offers %u.%u",
                         HV_VENDOR_ABI_MAJOR, HV_VENDOR_ABI_MINOR, host ? host->abi_major : 0,
                         host ? host->abi_minor : 0);
                return -EPROTO;
        }
        char vendor[13];
        snprintf(vendor, sizeof(vendor), "%.12s", host->cpu_vendor);
        if (!plugin_vendor_in_list(vendor, d->cpu_vendors)) {
                snprintf(reason, reason_len, "CPU vendor is %s, %s drives %s hosts",
                         vendor[0] ? vendor : "unknown", d->name, d->cpu_vendors);
                return -ENODEV;
        }
        if (host->kvm_fd < 0) {
                int e = host->kvm_open_errno > 0 ? host->kvm_open_errno : ENODEV;
                snprintf(reason, reason_len, "%s host, but /dev/kvm is not usable: %s", vendor, strerror(e));
                return -ENODEV;
        }

        struct plugin_host_info info;
        FILE *cpuinfo = fopen(PLUGIN_CPUINFO, "re");
        plugin_probe(d, PLUGIN_SYSFS_MODULES, cpuinfo, &info);
        if (cpuinfo)
                fclose(cpuinfo);

        int32_t r = host->register_vendor(host, d->ops);
        if (r < 0) {
                /* The core's verdict says why; our state stays as the registered plugin left it. */
                snprintf(reason, reason_len, "%s host, but registration was refused: %s", vendor, strerror(-r));
                return r;
        }
        *d->info = info;
        char words[192];
        execution_words(d, &info, words, sizeof(words));
        snprintf(reason, reason_len, "%s host, /dev/kvm backed by %s", vendor, words);
        return 0;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every parameter of a module we do not know, in name order. */
static void report_all_params(const char *module, hv_vendor_report_fn emit, void *userdata)
{
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), PLUGIN_SYSFS_MODULES "/%s/parameters", module);
        DIR *d = opendir(dir);
        if (!d)
                return;
        char *names[128];
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
                if (de->d_name[0] != '.' && (names[n] = strdup(de->d_name)))
                        n++;
        closedir(d);
        qsort(names, n, sizeof(names[0]), name_cmp);
        for (size_t i = 0; i < n; i++) {
                char key[128], v[128];
                if (plugin_module_param(PLUGIN_SYSFS_MODULES, module, names[i], v, sizeof(v)) == 0) {
                        snprintf(key, sizeof(key), "%s.%s", module, names[i]);
                        emit(userdata, key, v);
                }
                free(names[i]);
        }
}

void plugin_report(const struct plugin_desc *d, hv_vendor_report_fn emit, void *userdata)
{
        if (!emit)
                return;
        const struct plugin_host_info *info = d->info;
        char words[192];
        emit(userdata, "kvm_module", info->kvm_module);
        emit(userdata, d->cpu_flag, info->cpu_flag ? "yes" : "no");
        execution_words(d, info, words, sizeof(words));
        emit(userdata, "execution", words);
        emit(userdata, "nested", info->nested ? "on" : "off");

        /* The generic kvm module's parameters that change what a VMM sees. */
        static const char *const kvm_params[] = { "tdp_mmu", "enable_pmu", "ignore_msrs", "eager_page_split" };
        for (size_t i = 0; i < sizeof(kvm_params) / sizeof(kvm_params[0]); i++) {
                char key[64], v[64];
                if (plugin_module_param(PLUGIN_SYSFS_MODULES, "kvm", kvm_params[i], v, sizeof(v)) == 0) {
                        snprintf(key, sizeof(key), "kvm.%s", kvm_params[i]);
                        emit(userdata, key, v);
                }
        }
        if (strcmp(info->kvm_module, d->native_module) == 0) {
                for (const char *const *p = d->params; p && *p; p++) {
                        char key[64], v[64];
                        if (plugin_module_param(PLUGIN_SYSFS_MODULES, info->kvm_module, *p, v, sizeof(v)) == 0) {
                                snprintf(key, sizeof(key), "%s.%s", info->kvm_module, *p);
                                emit(userdata, key, v);
                        }
                }
        } else if (strcmp(info->kvm_module, "unknown") != 0)
                report_all_params(info->kvm_module, emit, userdata);
}

int32_t plugin_migration_compatible(const struct plugin_desc *d, const char *src_vendor)
{
        if (!src_vendor)
                return -EINVAL;
        /* A guest's CPUID, MSRs and nested state are vendor-specific: never cross vendors. */
        return strcmp(src_vendor, d->name) == 0 ? 0 : -EXDEV;
}
