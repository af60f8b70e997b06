/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>

#include "machined.h"
#include "macros.h"

#define MACHINE1 "org.freedesktop.machine1"
#define MACHINE1_PATH "/org/freedesktop/machine1"
#define MACHINE1_MANAGER MACHINE1 ".Manager"
#define MACHINE1_MACHINE MACHINE1 ".Machine"
#define MACHINE_NAME_MAX 64 /* machined's limit: a Linux host name */
#define SPAWN_ERROR "org.freedesktop.DBus.Error.Spawn."

/* How long to wait between two CreateMachine calls while a stale machine of the same name is
 * still registered. */
#define RETRY_USEC (20 * UINT64_C(1000))

/* The devices the scope allows beyond DevicePolicy=closed's pseudo devices: what hvd.service
 * allows. Device access is a cgroup property, so hvd-vm would lose hvd.service's policy when
 * machined moves it into its own scope without this. */
static const char *const scope_devices[][2] = {
        { "/dev/kvm", "rw" },
};

_printf_(3, 4) static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
        va_list ap;

        if (!msg || msglen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* What is left of the budget; 0 once it is spent (sd_bus_call() would take 0 as "its default",
 * 25 s, so callers stop instead). */
static uint64_t remaining_usec(uint64_t deadline)
{
        uint64_t n = now_usec();

        return n < deadline ? deadline - n : 0;
}

static bool ldh_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool machined_name_is_valid(const char *name)
{
        bool label_start = true, hyphen = false;

        if (!name || strlen(name) > MACHINE_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++) {
                if (*p == '.') {
                        if (label_start || hyphen) /* an empty label, or one ending in '-' */
                                return false;
                        label_start = true;
                        continue;
                }
                if (!ldh_char(*p) || (label_start && *p == '-'))
                        return false;
                label_start = false;
                hyphen = *p == '-';
        }
        return !label_start && !hyphen; /* empty, a trailing dot, or a trailing '-' */
}

/* The errors that say machined is not there, as opposed to machined failing. */
static bool error_means_absent(const sd_bus_error *e)
{
        static const char *const absent[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN,   /* dbus-daemon: neither owned nor activatable */
                SD_BUS_ERROR_NAME_HAS_NO_OWNER, /* dbus-broker, also when activation failed */
                "org.freedesktop.systemd1.NoSuchUnit", /* systemd activates: machined not installed */
                "org.freedesktop.systemd1.UnitMasked", /* ... or masked by the administrator */
        };

        if (!sd_bus_error_is_set(e))
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
                if (sd_bus_error_has_name(e, absent[i]))
                        return true;
        /* systemd ships machined's activation file (Exec=/bin/false: only systemd may start it);
         * a bus that is not systemd's runs that instead. Where systemd is PID 1 it is a real
         * failure. */
        return strncmp(e->name, SPAWN_ERROR, strlen(SPAWN_ERROR)) == 0 && sd_booted() <= 0;
}

/* Turns a failed call into the return value and msg. -ENOENT is kept for "machined is not
 * there": a real error that maps to it is returned as -EIO. */
static int call_failed(int r, const sd_bus_error *e, const char *what, char *msg, size_t msglen)
{
        if (error_means_absent(e)) {
                set_msg(msg, msglen, "systemd-machined (" MACHINE1 ") is not available: %s: %s", e->name,
                        e->message ?: "no message");
                return -ENOENT;
        }
        if (r == -ETIMEDOUT) {
                set_msg(msg, msglen, "%s: no answer from systemd-machined (" MACHINE1 ") within %llu ms", what,
                        (unsigned long long)(MACHINED_TIMEOUT_USEC / 1000));
                return r;
        }
        if (sd_bus_error_is_set(e))
                set_msg(msg, msglen, "%s: %s: %s", what, e->name, e->message ?: "no message");
        else
                set_msg(msg, msglen, "%s: %s", what, strerror(-r));
        return r == -ENOENT || r >= 0 ? -EIO : r;
}

static int call(sd_bus *bus, sd_bus_message *m, uint64_t deadline, sd_bus_error *error, sd_bus_message **ret_reply)
{
        uint64_t usec = remaining_usec(deadline);

        if (usec == 0)
                return -ETIMEDOUT;
        return sd_bus_call(bus, m, usec, error, ret_reply);
}

static int append_properties(sd_bus_message *m, const char *name, uint64_t stop_timeout_usec)
{
        char description[128];
        int r;

        /* machined sets Slice, Description, Delegate, CollectMode, AddRef and TasksMax itself;
         * later properties win. */
        snprintf(description, sizeof(description), "hvd virtual machine %s", name);
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "Description", "s", description);
        if (r < 0)
                return r;
        /* Stopped before hvd at shutdown (the reverse of After=), so hvd sees its VMs go. Never
         * PartOf= or BindsTo=: stopping hvd leaves VMs running. */
        r = sd_bus_message_append(m, "(sv)", "After", "as", 1, "hvd.service");
        if (r < 0)
                return r;
        /* A failed scope (a stop that ran into the timeout) that lingered would keep the VM's
         * name and refuse its next start; machined says the same since systemd 236. */
        r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r < 0)
                return r;
        if (stop_timeout_usec > 0) {
                r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", stop_timeout_usec);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", "closed");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", "DeviceAllow");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "a(ss)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(scope_devices); i++) {
                r = sd_bus_message_append(m, "(ss)", scope_devices[i][0], scope_devices[i][1]);
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < 3; i++) { /* array, variant, struct */
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* CreateMachine(s name, ay id, s service, s class, u leader, s root_directory, a(sv) scope
 * properties) -> o. CreateMachineWithNetwork adds host-side interface indexes; hvd has none. */
static int create_machine(sd_bus *bus, uint64_t deadline, const char *name, sd_id128_t id, pid_t leader,
                          const char *root_directory, uint64_t stop_timeout_usec, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, MACHINE1, MACHINE1_PATH, MACHINE1_MANAGER, "CreateMachine");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', id.bytes, sizeof(id.bytes));
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ssus", "hvd", "vm", (uint32_t)leader, root_directory ?: "");
        if (r < 0)
                return r;
        r = append_properties(m, name, stop_timeout_usec);
        if (r < 0)
                return r;
        return call(bus, m, deadline, error, &reply);
}

/* The leader of machine name: -ENXIO when machined has no such machine. */
static int machine_leader(sd_bus *bus, uint64_t deadline, const char *name, pid_t *ret_leader, char *msg,
                          size_t msglen)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *get = NULL, *object = NULL, *prop = NULL, *value = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char what[128];
        const char *path;
        uint32_t leader;
        int r;

        snprintf(what, sizeof(what), "looking up machine '%s' in systemd-machined", name);
        r = sd_bus_message_new_method_call(bus, &get, MACHINE1, MACHINE1_PATH, MACHINE1_MANAGER, "GetMachine");
        if (r >= 0)
                r = sd_bus_message_append(get, "s", name);
        if (r >= 0)
                r = call(bus, get, deadline, &error, &object);
        if (sd_bus_error_has_name(&error, MACHINE1 ".NoSuchMachine"))
                return -ENXIO;
        if (r >= 0)
                r = sd_bus_message_read(object, "o", &path);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &prop, MACHINE1, path, "org.freedesktop.DBus.Properties",
                                                   "Get");
        if (r >= 0)
                r = sd_bus_message_append(prop, "ss", MACHINE1_MACHINE, "Leader");
        if (r >= 0)
                r = call(bus, prop, deadline, &error, &value);
        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT)) /* gone between the two calls */
                return -ENXIO;
        if (r >= 0)
                r = sd_bus_message_read(value, "v", "u", &leader);
        if (r < 0)
                return call_failed(r, &error, what, msg, msglen);
        *ret_leader = (pid_t)leader;
        return 0;
}

static bool process_exists(pid_t pid)
{
        return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static int check_name(const char *name, char *msg, size_t msglen)
{
        if (machined_name_is_valid(name))
                return 0;
        set_msg(msg, msglen,
                "'%.64s' is not a valid machine name for systemd-machined (a host name: letters, digits, '-' and "
                "single dots, at most %d characters)",
                name ?: "", MACHINE_NAME_MAX);
        return -EINVAL;
}

static int no_bus(char *msg, size_t msglen)
{
        set_msg(msg, msglen, "no system bus, so no systemd-machined (" MACHINE1 ")");
        return -ENOENT;
}

int machined_register(sd_bus *system_bus, const char *name, const char *uuid, pid_t leader,
                      const char *root_directory, uint64_t stop_timeout_usec, char *msg, size_t msglen)
{
        uint64_t deadline;
        sd_id128_t id;
        char what[128];
        int r;

        r = check_name(name, msg, msglen);
        if (r < 0)
                return r;
        if (!uuid || strlen(uuid) != 36 || sd_id128_from_string(uuid, &id) < 0) {
                set_msg(msg, msglen, "machine '%s': '%.40s' is not a UUID", name, uuid ?: "");
                return -EINVAL;
        }
        if (leader <= 1) {
                /* 0 would make machined take the caller (hvd) as the leader */
                set_msg(msg, msglen, "machine '%s': %d is not a leader PID", name, (int)leader);
                return -EINVAL;
        }
        if (root_directory && root_directory[0] && root_directory[0] != '/') {
                set_msg(msg, msglen, "machine '%s': root directory '%s' is not absolute", name, root_directory);
                return -EINVAL;
        }
        if (!system_bus)
                return no_bus(msg, msglen);

        snprintf(what, sizeof(what), "registering machine '%s' (PID %d) with systemd-machined", name, (int)leader);
        deadline = now_usec() + MACHINED_TIMEOUT_USEC;
        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                pid_t other;

                r = create_machine(system_bus, deadline, name, id, leader, root_directory, stop_timeout_usec,
                                   &error);
                if (r >= 0) {
                        set_msg(msg, msglen, "machine '%s' (PID %d) registered with systemd-machined", name,
                                (int)leader);
                        return 0;
                }
                if (!sd_bus_error_has_name(&error, MACHINE1 ".MachineExists"))
                        return call_failed(r, &error, what, msg, msglen);

                r = machine_leader(system_bus, deadline, name, &other, msg, msglen);
                if (r == -ENXIO) /* gone meanwhile */
                        continue;
                if (r < 0)
                        return r;
                if (other == leader) {
                        set_msg(msg, msglen, "machine '%s' (PID %d) was registered with systemd-machined already",
                                name, (int)leader);
                        return 1;
                }
                if (process_exists(other)) {
                        set_msg(msg, msglen, "%s: machine '%s' exists already, led by PID %d", what, name, (int)other);
                        return -EEXIST;
                }
                /* The VM's previous hvd-vm has exited and systemd has not yet seen its scope empty:
                 * machined forgets the machine in a moment. */
                if (remaining_usec(deadline) <= RETRY_USEC) {
                        set_msg(msg, msglen, "%s: machine '%s' of exited PID %d is still registered after %llu ms",
                                what, name, (int)other, (unsigned long long)(MACHINED_TIMEOUT_USEC / 1000));
                        return -ETIMEDOUT;
                }
                (void)nanosleep(&(struct timespec){ .tv_nsec = RETRY_USEC * 1000 }, NULL);
        }
}

int machined_unregister(sd_bus *system_bus, const char *name, pid_t leader, char *msg, size_t msglen)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t deadline;
        char what[128];
        pid_t current;
        int r;

        r = check_name(name, msg, msglen);
        if (r < 0)
                return r;
        if (!system_bus)
                return no_bus(msg, msglen);

        deadline = now_usec() + MACHINED_TIMEOUT_USEC;
        r = machine_leader(system_bus, deadline, name, &current, msg, msglen);
        if (r == -ENXIO) {
                set_msg(msg, msglen, "machine '%s' is not registered with systemd-machined", name);
                return 0;
        }
        if (r < 0)
                return r;
        if (leader > 0 && current != leader) {
                set_msg(msg, msglen, "machine '%s' is led by PID %d, not %d: left registered", name, (int)current,
                        (int)leader);
                return 0;
        }

        snprintf(what, sizeof(what), "unregistering machine '%s' from systemd-machined", name);
        r = sd_bus_message_new_method_call(system_bus, &m, MACHINE1, MACHINE1_PATH, MACHINE1_MANAGER,
                                           "UnregisterMachine");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = call(system_bus, m, deadline, &error, &reply);
        if (r < 0 && !sd_bus_error_has_name(&error, MACHINE1 ".NoSuchMachine"))
                return call_failed(r, &error, what, msg, msglen);
        set_msg(msg, msglen, "machine '%s' unregistered from systemd-machined", name);
        return 0;
}
