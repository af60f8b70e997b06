/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for hvd on the session bus, serving the org.hvd1 contract (daemon/org.hvd1.xml)
 * from memory, so vmctl's tests can drive every verb, error and the console without KVM.
 * Not a test by itself: tests/test-vmctl-fake.sh runs it on a private dbus-daemon.
 *
 * Definitions are JSON: {"name": s, "vcpus": n, "memory_mib": n} plus test knobs:
 * "ignore_shutdown": true (Shutdown answers Timeout), "deaf": true (the guest never reads
 * its console), "error": "<org.hvd1.Error.X>" (DefineVM
 * answers that error, to check vmctl's mapping). The "guest" echoes console input back and
 * logs everything it prints. With --no-object-manager, /org/hvd1 has no ObjectManager. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "macros.h"

#define MAX_VMS 64
#define MAX_CONSOLES 4
#define LOG_MAX 4096

struct vm {
        char *name, *path, *definition;
        char uuid[37];
        const char *state, *reason;
        uint32_t vcpus;
        uint64_t memory_mib;
        bool ignore_shutdown;
        bool deaf; /* the guest never reads its console (backpressure on vmctl) */
        sd_bus_slot *slot;
        sd_event_source *consoles[MAX_CONSOLES];
        char log[LOG_MAX];
        size_t log_size;
};

static struct vm *vms[MAX_VMS];
static sd_bus *bus;

static struct vm *vm_find(const char *name)
{
        for (size_t i = 0; i < MAX_VMS; i++)
                if (vms[i] && strcmp(vms[i]->name, name) == 0)
                        return vms[i];
        return NULL;
}

static void vm_log(struct vm *vm, const char *data, size_t size)
{
        if (size >= LOG_MAX) {
                data += size - LOG_MAX;
                size = LOG_MAX;
        }
        if (vm->log_size + size > LOG_MAX) {
                size_t drop = vm->log_size + size - LOG_MAX;

                memmove(vm->log, vm->log + drop, vm->log_size - drop);
                vm->log_size -= drop;
        }
        memcpy(vm->log + vm->log_size, data, size);
        vm->log_size += size;
}

/* The guest prints: into the log and to every attached console. */
static void vm_print(struct vm *vm, const char *data, size_t size)
{
        vm_log(vm, data, size);
        for (size_t i = 0; i < MAX_CONSOLES; i++)
                if (vm->consoles[i])
                        (void)!send(sd_event_source_get_io_fd(vm->consoles[i]), data, size, MSG_NOSIGNAL);
}

static void vm_consoles_close(struct vm *vm)
{
        for (size_t i = 0; i < MAX_CONSOLES; i++)
                vm->consoles[i] = sd_event_source_disable_unref(vm->consoles[i]);
}

static void vm_set_state(struct vm *vm, const char *state, const char *reason)
{
        vm->state = state;
        vm->reason = reason;
        if (strcmp(state, "running") != 0 && strcmp(state, "paused") != 0)
                vm_consoles_close(vm);
        (void)sd_bus_emit_properties_changed(bus, vm->path, "org.hvd1.VM", "State", "StateReason", NULL);
}

static int vm_state_error(sd_bus_error *error, struct vm *vm, const char *verb)
{
        return sd_bus_error_setf(error, "org.hvd1.Error.InvalidState", "cannot %s VM '%s': it is %s",
                                 verb, vm->name, vm->state);
}

static bool state_is(struct vm *vm, const char *a, const char *b)
{
        return strcmp(vm->state, a) == 0 || (b && strcmp(vm->state, b) == 0);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;
        char banner[128];

        if (!state_is(vm, "shutoff", "crashed"))
                return vm_state_error(error, vm, "start");
        vm_set_state(vm, "running", "started");
        vm_print(vm, banner, snprintf(banner, sizeof(banner), "%s booted\r\n", vm->name));
        return sd_bus_reply_method_return(m, "");
}

static int method_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;
        uint64_t timeout;
        int r;

        r = sd_bus_message_read(m, "t", &timeout);
        if (r < 0)
                return r;
        if (!state_is(vm, "running", "paused"))
                return vm_state_error(error, vm, "shut down");
        if (vm->ignore_shutdown)
                return sd_bus_error_setf(error, "org.hvd1.Error.Timeout",
                                         "guest of '%s' did not stop within %llu s", vm->name,
                                         (unsigned long long)(timeout / 1000000));
        vm_set_state(vm, "shutoff", "shutdown");
        return sd_bus_reply_method_return(m, "");
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;

        if (state_is(vm, "shutoff", NULL))
                return vm_state_error(error, vm, "stop");
        vm_set_state(vm, "shutoff", "stopped");
        return sd_bus_reply_method_return(m, "");
}

static int method_pause(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;

        if (!state_is(vm, "running", NULL))
                return vm_state_error(error, vm, "pause");
        vm_set_state(vm, "paused", "paused");
        return sd_bus_reply_method_return(m, "");
}

static int method_resume(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;

        if (!state_is(vm, "paused", NULL))
                return vm_state_error(error, vm, "resume");
        vm_set_state(vm, "running", "resumed");
        return sd_bus_reply_method_return(m, "");
}

static int method_reset(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;

        if (!state_is(vm, "running", NULL))
                return vm_state_error(error, vm, "reset");
        vm_print(vm, "reset\r\n", 7);
        return sd_bus_reply_method_return(m, "");
}

static int console_on_input(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct vm *vm = userdata;
        char buf[1024];
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
                for (size_t i = 0; i < MAX_CONSOLES; i++)
                        if (vm->consoles[i] == s)
                                vm->consoles[i] = sd_event_source_disable_unref(s);
                return 0;
        }
        if (n > 0)
                vm_print(vm, buf, n); /* the echo guest */
        return 0;
}

static int method_open_console(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;
        _cleanup_close_ int theirs = -EBADF;
        int pair[2], r;
        size_t slot;

        if (!state_is(vm, "running", "paused"))
                return vm_state_error(error, vm, "open the console of");
        for (slot = 0; slot < MAX_CONSOLES && vm->consoles[slot]; slot++)
                ;
        if (slot == MAX_CONSOLES)
                return sd_bus_error_setf(error, "org.hvd1.Error.LimitExceeded", "too many consoles open");
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
                return -errno;
        theirs = pair[1];
        r = sd_event_add_io(sd_bus_get_event(bus), &vm->consoles[slot], pair[0], EPOLLIN, console_on_input, vm);
        if (r < 0) {
                close(pair[0]);
                return r;
        }
        sd_event_source_set_io_fd_own(vm->consoles[slot], 1);
        if (vm->deaf)
                sd_event_source_set_enabled(vm->consoles[slot], SD_EVENT_OFF);
        return sd_bus_reply_method_return(m, "h", theirs);
}

static int method_get_console_log(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct vm *vm = userdata;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', vm->log, vm->log_size);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_vm(sd_bus *b, const char *path, const char *iface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        struct vm *vm = userdata;

        if (strcmp(property, "Name") == 0)
                return sd_bus_message_append(reply, "s", vm->name);
        if (strcmp(property, "UUID") == 0)
                return sd_bus_message_append(reply, "s", vm->uuid);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", vm->state);
        if (strcmp(property, "StateReason") == 0)
                return sd_bus_message_append(reply, "s", vm->reason);
        if (strcmp(property, "VCPUs") == 0)
                return sd_bus_message_append(reply, "u", vm->vcpus);
        if (strcmp(property, "MemoryMiB") == 0)
                return sd_bus_message_append(reply, "t", vm->memory_mib);
        if (strcmp(property, "Autostart") == 0)
                return sd_bus_message_append(reply, "b", 0);
        return sd_bus_message_append(reply, "s", vm->definition);
}

static const sd_bus_vtable vm_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Start", "", "", method_start, 0),
        SD_BUS_METHOD("Shutdown", "t", "", method_shutdown, 0),
        SD_BUS_METHOD("Stop", "", "", method_stop, 0),
        SD_BUS_METHOD("Pause", "", "", method_pause, 0),
        SD_BUS_METHOD("Resume", "", "", method_resume, 0),
        SD_BUS_METHOD("Reset", "", "", method_reset, 0),
        SD_BUS_METHOD("OpenConsole", "", "h", method_open_console, 0),
        SD_BUS_METHOD("GetConsoleLog", "", "ay", method_get_console_log, 0),
        SD_BUS_PROPERTY("Name", "s", property_vm, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", property_vm, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_vm, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateReason", "s", property_vm, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("VCPUs", "u", property_vm, 0, 0),
        SD_BUS_PROPERTY("MemoryMiB", "t", property_vm, 0, 0),
        SD_BUS_PROPERTY("Autostart", "b", property_vm, 0, 0),
        SD_BUS_PROPERTY("Definition", "s", property_vm, 0, 0),
        SD_BUS_VTABLE_END
};

static void vm_free(struct vm *vm)
{
        vm_consoles_close(vm);
        sd_bus_slot_unref(vm->slot);
        free(vm->name);
        free(vm->path);
        free(vm->definition);
        free(vm);
}

static int method_define(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *text, *name;
        json_object *def, *val;
        struct vm *vm;
        size_t slot;
        int r;

        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        def = json_tokener_parse(text);
        if (!def || !json_object_is_type(def, json_type_object)) {
                json_object_put(def);
                return sd_bus_error_set(error, "org.hvd1.Error.InvalidConfig", "definition is not a JSON object");
        }
        if (json_object_object_get_ex(def, "error", &val)) {
                r = sd_bus_error_setf(error, json_object_get_string(val), "asked to fail with %s",
                                      json_object_get_string(val));
                json_object_put(def);
                return r;
        }
        if (!json_object_object_get_ex(def, "name", &val) || !json_object_is_type(val, json_type_string) ||
            !*(name = json_object_get_string(val))) {
                json_object_put(def);
                return sd_bus_error_set(error, "org.hvd1.Error.InvalidConfig", "field 'name': a non-empty string is required");
        }
        vm = vm_find(name);
        if (vm && !state_is(vm, "shutoff", NULL)) {
                json_object_put(def);
                return sd_bus_error_setf(error, "org.hvd1.Error.Exists", "VM '%s' exists and is %s", vm->name, vm->state);
        }
        if (!vm) {
                for (slot = 0; slot < MAX_VMS && vms[slot]; slot++)
                        ;
                if (slot == MAX_VMS) {
                        json_object_put(def);
                        return sd_bus_error_set(error, "org.hvd1.Error.LimitExceeded", "too many VMs");
                }
                vm = calloc(1, sizeof(*vm));
                if (!vm || !(vm->name = strdup(name)) ||
                    sd_bus_path_encode("/org/hvd1/vm", name, &vm->path) < 0) {
                        json_object_put(def);
                        if (vm)
                                vm_free(vm);
                        return -ENOMEM;
                }
                snprintf(vm->uuid, sizeof(vm->uuid), "00000000-0000-4000-8000-%012zx", slot + 1);
                vm->state = "shutoff";
                vm->reason = "defined";
                r = sd_bus_add_object_vtable(bus, &vm->slot, vm->path, "org.hvd1.VM", vm_vtable, vm);
                if (r < 0) {
                        json_object_put(def);
                        vm_free(vm);
                        return r;
                }
                vms[slot] = vm;
        }
        free(vm->definition);
        vm->definition = strdup(text);
        vm->vcpus = json_object_object_get_ex(def, "vcpus", &val) ? json_object_get_int(val) : 1;
        vm->memory_mib = json_object_object_get_ex(def, "memory_mib", &val) ? json_object_get_int64(val) : 128;
        vm->ignore_shutdown = json_object_object_get_ex(def, "ignore_shutdown", &val) && json_object_get_boolean(val);
        vm->deaf = json_object_object_get_ex(def, "deaf", &val) && json_object_get_boolean(val);
        json_object_put(def);
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int method_undefine(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *name;
        struct vm *vm;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        vm = vm_find(name);
        if (!vm)
                return sd_bus_error_setf(error, "org.hvd1.Error.NoSuchVM", "no VM named '%s'", name);
        if (!state_is(vm, "shutoff", "crashed"))
                return vm_state_error(error, vm, "undefine");
        for (size_t i = 0; i < MAX_VMS; i++)
                if (vms[i] == vm)
                        vms[i] = NULL;
        vm_free(vm);
        return sd_bus_reply_method_return(m, "");
}

static int method_get_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *name;
        struct vm *vm;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        vm = vm_find(name);
        if (!vm)
                return sd_bus_error_setf(error, "org.hvd1.Error.NoSuchVM", "no VM named '%s'", name);
        return sd_bus_reply_method_return(m, "o", vm->path);
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssso)");
        for (size_t i = 0; r >= 0 && i < MAX_VMS; i++)
                if (vms[i])
                        r = sd_bus_message_append(reply, "(ssso)", vms[i]->name, vms[i]->uuid, vms[i]->state,
                                                  vms[i]->path);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_manager(sd_bus *b, const char *path, const char *iface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        uint32_t defined = 0, running = 0;

        for (size_t i = 0; i < MAX_VMS; i++)
                if (vms[i]) {
                        defined++;
                        running += !state_is(vms[i], "shutoff", "crashed");
                }
        if (strcmp(property, "Version") == 0)
                return sd_bus_message_append(reply, "s", "0-fake");
        if (strcmp(property, "CPUVendor") == 0)
                return sd_bus_message_append(reply, "s", "FakeVendor");
        if (strcmp(property, "VendorPlugin") == 0)
                return sd_bus_message_append(reply, "s", "fake");
        if (strcmp(property, "KVMModule") == 0)
                return sd_bus_message_append(reply, "s", "kvm_fake");
        if (strcmp(property, "KVMAPIVersion") == 0)
                return sd_bus_message_append(reply, "u", 12);
        if (strcmp(property, "MaxVCPUs") == 0)
                return sd_bus_message_append(reply, "u", 8);
        if (strcmp(property, "DefinedVMs") == 0)
                return sd_bus_message_append(reply, "u", defined);
        return sd_bus_message_append(reply, "u", running);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListVMs", "", "a(ssso)", method_list, 0),
        SD_BUS_METHOD("DefineVM", "s", "o", method_define, 0),
        SD_BUS_METHOD("UndefineVM", "s", "", method_undefine, 0),
        SD_BUS_METHOD("GetVM", "s", "o", method_get_vm, 0),
        SD_BUS_PROPERTY("Version", "s", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CPUVendor", "s", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("VendorPlugin", "s", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KVMModule", "s", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KVMAPIVersion", "u", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxVCPUs", "u", property_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefinedVMs", "u", property_manager, 0, 0),
        SD_BUS_PROPERTY("RunningVMs", "u", property_manager, 0, 0),
        SD_BUS_VTABLE_END
};

/* --hostile: a server that breaks the contract, to check vmctl copes: replies of the wrong
 * type, and properties of every D-Bus type nested in each other. */
static int hostile_list(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "as", 2, "not", "structs");
}

static int hostile_get_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return sd_bus_reply_method_return(m, "s", "/not/an/object/path/type");
}

static int hostile_property(sd_bus *b, const char *path, const char *iface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        static const uint8_t bytes[] = { 0, 1, 255 };

        if (strcmp(property, "Nested") == 0)
                return sd_bus_message_append(reply, "a{sv}", 3, "inner", "v", "a{sv}", 1, "deep", "v", "v", "i", -7,
                                             "list", "as", 2, "a", "\"quoted\"", "pair", "(ub)", 1, 1);
        if (strcmp(property, "Structs") == 0)
                return sd_bus_message_append(reply, "a(sut)", 2, "x", 1, UINT64_MAX, "", 0, 0);
        if (strcmp(property, "Bytes") == 0)
                return sd_bus_message_append_array(reply, 'y', bytes, sizeof(bytes));
        if (strcmp(property, "IntKeys") == 0)
                return sd_bus_message_append(reply, "a{ix}", 2, -1, INT64_MIN, 2, INT64_MAX);
        if (strcmp(property, "Double") == 0)
                return sd_bus_message_append(reply, "d", 0.5);
        return sd_bus_message_append(reply, "s", "control\x01\ncharacters");
}

static const sd_bus_vtable hostile_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListVMs", "", "as", hostile_list, 0),
        SD_BUS_METHOD("GetVM", "s", "s", hostile_get_vm, 0),
        SD_BUS_PROPERTY("Nested", "a{sv}", hostile_property, 0, 0),
        SD_BUS_PROPERTY("Structs", "a(sut)", hostile_property, 0, 0),
        SD_BUS_PROPERTY("Bytes", "ay", hostile_property, 0, 0),
        SD_BUS_PROPERTY("IntKeys", "a{ix}", hostile_property, 0, 0),
        SD_BUS_PROPERTY("Double", "d", hostile_property, 0, 0),
        SD_BUS_PROPERTY("Text", "s", hostile_property, 0, 0),
        SD_BUS_VTABLE_END
};

int main(int argc, char **argv)
{
        /* hvd serves an ObjectManager at /org/hvd1; --no-object-manager leaves it out, for
         * vmctl list's fallback to ListVMs */
        bool object_manager = !(argc > 1 && strcmp(argv[1], "--no-object-manager") == 0);
        bool hostile = argc > 1 && strcmp(argv[1], "--hostile") == 0;
        sd_event *event = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_bus_open_user(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, 1);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/hvd1", "org.hvd1.Manager",
                                             hostile ? hostile_vtable : manager_vtable, NULL);
        if (r >= 0 && object_manager && !hostile)
                r = sd_bus_add_object_manager(bus, NULL, "/org/hvd1");
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.hvd1", 0);
        if (r < 0) {
                fprintf(stderr, "fakehvd: %s\n", strerror(-r));
                return 1;
        }
        r = sd_event_loop(event);
        for (size_t i = 0; i < MAX_VMS; i++)
                if (vms[i])
                        vm_free(vms[i]);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
}
