/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registry internals shared with the tests. */
#pragma once

#include <stddef.h>

/* Makes a plugin's reason one line: NUL-terminates within len, turns newlines and tabs into
 * spaces, trims trailing spaces. */
void hv_vendor_reason_sanitize(char *buf, size_t len);
