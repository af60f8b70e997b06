/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd --check-host: what this host offers hvd, as text or JSON on stdout. */
#pragma once

#include <stdbool.h>

/* Returns 0 when hvd can run VMs here, -errno when it cannot (the report says why). */
int hvd_check_host(const char *plugin_dir, bool json);
