/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What confines a VM process once its VM is built: a seccomp filter (libseccomp) allowing
 * the system calls a running VMM makes, for every thread. Anything else kills the process
 * (SIGSYS), which hvd reports as the VM's crash. no_new_privs is set at start (hvd-vm.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Loads the filter into every thread (TSYNC). log_only: what it would forbid is allowed and
 * logged by the kernel (audit, dmesg) instead: for finding what a new code path needs.
 * -errno with msg on failure. */
int sandbox_enter(bool log_only, char *msg, size_t len);
