/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helper: drives a VM's console through OpenConsole's fd, with a tiny script of steps
 * run in order:
 *   hvd-console NAME STEP...
 *   open            open one more console (the first step opens one implicitly)
 *   start           call Start
 *   send:TEXT       write TEXT (\n for newline) to the first console
 *   expect:TEXT     every open console must show TEXT within 10 s (output since last expect)
 *   close           close every console
 * Exit 0 when every step succeeded; the consoles' output goes to stdout on failure. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define MAX_CONSOLES 32
#define BUF 65536

static sd_bus *bus;
static char path[256];
static int fds[MAX_CONSOLES];
static char bufs[MAX_CONSOLES][BUF];
static size_t lens[MAX_CONSOLES];
static int n_fds;

static int vm_call(const char *method, sd_bus_message **reply)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, "org.hvd1", path, "org.hvd1.VM", method, &error, reply, "");
        if (r < 0)
                fprintf(stderr, "%s: %s: %s\n", method, error.name ? error.name : "", error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        return r;
}

static int open_console(void)
{
        sd_bus_message *reply = NULL;
        int fd, r;

        if (n_fds >= MAX_CONSOLES)
                return -ENOSPC;
        r = vm_call("OpenConsole", &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "h", &fd);
        if (r >= 0) {
                fds[n_fds] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                lens[n_fds] = 0;
                n_fds++;
        }
        sd_bus_message_unref(reply);
        return r;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int expect(const char *text)
{
        long long deadline = now_ms() + 10000;

        for (int i = 0; i < n_fds; i++) {
                while (!memmem(bufs[i], lens[i], text, strlen(text))) {
                        struct pollfd p = { .fd = fds[i], .events = POLLIN };
                        long long left = deadline - now_ms();
                        ssize_t k;
                        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
                                printf("console %d: no \"%s\" within 10 s; it showed:\n%.*s\n", i, text, (int)lens[i], bufs[i]);
                                return -ETIMEDOUT;
                        }
                        if (lens[i] == BUF)
                                lens[i] = 0;
                        k = read(fds[i], bufs[i] + lens[i], BUF - lens[i]);
                        if (k == 0) {
                                printf("console %d: closed before \"%s\"; it showed:\n%.*s\n", i, text, (int)lens[i], bufs[i]);
                                return -EPIPE;
                        }
                        if (k > 0)
                                lens[i] += (size_t)k;
                }
                /* later expects look at what comes after this match */
                char *m = memmem(bufs[i], lens[i], text, strlen(text));
                size_t used = (size_t)(m - bufs[i]) + strlen(text);
                memmove(bufs[i], bufs[i] + used, lens[i] - used);
                lens[i] -= used;
        }
        return 0;
}

int main(int argc, char **argv)
{
        char *enc = NULL;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: hvd-console NAME STEP...\n");
                return 2;
        }
        r = sd_bus_open_user(&bus);
        if (r < 0 || sd_bus_path_encode("/org/hvd1/vm", argv[1], &enc) < 0)
                return 1;
        snprintf(path, sizeof(path), "%s", enc);
        free(enc);
        if (open_console() < 0)
                return 1;
        for (int i = 2; i < argc; i++) {
                const char *s = argv[i];
                if (strcmp(s, "open") == 0)
                        r = open_console();
                else if (strcmp(s, "start") == 0)
                        r = vm_call("Start", NULL);
                else if (strncmp(s, "expect:", 7) == 0)
                        r = expect(s + 7);
                else if (strncmp(s, "send:", 5) == 0) {
                        char out[4096];
                        size_t n = 0;
                        for (const char *p = s + 5; *p && n < sizeof(out); p++)
                                out[n++] = (p[0] == '\\' && p[1] == 'n') ? (p++, '\n') : *p;
                        r = write(fds[0], out, n) == (ssize_t)n ? 0 : -EIO;
                } else if (strcmp(s, "close") == 0) {
                        for (int j = 0; j < n_fds; j++)
                                close(fds[j]);
                        n_fds = 0;
                        r = 0;
                } else {
                        fprintf(stderr, "unknown step %s\n", s);
                        return 2;
                }
                if (r < 0) {
                        fprintf(stderr, "step %s failed\n", s);
                        return 1;
                }
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}
