/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What confines a VM process once its VM is built: a seccomp filter (libseccomp) allowing
 * the system calls a running VMM makes, for every thread. Anything else kills the process
 * (SIGSYS), which hvd reports as the VM's crash. no_new_privs is set at start (hvd-vm.c). */
#pragma once

#include <stddef.h>

/* Loads the filter into every thread (TSYNC). -errno with msg on failure. */
int sandbox_enter(char *msg, size_t len);
