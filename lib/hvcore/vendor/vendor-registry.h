/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registry internals shared with the tests. */
#pragma once

#include <stddef.h>

#include "hvcore/vendor-abi.h"

/* Makes a plugin's reason one line: NUL-terminates within len, turns newlines and tabs into
 * spaces, trims trailing spaces. */
void hv_vendor_reason_sanitize(char *buf, size_t len);

/* A VM using the registered vendor, from hv_vm_new to hv_vm_free: while one exists,
 * hv_vendor_unload refuses (-EBUSY), since the VM calls through the plugin's ops. The count
 * is under hv_usage_lock (kvm_usage_count), the list, for the refusal's message, under
 * hv_vm_list_lock (kvm_lock's vm_list). */
struct hv_vendor_user {
        struct hv_vendor_user *prev, *next; /* NULL while not added */
        const char *name;                   /* outlives the membership */
};
/* Counts u as a user of the registered vendor and hands out its ops (every op set, stable
 * until hv_vendor_user_del): 0, or -ENODEV when none is registered. */
int hv_vendor_user_add(struct hv_vendor_user *u, const char *name, const struct hv_vendor_ops **ret_ops);
/* Ends u's use; a user never added (zeroed) is accepted. */
void hv_vendor_user_del(struct hv_vendor_user *u);
