/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl host: the Manager's properties (hvd's version, the CPU vendor and its plugin, KVM). */
#include "client.h"
#include "output.h"

int vmctl_host(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *props = NULL;
        int r;

        r = vmctl_call_method(v->bus, HVD_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                               "GetAll", &error, &reply, "s", HVD_MANAGER_IFACE);
        if (r < 0)
                return vmctl_report(v, NULL, &error, r);
        r = vmctl_json_read_properties(reply, &props);
        if (r < 0)
                return vmctl_report(v, NULL, NULL, r);
        if (v->json) {
                r = vmctl_json_print(props);
                if (r < 0)
                        return vmctl_report(v, NULL, NULL, r);
        } else
                vmctl_fields_print(props, NULL);
        return VMCTL_EXIT_OK;
}
