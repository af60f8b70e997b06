/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.hvd1.Manager at /org/hvd1, and the ObjectManager over every VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "auth.h"
#include "bus-error.h"
#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "macros.h"
#include "vm-store.h"

struct machine *hvd_find_machine(struct hvd *h, const char *name)
{
        for (struct machine *m = h->machines; m; m = m->next)
                if (strcmp(m->def->name, name) == 0)
                        return m;
        return NULL;
}

struct machine *hvd_find_machine_by_path(struct hvd *h, const char *path)
{
        for (struct machine *m = h->machines; path && m; m = m->next)
                if (strcmp(m->path, path) == 0)
                        return m;
        return NULL;
}

struct machine *hvd_find_machine_by_uuid(struct hvd *h, const char *uuid)
{
        for (struct machine *m = h->machines; uuid && m; m = m->next)
                if (m->def->uuid && strcmp(m->def->uuid, uuid) == 0)
                        return m;
        return NULL;
}

void hvd_running_changed(struct hvd *h)
{
        if (h->bus)
                (void)sd_bus_emit_properties_changed(h->bus, HVD_MANAGER_PATH, "org.hvd1.Manager", "RunningVMs", NULL);
        (void)sd_notifyf(false, "STATUS=%u VM%s running", h->n_running, h->n_running == 1 ? "" : "s");
}

void hvd_defined_changed(struct hvd *h)
{
        if (h->bus)
                (void)sd_bus_emit_properties_changed(h->bus, HVD_MANAGER_PATH, "org.hvd1.Manager", "DefinedVMs", NULL);
}

static struct machine *find_or_error(struct hvd *h, const char *name, sd_bus_error *error)
{
        struct machine *m = vm_name_is_valid(name) ? hvd_find_machine(h, name) : NULL;

        if (!m)
                hvd_bus_error_setf(error, -ENOENT, vm_name_is_valid(name) ? "no VM named '%s'" : "no VM named '%.80s' (not a valid name)", name);
        return m;
}

static int method_list_vms(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct hvd *h = userdata;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssso)");
        if (r < 0)
                return r;
        for (struct machine *vm = h->machines; vm; vm = vm->next) {
                r = sd_bus_message_append(reply, "(ssso)", vm->def->name, vm->def->uuid ? vm->def->uuid : "",
                                          vm_state_to_string(vm->state), vm->path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct hvd *h = userdata;
        struct machine *vm;
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        vm = find_or_error(h, name, error);
        if (!vm)
                return -ENOENT;
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int do_define(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        _cleanup_(vm_def_freep) struct vm_def *def = NULL;
        _cleanup_free_ char *err = NULL, *json = NULL;
        const struct vm_def_limits lim = vm_def_limits_from_host(&h->host, true);
        struct machine *vm, *other;
        char msg[MACHINE_REASON_MAX];
        const char *text;
        int r;

        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        r = vm_def_from_json(text, strlen(text), &lim, &def, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return hvd_bus_error_setf(error, -EINVAL, "%s", err ? err : "invalid definition");

        vm = hvd_find_machine(h, def->name);
        other = hvd_find_machine_by_uuid(h, def->uuid);
        if (vm && other && other != vm)
                return hvd_bus_error_setf(error, -EEXIST, "uuid: %s is VM '%s''s already", def->uuid, other->def->name);
        if (vm && machine_check(vm, VM_CALL_REDEFINE, msg) < 0)
                return hvd_bus_error_setf(error, -EBUSY, "%s", msg);
        if (!def->uuid) {
                if (vm && vm->def->uuid)
                        def->uuid = strdup(vm->def->uuid); /* a redefinition keeps its identity */
                else
                        r = vm_uuid_new(&def->uuid);
                if (r < 0 || !def->uuid)
                        return -ENOMEM;
        }
        r = vm_def_to_json(def, true, &json);
        if (r < 0)
                return r;

        if (vm) {
                _cleanup_free_ char *old_json = NULL;

                r = vm_def_to_json(vm->def, true, &old_json);
                if (r < 0)
                        return r;
                r = vm_store_write(h->state_fd, def->name, json);
                if (r < 0)
                        return hvd_bus_error_setf(error, -EIO, "cannot write %s/%s.json: %s", h->state_dir, def->name, strerror(-r));
                r = machine_redefine(vm, def, msg);
                if (r < 0) {
                        /* the VM keeps its old definition: so does the disk */
                        (void)vm_store_write(h->state_fd, vm->def->name, old_json);
                        return hvd_bus_error_setf(error, r, "%s", msg);
                }
                TAKE_PTR(def); /* machine_redefine takes it on success only */
                log_info("VM %s: redefined", vm->def->name);
                return sd_bus_reply_method_return(m, "o", vm->path);
        }

        r = machine_add(h, def, json, msg, &vm);
        if (r < 0)
                return hvd_bus_error_setf(error, r, "%s", msg);
        TAKE_PTR(def);
        log_info("VM %s: defined", vm->def->name);
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int do_undefine(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        char msg[MACHINE_REASON_MAX];
        struct machine *vm;
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        vm = find_or_error(h, name, error);
        if (!vm)
                return -ENOENT;
        if (machine_check(vm, VM_CALL_UNDEFINE, msg) < 0)
                return hvd_bus_error_setf(error, -EBUSY, "%s", msg);
        r = vm_store_remove(h->state_fd, vm->def->name);
        if (r < 0 && r != -ENOENT)
                return hvd_bus_error_setf(error, -EIO, "cannot remove %s/%s.json: %s", h->state_dir, name, strerror(-r));
        log_info("VM %s: undefined", vm->def->name);
        r = sd_bus_reply_method_return(m, NULL);
        machine_unpublish_and_free(vm);
        return r;
}

static int method_define_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return hvd_authorize(userdata, m, do_define, error);
}

static int method_undefine_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return hvd_authorize(userdata, m, do_undefine, error);
}

static int property_get_dirty_log_modes(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        struct hvd *h = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (int i = 0; r >= 0 && i < _HV_DIRTY_LOG_MODE_MAX; i++)
                if (h->host.dirty_log_modes & (1u << i))
                        r = sd_bus_message_append(reply, "s", hv_dirty_log_mode_to_string(i));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssso)", vms), method_list_vms,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DefineVM", SD_BUS_ARGS("s", definition), SD_BUS_RESULT("o", vm), method_define_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UndefineVM", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_undefine_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetVM", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", vm), method_get_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("VMAdded", SD_BUS_ARGS("s", name, "o", vm), 0),
        SD_BUS_SIGNAL_WITH_ARGS("VMRemoved", SD_BUS_ARGS("s", name, "o", vm), 0),
        SD_BUS_PROPERTY("Version", "s", NULL, offsetof(struct hvd, version), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CPUVendor", "s", NULL, offsetof(struct hvd, cpu_vendor), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VendorPlugin", "s", NULL, offsetof(struct hvd, vendor_plugin), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KVMModule", "s", NULL, offsetof(struct hvd, kvm_module), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KVMAPIVersion", "u", NULL, offsetof(struct hvd, host.api_version), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxVCPUs", "u", NULL, offsetof(struct hvd, host.vm_max_vcpus), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxMemoryMiB", "t", NULL, offsetof(struct hvd, host.vm_max_memory_mib), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DirtyLogModes", "as", property_get_dirty_log_modes, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefinedVMs", "u", NULL, offsetof(struct hvd, n_defined), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RunningVMs", "u", NULL, offsetof(struct hvd, n_running), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

int hvd_manager_register(struct hvd *h)
{
        int r;

        r = sd_bus_error_add_map(hvd_bus_error_map);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(h->bus, NULL, HVD_MANAGER_PATH, "org.hvd1.Manager", manager_vtable, h);
        if (r < 0)
                return r;
        return sd_bus_add_object_manager(h->bus, NULL, HVD_MANAGER_PATH);
}
