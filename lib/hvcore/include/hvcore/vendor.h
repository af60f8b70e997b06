/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugin registry: loads plugins (dlopen) under vendor_module_lock, lets exactly one
 * register (KVM's rule), and keeps each plugin's verdict for hvd --check-host.
 *
 * Threads: every function may be called from any thread. hv_vendor_get() is lock-free; the
 * table it returns stays valid until hv_vendor_unload(), which only tests and shutdown call,
 * and which a VM's existence holds off. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <hvcore/vendor-abi.h>

/* What became of one plugin. */
enum hv_vendor_result {
        HV_VENDOR_CLAIMED,  /* registered: this plugin drives the host */
        HV_VENDOR_DECLINED, /* loaded fine, not for this host (its reason says why) */
        HV_VENDOR_REFUSED,  /* wanted to register, the core said no (-EEXIST, -EPROTO, -EINVAL) */
        HV_VENDOR_BROKEN,   /* could not be loaded or run (missing, corrupt, no entry symbol) */
        _HV_VENDOR_RESULT_MAX,
        _HV_VENDOR_RESULT_INVALID = -22,
};
const char *hv_vendor_result_to_string(enum hv_vendor_result r); /* "claimed", ... or NULL */

#define HV_VENDOR_NAME_MAX 32
#define HV_VENDOR_REASON_MAX 256

struct hv_vendor_verdict {
        char name[HV_VENDOR_NAME_MAX];   /* the plugin's ops name, else its file name without .so */
        char path[4096];
        enum hv_vendor_result result;
        int error;                       /* 0 when claimed, else -errno */
        char reason[HV_VENDOR_REASON_MAX]; /* one line: why it claimed, declined or failed */
};

/* Loads one plugin file and runs its entry. Returns 0 when it registered, else its -errno
 * (-ENOENT missing, -ENOEXEC not a loadable plugin, -ENODEV declined, -EEXIST another vendor
 * holds the registry, -EPROTO ABI mismatch, ...). `verdict` (may be NULL) is filled in
 * either way: it is the report, not a result. */
int hv_vendor_load_file(const char *path, struct hv_vendor_verdict *verdict);

/* Loads every "*.so" in `dir` in name order, one verdict per file (a malloc'd array the
 * caller frees; NULL when the count is 0). Returns 0 when the directory was scanned, whatever
 * the plugins did (hv_vendor_get() tells whether a vendor is registered), or -errno when it
 * cannot be read. A vendor registered before the call stays; later plugins get -EEXIST. */
int hv_vendor_load_dir(const char *dir, struct hv_vendor_verdict **ret_verdicts, size_t *ret_count);

/* The registered vendor's ops (the core's copy, every op non-NULL), or NULL when none is. */
const struct hv_vendor_ops *hv_vendor_get(void);

/* Unregisters the vendor and closes its plugin. 0; -ENODEV when none is registered; -EBUSY,
 * leaving it registered, while a VM made by hv_vm_new and not yet freed uses it. */
int hv_vendor_unload(void);
/* The same, and on failure one line saying why in ret_reason (len bytes; may be NULL), e.g.
 * "vendor plugin x86-vmx is used by 2 VM(s) (web1, ...)". */
int hv_vendor_unload_reason(char *ret_reason, size_t len);

/* The CPU vendor string of CPUID leaf 0 ("AuthenticAMD", "GenuineIntel"; "" off x86), and the
 * brand string of leaves 0x80000002-4 (trimmed; "" when absent). */
void hv_cpu_get_vendor(char ret_vendor[static 13]);
void hv_cpu_get_model_name(char ret_name[static 49]);
