/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A deliberately broken org.hvd1, to test how vmctl handles replies that break the contract
 * of daemon/org.hvd1.xml: values of unexpected types, missing or extra properties, huge and
 * control-character-laden strings, wrong signatures, errors the contract does not give, a
 * console fd that is not a socket, and a server that vanishes mid-call. It serves nothing
 * hvd does: every reply here is one hvd never sends (hvd's behaviour is tested against hvd
 * itself, tests/test-vmctl-hvd*.sh). Run by tests/test-vmctl-hostile.sh on a private bus.
 *
 *   test-vmctl-hostile-server MODE
 *     types             properties of every D-Bus type, missing ones, huge and control strings
 *     wrong-signatures  every method's reply has the wrong signature
 *     no-object-manager no ObjectManager; ListVMs names VMs whose GetAll fails or lies
 *     errors            GetVM fails with errors hvd does not send, or with odd messages
 *     vanish            the first method call makes the server leave without replying
 *
 * For VERB --all, VMs that need no KVM: ListVMs names them unsorted; their Shutdown and Stop
 * calls are held until none has come for HOLD_USEC, then answered together, the last first
 * (stderr says how many: "Shutdown: 4 calls answered together"; a client calling one VM
 * after the other gets "1" each time).
 *     all-mixed         every state, an unknown one, a name with control characters; some
 *                       calls fail (Timeout even for Stop, an error outside the contract)
 *     all-many          ALL_MANY_VMS running VMs; every call succeeds
 *     all-timeout       two running VMs whose calls both fail with Timeout
 *     all-idle          shut-off VMs only
 *     all-vanish        three running VMs; the first VM call makes the server leave
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "macros.h"

#define HUGE_STRING_SIZE (1024 * 1024)
/* Long enough that a client sending its calls together gets them all held at once, even
 * on a loaded machine. */
#define HOLD_USEC (1000 * 1000)
#define ALL_MANY_VMS 40

static const char *mode;
static char *huge; /* HUGE_STRING_SIZE bytes of 'h' */
static sd_event *event;

static int is(sd_bus_message *m, const char *iface, const char *member)
{
        return sd_bus_message_is_method_call(m, iface, member);
}

/* GetAll(org.hvd1.Manager), mode types: no property hvd has, one of every other kind. */
static int append_manager_props(sd_bus_message *r)
{
        static const uint8_t bytes[] = { 0, 1, 255 };
        int k;

        k = sd_bus_message_open_container(r, 'a', "{sv}");
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Nested", "a{sv}", 3, "inner", "v", "a{sv}", 1, "deep", "v", "v", "i",
                                          -7, "list", "as", 2, "a", "\"quoted\"", "pair", "(ub)", 1, 1);
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Structs", "a(sut)", 2, "x", 1, UINT64_MAX, "", 0, 0);
        if (k >= 0)
                k = sd_bus_message_open_container(r, 'e', "sv");
        if (k >= 0)
                k = sd_bus_message_append(r, "s", "Bytes");
        if (k >= 0)
                k = sd_bus_message_open_container(r, 'v', "ay");
        if (k >= 0)
                k = sd_bus_message_append_array(r, 'y', bytes, sizeof(bytes));
        if (k >= 0)
                k = sd_bus_message_close_container(r);
        if (k >= 0)
                k = sd_bus_message_close_container(r);
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "IntKeys", "a{ix}", 2, -1, INT64_MIN, 2, INT64_MAX);
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Double", "d", 0.5);
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Text", "s", "control\x01\ncharacters\x1b[2J\x7f");
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Huge", "s", huge);
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Signature", "g", "a{sv}");
        if (k >= 0)
                k = sd_bus_message_append(r, "{sv}", "Empty", "as", 0);
        if (k >= 0)
                k = sd_bus_message_close_container(r);
        return k;
}

/* A VM's properties, mode types: a name with control characters, a state that is not one,
 * VCPUs of the wrong type, no UUID or MemoryMiB, a definition that is not JSON. */
static int append_vm_props(sd_bus_message *r, const char *name)
{
        return sd_bus_message_append(r, "a{sv}", 5, "Name", "s", name, "State", "s", "running\r\n\x1b[31mred",
                                     "VCPUs", "s", "lots", "Definition", "s", "{not json\x07",
                                     "StateReason", "s", huge);
}

static int reply_types(sd_bus_message *m)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *r = NULL;
        const char *path = sd_bus_message_get_path(m), *arg = NULL;
        int k;

        if (is(m, "org.hvd1.Manager", "GetVM")) {
                if (sd_bus_message_read(m, "s", &arg) < 0)
                        return -EINVAL;
                return sd_bus_reply_method_return(m, "o", strcmp(arg, "badfd") == 0 ? "/org/hvd1/vm/badfd" : "/org/hvd1/vm/x");
        }
        if (is(m, "org.hvd1.VM", "OpenConsole")) {
                int pipefd[2];

                /* a pipe, not a socket; or no fd at all but an index past the message's fds */
                if (strcmp(path, "/org/hvd1/vm/badfd") != 0)
                        return sd_bus_reply_method_return(m, "s", "no fd here");
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        return -errno;
                k = sd_bus_reply_method_return(m, "h", pipefd[0]);
                close(pipefd[0]);
                close(pipefd[1]);
                return k;
        }
        if (is(m, "org.hvd1.VM", "GetConsoleLog")) {
                static const uint8_t junk[] = "log\0with NUL\x1b[2J\xff\xfe";

                k = sd_bus_message_new_method_return(m, &r);
                if (k >= 0)
                        k = sd_bus_message_append_array(r, 'y', junk, sizeof(junk) - 1);
                return k < 0 ? k : sd_bus_send(NULL, r, NULL);
        }
        k = sd_bus_message_new_method_return(m, &r);
        if (k < 0)
                return k;
        if (is(m, "org.freedesktop.DBus.Properties", "GetAll"))
                k = strcmp(path, "/org/hvd1") == 0 ? append_manager_props(r) : append_vm_props(r, "evil\x1b[2J\x07");
        else if (is(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")) {
                /* a VM with odd properties, one with none, an object without org.hvd1.VM */
                k = sd_bus_message_open_container(r, 'a', "{oa{sa{sv}}}");
                if (k >= 0)
                        k = sd_bus_message_open_container(r, 'e', "oa{sa{sv}}");
                if (k >= 0)
                        k = sd_bus_message_append(r, "o", "/org/hvd1/vm/x");
                if (k >= 0)
                        k = sd_bus_message_open_container(r, 'a', "{sa{sv}}");
                if (k >= 0)
                        k = sd_bus_message_open_container(r, 'e', "sa{sv}");
                if (k >= 0)
                        k = sd_bus_message_append(r, "s", "org.hvd1.VM");
                if (k >= 0)
                        k = append_vm_props(r, "evil\x1b[2J\x07");
                if (k >= 0)
                        k = sd_bus_message_close_container(r);
                if (k >= 0)
                        k = sd_bus_message_append(r, "{sa{sv}}", "org.example.Other", 1, "Name", "s", "not a VM");
                if (k >= 0)
                        k = sd_bus_message_close_container(r);
                if (k >= 0)
                        k = sd_bus_message_close_container(r);
                if (k >= 0)
                        k = sd_bus_message_append(r, "{oa{sa{sv}}}", "/org/hvd1/vm/bare", 1, "org.hvd1.VM", 0);
                if (k >= 0)
                        k = sd_bus_message_append(r, "{oa{sa{sv}}}", "/org/hvd1/other", 1, "org.example.Other", 1, "Name",
                                                  "s", "other");
                if (k >= 0)
                        k = sd_bus_message_close_container(r);
        } else
                return 0; /* anything else: sd-bus answers UnknownMethod */
        return k < 0 ? k : sd_bus_send(NULL, r, NULL);
}

static int reply_wrong_signatures(sd_bus_message *m)
{
        if (is(m, NULL, "GetManagedObjects") || is(m, NULL, "ListVMs") || is(m, NULL, "GetAll"))
                return sd_bus_reply_method_return(m, "as", 2, "not", "dictionaries");
        if (is(m, NULL, "GetVM") || is(m, NULL, "DefineVM"))
                return sd_bus_reply_method_return(m, "s", "/not/an/object/path/type");
        if (is(m, NULL, "OpenConsole"))
                return sd_bus_reply_method_return(m, "u", 3);
        if (is(m, NULL, "GetConsoleLog"))
                return sd_bus_reply_method_return(m, "s", "a string, not bytes");
        return sd_bus_reply_method_return(m, "i", 42); /* Start and the like: an unasked value */
}

static int reply_no_object_manager(sd_bus_message *m)
{
        const char *path = sd_bus_message_get_path(m);

        if (is(m, "org.hvd1.Manager", "ListVMs"))
                return sd_bus_reply_method_return(m, "a(ssso)", 3, "gone", "", "shutoff", "/org/hvd1/vm/gone", "liar",
                                                  "not-a-uuid", "running", "/org/hvd1/vm/liar", "ctl\x1b[2J",
                                                  "", "\x07", "/org/hvd1/vm/ctl");
        if (is(m, "org.freedesktop.DBus.Properties", "GetAll")) {
                if (strcmp(path, "/org/hvd1/vm/gone") == 0)
                        return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "no such object");
                if (strcmp(path, "/org/hvd1/vm/liar") == 0)
                        return sd_bus_reply_method_return(m, "a{sv}", 2, "VCPUs", "s", "four", "MemoryMiB", "d", -1.5);
                return sd_bus_reply_method_return(m, "a{sv}", 2, "VCPUs", "u", UINT32_MAX, "MemoryMiB", "t", UINT64_MAX);
        }
        return 0; /* GetManagedObjects included: UnknownMethod */
}

static int reply_errors(sd_bus_message *m)
{
        static const char *const names[] = {
                "org.example.Error.Unheard", /* not in the contract */
                "org.hvd1.Error.Timeout",    /* hvd has no path to it yet (Shutdown is NotSupported) */
                "org.hvd1.Error.NoSuchThing", /* hvd's namespace, a name the contract lacks */
                "org.freedesktop.DBus.Error.NoReply",
        };
        _cleanup_free_ char *message = NULL;
        const char *name;

        if (!is(m, "org.hvd1.Manager", "GetVM"))
                return 0;
        if (sd_bus_message_read(m, "s", &name) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(name, strrchr(names[i], '.') + 1) == 0)
                        return sd_bus_reply_method_errorf(m, names[i], "asked for %s", names[i]);
        if (strcmp(name, "empty") == 0) /* no message: vmctl falls back to the name */
                return sd_bus_reply_method_errorf(m, "org.hvd1.Error.InvalidState", "%s", "");
        if (strcmp(name, "control") == 0)
                return sd_bus_reply_method_errorf(m, "org.hvd1.Error.Failed", "bad\x1b[2J\r\nthing\x07");
        if (strcmp(name, "huge") == 0)
                return sd_bus_reply_method_errorf(m, "org.hvd1.Error.InvalidConfig", "%s", huge);
        return sd_bus_reply_method_errorf(m, "org.hvd1.Error.Failed", "unknown test name");
}

/* The all-* modes' VMs: name, state, object path, and the error their calls get (NULL: success). */
struct fleet_vm {
        const char *name, *state, *path, *error, *message;
};

static const struct fleet_vm fleet_mixed[] = {
        { "web", "running", "/org/hvd1/vm/web", NULL, NULL },
        { "db", "running", "/org/hvd1/vm/db", "org.hvd1.Error.Timeout", "VM 'db' did not shut down in time" },
        { "evil\x1b[2J", "running", "/org/hvd1/vm/evil", "org.example.Error.Unheard", "bad\x1b[2J\r\nthing\x07" },
        { "frozen", "paused", "/org/hvd1/vm/frozen", NULL, NULL },
        { "new", "starting", "/org/hvd1/vm/new", NULL, NULL },
        { "off", "shutoff", "/org/hvd1/vm/off", NULL, NULL },
        { "dead", "crashed", "/org/hvd1/vm/dead", NULL, NULL },
        { "odd", "warp-drive", "/org/hvd1/vm/odd", "org.hvd1.Error.InvalidState", "VM 'odd' is warp-drive: cannot do that" },
        { "going", "shutting-down", "/org/hvd1/vm/going", NULL, NULL },
        { "boot", "resetting", "/org/hvd1/vm/boot", NULL, NULL },
};
static const struct fleet_vm fleet_timeout[] = {
        { "slow1", "running", "/org/hvd1/vm/slow1", "org.hvd1.Error.Timeout", "VM 'slow1' did not shut down in time" },
        { "slow2", "running", "/org/hvd1/vm/slow2", "org.hvd1.Error.Timeout", "VM 'slow2' did not shut down in time" },
};
static const struct fleet_vm fleet_idle[] = {
        { "b-off", "shutoff", "/org/hvd1/vm/b_2doff", NULL, NULL },
        { "a-off", "shutoff", "/org/hvd1/vm/a_2doff", NULL, NULL },
};
static const struct fleet_vm fleet_vanish[] = {
        { "one", "running", "/org/hvd1/vm/one", NULL, NULL },
        { "two", "running", "/org/hvd1/vm/two", NULL, NULL },
        { "three", "running", "/org/hvd1/vm/three", NULL, NULL },
};
static struct fleet_vm fleet_many[ALL_MANY_VMS];

static sd_bus_message *held[2 * ALL_MANY_VMS];
static size_t n_held;
static sd_event_source *hold_timer;

static void fleet_get(const struct fleet_vm **ret, size_t *ret_n)
{
        if (strcmp(mode, "all-mixed") == 0)
                *ret = fleet_mixed, *ret_n = ARRAY_SIZE(fleet_mixed);
        else if (strcmp(mode, "all-timeout") == 0)
                *ret = fleet_timeout, *ret_n = ARRAY_SIZE(fleet_timeout);
        else if (strcmp(mode, "all-idle") == 0)
                *ret = fleet_idle, *ret_n = ARRAY_SIZE(fleet_idle);
        else if (strcmp(mode, "all-vanish") == 0)
                *ret = fleet_vanish, *ret_n = ARRAY_SIZE(fleet_vanish);
        else
                *ret = fleet_many, *ret_n = ARRAY_SIZE(fleet_many);
}

static int fleet_answer(sd_bus_message *m)
{
        const struct fleet_vm *vms;
        size_t n;

        fleet_get(&vms, &n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(vms[i].path, sd_bus_message_get_path(m)) == 0)
                        return vms[i].error ? sd_bus_reply_method_errorf(m, vms[i].error, "%s", vms[i].message)
                                            : sd_bus_reply_method_return(m, NULL);
        return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "no such object");
}

static int on_hold_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        fprintf(stderr, "%s: %zu calls answered together\n", sd_bus_message_get_member(held[0]), n_held);
        while (n_held > 0) {
                sd_bus_message *m = held[--n_held];

                (void)fleet_answer(m);
                sd_bus_message_unref(m);
        }
        return 0;
}

static int reply_fleet(sd_bus_message *m)
{
        const struct fleet_vm *vms;
        size_t n;
        int r;

        if (is(m, "org.hvd1.Manager", "ListVMs")) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                fleet_get(&vms, &n);
                r = sd_bus_message_new_method_return(m, &reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(ssso)");
                for (size_t i = 0; r >= 0 && i < n; i++)
                        r = sd_bus_message_append(reply, "(ssso)", vms[i].name, "", vms[i].state, vms[i].path);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
        }
        if (!is(m, "org.hvd1.VM", "Shutdown") && !is(m, "org.hvd1.VM", "Stop"))
                return 0;
        if (strcmp(mode, "all-vanish") == 0) {
                sd_bus_close(sd_bus_message_get_bus(m));
                _exit(0);
        }
        if (n_held == ARRAY_SIZE(held))
                return sd_bus_reply_method_errorf(m, "org.hvd1.Error.LimitExceeded", "%zu calls held already", n_held);
        if (!hold_timer)
                r = sd_event_add_time_relative(event, &hold_timer, CLOCK_MONOTONIC, HOLD_USEC, 0, on_hold_timer, NULL);
        else
                r = sd_event_source_set_time_relative(hold_timer, HOLD_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(hold_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                return r;
        held[n_held++] = sd_bus_message_ref(m);
        return 1;
}

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        if (strcmp(mode, "vanish") == 0) {
                /* leave with the call unanswered; the bus tells the caller */
                sd_bus_close(sd_bus_message_get_bus(m));
                _exit(0);
        }
        if (strcmp(mode, "types") == 0)
                return reply_types(m);
        if (strcmp(mode, "wrong-signatures") == 0)
                return reply_wrong_signatures(m);
        if (strcmp(mode, "no-object-manager") == 0)
                return reply_no_object_manager(m);
        if (strncmp(mode, "all-", 4) == 0)
                return reply_fleet(m);
        return reply_errors(m);
}

int main(int argc, char **argv)
{
        static const char *const modes[] = { "types",     "wrong-signatures", "no-object-manager", "errors", "vanish",
                                              "all-mixed", "all-many",         "all-timeout",       "all-idle",
                                              "all-vanish" };
        static char many_names[ALL_MANY_VMS][16], many_paths[ALL_MANY_VMS][32];
        sd_bus *bus = NULL;
        sigset_t mask;
        int r = -EINVAL;

        for (size_t i = 0; argc == 2 && i < ARRAY_SIZE(modes); i++)
                if (strcmp(argv[1], modes[i]) == 0)
                        mode = modes[i];
        if (!mode) {
                fprintf(stderr, "usage: %s types|wrong-signatures|no-object-manager|errors|vanish|all-mixed|all-many|all-timeout|all-idle|all-vanish\n",
                        argv[0]);
                return 2;
        }
        for (size_t i = 0; i < ALL_MANY_VMS; i++) {
                snprintf(many_names[i], sizeof(many_names[i]), "vm%02zu", i);
                snprintf(many_paths[i], sizeof(many_paths[i]), "/org/hvd1/vm/vm%02zu", i);
                fleet_many[i] = (struct fleet_vm){ many_names[i], "running", many_paths[i], NULL, NULL };
        }
        huge = malloc(HUGE_STRING_SIZE + 1);
        if (!huge)
                return 1;
        memset(huge, 'h', HUGE_STRING_SIZE);
        huge[HUGE_STRING_SIZE] = '\0';

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
        /* one handler for /org/hvd1 and everything below: it answers before sd-bus's own
         * Properties and ObjectManager would */
        if (r >= 0)
                r = sd_bus_add_fallback(bus, NULL, "/org/hvd1", on_call, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.hvd1", 0);
        if (r < 0) {
                fprintf(stderr, "hostile-server: %s\n", strerror(-r));
                return 1;
        }
        printf("ready\n"); /* for the test: calling anything would make "vanish" leave */
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_source_unref(hold_timer);
        sd_event_unref(event);
        free(huge);
        return r < 0 ? 1 : 0;
}
