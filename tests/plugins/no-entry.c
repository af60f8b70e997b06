/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test fixture: a loadable shared object that is not a vendor plugin (no entry symbol). */
#include <stdint.h>

__attribute__((visibility("default"))) int32_t hv_not_a_plugin(void);
int32_t hv_not_a_plugin(void) { return 42; }
