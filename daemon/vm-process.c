/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "macros.h"
#include "vm-control.h"
#include "vm-def.h"
#include "vm-process.h"

/* The environment a VM process gets: what logging, sanitizers and tests need, no more. */
static const char *const passed_env[] = {
        "PATH", "HVD_LOG_LEVEL", "JOURNAL_STREAM", "HVD_VM_TEST_HOOKS",
        "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS",
};

/* Fixed fd numbers in the child (hvd-vm --*-fd). */
enum { FD_CONTROL = 3, FD_DEFINITION, FD_KERNEL, FD_INITRD, _FD_MAX };

static const char *vm_binary(void)
{
        const char *e = getenv("HVD_VM_BINARY");

        return e && e[0] ? e : HV_LIBEXECDIR "/hvd-vm";
}

static struct vm_process *process_new(void)
{
        struct vm_process *p = calloc(1, sizeof(*p));

        if (p)
                p->pidfd = p->stream_fd = -EBADF;
        return p;
}

/* --- the end of a process --- */

static void describe_exit(struct vm_process *p, char *buf, size_t len)
{
        siginfo_t si = {};

        if (!p->child || waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
                snprintf(buf, len, "VM process %d exited (how is unknown: an earlier hvd started it)", (int)p->pid);
                return;
        }
        if (si.si_code == CLD_EXITED)
                snprintf(buf, len, "VM process %d exited with status %d", (int)p->pid, si.si_status);
        else
                snprintf(buf, len, "VM process %d was killed by signal %s%s%s", (int)p->pid, sigabbrev_np(si.si_status) ?: "?",
                         si.si_status == SIGSYS ? " (a system call outside its seccomp sandbox)" : "",
                         si.si_code == CLD_DUMPED ? ", core dumped" : "");
}

static void drain_stream(struct vm_process *p);

static void on_pidfd(evutil_socket_t fd, short what, void *arg)
{
        struct vm_process *p = arg;
        char reason[256];

        describe_exit(p, reason, sizeof(reason));
        drain_stream(p); /* the guest's last words */
        if (p->machine)
                machine_process_exited(p->machine, reason); /* frees p */
}

static void on_kill_timer(evutil_socket_t fd, short what, void *arg)
{
        struct vm_process *p = arg;

        log_warning("VM process %d did not exit within %llu s of Stop: killing it", (int)p->pid,
                    (unsigned long long)(VM_CONTROL_TIMEOUT_USEC / 1000000));
        (void)pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
}

/* --- the connection --- */

static void on_lost(struct bus_watch *w, int error, void *userdata)
{
        struct vm_process *p = userdata;

        /* the process is gone or going: the pidfd says so, and how */
        p->signal_slot = sd_bus_slot_unref(p->signal_slot);
}

static int on_guest_stopped(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct vm_process *p = userdata;
        const char *how, *reason;

        if (sd_bus_message_read(msg, "ss", &how, &reason) < 0 || !p->machine)
                return 0;
        machine_process_guest_stopped(p->machine, how, reason);
        return 0;
}

/* Takes fd (connected to hvd-vm) as the connection of p. */
static int connect_bus(struct vm_process *p, struct event_base *base, int fd)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                safe_close(fd);
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, 1);
        if (r >= 0)
                r = sd_bus_match_signal(bus, &p->signal_slot, NULL, VM_CONTROL_PATH, VM_CONTROL_INTERFACE, "GuestStopped",
                                        on_guest_stopped, p);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                p->signal_slot = sd_bus_slot_unref(p->signal_slot);
                sd_bus_close_unref(bus);
                return r;
        }
        p->bus = bus;
        return bus_watch_attach(&p->watch, base, bus, on_lost, p);
}

static int watch_pid(struct vm_process *p, struct event_base *base)
{
        p->pidfd_event = event_new(base, p->pidfd, EV_READ, on_pidfd, p);
        p->kill_timer = evtimer_new(base, on_kill_timer, p);
        if (!p->pidfd_event || !p->kill_timer || event_add(p->pidfd_event, NULL) < 0)
                return -ENOMEM;
        return 0;
}

/* --- spawning --- */

/* The definition as hvd has it, in a sealed memfd (hvd-vm parses it again: it is input). */
static int definition_fd(const struct vm_def *def)
{
        _cleanup_free_ char *json = NULL;
        size_t len, done = 0;
        int fd, r;

        r = vm_def_to_json(def, false, &json);
        if (r < 0)
                return r;
        fd = memfd_create("hvd-vm-definition", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        len = strlen(json);
        while (done < len) {
                ssize_t k = write(fd, json + done, len - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        safe_close(fd);
                        return r;
                }
                done += (size_t)k;
        }
        (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
        return fd;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_exec(int fds[_FD_MAX], char **argv, char **envp)
{
        int moved[_FD_MAX];

        /* its own session and process group: a terminal's signals and hvd's end leave it be */
        (void)setsid();
        /* out of the way of the fixed numbers first, then into place (dup2 clears CLOEXEC) */
        for (int i = FD_CONTROL; i < _FD_MAX; i++)
                moved[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 100) : -1;
        for (int i = FD_CONTROL; i < _FD_MAX; i++)
                if (moved[i] >= 0 && dup2(moved[i], i) < 0)
                        _exit(VM_PROCESS_EXIT_FAILED);
        (void)close_range(_FD_MAX, ~0U, 0);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
                (void)dup2(null, STDIN_FILENO);
        (void)signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, envp);
        _exit(127);
}

int vm_process_spawn(struct machine *m, int kernel_fd, int initrd_fd, char *msg, struct vm_process **ret)
{
        struct hvd *h = m->hvd;
        _cleanup_free_ char *a_name = NULL, *a_socket = NULL, *a_plugins = NULL, *a_timeout = NULL, *path = NULL;
        char a_def[32], a_kernel[32], a_initrd[32], a_control[32], *a_sandbox = NULL;
        const char *sandbox = getenv("HVD_VM_SANDBOX");
        char *envp[ARRAY_SIZE(passed_env) + 1], *argv[16];
        int fds[_FD_MAX] = { -1, -1, -1, -1, -1, -1, -1 }, sv[2] = { -EBADF, -EBADF }, r, n = 0, e = 0;
        _cleanup_close_ int def_fd = -EBADF;
        struct vm_process *p = NULL;
        pid_t pid;

        if (asprintf(&path, "%s/" VM_CONTROL_SOCKET_DIR "/%s.sock", h->runtime_dir, m->def->uuid) < 0)
                return -ENOMEM;
        /* a socket left by a VM process that was killed: nobody listens there */
        (void)unlink(path);
        def_fd = definition_fd(m->def);
        if (def_fd < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot pass the definition: %s", strerror(-def_fd));
                return def_fd;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
                r = -errno;
                snprintf(msg, MACHINE_REASON_MAX, "cannot create the control connection: %s", strerror(-r));
                return r;
        }
        fds[FD_CONTROL] = sv[1];
        fds[FD_DEFINITION] = def_fd;
        fds[FD_KERNEL] = kernel_fd;
        fds[FD_INITRD] = initrd_fd;
        snprintf(a_def, sizeof(a_def), "--definition-fd=%d", FD_DEFINITION);
        snprintf(a_kernel, sizeof(a_kernel), "--kernel-fd=%d", FD_KERNEL);
        snprintf(a_initrd, sizeof(a_initrd), "--initrd-fd=%d", FD_INITRD);
        snprintf(a_control, sizeof(a_control), "--control-fd=%d", FD_CONTROL);
        if (asprintf(&a_name, "--name=%s", m->def->name) < 0 || asprintf(&a_socket, "--socket=%s", path) < 0 ||
            asprintf(&a_plugins, "--plugin-dir=%s", h->plugin_dir) < 0 ||
            asprintf(&a_timeout, "--shutdown-timeout=%llu", (unsigned long long)(h->conf.shutdown_timeout_usec / 1000000)) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        /* debugging: $HVD_VM_SANDBOX=log|off (hvd-vm(8)) */
        if (sandbox && (streq(sandbox, "log") || streq(sandbox, "off")))
                a_sandbox = streq(sandbox, "log") ? "--sandbox=log" : "--sandbox=off";
        argv[n++] = (char *)vm_binary();
        argv[n++] = a_name; /* first: what ps shows */
        argv[n++] = a_socket;
        argv[n++] = a_def;
        argv[n++] = a_kernel;
        if (initrd_fd >= 0)
                argv[n++] = a_initrd;
        argv[n++] = a_control;
        argv[n++] = a_plugins;
        argv[n++] = a_timeout;
        if (a_sandbox)
                argv[n++] = a_sandbox;
        argv[n] = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(passed_env); i++) {
                const char *v = getenv(passed_env[i]);
                char *s;
                if (v && asprintf(&s, "%s=%s", passed_env[i], v) >= 0)
                        envp[e++] = s;
        }
        envp[e] = NULL;

        p = process_new();
        if (!p) {
                r = -ENOMEM;
                goto fail;
        }
        /* hvd is single-threaded (vCPUs run in VM processes): fork is safe */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                snprintf(msg, MACHINE_REASON_MAX, "cannot start a VM process: %s", strerror(-r));
                goto fail;
        }
        if (pid == 0)
                child_exec(fds, argv, envp);
        p->pid = pid;
        p->child = true;
        sv[1] = safe_close(sv[1]);
        p->pidfd = pidfd_open(pid, 0); /* our unreaped child: the pid cannot be reused */
        if (p->pidfd < 0) {
                r = -errno;
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                snprintf(msg, MACHINE_REASON_MAX, "cannot watch the VM process: %s", strerror(-r));
                goto fail;
        }
        r = connect_bus(p, h->base, TAKE_FD(sv[0]));
        if (r >= 0)
                r = watch_pid(p, h->base);
        if (r < 0) {
                snprintf(msg, MACHINE_REASON_MAX, "cannot talk to the VM process: %s", strerror(-r));
                (void)pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
                (void)waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &(siginfo_t){}, WEXITED);
                goto fail;
        }
        for (int i = 0; i < e; i++)
                free(envp[i]);
        p->machine = m;
        log_debug("VM %s: process %d started", m->def->name, (int)pid);
        *ret = p;
        return 0;
fail:
        for (int i = 0; i < e; i++)
                free(envp[i]);
        safe_close(sv[0]);
        safe_close(sv[1]);
        vm_process_free(p);
        return r;
}

/* --- adoption --- */

int vm_process_connect(struct event_base *base, const char *socket_path, struct vm_process **ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct vm_process *p;
        int fd, r;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        /* the listener's credentials: hvd-vm made the socket, so this is its pid */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        (void)fcntl(fd, F_SETFL, O_NONBLOCK);
        p = process_new();
        if (!p) {
                safe_close(fd);
                return -ENOMEM;
        }
        p->pid = cred.pid;
        /* Not our child: the pid could be reused once it exits. The connection tells: a
         * Describe answered after this open proves pidfd is that process. */
        p->pidfd = pidfd_open(p->pid, 0);
        if (p->pidfd < 0) {
                r = -errno;
                safe_close(fd);
                vm_process_free(p);
                return r == -ESRCH ? -ECONNREFUSED : r;
        }
        r = connect_bus(p, base, fd);
        if (r >= 0)
                r = watch_pid(p, base);
        if (r < 0) {
                vm_process_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int vm_process_describe(struct vm_process *p, char **name, char **uuid, char **state, char **reason)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *n, *u, *s, *why;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(p->bus, NULL, VM_CONTROL_PATH, VM_CONTROL_INTERFACE, "Describe", &error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "ssssu", &n, &u, &s, &why, &pid);
        if (r < 0)
                return r;
        if ((pid_t)pid != p->pid)
                return -EPROTO;
        *name = strdup(n);
        *uuid = strdup(u);
        *state = strdup(s);
        *reason = strdup(why);
        return *name && *uuid && *state && *reason ? 0 : -ENOMEM;
}

void vm_process_attach(struct vm_process *p, struct machine *m)
{
        p->machine = m;
}

/* --- calls --- */

int vm_process_call(struct vm_process *p, const char *method, sd_bus_message_handler_t callback, void *userdata)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        if (!p->bus || p->watch.dead)
                return -ENOTCONN;
        r = sd_bus_message_new_method_call(p->bus, &call, NULL, VM_CONTROL_PATH, VM_CONTROL_INTERFACE, method);
        if (r >= 0)
                r = sd_bus_call_async(p->bus, NULL, call, callback, userdata, VM_CONTROL_TIMEOUT_USEC);
        return r;
}

void vm_process_stop(struct vm_process *p)
{
        struct timeval tv = { .tv_sec = (time_t)(VM_CONTROL_TIMEOUT_USEC / 1000000) };

        if (p->stopping)
                return;
        p->stopping = true;
        if (vm_process_call(p, "Stop", NULL, NULL) < 0)
                (void)pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
        evtimer_add(p->kill_timer, &tv);
}

/* --- the console stream --- */

static void drain_stream(struct vm_process *p)
{
        uint8_t buf[4096];
        ssize_t n;

        if (p->stream_fd < 0 || !p->machine)
                return;
        for (int i = 0; i < 16 && (n = recv(p->stream_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0; i++)
                console_write(&p->machine->console, buf, (size_t)n);
}

static void on_stream(evutil_socket_t fd, short what, void *arg)
{
        drain_stream(arg);
}

static void on_stream_writable(evutil_socket_t fd, short what, void *arg)
{
        struct vm_process *p = arg;

        console_kick(&p->machine->console); /* held input goes on */
}

static int on_console_attached(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct vm_process *p = userdata;
        const void *log;
        size_t len;
        int fd, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("VM %s: no console: %s", p->machine->def->name, sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_message_read(reply, "h", &fd);
        if (r >= 0)
                r = sd_bus_message_read_array(reply, 'y', &log, &len);
        if (r >= 0 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
                r = -errno;
        if (r < 0) {
                log_warning("VM %s: no console: %s", p->machine->def->name, strerror(-r));
                return 0;
        }
        /* the log first, then what follows it on the stream: nothing lost, nothing twice */
        console_write(&p->machine->console, log, len);
        (void)fcntl(fd, F_SETFL, O_NONBLOCK);
        p->stream_fd = fd;
        p->stream_event = event_new(p->machine->hvd->base, fd, EV_READ | EV_PERSIST, on_stream, p);
        p->stream_writable = event_new(p->machine->hvd->base, fd, EV_WRITE, on_stream_writable, p);
        if (!p->stream_event || !p->stream_writable || event_add(p->stream_event, NULL) < 0)
                log_warning("VM %s: cannot watch the console", p->machine->def->name);
        console_kick(&p->machine->console);
        return 0;
}

int vm_process_attach_console(struct vm_process *p)
{
        return vm_process_call(p, "AttachConsole", on_console_attached, p);
}

int vm_process_console_input(struct vm_process *p, const uint8_t *buf, size_t len)
{
        ssize_t n;

        if (p->stream_fd < 0)
                return -ENOTCONN;
        n = send(p->stream_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                event_add(p->stream_writable, NULL); /* kicks the console when there is room */
                return 0;
        }
        return n < 0 ? -errno : (int)n;
}

struct vm_process *vm_process_free(struct vm_process *p)
{
        if (!p)
                return NULL;
        bus_watch_detach(&p->watch);
        p->signal_slot = sd_bus_slot_unref(p->signal_slot);
        if (p->bus)
                p->bus = sd_bus_close_unref(p->bus); /* no flush: a stuck process must not hold hvd */
        if (p->stream_event)
                event_free(p->stream_event);
        if (p->stream_writable)
                event_free(p->stream_writable);
        if (p->pidfd_event)
                event_free(p->pidfd_event);
        if (p->kill_timer)
                event_free(p->kill_timer);
        safe_close(p->stream_fd);
        /* a child that exited is reaped here; one that runs on is left to whoever inherits it */
        if (p->child && p->pidfd >= 0)
                (void)waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &(siginfo_t){}, WEXITED | WNOHANG);
        safe_close(p->pidfd);
        free(p);
        return NULL;
}
