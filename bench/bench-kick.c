/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kick latency: a request made of a vCPU spinning in the guest -> that vCPU out of guest mode
 * (its thread's timestamp right after KVM_RUN returned), through hvcore's request/kick path
 * (hv_make_request_and_kick: Dekker, CAS to EXITING_GUEST_MODE, immediate_exit, signal),
 * beside the raw cost of a signal interrupting KVM_RUN on a bare vCPU (no hvcore at all:
 * pthread_kill -> -EINTR, as peers/kvmbench.c measured). Same run, same pinning (vCPU thread
 * on CPU 1, requester on CPU 0), rounds alternating between the two.
 *
 *   bench-kick [KICKS_PER_ROUND=2000] [ROUNDS=5] [--json FILE]
 * Prints a table and a JSON document (stdout, or FILE). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "host/host-internal.h"
#include "hvcore/kvm-host.h"
#include "macros.h"
#include "vm/request.h"
#include "test-vm-guest.h"
#include "bench-stats.h"

#define VCPU_CPU 1
#define REQ_CPU 0

static int pin(pthread_t t, int cpu)
{
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
        return -pthread_setaffinity_np(t, sizeof(set), &set);
}

static void busy_wait_ns(uint64_t ns)
{
        uint64_t t0 = hv_now_ns();
        while (hv_now_ns() - t0 < ns)
                ;
}

/* ---- raw baseline: a bare vCPU spinning in `jmp $`, a signal ends KVM_RUN (the way of
 * peers/kvmbench.c, whose figures RESULTS.md quotes) */

struct raw {
        int kvm, vm, vcpu;
        struct kvm_run *run;
        size_t run_size;
        uint8_t *mem;
        pthread_t thread;
        _Atomic bool in_run, quit, hold;
        _Atomic uint64_t exit_ns, exits;
};

static void raw_handler(int sig)
{
}

static void *raw_thread(void *arg)
{
        struct raw *r = arg;
        /* SIGUSR1 blocked except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so a signal can only
         * end a KVM_RUN, never be lost before one; consumed with sigtimedwait after -EINTR */
        sigset_t usr1, inside;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &usr1, &inside);
        sigdelset(&inside, SIGUSR1);
        struct {
                struct kvm_signal_mask m;
                uint8_t set[8];
        } km = { .m.len = 8 };
        memcpy(km.set, &inside, 8);
        if (ioctl(r->vcpu, KVM_SET_SIGNAL_MASK, &km) < 0) {
                fprintf(stderr, "KVM_SET_SIGNAL_MASK: %s\n", strerror(errno));
                return NULL;
        }
        const struct timespec zero = { 0 };
        while (!atomic_load(&r->quit)) {
                if (atomic_load(&r->hold)) { /* between rounds: leave CPU 1 to the other vCPU */
                        usleep(200);
                        continue;
                }
                atomic_store(&r->in_run, true);
                int k = ioctl(r->vcpu, KVM_RUN, 0);
                int err = errno;
                atomic_store(&r->exit_ns, hv_now_ns());
                if (k < 0 && err == EINTR)
                        sigtimedwait(&usr1, NULL, &zero);
                atomic_store(&r->in_run, false);
                atomic_fetch_add(&r->exits, 1);
                if (k < 0 && err != EINTR) {
                        fprintf(stderr, "raw KVM_RUN: %s\n", strerror(err));
                        break;
                }
        }
        return NULL;
}

static int raw_new(struct raw *r)
{
        memset(r, 0, sizeof(*r));
        r->kvm = hv_kvm_open();
        if (r->kvm < 0)
                return r->kvm;
        r->vm = ioctl(r->kvm, KVM_CREATE_VM, 0);
        r->run_size = (size_t)ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        r->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r->vm < 0 || r->mem == MAP_FAILED)
                return -errno;
        r->mem[0x1000] = 0xeb; /* jmp $ */
        r->mem[0x1001] = 0xfe;
        struct kvm_userspace_memory_region m = { .slot = 0, .memory_size = 0x10000, .userspace_addr = (uintptr_t)r->mem };
        if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &m) < 0)
                return -errno;
        r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
        if (r->vcpu < 0)
                return -errno;
        r->run = mmap(NULL, r->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->vcpu, 0);
        if (r->run == MAP_FAILED)
                return -errno;
        struct kvm_sregs s;
        ioctl(r->vcpu, KVM_GET_SREGS, &s);
        struct kvm_segment seg = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1, .db = 1, .s = 1, .g = 1 };
        s.ds = s.es = s.fs = s.gs = s.ss = seg;
        seg.type = 11;
        seg.selector = 8;
        s.cs = seg;
        s.cr0 |= 1;
        struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
        if (ioctl(r->vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(r->vcpu, KVM_SET_REGS, &regs) < 0)
                return -errno;
        struct sigaction sa = { .sa_handler = raw_handler };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        if (pthread_create(&r->thread, NULL, raw_thread, r) != 0)
                return -EAGAIN;
        return pin(r->thread, VCPU_CPU);
}

static void raw_hold(struct raw *r);

static void raw_free(struct raw *r)
{
        atomic_store(&r->quit, true);
        raw_hold(r);
        pthread_join(r->thread, NULL);
        munmap(r->run, r->run_size);
        munmap(r->mem, 0x10000);
        close(r->vcpu);
        close(r->vm);
        close(r->kvm);
}

static void raw_hold(struct raw *r)
{
        atomic_store(&r->hold, true);
        while (atomic_load(&r->in_run)) {
                pthread_kill(r->thread, SIGUSR1);
                busy_wait_ns(100000);
        }
}

static int raw_round(struct raw *r, uint64_t *lat, size_t n, unsigned *seed)
{
        atomic_store(&r->hold, false);
        for (size_t i = 0; i < n; i++) {
                while (!atomic_load(&r->in_run))
                        ;
                busy_wait_ns(20000 + (uint64_t)(rand_r(seed) % 100000)); /* well inside KVM_RUN */
                uint64_t before = atomic_load(&r->exits);
                uint64_t t0 = hv_now_ns();
                pthread_kill(r->thread, SIGUSR1);
                uint64_t w0 = hv_now_ns();
                while (atomic_load(&r->exits) == before)
                        if (hv_now_ns() - w0 > 1000000000ull) {
                                fprintf(stderr, "bench-kick: raw kick %zu lost\n", i);
                                return -ETIMEDOUT;
                        }
                lat[i] = atomic_load(&r->exit_ns) - t0;
        }
        raw_hold(r);
        return 0;
}

/* ---- hvcore: a VM whose vCPU spins, requests through hv_make_request_and_kick */

static int hv_round(struct hv_vm *vm, uint64_t *lat, size_t n, unsigned *seed)
{
        struct hv_vcpu *v = vm->vcpus[0];
        for (size_t i = 0; i < n; i++) {
                while (hv_mode_of(atomic_load(&v->mode_word)) != HV_IN_GUEST_MODE)
                        ;
                busy_wait_ns(20000 + (uint64_t)(rand_r(seed) % 100000));
                uint64_t before = atomic_load(&v->nr_exits);
                uint64_t t0 = hv_now_ns();
                hv_make_request_and_kick(HV_REQ_DIRTY_RING_HARVEST, v);
                uint64_t w0 = hv_now_ns();
                while (atomic_load(&v->nr_exits) == before)
                        if (hv_now_ns() - w0 > 1000000000ull) {
                                fprintf(stderr, "bench-kick: hvcore kick %zu lost (mode %#x)\n", i,
                                        (unsigned)atomic_load(&v->mode_word));
                                return -ETIMEDOUT;
                        }
                lat[i] = atomic_load(&v->exit_ns) - t0;
        }
        return 0;
}

static void put_stats(FILE *f, const char *name, struct stats s, bool comma)
{
        fprintf(f, "    \"%s\": { \"n\": %zu, \"p50_us\": %.2f, \"p99_us\": %.2f, \"min_us\": %.2f, \"max_us\": %.2f }%s\n",
                name, s.n, s.p50, s.p99, s.min, s.max, comma ? "," : "");
}

int main(int argc, char **argv)
{
        const char *json = NULL;
        size_t per_round = 2000, rounds = 5;
        int pos = 0;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--json") && i + 1 < argc)
                        json = argv[++i];
                else if (pos++ == 0)
                        per_round = strtoul(argv[i], NULL, 10);
                else
                        rounds = strtoul(argv[i], NULL, 10);
        }
        if (!per_round || !rounds)
                return 2;

        if (raw_guest_vendor_load() < 0)
                return 1;
        pin(pthread_self(), REQ_CPU);
        struct raw raw;
        int r = raw_new(&raw);
        if (r < 0) {
                fprintf(stderr, "bench-kick: raw vCPU: %s\n", strerror(-r));
                return 1;
        }
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        if (!vm)
                return 1;
        atomic_store(&vm->vcpus[0]->stamp_exits, true);
        pin(vm->vcpus[0]->thread, VCPU_CPU);
        hv_vm_start(vm);
        hv_vm_pause(vm);

        size_t total = per_round * rounds;
        uint64_t *lraw = calloc(total, sizeof(uint64_t)), *lhv = calloc(total, sizeof(uint64_t));
        unsigned seed = 12345;
        /* alternate rounds, so the machine's noise hits both alike; the idle one is out of
         * KVM_RUN (hvcore VM paused, raw vCPU held), so CPU 1 runs one vCPU at a time */
        raw_hold(&raw);
        for (size_t k = 0; k < rounds && r == 0; k++) {
                r = raw_round(&raw, lraw + k * per_round, per_round, &seed);
                hv_vm_resume(vm);
                if (r == 0)
                        r = hv_round(vm, lhv + k * per_round, per_round, &seed);
                hv_vm_pause(vm);
        }
        raw_free(&raw);
        uint64_t kicks = atomic_load(&vm->vcpus[0]->nr_kicks), exits = atomic_load(&vm->vcpus[0]->nr_exits);
        vm = hv_vm_free(vm);
        if (r < 0) {
                fprintf(stderr, "bench-kick: a kick did not end KVM_RUN within 1 s\n");
                return 1;
        }
        struct stats sr = stats_of(lraw, total, 1e3), sh = stats_of(lhv, total, 1e3);
        double q50 = sh.p50 / sr.p50, q99 = sh.p99 / sr.p99;
        printf("kick latency, %zu kicks each (%zu rounds), vCPU thread on CPU %d, requester on CPU %d\n",
               total, rounds, VCPU_CPU, REQ_CPU);
        printf("%-44s %9s %9s %9s %9s\n", "", "p50 us", "p99 us", "min us", "max us");
        printf("%-44s %9.2f %9.2f %9.2f %9.2f\n", "raw signal -> KVM_RUN -EINTR (bare vCPU)", sr.p50, sr.p99, sr.min, sr.max);
        printf("%-44s %9.2f %9.2f %9.2f %9.2f\n", "hvcore request -> vCPU out of guest mode", sh.p50, sh.p99, sh.min, sh.max);
        printf("ratio hvcore/raw: p50 %.2fx (target <= 1.5x), p99 %.2fx (target <= 2x); signals sent %" PRIu64
               ", exits %" PRIu64 "\n", q50, q99, kicks, exits);

        FILE *f = json ? fopen(json, "we") : stdout;
        if (!f)
                return 1;
        fprintf(f, "{\n  \"benchmark\": \"kick\",\n  \"kicks\": %zu,\n  \"rounds\": %zu,\n  \"results\": {\n", total, rounds);
        put_stats(f, "raw_signal_eintr", sr, true);
        put_stats(f, "hvcore_request_kick", sh, false);
        fprintf(f, "  },\n  \"ratio_p50\": %.3f,\n  \"ratio_p99\": %.3f,\n  \"target_ratio_p50\": 1.5,\n"
                   "  \"target_ratio_p99\": 2.0,\n  \"meets_target\": %s\n}\n",
                q50, q99, q50 <= 1.5 && q99 <= 2.0 ? "true" : "false");
        if (f != stdout)
                fclose(f);
        free(lraw);
        free(lhv);
        return 0;
}
