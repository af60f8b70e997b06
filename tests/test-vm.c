/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM lifecycle on real vCPUs: state transitions and their refusals, pause/resume in a
 * loop while the guest runs (and requests fly), guest exit through the debug-exit port,
 * serial output, crashes (triple fault, emulation failure) that leave other VMs running,
 * and reset. Guests are raw code (tests/test-vm-guest.c). */
#include <inttypes.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv-test.h"
#include "hvcore/vendor.h"
#include "macros.h"
#include "vm/request.h"
#include "test-vm-guest.h"

static const uint8_t exit_code[] = { 0xb8, 0x10, 0, 0, 0, 0xe7, 0xf4, 0xeb, 0xfe }; /* out 0xf4, 0x10 */
static const struct raw_guest guest_exit = { exit_code, sizeof(exit_code), { 0 } };
static const uint8_t hello_code[] = {
        0x66, 0xba, 0xf8, 0x03,             /* mov dx, 0x3f8 */
        0xb0, 'h', 0xee, 0xb0, 'i', 0xee,   /* out 'h', 'i' */
        0xb0, '\n', 0xee,                   /* out '\n' */
        0xb8, 0, 0, 0, 0, 0xe7, 0xf4,       /* out 0xf4, 0 */
        0xeb, 0xfe,
};
static const struct raw_guest guest_hello = { hello_code, sizeof(hello_code), { 0 } };
static const uint8_t ud2_code[] = { 0x0f, 0x0b }; /* #UD with no IDT: triple fault */
static const struct raw_guest guest_triple_fault = { ud2_code, sizeof(ud2_code), { 0 } };
static const uint8_t int3_code[] = { 0xcc }; /* KVM's emulator (kvm_pvm) cannot do it */
static const struct raw_guest guest_int3 = { int3_code, sizeof(int3_code), { 0 } };

#define WAIT_NS (10ull * 1000000000ull)

struct events {
        pthread_mutex_t lock;
        int changes;
        int input_ready;
        int resets;
        enum hv_vm_state last;
        char reason[256];
        char serial[256];
        size_t serial_len;
};

static void on_state(struct hv_vm *vm, enum hv_vm_state s, const char *reason, void *userdata)
{
        struct events *e = userdata;
        pthread_mutex_lock(&e->lock);
        e->changes++;
        e->last = s;
        snprintf(e->reason, sizeof(e->reason), "%s", reason);
        pthread_mutex_unlock(&e->lock);
}

static void on_serial(struct hv_vm *vm, const uint8_t *buf, size_t len, void *userdata)
{
        struct events *e = userdata;
        pthread_mutex_lock(&e->lock);
        len = MIN(len, sizeof(e->serial) - 1 - e->serial_len);
        memcpy(e->serial + e->serial_len, buf, len);
        e->serial_len += len;
        pthread_mutex_unlock(&e->lock);
}

static void on_input_ready(struct hv_vm *vm, void *userdata)
{
        struct events *e = userdata;
        pthread_mutex_lock(&e->lock);
        e->input_ready++;
        pthread_mutex_unlock(&e->lock);
}

static const struct hv_vm_callbacks callbacks = {
        .state_changed = on_state, .serial_output = on_serial, .serial_input_ready = on_input_ready,
};

static void on_guest_reset(struct hv_vm *vm, void *userdata)
{
        struct events *e = userdata;
        pthread_mutex_lock(&e->lock);
        e->resets++;
        pthread_mutex_unlock(&e->lock);
}

static void events_init(struct events *e)
{
        memset(e, 0, sizeof(*e));
        pthread_mutex_init(&e->lock, NULL);
}

static bool wait_state(struct hv_vm *vm, enum hv_vm_state s)
{
        uint64_t t0 = hv_now_ns();
        while (hv_vm_get_state(vm) != s)
                if (hv_now_ns() - t0 > WAIT_NS)
                        return false;
                else
                        sched_yield();
        return true;
}

/* The guest makes progress: vCPU i's counter moves. */
static bool wait_progress(struct hv_vm *vm, uint32_t i)
{
        uint32_t c0 = raw_guest_counter(vm, i);
        uint64_t t0 = hv_now_ns();
        while (raw_guest_counter(vm, i) == c0)
                if (hv_now_ns() - t0 > WAIT_NS)
                        return false;
                else
                        sched_yield();
        return true;
}

/* vCPU i acknowledged the current park epoch: asleep, out of guest mode, holding nothing */
static bool vcpu_parked(struct hv_vm *vm, uint32_t i)
{
        return atomic_load(&vm->vcpus[i]->parked_epoch) == atomic_load(&vm->park_epoch);
}

START_TEST(test_state_strings)
{
        ck_assert_str_eq(hv_vm_state_to_string(HV_VM_STATE_CREATED), "created");
        ck_assert_str_eq(hv_vm_state_to_string(HV_VM_STATE_RUNNING), "running");
        ck_assert_str_eq(hv_vm_state_to_string(HV_VM_STATE_PAUSED), "paused");
        ck_assert_str_eq(hv_vm_state_to_string(HV_VM_STATE_STOPPED), "stopped");
        ck_assert_str_eq(hv_vm_state_to_string(HV_VM_STATE_CRASHED), "crashed");
        ck_assert_ptr_null(hv_vm_state_to_string(_HV_VM_STATE_MAX));
        ck_assert_ptr_null(hv_vm_state_to_string(_HV_VM_STATE_INVALID));
}
END_TEST

START_TEST(test_new_rejects_bad_config)
{
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        struct hv_vm_config c = { .name = "bad", .vcpus = 0, .memory_mib = 16, .kernel = "/nonexistent" };
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "vcpus"));
        c.vcpus = 1;
        c.memory_mib = 0;
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "memory_mib"));
        c.memory_mib = 1u << 20;
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -EINVAL);
        c.memory_mib = 16;
        c.vcpus = 100000;
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "vcpus"));
        c.vcpus = 1;
        c.kernel = NULL;
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "kernel"));
        ck_assert_ptr_null(vm); /* ret_vm untouched on failure */
        ck_assert_ptr_null(hv_vm_free(NULL));
}
END_TEST

/* hv_vm_new needs a vendor plugin (vm.h): without one it refuses, leaving nothing behind,
 * instead of running vCPUs with CPUID passed through. The plugin is loaded again after. */
START_TEST(test_new_refuses_without_vendor)
{
        ck_assert_ptr_nonnull(hv_vendor_get());
        ck_assert_int_eq(hv_vendor_unload(), 0);
        ck_assert_ptr_null(hv_vendor_get());
        struct hv_vm_config c = { .name = "novendor", .vcpus = 1, .memory_mib = 16, .kernel = "/nonexistent/vmlinux" };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        ck_assert_int_eq(hv_vm_new(&c, NULL, NULL, &vm, &err), -ENODEV);
        ck_assert_str_eq(err, "no vendor plugin is registered");
        ck_assert_ptr_null(vm);
        /* raw-code guests (hooks) are refused too */
        ck_assert_ptr_null(raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL));
        ck_assert_int_eq(raw_guest_vendor_load(), 0);
        vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        vm = hv_vm_free(vm);
}
END_TEST

/* Each vCPU's CPUID is KVM_GET_SUPPORTED_CPUID with the vendor plugin's fix-ups: here the
 * topology the plugin writes (core count in 0x80000008, the APIC ID in 0x8000001e). */
START_TEST(test_cpuid_goes_through_vendor_fixups)
{
        const struct hv_vendor_ops *ops = hv_vendor_get();
        ck_assert_msg(ops != NULL, "no vendor plugin registered from %s", hv_test_plugin_dir());
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        struct {
                struct kvm_cpuid2 c;
                struct kvm_cpuid_entry2 e[256];
        } cpuid;
        bool checked = false;
        for (uint32_t i = 0; i < 2; i++) {
                memset(&cpuid, 0, sizeof(cpuid));
                cpuid.c.nent = 256;
                ck_assert_int_eq(ioctl(vm->vcpus[i]->fd, KVM_GET_CPUID2, &cpuid), 0);
                ck_assert_uint_gt(cpuid.c.nent, 0);
                for (uint32_t k = 0; k < cpuid.c.nent; k++) {
                        const struct kvm_cpuid_entry2 *e = &cpuid.e[k];
                        if (!strcmp(ops->name, "x86-svm") && e->function == 0x80000008) {
                                ck_assert_uint_eq(e->ecx & 0xff, 1); /* 2 vCPUs: cores - 1 */
                                checked = true;
                        }
                        if (!strcmp(ops->name, "x86-svm") && e->function == 0x8000001e)
                                ck_assert_uint_eq(e->eax, i);
                        if (e->function == 0x80000001 && !strcmp(ops->name, "x86-svm"))
                                ck_assert_msg(!(e->ecx & (1u << 2)) || strstr(ops->kvm_module(), "amd"),
                                              "SVM shown to the guest without nested");
                }
        }
        if (!strcmp(ops->name, "x86-svm"))
                ck_assert(checked);
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_transitions_and_refusals)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_CREATED);
        ck_assert_int_eq(hv_vm_pause(vm), -EBUSY);
        ck_assert_int_eq(hv_vm_resume(vm), -EBUSY);
        ck_assert_int_eq(hv_vm_reset(vm), -EBUSY);
        /* created vCPUs are parked: the guest has not run */
        for (uint32_t i = 0; i < 2; i++) {
                while (!vcpu_parked(vm, i))
                        sched_yield();
                ck_assert_uint_eq(raw_guest_counter(vm, i), 0);
        }
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        ck_assert_int_eq(hv_vm_start(vm), -EBUSY);
        ck_assert_int_eq(hv_vm_resume(vm), -EBUSY);
        ck_assert(wait_progress(vm, 0) && wait_progress(vm, 1));
        ck_assert_int_eq(hv_vm_pause(vm), 0);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_PAUSED);
        ck_assert_int_eq(hv_vm_pause(vm), -EBUSY);
        ck_assert_int_eq(hv_vm_resume(vm), 0);
        ck_assert_int_eq(hv_vm_stop(vm), 0);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_STOPPED);
        /* stopped: every vCPU parked, its thread kept for a reset (only hv_vm_free ends it) */
        uint32_t c[2];
        for (uint32_t i = 0; i < 2; i++) {
                ck_assert(vcpu_parked(vm, i));
                ck_assert(!atomic_load(&vm->vcpus[i]->exited));
                c[i] = raw_guest_counter(vm, i);
        }
        for (int k = 0; k < 50; k++)
                sched_yield();
        for (uint32_t i = 0; i < 2; i++)
                ck_assert_uint_eq(raw_guest_counter(vm, i), c[i]);
        ck_assert_int_eq(hv_vm_start(vm), -EBUSY);
        ck_assert_int_eq(hv_vm_pause(vm), -EBUSY);
        char reason[64];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "stopped");
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_free_in_created_state)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_ptr_null(hv_vm_free(vm));
}
END_TEST

struct noise {
        struct hv_vm *vm;
        _Atomic bool stop;
        _Atomic uint64_t made;
};

static void *noise_requester(void *arg)
{
        struct noise *n = arg;
        unsigned seed = 7;
        static const unsigned reqs[] = { HV_REQ_TLB_FLUSH, HV_REQ_UNBLOCK, HV_REQ_OUTSIDE_GUEST_MODE,
                                         HV_REQ_DIRTY_RING_HARVEST | HV_REQUEST_NO_WAKEUP,
                                         HV_REQ_MEMSLOT_RELOAD };
        while (!atomic_load(&n->stop)) {
                unsigned req = reqs[rand_r(&seed) % ARRAY_SIZE(reqs)];
                if (rand_r(&seed) & 1)
                        hv_make_all_vcpus_request(n->vm, req);
                else
                        hv_make_request_and_kick(req, n->vm->vcpus[rand_r(&seed) % n->vm->nr_vcpus]);
                atomic_fetch_add(&n->made, 1);
                sched_yield();
        }
        return NULL;
}

START_TEST(test_pause_resume_loop)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        struct noise n = { .vm = vm };
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, noise_requester, &n), 0);
        for (int cycle = 0; cycle < 200; cycle++) {
                ck_assert_int_eq(hv_vm_pause(vm), 0);
                uint32_t c[2];
                for (uint32_t i = 0; i < 2; i++) {
                        struct hv_vcpu *v = vm->vcpus[i];
                        ck_assert(vcpu_parked(vm, i));
                        ck_assert_int_eq(hv_mode_of(atomic_load(&v->mode_word)), HV_OUTSIDE_GUEST_MODE);
                        c[i] = raw_guest_counter(vm, i);
                }
                /* parked vCPUs do not run the guest, however many requests wake them */
                for (int k = 0; k < 20; k++)
                        sched_yield();
                for (uint32_t i = 0; i < 2; i++)
                        ck_assert_uint_eq(raw_guest_counter(vm, i), c[i]);
                ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_PAUSED);
                ck_assert_int_eq(hv_vm_resume(vm), 0);
                if (cycle % 20 == 0)
                        ck_assert(wait_progress(vm, 0) && wait_progress(vm, 1));
        }
        ck_assert(wait_progress(vm, 0) && wait_progress(vm, 1));
        atomic_store(&n.stop, true);
        pthread_join(t, NULL);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_debug_exit_stops_vm)
{
        struct events e;
        events_init(&e);
        struct hv_vm *vm = raw_guest_vm_new(&guest_exit, 2, 2, &callbacks, &e);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        char reason[128];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "guest exited with code 16 (status 33)");
        ck_assert_int_eq(vm->exit_code, 33);
        for (uint32_t i = 0; i < 2; i++)
                while (!vcpu_parked(vm, i))
                        sched_yield(); /* both vCPUs park, their threads kept for a reset */
        pthread_mutex_lock(&e.lock);
        ck_assert_int_eq(e.changes, 1);
        ck_assert_int_eq(e.last, HV_VM_STATE_STOPPED);
        pthread_mutex_unlock(&e.lock);
        ck_assert_int_eq(hv_vm_pause(vm), -EBUSY);
        /* reset runs it again, to the same end */
        ck_assert_int_eq(hv_vm_reset(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_serial_output)
{
        struct events e;
        events_init(&e);
        struct hv_vm *vm = raw_guest_vm_new(&guest_hello, 1, 2, &callbacks, &e);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        pthread_mutex_lock(&e.lock);
        ck_assert_str_eq(e.serial, "hi\n");
        pthread_mutex_unlock(&e.lock);
        vm = hv_vm_free(vm);
}
END_TEST

static void check_crash_isolated(const struct raw_guest *g, const char *expect)
{
        struct events e;
        events_init(&e);
        struct hv_vm *good = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        struct hv_vm *bad = raw_guest_vm_new(g, 2, 2, &callbacks, &e);
        ck_assert_ptr_nonnull(good);
        ck_assert_ptr_nonnull(bad);
        ck_assert_int_eq(hv_vm_start(good), 0);
        ck_assert_int_eq(hv_vm_start(bad), 0);
        ck_assert(wait_state(bad, HV_VM_STATE_CRASHED));
        char reason[256];
        hv_vm_get_state_reason(bad, reason, sizeof(reason));
        ck_assert_msg(strstr(reason, expect), "reason '%s' lacks '%s'", reason, expect);
        for (uint32_t i = 0; i < 2; i++)
                while (!vcpu_parked(bad, i))
                        sched_yield(); /* both park, after the callback */
        pthread_mutex_lock(&e.lock);
        ck_assert_int_eq(e.last, HV_VM_STATE_CRASHED);
        ck_assert_int_eq(e.changes, 1); /* two vCPUs crash, one report */
        pthread_mutex_unlock(&e.lock);
        ck_assert_int_eq(hv_vm_pause(bad), -EBUSY);
        /* the other VM never noticed */
        ck_assert_int_eq(hv_vm_get_state(good), HV_VM_STATE_RUNNING);
        ck_assert(wait_progress(good, 0));
        ck_assert_int_eq(hv_vm_pause(good), 0);
        ck_assert_int_eq(hv_vm_resume(good), 0);
        /* a crashed VM can be reset: it runs, and crashes again the same way */
        ck_assert_int_eq(hv_vm_reset(bad), 0);
        ck_assert(wait_state(bad, HV_VM_STATE_CRASHED));
        ck_assert_int_eq(hv_vm_stop(bad), 0);
        ck_assert_int_eq(hv_vm_get_state(bad), HV_VM_STATE_CRASHED); /* stop keeps the cause */
        bad = hv_vm_free(bad);
        ck_assert(wait_progress(good, 0));
        good = hv_vm_free(good);
}

START_TEST(test_triple_fault_crashes_only_its_vm)
{
        check_crash_isolated(&guest_triple_fault, "triple fault");
}
END_TEST

START_TEST(test_emulation_failure_crashes_only_its_vm)
{
        check_crash_isolated(&guest_int3, "emulation failure");
}
END_TEST

START_TEST(test_reset_zeroes_ram_and_runs_again)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_progress(vm, 0));
        memset(vm->ram.host + 0x20000, 0xa5, 4096);
        ck_assert_int_eq(hv_vm_pause(vm), 0);
        ck_assert_int_eq(hv_vm_reset(vm), 0);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        ck_assert_uint_eq(vm->ram.host[0x20000], 0);
        ck_assert(wait_progress(vm, 0) && wait_progress(vm, 1));
        ck_assert_int_eq(hv_vm_reset(vm), 0); /* from RUNNING */
        ck_assert(wait_progress(vm, 1));
        vm = hv_vm_free(vm);
}
END_TEST

static int setup_vcpu_fails(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        return -EIO;
}

/* A reset that fails half-way leaves a crashed VM whose reason names the cause (the cause's
 * text must not be overwritten while it is formatted into the reason), and that VM can be
 * reset again and freed. */
START_TEST(test_failed_reset_reports_cause)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_progress(vm, 0));
        int (*setup)(struct hv_vm *, struct hv_vcpu *, void *) = vm->hooks.setup_vcpu;
        vm->hooks.setup_vcpu = setup_vcpu_fails;
        ck_assert_int_eq(hv_vm_reset(vm), -EIO);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_CRASHED);
        char reason[256];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        char want[256];
        snprintf(want, sizeof(want), "reset failed: vCPU 0 setup failed: %s", strerror(EIO));
        ck_assert_str_eq(reason, want);
        vm->hooks.setup_vcpu = setup;
        ck_assert_int_eq(hv_vm_reset(vm), 0);
        ck_assert(wait_progress(vm, 1));
        vm = hv_vm_free(vm);
}
END_TEST


/* ---- vCPU lifetimes (issue: a reset freed vCPUs under a requester that had won its CAS) */

struct requester {
        struct hv_vm *vm;
        _Atomic bool stop;
        _Atomic uint64_t made;
};

static void *requester_run(void *arg)
{
        struct requester *q = arg;
        while (!atomic_load(&q->stop)) {
                hv_make_all_vcpus_request(q->vm, HV_REQ_UNBLOCK);
                atomic_fetch_add(&q->made, 1);
        }
        return NULL;
}

/* vCPUs live as long as the VM: a reset keeps the KVM VM, every vCPU object and its thread,
 * so requesters racing with resets never touch freed memory (ASan) or a joined thread. */
START_TEST(test_reset_keeps_vcpus_under_requesters)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        struct hv_vcpu *before[2] = { vm->vcpus[0], vm->vcpus[1] };
        int fds[2] = { vm->vcpus[0]->fd, vm->vcpus[1]->fd }, vm_fd = vm->vm_fd;
        pthread_t threads[2] = { vm->vcpus[0]->thread, vm->vcpus[1]->thread };
        struct requester q = { .vm = vm };
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, requester_run, &q), 0);
        for (int i = 0; i < 30; i++) {
                ck_assert_int_eq(hv_vm_reset(vm), 0);
                ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        }
        ck_assert(wait_progress(vm, 0) && wait_progress(vm, 1));
        atomic_store(&q.stop, true);
        pthread_join(t, NULL);
        ck_assert_uint_gt(atomic_load(&q.made), 0);
        ck_assert_int_eq(vm->vm_fd, vm_fd);
        for (uint32_t i = 0; i < 2; i++) {
                ck_assert_ptr_eq(vm->vcpus[i], before[i]);
                ck_assert_int_eq(vm->vcpus[i]->fd, fds[i]);
                ck_assert(pthread_equal(vm->vcpus[i]->thread, threads[i]));
        }
        vm = hv_vm_free(vm);
}
END_TEST

/* A reset puts every vCPU back to its power-on registers before the guest is set up again:
 * a register the guest dirtied is back to KVM's reset value. */
START_TEST(test_reset_restores_power_on_registers)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_progress(vm, 0));
        ck_assert_int_eq(hv_vm_pause(vm), 0);
        /* raw_guest_setup_vcpu edits the special registers it finds: cr2 would survive */
        struct kvm_sregs sregs;
        ck_assert_int_eq(ioctl(vm->vcpus[0]->fd, KVM_GET_SREGS, &sregs), 0);
        sregs.cr2 = 0xdeadb000;
        ck_assert_int_eq(ioctl(vm->vcpus[0]->fd, KVM_SET_SREGS, &sregs), 0);
        ck_assert_int_eq(hv_vm_reset(vm), 0);
        ck_assert(wait_progress(vm, 0));
        ck_assert_int_eq(hv_vm_pause(vm), 0);
        ck_assert_int_eq(ioctl(vm->vcpus[0]->fd, KVM_GET_SREGS, &sregs), 0);
        ck_assert_uint_eq(sregs.cr2, 0);
        vm = hv_vm_free(vm);
}
END_TEST

/* ---- pause means parked */

/* After hv_vm_pause returns, every vCPU acknowledged this pause and holds no vcpu->mutex
 * (a stale "parked" from the previous pause once let it report PAUSED too early). */
START_TEST(test_paused_vcpus_hold_nothing)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 2, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        for (int cycle = 0; cycle < 300; cycle++) {
                ck_assert_int_eq(hv_vm_pause(vm), 0);
                for (uint32_t i = 0; i < 2; i++) {
                        ck_assert(vcpu_parked(vm, i));
                        ck_assert_msg(hv_mutex_trylock(&vm->vcpus[i]->mutex), "cycle %d: vCPU %u holds its mutex",
                                      cycle, i);
                        hv_mutex_unlock(&vm->vcpus[i]->mutex);
                }
                ck_assert_int_eq(hv_vm_resume(vm), 0);
        }
        vm = hv_vm_free(vm);
}
END_TEST

static void stall_once(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        _Atomic int *stall = opaque;
        if (atomic_exchange(stall, 0))
                sleep(7); /* longer than hvcore's 5 s bound for parking */
}

/* A vCPU that does not park in time is an error the caller sees, and the VM is dead with
 * the reason: the VM is never left running behind a failed pause. */
START_TEST(test_pause_timeout_is_an_error)
{
        _Atomic int stall = 0;
        struct hv_vm *vm = raw_guest_vm_new_hooked(&raw_guest_spin, 1, 2, NULL, NULL, stall_once, NULL, &stall);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_progress(vm, 0));
        atomic_store(&stall, 1);
        ck_assert_int_eq(hv_vm_pause(vm), -ETIMEDOUT);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_CRASHED);
        char reason[128];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "vcpu 0 did not park within 5 s");
        vm = hv_vm_free(vm); /* the stalled thread parks after its sleep; then it is joined */
}
END_TEST

/* ---- a PIO exit is completed before the vCPU parks */

struct in_port {
        struct hv_vm *vm;
        _Atomic int reads;
};

static int in_port_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
        struct in_port *p = opaque;
        /* hold the exit until a pause is under way, so the vCPU parks right after it */
        if (atomic_fetch_add(&p->reads, 1) == 0)
                while (atomic_load(&p->vm->run_target) == HV_RUN_GO)
                        sched_yield();
        memset(data, 0x5a, len);
        return 0;
}

static int in_port_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
        return 0;
}

static const struct hv_io_ops in_port_ops = { .read = in_port_read, .write = in_port_write };

static void *pause_thread(void *arg)
{
        return (void *)(intptr_t)hv_vm_pause(arg);
}

/* mov edx, 0x510; in al, dx; jmp $ */
static const uint8_t in_code[] = { 0xba, 0x10, 0x05, 0, 0, 0xec, 0xeb, 0xfe };
static const struct raw_guest guest_in = { in_code, sizeof(in_code), { 0 } };

START_TEST(test_pio_in_completes_before_park)
{
        struct hv_vm *vm = raw_guest_vm_new(&guest_in, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        struct in_port port = { .vm = vm };
        ck_assert_int_eq(hv_bus_register(vm, HV_BUS_PIO, 0x510, 1, &in_port_ops, &port), 0);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        while (atomic_load(&port.reads) == 0)
                sched_yield();
        pthread_t t;
        void *ret;
        ck_assert_int_eq(pthread_create(&t, NULL, pause_thread, vm), 0);
        pthread_join(t, &ret);
        ck_assert_int_eq((intptr_t)ret, 0);
        struct kvm_regs regs;
        ck_assert_int_eq(ioctl(vm->vcpus[0]->fd, KVM_GET_REGS, &regs), 0);
        ck_assert_msg((regs.rax & 0xff) == 0x5a, "the IN's data reached al before parking (rax 0x%llx)",
                      (unsigned long long)regs.rax);
        ck_assert_uint_eq(regs.rip, RAW_CODE_GPA + 6); /* past the IN, at the jmp */
        vm = hv_vm_free(vm);
}
END_TEST

/* ---- requests nobody handles */

START_TEST(test_unknown_request_kills_vm)
{
        struct hv_vm *vm = raw_guest_vm_new(&raw_guest_spin, 1, 2, NULL, NULL);
        ck_assert_ptr_nonnull(vm);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        hv_make_request_and_kick(HV_REQUEST_ARCH_BASE + 32, vm->vcpus[0]);
        ck_assert(wait_state(vm, HV_VM_STATE_CRASHED));
        char reason[128];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "vcpu 0: unknown request bits 0x10000000000 (a bug in hvd)");
        vm = hv_vm_free(vm);
}
END_TEST

static void block_once(struct hv_vm *vm, struct hv_vcpu *vcpu, void *opaque)
{
        _Atomic int *stall = opaque;
        if (atomic_exchange(stall, 0))
                for (;;)
                        pause(); /* a vCPU thread that never comes back */
}

static void free_with_stuck_vcpu(void *arg)
{
        _Atomic int stall = 0;
        struct hv_vm *vm = raw_guest_vm_new_hooked(&raw_guest_spin, 1, 2, NULL, NULL, block_once, NULL, &stall);
        if (!vm || hv_vm_start(vm) < 0)
                _exit(3);
        atomic_store(&stall, 1);
        hv_make_request_and_kick(HV_REQ_UNBLOCK, vm->vcpus[0]);
        while (atomic_load(&stall))
                sched_yield();
        hv_vm_free(vm); /* bounded: gives up on the stuck thread */
        _exit(0);
}

/* hv_vm_free waits a bounded time for a vCPU thread, then says which one is stuck. */
START_TEST(test_free_bounded_with_stuck_vcpu)
{
        int status;
        char *err = NULL;
        ck_assert_int_eq(hv_test_run_child(free_with_stuck_vcpu, NULL, &status, &err), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d, stderr: %s", status, err);
        ck_assert_msg(strstr(err, "vcpu 0 did not leave its loop within 5 s"), "stderr: %s", err);
        free(err);
}
END_TEST

/* ---- the PVH test guests through the public API (what hvd does) */

static struct hv_vm *guest_vm_new(const char *guest, const char *cmdline, uint32_t vcpus, struct events *e)
{
        struct hv_vm_config c = { .name = guest, .vcpus = vcpus, .memory_mib = 64,
                                  .kernel = hv_test_guest_path(guest), .cmdline = cmdline };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        int r = hv_vm_new(&c, &callbacks, e, &vm, &err);
        ck_assert_msg(r == 0, "hv_vm_new(%s): %s", guest, err ? err : "?");
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_CREATED);
        return vm;
}

static bool wait_serial(struct events *e, const char *what)
{
        uint64_t t0 = hv_now_ns();
        for (;;) {
                pthread_mutex_lock(&e->lock);
                bool found = strstr(e->serial, what) != NULL;
                pthread_mutex_unlock(&e->lock);
                if (found)
                        return true;
                if (hv_now_ns() - t0 > WAIT_NS)
                        return false;
                sched_yield();
        }
}

START_TEST(test_hello_guest)
{
        struct events e;
        events_init(&e);
        struct hv_vm *vm = guest_vm_new("hello", "exit=3", 1, &e);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        char reason[128];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "guest exited with code 3 (status 7)");
        ck_assert_msg(wait_serial(&e, "hello from hvd test guest"), "serial: %s", e.serial);
        ck_assert(wait_serial(&e, "exit=3")); /* its command line came through */
        /* reset loads the kernel again and it runs to the same end */
        pthread_mutex_lock(&e.lock);
        e.serial_len = 0;
        memset(e.serial, 0, sizeof(e.serial));
        pthread_mutex_unlock(&e.lock);
        ck_assert_int_eq(hv_vm_reset(vm), 0);
        ck_assert(wait_serial(&e, "hello from hvd test guest"));
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_guest_reset_request)
{
        /* a write of RST_CPU to port 0xcf9 stops the VM with a reason hvd reads as a reboot */
        struct events e;
        events_init(&e);
        struct hv_vm *vm = guest_vm_new("hello", "reset=1 exit=5", 1, &e);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        char reason[128];
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "guest requested a reset");
        ck_assert_msg(wait_serial(&e, "hello: reset"), "serial: %s", e.serial);
        vm = hv_vm_free(vm); /* its threads are joined: every callback has run */
        /* without a guest_reset callback it is reported as a stop */
        ck_assert_int_eq(e.changes, 1);
        ck_assert_int_eq(e.last, HV_VM_STATE_STOPPED);
}
END_TEST

START_TEST(test_guest_reset_callback)
{
        /* with guest_reset set, a reset request goes there and not to state_changed */
        static const struct hv_vm_callbacks cb = { .state_changed = on_state, .serial_output = on_serial,
                                                   .guest_reset = on_guest_reset };
        struct hv_vm_config c = { .name = "hello", .vcpus = 1, .memory_mib = 64,
                                  .kernel = hv_test_guest_path("hello"), .cmdline = "reset=1 exit=5" };
        struct hv_vm *vm = NULL;
        struct events e;
        char reason[128];

        events_init(&e);
        ck_assert_int_eq(hv_vm_new(&c, &cb, &e, &vm, NULL), 0);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        hv_vm_get_state_reason(vm, reason, sizeof(reason));
        ck_assert_str_eq(reason, "guest requested a reset");
        vm = hv_vm_free(vm);
        ck_assert_int_eq(e.resets, 1);
        ck_assert_int_eq(e.changes, 0);
}
END_TEST

static void serial_feed(struct hv_vm *vm, const char *s)
{
        size_t len = strlen(s), off = 0;
        uint64_t t0 = hv_now_ns();
        while (off < len) {
                int r = hv_vm_serial_input(vm, (const uint8_t *)s + off, len - off);
                ck_assert_int_ge(r, 0);
                off += (size_t)r;
                ck_assert(hv_now_ns() - t0 < WAIT_NS);
                if (off < len)
                        sched_yield();
        }
}

START_TEST(test_echo_guest_serial_input)
{
        struct events e;
        events_init(&e);
        struct hv_vm *vm = guest_vm_new("echo", NULL, 1, &e);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_serial(&e, "echo: ready"));
        serial_feed(vm, "hvd\n");
        ck_assert_msg(wait_serial(&e, "echo: hvd"), "serial: %s", e.serial);
        /* input while paused is kept for the guest (one byte: it does not enable the FIFO) */
        ck_assert_int_eq(hv_vm_pause(vm), 0);
        serial_feed(vm, "q");
        ck_assert_int_eq(hv_vm_resume(vm), 0);
        serial_feed(vm, "uit\n");
        pthread_mutex_lock(&e.lock);
        ck_assert_int_gt(e.input_ready, 0); /* bytes were refused and room was announced */
        pthread_mutex_unlock(&e.lock);
        ck_assert(wait_serial(&e, "echo: bye"));
        ck_assert(wait_state(vm, HV_VM_STATE_STOPPED));
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_spin_guest_lifecycle)
{
        struct events e;
        events_init(&e);
        struct hv_vm *vm = guest_vm_new("spin", NULL, 2, &e);
        ck_assert_int_eq(hv_vm_start(vm), 0);
        ck_assert(wait_serial(&e, "spin: start"));
        for (int i = 0; i < 20; i++) {
                ck_assert_int_eq(hv_vm_pause(vm), 0);
                ck_assert_int_eq(hv_vm_resume(vm), 0);
        }
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_RUNNING);
        ck_assert_int_eq(hv_vm_stop(vm), 0);
        ck_assert_int_eq(hv_vm_get_state(vm), HV_VM_STATE_STOPPED);
        ck_assert_int_eq(hv_vm_request_shutdown(vm), -EOPNOTSUPP);
        vm = hv_vm_free(vm);
}
END_TEST

START_TEST(test_missing_kernel_is_reported)
{
        struct hv_vm_config c = { .name = "nokernel", .vcpus = 1, .memory_mib = 16, .kernel = "/nonexistent/vmlinux" };
        struct hv_vm *vm = NULL;
        const char *err = NULL;
        ck_assert_int_lt(hv_vm_new(&c, NULL, NULL, &vm, &err), 0);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/vmlinux"));
        ck_assert_ptr_null(vm);
}
END_TEST

static Suite *vm_suite(void)
{
        Suite *s = suite_create("vm");
        TCase *tc = tcase_create("objects");
        tcase_add_test(tc, test_state_strings);
        tcase_add_test(tc, test_new_rejects_bad_config);
        tcase_add_test(tc, test_free_in_created_state);
        tcase_add_test(tc, test_new_refuses_without_vendor);
        tcase_add_test(tc, test_cpuid_goes_through_vendor_fixups);
        suite_add_tcase(s, tc);
        tc = tcase_create("lifecycle");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_transitions_and_refusals);
        tcase_add_test(tc, test_pause_resume_loop);
        tcase_add_test(tc, test_debug_exit_stops_vm);
        tcase_add_test(tc, test_serial_output);
        tcase_add_test(tc, test_reset_zeroes_ram_and_runs_again);
        tcase_add_test(tc, test_failed_reset_reports_cause);
        tcase_add_test(tc, test_reset_keeps_vcpus_under_requesters);
        tcase_add_test(tc, test_reset_restores_power_on_registers);
        tcase_add_test(tc, test_paused_vcpus_hold_nothing);
        tcase_add_test(tc, test_pause_timeout_is_an_error);
        tcase_add_test(tc, test_pio_in_completes_before_park);
        tcase_add_test(tc, test_unknown_request_kills_vm);
        tcase_add_test(tc, test_free_bounded_with_stuck_vcpu);
        suite_add_tcase(s, tc);
        tc = tcase_create("guests");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_hello_guest);
        tcase_add_test(tc, test_guest_reset_request);
        tcase_add_test(tc, test_guest_reset_callback);
        tcase_add_test(tc, test_echo_guest_serial_input);
        tcase_add_test(tc, test_spin_guest_lifecycle);
        tcase_add_test(tc, test_missing_kernel_is_reported);
        suite_add_tcase(s, tc);
        tc = tcase_create("crash");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_triple_fault_crashes_only_its_vm);
        tcase_add_test(tc, test_emulation_failure_crashes_only_its_vm);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        hv_test_require_kvm();
        /* as hvd does: hv_vm_new needs a vendor plugin (its CPUID fix-ups) */
        if (raw_guest_vendor_load() < 0)
                return 1;
        return hv_test_run_suite(vm_suite());
}
