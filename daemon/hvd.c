/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd: the VM management daemon. Startup, modes and directories, signals, systemd
 * notification, and the main loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include <hvcore/hvcore.h>
#include <hvcore/vendor.h>

#include "auth.h"
#include "check-host.h"
#include "hvd.h"
#include "log.h"
#include "machine.h"
#include "macros.h"
#include "vm-control.h"
#include "vm-process.h"
#include "vm-store.h"

static void help(void)
{
        printf("Usage: hvd [OPTIONS]\n"
               "The hvd VM management daemon: runs KVM virtual machines and serves org.hvd1 on D-Bus.\n\n"
               "  -h --help              show this help and exit\n"
               "     --version           show the version and exit\n"
               "     --system            system mode: system bus, /var/lib/hvd, /run/hvd (default)\n"
               "     --user              user mode: session bus, $XDG_STATE_HOME/hvd, $XDG_RUNTIME_DIR/hvd\n"
               "     --state-dir=DIR     where VM definitions are kept\n"
               "     --runtime-dir=DIR   where runtime files go\n"
               "     --plugin-dir=DIR    where vendor plugins are (default %s/plugins, or $HVD_PLUGIN_DIR)\n"
               "     --config=FILE       read FILE instead of the mode's hvd.conf\n"
               "     --check-host        report what this host offers hvd and exit (0: VMs can run)\n"
               "     --json              with --check-host: the report as JSON\n"
               "See hvd(8), hvd.conf(5), hvd-vm.json(5), org.hvd1(5).\n",
               HV_PKGLIBDIR);
}

enum { ARG_VERSION = 0x100, ARG_SYSTEM, ARG_USER, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_PLUGIN_DIR, ARG_CONFIG,
       ARG_CHECK_HOST, ARG_JSON };

struct options {
        bool user, check_host, json;
        const char *state_dir, *runtime_dir, *plugin_dir, *config;
};

static int parse_argv(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "user", no_argument, NULL, ARG_USER },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "plugin-dir", required_argument, NULL, ARG_PLUGIN_DIR },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "check-host", no_argument, NULL, ARG_CHECK_HOST },
                { "json", no_argument, NULL, ARG_JSON },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hvd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_SYSTEM:
                        o->user = false;
                        break;
                case ARG_USER:
                        o->user = true;
                        break;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        o->runtime_dir = optarg;
                        break;
                case ARG_PLUGIN_DIR:
                        o->plugin_dir = optarg;
                        break;
                case ARG_CONFIG:
                        o->config = optarg;
                        break;
                case ARG_CHECK_HOST:
                        o->check_host = true;
                        break;
                case ARG_JSON:
                        o->json = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "hvd: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        if (o->json && !o->check_host) {
                fprintf(stderr, "hvd: --json goes with --check-host\n");
                return -EINVAL;
        }
        return 1;
}

static char *path_join(const char *a, const char *b)
{
        char *s = NULL;
        return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* $XDG_<var> or $HOME/<fallback>, then /hvd. */
static char *xdg_dir(const char *var, const char *fallback)
{
        const char *v = getenv(var), *home = getenv("HOME");
        char *s = NULL;

        if (v && v[0] == '/')
                return asprintf(&s, "%s/hvd", v) < 0 ? NULL : s;
        if (!fallback || !home || home[0] != '/')
                return NULL;
        return asprintf(&s, "%s/%s/hvd", home, fallback) < 0 ? NULL : s;
}

static int mkdir_p(const char *path, mode_t mode)
{
        char buf[4096];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static void host_info(struct hvd *h)
{
        char vendor[13];

        hv_cpu_get_vendor(vendor);
        h->cpu_vendor = strdup(vendor);
        (void)hv_host_info_get(&h->host); /* fills it in whatever /dev/kvm does */
        if (!h->host.kvm_usable)
                log_warning("%s is not usable: %s; VMs will not start", HV_KVM_DEVICE, h->host.kvm_problem);
        else if (h->host.missing_cap)
                log_warning("KVM lacks %s; VMs will not start", h->host.missing_cap);
        h->version = strdup(PACKAGE_VERSION);
}

/* Loads the vendor plugin; without one hvd still serves definitions, VMs cannot start. */
static void vendor_load(struct hvd *h)
{
        struct hv_vendor_verdict *v = NULL;
        const struct hv_vendor_ops *ops;
        size_t n = 0;
        int r;

        r = hv_vendor_load_dir(h->plugin_dir, &v, &n);
        if (r < 0)
                log_warning("cannot read the plugin directory %s: %s", h->plugin_dir, strerror(-r));
        ops = hv_vendor_get();
        for (size_t i = 0; i < n; i++)
                log_msg(v[i].result == HV_VENDOR_CLAIMED ? 6 : ops ? 7 : 4, "plugin %s: %s: %s", v[i].name,
                        hv_vendor_result_to_string(v[i].result), v[i].reason);
        free(v);
        if (!ops) {
                log_warning("no vendor plugin in %s claims this host: VMs cannot start (hvd --check-host says why)",
                            h->plugin_dir);
                h->vendor_plugin = strdup("");
                h->kvm_module = strdup("");
                return;
        }
        h->vendor_plugin = strdup(ops->name);
        h->kvm_module = strdup(ops->kvm_module() ? ops->kvm_module() : "");
}

struct load_ctx {
        struct hvd *h;
        unsigned loaded, failed;
};

static void on_definition(const char *name, const char *text, size_t len, int r, void *userdata)
{
        struct load_ctx *ctx = userdata;
        struct hvd *h = ctx->h;
        /* definitions on disk were checked against this host's limits at define time; one
         * defined elsewhere or before stays listed (Start refuses it, naming the limit), and the
         * files it names may come later */
        struct vm_def_limits lim = { .max_vcpus = UINT32_MAX, .max_memory_mib = UINT64_MAX };
        _cleanup_(vm_def_freep) struct vm_def *def = NULL;
        _cleanup_free_ char *err = NULL;
        char msg[MACHINE_REASON_MAX];

        if (r < 0) {
                log_warning("%s/%s.json: %s, skipping", h->state_dir, name, strerror(-r));
                ctx->failed++;
                return;
        }
        r = vm_def_from_json(text, len, &lim, &def, &err);
        if (r < 0) {
                log_warning("%s/%s.json: %s, skipping", h->state_dir, name, err ? err : strerror(-r));
                ctx->failed++;
                return;
        }
        if (strcmp(def->name, name) != 0 || !def->uuid) {
                log_warning("%s/%s.json: %s, skipping", h->state_dir, name,
                            !def->uuid ? "no uuid" : "the name inside differs from the file name");
                ctx->failed++;
                return;
        }
        r = machine_add(h, def, NULL, msg, NULL);
        if (r < 0) {
                log_warning("%s/%s.json: %s, skipping", h->state_dir, name, msg);
                ctx->failed++;
                return;
        }
        TAKE_PTR(def);
        ctx->loaded++;
}

void hvd_begin_stop(struct hvd *h)
{
        if (h->stopping)
                return;
        h->stopping = true;
        (void)sd_notify(false, "STOPPING=1\nSTATUS=exiting; VMs run on");
        log_info("stopping: %u VM(s) run on in their processes", h->n_running);
        h->quit = true;
}

/* A socket under runtime/vm/ that is not a running VM process of a defined VM. */
static void adopt_one(struct hvd *h, int dir_fd, const char *file)
{
        _cleanup_free_ char *path = NULL, *name = NULL, *uuid = NULL, *state = NULL, *reason = NULL;
        struct vm_process *p = NULL;
        struct machine *m;
        int r;

        if (asprintf(&path, "%s/" VM_CONTROL_SOCKET_DIR "/%s", h->runtime_dir, file) < 0)
                return;
        r = vm_process_connect(h->base, path, &p);
        if (r == -ECONNREFUSED || r == -ENOENT) {
                log_info("%s: no VM process listens there (it ended while hvd was away): removed", path);
                (void)unlinkat(dir_fd, file, 0);
                return;
        }
        if (r < 0) {
                log_warning("%s: cannot connect: %s", path, strerror(-r));
                return;
        }
        r = vm_process_describe(p, &name, &uuid, &state, &reason);
        if (r < 0) {
                /* reported, not waited for: it holds its VM, and Stop can still kill it */
                log_error("%s: VM process %d does not answer (%s); left alone", path, (int)p->pid, strerror(-r));
                vm_process_free(p);
                return;
        }
        m = hvd_find_machine_by_uuid(h, uuid);
        if (!m || !streq(m->def->name, name)) {
                log_warning("VM process %d runs VM '%s' (uuid %s), which has no definition here: left running (stop it with kill %d)",
                            (int)p->pid, name, uuid, (int)p->pid);
                vm_process_free(p);
                return;
        }
        if (m->proc) {
                log_warning("VM %s: a second VM process (%d) claims it: left alone", name, (int)p->pid);
                vm_process_free(p);
                return;
        }
        log_info("VM %s: re-attached to its process %d (%s)", name, (int)p->pid, state);
        machine_adopt(m, p, state, reason);
}

/* The VMs an earlier hvd left running: each VM process listens under runtime/vm/. */
static void adopt_vm_processes(struct hvd *h)
{
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        DIR *d;

        if (asprintf(&dir, "%s/" VM_CONTROL_SOCKET_DIR, h->runtime_dir) < 0)
                return;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                log_error("cannot create %s: %s", dir, strerror(errno));
                return;
        }
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n > 5 && streq(de->d_name + n - 5, ".sock"))
                        adopt_one(h, dirfd(d), de->d_name);
        }
        closedir(d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct hvd *h = arg;

        if (sig == SIGHUP) {
                log_notice("SIGHUP: hvd.conf is read at start only; restart hvd to apply changes");
                return;
        }
        hvd_begin_stop(h);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
        (void)sd_notify(false, "WATCHDOG=1");
}

static int setup_signals(struct hvd *h)
{
        struct timeval tv;
        uint64_t usec;

        signal(SIGPIPE, SIG_IGN); /* a console client that went away is seen as EPIPE */
        h->sig_term = evsignal_new(h->base, SIGTERM, on_signal, h);
        h->sig_int = evsignal_new(h->base, SIGINT, on_signal, h);
        h->sig_hup = evsignal_new(h->base, SIGHUP, on_signal, h);
        if (!h->sig_term || !h->sig_int || !h->sig_hup || evsignal_add(h->sig_term, NULL) < 0 ||
            evsignal_add(h->sig_int, NULL) < 0 || evsignal_add(h->sig_hup, NULL) < 0)
                return -ENOMEM;
        if (sd_watchdog_enabled(false, &usec) > 0) {
                /* keep-alives come from the loop itself: a stuck loop misses them */
                usec /= 2;
                tv = (struct timeval){ .tv_sec = (time_t)(usec / 1000000), .tv_usec = (suseconds_t)(usec % 1000000) };
                h->watchdog = event_new(h->base, -1, EV_PERSIST, on_watchdog, h);
                if (!h->watchdog || event_add(h->watchdog, &tv) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int setup_dirs(struct hvd *h, const struct options *o)
{
        const char *env_plugins = getenv("HVD_PLUGIN_DIR");
        int r;

        if (o->state_dir)
                h->state_dir = strdup(o->state_dir);
        else if (h->conf.state_dir)
                h->state_dir = strdup(h->conf.state_dir);
        else
                h->state_dir = h->user_mode ? xdg_dir("XDG_STATE_HOME", ".local/state") : strdup(HV_LOCALSTATEDIR "/lib/hvd");
        if (o->runtime_dir)
                h->runtime_dir = strdup(o->runtime_dir);
        else if (h->conf.runtime_dir)
                h->runtime_dir = strdup(h->conf.runtime_dir);
        else
                h->runtime_dir = h->user_mode ? xdg_dir("XDG_RUNTIME_DIR", NULL) : strdup("/run/hvd");
        if (o->plugin_dir)
                h->plugin_dir = strdup(o->plugin_dir);
        else if (env_plugins && env_plugins[0])
                h->plugin_dir = strdup(env_plugins);
        else if (h->conf.plugin_dir)
                h->plugin_dir = strdup(h->conf.plugin_dir);
        else
                h->plugin_dir = strdup(HV_PKGLIBDIR "/plugins");
        if (!h->state_dir || !h->runtime_dir || !h->plugin_dir) {
                log_error("cannot tell the %s directory: set $XDG_STATE_HOME and $XDG_RUNTIME_DIR, or use --state-dir/--runtime-dir",
                          !h->state_dir ? "state" : "runtime");
                return -EINVAL;
        }
        r = mkdir_p(h->state_dir, 0750);
        if (r < 0)
                return log_error("cannot create %s: %s", h->state_dir, strerror(-r)), r;
        r = mkdir_p(h->runtime_dir, 0750);
        if (r < 0)
                return log_error("cannot create %s: %s", h->runtime_dir, strerror(-r)), r;
        h->state_fd = open(h->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (h->state_fd < 0) {
                r = negative_errno(); /* before logging, which may change errno */
                log_error("cannot open %s: %s", h->state_dir, strerror(-r));
                return r;
        }
        if (flock(h->state_fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                log_error("%s: %s", h->state_dir, r == -EWOULDBLOCK ? "another hvd uses this state directory" : strerror(-r));
                return r;
        }
        r = vm_store_clean_temps(h->state_fd);
        if (r > 0)
                log_notice("removed %d temporary file(s) left by an interrupted write in %s", r, h->state_dir);
        return 0;
}

static int load_config(struct hvd *h, const struct options *o)
{
        _cleanup_free_ char *path = NULL, *err = NULL;
        struct group *gr;
        int r;

        hvd_conf_init(&h->conf);
        if (o->config)
                path = strdup(o->config);
        else if (h->user_mode) {
                path = xdg_dir("XDG_CONFIG_HOME", ".config");
                if (path) {
                        char *p = path_join(path, "hvd.conf");
                        free(path);
                        path = p;
                }
        } else
                path = strdup(HV_SYSCONFDIR "/hvd/hvd.conf");
        if (path) {
                r = hvd_conf_load(&h->conf, path, !o->config, &err);
                if (r < 0) {
                        log_error("%s", err ? err : strerror(-r));
                        return r;
                }
        }
        h->group_gid = (gid_t)-1;
        if (h->conf.group && h->conf.group[0] && (gr = getgrnam(h->conf.group)))
                h->group_gid = gr->gr_gid;
        return 0;
}

static void autostart(struct hvd *h)
{
        char msg[MACHINE_REASON_MAX];

        for (struct machine *m = h->machines; m; m = m->next)
                if (m->def->autostart && m->state == VM_STATE_SHUTOFF && machine_start(m, NULL, "autostart", msg) < 0)
                        log_error("VM %s: autostart failed: %s", m->def->name, msg);
}

static void hvd_done(struct hvd *h)
{
        while (h->machines) {
                struct machine *m = h->machines;
                h->machines = m->next;
                machine_free(m);
        }
        if (h->bus) {
                (void)sd_bus_flush(h->bus);
                hvd_bus_detach(h);
                h->bus = sd_bus_flush_close_unref(h->bus);
        }
        if (h->sig_term)
                event_free(h->sig_term);
        if (h->sig_int)
                event_free(h->sig_int);
        if (h->sig_hup)
                event_free(h->sig_hup);
        if (h->watchdog)
                event_free(h->watchdog);
        if (h->base)
                event_base_free(h->base);
        h->creds = hvd_creds_cache_free(h->creds);
        if (hv_vendor_get())
                (void)hv_vendor_unload();
        safe_close(h->state_fd);
        free(h->state_dir);
        free(h->runtime_dir);
        free(h->plugin_dir);
        free(h->version);
        free(h->cpu_vendor);
        free(h->vendor_plugin);
        free(h->kvm_module);
        hvd_conf_done(&h->conf);
}

int main(int argc, char **argv)
{
        struct options o = { 0 };
        struct hvd h = { .state_fd = -EBADF };
        struct load_ctx ctx = { .h = &h };
        int r;

        log_open();
        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (o.check_host) {
                const char *env = getenv("HVD_PLUGIN_DIR");
                return hvd_check_host(o.plugin_dir ? o.plugin_dir : env && env[0] ? env : HV_PKGLIBDIR "/plugins", o.json) < 0;
        }
        h.user_mode = o.user;
        h.exit_status = 1;

        r = load_config(&h, &o);
        if (r < 0)
                goto finish;
        r = setup_dirs(&h, &o);
        if (r < 0)
                goto finish;
        host_info(&h);
        vendor_load(&h);

        h.base = event_base_new();
        if (!h.base) {
                log_error("cannot create the event loop");
                goto finish;
        }
        r = h.user_mode ? sd_bus_open_user(&h.bus) : sd_bus_open_system(&h.bus);
        if (r < 0) {
                log_error("cannot connect to the %s bus: %s", h.user_mode ? "session" : "system", strerror(-r));
                goto finish;
        }
        r = hvd_manager_register(&h);
        if (r < 0) {
                log_error("cannot register the D-Bus objects: %s", strerror(-r));
                goto finish;
        }
        r = vm_store_load(h.state_fd, on_definition, &ctx);
        if (r < 0) {
                log_error("cannot read %s: %s", h.state_dir, strerror(-r));
                goto finish;
        }
        log_info("%u VM definition(s) loaded from %s%s", ctx.loaded, h.state_dir, ctx.failed ? " (some skipped)" : "");
        r = setup_signals(&h);
        if (r >= 0)
                r = hvd_bus_attach(&h);
        if (r < 0) {
                log_error("cannot set up the event loop: %s", strerror(-r));
                goto finish;
        }
        /* VMs an earlier hvd left running are served in their state before anyone can ask */
        adopt_vm_processes(&h);
        /* the objects are in place before the name is: a caller that sees the name sees them */
        r = sd_bus_request_name(h.bus, HVD_BUS_NAME, 0);
        if (r < 0) {
                log_error("cannot own %s on the %s bus: %s", HVD_BUS_NAME, h.user_mode ? "session" : "system",
                          r == -EEXIST ? "another hvd runs there" : strerror(-r));
                goto finish;
        }
        autostart(&h);
        (void)sd_notifyf(false, "READY=1\nSTATUS=%u VM%s running", h.n_running, h.n_running == 1 ? "" : "s");
        log_info("ready: %s on the %s bus, state in %s", HVD_BUS_NAME, h.user_mode ? "session" : "system", h.state_dir);

        h.exit_status = 0;
        while (!h.quit) {
                hvd_bus_rearm(&h);
                if (h.quit)
                        break;
                if (event_base_loop(h.base, EVLOOP_ONCE) < 0) {
                        log_error("the event loop failed");
                        h.exit_status = 1;
                        break;
                }
        }
        if (!h.stopping)
                (void)sd_notify(false, "STOPPING=1");
        log_info("stopped");
finish:
        r = h.exit_status;
        hvd_done(&h);
        return r;
}
