/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl list: one GetManagedObjects on /org/hvd1 (hvd's ObjectManager, org.hvd1(5)) brings
 * every VM with its properties in one round trip. A server without it gets ListVMs, then the
 * VMs' GetAll calls pipelined (all sent before the first reply is awaited): two round trips. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "macros.h"
#include "output.h"

struct list_pending {
        json_object *vm; /* borrowed from the result array */
        unsigned *pending;
};

static int list_on_properties(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct list_pending *p = userdata;
        _cleanup_json_ json_object *props = NULL;
        json_object *val;

        (*p->pending)--;
        /* A VM undefined since ListVMs (or a failing GetAll) keeps its row, without details. */
        if (sd_bus_message_is_method_error(reply, NULL))
                return 0;
        if (vmctl_json_read_properties(reply, &props) < 0)
                return 0;
        if (json_object_object_get_ex(props, "VCPUs", &val))
                json_object_object_add(p->vm, "VCPUs", json_object_get(val));
        if (json_object_object_get_ex(props, "MemoryMiB", &val))
                json_object_object_add(p->vm, "MemoryMiB", json_object_get(val));
        return 0;
}

static int list_read(struct vmctl *v, sd_bus_message *reply, json_object *vms)
{
        const char *name, *uuid, *state, *path;
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssso)", &name, &uuid, &state, &path)) > 0) {
                json_object *vm = json_object_new_object();

                if (!vm || json_object_array_add(vms, vm) < 0) {
                        json_object_put(vm);
                        return -ENOMEM;
                }
                json_object_object_add(vm, "Name", json_object_new_string(name));
                json_object_object_add(vm, "UUID", json_object_new_string(uuid));
                json_object_object_add(vm, "State", json_object_new_string(state));
                json_object_object_add(vm, "Path", json_object_new_string(path));
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int list_fetch_details(struct vmctl *v, json_object *vms)
{
        size_t n = json_object_array_length(vms);
        _cleanup_free_ struct list_pending *pending = calloc(n ? n : 1, sizeof(*pending));
        unsigned left = 0;
        int r;

        if (!pending)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *vm = json_object_array_get_idx(vms, i), *path;

                json_object_object_get_ex(vm, "Path", &path);
                pending[i] = (struct list_pending){ .vm = vm, .pending = &left };
                r = sd_bus_call_method_async(v->bus, NULL, HVD_BUS_NAME, json_object_get_string(path),
                                             "org.freedesktop.DBus.Properties", "GetAll",
                                             list_on_properties, &pending[i], "s", HVD_VM_IFACE);
                if (r < 0)
                        return r;
                left++;
        }
        while (left > 0) {
                r = sd_bus_process(v->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(v->bus, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void list_print_table(json_object *vms)
{
        static const char *const header[] = { "NAME", "STATE", "VCPUS", "MEMORY" };
        size_t n = json_object_array_length(vms);
        _cleanup_free_ char **cells = calloc(n * 4 + 1, sizeof(char *));
        _cleanup_free_ char *text = calloc(n + 1, 48);

        if (!cells || !text) {
                fprintf(stderr, "vmctl: list: %s\n", strerror(ENOMEM));
                return;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *vm = json_object_array_get_idx(vms, i), *name, *state, *vcpus, *mem;
                char *vcpu_text = text + i * 48, *mem_text = vcpu_text + 16;

                json_object_object_get_ex(vm, "Name", &name);
                json_object_object_get_ex(vm, "State", &state);
                /* a value of another type than hvd's is not shown as a number it is not */
                if (json_object_object_get_ex(vm, "VCPUs", &vcpus) && json_object_is_type(vcpus, json_type_int))
                        snprintf(vcpu_text, 16, "%" PRId64, json_object_get_int64(vcpus));
                else
                        snprintf(vcpu_text, 16, "-");
                if (json_object_object_get_ex(vm, "MemoryMiB", &mem) && json_object_is_type(mem, json_type_int))
                        snprintf(mem_text, 32, "%" PRIu64 " MiB", json_object_get_uint64(mem));
                else
                        snprintf(mem_text, 32, "-");
                cells[i * 4 + 0] = (char *)json_object_get_string(name);
                cells[i * 4 + 1] = (char *)json_object_get_string(state);
                cells[i * 4 + 2] = vcpu_text;
                cells[i * 4 + 3] = mem_text;
        }
        vmctl_table_print(header, 4, cells, n);
}

/* Copies the properties list shows from a VM's property object. */
static int list_add_vm(json_object *vms, const char *path, json_object *props)
{
        static const char *const keys[] = { "Name", "UUID", "State" };
        json_object *vm = json_object_new_object(), *val;

        if (!vm || json_object_array_add(vms, vm) < 0) {
                json_object_put(vm);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                json_object_object_add(vm, keys[i], json_object_object_get_ex(props, keys[i], &val)
                                                            ? json_object_get(val)
                                                            : json_object_new_string(""));
        json_object_object_add(vm, "Path", json_object_new_string(path));
        if (json_object_object_get_ex(props, "VCPUs", &val))
                json_object_object_add(vm, "VCPUs", json_object_get(val));
        if (json_object_object_get_ex(props, "MemoryMiB", &val))
                json_object_object_add(vm, "MemoryMiB", json_object_get(val));
        return 0;
}

/* Reads an a{sv} keeping only what list shows: the rest (the definition above all) is
 * skipped unparsed. */
static int list_read_properties(sd_bus_message *m, json_object **ret)
{
        static const char *const wanted[] = { "Name", "UUID", "State", "VCPUs", "MemoryMiB" };
        _cleanup_json_ json_object *props = json_object_new_object();
        const char *key;
        int r;

        if (!props)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                bool keep = false;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
                        keep = keep || strcmp(key, wanted[i]) == 0;
                if (keep) {
                        json_object *val = NULL;

                        r = vmctl_json_read_value(m, &val);
                        if (r >= 0 && json_object_object_add(props, key, val) < 0) {
                                json_object_put(val);
                                r = -ENOMEM;
                        }
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(props);
        return 0;
}

/* Reads a GetManagedObjects reply (a{oa{sa{sv}}}): the objects with org.hvd1.VM are the VMs. */
static int list_read_managed(sd_bus_message *reply, json_object *vms)
{
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) > 0) {
                const char *path, *iface;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}")) > 0) {
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                return r;
                        if (strcmp(iface, HVD_VM_IFACE) == 0) {
                                _cleanup_json_ json_object *props = NULL;

                                r = list_read_properties(reply, &props);
                                if (r >= 0)
                                        r = list_add_vm(vms, path, props);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

static int list_compare(const void *a, const void *b)
{
        json_object *const *x = a, *const *y = b, *nx = NULL, *ny = NULL;

        json_object_object_get_ex(*x, "Name", &nx);
        json_object_object_get_ex(*y, "Name", &ny);
        return strcmp(json_object_get_string(nx) ?: "", json_object_get_string(ny) ?: "");
}

int vmctl_list(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_json_ json_object *vms = json_object_new_array();
        int r;

        if (!vms)
                return vmctl_report(v, NULL, NULL, -ENOMEM);
        r = vmctl_call_method(v->bus, HVD_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                              "GetManagedObjects", &error, &reply, "");
        if (r >= 0) {
                r = list_read_managed(reply, vms);
                if (r < 0)
                        return vmctl_report(v, NULL, NULL, r);
        } else if (sd_bus_error_has_names(&error, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                          SD_BUS_ERROR_UNKNOWN_OBJECT)) {
                sd_bus_error_free(&error);
                reply = sd_bus_message_unref(reply);
                r = vmctl_call_method(v->bus, HVD_MANAGER_PATH, HVD_MANAGER_IFACE, "ListVMs", &error, &reply, "");
                if (r < 0)
                        return vmctl_report(v, NULL, &error, r);
                r = list_read(v, reply, vms);
                if (r >= 0)
                        r = list_fetch_details(v, vms);
                if (r < 0)
                        return vmctl_report(v, NULL, NULL, r);
        } else
                return vmctl_report(v, NULL, &error, r);
        json_object_array_sort(vms, list_compare);

        if (v->json)
                r = vmctl_json_print(vms);
        else {
                list_print_table(vms);
                r = fflush(stdout) == EOF ? -EIO : 0;
        }
        if (r < 0)
                return vmctl_report(v, NULL, NULL, r);
        return VMCTL_EXIT_OK;
}
