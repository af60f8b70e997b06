/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd --check-host through hvd_check_host() (daemon/check-host.c linked in): the JSON is
 * parsed and checked against what /proc/cpuinfo and /sys/module say about this host; the
 * text table carries the same verdicts. */
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check-host.h"
#include "hv-test.h"
#include "hvcore/host.h"
#include "hvcore/vendor.h"
#include "macros.h"
#include "test-vendor-host.h"

/* Runs hvd_check_host with stdout captured; returns its result, *ret_out the output. */
static int run_check_host(const char *dir, bool json, char **ret_out)
{
        fflush(stdout);
        int saved = dup(STDOUT_FILENO);
        int mfd = memfd_create("check-host", MFD_CLOEXEC);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(mfd, 0);
        ck_assert_int_ge(dup2(mfd, STDOUT_FILENO), 0);
        int r = hvd_check_host(dir, json);
        fflush(stdout);
        ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
        close(saved);
        off_t len = lseek(mfd, 0, SEEK_END);
        char *out = calloc(1, (size_t)len + 1);
        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(pread(mfd, out, (size_t)len, 0), len);
        close(mfd);
        *ret_out = out;
        return r;
}

static json_object *path(json_object *o, const char *a, const char *b)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, a, &v))
                return NULL;
        if (b && !json_object_object_get_ex(v, b, &v))
                return NULL;
        return v;
}
static const char *str(json_object *o, const char *a, const char *b)
{
        json_object *v = path(o, a, b);
        return v ? json_object_get_string(v) : NULL;
}

static json_object *verdict(json_object *root, const char *name)
{
        json_object *list = path(root, "plugins", "verdicts");
        ck_assert_ptr_nonnull(list);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);
                const char *n = str(e, "name", NULL);
                if (n && strcmp(n, name) == 0)
                        return e;
        }
        return NULL;
}

START_TEST(test_json_this_host)
{
        _cleanup_free_ char *out = NULL;
        int r = run_check_host(hv_test_plugin_dir(), true, &out);
        json_object *root = json_tokener_parse(out);
        ck_assert_msg(root, "output is JSON: %s", out);

        char vendor[13];
        expect_cpu_vendor(vendor);
        ck_assert_str_eq(str(root, "cpu", "vendor"), vendor);
        ck_assert(json_object_get_boolean(path(root, "kvm", "usable")));
        ck_assert_int_eq(json_object_get_int(path(root, "kvm", "api_version")), 12);

        const char *claimer = expect_claiming_plugin();
        ck_assert_ptr_nonnull(claimer);
        json_object *yes = verdict(root, claimer);
        json_object *no = verdict(root, strcmp(claimer, "x86-svm") == 0 ? "x86-vmx" : "x86-svm");
        ck_assert_ptr_nonnull(yes);
        ck_assert_ptr_nonnull(no);
        ck_assert_str_eq(str(yes, "result", NULL), "claimed");
        ck_assert_str_eq(str(no, "result", NULL), "declined");
        ck_assert_msg(strstr(str(no, "reason", NULL), vendor), "%s", str(no, "reason", NULL));

        ck_assert_str_eq(str(root, "vendor", "name"), claimer);
        const char *module = expect_kvm_module();
        if (module) {
                ck_assert_str_eq(str(root, "vendor", "kvm_module"), module);
                json_object *report = path(root, "vendor", "report");
                ck_assert_str_eq(str(report, "kvm_module", NULL), module);
        }
        if (module && strcmp(module, "kvm_pvm") == 0 && strcmp(claimer, "x86-svm") == 0 && !expect_cpu_flag("svm")) {
                ck_assert_str_eq(str(path(root, "vendor", "report"), "svm", NULL), "no");
                ck_assert_msg(strstr(str(yes, "reason", NULL), "kvm_pvm, no svm flag"), "%s", str(yes, "reason", NULL));
        }

        /* the capabilities hvd uses, each with a value */
        json_object *sum = path(root, "kvm", "summary");
        ck_assert_ptr_nonnull(sum);
        const char *const keys[] = { "irqchip", "pit", "immediate_exit", "dirty_log_ring", "manual_dirty_log_protect",
                                     "max_vcpus", "memslots", "sync_regs" };
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                ck_assert_msg(path(sum, keys[i], NULL), "summary has %s", keys[i]);
        json_object *ring = path(sum, "dirty_log_ring", NULL);
        int64_t bytes = json_object_get_int64(path(ring, "max_bytes", NULL));
        ck_assert_int_eq(json_object_get_int64(path(ring, "max_entries", NULL)), bytes / 16);
        ck_assert_int_ge(json_object_get_int64(path(sum, "max_vcpus", NULL)), 1);
        json_object *caps = path(root, "kvm", "capabilities");
        ck_assert_int_gt(json_object_array_length(caps), 8);
        /* every host with KVM has the bitmap; a ring where KVM says it has one */
        json_object *modes = path(sum, "dirty_log_modes", NULL);
        ck_assert_ptr_nonnull(modes);
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(modes, 0)), "bitmap");
        bool has_ring = false;
        for (size_t i = 0; i < json_object_array_length(modes); i++)
                has_ring |= strcmp(json_object_get_string(json_object_array_get_idx(modes, i)), "ring") == 0;
        ck_assert_int_eq(has_ring, bytes > 0);
        /* the VM limits: KVM's vCPU count within hvcore's */
        int64_t max = json_object_get_int64(path(sum, "max_vcpus", NULL));
        ck_assert_int_eq(json_object_get_int64(path(root, "vm_limits", "vcpus")), MIN(max, (int64_t)HV_VM_VCPUS_MAX));

        /* the result and the document agree */
        bool can = json_object_get_boolean(path(root, "can_run_vms", NULL));
        ck_assert_int_eq(can, r == 0);
        ck_assert_int_eq(json_object_array_length(path(root, "problems", NULL)) == 0, can);
        /* here a plugin claimed, so only a missing required capability may stop hvd */
        for (size_t i = 0; i < json_object_array_length(caps); i++) {
                json_object *c = json_object_array_get_idx(caps, i);
                if (json_object_get_boolean(path(c, "required", NULL)) && !json_object_get_boolean(path(c, "present", NULL)))
                        ck_assert(!can);
        }
        json_object_put(root);
        /* a one-shot probe leaves the registry empty */
        ck_assert_ptr_null(hv_vendor_get());
}
END_TEST

START_TEST(test_text_this_host)
{
        _cleanup_free_ char *out = NULL;
        int r = run_check_host(hv_test_plugin_dir(), false, &out);
        const char *claimer = expect_claiming_plugin();
        ck_assert_ptr_nonnull(claimer);
        char line[128];
        snprintf(line, sizeof(line), "  %-24s %-9s ", claimer, "claimed");
        ck_assert_msg(strstr(out, line), "a claimed row for %s:\n%s", claimer, out);
        ck_assert_msg(strstr(out, "declined"), "%s", out);
        ck_assert_msg(strstr(out, "KVM_CAP_DIRTY_LOG_RING_ACQ_REL"), "%s", out);
        ck_assert_msg(strstr(out, r == 0 ? "Result: hvd can run VMs" : "Result: hvd cannot run VMs"), "%s", out);
        const char *module = expect_kvm_module();
        if (module) {
                snprintf(line, sizeof(line), "KVM vendor module          %s\n", module);
                ck_assert_msg(strstr(out, line), "%s", out);
        }
}
END_TEST

START_TEST(test_no_plugins)
{
        char dir[] = "/tmp/hvd-check-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *out = NULL;
        int r = run_check_host(dir, true, &out);
        ck_assert_int_lt(r, 0);
        json_object *root = json_tokener_parse(out);
        ck_assert_ptr_nonnull(root);
        ck_assert(!json_object_get_boolean(path(root, "can_run_vms", NULL)));
        ck_assert(json_object_is_type(path(root, "vendor", NULL), json_type_null));
        ck_assert_ptr_nonnull(strstr(out, "no vendor plugin claimed this host"));
        json_object_put(root);
        free(TAKE_PTR(out));

        rmdir(dir);
        r = run_check_host(dir, false, &out); /* now missing */
        ck_assert_int_lt(r, 0);
        ck_assert_msg(strstr(out, "cannot read plugin directory") && strstr(out, "Result: hvd cannot run VMs"), "%s",
                      out);
}
END_TEST

/* Anywhere, /dev/kvm or not: the document says what hv_host_info_get() says, /dev/kvm's
 * problem included, and the limits of one VM that DefineVM validates against. */
START_TEST(test_host_info_and_limits)
{
        struct hv_host_info info;
        ck_assert_int_eq(hv_host_info_get(&info), 0);
        char dir[] = "/tmp/hvd-check-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *out = NULL, *text = NULL;
        ck_assert_int_lt(run_check_host(dir, true, &out), 0); /* no plugin */
        ck_assert_int_lt(run_check_host(dir, false, &text), 0);
        rmdir(dir);
        json_object *root = json_tokener_parse(out);
        ck_assert_msg(root, "output is JSON: %s", out);

        ck_assert_int_eq(json_object_get_int64(path(root, "vm_limits", "vcpus")), info.vm_max_vcpus);
        ck_assert_int_eq(json_object_get_int64(path(root, "vm_limits", "memory_mib")), (int64_t)info.vm_max_memory_mib);
        ck_assert_int_eq(json_object_get_int64(path(root, "vm_limits", "host_memory_mib")), (int64_t)info.host_memory_mib);
        ck_assert_uint_le(info.vm_max_memory_mib, HV_VM_MEMORY_MIB_MAX);
        char line[128];
        snprintf(line, sizeof(line), "Limits of one VM           %" PRIu32 " vCPUs, %" PRIu64 " MiB of RAM (host RAM %" PRIu64 " MiB)\n",
                 info.vm_max_vcpus, info.vm_max_memory_mib, info.host_memory_mib);
        ck_assert_msg(strstr(text, line), "'%s' in:\n%s", line, text);

        ck_assert_int_eq(json_object_get_boolean(path(root, "kvm", "usable")), info.kvm_usable);
        if (!info.kvm_usable) {
                ck_assert_str_eq(str(root, "kvm", "error"), info.kvm_problem);
                ck_assert_ptr_null(path(root, "kvm", "summary"));
                snprintf(line, sizeof(line), "/dev/kvm is not usable: %s", info.kvm_problem);
                ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(path(root, "problems", NULL), 0)), line);
                snprintf(line, sizeof(line), "/dev/kvm                   not usable: %s\n", info.kvm_problem);
                ck_assert_msg(strstr(text, line), "%s", text);
        } else {
                ck_assert_int_eq(json_object_get_int64(path(root, "kvm", "api_version")), info.api_version);
                ck_assert_int_eq(json_object_get_int64(path(path(root, "kvm", "summary"), "memslots", NULL)), info.max_memslots);
        }
        json_object_put(root);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("vendor-check-host");
        TCase *tc = tcase_create("check-host");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_no_plugins);
        tcase_add_test(tc, test_host_info_and_limits);
        suite_add_tcase(s, tc);
        tc = hv_test_tcase_kvm("check-host-this-host");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_json_this_host);
        tcase_add_test(tc, test_text_this_host);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
