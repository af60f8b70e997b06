/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM object: building it over /dev/kvm (irqchip, PIT, TSS and identity map, guest RAM in
 * a memfd as memslot 0, devices on the buses, the kernel, the vCPUs) and its lifecycle, which
 * is requests to the vCPU threads (request.c). As in KVM, the vCPUs and their threads live as
 * long as the VM: start and resume set run_target GO and request UNBLOCK; pause, stop, a
 * guest stop, a crash (VM_DEAD) and a reset set PARK and wait until every vCPU acknowledged
 * the park (vm->park_epoch); a reset is then done in place, with every vcpu->mutex held; only
 * hv_vm_free makes the threads leave (STOP) and joins them. Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>

#include "devices/vm-ports.h"
#include "host/host-internal.h"
#include "hvcore/host.h"
#include "hvcore/kvm-host.h"
#include "macros.h"
#include "boot/pvh.h"
#include "vm/power-on.h"
#include "vm/request.h"
#include "vm/vcpu.h"
#include "vm/vm-internal.h"
#include "vm/vm-serial.h"
#include "vendor/vendor-registry.h"

#define HV_TSS_ADDR 0xfffbd000u
#define HV_IDENTITY_MAP_ADDR 0xfffbc000u
#define HV_PARK_TIMEOUT_NS (5ull * 1000000000ull) /* a vCPU thread that takes longer is stuck */

static const char *const state_names[_HV_VM_STATE_MAX] = {
        [HV_VM_STATE_CREATED] = "created", [HV_VM_STATE_RUNNING] = "running",
        [HV_VM_STATE_PAUSED] = "paused",   [HV_VM_STATE_STOPPED] = "stopped",
        [HV_VM_STATE_CRASHED] = "crashed",
};

HV_EXPORT const char *hv_vm_state_to_string(enum hv_vm_state s)
{
        return s >= 0 && s < _HV_VM_STATE_MAX ? state_names[s] : NULL;
}

static _Thread_local char error_buf[256];

static const char *set_error(const char *fmt, ...) _printf_(1, 2);
static const char *set_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
        va_end(ap);
        return error_buf;
}

static void state_set_locked(struct hv_vm *vm, enum hv_vm_state s, const char *reason)
{
        hv_lock_assert_held(&vm->state_lock);
        vm->state = s;
        snprintf(vm->reason, sizeof(vm->reason), "%s", reason ? reason : "");
}

/* vCPUs are to sleep; returns the epoch they must acknowledge (park_wait). */
static uint32_t park_target_locked(struct hv_vm *vm)
{
        hv_lock_assert_held(&vm->state_lock);
        uint32_t epoch = atomic_load(&vm->park_epoch) + 1;
        atomic_store(&vm->park_epoch, epoch);
        atomic_store(&vm->run_target, HV_RUN_PARK);
        return epoch;
}

static void state_set(struct hv_vm *vm, enum hv_vm_state s, const char *reason)
{
        hv_mutex_lock(&vm->state_lock);
        state_set_locked(vm, s, reason);
        hv_mutex_unlock(&vm->state_lock);
}

HV_EXPORT enum hv_vm_state hv_vm_get_state(struct hv_vm *vm)
{
        hv_mutex_lock(&vm->state_lock);
        enum hv_vm_state s = vm->state;
        hv_mutex_unlock(&vm->state_lock);
        return s;
}

HV_EXPORT void hv_vm_get_state_reason(struct hv_vm *vm, char *buf, size_t len)
{
        if (!len)
                return;
        hv_mutex_lock(&vm->state_lock);
        snprintf(buf, len, "%s", vm->reason);
        hv_mutex_unlock(&vm->state_lock);
}

/* A vCPU thread reports a guest-caused end: the first one wins, and every vCPU is told to
 * park (the threads stay for a reset). Never takes vm->lock: the caller is a vCPU thread,
 * inside vcpu->mutex. */
static void vm_guest_event(struct hv_vm *vm, enum hv_vm_state s, unsigned req, const char *reason,
                           int32_t exit_code, bool reset)
{
        hv_lock_assert_not_held(&vm->lock);
        bool first = false;
        hv_mutex_lock(&vm->state_lock);
        if (vm->state == HV_VM_STATE_RUNNING || vm->state == HV_VM_STATE_PAUSED) {
                state_set_locked(vm, s, reason);
                (void)park_target_locked(vm);
                vm->exit_code = exit_code;
                first = true;
        }
        hv_mutex_unlock(&vm->state_lock);
        if (!first)
                return;
        hv_make_all_vcpus_request(vm, req);
        if (reset && vm->callbacks.guest_reset)
                vm->callbacks.guest_reset(vm, vm->userdata);
        else if (vm->callbacks.state_changed)
                vm->callbacks.state_changed(vm, s, reason, vm->userdata);
}

void hv_vm_guest_stopped(struct hv_vm *vm, const char *reason)
{
        vm_guest_event(vm, HV_VM_STATE_STOPPED, HV_REQ_PAUSE, reason, -1, false);
}

void hv_vm_guest_reset(struct hv_vm *vm)
{
        vm_guest_event(vm, HV_VM_STATE_STOPPED, HV_REQ_PAUSE, "guest requested a reset", -1, true);
}

void hv_vm_guest_exited(struct hv_vm *vm, const char *reason, int32_t exit_code)
{
        vm_guest_event(vm, HV_VM_STATE_STOPPED, HV_REQ_PAUSE, reason, exit_code, false);
}

void hv_vm_crashed(struct hv_vm *vm, const char *reason)
{
        vm_guest_event(vm, HV_VM_STATE_CRASHED, HV_REQ_VM_DEAD, reason, -1, false);
}

void hv_vm_notify_parked(struct hv_vm *vm)
{
        hv_mutex_lock(&vm->state_lock);
        pthread_cond_broadcast(&vm->park_cond);
        hv_mutex_unlock(&vm->state_lock);
}

int hv_vm_set_irq_line(struct hv_vm *vm, uint32_t irq, bool level)
{
        /* Under vm->irq_lock (a leaf, kvm->irq_lock): a line's level changes are serialised
         * with each other and with routing changes. Devices raise lines outside their own
         * lock (hv_uart_ops); vCPU threads do it inside vcpu->mutex and a vm->srcu read side,
         * which the order allows (nobody synchronizes vm->srcu under irq_lock). */
        struct kvm_irq_level l = { .irq = irq, .level = level };
        int r = 0;
        hv_mutex_lock(&vm->irq_lock);
        if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
                r = negative_errno();
        hv_mutex_unlock(&vm->irq_lock);
        return r;
}

/* ---- building */

static int kvm_vm_create(struct hv_vm *vm, const char **ret_error)
{
        vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
        if (vm->vm_fd < 0) {
                int r = negative_errno();
                *ret_error = set_error("KVM_CREATE_VM failed: %s", strerror(-r));
                return r;
        }
        uint64_t idmap = HV_IDENTITY_MAP_ADDR;
        const char *what = NULL;
        if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)HV_TSS_ADDR) < 0)
                what = "KVM_SET_TSS_ADDR";
        else if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
                what = "KVM_SET_IDENTITY_MAP_ADDR";
        if (what) {
                int r = negative_errno();
                *ret_error = set_error("%s failed: %s", what, strerror(-r));
                vm->vm_fd = safe_close(vm->vm_fd);
                return r;
        }
        return 0;
}

/* KVM_CREATE_PIT2 starts a kernel thread (0.1-50 ms under load): it runs on a helper thread
 * while this thread loads the kernel and creates the vCPUs. */
struct vm_job {
        struct hv_vm *vm;
        int (*fn)(struct hv_vm *vm);
        int r;
        bool threaded;
        pthread_t thread;
};

static void *vm_job_run(void *arg)
{
        struct vm_job *j = arg;
        j->r = j->fn(j->vm);
        return NULL;
}

static void vm_job_start(struct vm_job *j, struct hv_vm *vm, int (*fn)(struct hv_vm *vm))
{
        *j = (struct vm_job){ .vm = vm, .fn = fn };
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        j->threaded = pthread_create(&j->thread, NULL, vm_job_run, j) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!j->threaded)
                vm_job_run(j);
}

static int vm_job_join(struct vm_job *j)
{
        if (j->threaded)
                pthread_join(j->thread, NULL);
        j->threaded = false;
        return j->r;
}

static int pit_create(struct hv_vm *vm)
{
        struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
        return ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0 ? negative_errno() : 0;
}

static void ram_mark_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
        /* dirty logging is not built yet: nothing records loader writes */
}

/* The kernel or initrd as an fd of the VM's own: given (duplicated) or opened from path. Read
 * again on every reset, so a reset boots the file the VM started with. */
static int boot_file_open(int given_fd, const char *path, int *ret_fd, const char **ret_error)
{
        int fd;

        if (!path)
                return 0;
        fd = given_fd > 0 ? fcntl(given_fd, F_DUPFD_CLOEXEC, 3) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = negative_errno();
                *ret_error = set_error("%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* Loads the kernel into guest RAM (vCPU 0 is set up for it later). */
static int vm_load_kernel(struct hv_vm *vm, const char **ret_error)
{
        if (!vm->kernel)
                return 0;
        struct hv_guest_memory mem = {
                .host = vm->ram.host, .size = vm->ram.size, .mark_dirty = ram_mark_dirty, .opaque = vm,
        };
        char err[200] = "";
        int r = hv_pvh_load_fd(&mem, vm->kernel_fd, vm->kernel, vm->initrd_fd, vm->initrd, vm->cmdline, &vm->boot, err,
                               sizeof(err));
        if (r < 0)
                *ret_error = set_error("%s", *err ? err : strerror(-r));
        return r;
}

/* vCPU 0 at the PVH entry (the others wait for INIT/SIPI); hooks stand in for raw guests.
 * Every vcpu->mutex is held (all_vcpus_lock): the vCPUs are parked. */
static int vcpus_setup(struct hv_vm *vm, const char **ret_error)
{
        int r;
        if (vm->kernel) {
                r = hv_pvh_setup_vcpu(vm->vcpus[0]->fd, &vm->boot);
                if (r < 0) {
                        *ret_error = set_error("cannot set up vCPU 0 for PVH entry: %s", strerror(-r));
                        return r;
                }
        }
        if (vm->hooks.setup_vcpu)
                for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
                        hv_lock_assert_held(&vm->vcpus[i]->mutex);
                        r = vm->hooks.setup_vcpu(vm, vm->vcpus[i], vm->hooks.opaque);
                        if (r < 0) {
                                *ret_error = set_error("vCPU %" PRIu32 " setup failed: %s", i, strerror(-r));
                                return r;
                        }
                }
        return 0;
}

/* Every vcpu->mutex, nested under vm->lock as KVM's kvm_lock_all_vcpus does. */
static void all_vcpus_lock(struct hv_vm *vm)
{
        hv_lock_assert_held(&vm->lock);
        for (uint32_t i = 0; i < vm->nr_vcpus; i++)
                hv_mutex_lock(&vm->vcpus[i]->mutex);
}

static void all_vcpus_unlock(struct hv_vm *vm)
{
        for (uint32_t i = vm->nr_vcpus; i-- > 0;)
                hv_mutex_unlock(&vm->vcpus[i]->mutex);
}

static int vcpus_create(struct hv_vm *vm, const char **ret_error)
{
        for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
                int r = hv_vcpu_create(vm, i, &vm->vcpus[i]);
                if (r < 0) {
                        *ret_error = set_error("cannot create vCPU %" PRIu32 ": %s", i, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static int threads_start(struct hv_vm *vm, const char **ret_error)
{
        for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
                int r = hv_vcpu_start_thread(vm->vcpus[i]);
                if (r < 0) {
                        *ret_error = set_error("cannot start the thread of vCPU %" PRIu32 ": %s", i, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static struct timespec deadline_after(uint64_t ns)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ns += (uint64_t)t.tv_nsec;
        t.tv_sec += (time_t)(ns / 1000000000u);
        t.tv_nsec = (long)(ns % 1000000000u);
        return t;
}

/* Waits (vm->state_lock held, on park_cond) until done(vm, vcpu, arg) holds for every vCPU
 * whose thread runs, or the deadline passes: then returns -ETIMEDOUT and the first vCPU
 * that is not done in *ret_late. Threads set their field, then broadcast park_cond under
 * state_lock (hv_vm_notify_parked), so checking under that lock loses no wake-up. */
static int vcpus_wait_locked(struct hv_vm *vm, bool (*done)(struct hv_vcpu *vcpu, uint32_t arg), uint32_t arg,
                             uint32_t *ret_late)
{
        hv_lock_assert_held(&vm->state_lock);
        struct timespec deadline = deadline_after(HV_PARK_TIMEOUT_NS);
        for (;;) {
                uint32_t late = UINT32_MAX;
                for (uint32_t i = 0; i < vm->nr_vcpus && late == UINT32_MAX; i++)
                        if (vm->vcpus[i] && vm->vcpus[i]->thread_started && !done(vm->vcpus[i], arg))
                                late = i;
                if (late == UINT32_MAX)
                        return 0;
                if (hv_mutex_cond_timedwait(&vm->state_lock, &vm->park_cond, &deadline) == -ETIMEDOUT) {
                        *ret_late = late;
                        return -ETIMEDOUT;
                }
        }
}

static bool vcpu_exited(struct hv_vcpu *vcpu, uint32_t unused)
{
        return atomic_load(&vcpu->exited);
}

static bool vcpu_parked_in(struct hv_vcpu *vcpu, uint32_t epoch)
{
        /* at or after epoch (serial-number order): a guest stop or crash during the wait bumps
         * the epoch again, and a vCPU that acknowledged that later one is parked too */
        return (int32_t)(atomic_load(&vcpu->parked_epoch) - epoch) >= 0 || atomic_load(&vcpu->exited);
}

/* A vCPU thread that does not answer within the bound: the VM is dead, and says which. */
static void vm_stuck(struct hv_vm *vm, uint32_t late, const char *what)
{
        char reason[128];
        snprintf(reason, sizeof(reason), "vcpu %" PRIu32 " did not %s within %llu s", late, what,
                 HV_PARK_TIMEOUT_NS / 1000000000ull);
        hv_mutex_lock(&vm->state_lock);
        state_set_locked(vm, HV_VM_STATE_CRASHED, reason);
        (void)park_target_locked(vm);
        hv_mutex_unlock(&vm->state_lock);
        hv_make_all_vcpus_request(vm, HV_REQ_VM_DEAD);
}

/* Parks every vCPU (vm->lock held) and waits until each acknowledged it: then none is in
 * guest mode, none holds vcpu->mutex, none has a PIO/MMIO half done. -ETIMEDOUT (the VM is
 * then dead, with the late vCPU named) if one does not park in time. */
static int park_all(struct hv_vm *vm)
{
        hv_lock_assert_held(&vm->lock);
        hv_mutex_lock(&vm->state_lock);
        uint32_t epoch = park_target_locked(vm);
        hv_mutex_unlock(&vm->state_lock);
        hv_make_all_vcpus_request(vm, HV_REQ_PAUSE);
        uint32_t late = 0;
        hv_mutex_lock(&vm->state_lock);
        int r = vcpus_wait_locked(vm, vcpu_parked_in, epoch, &late);
        hv_mutex_unlock(&vm->state_lock);
        if (r < 0)
                vm_stuck(vm, late, "park");
        return r;
}

/* Every vCPU thread leaves its loop and is joined (hv_vm_free only). Joins only once all
 * have left: a vCPU thread that stops the VM kicks the others, and pthread_kill on a joined
 * thread is undefined. -ETIMEDOUT if one does not leave in time: nothing is joined then. */
static int threads_stop(struct hv_vm *vm)
{
        if (!vm->vcpus)
                return 0;
        for (uint32_t i = 0; i < vm->nr_vcpus; i++)
                if (vm->vcpus[i])
                        hv_make_request_and_kick(HV_REQ_STOP, vm->vcpus[i]);
        uint32_t late = 0;
        hv_mutex_lock(&vm->state_lock);
        int r = vcpus_wait_locked(vm, vcpu_exited, 0, &late);
        hv_mutex_unlock(&vm->state_lock);
        if (r < 0) {
                vm_stuck(vm, late, "leave its loop");
                return r;
        }
        for (uint32_t i = 0; i < vm->nr_vcpus; i++)
                if (vm->vcpus[i])
                        hv_vcpu_join(vm->vcpus[i]);
        return 0;
}

static void vcpus_destroy(struct hv_vm *vm)
{
        for (uint32_t i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
                vm->vcpus[i] = hv_vcpu_destroy(vm->vcpus[i]);
}

/* The KVM VM and what lives in guest RAM: RAM, irqchip and PIT (their power-on state saved),
 * the kernel, the vCPUs (each saves its own), the devices; vCPU threads start parked. */
static int vm_build(struct hv_vm *vm, const char **err)
{
        struct vm_job pit;
        int r = kvm_vm_create(vm, err);
        if (r < 0)
                return r;
        r = hv_guest_ram_new(vm->name, vm->config.memory_mib << 20, &vm->ram);
        if (r < 0) {
                *err = set_error("cannot allocate %" PRIu64 " MiB of guest RAM: %s", vm->config.memory_mib,
                                 strerror(-r));
                return r;
        }
        /* Guest RAM goes into the VM before the irqchip exists: measured on kvm_pvm here, a
         * VM's first KVM_SET_USER_MEMORY_REGION takes ~7.6 ms once KVM_CREATE_IRQCHIP has run
         * and 0.05 ms before it (the bulk of bench-boot's first-byte time before this order). */
        r = hv_memslot_set(vm, 0, 0, vm->ram.size, vm->ram.host, 0);
        if (r < 0) {
                *err = set_error("cannot map guest RAM into the VM: %s", strerror(-r));
                return r;
        }
        if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
                r = negative_errno();
                *err = set_error("KVM_CREATE_IRQCHIP failed: %s", strerror(-r));
                return r;
        }
        vm_job_start(&pit, vm, pit_create);
        r = vm_load_kernel(vm, err);
        if (r >= 0)
                r = vcpus_create(vm, err);
        if (r >= 0) {
                /* no thread runs yet, but the hooks are promised vcpu->mutex */
                hv_mutex_lock(&vm->lock);
                all_vcpus_lock(vm);
                r = vcpus_setup(vm, err);
                all_vcpus_unlock(vm);
                hv_mutex_unlock(&vm->lock);
        }
        int k = vm_job_join(&pit);
        if (k < 0 && r >= 0) {
                *err = set_error("KVM_CREATE_PIT2 failed: %s", strerror(-k));
                r = k;
        }
        if (r >= 0) {
                r = hv_vm_power_on_save(vm);
                if (r < 0)
                        *err = set_error("cannot save the irqchip and PIT power-on state: %s", strerror(-r));
        }
        if (r >= 0) {
                r = hv_vm_serial_attach(vm);
                if (r >= 0)
                        r = hv_vm_ports_attach(vm);
                if (r < 0)
                        *err = set_error("cannot attach devices: %s", strerror(-r));
        }
        if (r >= 0)
                r = threads_start(vm, err);
        return r;
}

static char *strdup_or_null(const char *s, bool *fail)
{
        if (!s)
                return NULL;
        char *d = strdup(s);
        if (!d)
                *fail = true;
        return d;
}

int hv_vm_new_with_hooks(const struct hv_vm_config *config, const struct hv_vm_callbacks *callbacks,
                         void *userdata, const struct hv_vm_hooks *hooks, struct hv_vm **ret_vm,
                         const char **ret_error)
{
        const char *dummy;
        const char **err = ret_error ? ret_error : &dummy;
        int r;

        if (!config || !ret_vm) {
                *err = set_error("no configuration");
                return -EINVAL;
        }
        if (config->vcpus < 1 || config->vcpus > HV_VM_VCPUS_MAX) {
                *err = set_error("vcpus must be within 1..%u", HV_VM_VCPUS_MAX);
                return -EINVAL;
        }
        if (config->memory_mib < 1 || config->memory_mib > HV_VM_MEMORY_MIB_MAX) {
                *err = set_error("memory_mib must be within 1..%u", HV_VM_MEMORY_MIB_MAX);
                return -EINVAL;
        }
        if (!config->kernel && !(hooks && hooks->setup_vcpu)) {
                *err = set_error("no kernel given");
                return -EINVAL;
        }
        struct hv_vm *vm = calloc(1, sizeof(*vm));
        if (!vm) {
                *err = set_error("out of memory");
                return -ENOMEM;
        }
        vm->kvm_fd = vm->vm_fd = vm->ram.fd = vm->kernel_fd = vm->initrd_fd = -EBADF;
        vm->exit_code = -1;
        hv_mutex_init(&vm->lock, HV_LOCK_VM);
        hv_mutex_init(&vm->slots_lock, HV_LOCK_SLOTS);
        hv_mutex_init(&vm->slots_arch_lock, HV_LOCK_SLOTS_ARCH);
        hv_mutex_init(&vm->irq_lock, HV_LOCK_IRQ);
        hv_srcu_init(&vm->srcu);
        hv_mutex_init(&vm->state_lock, HV_LOCK_VM_STATE);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&vm->park_cond, &ca);
        pthread_condattr_destroy(&ca);
        atomic_store(&vm->run_target, HV_RUN_PARK);
        vm->state = HV_VM_STATE_CREATED;

        bool oom = false;
        vm->name = strdup_or_null(config->name ? config->name : "vm", &oom);
        vm->kernel = strdup_or_null(config->kernel, &oom);
        vm->initrd = strdup_or_null(config->initrd, &oom);
        vm->cmdline = strdup_or_null(config->cmdline ? config->cmdline : "", &oom);
        vm->config = *config;
        vm->config.name = vm->name;
        vm->config.kernel = vm->kernel;
        vm->config.initrd = vm->initrd;
        vm->config.cmdline = vm->cmdline;
        if (callbacks)
                vm->callbacks = *callbacks;
        vm->userdata = userdata;
        if (hooks)
                vm->hooks = *hooks;
        vm->nr_vcpus = config->vcpus;
        vm->vcpus = calloc(config->vcpus, sizeof(vm->vcpus[0]));
        if (oom || !vm->vcpus) {
                *err = set_error("out of memory");
                r = -ENOMEM;
                goto fail;
        }
        /* the vendor's CPUID fix-ups are part of the VM: never run one without them. Counted
         * before anything calls the ops, until hv_vm_free: the plugin stays loaded. */
        r = hv_vendor_user_add(&vm->vendor_user, vm->name, &vm->vendor);
        if (r < 0) {
                *err = set_error("no vendor plugin is registered");
                goto fail;
        }

        r = boot_file_open(config->kernel_fd, vm->kernel, &vm->kernel_fd, err);
        if (r >= 0)
                r = boot_file_open(config->initrd_fd, vm->initrd, &vm->initrd_fd, err);
        if (r < 0)
                goto fail;

        r = hv_kvm_open();
        if (r < 0) {
                *err = set_error("cannot open %s: %s", HV_KVM_DEVICE, r == -EPROTO ? "unsupported KVM API version" : strerror(-r));
                goto fail;
        }
        vm->kvm_fd = r;
        const char *missing;
        r = hv_kvm_check_required_caps(vm->kvm_fd, &missing);
        if (r < 0) {
                *err = set_error("KVM lacks %s", missing);
                goto fail;
        }
        uint32_t max = hv_host_vcpus_max(vm->kvm_fd);
        if (config->vcpus > max) {
                *err = set_error("vcpus must be within 1..%" PRIu32, max);
                r = -EINVAL;
                goto fail;
        }
        r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (r < (int)sizeof(struct kvm_run)) {
                r = r < 0 ? negative_errno() : -EPROTO;
                *err = set_error("KVM_GET_VCPU_MMAP_SIZE failed");
                goto fail;
        }
        vm->run_size = (size_t)r;

        r = vm_build(vm, err);
        if (r < 0)
                goto fail;
        *ret_vm = vm;
        return 0;
fail:
        hv_vm_free(vm);
        return r;
}

HV_EXPORT int hv_vm_new(const struct hv_vm_config *config, const struct hv_vm_callbacks *callbacks,
                        void *userdata, struct hv_vm **ret_vm, const char **ret_error)
{
        return hv_vm_new_with_hooks(config, callbacks, userdata, NULL, ret_vm, ret_error);
}

/* Closing the VM fd destroys the KVM VM in the kernel (1-20 ms here). It is done here, not
 * on a detached thread: the kernel's teardown waits for the VM's worker task, which is a
 * thread of this process, so a process exiting meanwhile (LeakSanitizer stopping every thread
 * at exit) deadlocked. */
HV_EXPORT struct hv_vm *hv_vm_free(struct hv_vm *vm)
{
        if (!vm)
                return NULL;
        if (threads_stop(vm) < 0) {
                /* A vCPU thread that never left its loop may still use all of this: leak it
                 * rather than free memory under a running thread. */
                char reason[256];
                hv_vm_get_state_reason(vm, reason, sizeof(reason));
                fprintf(stderr, "hvcore: VM %s not freed: %s\n", vm->name, reason);
                return NULL;
        }
        vcpus_destroy(vm);
        free(vm->vcpus);
        hv_vm_serial_detach(vm);
        hv_vm_ports_detach(vm);
        hv_vm_power_on_free(vm);
        safe_close(vm->vm_fd);
        safe_close(vm->kvm_fd);
        hv_memslots_free_all(vm);
        hv_buses_free_all(vm);
        hv_guest_ram_free(&vm->ram);
        hv_vendor_user_del(&vm->vendor_user); /* no vCPU calls the ops any more */
        pthread_cond_destroy(&vm->park_cond);
        hv_mutex_destroy(&vm->state_lock);
        hv_srcu_destroy(&vm->srcu);
        hv_mutex_destroy(&vm->irq_lock);
        hv_mutex_destroy(&vm->slots_arch_lock);
        hv_mutex_destroy(&vm->slots_lock);
        hv_mutex_destroy(&vm->lock);
        free(vm->name);
        free(vm->kernel);
        free(vm->initrd);
        free(vm->cmdline);
        safe_close(vm->kernel_fd);
        safe_close(vm->initrd_fd);
        free(vm);
        return NULL;
}

/* ---- lifecycle (controller thread) */

/* from -> RUNNING (and the vCPUs run), or -EBUSY in any other state; from any state if
 * `from` is _HV_VM_STATE_INVALID */
static int run_from(struct hv_vm *vm, enum hv_vm_state from, const char *reason)
{
        hv_lock_assert_held(&vm->lock);
        int r = 0;
        hv_mutex_lock(&vm->state_lock);
        if (from != _HV_VM_STATE_INVALID && vm->state != from)
                r = -EBUSY;
        else {
                state_set_locked(vm, HV_VM_STATE_RUNNING, reason);
                atomic_store(&vm->run_target, HV_RUN_GO);
        }
        hv_mutex_unlock(&vm->state_lock);
        if (r >= 0)
                hv_make_all_vcpus_request(vm, HV_REQ_UNBLOCK);
        return r;
}

HV_EXPORT int hv_vm_start(struct hv_vm *vm)
{
        hv_mutex_lock(&vm->lock);
        int r = run_from(vm, HV_VM_STATE_CREATED, "started");
        hv_mutex_unlock(&vm->lock);
        return r;
}

HV_EXPORT int hv_vm_pause(struct hv_vm *vm)
{
        int r = 0;
        hv_mutex_lock(&vm->lock);
        if (hv_vm_get_state(vm) != HV_VM_STATE_RUNNING) {
                r = -EBUSY;
                goto out;
        }
        /* Only the controller moves RUNNING away while it holds vm->lock, but a guest event
         * may: then the vCPUs parked for it, and pause reports -EBUSY. */
        r = park_all(vm);
        if (r < 0)
                goto out;
        hv_mutex_lock(&vm->state_lock);
        if (vm->state == HV_VM_STATE_RUNNING)
                state_set_locked(vm, HV_VM_STATE_PAUSED, "paused");
        else
                r = -EBUSY; /* the guest stopped or crashed meanwhile */
        hv_mutex_unlock(&vm->state_lock);
out:
        hv_mutex_unlock(&vm->lock);
        return r;
}

HV_EXPORT int hv_vm_resume(struct hv_vm *vm)
{
        hv_mutex_lock(&vm->lock);
        int r = run_from(vm, HV_VM_STATE_PAUSED, "resumed");
        hv_mutex_unlock(&vm->lock);
        return r;
}

HV_EXPORT int hv_vm_stop(struct hv_vm *vm)
{
        hv_mutex_lock(&vm->lock);
        int r = park_all(vm);
        hv_mutex_lock(&vm->state_lock);
        if (vm->state != HV_VM_STATE_STOPPED && vm->state != HV_VM_STATE_CRASHED)
                state_set_locked(vm, HV_VM_STATE_STOPPED, "stopped");
        hv_mutex_unlock(&vm->state_lock);
        hv_mutex_unlock(&vm->lock);
        return r;
}

/* Power-on state back in place, with every vCPU parked and every vcpu->mutex held: vCPUs,
 * irqchip and PIT as KVM made them, devices reset, RAM zeroed (same memfd, same memslots),
 * the kernel loaded again. */
static int vm_reset_in_place(struct hv_vm *vm, const char **err)
{
        int r;
        for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
                r = hv_vcpu_power_on_restore(vm->vcpus[i]);
                if (r < 0) {
                        *err = set_error("cannot reset vCPU %" PRIu32 ": %s", i, strerror(-r));
                        return r;
                }
        }
        r = hv_vm_power_on_restore(vm);
        if (r < 0) {
                *err = set_error("cannot reset the irqchip and PIT: %s", strerror(-r));
                return r;
        }
        r = hv_guest_ram_discard(&vm->ram);
        if (r < 0) {
                *err = set_error("cannot clear guest RAM: %s", strerror(-r));
                return r;
        }
        vm->exit_code = -1;
        hv_vm_ports_reset(vm);
        hv_vm_serial_reset(vm);
        r = vm_load_kernel(vm, err);
        if (r >= 0)
                r = vcpus_setup(vm, err);
        return r;
}

HV_EXPORT int hv_vm_reset(struct hv_vm *vm)
{
        const char *err = "unknown error";
        int r;
        hv_mutex_lock(&vm->lock);
        if (hv_vm_get_state(vm) == HV_VM_STATE_CREATED) {
                r = -EBUSY;
                goto out;
        }
        r = park_all(vm);
        if (r < 0)
                goto out;
        all_vcpus_lock(vm);
        r = vm_reset_in_place(vm, &err);
        all_vcpus_unlock(vm);
        if (r < 0) {
                /* err usually points into error_buf, which set_error overwrites: copy it */
                char cause[sizeof(error_buf)];
                snprintf(cause, sizeof(cause), "%s", err);
                state_set(vm, HV_VM_STATE_CRASHED, set_error("reset failed: %s", cause));
                goto out;
        }
        /* from whatever state the VM was in (the vCPUs are parked): running again */
        r = run_from(vm, _HV_VM_STATE_INVALID, "reset");
out:
        hv_mutex_unlock(&vm->lock);
        return r;
}

HV_EXPORT int hv_vm_serial_input(struct hv_vm *vm, const uint8_t *buf, size_t len)
{
        return hv_vm_serial_receive(vm, buf, len);
}

HV_EXPORT int hv_vm_request_shutdown(struct hv_vm *vm)
{
        return -EOPNOTSUPP;
}
