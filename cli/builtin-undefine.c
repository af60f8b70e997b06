/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl undefine NAME: removes a shut-off VM's definition (hvd refuses a running one). */
#include "client.h"

int vmctl_undefine(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = vmctl_call_method(v->bus, HVD_MANAGER_PATH, HVD_MANAGER_IFACE, "UndefineVM",
                               &error, NULL, "s", argv[0]);
        if (r < 0)
                return vmctl_report(v, argv[0], &error, r);
        return VMCTL_EXIT_OK;
}
