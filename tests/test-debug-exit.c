/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The debug-exit port: QEMU isa-debug-exit semantics at 0xf4, 4 bytes wide. */
#include <string.h>

#include "devices/debug-exit.h"
#include "hv-test.h"
#include "macros.h"

static unsigned exits;
static uint32_t last_code;

static void record_exit(void *opaque, uint32_t code)
{
        ck_assert_ptr_eq(opaque, &exits);
        exits++;
        last_code = code;
}

static const struct hv_debug_exit_ops ops = {.exit = record_exit};
static struct hv_debug_exit *d;

static void setup(void)
{
        exits = 0;
        last_code = 0xdeadbeef;
        ck_assert_int_eq(hv_debug_exit_new(&ops, &exits, &d), 0);
}

static void teardown(void) { d = hv_debug_exit_free(d); }

START_TEST(test_new_rejects_bad_ops)
{
        struct hv_debug_exit *x = NULL;
        struct hv_debug_exit_ops none = {0};
        ck_assert_int_eq(hv_debug_exit_new(NULL, NULL, &x), -EINVAL);
        ck_assert_int_eq(hv_debug_exit_new(&none, NULL, &x), -EINVAL);
        ck_assert_int_eq(hv_debug_exit_new(&ops, NULL, NULL), -EINVAL);
        ck_assert_ptr_null(x);
        ck_assert_ptr_null(hv_debug_exit_free(NULL));
}
END_TEST

START_TEST(test_write_exits_with_value)
{
        uint8_t v4[4] = {0x10, 0x00, 0x00, 0x00};
        hv_debug_exit_io(d, 0, true, v4, 4);
        ck_assert_uint_eq(exits, 1);
        ck_assert_uint_eq(last_code, 0x10);
        ck_assert_uint_eq(hv_debug_exit_status(last_code), 0x21); /* what QEMU exits with */

        uint8_t big[4] = {0x78, 0x56, 0x34, 0x12};
        hv_debug_exit_io(d, 0, true, big, 4);
        ck_assert_uint_eq(last_code, 0x12345678);

        uint8_t b = 0x31; /* outb 0x31, 0xf4 */
        hv_debug_exit_io(d, 0, true, &b, 1);
        ck_assert_uint_eq(last_code, 0x31);
        ck_assert_uint_eq(hv_debug_exit_status(last_code), 0x63);

        uint8_t w[2] = {0x01, 0x02}; /* outw at 0xf6: the value is the access's own */
        hv_debug_exit_io(d, 2, true, w, 2);
        ck_assert_uint_eq(last_code, 0x0201);
        ck_assert_uint_eq(exits, 4);
        ck_assert_uint_eq(hv_debug_exit_status(0), 1);
        ck_assert_uint_eq(hv_debug_exit_status(0xffffffff), 0xffffffff);
}
END_TEST

START_TEST(test_reads_are_zero)
{
        uint8_t v[4];
        memset(v, 0x55, sizeof(v));
        hv_debug_exit_io(d, 0, false, v, 4);
        ck_assert_uint_eq(v[0] | v[1] | v[2] | v[3], 0);
        ck_assert_uint_eq(exits, 0);
}
END_TEST

START_TEST(test_hostile_accesses)
{
        uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        hv_debug_exit_io(d, 4, true, v, 1);      /* past the port */
        hv_debug_exit_io(d, 3, true, v, 2);      /* straddles its end */
        hv_debug_exit_io(d, 0, true, v, 8);      /* wider than the port */
        hv_debug_exit_io(d, 0xffff, true, v, 4); /* offset near the top */
        hv_debug_exit_io(d, 0, true, v, 0);
        hv_debug_exit_io(d, 0, true, NULL, 4);
        hv_debug_exit_io(NULL, 0, true, v, 4);
        ck_assert_uint_eq(exits, 0);
        hv_debug_exit_io(d, 2, false, v, 4);
        for (int i = 0; i < 4; i++)
                ck_assert_uint_eq(v[i], 0xff);
        ck_assert_uint_eq(v[4], 5); /* nothing written past len */
}
END_TEST

static Suite *debug_exit_suite(void)
{
        Suite *s = suite_create("debug-exit");
        TCase *tc = tcase_create("port");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_new_rejects_bad_ops);
        tcase_add_test(tc, test_write_exits_with_value);
        tcase_add_test(tc, test_reads_are_zero);
        tcase_add_test(tc, test_hostile_accesses);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) { return hv_test_run_suite(debug_exit_suite()); }
