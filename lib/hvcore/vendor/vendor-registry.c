/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugin registry. As in KVM, loading a vendor module and registering its ops
 * happen under vendor_module_lock, and only one vendor may be registered. The core keeps its
 * own copy of the plugin's table with defaults for the ops the plugin left out, and
 * publishes it (release store) only when the plugin's entry has returned success, so readers
 * of hv_vendor_get() never see a half-set-up plugin. */
#include <dirent.h>
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "hvcore/vendor.h"
#include "host/host-internal.h"
#include "hvcore/kvm-host.h"
#include "lock/lock.h"
#include "macros.h"
#include "vendor/vendor-registry.h"

static struct hv_mutex vendor_module_lock;
static pthread_once_t vendor_module_lock_once = PTHREAD_ONCE_INIT;

/* The VMs using the registered vendor (kvm_usage_count under kvm_usage_lock, and kvm_lock's
 * vm_list): hv_vendor_unload refuses while there is one, since they call through the ops. */
static struct hv_mutex usage_lock;   /* hv_usage_lock: usage_count */
static struct hv_mutex vm_list_lock; /* hv_vm_list_lock: users */
static unsigned usage_count;
static struct hv_vendor_user users = { &users, &users, NULL };

/* The registered vendor; written under vendor_module_lock, read through vendor_published. */
static struct hv_vendor_ops vendor_ops;
static char vendor_name[HV_VENDOR_NAME_MAX];
static char vendor_path[PATH_MAX];
static void *vendor_handle;
static _Atomic(const struct hv_vendor_ops *) vendor_published;

/* One entry call in progress (at most one: it runs under vendor_module_lock). */
struct vendor_load {
        struct hv_vendor_host host; /* handed to the plugin, which hands it back */
        bool registered;            /* register_vendor() accepted the table below */
        int register_error;         /* its last refusal, or 0 */
        char message[HV_VENDOR_REASON_MAX];
        char name[HV_VENDOR_NAME_MAX];
        struct hv_vendor_ops staged;
};
static _Atomic(struct vendor_load *) vendor_loading;

static void vendor_module_lock_init(void)
{
        hv_mutex_init(&vendor_module_lock, HV_LOCK_VENDOR_MODULE);
        hv_mutex_init(&usage_lock, HV_LOCK_USAGE);
        hv_mutex_init(&vm_list_lock, HV_LOCK_VM_LIST);
}

static struct hv_mutex *vendor_lock(void)
{
        pthread_once(&vendor_module_lock_once, vendor_module_lock_init);
        return &vendor_module_lock;
}

static const char *const result_names[_HV_VENDOR_RESULT_MAX] = {
        [HV_VENDOR_CLAIMED] = "claimed",
        [HV_VENDOR_DECLINED] = "declined",
        [HV_VENDOR_REFUSED] = "refused",
        [HV_VENDOR_BROKEN] = "broken",
};

HV_EXPORT const char *hv_vendor_result_to_string(enum hv_vendor_result r)
{
        return r >= 0 && r < _HV_VENDOR_RESULT_MAX ? result_names[r] : NULL;
}

/* Defaults for the optional ops a plugin leaves out (one per HV_VENDOR_OP_OPTIONAL), and a
 * stub returning 0 for each HV_VENDOR_OP_RET0: callers never test for NULL. */
static void default_report(hv_vendor_report_fn emit, void *userdata) {}
static void default_decode_fail_entry(uint64_t hw_reason, char *buf, size_t len)
{
        if (buf && len > 0)
                snprintf(buf, len, "hardware entry failure reason 0x%" PRIx64, hw_reason);
}
static int32_t default_migration_compatible(const char *src_vendor)
{
        if (!src_vendor)
                return -EINVAL;
        return strcmp(src_vendor, vendor_name) == 0 ? 0 : -EXDEV;
}
#define OP_NONE_(ret, op, args)
#define OP_RET0_STUB_(ret, op, args) static ret default_##op args { return 0; }
HV_VENDOR_OPS_LIST(OP_NONE_, OP_NONE_, OP_RET0_STUB_)

/* printf into a reason buffer, then flatten it to one line. */
_printf_(3, 4) static void reason_printf(char *buf, size_t len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
        hv_vendor_reason_sanitize(buf, len);
}

void hv_vendor_reason_sanitize(char *buf, size_t len)
{
        if (!buf || len == 0)
                return;
        buf[len - 1] = 0;
        for (char *p = buf; *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                        *p = ' ';
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == ' ')
                buf[--n] = 0;
}

/* Smallest table the core accepts: the header and the name. */
#define OPS_MIN_SIZE (offsetof(struct hv_vendor_ops, name) + sizeof(const char *))

static int32_t vendor_register(const struct hv_vendor_host *host, const struct hv_vendor_ops *ops)
{
        struct vendor_load *load = atomic_load(&vendor_loading);
        /* Only the plugin whose entry is running may register, with the host it was given. */
        if (!load)
                return -EINVAL;
        hv_lock_assert_held(&vendor_module_lock);
        if (host != &load->host) {
                reason_printf(load->message, sizeof(load->message),
                              "registered with a host table other than the one it was given");
                load->register_error = -EINVAL;
                return -EINVAL;
        }

        int r;
        if (!ops) {
                r = -EINVAL;
                reason_printf(load->message, sizeof(load->message), "registered a NULL ops table");
                goto refuse;
        }
        if (ops->abi_major != HV_VENDOR_ABI_MAJOR) {
                r = -EPROTO;
                reason_printf(load->message, sizeof(load->message),
                              "vendor ABI mismatch: plugin table is %" PRIu32 ".%" PRIu32
                              ", libhvcore speaks %d.%d",
                              ops->abi_major, ops->abi_minor, HV_VENDOR_ABI_MAJOR, HV_VENDOR_ABI_MINOR);
                goto refuse;
        }
        if (ops->size < OPS_MIN_SIZE) {
                r = -EINVAL;
                reason_printf(load->message, sizeof(load->message),
                              "ops table size %" PRIu32 " is smaller than its header (%zu)", ops->size,
                              OPS_MIN_SIZE);
                goto refuse;
        }
        if (!ops->name || !ops->name[0] || strnlen(ops->name, HV_VENDOR_NAME_MAX) >= HV_VENDOR_NAME_MAX) {
                r = -EINVAL;
                reason_printf(load->message, sizeof(load->message),
                              "ops table has no name or one of %d characters or more", HV_VENDOR_NAME_MAX);
                goto refuse;
        }
        snprintf(load->name, sizeof(load->name), "%s", ops->name);
        if (atomic_load(&vendor_published) || load->registered) {
                r = -EEXIST;
                reason_printf(load->message, sizeof(load->message),
                              "vendor %s is already registered (%s); %s not registered",
                              load->registered ? load->staged.name : vendor_name,
                              load->registered ? "by this plugin" : vendor_path, ops->name);
                goto refuse;
        }

        /* Copy what the plugin's size covers; what lies beyond (an older minor) stays NULL.
         * A missing mandatory op refuses the table; every other gets the default. */
        struct hv_vendor_ops *t = &load->staged;
        memset(t, 0, sizeof(*t));
        memcpy(t, ops, MIN((size_t)ops->size, sizeof(*t)));
        t->size = sizeof(*t);
        if (!t->cpu_vendors)
                t->cpu_vendors = "";
#define OP_REQUIRE_(ret, op, args)                                                                   \
        if (!t->op) {                                                                                \
                r = -EINVAL;                                                                         \
                reason_printf(load->message, sizeof(load->message),                                  \
                              "ops table of %s (ABI %" PRIu32 ".%" PRIu32 ") lacks the mandatory op " #op, \
                              ops->name, ops->abi_major, ops->abi_minor);                            \
                goto refuse;                                                                         \
        }
#define OP_DEFAULT_(ret, op, args)                                                                   \
        if (!t->op)                                                                                  \
                t->op = default_##op;
        HV_VENDOR_OPS_LIST(OP_REQUIRE_, OP_DEFAULT_, OP_DEFAULT_)
        load->registered = true;
        load->register_error = 0;
        return 0;

refuse:
        load->register_error = r;
        return r;
}

static void verdict_set(struct hv_vendor_verdict *v, enum hv_vendor_result result, int error,
                        const char *reason)
{
        v->result = result;
        v->error = error;
        snprintf(v->reason, sizeof(v->reason), "%s", reason);
        hv_vendor_reason_sanitize(v->reason, sizeof(v->reason));
}

/* Runs a loaded plugin's entry and decides its verdict. Returns 0 when it registered (the
 * handle is then kept), else -errno. */
static int vendor_run_entry(void *handle, const char *path, struct hv_vendor_verdict *v)
{
        hv_lock_assert_held(&vendor_module_lock);
        hv_vendor_plugin_entry_fn entry;
        *(void **)&entry = dlsym(handle, HV_VENDOR_PLUGIN_ENTRY);
        if (!entry) {
                verdict_set(v, HV_VENDOR_BROKEN, -ENOEXEC, "not a vendor plugin: no " HV_VENDOR_PLUGIN_ENTRY " symbol");
                return -ENOEXEC;
        }

        struct vendor_load load = {
                .host = {
                        .abi_major = HV_VENDOR_ABI_MAJOR,
                        .abi_minor = HV_VENDOR_ABI_MINOR,
                        .size = sizeof(struct hv_vendor_host),
                        .kvm_fd = -1,
                        .register_vendor = vendor_register,
                },
        };
        hv_cpu_get_vendor(load.host.cpu_vendor);
        _cleanup_close_ int kvm_fd = hv_kvm_open();
        if (kvm_fd < 0)
                load.host.kvm_open_errno = -kvm_fd;
        else
                load.host.kvm_fd = kvm_fd;

        char reason[HV_VENDOR_REASON_MAX] = "";
        atomic_store(&vendor_loading, &load);
        int32_t r = entry(&load.host, reason, sizeof(reason));
        atomic_store(&vendor_loading, NULL);
        hv_vendor_reason_sanitize(reason, sizeof(reason));

        if (load.name[0])
                snprintf(v->name, sizeof(v->name), "%s", load.name);

        if (load.registered && r == 0) {
                vendor_ops = load.staged;
                snprintf(vendor_name, sizeof(vendor_name), "%s", load.name);
                vendor_ops.name = vendor_name;
                snprintf(vendor_path, sizeof(vendor_path), "%s", path);
                vendor_handle = handle;
                atomic_store_explicit(&vendor_published, &vendor_ops, memory_order_release);
                verdict_set(v, HV_VENDOR_CLAIMED, 0, reason[0] ? reason : "registered");
                return 0;
        }
        if (load.registered) {
                char msg[HV_VENDOR_REASON_MAX];
                snprintf(msg, sizeof(msg), "registered, then failed (%s): %s", strerror(r > 0 ? EINVAL : -r),
                         reason[0] ? reason : "no reason given");
                verdict_set(v, HV_VENDOR_BROKEN, r < 0 ? r : -EINVAL, msg);
                return v->error;
        }
        if (load.register_error < 0) {
                /* The core's message names the reason (the vendor already loaded, the ABI). */
                verdict_set(v, HV_VENDOR_REFUSED, load.register_error, load.message);
                return load.register_error;
        }
        if (r >= 0) {
                verdict_set(v, HV_VENDOR_BROKEN, -EINVAL, "entry returned success without registering");
                return -EINVAL;
        }
        if (reason[0])
                verdict_set(v, HV_VENDOR_DECLINED, r, reason);
        else {
                char msg[HV_VENDOR_REASON_MAX];
                snprintf(msg, sizeof(msg), "declined without a reason (%s)", strerror(-r));
                verdict_set(v, HV_VENDOR_DECLINED, r, msg);
        }
        return r;
}

/* The plugin's name until it tells us its own: the file name without ".so". */
static void verdict_init(struct hv_vendor_verdict *v, const char *path)
{
        memset(v, 0, sizeof(*v));
        snprintf(v->path, sizeof(v->path), "%s", path);
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (n > 3 && strcmp(base + n - 3, ".so") == 0)
                n -= 3;
        snprintf(v->name, sizeof(v->name), "%.*s", (int)MIN(n, (size_t)INT_MAX), base);
}

HV_EXPORT int hv_vendor_load_file(const char *path, struct hv_vendor_verdict *verdict)
{
        struct hv_vendor_verdict local;
        struct hv_vendor_verdict *v = verdict ? verdict : &local;
        verdict_init(v, path ? path : "");
        if (!path || !path[0]) {
                verdict_set(v, HV_VENDOR_BROKEN, -EINVAL, "no plugin path given");
                return -EINVAL;
        }

        struct stat st;
        if (stat(path, &st) < 0) {
                int r = negative_errno();
                char msg[HV_VENDOR_REASON_MAX];
                snprintf(msg, sizeof(msg), "cannot open plugin: %s", strerror(-r));
                verdict_set(v, HV_VENDOR_BROKEN, r, msg);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                verdict_set(v, HV_VENDOR_BROKEN, -ENOEXEC, "not a regular file");
                return -ENOEXEC;
        }

        struct hv_mutex *lock = vendor_lock();
        hv_mutex_lock(lock);
        /* dlopen and dlerror under the lock: the error string is per thread, but a plugin's
         * constructors run here too and must see one loader at a time. */
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        int r;
        if (!handle) {
                const char *err = dlerror();
                char msg[HV_VENDOR_REASON_MAX];
                snprintf(msg, sizeof(msg), "cannot load plugin: %s", err ? err : "unknown dlopen error");
                verdict_set(v, HV_VENDOR_BROKEN, -ENOEXEC, msg);
                r = -ENOEXEC;
        } else {
                r = vendor_run_entry(handle, path, v);
                if (r < 0)
                        (void)dlclose(handle);
        }
        hv_mutex_unlock(lock);
        return r;
}

static int plugin_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 3 && strcmp(de->d_name + n - 3, ".so") == 0;
}

struct dirent_list {
        struct dirent **list;
        int n;
};
static void dirent_list_free(struct dirent_list *l)
{
        for (int i = 0; i < l->n; i++)
                free(l->list[i]);
        free(l->list);
}

HV_EXPORT int hv_vendor_load_dir(const char *dir, struct hv_vendor_verdict **ret_verdicts, size_t *ret_count)
{
        if (!dir || !ret_verdicts || !ret_count)
                return -EINVAL;
        _cleanup_(dirent_list_free) struct dirent_list l = { NULL, 0 };
        l.n = scandir(dir, &l.list, plugin_filter, alphasort);
        if (l.n < 0) {
                l.n = 0;
                return negative_errno();
        }
        _cleanup_free_ struct hv_vendor_verdict *v = NULL;
        if (l.n > 0) {
                v = calloc((size_t)l.n, sizeof(*v));
                if (!v)
                        return -ENOMEM;
        }
        for (int i = 0; i < l.n; i++) {
                char path[PATH_MAX];
                if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, l.list[i]->d_name) >= sizeof(path)) {
                        verdict_init(&v[i], l.list[i]->d_name);
                        verdict_set(&v[i], HV_VENDOR_BROKEN, -ENAMETOOLONG, "path too long");
                        continue;
                }
                (void)hv_vendor_load_file(path, &v[i]);
        }
        *ret_verdicts = TAKE_PTR(v);
        *ret_count = (size_t)l.n;
        return 0;
}

HV_EXPORT const struct hv_vendor_ops *hv_vendor_get(void)
{
        return atomic_load_explicit(&vendor_published, memory_order_acquire);
}

int hv_vendor_user_add(struct hv_vendor_user *u, const char *name, const struct hv_vendor_ops **ret_ops)
{
        int r = 0;
        (void)vendor_lock();
        hv_mutex_lock(&usage_lock);
        /* checked under hv_usage_lock: an unload that saw no user has unpublished the ops
         * before it released the lock */
        if (!atomic_load(&vendor_published))
                r = -ENODEV;
        else {
                usage_count++;
                *ret_ops = atomic_load(&vendor_published);
                u->name = name;
                hv_mutex_lock(&vm_list_lock);
                u->prev = users.prev;
                u->next = &users;
                users.prev->next = u;
                users.prev = u;
                hv_mutex_unlock(&vm_list_lock);
        }
        hv_mutex_unlock(&usage_lock);
        return r;
}

void hv_vendor_user_del(struct hv_vendor_user *u)
{
        (void)vendor_lock();
        hv_mutex_lock(&usage_lock);
        hv_mutex_lock(&vm_list_lock);
        /* u->next is tested under the list lock: a neighbour's removal writes it (TSan saw
         * this test done unlocked race with that write) */
        bool added = u->next != NULL;
        if (added) {
                u->prev->next = u->next;
                u->next->prev = u->prev;
                u->prev = u->next = NULL;
        }
        hv_mutex_unlock(&vm_list_lock);
        if (added)
                usage_count--;
        hv_mutex_unlock(&usage_lock);
}

HV_EXPORT int hv_vendor_unload(void)
{
        return hv_vendor_unload_reason(NULL, 0);
}

HV_EXPORT int hv_vendor_unload_reason(char *ret_reason, size_t len)
{
        struct hv_mutex *lock = vendor_lock();
        int r = 0;
        hv_mutex_lock(lock);
        hv_mutex_lock(&usage_lock);
        if (!atomic_load(&vendor_published)) {
                r = -ENODEV;
                if (ret_reason)
                        reason_printf(ret_reason, len, "no vendor plugin is registered");
        } else if (usage_count > 0) {
                r = -EBUSY;
                if (ret_reason) {
                        hv_mutex_lock(&vm_list_lock);
                        reason_printf(ret_reason, len, "vendor plugin %s is used by %u VM(s) (%s%s)",
                                      vendor_name, usage_count, users.next->name ?: "unnamed",
                                      usage_count > 1 ? ", ..." : "");
                        hv_mutex_unlock(&vm_list_lock);
                }
        } else
                /* before hv_usage_lock goes: no VM can start using it from here on */
                atomic_store_explicit(&vendor_published, NULL, memory_order_release);
        hv_mutex_unlock(&usage_lock);
        if (r == 0) {
                (void)dlclose(vendor_handle);
                vendor_handle = NULL;
                memset(&vendor_ops, 0, sizeof(vendor_ops));
                vendor_name[0] = 0;
                vendor_path[0] = 0;
        }
        hv_mutex_unlock(lock);
        return r;
}
