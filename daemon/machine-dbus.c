/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.hvd1.VM: one object per VM at /org/hvd1/vm/<escaped name>. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bus-error.h"
#include "hvd.h"
#include "machine.h"
#include "macros.h"

int machine_bus_path(const char *name, char **ret)
{
        return sd_bus_path_encode(HVD_VM_PATH_PREFIX, name, ret);
}

void machine_emit_state(struct machine *m)
{
        (void)sd_bus_emit_properties_changed(m->hvd->bus, m->path, "org.hvd1.VM", "State", "StateReason", NULL);
}

/* The VM a queued call is for, by its path: it may be gone by the time the caller is
 * authorized. */
static struct machine *lookup(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = hvd_find_machine_by_path(h, sd_bus_message_get_path(m));

        if (!vm)
                hvd_bus_error_setf(error, -ENOENT, "no such VM at %s", sd_bus_message_get_path(m));
        return vm;
}

/* A lifecycle call's result (machine.h): an error, done now, or answered later. */
static int reply_or_error(sd_bus_message *m, int r, const char *msg, sd_bus_error *error)
{
        if (r < 0)
                return hvd_bus_error_setf(error, r, "%s", msg);
        return r == 0 ? 1 : sd_bus_reply_method_return(m, NULL);
}

static int do_start(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];

        int r;

        if (!vm)
                return -ENOENT;
        r = machine_start(vm, m, "started by request", msg);
        return reply_or_error(m, r, msg, error);
}

static int do_stop(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];

        return vm ? reply_or_error(m, machine_stop(vm, m, "stopped by request", msg), msg, error) : -ENOENT;
}

static int do_pause(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];

        return vm ? reply_or_error(m, machine_pause(vm, m, msg), msg, error) : -ENOENT;
}

static int do_resume(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];

        return vm ? reply_or_error(m, machine_resume(vm, m, msg), msg, error) : -ENOENT;
}

static int do_reset(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];

        int r;

        if (!vm)
                return -ENOENT;
        r = machine_reset(vm, m, "reset by request", msg);
        return reply_or_error(m, r, msg, error);
}

#define SHUTDOWN_TIMEOUT_MAX_USEC (3600ULL * 1000000ULL)

static int do_shutdown(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        char msg[MACHINE_REASON_MAX];
        uint64_t timeout;
        int r;

        if (!vm)
                return -ENOENT;
        r = sd_bus_message_read(m, "t", &timeout);
        if (r < 0)
                return r;
        if (timeout == 0)
                timeout = h->conf.default_shutdown_timeout_usec;
        if (timeout > SHUTDOWN_TIMEOUT_MAX_USEC)
                return hvd_bus_error_setf(error, -EINVAL, "timeout_usec: at most %llu (one hour)",
                                          (unsigned long long)SHUTDOWN_TIMEOUT_MAX_USEC);
        r = machine_shutdown(vm, m, timeout, msg);
        return reply_or_error(m, r, msg, error);
}

static int do_open_console(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        struct machine *vm = lookup(m, h, error);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!vm)
                return -ENOENT;
        r = console_open(&vm->console, &fd);
        if (r == -ENOSPC)
                return hvd_bus_error_setf(error, r, "VM '%s' has %d consoles open already", vm->def->name, CONSOLE_CLIENTS_MAX);
        if (r < 0)
                return hvd_bus_error_setf(error, r, "cannot open a console: %s", strerror(-r));
        return sd_bus_reply_method_return(m, "h", fd); /* sd-bus sends a duplicate; ours closes */
}

static int do_get_console_log(sd_bus_message *m, struct hvd *h, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct machine *vm = lookup(m, h, error);
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        if (!vm)
                return -ENOENT;
        r = console_get_log(&vm->console, &buf, &len);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', buf, len);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

#define AUTHORIZED(name)                                                                    \
        static int method_##name(sd_bus_message *m, void *userdata, sd_bus_error *error)    \
        {                                                                                   \
                struct machine *vm = userdata;                                              \
                return hvd_authorize(vm->hvd, m, do_##name, error);                         \
        }
AUTHORIZED(start)
AUTHORIZED(stop)
AUTHORIZED(pause)
AUTHORIZED(resume)
AUTHORIZED(reset)
AUTHORIZED(shutdown)
AUTHORIZED(open_console)
AUTHORIZED(get_console_log)

static int property_get_def(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        struct machine *vm = userdata;
        const struct vm_def *d = vm->def;

        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", d->name);
        if (strcmp(property, "UUID") == 0)
                return sd_bus_message_append(reply, "s", d->uuid ? d->uuid : "");
        if (strcmp(property, "VCPUs") == 0)
                return sd_bus_message_append(reply, "u", d->vcpus);
        if (strcmp(property, "MemoryMiB") == 0)
                return sd_bus_message_append(reply, "t", d->memory_mib);
        if (strcmp(property, "Autostart") == 0)
                return sd_bus_message_append(reply, "b", d->autostart);
        return -EINVAL;
}

static int property_get_definition(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        struct machine *vm = userdata;
        _cleanup_free_ char *json = NULL;
        int r;

        r = vm_def_to_json(vm->def, false, &json);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "s", json);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        struct machine *vm = userdata;

        return sd_bus_message_append(reply, "s", strcmp(property, "State") == 0 ? vm_state_to_string(vm->state) : vm->reason);
}

const sd_bus_vtable machine_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("t", timeout_usec), SD_BUS_NO_RESULT, method_shutdown,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_pause, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reset, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenConsole", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", fd), method_open_console,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetConsoleLog", SD_BUS_NO_ARGS, SD_BUS_RESULT("ay", log), method_get_console_log,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Name", "s", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateReason", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VCPUs", "u", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryMiB", "t", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Autostart", "b", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Definition", "s", property_get_definition, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
