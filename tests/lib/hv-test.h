/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tests' helper layer (like the KVM selftests' library): skipping without /dev/kvm,
 * finding built guests, running a function in a child and capturing how it died. */
#pragma once

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Exits the test program with 77 (skip) and a clear message when /dev/kvm cannot be opened
 * read-write. Only a missing or unusable /dev/kvm may skip a test. Call it from main(), before
 * the suite runs: inside a forked Check test an exit is an error, not a skip. */
void hv_test_require_kvm(void);

/* True when /dev/kvm opens read-write; otherwise false with the reason in *why (static). */
bool hv_test_kvm_usable(const char **why);

/* A test case whose tests need /dev/kvm (tagged "kvm"). Where /dev/kvm is unusable,
 * hv_test_run_suite runs every other test case, names the ones it left out, and reports the
 * program as skipped (77) unless something failed: a partial run is never called a pass. */
TCase *hv_test_tcase_kvm(const char *name);

/* The same for any other need, named by a tag: a test case created with the tag is left out
 * of hv_test_run_suite, and named in its SKIP line, once hv_test_need_missing(tag, why) has
 * said the need is not met here. `why` (kept, not copied) completes "N test case(s) ...". */
TCase *hv_test_tcase_needing(const char *name, const char *tag);
void hv_test_need_missing(const char *tag, const char *why);

/* Path of a test guest built by make (tests/guests/NAME.elf), from $HVD_GUEST_DIR.
 * Returns a static buffer; fails the test if the file is not there. */
const char *hv_test_guest_path(const char *name);

/* Path of the build's plugin directory ($HVD_PLUGIN_DIR). */
const char *hv_test_plugin_dir(void);

/* Runs fn(arg) in a forked child with its stderr captured. *ret_status is the waitpid status;
 * *ret_stderr (malloc'd, NUL-terminated) what the child wrote to stderr. Returns 0 or -errno. */
int hv_test_run_child(void (*fn)(void *arg), void *arg, int *ret_status, char **ret_stderr);

/* Runs a suite (CK_FORK honoured), prints the summary, returns the process exit status:
 * EXIT_FAILURE if a test failed, 77 if test cases needing /dev/kvm (or another missing need)
 * were left out, else 0. */
int hv_test_run_suite(Suite *s);
