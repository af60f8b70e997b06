/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd over D-Bus, measured from a client: ListVMs and property-read round trips (p50/p99),
 * Start -> State=running and Start -> first console byte, the memory a running VM costs beyond
 * its guest RAM, and how long a restarted hvd takes to re-adopt the running VMs.
 *
 * Memory comes from /proc/PID/smaps of hvd and of every VM process of the run (an hvd-vm whose
 * --socket= lies under --runtime-dir), leaving out the guest-RAM memfd mappings. The same client
 * measures an in-process hvd (a build from before hvd-vm): it finds no VM process there, and
 * hvd's own growth is all a VM costs.
 *
 * Talks to org.hvd1 on the session bus (bench-dbus.sh starts a private one and hvd on it).
 * Prints a table, and JSON to JSON-OUT.
 *
 *   bench-dbus [--calls N] [--runtime-dir DIR] [--rounds N] [--hvd-log FILE] --
 *              GUEST-DIR JSON-OUT [HVD-COMMAND...]
 *
 * With HVD-COMMAND, bench-dbus runs hvd itself (with its own environment, output to --hvd-log)
 * and measures the re-adoption figure too: hvd is SIGKILLed with the VMs running and started
 * again, --rounds times; the last hvd is stopped (SIGTERM) at the end. Without, it measures the
 * hvd that owns org.hvd1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "macros.h"

#define N_VMS 20
#define VM_NAME_FMT "bench%u"
/* how long hvd may take to come up, or to release its name: a KVM-in-TCG host is ~100x slower */
#define HVD_TIMEOUT_NS (120 * 1000000000ULL)

struct options {
        unsigned calls;           /* round trips per D-Bus figure */
        unsigned rounds;          /* hvd restarts for the re-adoption figure */
        const char *runtime_dir;  /* hvd's XDG_RUNTIME_DIR: its VM processes' sockets are below */
        const char *hvd_log;      /* the restarted hvd's stdout and stderr (default: ours) */
        const char *guest_dir;
        const char *json_path;
        char **hvd_argv;          /* NULL: no re-adoption figure */
};

/* What smaps says of one process, in KiB, guest RAM (its memfd mappings) counted apart. */
struct proc_mem {
        long rss, pss, uss; /* beyond guest RAM; uss = Private_Clean + Private_Dirty */
        long guest_rss;     /* guest RAM resident in this process */
        long anon, file;    /* RssAnon, RssFile of /proc/PID/status */
        long pte;           /* VmPTE: its page tables */
};

struct vm_process {
        pid_t pid;
        char name[64];
        struct proc_mem mem;
};

struct figures {
        double list_p50, list_p99, get_p50, get_p99;                    /* µs */
        double start_p50, start_max, byte_p50, byte_max;                /* µs; -1: not measured */
        unsigned started;                                               /* VMs running at once */
        double hvd_rss_per_vm, total_pss_per_vm, guest_per_vm;          /* KiB; -1: not measured */
        struct vm_process procs[N_VMS];
        unsigned n_procs;
        double proc_pss_mean, proc_uss_mean, proc_pte_mean;             /* KiB */
        long proc_pss_max, proc_uss_max;
        unsigned readopt_rounds, readopt_running;                       /* running after the last restart */
        double readopt_name_p50, readopt_name_max;                      /* ms; -1: not measured */
        double readopt_all_p50, readopt_all_max;
        double readopt_cpu_p50;                                         /* ms of CPU the new hvd used */
};

static sd_bus *bus;
static pid_t hvd_child; /* the hvd this program runs (HVD-COMMAND), 0 if none */
static uint64_t run_start_ns; /* for progress() */

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What runs now, on stderr: on a slow host (KVM nested in TCG) a run takes many minutes. */
static void progress(const char *what)
{
        fprintf(stderr, "bench-dbus: %s (%.0f s)\n", what, (double)(now_ns() - run_start_ns) / 1e9);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* The p-quantile of n nanosecond samples, in units of `unit` ns. */
static double pct(uint64_t *v, size_t n, double p, double unit)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        return (double)v[(size_t)((double)(n - 1) * p)] / unit;
}

static int call(const char *path, const char *iface, const char *method, sd_bus_message **reply, const char *types, ...)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.hvd1", path, iface, method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call(bus, m, 60 * 1000000ULL, &error, reply);
        /* nobody owning org.hvd1 is expected while hvd restarts: that failure is -ENXIO, quietly */
        if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return -ENXIO;
        if (r < 0 && error.message)
                fprintf(stderr, "%s.%s: %s\n", iface, method, error.message);
        return r;
}

static void vm_path(unsigned i, char *buf, size_t len)
{
        snprintf(buf, len, "/org/hvd1/vm/" VM_NAME_FMT, i);
}

/* --- memory ------------------------------------------------------------------------------ */

/* A guest-RAM mapping: hvcore names a VM's RAM memfd after the VM ("/memfd:bench3 (deleted)"),
 * or "hvd-guest-ram" when the VM has no name. */
static bool is_guest_ram(const char *mapping_line)
{
        const char *p = strstr(mapping_line, "/memfd:");
        unsigned i;
        int end = 0;

        if (!p)
                return false;
        p += strlen("/memfd:");
        if (strncmp(p, "hvd-guest-ram", strlen("hvd-guest-ram")) == 0)
                return true;
        return sscanf(p, VM_NAME_FMT "%n", &i, &end) == 1 && end > 0 && i < N_VMS && (p[end] == ' ' || p[end] == '\n');
}

static int read_status(pid_t pid, struct proc_mem *m)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], line[256];

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                sscanf(line, "RssAnon: %ld", &m->anon);
                sscanf(line, "RssFile: %ld", &m->file);
                sscanf(line, "VmPTE: %ld", &m->pte);
        }
        return 0;
}

static int read_proc_mem(pid_t pid, struct proc_mem *ret)
{
        _cleanup_fclose_ FILE *f = NULL;
        struct proc_mem m = { 0 };
        char path[64], line[512];
        bool guest = false;
        unsigned long lo, hi;
        long v;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's header */
                        guest = is_guest_ram(line);
                else if (sscanf(line, "Rss: %ld", &v) == 1)
                        *(guest ? &m.guest_rss : &m.rss) += v;
                else if (guest)
                        continue;
                else if (sscanf(line, "Pss: %ld", &v) == 1)
                        m.pss += v;
                else if (sscanf(line, "Private_Clean: %ld", &v) == 1 || sscanf(line, "Private_Dirty: %ld", &v) == 1)
                        m.uss += v;
        }
        r = read_status(pid, &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

/* The argument of cmdline (NUL-separated) that starts with prefix, or NULL. */
static const char *cmdline_arg(const char *cmdline, size_t len, const char *prefix)
{
        for (const char *a = cmdline; a < cmdline + len; a += strlen(a) + 1)
                if (strncmp(a, prefix, strlen(prefix)) == 0)
                        return a;
        return NULL;
}

/* The VM processes of this run: hvd-vm is started with --socket=RUNTIME/hvd/vm/UUID.sock. */
static void find_vm_processes(const char *runtime_dir, struct figures *f)
{
        char prefix[4096];
        struct dirent *de;
        DIR *d;

        f->n_procs = 0;
        if (!runtime_dir)
                return;
        snprintf(prefix, sizeof(prefix), "--socket=%s/", runtime_dir);
        d = opendir("/proc");
        if (!d)
                return;
        while ((de = readdir(d)) && f->n_procs < N_VMS) {
                _cleanup_fclose_ FILE *c = NULL;
                struct vm_process *p = &f->procs[f->n_procs];
                char path[300], cmdline[8192];
                const char *name;
                size_t len;
                pid_t pid = (pid_t)atoi(de->d_name);

                if (pid <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
                c = fopen(path, "re");
                if (!c)
                        continue;
                len = fread(cmdline, 1, sizeof(cmdline) - 1, c);
                cmdline[len] = '\0';
                if (!cmdline_arg(cmdline, len, prefix) || read_proc_mem(pid, &p->mem) < 0)
                        continue;
                name = cmdline_arg(cmdline, len, "--name=");
                snprintf(p->name, sizeof(p->name), "%s", name ? name + strlen("--name=") : "?");
                p->pid = pid;
                f->n_procs++;
        }
        closedir(d);
}

/* hvd, and every VM process, before and after N_VMS VMs start. */
static void measure_memory(const struct options *o, pid_t hvd, struct figures *f)
{
        struct proc_mem before = { 0 }, after = { 0 };
        long proc_pss = 0, proc_uss = 0, proc_pte = 0, guest;
        char path[64];

        if (hvd <= 0 || read_proc_mem(hvd, &before) < 0)
                return;
        for (f->started = 0; f->started < N_VMS; f->started++) {
                vm_path(f->started, path, sizeof(path));
                if (call(path, "org.hvd1.VM", "Start", NULL, NULL) < 0)
                        return;
        }
        usleep(200000); /* let the guests reach their steady state */
        if (read_proc_mem(hvd, &after) < 0)
                return;
        find_vm_processes(o->runtime_dir, f);
        guest = after.guest_rss - before.guest_rss;
        f->proc_pss_max = f->proc_uss_max = 0;
        for (unsigned i = 0; i < f->n_procs; i++) {
                const struct proc_mem *m = &f->procs[i].mem;
                proc_pss += m->pss;
                proc_uss += m->uss;
                proc_pte += m->pte;
                guest += m->guest_rss;
                f->proc_pss_max = MAX(f->proc_pss_max, m->pss);
                f->proc_uss_max = MAX(f->proc_uss_max, m->uss);
        }
        /* guest RAM is a shared memfd (RssShmem): anon + file is hvd's own, as measured before */
        f->hvd_rss_per_vm = (double)((after.anon + after.file) - (before.anon + before.file)) / N_VMS;
        /* PSS adds up: what hvd and its VM processes hold together, shared pages split fairly
         * (hvd's PSS can shrink as VM processes map the same library pages) */
        f->total_pss_per_vm = (double)(after.pss - before.pss + proc_pss) / N_VMS;
        f->guest_per_vm = (double)guest / N_VMS;
        if (f->n_procs) {
                f->proc_pss_mean = (double)proc_pss / f->n_procs;
                f->proc_uss_mean = (double)proc_uss / f->n_procs;
                f->proc_pte_mean = (double)proc_pte / f->n_procs;
        }
}

/* --- hvd's lifecycle (with HVD-COMMAND) ------------------------------------------------- */

static int hvd_owner(pid_t *ret)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r = sd_bus_get_name_creds(bus, "org.hvd1", SD_BUS_CREDS_PID, &creds);
        if (r < 0)
                return r;
        return sd_bus_creds_get_pid(creds, ret);
}

static int spawn_hvd(const struct options *o)
{
        pid_t parent = getpid(), pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = o->hvd_log ? open(o->hvd_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                /* a benchmark that dies takes its hvd along (its VMs: bench-dbus.sh's cleanup) */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(127);
                if (null >= 0)
                        dup2(null, STDIN_FILENO);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                execvp(o->hvd_argv[0], o->hvd_argv);
                fprintf(stderr, "bench-dbus: cannot run %s: %s\n", o->hvd_argv[0], strerror(errno));
                _exit(127);
        }
        hvd_child = pid;
        return 0;
}

/* Starts hvd (HVD-COMMAND) and waits until it owns org.hvd1. */
static int start_hvd(const struct options *o)
{
        uint64_t t0 = now_ns();
        pid_t owner;
        int r = spawn_hvd(o);

        if (r < 0)
                return r;
        while (hvd_owner(&owner) < 0) {
                if (waitpid(hvd_child, NULL, WNOHANG) == hvd_child) {
                        hvd_child = 0;
                        return -ESRCH;
                }
                if (now_ns() - t0 > HVD_TIMEOUT_NS)
                        return -ETIMEDOUT;
                usleep(1000);
        }
        return 0;
}

/* SIGTERM to the hvd this program started; SIGKILL if it has not exited after 60 s. */
static void stop_hvd_child(void)
{
        _cleanup_close_ int pidfd = pidfd_open(hvd_child, 0);
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        (void)kill(hvd_child, SIGTERM);
        if (pidfd >= 0 && poll(&p, 1, 60000) != 1) {
                fprintf(stderr, "hvd does not exit on SIGTERM: killed\n");
                (void)kill(hvd_child, SIGKILL);
        }
        (void)waitpid(hvd_child, NULL, 0);
        hvd_child = 0;
}

/* SIGKILL, then wait until the process is gone and its bus name released. */
static int kill_hvd(pid_t pid)
{
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        uint64_t t0 = now_ns();
        pid_t owner;

        if (pidfd < 0 || pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0)
                return -errno;
        if (poll(&p, 1, 30000) != 1)
                return -ETIMEDOUT;
        if (pid == hvd_child) {
                (void)waitpid(pid, NULL, 0);
                hvd_child = 0;
        }
        while (hvd_owner(&owner) >= 0) {
                if (now_ns() - t0 > HVD_TIMEOUT_NS)
                        return -ETIMEDOUT;
                usleep(1000);
        }
        return 0;
}

/* --- re-adoption ------------------------------------------------------------------------- */

/* How many VMs hvd lists as running; -errno (ENXIO: the name has no owner) on failure. */
static int count_running(unsigned *ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *uuid, *state, *path;
        unsigned n = 0;
        int r;

        r = call("/org/hvd1", "org.hvd1.Manager", "ListVMs", &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ssso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssso)", &name, &uuid, &state, &path)) > 0)
                n += streq(state, "running");
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}

/* The CPU time a process has used, all its threads, in ns (schedstat: time on a CPU). */
static uint64_t process_cpu_ns(pid_t pid)
{
        char path[300];
        struct dirent *de;
        uint64_t sum = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_fclose_ FILE *f = NULL;
                unsigned long long ns;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
                f = fopen(path, "re");
                if (f && fscanf(f, "%llu", &ns) == 1)
                        sum += ns;
        }
        closedir(d);
        return sum;
}

struct readopt_round {
        uint64_t name_ns; /* from its start until it owns org.hvd1 */
        uint64_t all_ns;  /* ... until it lists every VM as running; 0: it does not, they did not survive */
        uint64_t cpu_ns;  /* the CPU time it used until then (the VMs' vCPUs compete for the CPUs) */
        unsigned running;
};

/* One round: hvd SIGKILLed with the VMs running, and started again. */
static int readopt_round(const struct options *o, struct readopt_round *ret)
{
        uint64_t t0, name_ns = 0;
        unsigned running = 0;
        pid_t pid;
        int r;

        r = hvd_owner(&pid);
        if (r >= 0)
                r = kill_hvd(pid);
        if (r < 0)
                return r;
        t0 = now_ns();
        r = spawn_hvd(o);
        if (r < 0)
                return r;
        for (;;) {
                r = count_running(&running);
                if (r >= 0 && !name_ns)
                        name_ns = now_ns() - t0;
                /* VMs still being adopted after the name is taken would be listed part running */
                if (r >= 0 && (running == 0 || running == N_VMS))
                        break;
                if (waitpid(hvd_child, NULL, WNOHANG) == hvd_child) {
                        hvd_child = 0;
                        fprintf(stderr, "the restarted hvd exited\n");
                        return -ESRCH;
                }
                if (now_ns() - t0 > HVD_TIMEOUT_NS)
                        return -ETIMEDOUT;
                usleep(1000);
        }
        *ret = (struct readopt_round){
                .name_ns = name_ns,
                .all_ns = running == N_VMS ? now_ns() - t0 : 0,
                .cpu_ns = process_cpu_ns(hvd_child),
                .running = running,
        };
        return 0;
}

static void measure_readoption(const struct options *o, struct figures *f)
{
        uint64_t name_ns[64], all_ns[64], cpu_ns[64];
        unsigned n = MIN(o->rounds, ARRAY_SIZE(name_ns)), all = 0;

        for (f->readopt_rounds = 0; f->readopt_rounds < n; f->readopt_rounds++) {
                struct readopt_round round;
                int r = readopt_round(o, &round);
                if (r < 0) {
                        fprintf(stderr, "re-adoption round %u: %s\n", f->readopt_rounds + 1, strerror(-r));
                        break;
                }
                name_ns[f->readopt_rounds] = round.name_ns;
                cpu_ns[f->readopt_rounds] = round.cpu_ns;
                f->readopt_running = round.running;
                if (round.all_ns)
                        all_ns[all++] = round.all_ns;
        }
        if (f->readopt_rounds == 0)
                return;
        f->readopt_name_p50 = pct(name_ns, f->readopt_rounds, 0.5, 1e6);
        f->readopt_name_max = pct(name_ns, f->readopt_rounds, 1.0, 1e6);
        f->readopt_cpu_p50 = pct(cpu_ns, f->readopt_rounds, 0.5, 1e6);
        if (all == f->readopt_rounds) {
                f->readopt_all_p50 = pct(all_ns, all, 0.5, 1e6);
                f->readopt_all_max = pct(all_ns, all, 1.0, 1e6);
        }
}

/* --- round trips and start latency ------------------------------------------------------- */

static int measure_round_trips(unsigned calls, struct figures *f)
{
        _cleanup_free_ uint64_t *t = calloc(calls, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < calls; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                uint64_t t0 = now_ns();
                r = call("/org/hvd1", "org.hvd1.Manager", "ListVMs", &reply, NULL);
                t[i] = now_ns() - t0;
                if (r < 0)
                        return r;
        }
        f->list_p50 = pct(t, calls, 0.5, 1e3);
        f->list_p99 = pct(t, calls, 0.99, 1e3);
        for (unsigned i = 0; i < calls; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *state = NULL;
                uint64_t t0 = now_ns();
                r = sd_bus_get_property_string(bus, "org.hvd1", "/org/hvd1/vm/bench0", "org.hvd1.VM", "State", &error,
                                               &state);
                t[i] = now_ns() - t0;
                if (r < 0)
                        return r;
        }
        f->get_p50 = pct(t, calls, 0.5, 1e3);
        f->get_p99 = pct(t, calls, 0.99, 1e3);
        return 0;
}

/* One VM at a time (running guests compete for the CPUs: on kvm_pvm every guest instruction is
 * emulated), each stopped before the next starts. */
static void measure_start(struct figures *f)
{
        uint64_t start_ns[N_VMS], byte_ns[N_VMS];
        unsigned n;

        for (n = 0; n < N_VMS; n++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_close_ int fd = -EBADF;
                uint64_t t0;
                int r, con;

                r = call("/org/hvd1/vm/bench0", "org.hvd1.VM", "OpenConsole", &reply, NULL);
                if (r >= 0 && sd_bus_message_read(reply, "h", &con) >= 0)
                        fd = fcntl(con, F_DUPFD_CLOEXEC, 3);
                t0 = now_ns();
                r = call("/org/hvd1/vm/bench0", "org.hvd1.VM", "Start", NULL, NULL); /* replies once State=running */
                start_ns[n] = now_ns() - t0;
                byte_ns[n] = 0;
                if (r >= 0 && fd >= 0) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        if (poll(&p, 1, 5000) == 1)
                                byte_ns[n] = now_ns() - t0;
                }
                if (r < 0)
                        return;
                (void)call("/org/hvd1/vm/bench0", "org.hvd1.VM", "Stop", NULL, NULL);
        }
        f->start_p50 = pct(start_ns, N_VMS, 0.5, 1e3);
        f->start_max = pct(start_ns, N_VMS, 1.0, 1e3);
        f->byte_p50 = pct(byte_ns, N_VMS, 0.5, 1e3);
        f->byte_max = pct(byte_ns, N_VMS, 1.0, 1e3);
}

/* --- output ------------------------------------------------------------------------------ */

static void print_table(const struct options *o, const struct figures *f)
{
        printf("%-48s %10s %10s %s\n", "measure", "p50", "p99/max", "target");
        printf("%-48s %8.1f µs %8.1f µs  p50 < 300 µs (virsh list: 19 ms)\n", "D-Bus ListVMs round trip (20 VMs)",
               f->list_p50, f->list_p99);
        printf("%-48s %8.1f µs %8.1f µs\n", "D-Bus property read (VM.State)", f->get_p50, f->get_p99);
        if (f->start_p50 >= 0) {
                printf("%-48s %8.1f µs %8.1f µs\n", "Start -> State=running (reply; spin, 16 MiB)", f->start_p50,
                       f->start_max);
                printf("%-48s %8.1f µs %8.1f µs  < 10 ms\n", "Start -> first console byte", f->byte_p50, f->byte_max);
        } else
                printf("Start failed: no start figures\n");
        if (f->started < N_VMS) {
                printf("Start failed after %u VM(s): no memory or re-adoption figures\n", f->started);
                return;
        }
        printf("%-48s %8.0f KiB             < 2048 KiB (QEMU microvm: 38.7 MiB peak)\n",
               "memory per running VM (PSS, hvd + VM process)", f->total_pss_per_vm);
        printf("%-48s %8.0f KiB\n", "  hvd RSS growth per running VM (anon + file)", f->hvd_rss_per_vm);
        printf("%-48s %8u\n", "  VM processes", f->n_procs);
        if (f->n_procs) {
                printf("%-48s %8.0f KiB %6ld KiB\n", "  VM process PSS beyond guest RAM (mean, max)", f->proc_pss_mean,
                       f->proc_pss_max);
                printf("%-48s %8.0f KiB %6ld KiB\n", "  VM process USS beyond guest RAM (mean, max)", f->proc_uss_mean,
                       f->proc_uss_max);
                printf("%-48s %8.0f KiB\n", "  VM process page tables (VmPTE, mean)", f->proc_pte_mean);
        }
        printf("%-48s %8.0f KiB\n", "guest RAM resident per VM (memfd, left out)", f->guest_per_vm);
        if (!o->hvd_argv)
                return;
        if (f->readopt_rounds == 0)
                printf("hvd restart: not measured\n");
        else
                printf("%-48s %8.1f ms %8.1f ms  (%u rounds)\n", "hvd SIGKILL + restart -> owns org.hvd1",
                       f->readopt_name_p50, f->readopt_name_max, f->readopt_rounds);
        if (f->readopt_all_p50 >= 0)
                printf("%-48s %8.1f ms %8.1f ms\n", "hvd SIGKILL + restart -> lists all 20 running", f->readopt_all_p50,
                       f->readopt_all_max);
        else if (f->readopt_rounds)
                printf("%-48s %8u of %u: the VMs did not outlive hvd\n", "VMs running after the restart",
                       f->readopt_running, N_VMS);
        if (f->readopt_rounds)
                printf("%-48s %8.1f ms\n", "  CPU time the restarted hvd used until then", f->readopt_cpu_p50);
}

/* Each VM process's own figures. */
static void print_vm_processes(const struct figures *f)
{
        if (!f->n_procs)
                return;
        printf("\n%-10s %8s %8s %8s %8s %8s  %s\n", "VM process", "pid", "PSS", "USS", "RSS", "VmPTE",
               "(KiB, beyond guest RAM)");
        for (unsigned i = 0; i < f->n_procs; i++) {
                const struct vm_process *p = &f->procs[i];
                printf("%-10s %8d %8ld %8ld %8ld %8ld\n", p->name, (int)p->pid, p->mem.pss, p->mem.uss, p->mem.rss,
                       p->mem.pte);
        }
}

static void json_number(FILE *out, const char *key, double v, const char *sep)
{
        if (v < 0)
                fprintf(out, "\"%s\": null%s", key, sep);
        else
                fprintf(out, "\"%s\": %.1f%s", key, v, sep);
}

static int write_json(const struct options *o, const struct figures *f)
{
        _cleanup_fclose_ FILE *out = fopen(o->json_path, "we");

        if (!out)
                return -errno;
        fprintf(out, "{\"bench\": \"dbus\", \"vms\": %d, \"calls\": %u,\n", N_VMS, o->calls);
        fprintf(out, " \"listvms_us\": {\"p50\": %.1f, \"p99\": %.1f},\n", f->list_p50, f->list_p99);
        fprintf(out, " \"get_property_us\": {\"p50\": %.1f, \"p99\": %.1f},\n", f->get_p50, f->get_p99);
        fprintf(out, " \"start_to_running_us\": {");
        json_number(out, "p50", f->start_p50, ", ");
        json_number(out, "max", f->start_max, "},\n");
        fprintf(out, " \"start_to_first_byte_us\": {");
        json_number(out, "p50", f->byte_p50, ", ");
        json_number(out, "max", f->byte_max, "},\n ");
        json_number(out, "pss_per_vm_kib", f->total_pss_per_vm, ", ");
        json_number(out, "rss_per_vm_beyond_guest_kib", f->hvd_rss_per_vm, ", ");
        json_number(out, "guest_ram_resident_per_vm_kib", f->guest_per_vm, ",\n");
        fprintf(out, " \"vm_processes\": [");
        for (unsigned i = 0; i < f->n_procs; i++) {
                const struct vm_process *p = &f->procs[i];
                fprintf(out, "%s\n  {\"name\": \"%s\", \"pid\": %d, \"pss_kib\": %ld, \"uss_kib\": %ld, \"rss_kib\": %ld, \"pte_kib\": %ld, \"guest_ram_resident_kib\": %ld}",
                        i ? "," : "", p->name, (int)p->pid, p->mem.pss, p->mem.uss, p->mem.rss, p->mem.pte,
                        p->mem.guest_rss);
        }
        fprintf(out, "],\n \"readopt\": {\"rounds\": %u, ", f->readopt_rounds);
        if (f->readopt_rounds)
                fprintf(out, "\"running_after\": %u, ", f->readopt_running);
        else
                fprintf(out, "\"running_after\": null, ");
        json_number(out, "to_name_ms_p50", f->readopt_name_p50, ", ");
        json_number(out, "to_all_running_ms_p50", f->readopt_all_p50, ", ");
        json_number(out, "to_all_running_ms_max", f->readopt_all_max, ", ");
        json_number(out, "cpu_ms_p50", f->readopt_cpu_p50, "},\n");
        fprintf(out, " \"started\": %u}\n", f->started);
        return fflush(out) == 0 ? 0 : -errno;
}

/* --- main -------------------------------------------------------------------------------- */

static int parse_options(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "calls", required_argument, NULL, 'c' },
                { "runtime-dir", required_argument, NULL, 'r' },
                { "rounds", required_argument, NULL, 'n' },
                { "hvd-log", required_argument, NULL, 'l' },
                {},
        };
        int c;

        *o = (struct options){ .calls = 5000, .rounds = 5 };
        while ((c = getopt_long(argc, argv, "+", longopts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->calls = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        o->runtime_dir = optarg;
                        break;
                case 'n':
                        o->rounds = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        o->hvd_log = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (argc - optind < 2 || o->calls == 0)
                return -EINVAL;
        o->guest_dir = argv[optind];
        o->json_path = argv[optind + 1];
        if (argc - optind > 2 && o->rounds > 0)
                o->hvd_argv = argv + optind + 2;
        return 0;
}

int main(int argc, char **argv)
{
        struct options o;
        static struct figures f = {
                .start_p50 = -1, .start_max = -1, .byte_p50 = -1, .byte_max = -1,
                .hvd_rss_per_vm = -1, .total_pss_per_vm = -1, .guest_per_vm = -1,
                .readopt_name_p50 = -1, .readopt_name_max = -1, .readopt_all_p50 = -1, .readopt_all_max = -1,
                .readopt_cpu_p50 = -1,
        };
        char kernel[4096], path[64];
        unsigned running;
        pid_t hvd = 0;
        int r, status = 0;

        if (parse_options(argc, argv, &o) < 0) {
                fprintf(stderr, "usage: bench-dbus [--calls N] [--runtime-dir DIR] [--rounds N] [--hvd-log FILE] -- "
                                "GUEST-DIR JSON-OUT [HVD-COMMAND...]\n");
                return 2;
        }
        run_start_ns = now_ns();
        r = sd_bus_open_user(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the session bus: %s\n", strerror(-r));
                return 1;
        }
        if (o.hvd_argv) {
                r = start_hvd(&o);
                if (r < 0) {
                        fprintf(stderr, "hvd did not come up: %s (see %s)\n", strerror(-r), o.hvd_log ?: "its output");
                        return 1;
                }
        }
        (void)hvd_owner(&hvd);

        /* spin runs until stopped: the VMs whose memory is measured */
        snprintf(kernel, sizeof(kernel), "%s/spin.elf", o.guest_dir);
        for (unsigned i = 0; i < N_VMS; i++) {
                char def[8192];
                snprintf(def, sizeof(def),
                         "{\"name\": \"" VM_NAME_FMT "\", \"vcpus\": 1, \"memory_mib\": 16, \"boot\": {\"kernel\": \"%s\"}}",
                         i, kernel);
                if (call("/org/hvd1", "org.hvd1.Manager", "DefineVM", NULL, "s", def) < 0)
                        return 1;
        }
        progress("round trips");
        if (measure_round_trips(o.calls, &f) < 0)
                return 1;
        progress("start latency");
        measure_start(&f);
        progress("memory");
        measure_memory(&o, hvd, &f);
        if (f.started < N_VMS)
                status = 3;
        else if (o.hvd_argv) {
                progress("re-adoption");
                measure_readoption(&o, &f);
                if (f.readopt_rounds < o.rounds)
                        status = 4;
        }
        /* an in-process hvd's VMs died with it in the first restart */
        running = f.readopt_rounds == 0 || f.readopt_running == N_VMS ? f.started : 0;
        for (unsigned i = 0; i < N_VMS; i++) {
                vm_path(i, path, sizeof(path));
                if (i < running)
                        (void)call(path, "org.hvd1.VM", "Stop", NULL, NULL);
                (void)call("/org/hvd1", "org.hvd1.Manager", "UndefineVM", NULL, "s", path + strlen("/org/hvd1/vm/"));
        }
        if (hvd_child > 0)
                stop_hvd_child();
        progress("done");

        print_table(&o, &f);
        print_vm_processes(&f);
        r = write_json(&o, &f);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", o.json_path, strerror(-r));
        sd_bus_flush_close_unref(bus);
        return status;
}
