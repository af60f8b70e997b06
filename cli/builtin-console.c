/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl console [--log] [--timeout SECONDS] NAME: relays the terminal (raw mode, Ctrl-]
 * detaches) or a pipe to the socket OpenConsole hands over; --log prints GetConsoleLog.
 * Signals arrive through a signalfd in the poll set, so every exit leaves by the one path that
 * restores the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "macros.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Writes all of buf, waiting when fd is non-blocking. Returns 0 or -errno. */
static int write_all(int fd, const void *buf, size_t size)
{
        const char *p = buf;

        while (size > 0) {
                ssize_t n = write(fd, p, size);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pfd = { .fd = fd, .events = POLLOUT };

                                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                                        return -errno;
                                continue;
                        }
                        return -errno;
                }
                p += n;
                size -= n;
        }
        return 0;
}

static int console_log(struct vmctl *v, const char *name, const char *path)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const void *log;
        size_t size;
        int r;

        r = vmctl_call_method(v->bus, path, HVD_VM_IFACE, "GetConsoleLog", &error, &reply, "");
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = sd_bus_message_read_array(reply, 'y', &log, &size);
        if (r >= 0)
                r = write_all(STDOUT_FILENO, log, size);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        return VMCTL_EXIT_OK;
}

enum relay_end { RELAY_DETACHED, RELAY_CLOSED, RELAY_TIMEOUT, RELAY_SIGNAL, RELAY_INPUT_GONE, RELAY_ERROR };

struct relay {
        int sock, sigfd;
        bool tty, input_open;
        uint64_t deadline; /* CLOCK_MONOTONIC µs, 0: none */
        int signo, error;  /* for RELAY_SIGNAL, RELAY_ERROR (-errno) */
};

/* Input → socket. Returns true when the relay ends. */
static bool relay_input(struct relay *rl, enum relay_end *end)
{
        char buf[4096];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        const char *esc;
        int r;

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return false;
                rl->error = -errno;
                *end = RELAY_ERROR;
                return true;
        }
        if (n == 0) {
                /* a pipe's end: keep reading the guest; a terminal's: its owner left */
                rl->input_open = false;
                if (rl->tty) {
                        *end = RELAY_INPUT_GONE;
                        return true;
                }
                return false;
        }
        esc = rl->tty ? memchr(buf, CONSOLE_ESCAPE, n) : NULL;
        r = write_all(rl->sock, buf, esc ? (size_t)(esc - buf) : (size_t)n);
        if (r == -EPIPE || r == -ECONNRESET) {
                *end = RELAY_CLOSED;
                return true;
        }
        if (r < 0) {
                rl->error = r;
                *end = RELAY_ERROR;
                return true;
        }
        if (esc) {
                *end = RELAY_DETACHED;
                return true;
        }
        return false;
}

/* Socket → output. Returns true when the relay ends. */
static bool relay_output(struct relay *rl, enum relay_end *end)
{
        char buf[16384];
        ssize_t n = read(rl->sock, buf, sizeof(buf));
        int r;

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return false;
                if (errno == ECONNRESET) {
                        *end = RELAY_CLOSED;
                        return true;
                }
                rl->error = -errno;
                *end = RELAY_ERROR;
                return true;
        }
        if (n == 0) {
                *end = RELAY_CLOSED;
                return true;
        }
        r = write_all(STDOUT_FILENO, buf, n);
        if (r < 0) {
                rl->error = r;
                *end = RELAY_ERROR;
                return true;
        }
        return false;
}

static enum relay_end relay_run(struct relay *rl)
{
        enum relay_end end = RELAY_ERROR;

        for (;;) {
                struct pollfd pfd[3] = {
                        { .fd = rl->input_open ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = rl->sock, .events = POLLIN },
                        { .fd = rl->sigfd, .events = POLLIN },
                };
                int timeout_ms = -1, r;

                if (rl->deadline) {
                        uint64_t now = now_usec();

                        if (now >= rl->deadline)
                                return RELAY_TIMEOUT;
                        timeout_ms = (int)MIN((rl->deadline - now + 999) / 1000, (uint64_t)INT32_MAX);
                }
                r = poll(pfd, ARRAY_SIZE(pfd), timeout_ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        rl->error = -errno;
                        return RELAY_ERROR;
                }
                if (pfd[2].revents) {
                        struct signalfd_siginfo si;

                        if (read(rl->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                rl->signo = (int)si.ssi_signo;
                                return RELAY_SIGNAL;
                        }
                }
                /* guest output first: what the guest said before closing still gets out */
                if (pfd[1].revents && relay_output(rl, &end))
                        return end;
                if (pfd[0].revents && relay_input(rl, &end))
                        return end;
        }
}

static int console_attach(struct vmctl *v, const char *name, const char *path)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_close_ int sock = -EBADF, sigfd = -EBADF;
        struct relay rl = { .input_open = true };
        struct termios saved, raw;
        enum relay_end end;
        sigset_t mask;
        int fd, r;

        r = vmctl_call_method(v->bus, path, HVD_VM_IFACE, "OpenConsole", &error, &reply, "");
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return vmctl_report(v, name, NULL, r);
        sock = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (sock < 0)
                return vmctl_report(v, name, NULL, -errno);

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return vmctl_report(v, name, NULL, -errno);
        sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0)
                return vmctl_report(v, name, NULL, -errno);
        signal(SIGPIPE, SIG_IGN); /* a closed output or socket shows as EPIPE */

        rl.sock = sock;
        rl.sigfd = sigfd;
        rl.tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
        if (v->timeout_set && v->timeout_usec > 0)
                rl.deadline = now_usec() + v->timeout_usec;
        if (rl.tty) {
                fprintf(stderr, "Connected to %s (escape character is ^])\n", name);
                raw = saved;
                cfmakeraw(&raw);
                /* keys go to the guest untouched, but a bare \n from the guest (our test guests,
                 * boot loaders) still starts a new line rather than a staircase */
                raw.c_oflag |= OPOST | ONLCR;
                if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                        return vmctl_report(v, name, NULL, -errno);
        }

        end = relay_run(&rl);

        if (rl.tty) {
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
                fputc('\n', stderr);
        }
        switch (end) {
        case RELAY_DETACHED:
        case RELAY_TIMEOUT:
        case RELAY_INPUT_GONE:
                return VMCTL_EXIT_OK;
        case RELAY_CLOSED:
                if (rl.tty)
                        fprintf(stderr, "vmctl: console %s: closed by hvd\n", name);
                return VMCTL_EXIT_OK;
        case RELAY_SIGNAL:
                return 128 + rl.signo;
        case RELAY_ERROR:
        default:
                return vmctl_report(v, name, NULL, rl.error);
        }
}

int vmctl_console(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        const char *name = argv[0];
        int r;

        r = vmctl_vm_path(v->bus, name, &error, &path);
        if (r < 0)
                return vmctl_report(v, name, &error, r);
        if (v->log)
                return console_log(v, name, path);
        return console_attach(v, name, path);
}
