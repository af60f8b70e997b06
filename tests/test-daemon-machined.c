/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's registration of VM processes with systemd-machined (daemon/machined.c).
 * Everywhere: machine names and arguments are checked before the bus is touched; "machined is
 * not there" is told apart from failures, fast, against real private dbus-daemons (one without
 * org.freedesktop.machine1, one with the activation file systemd ships but no systemd to start
 * machined); the CreateMachine call is read off the wire by a bus monitor. Where systemd is
 * PID 1, machined runs and we are root: a real sleeping child is registered, machinectl and
 * systemctl show the machine and its scope, and the machine goes away when the child exits.
 * No machined is faked. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>

#include "hv-test.h"
#include "machined.h"
#include "macros.h"

#define UUID "3f1c2a9e-8b7d-4e21-9a6b-0c5d4e3f2a1b"

/* Two private buses, started by main() before the suite runs. */
static struct private_bus {
        pid_t pid;
        char dir[64];
        char address[256];
} plain_bus, activatable_bus;
static pid_t main_pid;

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "cannot write %s: %m\n", path);
                exit(99);
        }
}

/* A dbus-daemon of our own, as tests/lib-dbus.sh starts one; with_machine1 gives it the
 * activation file systemd installs for machined (Exec=/bin/false: only systemd may start it). */
static void bus_start(struct private_bus *b, bool with_machine1)
{
        char path[256], log[256], conf[1024], servicedir[300] = "";
        int pipefd[2];
        FILE *f;

        snprintf(b->dir, sizeof(b->dir), "/tmp/hvd-test-machined.XXXXXX");
        if (!mkdtemp(b->dir)) {
                fprintf(stderr, "mkdtemp: %m\n");
                exit(99);
        }
        if (with_machine1) {
                snprintf(path, sizeof(path), "%s/services", b->dir);
                mkdir(path, 0755);
                snprintf(servicedir, sizeof(servicedir), "<servicedir>%s</servicedir>", path);
                snprintf(path, sizeof(path), "%s/services/org.freedesktop.machine1.service", b->dir);
                write_file(path, "[D-BUS Service]\nName=org.freedesktop.machine1\nExec=/bin/false\n"
                                 "SystemdService=dbus-org.freedesktop.machine1.service\n");
        }
        snprintf(conf, sizeof(conf),
                 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                 "<busconfig><type>session</type><listen>unix:dir=%s</listen><auth>EXTERNAL</auth>%s\n"
                 "<policy context=\"default\"><allow user=\"*\"/><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                 "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>\n"
                 "</busconfig>\n",
                 b->dir, servicedir);
        snprintf(path, sizeof(path), "%s/bus.conf", b->dir);
        write_file(path, conf);
        snprintf(log, sizeof(log), "%s/bus.log", b->dir);

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                fprintf(stderr, "pipe2: %m\n");
                exit(99);
        }
        b->pid = fork();
        if (b->pid < 0) {
                fprintf(stderr, "fork: %m\n");
                exit(99);
        }
        if (b->pid == 0) {
                char arg[300];
                int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                dup2(pipefd[1], STDOUT_FILENO);
                if (logfd >= 0)
                        dup2(logfd, STDERR_FILENO); /* its complaints (fd limits) are not ours */
                snprintf(arg, sizeof(arg), "--config-file=%s", path);
                execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--print-address=1", (char *)NULL);
                fprintf(stderr, "dbus-daemon: %m\n");
                _exit(99);
        }
        close(pipefd[1]);
        f = fdopen(pipefd[0], "re");
        if (!f || !fgets(b->address, sizeof(b->address), f)) {
                fprintf(stderr, "dbus-daemon did not start (deps.sh installs dbus); see %s\n", log);
                exit(99);
        }
        fclose(f);
        b->address[strcspn(b->address, "\n")] = '\0';
}

static void bus_stop(struct private_bus *b)
{
        char cmd[128];

        if (b->pid > 0) {
                kill(b->pid, SIGTERM);
                waitpid(b->pid, NULL, 0);
                b->pid = 0;
        }
        if (b->dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
                (void)!system(cmd);
                b->dir[0] = '\0';
        }
}

/* On every exit of main's process; Check's forked test processes exit too, and leave the buses
 * alone. */
static void buses_stop(void)
{
        if (getpid() != main_pid)
                return;
        bus_stop(&plain_bus);
        bus_stop(&activatable_bus);
}

static sd_bus *bus_connect(const struct private_bus *b)
{
        sd_bus *bus = NULL;

        ck_assert_int_ge(sd_bus_new(&bus), 0);
        ck_assert_int_ge(sd_bus_set_address(bus, b->address), 0);
        ck_assert_int_ge(sd_bus_set_bus_client(bus, 1), 0);
        ck_assert_int_ge(sd_bus_start(bus), 0);
        return bus;
}

START_TEST(test_machine_names)
{
        static const char *const valid[] = {
                "demo", "a", "A1", "web-1", "a.b", "db.eu-west.example",
                "a234567890123456789012345678901234567890123456789012345678901234", /* 64 */
        };
        static const char *const invalid[] = {
                "", "a_b", "-a", "a-", "a..b", ".a", "a.", "a.-b", "a-.b", "a b", "a/b", "ä", ".host",
                "a2345678901234567890123456789012345678901234567890123456789012345", /* 65 */
        };

        for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
                ck_assert_msg(machined_name_is_valid(valid[i]), "'%s' should be valid", valid[i]);
        for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
                ck_assert_msg(!machined_name_is_valid(invalid[i]), "'%s' should be invalid", invalid[i]);
        ck_assert(!machined_name_is_valid(NULL));
}
END_TEST

/* Bad arguments are the caller's bug: -EINVAL even where there is no machined to ask. */
START_TEST(test_bad_arguments)
{
        char msg[256];

        ck_assert_int_eq(machined_register(NULL, "a_b", UUID, 1234, "", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_msg(strstr(msg, "'a_b' is not a valid machine name"), "%s", msg);
        ck_assert_int_eq(machined_register(NULL, "demo", "not-a-uuid", 1234, "", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_msg(strstr(msg, "not a UUID"), "%s", msg);
        ck_assert_int_eq(machined_register(NULL, "demo", "3f1c2a9e8b7d4e219a6b0c5d4e3f2a1b", 1234, "", 0, msg,
                                           sizeof(msg)),
                         -EINVAL); /* 32 hex digits: an id, not the UUID hvd keeps */
        ck_assert_int_eq(machined_register(NULL, "demo", NULL, 1234, "", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_int_eq(machined_register(NULL, "demo", UUID, 0, "", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_msg(strstr(msg, "not a leader PID"), "%s", msg);
        ck_assert_int_eq(machined_register(NULL, "demo", UUID, 1, "", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_int_eq(machined_register(NULL, "demo", UUID, 1234, "relative/dir", 0, msg, sizeof(msg)), -EINVAL);
        ck_assert_msg(strstr(msg, "not absolute"), "%s", msg);
        ck_assert_int_eq(machined_unregister(NULL, "a..b", 0, msg, sizeof(msg)), -EINVAL);
        /* a short buffer is truncated and terminated; none at all is fine */
        ck_assert_int_eq(machined_register(NULL, "a_b", UUID, 1234, "", 0, msg, 8), -EINVAL);
        ck_assert_str_eq(msg, "'a_b' i");
        ck_assert_int_eq(machined_register(NULL, "a_b", UUID, 1234, "", 0, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_no_bus)
{
        char msg[256];

        ck_assert_int_eq(machined_register(NULL, "demo", UUID, 1234, NULL, 0, msg, sizeof(msg)), -ENOENT);
        ck_assert_msg(strstr(msg, "no system bus") && strstr(msg, "org.freedesktop.machine1"), "%s", msg);
        ck_assert_int_eq(machined_unregister(NULL, "demo", 0, msg, sizeof(msg)), -ENOENT);
        ck_assert_msg(strstr(msg, "org.freedesktop.machine1"), "%s", msg);
}
END_TEST

/* A bus where nobody owns org.freedesktop.machine1 and nothing can activate it. */
START_TEST(test_bus_without_machined)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = bus_connect(&plain_bus);
        char msg[512];
        uint64_t t0 = now_usec();

        ck_assert_int_eq(machined_register(bus, "demo", UUID, getpid(), "", 0, msg, sizeof(msg)), -ENOENT);
        ck_assert_msg(now_usec() - t0 < 1000000, "took %llu us", (unsigned long long)(now_usec() - t0));
        ck_assert_msg(strstr(msg, "(org.freedesktop.machine1) is not available") &&
                              strstr(msg, "org.freedesktop.DBus.Error.ServiceUnknown"),
                      "%s", msg);

        t0 = now_usec();
        ck_assert_int_eq(machined_unregister(bus, "demo", getpid(), msg, sizeof(msg)), -ENOENT);
        ck_assert_msg(now_usec() - t0 < 1000000, "took %llu us", (unsigned long long)(now_usec() - t0));
        ck_assert_msg(strstr(msg, "org.freedesktop.machine1"), "%s", msg);
        /* the connection is still usable: nothing was left pending on it */
        ck_assert_int_ge(sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetId", NULL, NULL, ""),
                         0);
}
END_TEST

/* A connection that sees every call to machine1.Manager on the bus (BecomeMonitor), as busctl
 * monitor does. */
static sd_bus *monitor_connect(const struct private_bus *b)
{
        sd_bus *mon = NULL;

        ck_assert_int_ge(sd_bus_new(&mon), 0);
        ck_assert_int_ge(sd_bus_set_address(mon, b->address), 0);
        ck_assert_int_ge(sd_bus_set_monitor(mon, 1), 0);
        ck_assert_int_ge(sd_bus_set_bus_client(mon, 1), 0);
        ck_assert_int_ge(sd_bus_start(mon), 0);
        ck_assert_int_ge(sd_bus_call_method(mon, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus.Monitoring", "BecomeMonitor", NULL, NULL, "asu", 1,
                                            "type='method_call',interface='org.freedesktop.machine1.Manager'", 0),
                         0);
        return mon;
}

/* The next call to member that the monitor saw (waiting at most 2 s). */
static sd_bus_message *monitor_next(sd_bus *mon, const char *member)
{
        uint64_t end = now_usec() + 2000000;

        while (now_usec() < end) {
                sd_bus_message *m = NULL;
                int r = sd_bus_process(mon, &m);

                ck_assert_int_ge(r, 0);
                if (m && sd_bus_message_is_method_call(m, "org.freedesktop.machine1.Manager", member))
                        return m;
                sd_bus_message_unref(m);
                if (r == 0)
                        (void)sd_bus_wait(mon, 100000);
        }
        ck_abort_msg("no %s call on the bus", member);
        return NULL;
}

/* What hvd asks of machined, read off the wire (the bus answers ServiceUnknown): CreateMachine's
 * signature as machined declares it, the VM's identity, and the scope's properties. */
START_TEST(test_create_machine_call)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *mon = monitor_connect(&plain_bus);
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = bus_connect(&plain_bus);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *get = NULL;
        const char *name, *service, *class, *root, *prop, *str;
        unsigned seen = 0;
        const void *id;
        sd_id128_t want_id;
        uint32_t leader;
        size_t n;
        char msg[512];

        ck_assert_int_eq(machined_register(bus, "web-1.eu", UUID, 4242, NULL, 40 * UINT64_C(1000000), msg,
                                           sizeof(msg)),
                         -ENOENT);
        m = monitor_next(mon, "CreateMachine");
        ck_assert_str_eq(sd_bus_message_get_signature(m, true), "sayssusa(sv)");
        ck_assert_str_eq(sd_bus_message_get_destination(m), "org.freedesktop.machine1");
        ck_assert_str_eq(sd_bus_message_get_path(m), "/org/freedesktop/machine1");
        ck_assert_int_ge(sd_bus_message_read(m, "s", &name), 0);
        ck_assert_str_eq(name, "web-1.eu");
        ck_assert_int_ge(sd_bus_message_read_array(m, 'y', &id, &n), 0);
        ck_assert_int_eq(n, 16);
        ck_assert_int_ge(sd_id128_from_string(UUID, &want_id), 0);
        ck_assert(memcmp(id, want_id.bytes, 16) == 0);
        ck_assert_int_ge(sd_bus_message_read(m, "ssus", &service, &class, &leader, &root), 0);
        ck_assert_str_eq(service, "hvd");
        ck_assert_str_eq(class, "vm");
        ck_assert_int_eq(leader, 4242);
        ck_assert_str_eq(root, "");

        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "(sv)"), 0);
        while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
                ck_assert_int_ge(sd_bus_message_read(m, "s", &prop), 0);
                if (strcmp(prop, "Description") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "s", &str), 0);
                        ck_assert_str_eq(str, "hvd virtual machine web-1.eu");
                        seen |= 1;
                } else if (strcmp(prop, "After") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "as", 1, &str), 0);
                        ck_assert_str_eq(str, "hvd.service");
                        seen |= 2;
                } else if (strcmp(prop, "CollectMode") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "s", &str), 0);
                        ck_assert_str_eq(str, "inactive-or-failed");
                        seen |= 4;
                } else if (strcmp(prop, "TimeoutStopUSec") == 0) {
                        uint64_t t;

                        ck_assert_int_ge(sd_bus_message_read(m, "v", "t", &t), 0);
                        ck_assert_uint_eq(t, 40 * UINT64_C(1000000));
                        seen |= 8;
                } else if (strcmp(prop, "DevicePolicy") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "s", &str), 0);
                        ck_assert_str_eq(str, "closed");
                        seen |= 16;
                } else if (strcmp(prop, "DeviceAllow") == 0) {
                        const char *dev, *mode;

                        ck_assert_int_ge(sd_bus_message_read(m, "v", "a(ss)", 1, &dev, &mode), 0);
                        ck_assert_str_eq(dev, "/dev/kvm");
                        ck_assert_str_eq(mode, "rw");
                        seen |= 32;
                } else {
                        ck_abort_msg("unexpected scope property %s", prop);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }
        ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        ck_assert_uint_eq(seen, 63);
        ck_assert_int_eq(sd_bus_message_at_end(m, true), 1);

        /* without a stop timeout the scope keeps systemd's default */
        ck_assert_int_eq(machined_register(bus, "web-1.eu", UUID, 4242, "", 0, msg, sizeof(msg)), -ENOENT);
        sd_bus_message_unref(m);
        m = monitor_next(mon, "CreateMachine");
        ck_assert_int_ge(sd_bus_message_skip(m, "sayssus"), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "(sv)"), 0);
        while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
                ck_assert_int_ge(sd_bus_message_read(m, "s", &prop), 0);
                ck_assert_str_ne(prop, "TimeoutStopUSec");
                ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }

        /* unregistering first asks who leads the machine */
        ck_assert_int_eq(machined_unregister(bus, "web-1.eu", 4242, msg, sizeof(msg)), -ENOENT);
        get = monitor_next(mon, "GetMachine");
        ck_assert_int_ge(sd_bus_message_read(get, "s", &name), 0);
        ck_assert_str_eq(name, "web-1.eu");
}
END_TEST

/* systemd's activation file for machined is installed, systemd is not there to start it: the
 * bus runs Exec=/bin/false. That is "not there" unless systemd is PID 1. */
START_TEST(test_activation_without_systemd)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = bus_connect(&activatable_bus);
        char msg[512];
        uint64_t t0 = now_usec();
        int r;

        r = machined_register(bus, "demo", UUID, getpid(), "", 0, msg, sizeof(msg));
        ck_assert_msg(now_usec() - t0 < 1000000, "took %llu us", (unsigned long long)(now_usec() - t0));
        ck_assert_msg(strstr(msg, "org.freedesktop.DBus.Error.Spawn."), "%s", msg);
        if (sd_booted() > 0) {
                ck_assert_msg(r < 0 && r != -ENOENT, "r=%d: %s", r, msg);
        } else {
                ck_assert_int_eq(r, -ENOENT);
                ck_assert_msg(strstr(msg, "(org.freedesktop.machine1) is not available"), "%s", msg);
        }
}
END_TEST

/* --- with the real systemd-machined --- */

static pid_t sleeper(void)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static void kill_and_reap(pid_t pid)
{
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

/* The output of a shell command (at most 4 KiB, static). */
static const char *run(const char *fmt, ...)
{
        static char out[4096];
        char cmd[512];
        va_list ap;
        size_t n;
        FILE *p;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        p = popen(cmd, "re");
        ck_assert_ptr_nonnull(p);
        n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        pclose(p);
        return out;
}

static bool machine_listed(const char *name)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "machinectl show '%s' >/dev/null 2>&1", name);
        return system(cmd) == 0;
}

/* machined forgets a machine by itself once its scope ends. */
static void wait_machine_gone(const char *name)
{
        for (int i = 0; i < 500 && machine_listed(name); i++)
                usleep(20000);
        ck_assert_msg(!machine_listed(name), "machine %s still listed 10 s after its leader exited", name);
}

static sd_bus *system_bus(void)
{
        sd_bus *bus = NULL;

        ck_assert_int_ge(sd_bus_open_system(&bus), 0);
        return bus;
}

START_TEST(test_register_real)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = system_bus();
        char name[64], msg[512], want[128];
        pid_t leader = sleeper(), other = sleeper();
        const char *out;

        snprintf(name, sizeof(name), "hvd-test-%d", (int)getpid());
        ck_assert_msg(machined_register(bus, name, UUID, leader, "", 40 * UINT64_C(1000000), msg, sizeof(msg)) == 0,
                      "%s", msg);

        out = run("machinectl show '%s' -p Class -p Service -p Leader -p Unit 2>&1", name);
        ck_assert_msg(strstr(out, "Class=vm\n") && strstr(out, "Service=hvd\n"), "%s", out);
        snprintf(want, sizeof(want), "Leader=%d\n", (int)leader);
        ck_assert_msg(strstr(out, want), "%s", out);
        snprintf(want, sizeof(want), "Unit=machine-%s.scope\n", name);
        ck_assert_msg(strstr(out, want), "%s", out);
        out = run("machinectl list --no-legend 2>&1");
        ck_assert_msg(strstr(out, name) && strstr(out, " vm "), "%s", out);
        out = run("systemctl show 'machine-%s.scope' -p Description -p After -p CollectMode -p TimeoutStopUSec "
                  "-p DevicePolicy -p DeviceAllow 2>&1",
                  name);
        snprintf(want, sizeof(want), "Description=hvd virtual machine %s\n", name);
        ck_assert_msg(strstr(out, want), "%s", out);
        ck_assert_msg(strstr(out, "hvd.service"), "After= lacks hvd.service: %s", out);
        ck_assert_msg(strstr(out, "CollectMode=inactive-or-failed\n"), "%s", out);
        ck_assert_msg(strstr(out, "TimeoutStopUSec=40s\n"), "%s", out);
        ck_assert_msg(strstr(out, "DevicePolicy=closed\n") && strstr(out, "/dev/kvm rw"), "%s", out);

        /* hvd re-attaching after a restart registers again: nothing changes */
        ck_assert_msg(machined_register(bus, name, UUID, leader, "", 0, msg, sizeof(msg)) == 1, "%s", msg);
        /* a second live process cannot take the name */
        ck_assert_int_eq(machined_register(bus, name, UUID, other, "", 0, msg, sizeof(msg)), -EEXIST);
        snprintf(want, sizeof(want), "led by PID %d", (int)leader);
        ck_assert_msg(strstr(msg, want), "%s", msg);
        /* nor does unregistering on behalf of another leader touch it */
        ck_assert_int_eq(machined_unregister(bus, name, other, msg, sizeof(msg)), 0);
        ck_assert(machine_listed(name));

        /* unregistering never kills */
        ck_assert_msg(machined_unregister(bus, name, leader, msg, sizeof(msg)) == 0, "%s", msg);
        usleep(200000);
        ck_assert_int_eq(waitpid(leader, NULL, WNOHANG), 0);

        kill_and_reap(leader);
        kill_and_reap(other);
        wait_machine_gone(name);
        out = run("systemctl show 'machine-%s.scope' -p LoadState 2>&1", name);
        ck_assert_msg(strstr(out, "LoadState=not-found\n"), "the scope was not collected: %s", out);
        ck_assert_int_eq(machined_unregister(bus, name, 0, msg, sizeof(msg)), 0);
}
END_TEST

/* A VM stopped and started at once: its new hvd-vm gets the name though systemd may not yet
 * have noticed the old scope empty. */
START_TEST(test_register_after_exit)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = system_bus();
        char name[64], msg[512], want[64];
        pid_t first = sleeper(), second = sleeper();

        snprintf(name, sizeof(name), "hvd-test-%d-again", (int)getpid());
        ck_assert_msg(machined_register(bus, name, UUID, first, "", 0, msg, sizeof(msg)) == 0, "%s", msg);
        kill_and_reap(first);
        ck_assert_msg(machined_register(bus, name, UUID, second, "", 0, msg, sizeof(msg)) == 0, "%s", msg);
        snprintf(want, sizeof(want), "Leader=%d\n", (int)second);
        ck_assert_msg(strstr(run("machinectl show '%s' -p Leader 2>&1", name), want), "not led by %d", (int)second);
        kill_and_reap(second);
        wait_machine_gone(name);
}
END_TEST

/* NULL when the real machined can be used here, else why not. */
static const char *machined_missing(void)
{
        static char why[256];
        char comm[64] = "?";
        FILE *f;

        if (sd_booted() <= 0) {
                f = fopen("/proc/1/comm", "re");
                if (f) {
                        if (fgets(comm, sizeof(comm), f))
                                comm[strcspn(comm, "\n")] = '\0';
                        fclose(f);
                }
                snprintf(why, sizeof(why), "need systemd as PID 1 and systemd-machined: PID 1 here is '%s'", comm);
                return why;
        }
        if (geteuid() != 0)
                return "need root to register machines with systemd-machined";
        if (system("command -v machinectl >/dev/null 2>&1") != 0)
                return "need machinectl (systemd-container), which is not installed";
        if (system("busctl status org.freedesktop.machine1 >/dev/null 2>&1") != 0)
                return "need systemd-machined: `busctl status org.freedesktop.machine1` fails";
        return NULL;
}

int main(void)
{
        Suite *s = suite_create("daemon-machined");
        TCase *tc = tcase_create("no-machined");
        const char *why;

        tcase_add_test(tc, test_machine_names);
        tcase_add_test(tc, test_bad_arguments);
        tcase_add_test(tc, test_no_bus);
        tcase_add_test(tc, test_bus_without_machined);
        tcase_add_test(tc, test_create_machine_call);
        tcase_add_test(tc, test_activation_without_systemd);
        suite_add_tcase(s, tc);

        tc = hv_test_tcase_needing("machined", "machined");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_register_real);
        tcase_add_test(tc, test_register_after_exit);
        suite_add_tcase(s, tc);
        why = machined_missing();
        if (why)
                hv_test_need_missing("machined", why);

        main_pid = getpid();
        atexit(buses_stop);
        bus_start(&plain_bus, false);
        bus_start(&activatable_bus, true);
        return hv_test_run_suite(s);
}
