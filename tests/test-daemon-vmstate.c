/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's VM state machine (daemon/vm-state.c), whole: every state x every input against the
 * list below, written out by hand from org.hvd1(5), not derived from the table. A transition
 * added to or dropped from the table without changing this list fails here. */
#include <stdio.h>
#include <string.h>

#include "hv-test.h"
#include "macros.h"
#include "vm-state.h"

/* "state input next": everything allowed; every pair not listed is refused. */
static const char *const allowed[] = {
        "shutoff Start starting",
        "shutoff DefineVM shutoff",
        "shutoff UndefineVM shutoff",

        "starting Stop shutoff",
        "starting built running",
        "starting start-failed shutoff",

        "running Stop shutoff",
        "running Pause paused",
        "running Reset resetting",
        "running Shutdown shutting-down",
        "running guest-stopped shutoff",
        "running guest-reset resetting",
        "running guest-crashed crashed",

        "paused Stop shutoff",
        "paused Resume running",
        "paused Reset resetting",
        "paused guest-stopped shutoff",
        "paused guest-reset resetting",
        "paused guest-crashed crashed",

        "resetting Stop shutoff",
        "resetting built running",
        "resetting reset-failed crashed",

        "shutting-down Stop shutoff",
        "shutting-down Shutdown shutting-down",
        "shutting-down guest-stopped shutoff",
        "shutting-down guest-reset resetting",
        "shutting-down guest-crashed crashed",
        "shutting-down shutdown-timeout running",

        "crashed Start starting",
        "crashed Stop shutoff",
        "crashed Reset resetting",
};

static const char *const states[] = { "shutoff", "starting", "running", "paused", "resetting", "shutting-down", "crashed" };
static const char *const inputs[] = { "Start", "Stop", "Pause", "Resume", "Reset", "Shutdown", "DefineVM", "UndefineVM",
                                      "built", "start-failed", "reset-failed", "guest-stopped", "guest-reset",
                                      "guest-crashed", "shutdown-timeout" };

/* The expected next state of (state, input) from the list, or NULL for a refusal. */
static const char *expected(const char *state, const char *input)
{
        static char next[32];
        char s[32], in[32];

        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
                ck_assert_int_eq(sscanf(allowed[i], "%31s %31s %31s", s, in, next), 3);
                if (strcmp(s, state) == 0 && strcmp(in, input) == 0)
                        return next;
        }
        return NULL;
}

START_TEST(test_string_tables)
{
        ck_assert_int_eq(ARRAY_SIZE(states), _VM_STATE_MAX);
        ck_assert_int_eq(ARRAY_SIZE(inputs), _VM_INPUT_MAX);
        for (int i = 0; i < _VM_STATE_MAX; i++) {
                ck_assert_str_eq(vm_state_to_string(i), states[i]);
                ck_assert_int_eq(vm_state_from_string(states[i]), i);
        }
        for (int i = 0; i < _VM_INPUT_MAX; i++) {
                ck_assert_str_eq(vm_input_to_string(i), inputs[i]);
                ck_assert_int_eq(vm_input_from_string(inputs[i]), i);
        }
        ck_assert_ptr_null(vm_state_to_string(_VM_STATE_MAX));
        ck_assert_ptr_null(vm_state_to_string(_VM_STATE_INVALID));
        ck_assert_int_eq(vm_state_from_string("shut off"), _VM_STATE_INVALID);
        ck_assert_int_eq(vm_state_from_string(NULL), -EINVAL);
        ck_assert_ptr_null(vm_input_to_string(_VM_INPUT_MAX));
        ck_assert_int_eq(vm_input_from_string("start"), _VM_INPUT_INVALID);
}
END_TEST

/* One state: every input. */
START_TEST(test_every_input)
{
        const char *state = states[_i];

        for (int in = 0; in < _VM_INPUT_MAX; in++) {
                const char *want = expected(state, inputs[in]);
                int r = vm_state_next(_i, in);

                if (want)
                        ck_assert_msg(r >= 0 && strcmp(vm_state_to_string(r), want) == 0, "%s + %s: expected %s, got %s",
                                      state, inputs[in], want, r >= 0 ? vm_state_to_string(r) : strerror(-r));
                else
                        ck_assert_msg(r == -EBUSY, "%s + %s: expected a refusal, got %s", state, inputs[in],
                                      r >= 0 ? vm_state_to_string(r) : strerror(-r));
        }
}
END_TEST

START_TEST(test_list_is_sound)
{
        /* every line of the list names a real state and input: a typo would pass as a refusal */
        char s[32], in[32], next[32];

        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
                ck_assert_int_eq(sscanf(allowed[i], "%31s %31s %31s", s, in, next), 3);
                ck_assert_msg(vm_state_from_string(s) >= 0, "%s", allowed[i]);
                ck_assert_msg(vm_input_from_string(in) >= 0, "%s", allowed[i]);
                ck_assert_msg(vm_state_from_string(next) >= 0, "%s", allowed[i]);
        }
}
END_TEST

START_TEST(test_out_of_range)
{
        ck_assert_int_eq(vm_state_next(_VM_STATE_MAX, VM_CALL_START), -EINVAL);
        ck_assert_int_eq(vm_state_next(_VM_STATE_INVALID, VM_CALL_START), -EINVAL);
        ck_assert_int_eq(vm_state_next(VM_STATE_SHUTOFF, _VM_INPUT_MAX), -EINVAL);
        ck_assert_int_eq(vm_state_next(VM_STATE_SHUTOFF, _VM_INPUT_INVALID), -EINVAL);
}
END_TEST

START_TEST(test_active)
{
        static const char *const active[] = { "running", "paused", "resetting", "shutting-down" };

        for (int i = 0; i < _VM_STATE_MAX; i++) {
                bool want = false;
                for (size_t j = 0; j < ARRAY_SIZE(active); j++)
                        want |= strcmp(states[i], active[j]) == 0;
                ck_assert_msg(vm_state_is_active(i) == want, "%s", states[i]);
        }
}
END_TEST

START_TEST(test_refusal_message)
{
        char buf[128];

        vm_state_refusal(VM_STATE_SHUTOFF, VM_CALL_PAUSE, "demo", buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM 'demo' is shutoff: cannot Pause");
        vm_state_refusal(VM_STATE_RUNNING, VM_CALL_REDEFINE, "spin", buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM 'spin' is running: shut it off to redefine it");
        vm_state_refusal(VM_STATE_SHUTTING_DOWN, VM_CALL_RESET, "x", buf, 16);
        ck_assert_str_eq(buf, "VM 'x' is shutt"); /* truncated, terminated */
}
END_TEST

int main(void)
{
        Suite *s = suite_create("daemon-vmstate");
        TCase *tc = tcase_create("vmstate");

        tcase_add_test(tc, test_string_tables);
        tcase_add_loop_test(tc, test_every_input, 0, _VM_STATE_MAX);
        tcase_add_test(tc, test_list_is_sound);
        tcase_add_test(tc, test_out_of_range);
        tcase_add_test(tc, test_active);
        tcase_add_test(tc, test_refusal_message);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
