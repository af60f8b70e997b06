/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.hvd1.Error.*: the one table that maps D-Bus error names to errno and back. */
#pragma once

#include <systemd/sd-bus.h>

#define HVD_ERROR_NO_SUCH_VM "org.hvd1.Error.NoSuchVM"
#define HVD_ERROR_INVALID_CONFIG "org.hvd1.Error.InvalidConfig"
#define HVD_ERROR_INVALID_STATE "org.hvd1.Error.InvalidState"
#define HVD_ERROR_EXISTS "org.hvd1.Error.Exists"
#define HVD_ERROR_ACCESS_DENIED "org.hvd1.Error.AccessDenied"
#define HVD_ERROR_TIMEOUT "org.hvd1.Error.Timeout"
#define HVD_ERROR_NOT_SUPPORTED "org.hvd1.Error.NotSupported"
#define HVD_ERROR_LIMIT_EXCEEDED "org.hvd1.Error.LimitExceeded"
#define HVD_ERROR_FAILED "org.hvd1.Error.Failed"

/* Name <-> errno, registered with sd_bus_error_add_map() so sd-bus uses it both ways. */
extern const sd_bus_error_map hvd_bus_error_map[];

/* The error name for -errno r (org.hvd1.Error.Failed for anything unmapped). */
const char *hvd_bus_error_name(int r);

/* Sets *error to the name mapped from r with a formatted message; returns r (negative). */
int hvd_bus_error_setf(sd_bus_error *error, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
