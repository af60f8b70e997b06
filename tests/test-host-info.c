/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hv_host_info_get(): what /dev/kvm offers, and the limits VM definitions are validated
 * against, with and without a usable /dev/kvm. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "hv-test.h"
#include "hvcore/host.h"
#include "macros.h"

static uint64_t host_ram_mib(void)
{
        struct sysinfo si;
        ck_assert_int_eq(sysinfo(&si), 0);
        return (uint64_t)si.totalram * si.mem_unit / (1024 * 1024);
}

START_TEST(test_null)
{
        ck_assert_int_eq(hv_host_info_get(NULL), -EINVAL);
}
END_TEST

/* The memory limit is hvcore's (3 GiB), lowered to the host's RAM; it holds either way. */
START_TEST(test_memory_limit)
{
        struct hv_host_info info;
        ck_assert_int_eq(hv_host_info_get(&info), 0);
        ck_assert_uint_eq(info.host_memory_mib, host_ram_mib());
        ck_assert_uint_eq(info.vm_max_memory_mib, MIN((uint64_t)HV_VM_MEMORY_MIB_MAX, host_ram_mib()));
        ck_assert_uint_ge(info.vm_max_vcpus, 1);
        ck_assert_uint_le(info.vm_max_vcpus, HV_VM_VCPUS_MAX);
}
END_TEST

/* Where /dev/kvm cannot be used: the reason, no KVM figures, and hvcore's own limits. */
START_TEST(test_without_kvm)
{
        const char *why;
        if (hv_test_kvm_usable(&why))
                return; /* covered by test_with_kvm */
        struct hv_host_info info;
        memset(&info, 0x5a, sizeof(info));
        ck_assert_int_eq(hv_host_info_get(&info), 0);
        ck_assert(!info.kvm_usable);
        ck_assert_int_lt(info.kvm_error, 0);
        int fd = open(HV_KVM_DEVICE, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                ck_assert_int_eq(info.kvm_error, -errno);
        else
                close(fd);
        ck_assert_msg(info.kvm_problem[0] && strcmp(info.kvm_problem, why) == 0, "'%s' vs '%s'", info.kvm_problem, why);
        ck_assert_uint_eq(info.api_version, 0);
        ck_assert_uint_eq(info.dirty_log_modes, 0);
        ck_assert_uint_eq(info.kvm_max_vcpus, 0);
        ck_assert_uint_eq(info.max_memslots, 0);
        ck_assert_ptr_null(info.missing_cap);
        ck_assert_uint_eq(info.vm_max_vcpus, HV_VM_VCPUS_MAX);
}
END_TEST

START_TEST(test_with_kvm)
{
        struct hv_host_info info;
        ck_assert_int_eq(hv_host_info_get(&info), 0);
        ck_assert(info.kvm_usable);
        ck_assert_int_eq(info.kvm_error, 0);
        ck_assert_str_eq(info.kvm_problem, "");
        ck_assert_uint_eq(info.api_version, HV_KVM_API_VERSION);
        ck_assert_ptr_null(info.missing_cap);
        ck_assert(info.irqchip && info.immediate_exit);
        ck_assert_uint_ge(info.kvm_max_vcpus, 1);
        ck_assert_uint_eq(info.vm_max_vcpus, MIN(info.kvm_max_vcpus, HV_VM_VCPUS_MAX));
        ck_assert_uint_ge(info.max_memslots, 1);
        ck_assert(info.dirty_log_modes & (1u << HV_DIRTY_LOG_BITMAP));
        ck_assert_int_eq(!!(info.dirty_log_modes & (1u << HV_DIRTY_LOG_RING)), info.dirty_ring_max_bytes > 0);
        ck_assert_int_eq(!!(info.dirty_log_modes & (1u << HV_DIRTY_LOG_RING_ACQ_REL)), info.dirty_ring_acq_rel);
        ck_assert_uint_eq(info.dirty_ring_max_entries, info.dirty_ring_max_bytes / 16);
        for (size_t i = 0; i < hv_kvm_caps_count; i++)
                if (hv_kvm_caps[i].required)
                        ck_assert_msg(info.cap_values[i] > 0, "%s", hv_kvm_caps[i].name);
}
END_TEST

START_TEST(test_dirty_log_mode_names)
{
        ck_assert_str_eq(hv_dirty_log_mode_to_string(HV_DIRTY_LOG_BITMAP), "bitmap");
        ck_assert_str_eq(hv_dirty_log_mode_to_string(HV_DIRTY_LOG_MANUAL_PROTECT), "manual-protect");
        ck_assert_str_eq(hv_dirty_log_mode_to_string(HV_DIRTY_LOG_RING), "ring");
        ck_assert_str_eq(hv_dirty_log_mode_to_string(HV_DIRTY_LOG_RING_ACQ_REL), "ring-acq-rel");
        ck_assert_ptr_null(hv_dirty_log_mode_to_string(_HV_DIRTY_LOG_MODE_MAX));
        ck_assert_ptr_null(hv_dirty_log_mode_to_string(_HV_DIRTY_LOG_MODE_INVALID));
}
END_TEST

int main(void)
{
        Suite *s = suite_create("host-info");
        TCase *tc = tcase_create("host-info");
        tcase_add_test(tc, test_null);
        tcase_add_test(tc, test_memory_limit);
        tcase_add_test(tc, test_without_kvm);
        tcase_add_test(tc, test_dirty_log_mode_names);
        suite_add_tcase(s, tc);
        tc = hv_test_tcase_kvm("host-info-kvm");
        tcase_add_test(tc, test_with_kvm);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
