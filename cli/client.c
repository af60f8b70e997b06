/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client layer: bus connection, error mapping and reporting. Every verb funnels its
 * failures through vmctl_report() so messages and exit codes are the same everywhere. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "macros.h"
#include "output.h"

static const char *bus_kind(const struct vmctl *v)
{
        if (v->address)
                return "bus";
        return v->user ? "session bus" : "system bus";
}

int vmctl_bus_open(struct vmctl *v, const char *name)
{
        sd_bus *bus = NULL;
        int r;

        if (v->address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, v->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, 1);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r < 0)
                        bus = sd_bus_unref(bus);
        } else if (v->user)
                r = sd_bus_open_user(&bus);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "vmctl: %s%s%s: cannot connect to the %s%s%s: %s\n", v->verb,
                        name ? " " : "", name ? name : "", bus_kind(v), v->address ? " at " : "", v->address ? v->address : "",
                        strerror(-r));
                return VMCTL_EXIT_UNREACHABLE;
        }
        v->bus = bus;
        return VMCTL_EXIT_OK;
}

/* One table from D-Bus error names to exit codes (and a better message where the bus's own
 * is unhelpful to a user). */
static const struct {
        const char *name;
        int code;
        const char *message;
} error_table[] = {
        { "org.hvd1.Error.NoSuchVM", VMCTL_EXIT_NO_SUCH_VM, NULL },
        { "org.hvd1.Error.InvalidConfig", VMCTL_EXIT_INVALID_CONFIG, NULL },
        { "org.hvd1.Error.InvalidState", VMCTL_EXIT_INVALID_STATE, NULL },
        { "org.hvd1.Error.Exists", VMCTL_EXIT_EXISTS, NULL },
        { "org.hvd1.Error.AccessDenied", VMCTL_EXIT_ACCESS_DENIED, NULL },
        { "org.hvd1.Error.Timeout", VMCTL_EXIT_TIMEOUT, NULL },
        { "org.hvd1.Error.NotSupported", VMCTL_EXIT_NOT_SUPPORTED, NULL },
        { "org.hvd1.Error.LimitExceeded", VMCTL_EXIT_LIMIT, NULL },
        { "org.hvd1.Error.Failed", VMCTL_EXIT_FAILURE, NULL },
        { "org.freedesktop.DBus.Error.ServiceUnknown", VMCTL_EXIT_UNREACHABLE, "hvd is not running" },
        { "org.freedesktop.DBus.Error.NameHasNoOwner", VMCTL_EXIT_UNREACHABLE, "hvd is not running" },
        { "org.freedesktop.DBus.Error.Spawn.ChildExited", VMCTL_EXIT_UNREACHABLE, NULL },
        { "org.freedesktop.DBus.Error.Spawn.Failed", VMCTL_EXIT_UNREACHABLE, NULL },
        { "org.freedesktop.DBus.Error.Disconnected", VMCTL_EXIT_UNREACHABLE, NULL },
        { "org.freedesktop.DBus.Error.AccessDenied", VMCTL_EXIT_ACCESS_DENIED,
          "the bus policy does not let you call hvd (root and the hvd group may)" },
        { "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", VMCTL_EXIT_ACCESS_DENIED, NULL },
        { "org.freedesktop.DBus.Error.UnknownObject", VMCTL_EXIT_NO_SUCH_VM, "no such VM (its object is gone)" },
        { "org.freedesktop.DBus.Error.NoReply", VMCTL_EXIT_TIMEOUT, "hvd did not reply in time" },
        { "org.freedesktop.DBus.Error.Timeout", VMCTL_EXIT_TIMEOUT, "hvd did not reply in time" },
        { "org.freedesktop.DBus.Error.TimedOut", VMCTL_EXIT_TIMEOUT, "hvd did not reply in time" },
};

int vmctl_exit_code(const char *error_name, int r)
{
        if (error_name)
                for (size_t i = 0; i < ARRAY_SIZE(error_table); i++)
                        if (strcmp(error_table[i].name, error_name) == 0)
                                return error_table[i].code;
        switch (-r) {
        case ETIMEDOUT:
                return VMCTL_EXIT_TIMEOUT;
        case EACCES:
        case EPERM:
                return VMCTL_EXIT_ACCESS_DENIED;
        case ECONNREFUSED:
        case ECONNRESET:
        case ENOTCONN:
        case EPIPE:
        case ENOENT:
        case ENOMEDIUM: /* sd-bus: no session bus address known */
                return VMCTL_EXIT_UNREACHABLE;
        default:
                return VMCTL_EXIT_FAILURE;
        }
}

const char *vmctl_error_message(const sd_bus_error *error, int r)
{
        const char *error_name = error && sd_bus_error_is_set(error) ? error->name : NULL;

        if (error_name) {
                for (size_t i = 0; i < ARRAY_SIZE(error_table); i++)
                        if (strcmp(error_table[i].name, error_name) == 0 && error_table[i].message)
                                return error_table[i].message;
                return error->message && *error->message ? error->message : error->name;
        }
        if (r == -ENXIO || r == -EBADMSG)
                return "unexpected reply from hvd (not the org.hvd1 API this vmctl knows)";
        return strerror(r < 0 ? -r : EIO);
}

int vmctl_report(struct vmctl *v, const char *name, const sd_bus_error *error, int r)
{
        const char *error_name = error && sd_bus_error_is_set(error) ? error->name : NULL;
        const char *message = vmctl_error_message(error, r);
        int code = vmctl_exit_code(error_name, r);

        fprintf(stderr, "vmctl: %s%s", v->verb, name ? " " : "");
        vmctl_fputs_escaped(name ? name : "", stderr);
        fputs(": ", stderr);
        vmctl_fputs_escaped(message, stderr);
        if (code == VMCTL_EXIT_UNREACHABLE)
                fprintf(stderr, " (%s is not on the %s)", HVD_BUS_NAME, bus_kind(v));
        fputc('\n', stderr);
        return code;
}

struct call_wait {
        sd_bus_message *reply;
        bool done;
};

static int call_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct call_wait *w = userdata;

        w->reply = sd_bus_message_ref(m);
        w->done = true;
        return 0;
}

int vmctl_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *error, sd_bus_message **ret_reply)
{
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct call_wait w = { .done = false };
        int r;

        r = sd_bus_call_async(bus, &slot, m, call_on_reply, &w, usec);
        if (r < 0)
                return r;
        while (!w.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        reply = w.reply;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                r = sd_bus_error_copy(error, sd_bus_message_get_error(reply));
                return r < 0 ? r : -EIO;
        }
        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

int vmctl_call_method(sd_bus *bus, const char *path, const char *iface, const char *member,
                      sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, HVD_BUS_NAME, path, iface, member);
        if (r < 0)
                return r;
        if (types && *types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        return vmctl_call(bus, m, 0, error, ret_reply);
}

int vmctl_vm_path(sd_bus *bus, const char *name, sd_bus_error *error, char **ret_path)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *copy;
        int r;

        r = vmctl_call_method(bus, HVD_MANAGER_PATH, HVD_MANAGER_IFACE, "GetVM", error, &reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        *ret_path = copy;
        return 0;
}

int vmctl_vm_simple_call(struct vmctl *v, const char *name, const char *method)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = vmctl_vm_path(v->bus, name, &error, &path);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = vmctl_call_method(v->bus, path, HVD_VM_IFACE, method, &error, NULL, "");
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        return VMCTL_EXIT_OK;
}

int vmctl_usage_error(struct vmctl *v, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "vmctl: %s%s", v->verb ? v->verb : "", v->verb ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'vmctl %s%s--help' for more information.\n", v->verb ? v->verb : "",
                v->verb ? " " : "");
        return VMCTL_EXIT_USAGE;
}
