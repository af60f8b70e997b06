/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd --check-host: gathers what this host offers hvd into one JSON document (CPU, /dev/kvm,
 * each plugin's verdict, the vendor's report, the KVM capabilities hvd uses), then prints it
 * as JSON or renders the same document as a text table, so the two never disagree. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-host.h"
#include "hvcore/hvcore.h"
#include "macros.h"

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void add_str(json_object *o, const char *key, const char *value)
{
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

/* Records a problem; the first one decides the return value. */
struct check {
        json_object *problems;
        int error;
};
_printf_(3, 4) static void problem(struct check *c, int error, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        json_object_array_add(c->problems, json_object_new_string(buf));
        if (c->error == 0)
                c->error = error;
}

static json_object *check_cpu(void)
{
        char vendor[13], model[49];
        hv_cpu_get_vendor(vendor);
        hv_cpu_get_model_name(model);
        json_object *o = json_object_new_object();
        add_str(o, "vendor", vendor);
        add_str(o, "model", model);
        return o;
}

static json_object *int_or_null(int64_t v)
{
        return v >= 0 ? json_object_new_int64(v) : NULL;
}

/* KVM's figures where 0 means it did not say. */
static json_object *positive_or_null(uint32_t v)
{
        return v > 0 ? json_object_new_int64(v) : NULL;
}

static json_object *check_kvm(struct check *c, const struct hv_host_info *info)
{
        json_object *o = json_object_new_object();
        add_str(o, "device", HV_KVM_DEVICE);
        json_object_object_add(o, "usable", json_object_new_boolean(info->kvm_usable));
        if (!info->kvm_usable) {
                add_str(o, "error", info->kvm_problem);
                problem(c, info->kvm_error, "%s is not usable: %s", HV_KVM_DEVICE, info->kvm_problem);
                return o;
        }
        json_object_object_add(o, "api_version", json_object_new_int64(info->api_version));
        add_str(o, "capabilities_from", info->caps_from_vm ? "vm" : "system");

        json_object *caps = json_object_new_array();
        for (size_t i = 0; i < hv_kvm_caps_count && i < HV_HOST_CAPS_MAX; i++) {
                const struct hv_kvm_cap_desc *d = &hv_kvm_caps[i];
                json_object *e = json_object_new_object();
                add_str(e, "name", d->name);
                json_object_object_add(e, "value", int_or_null(info->cap_values[i]));
                json_object_object_add(e, "present", json_object_new_boolean(info->cap_values[i] > 0));
                json_object_object_add(e, "required", json_object_new_boolean(d->required));
                add_str(e, "use", d->why);
                json_object_array_add(caps, e);
                if (d->required && info->cap_values[i] <= 0)
                        problem(c, -EOPNOTSUPP, "required capability %s (%s) is missing", d->name, d->why);
        }

        /* The figures hvd's own code depends on, by name. */
        json_object *sum = json_object_new_object();
        json_object_object_add(sum, "irqchip", json_object_new_boolean(info->irqchip));
        json_object_object_add(sum, "pit", json_object_new_boolean(info->pit));
        json_object_object_add(sum, "immediate_exit", json_object_new_boolean(info->immediate_exit));
        json_object *r = json_object_new_object();
        json_object_object_add(r, "max_bytes", json_object_new_int64(info->dirty_ring_max_bytes));
        json_object_object_add(r, "max_entries", json_object_new_int64(info->dirty_ring_max_entries));
        json_object_object_add(r, "acq_rel", json_object_new_boolean(info->dirty_ring_acq_rel));
        json_object_object_add(sum, "dirty_log_ring", r);
        json_object *m = json_object_new_object();
        json_object_object_add(m, "value", int_or_null(info->manual_protect));
        json_object_object_add(m, "enable", json_object_new_boolean(info->manual_protect_enable));
        json_object_object_add(m, "initially_set", json_object_new_boolean(info->manual_protect_initially_set));
        json_object_object_add(sum, "manual_dirty_log_protect", m);
        json_object *modes = json_object_new_array();
        for (int i = 0; i < _HV_DIRTY_LOG_MODE_MAX; i++)
                if (info->dirty_log_modes & (1u << i))
                        json_object_array_add(modes, json_object_new_string(hv_dirty_log_mode_to_string(i)));
        json_object_object_add(sum, "dirty_log_modes", modes);
        json_object_object_add(sum, "max_vcpus", positive_or_null(info->kvm_max_vcpus));
        json_object_object_add(sum, "recommended_vcpus", positive_or_null(info->recommended_vcpus));
        json_object_object_add(sum, "memslots", positive_or_null(info->max_memslots));
        json_object_object_add(sum, "sync_regs", int_or_null(info->sync_regs));
        json_object *sr = json_object_new_array();
        if (info->sync_regs_regs)
                json_object_array_add(sr, json_object_new_string("regs"));
        if (info->sync_regs_sregs)
                json_object_array_add(sr, json_object_new_string("sregs"));
        if (info->sync_regs_events)
                json_object_array_add(sr, json_object_new_string("events"));
        json_object_object_add(sum, "sync_regs_sets", sr);
        json_object_object_add(o, "summary", sum);
        json_object_object_add(o, "capabilities", caps);
        return o;
}

/* The limits of one VM here: what DefineVM validates against. */
static json_object *check_vm_limits(const struct hv_host_info *info)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "vcpus", json_object_new_int64(info->vm_max_vcpus));
        json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)info->vm_max_memory_mib));
        json_object_object_add(o, "host_memory_mib", json_object_new_int64((int64_t)info->host_memory_mib));
        return o;
}

static void report_emit(void *userdata, const char *key, const char *value)
{
        if (key && value)
                add_str(userdata, key, value);
}

static json_object *check_plugins(struct check *c, const char *plugin_dir, bool *ret_loaded)
{
        json_object *o = json_object_new_object();
        add_str(o, "directory", plugin_dir);
        json_object *list = json_object_new_array();
        json_object_object_add(o, "verdicts", list);
        bool before = hv_vendor_get() != NULL;
        _cleanup_free_ struct hv_vendor_verdict *v = NULL;
        size_t n = 0;
        int r = hv_vendor_load_dir(plugin_dir, &v, &n);
        if (r < 0) {
                problem(c, r, "cannot read plugin directory %s: %s", plugin_dir, strerror(-r));
                return o;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_new_object();
                add_str(e, "name", v[i].name);
                add_str(e, "path", v[i].path);
                add_str(e, "result", hv_vendor_result_to_string(v[i].result));
                add_str(e, "error", v[i].error < 0 ? strerror(-v[i].error) : NULL);
                add_str(e, "reason", v[i].reason);
                json_object_array_add(list, e);
        }
        if (n == 0)
                problem(c, -ENOENT, "no plugins (*.so) in %s", plugin_dir);
        *ret_loaded = !before && hv_vendor_get();
        return o;
}

static json_object *check_vendor(struct check *c)
{
        const struct hv_vendor_ops *ops = hv_vendor_get();
        if (!ops) {
                problem(c, -ENODEV, "no vendor plugin claimed this host");
                return NULL;
        }
        json_object *o = json_object_new_object();
        add_str(o, "name", ops->name);
        add_str(o, "cpu_vendors", ops->cpu_vendors);
        add_str(o, "kvm_module", ops->kvm_module());
        json_object *report = json_object_new_object();
        ops->report(report_emit, report);
        json_object_object_add(o, "report", report);
        return o;
}

static const char *get_str(json_object *o, const char *key)
{
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}
static json_object *get(json_object *o, const char *key)
{
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}
static const char *yes(json_object *o, const char *key)
{
        return json_object_get_boolean(get(o, key)) ? "yes" : "no";
}

/* The strings of a JSON array, each after a space, then a newline; `none` when empty. */
static void print_words(json_object *list, const char *none)
{
        size_t n = list ? json_object_array_length(list) : 0;
        for (size_t i = 0; i < n; i++)
                printf(" %s", json_object_get_string(json_object_array_get_idx(list, i)));
        printf("%s\n", n ? "" : none);
}

/* The text table: the same document, for people. */
static void print_text(json_object *root)
{
        json_object *cpu = get(root, "cpu"), *kvm = get(root, "kvm"), *plugins = get(root, "plugins");
        json_object *vendor = get(root, "vendor");
        printf("hvd %s host check\n\n", get_str(root, "hvd_version"));
        const char *model = get_str(cpu, "model");
        printf("%-26s %s%s%s\n", "CPU vendor", get_str(cpu, "vendor"), model && *model ? ", " : "",
               model ? model : "");
        if (json_object_get_boolean(get(kvm, "usable")))
                printf("%-26s usable, KVM API version %d\n", HV_KVM_DEVICE, json_object_get_int(get(kvm, "api_version")));
        else
                printf("%-26s not usable: %s\n", HV_KVM_DEVICE, get_str(kvm, "error"));
        printf("%-26s %s\n", "KVM vendor module", vendor ? get_str(vendor, "kvm_module") : "(no plugin claimed the host)");

        printf("\nPlugins in %s\n", get_str(plugins, "directory"));
        json_object *list = get(plugins, "verdicts");
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                printf("  %-24s %-9s %s\n", get_str(e, "name"), get_str(e, "result"), get_str(e, "reason"));
        }

        if (vendor) {
                printf("\nVendor %s\n", get_str(vendor, "name"));
                json_object_object_foreach(get(vendor, "report"), key, val)
                        printf("  %-24s %s\n", key, json_object_get_string(val));
        }

        json_object *sum = get(kvm, "summary");
        if (sum) {
                printf("\nKVM capabilities (asked of a %s)\n",
                       strcmp(get_str(kvm, "capabilities_from"), "vm") == 0 ? "VM" : "the system fd");
                printf("  %-24s %s\n", "irqchip", yes(sum, "irqchip"));
                printf("  %-24s %s\n", "PIT", yes(sum, "pit"));
                printf("  %-24s %s\n", "immediate exit", yes(sum, "immediate_exit"));
                json_object *ring = get(sum, "dirty_log_ring");
                printf("  %-24s %" PRId64 " bytes (%" PRId64 " entries), acquire/release %s\n", "dirty-log ring",
                       json_object_get_int64(get(ring, "max_bytes")), json_object_get_int64(get(ring, "max_entries")),
                       yes(ring, "acq_rel"));
                json_object *m = get(sum, "manual_dirty_log_protect");
                printf("  %-24s %s (enable %s, initially-all-set %s)\n", "manual dirty-log protect",
                       get(m, "value") ? json_object_get_string(get(m, "value")) : "absent", yes(m, "enable"),
                       yes(m, "initially_set"));
                printf("  %-24s %s (recommended %s)\n", "max vCPUs", get_str(sum, "max_vcpus") ?: "?",
                       get_str(sum, "recommended_vcpus") ?: "?");
                printf("  %-24s %s\n", "memslots", get_str(sum, "memslots") ?: "?");
                printf("  %-24s %s", "sync regs", get_str(sum, "sync_regs") ?: "?");
                print_words(get(sum, "sync_regs_sets"), "");
                printf("  %-24s", "dirty-log modes");
                print_words(get(sum, "dirty_log_modes"), " (none)");
                printf("\n  %-36s %-8s %-9s %s\n", "capability", "value", "", "used for");
                json_object *caps = get(kvm, "capabilities");
                for (size_t i = 0; caps && i < json_object_array_length(caps); i++) {
                        json_object *e = json_object_array_get_idx(caps, i);
                        printf("  %-36s %-8s %-9s %s\n", get_str(e, "name"), get_str(e, "value") ?: "error",
                               json_object_get_boolean(get(e, "required")) ? "required" : "", get_str(e, "use"));
                }
        }

        json_object *lim = get(root, "vm_limits");
        printf("\n%-26s %s vCPUs, %s MiB of RAM (host RAM %s MiB)\n", "Limits of one VM", get_str(lim, "vcpus"),
               get_str(lim, "memory_mib"), get_str(lim, "host_memory_mib"));

        json_object *problems = get(root, "problems");
        if (json_object_get_boolean(get(root, "can_run_vms")))
                printf("\nResult: hvd can run VMs on this host\n");
        else {
                printf("\nResult: hvd cannot run VMs on this host\n");
                for (size_t i = 0; i < json_object_array_length(problems); i++)
                        printf("  - %s\n", json_object_get_string(json_object_array_get_idx(problems, i)));
        }
}

int hvd_check_host(const char *plugin_dir, bool json)
{
        if (!plugin_dir)
                plugin_dir = HV_PKGLIBDIR "/plugins";
        _cleanup_json_ json_object *root = json_object_new_object();
        struct check c = { .problems = json_object_new_array() };
        if (!root || !c.problems)
                return -ENOMEM;
        bool loaded = false;
        struct hv_host_info info;
        int r = hv_host_info_get(&info);
        if (r < 0)
                return r;

        add_str(root, "hvd_version", hv_version());
        json_object_object_add(root, "cpu", check_cpu());
        json_object_object_add(root, "kvm", check_kvm(&c, &info));
        json_object_object_add(root, "vm_limits", check_vm_limits(&info));
        json_object_object_add(root, "plugins", check_plugins(&c, plugin_dir, &loaded));
        json_object_object_add(root, "vendor", check_vendor(&c));
        json_object_object_add(root, "can_run_vms", json_object_new_boolean(c.error == 0));
        json_object_object_add(root, "problems", c.problems);
        /* A one-shot probe leaves the registry as it found it. */
        if (loaded)
                (void)hv_vendor_unload();

        if (json)
                printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                print_text(root);
        fflush(stdout);
        return c.error;
}
