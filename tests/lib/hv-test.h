/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tests' helper layer (like the KVM selftests' library): skipping without /dev/kvm,
 * finding built guests, running a function in a child and capturing how it died. */
#pragma once

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Exits the test program with 77 (skip) and a clear message when /dev/kvm cannot be opened
 * read-write. Only a missing or unusable /dev/kvm may skip a test. */
void hv_test_require_kvm(void);

/* Path of a test guest built by make (tests/guests/NAME.elf), from $HVD_GUEST_DIR.
 * Returns a static buffer; fails the test if the file is not there. */
const char *hv_test_guest_path(const char *name);

/* Path of the build's plugin directory ($HVD_PLUGIN_DIR). */
const char *hv_test_plugin_dir(void);

/* Runs fn(arg) in a forked child with its stderr captured. *ret_status is the waitpid status;
 * *ret_stderr (malloc'd, NUL-terminated) what the child wrote to stderr. Returns 0 or -errno. */
int hv_test_run_child(void (*fn)(void *arg), void *arg, int *ret_status, char **ret_stderr);

/* Runs a suite (CK_FORK honoured), prints the summary, returns the process exit status. */
int hv_test_run_suite(Suite *s);
