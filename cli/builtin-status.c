/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl status NAME: the VM's properties; the human form leaves out the (long) definition,
 * --json carries it parsed. */
#include "client.h"
#include "macros.h"
#include "output.h"

int vmctl_status(struct vmctl *v, int argc, char **argv)
{
        static const char *const skip[] = { "Definition", NULL };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *props = NULL;
        _cleanup_free_ char *path = NULL;
        const char *name = argv[0];
        json_object *def;
        int r;

        r = vmctl_vm_path(v->bus, name, &error, &path);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = vmctl_call_method(v->bus, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", HVD_VM_IFACE);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = vmctl_json_read_properties(reply, &props);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        json_object_object_add(props, "Path", json_object_new_string(path));

        if (!v->json) {
                vmctl_fields_print(props, skip);
                return VMCTL_EXIT_OK;
        }
        /* The definition is JSON itself: nest it rather than quote it, when it parses. */
        if (json_object_object_get_ex(props, "Definition", &def) && json_object_is_type(def, json_type_string)) {
                json_object *parsed = json_tokener_parse(json_object_get_string(def));

                if (parsed)
                        json_object_object_add(props, "Definition", parsed);
        }
        r = vmctl_json_print(props);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        return VMCTL_EXIT_OK;
}
