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
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
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

enum relay_end {
        RELAY_DETACHED,    /* Ctrl-] */
        RELAY_CLOSED,      /* hvd closed the console */
        RELAY_TIMEOUT,     /* --timeout */
        RELAY_SIGNAL,      /* signo */
        RELAY_INPUT_GONE,  /* the terminal hung up */
        RELAY_OUTPUT_GONE, /* our reader left (EPIPE), as in `vmctl console vm | grep -m1 x` */
        RELAY_ERROR,       /* error */
};

/* Both directions go through a bounded buffer and every fd is polled for what it is ready
 * for, so no write blocks the loop: Ctrl-], signals and --timeout are always seen, even when
 * the guest takes no input or our reader stalls. stdin and stdout stay blocking (they may be
 * the user's terminal, shared with the shell): we write to stdout only after POLLOUT and at
 * most PIPE_BUF bytes at a time, and use MSG_DONTWAIT on the socket. */
struct relay {
        int sock, sigfd;
        bool tty, input_open;
        uint64_t deadline; /* CLOCK_MONOTONIC µs, 0: none */
        int signo, error;  /* for RELAY_SIGNAL, RELAY_ERROR (-errno) */
        char to_guest[4096];
        size_t to_guest_len;
        char to_user[16384];
        size_t to_user_off, to_user_len;
};

static bool relay_fail(struct relay *rl, int error, enum relay_end *end)
{
        rl->error = error;
        *end = RELAY_ERROR;
        return true;
}

/* stdin → to_guest. Returns true when the relay ends. */
static bool relay_read_input(struct relay *rl, enum relay_end *end)
{
        size_t room = sizeof(rl->to_guest) - rl->to_guest_len;
        char *buf = rl->to_guest + rl->to_guest_len, *esc;
        ssize_t n = read(STDIN_FILENO, buf, room);

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? false : relay_fail(rl, -errno, end);
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
        rl->to_guest_len += esc ? (size_t)(esc - buf) : (size_t)n;
        if (esc) {
                *end = RELAY_DETACHED;
                return true;
        }
        return false;
}

/* to_guest → socket. */
static bool relay_write_guest(struct relay *rl, enum relay_end *end)
{
        ssize_t n = send(rl->sock, rl->to_guest, rl->to_guest_len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return false;
                if (errno == EPIPE || errno == ECONNRESET) {
                        *end = RELAY_CLOSED;
                        return true;
                }
                return relay_fail(rl, -errno, end);
        }
        memmove(rl->to_guest, rl->to_guest + n, rl->to_guest_len - n);
        rl->to_guest_len -= n;
        return false;
}

/* socket → to_user (only when it is empty). */
static bool relay_read_guest(struct relay *rl, enum relay_end *end)
{
        ssize_t n = recv(rl->sock, rl->to_user, sizeof(rl->to_user), MSG_DONTWAIT);

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return false;
                if (errno == ECONNRESET) {
                        *end = RELAY_CLOSED;
                        return true;
                }
                return relay_fail(rl, -errno, end);
        }
        if (n == 0) {
                *end = RELAY_CLOSED;
                return true;
        }
        rl->to_user_off = 0;
        rl->to_user_len = n;
        return false;
}

/* to_user → stdout, at most PIPE_BUF bytes after POLLOUT so the write cannot block. */
static bool relay_write_user(struct relay *rl, enum relay_end *end)
{
        ssize_t n = write(STDOUT_FILENO, rl->to_user + rl->to_user_off, MIN(rl->to_user_len, (size_t)PIPE_BUF));

        if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return false;
                if (errno == EPIPE) {
                        *end = RELAY_OUTPUT_GONE;
                        return true;
                }
                return relay_fail(rl, -errno, end);
        }
        rl->to_user_off += n;
        rl->to_user_len -= n;
        return false;
}

static enum relay_end relay_run(struct relay *rl)
{
        enum relay_end end = RELAY_ERROR;

        for (;;) {
                short in_events = rl->input_open && rl->to_guest_len < sizeof(rl->to_guest) ? POLLIN : 0;
                short sock_events = (rl->to_user_len == 0 ? POLLIN : 0) | (rl->to_guest_len > 0 ? POLLOUT : 0);
                short out_events = rl->to_user_len > 0 ? POLLOUT : 0;
                /* an fd we want nothing from is left out: its POLLHUP would wake us for ever */
                struct pollfd pfd[4] = {
                        { .fd = in_events ? STDIN_FILENO : -1, .events = in_events },
                        { .fd = sock_events ? rl->sock : -1, .events = sock_events },
                        { .fd = out_events ? STDOUT_FILENO : -1, .events = out_events },
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
                if (pfd[3].revents) {
                        struct signalfd_siginfo si;

                        if (read(rl->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                rl->signo = (int)si.ssi_signo;
                                return RELAY_SIGNAL;
                        }
                }
                if (pfd[2].revents && relay_write_user(rl, &end))
                        return end;
                if ((pfd[1].revents & POLLOUT) && relay_write_guest(rl, &end))
                        return end;
                /* POLLHUP/POLLERR too: the read says whether the console closed */
                if ((pfd[1].revents & ~POLLOUT) && rl->to_user_len == 0 && relay_read_guest(rl, &end))
                        return end;
                if (pfd[0].revents && relay_read_input(rl, &end)) {
                        if (end == RELAY_DETACHED && rl->to_guest_len > 0)
                                (void)relay_write_guest(rl, &end); /* what was typed before ^] */
                        return end;
                }
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
        /* what the guest said before the end still reaches the user, unless our reader
         * stalls for a second */
        while (end != RELAY_ERROR && end != RELAY_OUTPUT_GONE && rl.to_user_len > 0) {
                struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
                enum relay_end ignored;

                if (poll(&pfd, 1, 1000) <= 0 || relay_write_user(&rl, &ignored))
                        break;
        }

        if (rl.tty) {
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
                fputc('\n', stderr);
        }
        switch (end) {
        case RELAY_DETACHED:
        case RELAY_TIMEOUT:
        case RELAY_INPUT_GONE:
        case RELAY_OUTPUT_GONE:
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
