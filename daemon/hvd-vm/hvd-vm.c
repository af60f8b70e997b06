/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd-vm: runs one VM for hvd (hvd-vm(8)). Started by hvd only: the definition, the boot
 * files and the first control connection come as inherited fds. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>

#include <hvcore/hvcore.h>
#include <hvcore/vendor.h>
#include <hvcore/vm.h>

#include "hvd-vm.h"
#include "log.h"
#include "macros.h"
#include "vm-control.h"
#include "vm-def.h"

static void help(void)
{
        printf("Usage: hvd-vm --name=NAME --socket=PATH --definition-fd=FD --kernel-fd=FD [OPTIONS]\n"
               "Runs one VM for hvd; hvd starts it (see hvd-vm(8)), it is not meant to be run by hand.\n\n"
               "  -h --help                 show this help and exit\n"
               "     --version              show the version and exit\n"
               "     --name=NAME            the VM's name (shown by ps; must match the definition)\n"
               "     --socket=PATH          where a restarted hvd attaches (created here)\n"
               "     --definition-fd=FD     the VM's JSON definition (hvd-vm.json(5))\n"
               "     --kernel-fd=FD         the kernel, opened by hvd\n"
               "     --initrd-fd=FD         the initrd, opened by hvd\n"
               "     --control-fd=FD        hvd's first control connection\n"
               "     --plugin-dir=DIR       where the vendor plugins are\n"
               "     --shutdown-timeout=SEC on SIGTERM, how long the guest has to shut down (30)\n"
               "     --sandbox=MODE         on (default); log: what the seccomp filter forbids is only\n"
               "                            logged by the kernel; off: no filter (debugging only;\n"
               "                            hvd passes $HVD_VM_SANDBOX as MODE)\n");
}

struct options {
        const char *name, *socket, *plugin_dir;
        int definition_fd, kernel_fd, initrd_fd, control_fd;
        unsigned shutdown_timeout;
        const char *sandbox;
};

static int parse_fd(const char *s, int *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || end == s || v < 3 || v > 65535)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

static int parse_argv(int argc, char **argv, struct options *o)
{
        enum { ARG_VERSION = 0x100, ARG_NAME, ARG_SOCKET, ARG_DEF_FD, ARG_KERNEL_FD, ARG_INITRD_FD, ARG_CONTROL_FD,
               ARG_PLUGIN_DIR, ARG_SHUTDOWN_TIMEOUT, ARG_SANDBOX };
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "name", required_argument, NULL, ARG_NAME },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "definition-fd", required_argument, NULL, ARG_DEF_FD },
                { "kernel-fd", required_argument, NULL, ARG_KERNEL_FD },
                { "initrd-fd", required_argument, NULL, ARG_INITRD_FD },
                { "control-fd", required_argument, NULL, ARG_CONTROL_FD },
                { "plugin-dir", required_argument, NULL, ARG_PLUGIN_DIR },
                { "shutdown-timeout", required_argument, NULL, ARG_SHUTDOWN_TIMEOUT },
                { "sandbox", required_argument, NULL, ARG_SANDBOX },
                {},
        };
        int c, r = 0;
        char *end;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hvd-vm %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_NAME:
                        o->name = optarg;
                        break;
                case ARG_SOCKET:
                        o->socket = optarg;
                        break;
                case ARG_DEF_FD:
                        r = parse_fd(optarg, &o->definition_fd);
                        break;
                case ARG_KERNEL_FD:
                        r = parse_fd(optarg, &o->kernel_fd);
                        break;
                case ARG_INITRD_FD:
                        r = parse_fd(optarg, &o->initrd_fd);
                        break;
                case ARG_CONTROL_FD:
                        r = parse_fd(optarg, &o->control_fd);
                        break;
                case ARG_PLUGIN_DIR:
                        o->plugin_dir = optarg;
                        break;
                case ARG_SHUTDOWN_TIMEOUT:
                        errno = 0;
                        o->shutdown_timeout = (unsigned)strtoul(optarg, &end, 10);
                        r = errno || *end || end == optarg || o->shutdown_timeout > 3600 ? -EINVAL : 0;
                        break;
                case ARG_SANDBOX:
                        o->sandbox = optarg;
                        r = streq(optarg, "on") || streq(optarg, "log") || streq(optarg, "off") ? 0 : -EINVAL;
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "hvd-vm: --%s: bad value '%s'\n", longopts[c - ARG_VERSION + 1].name, optarg);
                        return r;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "hvd-vm: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (!o->name || !o->socket || o->definition_fd < 0 || o->kernel_fd < 0) {
                fprintf(stderr, "hvd-vm: --name, --socket, --definition-fd and --kernel-fd are required; hvd starts hvd-vm (see hvd-vm(8))\n");
                return -EINVAL;
        }
        return 1;
}

/* The definition hvd wrote to fd (checked by hvd; checked again: it is input). */
static int read_definition(int fd, const char *name, struct vm_def **ret)
{
        /* limits: hvd checked the host's at define and start time */
        const struct vm_def_limits lim = { .max_vcpus = UINT32_MAX, .max_memory_mib = UINT64_MAX };
        _cleanup_free_ char *text = malloc(VM_DEF_JSON_MAX + 1), *err = NULL;
        size_t len = 0;
        ssize_t k;
        int r;

        if (!text)
                return -ENOMEM;
        while (len <= VM_DEF_JSON_MAX && (k = pread(fd, text + len, VM_DEF_JSON_MAX + 1 - len, (off_t)len)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return log_error("cannot read the definition: %s", strerror(errno)), -errno;
                len += (size_t)k;
        }
        if (len > VM_DEF_JSON_MAX)
                return log_error("the definition is larger than %u bytes", VM_DEF_JSON_MAX), -EFBIG;
        r = vm_def_from_json(text, len, &lim, ret, &err);
        if (r < 0)
                return log_error("the definition: %s", err ? err : strerror(-r)), r;
        if (strcmp((*ret)->name, name) != 0 || !(*ret)->uuid) {
                *ret = vm_def_free(*ret);
                return log_error("the definition is not VM '%s''s, or has no uuid", name), -EINVAL;
        }
        return 0;
}

static void load_plugin(const char *dir)
{
        struct hv_vendor_verdict *v = NULL;
        size_t n = 0;

        /* Start says why if none claims the host; hvd judged the host with the same plugins */
        if (hv_vendor_load_dir(dir, &v, &n) < 0 || !hv_vendor_get())
                log_warning("no vendor plugin in %s claims this host", dir);
        free(v);
}

void vmp_exit(struct vmp *p)
{
        p->quit = true;
        p->exit_status = VM_PROCESS_EXIT_STOPPED;
}

static void on_shutdown_timer(evutil_socket_t fd, short what, void *arg)
{
        struct vmp *p = arg;
        char reason[160];

        snprintf(reason, sizeof(reason), "stopped on SIGTERM: the guest did not shut down within %llu s",
                 (unsigned long long)(p->shutdown_timeout_usec / 1000000));
        log_notice("%s", reason);
        control_unlink(p);
        control_emit_guest_stopped(p, "stopped", reason);
        vmp_exit(p);
}

void vmp_terminate(struct vmp *p)
{
        struct timeval tv = { .tv_sec = (time_t)(p->shutdown_timeout_usec / 1000000),
                              .tv_usec = (suseconds_t)(p->shutdown_timeout_usec % 1000000) };
        const char *why = NULL;

        if (p->terminating) {
                log_notice("SIGTERM again: stopping the VM now");
                on_shutdown_timer(-1, 0, p);
                return;
        }
        p->terminating = true;
        if (!p->vm || hv_vm_get_state(p->vm) != HV_VM_STATE_RUNNING)
                why = "stopped on SIGTERM: the guest was not running";
        else if (hv_vm_request_shutdown(p->vm) < 0)
                why = "stopped on SIGTERM: this guest cannot be asked to shut down";
        if (why) {
                log_notice("%s", why);
                control_unlink(p);
                control_emit_guest_stopped(p, "stopped", why);
                vmp_exit(p);
                return;
        }
        log_notice("SIGTERM: asked the guest to shut down; stopping it in %llu s if it has not",
                   (unsigned long long)(p->shutdown_timeout_usec / 1000000));
        p->shutdown_timer = evtimer_new(p->base, on_shutdown_timer, p);
        if (!p->shutdown_timer || evtimer_add(p->shutdown_timer, &tv) < 0)
                on_shutdown_timer(-1, 0, p);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
        vmp_terminate(arg);
}

/* Test hook ($HVD_VM_TEST_HOOKS, which hvd passes on): SIGUSR2 makes a system call the
 * sandbox forbids, so a test can watch one VM process die of it alone. */
static void on_test_forbidden_call(evutil_socket_t sig, short what, void *arg)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        log_warning("test hook: open(2) was allowed (fd %d): no sandbox?", fd);
        safe_close(fd);
}

int main(int argc, char **argv)
{
        struct options o = { .definition_fd = -1, .kernel_fd = -1, .initrd_fd = -1, .control_fd = -1,
                             .shutdown_timeout = 30 };
        struct vmp p = { .listen_fd = -EBADF, .exit_status = VM_PROCESS_EXIT_FAILED };
        char ident[96];
        int r;

        log_open();
        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? VM_PROCESS_EXIT_USAGE : 0;
        snprintf(ident, sizeof(ident), "hvd-vm[%s]", o.name);
        log_set_ident(ident);
        /* nothing this process runs may gain privileges: the seccomp filter needs it too */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                log_error("cannot set no_new_privs: %s", strerror(errno));
                return VM_PROCESS_EXIT_FAILED;
        }
        signal(SIGPIPE, SIG_IGN); /* hvd gone: EPIPE */
        p.socket_path = strdup(o.socket);
        p.kernel_fd = o.kernel_fd;
        p.initrd_fd = o.initrd_fd;
        p.sandbox = !o.sandbox || streq(o.sandbox, "on") ? VMP_SANDBOX_ON : streq(o.sandbox, "log") ? VMP_SANDBOX_LOG : VMP_SANDBOX_OFF;
        if (p.sandbox != VMP_SANDBOX_ON)
                log_warning("--sandbox=%s: this VM runs without its seccomp filter", o.sandbox);
        p.shutdown_timeout_usec = (uint64_t)o.shutdown_timeout * 1000000;
        if (!p.socket_path || read_definition(o.definition_fd, o.name, &p.def) < 0)
                goto finish;
        safe_close(o.definition_fd);
        load_plugin(o.plugin_dir ? o.plugin_dir : HV_PKGLIBDIR "/plugins");

        p.base = event_base_new();
        if (!p.base)
                goto finish;
        p.sig_term = evsignal_new(p.base, SIGTERM, on_signal, &p);
        p.sig_int = evsignal_new(p.base, SIGINT, on_signal, &p);
        if (!p.sig_term || !p.sig_int || evsignal_add(p.sig_term, NULL) < 0 || evsignal_add(p.sig_int, NULL) < 0) {
                log_error("cannot set up the event loop");
                goto finish;
        }
        if (getenv("HVD_VM_TEST_HOOKS")) {
                p.test_hook = evsignal_new(p.base, SIGUSR2, on_test_forbidden_call, &p);
                if (!p.test_hook || evsignal_add(p.test_hook, NULL) < 0)
                        goto finish;
        }
        r = guest_init(&p);
        if (r < 0) {
                log_error("cannot set up the console: %s", strerror(-r));
                goto finish;
        }
        r = control_init(&p, o.control_fd);
        if (r < 0) {
                log_error("cannot listen on %s: %s", p.socket_path, strerror(-r));
                goto finish;
        }
        while (!p.quit) {
                bus_watch_rearm(&p.watch);
                if (event_base_loop(p.base, EVLOOP_ONCE) < 0) {
                        log_error("the event loop failed");
                        break;
                }
        }
finish:
        control_done(&p); /* Stop's answer goes out before the VM is torn down */
        guest_done(&p);
        if (p.sig_term)
                event_free(p.sig_term);
        if (p.sig_int)
                event_free(p.sig_int);
        if (p.shutdown_timer)
                event_free(p.shutdown_timer);
        if (p.test_hook)
                event_free(p.test_hook);
        if (p.base)
                event_base_free(p.base);
        vm_def_free(p.def);
        free(p.socket_path);
        return p.exit_status;
}
