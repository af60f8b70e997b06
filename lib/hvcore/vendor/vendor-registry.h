/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registry internals shared with the tests. */
#pragma once

#include <stddef.h>

#include "hvcore/vendor-abi.h"

/* Makes a plugin's reason one line: NUL-terminates within len, turns newlines and tabs into
 * spaces, trims trailing spaces. */
void hv_vendor_reason_sanitize(char *buf, size_t len);

/* For the VM code: the registered vendor's ops (every op set), held until
 * hv_vendor_release(); hv_vendor_unload() refuses with -EBUSY meanwhile, so a VM calls its
 * ops without testing them. NULL when no vendor is registered. Takes vendor_module_lock. */
const struct hv_vendor_ops *hv_vendor_acquire(void);
/* Drops what hv_vendor_acquire() returned; accepts NULL. */
void hv_vendor_release(const struct hv_vendor_ops *ops);
