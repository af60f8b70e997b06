/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "bus-error.h"
#include "macros.h"

/* First entry for an errno wins when mapping errno -> name. */
const sd_bus_error_map hvd_bus_error_map[] = {
        SD_BUS_ERROR_MAP(HVD_ERROR_NO_SUCH_VM, ENOENT),
        SD_BUS_ERROR_MAP(HVD_ERROR_INVALID_CONFIG, EINVAL),
        SD_BUS_ERROR_MAP(HVD_ERROR_INVALID_STATE, EBUSY),
        SD_BUS_ERROR_MAP(HVD_ERROR_EXISTS, EEXIST),
        SD_BUS_ERROR_MAP(HVD_ERROR_ACCESS_DENIED, EACCES),
        SD_BUS_ERROR_MAP(HVD_ERROR_ACCESS_DENIED, EPERM),
        SD_BUS_ERROR_MAP(HVD_ERROR_TIMEOUT, ETIMEDOUT),
        SD_BUS_ERROR_MAP(HVD_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(HVD_ERROR_NOT_SUPPORTED, ENODEV),
        SD_BUS_ERROR_MAP(HVD_ERROR_LIMIT_EXCEEDED, ENOSPC),
        SD_BUS_ERROR_MAP(HVD_ERROR_LIMIT_EXCEEDED, E2BIG),
        SD_BUS_ERROR_MAP(HVD_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP_END,
};

const char *hvd_bus_error_name(int r)
{
        int e = r < 0 ? -r : r;
        for (const sd_bus_error_map *m = hvd_bus_error_map; m->name; m++)
                if (m->code == e)
                        return m->name;
        return HVD_ERROR_FAILED;
}

int hvd_bus_error_setf(sd_bus_error *error, int r, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (r >= 0)
                r = -EIO;
        (void)sd_bus_error_set(error, hvd_bus_error_name(r), msg);
        return r;
}
