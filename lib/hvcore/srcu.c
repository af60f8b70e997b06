/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER over liburcu-bp; the `locks` branch replaces it with the validated version. */
#include <urcu-bp.h>

#include "srcu.h"

void hv_srcu_init(struct hv_srcu *s) { s->lock_class = HV_LOCK_SRCU; }
void hv_srcu_destroy(struct hv_srcu *s) {}
int hv__srcu_read_lock(struct hv_srcu *s, const char *file, int line)
{
        urcu_bp_read_lock();
        return 0;
}
void hv__srcu_read_unlock(struct hv_srcu *s, int idx) { urcu_bp_read_unlock(); }
void hv__synchronize_srcu(struct hv_srcu *s, const char *file, int line) { urcu_bp_synchronize_rcu(); }
