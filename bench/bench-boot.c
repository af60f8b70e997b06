/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot time: VM create -> first byte the guest writes to its serial port, for the hello test
 * guest (a PVH ELF), through hvcore's public API (hv_vm_new + hv_vm_start; the byte arrives in
 * the serial_output callback), beside QEMU's microvm booting the very same ELF in the same run
 * (exec -> first byte on the pipe that is its serial port). Rounds alternate between the two.
 *
 *   bench-boot [RUNS=20] [--guest PATH] [--qemu PATH] [--json FILE]
 * Defaults: $HVD_GUEST_DIR/hello.elf (tests/guests), $QEMU_SYSTEM_X86_64 or
 * qemu-system-x86_64. The vendor plugin is loaded from $HVD_PLUGIN_DIR (plugins) as hvd does. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvcore/vendor.h"
#include "hvcore/vm.h"
#include "macros.h"
#include "bench-stats.h"

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- hvcore */

/* As hvd does: the callbacks (vCPU threads) hand events over an eventfd, and the waiting
 * thread sleeps in poll instead of spinning beside the vCPU on a 2-CPU machine. */
struct run {
        _Atomic uint64_t first_byte_ns;
        _Atomic bool stopped;
        int efd;
};

static void run_notify(struct run *r)
{
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof(one)) < 0) {
                /* the counter cannot overflow here, ignoring */
        }
}

static void on_serial(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata)
{
        struct run *r = userdata;
        uint64_t zero = 0;
        if (atomic_compare_exchange_strong(&r->first_byte_ns, &zero, now_ns()))
                run_notify(r);
}

static void on_state(struct hv_vm *vm, enum hv_vm_state s, const char *reason, void *userdata)
{
        struct run *r = userdata;
        atomic_store(&r->stopped, true);
        run_notify(r);
}

static int hv_boot(const char *guest, uint64_t *ret_first, uint64_t *ret_exit, uint64_t *ret_free)
{
        static const struct hv_vm_callbacks cb = { .state_changed = on_state, .serial_output = on_serial };
        struct run r = { .efd = eventfd(0, EFD_CLOEXEC) };
        if (r.efd < 0)
                return -errno;
        struct hv_vm_config c = { .name = "bench", .vcpus = 1, .memory_mib = 64, .kernel = guest, .cmdline = "quiet=1" };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        uint64_t t0 = now_ns();
        int k = hv_vm_new(&c, &cb, &r, &vm, &err);
        if (k < 0) {
                fprintf(stderr, "bench-boot: hv_vm_new: %s\n", err ? err : strerror(-k));
                return k;
        }
        k = hv_vm_start(vm);
        while (k == 0 && !atomic_load(&r.stopped)) {
                struct pollfd pfd = { .fd = r.efd, .events = POLLIN };
                uint64_t v;
                if (poll(&pfd, 1, 10000) <= 0)
                        k = -ETIMEDOUT;
                else if (read(r.efd, &v, sizeof(v)) < 0)
                        k = -errno;
        }
        uint64_t t1 = now_ns();
        hv_vm_free(vm);
        uint64_t t2 = now_ns();
        close(r.efd);
        if (k < 0 || !atomic_load(&r.first_byte_ns))
                return k < 0 ? k : -EIO;
        *ret_first = atomic_load(&r.first_byte_ns) - t0;
        *ret_exit = t1 - t0;
        *ret_free = t2 - t1;
        return 0;
}

/* ---- QEMU microvm, the same ELF */

static int qemu_boot(const char *qemu, const char *guest, uint64_t *ret_first, uint64_t *ret_exit)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (devnull >= 0) {
                        dup2(devnull, STDIN_FILENO);
                        dup2(devnull, STDERR_FILENO);
                }
                execlp(qemu, qemu, "-enable-kvm", "-cpu", "host,-arch-capabilities", "-M",
                       "microvm,isa-serial=on,rtc=on", "-nodefaults", "-no-user-config", "-display", "none",
                       "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "64",
                       "-kernel", guest, "-append", "quiet=1", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        uint64_t first = 0;
        char buf[4096];
        for (;;) {
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                if (poll(&pfd, 1, 10000) <= 0)
                        break;
                ssize_t n = read(p[0], buf, sizeof(buf));
                if (n > 0 && !first)
                        first = now_ns();
                if (n <= 0)
                        break;
        }
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        uint64_t t1 = now_ns();
        if (!first)
                return -EIO;
        *ret_first = first - t0;
        *ret_exit = t1 - t0;
        return 0;
}

static void row(const char *name, struct stats s)
{
        printf("%-46s %8.2f %8.2f %8.2f %8.2f\n", name, s.p50, s.p99, s.min, s.max);
}

static void put(FILE *f, const char *name, struct stats s, bool comma)
{
        fprintf(f, "    \"%s\": { \"n\": %zu, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f }%s\n",
                name, s.n, s.p50, s.p99, s.min, s.max, comma ? "," : "");
}

int main(int argc, char **argv)
{
        const char *gdir = getenv("HVD_GUEST_DIR"), *pdir = getenv("HVD_PLUGIN_DIR");
        const char *qemu = getenv("QEMU_SYSTEM_X86_64"), *json = NULL;
        char guest_buf[4096];
        snprintf(guest_buf, sizeof(guest_buf), "%s/hello.elf", gdir && *gdir ? gdir : "tests/guests");
        const char *guest = guest_buf;
        size_t runs = 20;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--guest") && i + 1 < argc)
                        guest = argv[++i];
                else if (!strcmp(argv[i], "--qemu") && i + 1 < argc)
                        qemu = argv[++i];
                else if (!strcmp(argv[i], "--json") && i + 1 < argc)
                        json = argv[++i];
                else
                        runs = strtoul(argv[i], NULL, 10);
        }
        if (!qemu || !*qemu)
                qemu = "qemu-system-x86_64";
        if (!runs)
                return 2;
        if (access(guest, R_OK) < 0) {
                fprintf(stderr, "bench-boot: %s: %s\n", guest, strerror(errno));
                return 1;
        }
        struct hv_vendor_verdict *v = NULL;
        size_t nv = 0;
        hv_vendor_load_dir(pdir && *pdir ? pdir : "plugins", &v, &nv);
        free(v);
        if (!hv_vendor_get()) {
                fprintf(stderr, "bench-boot: no vendor plugin in %s claimed this host\n", pdir && *pdir ? pdir : "plugins");
                return 1;
        }
        const char *vendor = hv_vendor_get()->name;

        uint64_t *hf = calloc(runs, 8), *he = calloc(runs, 8), *hfree = calloc(runs, 8);
        uint64_t *qf = calloc(runs, 8), *qe = calloc(runs, 8);
        size_t nq = 0;
        bool have_qemu = true;
        uint64_t dummy[3];
        hv_boot(guest, &dummy[0], &dummy[1], &dummy[2]); /* warm the page cache, like QEMU's binary */
        for (size_t i = 0; i < runs; i++) {
                int r = hv_boot(guest, &hf[i], &he[i], &hfree[i]);
                if (r < 0) {
                        fprintf(stderr, "bench-boot: hvcore run %zu failed: %s\n", i, strerror(-r));
                        return 1;
                }
                if (have_qemu) {
                        r = qemu_boot(qemu, guest, &qf[nq], &qe[nq]);
                        if (r < 0) {
                                fprintf(stderr, "bench-boot: QEMU (%s) gave no serial output; QEMU figures left out\n", qemu);
                                have_qemu = false;
                        } else
                                nq++;
                }
        }
        struct stats s_hf = stats_of(hf, runs, 1e6), s_he = stats_of(he, runs, 1e6), s_hfree = stats_of(hfree, runs, 1e6);
        struct stats s_qf = stats_of(qf, nq, 1e6), s_qe = stats_of(qe, nq, 1e6);
        printf("boot of %s, %zu runs each, 64 MiB, 1 vCPU, vendor plugin: %s\n", guest, runs, vendor);
        printf("%-46s %8s %8s %8s %8s\n", "", "p50 ms", "p99 ms", "min ms", "max ms");
        row("hvcore: hv_vm_new -> first serial byte", s_hf);
        row("hvcore: hv_vm_new -> guest exited", s_he);
        row("hvcore: hv_vm_free", s_hfree);
        if (nq) {
                row("QEMU microvm: exec -> first serial byte", s_qf);
                row("QEMU microvm: exec -> process exit", s_qe);
                printf("first byte: hvcore %.2f ms vs QEMU %.2f ms (%.1fx faster); target < 10 ms and faster than QEMU: %s\n",
                       s_hf.p50, s_qf.p50, s_qf.p50 / s_hf.p50, s_hf.p50 < 10 && s_hf.p50 < s_qf.p50 ? "met" : "NOT met");
        }
        FILE *f = json ? fopen(json, "we") : stdout;
        if (!f)
                return 1;
        fprintf(f, "{\n  \"benchmark\": \"boot\",\n  \"guest\": \"%s\",\n  \"runs\": %zu,\n  \"vendor\": \"%s\",\n  \"results\": {\n",
                guest, runs, vendor);
        put(f, "hvcore_first_byte", s_hf, true);
        put(f, "hvcore_guest_exit", s_he, true);
        put(f, "hvcore_free", s_hfree, nq > 0);
        if (nq) {
                put(f, "qemu_microvm_first_byte", s_qf, true);
                put(f, "qemu_microvm_exit", s_qe, false);
        }
        fprintf(f, "  },\n  \"target_first_byte_ms\": 10,\n  \"meets_target\": %s\n}\n",
                s_hf.p50 < 10 && (!nq || s_hf.p50 < s_qf.p50) ? "true" : "false");
        if (f != stdout)
                fclose(f);
        return 0;
}
